"""skae's Keras layers (input noise, the VAE's sampling), registered so that saved
models and ``.keras`` files load."""

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
