"""Whitened codes: latent codes rotated onto their principal axes and scaled to unit variance.

What ``PCA(whiten=True)`` does to its components, applied to an
autoencoder's codes after training: ``transform`` returns
``(codes - mean_) @ components_.T / scale_``, and ``inverse_transform``
undoes it before decoding. On LFW the codes of a linear autoencoder are
worth little to an RBF SVC until whitened (benchmarks/bench_lfw_classify.py).
"""

import numpy as np

# Axes along which the codes hardly vary (dead units) keep a variance of at
# least this fraction of the largest, so that whitening stays finite.
MIN_RELATIVE_VARIANCE = 1e-12


def fit(codes, sample_weight=None):
    """``(mean, components, scale)`` of ``codes``, as PCA's whitening computes them.

    ``components`` has the principal axes as rows, by decreasing variance,
    each signed so that its largest loading is positive; ``scale`` is the
    standard deviation along each (``n - 1`` in the denominator, as PCA's
    ``explained_variance_``). With ``sample_weight``, the weighted mean and
    covariance (rows of weight 0 count for nothing).
    """
    codes = np.asarray(codes, dtype=np.float64)
    weights = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, float)
    n_rows = np.count_nonzero(weights)
    if n_rows < 2:
        raise ValueError(f"whiten=True needs at least 2 training rows, got {n_rows}.")
    mean = np.average(codes, axis=0, weights=weights)
    centred = codes - mean
    covariance = (centred * weights[:, None]).T @ centred / weights.sum()
    covariance *= n_rows / (n_rows - 1)
    variances, axes = np.linalg.eigh(covariance)
    order = np.argsort(variances)[::-1]
    variances, components = variances[order], axes[:, order].T
    signs = np.sign(components[np.arange(len(components)), np.argmax(np.abs(components), 1)])
    components *= signs[:, None]
    floor = MIN_RELATIVE_VARIANCE * max(variances[0], np.finfo(float).tiny)
    return mean, components, np.sqrt(np.maximum(variances, floor))


def apply(codes, mean, components, scale):
    """Whitened ``codes`` (float64)."""
    return (np.asarray(codes, dtype=np.float64) - mean) @ components.T / scale


def undo(whitened, mean, components, scale):
    """Codes back from whitened ones (float64)."""
    return (np.asarray(whitened, dtype=np.float64) * scale) @ components + mean
