"""Sample weights: validated once, rows of weight 0 left out."""

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from ._streaming import OutOfCoreRows


def weighted_rows(X, y, sample_weight):
    """``(X, y, weights)`` without the rows of weight 0; weights None when all equal.

    The weights are validated as scikit-learn validates them and divided by
    their mean, so that only their ratios matter. Leaving the rows of weight 0
    out (rather than weighing them 0) makes a fit exactly the fit without
    them; equal weights take the unweighted path, so ``sample_weight=ones``
    is exactly ``sample_weight=None``.
    """
    if sample_weight is None:
        return X, y, None
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    kept = np.flatnonzero(weights > 0)
    if len(kept) < len(weights):
        X = X.select(kept) if isinstance(X, OutOfCoreRows) else X[kept]
        y = None if y is None else np.asarray(y)[kept]
        weights = weights[kept]
    if np.all(weights == weights[0]):
        return X, y, None
    return X, y, weights / np.mean(weights)
