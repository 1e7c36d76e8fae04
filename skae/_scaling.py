"""Scaling statistics: what maps the user's units onto the network's, block by block."""

import itertools

import numpy as np

from ._streaming import blocks

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
    """
    # One pass for the range, then one for the moments, block by block:
    # an out-of-core X is never read whole, an in-memory one never copied whole.
    lo, hi = np.inf, -np.inf
    for block in blocks(X):
        lo, hi = min(lo, float(np.min(block))), max(hi, float(np.max(block)))
    # Dividing by the largest magnitude first keeps huge values finite.
    magnitude = max(abs(lo), abs(hi)) or 1.0
    if output_activation in BOUNDED_RANGES:
        low, high = BOUNDED_RANGES[output_activation]
        lo, hi = lo / magnitude, hi / magnitude
        span = (hi - lo) or 1.0
        scale = span / (high - low)
        offset = np.full(X.shape[1], lo - low * scale)
    else:
        offset, squares, total_weight = mean_and_squared_deviations(
            (np.asarray(block, dtype=np.float64) / magnitude for block in blocks(X)),
            None if sample_weight is None else blocks(sample_weight),
        )
        scale = float(np.sqrt(squares / total_weight / X.shape[1])) or 1.0
    return offset * magnitude, scale * magnitude


def mean_and_squared_deviations(blocks, weight_blocks=None):
    """Per-column (weighted) mean, total squared deviation from it, total weight.

    Blocks are merged with Chan et al.'s pairwise update, which is as exact as
    the two-pass formula and reads each block once. Without weights every
    row weighs 1.
    """
    weight_blocks = weight_blocks if weight_blocks is not None else itertools.repeat(None)
    count, mean, squares = 0, 0.0, 0.0
    for block, weights in zip(blocks, weight_blocks, strict=False):
        if weights is None:
            n = len(block)
            block_mean = block.mean(axis=0)
            block_squares = float(np.sum((block - block_mean) ** 2))
        else:
            n = float(np.sum(weights))
            block_mean = weights @ block / n
            block_squares = float(weights @ np.sum((block - block_mean) ** 2, axis=1))
        delta = block_mean - mean
        total = count + n
        squares += block_squares + float(np.sum(delta**2)) * count * n / total
        mean = mean + delta * (n / total)
        count = total
    return mean, squares, count


class StandardizedRows:
    """Rows of an out-of-core X, standardised as each batch is read."""

    def __init__(self, rows, standardize):
        self.rows = rows
        self.standardize = standardize

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.standardize(self.rows[index])
