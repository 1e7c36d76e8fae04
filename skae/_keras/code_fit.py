"""Codes fitted to the observed entries of incomplete rows (``AutoencoderImputer(n_code_steps=n)``).

The encoder gives each incomplete row a code in one pass; here that code is
only the start: ``n`` steps of Adam move it to a code whose decoding matches
the row's observed entries more closely (the decoder is not changed). Each
row's loss is the mean squared error over its own observed entries, and Adam
updates each value on its own, so a row's code does not depend on the other
rows it is fitted with.

This module holds what is the same on every backend: the loss and Adam's
update. :func:`skae._keras.engine.fit_codes` cuts the rows into chunks and
runs each in the backend's engine module (its ``fit_codes``): TensorFlow
and JAX in one compiled loop, kept per decoder architecture with the
weights as arguments, with the update written out here (:func:`adam_step`);
other backends through ``Model.fit`` with ``keras.optimizers.Adam`` itself
(:class:`FittedCodes`), whose update :func:`adam_step` copies.
"""

from . import import_keras

keras = import_keras()
from keras import ops  # noqa: E402

#: Adam's step size for the codes (network units: standardised features).
#: ``benchmarks/bench_impute_latent.py`` measured 0.01 on the digits and LFW faces.
LEARNING_RATE = 0.01

#: Rows fitted together; larger inputs go in chunks.
CHUNK_ROWS = 4096

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam's defaults


def observed_error(decoded, target, observed):
    """The sum over rows of each row's mean squared error on its observed entries."""
    decoded = ops.reshape(ops.cast(decoded, target.dtype), ops.shape(target))
    per_row = ops.sum(observed * ops.square(decoded - target), axis=1)
    return ops.sum(per_row / ops.maximum(ops.sum(observed, axis=1), 1.0))


def adam_step(step, codes, m, v, gradient):
    """One update of ``keras.optimizers.Adam(LEARNING_RATE)`` (``step`` counts from 1)."""
    step = ops.cast(step, codes.dtype)
    alpha = LEARNING_RATE * ops.sqrt(1.0 - BETA_2**step) / (1.0 - BETA_1**step)
    m = m + (gradient - m) * (1.0 - BETA_1)
    v = v + (ops.square(gradient) - v) * (1.0 - BETA_2)
    return codes - alpha * m / (ops.sqrt(v) + EPSILON), m, v


class FittedCodes(keras.Model):
    """``decoder(codes[rows])`` with the codes as the only trained weights
    (the steps through ``Model.fit``: :func:`skae._keras.engine_model_fit.fit_codes`)."""

    def __init__(self, decoder, n_rows, width, **kwargs):
        super().__init__(**kwargs)
        self.decoder = decoder
        self.codes = self.add_weight(
            name="codes", shape=(n_rows, width), initializer="zeros", trainable=True
        )

    def call(self, rows):
        return self.decoder(ops.take(self.codes, ops.reshape(rows, (-1,)), axis=0), training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return observed_error(y_pred, *y)
