"""Custom Keras layers, initializers and optimizer, registered so that pickles and ``.keras``
files work."""

import math

from . import import_keras
from .elbo import clip_log_var

keras = import_keras()


@keras.saving.register_keras_serializable(package="skae")
class MaskingNoise(keras.layers.Layer):
    """Zero each input with probability ``rate`` during training only.

    Unlike :class:`keras.layers.Dropout`, the kept inputs are not rescaled:
    this is the masking corruption of denoising autoencoders (Vincent et al.,
    2008), where a zeroed input means "missing", not "scaled".
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        keep = keras.random.uniform(
            keras.ops.shape(inputs), seed=self.seed_generator, dtype=inputs.dtype
        )
        return keras.ops.where(keep >= self.rate, inputs, keras.ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skae")
class Sampling(keras.layers.Layer):
    """The reparameterisation trick: ``mean + exp(log_var / 2) * eps`` in training.

    At inference it returns ``mean``, so a model's prediction is deterministic.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        mean, log_var = inputs
        if not training:
            return mean
        eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype)
        return mean + keras.ops.exp(0.5 * clip_log_var(log_var, keras.ops)) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="skae")
class GlorotUniform(keras.initializers.GlorotUniform):
    """Keras' ``GlorotUniform``: the same values, drawn on the host where the engine can.

    On JAX, Keras' own draw compiles a program per weight shape; the engine
    computes the same values in NumPy (``engine_jax.initial_uniform``, tested
    bit for bit against Keras). Elsewhere, and for a seed that is not an
    integer, Keras draws.
    """

    def __call__(self, shape, dtype=None):
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        # Keras' default fans only (older Keras releases have no input_axes).
        default_fans = getattr(self, "input_axes", None) is None
        if dtype == "float32" and isinstance(self.seed, int) and default_fans:
            from . import engine

            scale = self.scale / max(1.0, sum(_fans(shape)) / 2.0)  # Keras' arithmetic
            limit = math.sqrt(3.0 * scale)
            values = engine.initial_uniform(self.seed, shape, -limit, limit)
            if values is not None:
                return values
        return super().__call__(shape, dtype=dtype)


@keras.saving.register_keras_serializable(package="skae")
class Zeros(keras.initializers.Zeros):
    """Keras' ``Zeros``, made on the host where the engine can.

    On JAX, Keras' own zeros compile a program per shape; the engine makes
    them in NumPy (``engine_jax.initial_zeros``). Elsewhere Keras makes them.
    """

    def __call__(self, shape, dtype=None):
        from . import engine

        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        values = engine.initial_zeros(tuple(shape), dtype)
        return super().__call__(shape, dtype=dtype) if values is None else values


@keras.saving.register_keras_serializable(package="skae")
class Adam(keras.optimizers.Adam):
    """Keras' ``Adam``, its moment slots starting from skae's :class:`Zeros`.

    The same optimizer and the same updates; only the slots' zeros are made
    on the host where the engine can (one compiled program per weight shape
    fewer on JAX).
    """

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        if isinstance(initializer, str) and initializer == "zeros":
            initializer = Zeros()
        return super().add_variable_from_reference(
            reference_variable, name=name, initializer=initializer
        )


def _fans(shape):
    """(fan_in, fan_out) of a kernel, as Keras counts them (a convolution's receptive field too)."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field
