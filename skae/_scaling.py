"""Scaling statistics: what maps the user's units onto the network's, block by block."""

import numpy as np

from ._streaming import OutOfCoreRows, moments, value_range

# Output activations whose range is bounded: the data is mapped onto that range.
BOUNDED_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def statistics(X, sample_weight, output_activation):
    """``(offset, scale)``: the network sees ``(X - offset) / scale``.

    With a bounded output activation the data is mapped onto its range
    (``sigmoid``: [0, 1]). Otherwise each feature is centred and all are
    divided by one common scale, the root mean square of the centred data:
    like PCA, relative feature scales are kept, so the training loss is the
    reconstruction error in the user's units up to one constant. Weights
    (one per row, or None) weigh the mean and the root mean square.

    Two passes over X, block by block (:mod:`skae._streaming`): an
    out-of-core X is never read whole, an in-memory one never copied whole.
    """
    lo, hi = value_range(X)
    # Dividing by the largest magnitude first keeps huge values finite.
    magnitude = max(abs(lo), abs(hi)) or 1.0
    if output_activation in BOUNDED_RANGES:
        low, high = BOUNDED_RANGES[output_activation]
        lo, hi = lo / magnitude, hi / magnitude
        span = (hi - lo) or 1.0
        scale = span / (high - low)
        offset = np.full(X.shape[1], lo - low * scale)
    else:
        offset, squares, total_weight = moments(X, sample_weight, divisor=magnitude)
        scale = float(np.sqrt(squares / total_weight / X.shape[1])) or 1.0
    return offset * magnitude, scale * magnitude


def observed_statistics(X, sample_weight):
    """``(offset, scale)`` from the observed entries of X only (NaN is missing), in memory.

    Each column's (weighted) mean of its observed entries, and one common
    scale, the root mean square of the centred observed entries, as
    :func:`statistics` computes them for complete data; a column without an
    observed entry gets offset 0.
    """
    X = np.asarray(X, dtype=np.float64)
    observed = ~np.isnan(X)
    if sample_weight is None:
        counts = observed.sum(axis=0)
        sums = np.nansum(X, axis=0)
    else:
        counts = sample_weight @ observed
        sums = sample_weight @ np.where(observed, X, 0.0)
    offset = np.where(counts > 0, sums / np.maximum(counts, 1e-300), 0.0)
    squares = np.where(observed, X - offset, 0.0) ** 2
    if sample_weight is None:
        total, squared = observed.sum(), np.sum(squares)
    else:
        total = sample_weight @ observed.sum(axis=1)
        squared = sample_weight @ squares.sum(axis=1)
    return offset, float(np.sqrt(squared / max(total, 1))) or 1.0


def standardize(X, offset, scale):
    """``(X - offset) / scale`` as float32; float32 X stays in float32 throughout."""
    X = np.asarray(X)
    if X.dtype == np.float32:
        return (X - offset.astype(np.float32)) * np.float32(1.0 / scale)
    return ((np.asarray(X, dtype=np.float64) - offset) / scale).astype(np.float32)


def unstandardize(X_std, offset, scale):
    """Network units back to the user's, as float64."""
    return np.asarray(X_std, dtype=np.float64) * scale + offset


def network_rows(X, offset, scale, shape):
    """X standardised as the network reads it: float32, each row in ``shape``.

    In-memory data is standardised once, so that a batch is a plain row
    lookup; data read in pieces is standardised batch by batch
    (:class:`StandardizedRows`).
    """
    if isinstance(X, OutOfCoreRows):
        return StandardizedRows(X, offset, scale, shape)
    return standardize(X, offset, scale).reshape((len(X), *shape))


class StandardizedRows:
    """Rows of an out-of-core X, standardised (float32, in ``shape``) as each batch is read."""

    def __init__(self, rows, offset, scale, shape):
        self.rows = rows
        self.offset = offset
        self.scale = scale
        self.shape = (len(rows), *shape)
        self.dtype = np.dtype(np.float32)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        block = standardize(self.rows[index], self.offset, self.scale)
        return block.reshape((len(block), *self.shape[1:]))
