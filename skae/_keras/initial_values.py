"""Initial values: Keras' own initializers and Adam, with the values made on the host.

Keras draws initial weights and makes zeros with its backend's ops: on JAX
each draw or zeros of a new shape compiles a small XLA program (0.1-0.2 s
for a uniform draw, about 20 ms for zeros, on XLA's CPU), for every kernel,
bias and optimizer slot of a first fit. skae's :class:`GlorotUniform`,
:class:`Zeros` and :class:`Adam` give Keras' values, bit for bit, computed
in NumPy there (:func:`initial_uniform`, :func:`initial_zeros`); on other
backends, and where the host cannot reproduce the draw, Keras makes them.
They are registered, so saved models name them and load.
"""

import functools
import math

import numpy as np

from . import import_keras

keras = import_keras()

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


@keras.saving.register_keras_serializable(package="skae")
class GlorotUniform(keras.initializers.GlorotUniform):
    """Keras' ``GlorotUniform``: the same values, drawn on the host where the engine can.

    On JAX, Keras' own draw compiles a program per weight shape; the same
    values are computed in NumPy (:func:`initial_uniform`, tested bit for bit
    against Keras). Elsewhere, and for a seed that is not an integer, Keras
    draws.
    """

    def __call__(self, shape, dtype=None):
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        # Keras' default fans only (older Keras releases have no input_axes).
        default_fans = getattr(self, "input_axes", None) is None
        if dtype == "float32" and isinstance(self.seed, int) and default_fans:
            scale = self.scale / max(1.0, sum(_fans(shape)) / 2.0)  # Keras' arithmetic
            limit = math.sqrt(3.0 * scale)
            values = initial_uniform(self.seed, shape, -limit, limit)
            if values is not None:
                return values
        return super().__call__(shape, dtype=dtype)


@keras.saving.register_keras_serializable(package="skae")
class Zeros(keras.initializers.Zeros):
    """Keras' ``Zeros``, made on the host where the engine can.

    On JAX, Keras' own zeros compile a program per shape; they are made in
    NumPy instead (:func:`initial_zeros`). Elsewhere Keras makes them.
    """

    def __call__(self, shape, dtype=None):
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        values = initial_zeros(tuple(shape), dtype)
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


def initial_zeros(shape, dtype):
    """Zeros in NumPy for a float ``dtype``, else None (Keras makes them).

    Keras' zeros are ``jnp.zeros``: one small XLA program per shape, about
    20 ms each on XLA's CPU, for every bias and every optimizer slot shape of
    a first fit. A host array is copied to the device instead.
    """
    if keras.backend.backend() != "jax" or dtype not in _FLOAT_DTYPES:
        return None
    import jax.numpy as jnp

    return np.zeros(shape, dtype=jnp.dtype(dtype))


def initial_uniform(seed, shape, minval, maxval):
    """``keras.random.uniform(shape, minval, maxval, "float32", seed)``, drawn on the host, or None.

    JAX compiles ``jax.random.uniform`` once per shape, 0.1-0.2 s each on
    XLA's CPU: about 0.5 s of a small dense network's first fit, one program
    per kernel shape. With JAX's default generator (threefry2x32, bits
    "partitionable") each value depends on the seed and its position alone,
    so NumPy computes the same bits. The last step, ``u * (maxval - minval)
    + minval``, XLA may fuse into one multiply-add, rounded once (XLA's CPU
    does): which of the two roundings this process's XLA uses is read once,
    from a small draw JAX compiles. Returns None (Keras then draws) for
    another generator, a seed that is not a uint32, or a probe that matches
    neither rounding.
    """
    if keras.backend.backend() != "jax":
        return None
    if not (isinstance(seed, int) and 0 <= seed < 2**32) or not _threefry_by_position():
        return None
    fused = _uniform_rounding()
    if fused is None:
        return None
    return _host_uniform(seed, tuple(shape), minval, maxval, fused)


def _threefry_by_position():
    import jax

    config = jax.config
    return getattr(config, "jax_default_prng_impl", None) == "threefry2x32" and bool(
        getattr(config, "jax_threefry_partitionable", False)
    )


_UNIFORM_PROBE = (1, (256,), -0.3, 0.3)


@functools.cache
def _uniform_rounding():
    """True where XLA rounds ``u * scale + minval`` once (fused), False where twice, else None."""
    import jax
    import jax.numpy as jnp

    seed, shape, minval, maxval = _UNIFORM_PROBE
    key = jnp.asarray([seed, 0], dtype=jnp.uint32)
    drawn = np.asarray(jax.random.uniform(key, shape, jnp.float32, minval, maxval))
    for fused in (True, False):
        if np.array_equal(
            _host_uniform(*_UNIFORM_PROBE, fused).view(np.uint32), drawn.view(np.uint32)
        ):
            return fused
    return None


def _host_uniform(seed, shape, minval, maxval, fused):
    """``jax.random.uniform`` in float32 for a raw key ``[seed, 0]``, in NumPy."""
    index = np.arange(math.prod(shape), dtype=np.uint64)
    high = (index >> np.uint64(32)).astype(np.uint32)
    bits = np.bitwise_xor(*_threefry2x32(seed, 0, high, index.astype(np.uint32)))
    # 23 random mantissa bits under the exponent of 1.0: a float in [1, 2), minus 1.
    unit = ((bits >> np.uint32(9)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)
    low, scale = np.float32(minval), np.float32(maxval) - np.float32(minval)
    values = _fused_multiply_add(unit, scale, low) if fused else unit * scale + low
    return np.maximum(low, values).reshape(shape)


def _threefry2x32(key1, key2, count1, count2):
    """The Threefry-2x32 hash (20 rounds) of the counts, as ``jax.random`` computes it."""
    keys = (np.uint32(key1), np.uint32(key2), np.uint32(key1 ^ key2 ^ 0x1BD11BDA))
    rotations = ((13, 15, 26, 6), (17, 29, 16, 24))
    x1, x2 = count1 + keys[0], count2 + keys[1]
    for i in range(5):
        for r in rotations[i % 2]:
            x1 += x2
            x2 = (x2 << np.uint32(r)) | (x2 >> np.uint32(32 - r))
            x2 ^= x1
        x1 += keys[(i + 1) % 3]
        x2 += keys[(i + 2) % 3]
        x2 += np.uint32(i + 1)
    return x1, x2


def _fused_multiply_add(a, b, c):
    """float32 ``a * b + c`` rounded once, for float32 ``a`` (array), ``b`` and ``c``.

    The product is exact in float64; the sum is rounded to float64 and then
    to float32, which rounds twice only where the float64 sum lands exactly
    halfway between two float32 values: there the sum's exact error (Knuth's
    two-sum) says which way the exact value lies.
    """
    product = a.astype(np.float64) * np.float64(b)
    addend = np.float64(c)
    total = product + addend
    back = total - product
    error = (product - (total - back)) + (addend - back)
    # A float64 halfway between two float32s: its 29 low mantissa bits are 1 << 28.
    halfway = (total.view(np.uint64) & np.uint64((1 << 29) - 1)) == np.uint64(1 << 28)
    tie = halfway & (error != 0)
    total[tie] = np.nextafter(total[tie], np.copysign(np.inf, error[tie]))
    return total.astype(np.float32)
