"""Input as scikit-learn validates it: samples as rows (in memory, sparse, out of core),
sample weights, codes."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._streaming import OutOfCoreRows, assert_finite, map_blocks

# Sparse input is densified up to this many values (80 MB as float64).
MAX_DENSIFIED_VALUES = 10_000_000
# Sparse formats scikit-learn checks for NaN and infinity; others (DOK,
# LIL, DIA) are converted to the first before the check, which scikit-learn
# otherwise skips for DOK and passes for LIL.
CHECKED_SPARSE_FORMATS = ["csr", "csc", "coo"]
# Dense input of at least this many values is checked for NaN and infinity
# block by block, in threads.
THREADED_CHECK_VALUES = 4_000_000


def validate_samples(estimator, X, reset):
    """X validated for ``estimator`` as a 2-D float array of rows (or OutOfCoreRows).

    Whether X is read in pieces is decided here, once. Samples given as
    arrays (images, sequences) are flattened to rows by the estimator's
    ``_sample_layout``, which is resolved as ``layout_`` (and the layout's
    fitted shape attribute) when ``reset``; otherwise they must have the
    fitted layout's shape.
    """
    spec = estimator._sample_layout
    out_of_core = is_out_of_core(X)
    X, sample_shape = _as_rows(X, spec.sample_ndims, out_of_core)
    if not reset:
        check_is_fitted(estimator)
        estimator.layout_.check(sample_shape, type(estimator).__name__)
    if out_of_core:
        X = _validate_out_of_core(estimator, X, reset)
    else:
        X = validate_rows(estimator, X, reset, estimator._ensure_all_finite)
    if reset:
        declared = getattr(estimator, spec.shape_parameter) if spec.shape_parameter else None
        layout = estimator.layout_ = spec.resolve(X.shape[1], sample_shape, declared)
        if spec.fitted_attribute is not None:
            if layout.kind == "rows":
                estimator.__dict__.pop(spec.fitted_attribute, None)
            else:
                setattr(estimator, spec.fitted_attribute, layout.network_shape)
    return X


def is_out_of_core(X):
    """Whether skae reads X in pieces instead of loading it.

    True for a :class:`numpy.memmap` and for array-likes that have ``shape``,
    ``dtype`` and ``__getitem__`` but are neither NumPy arrays, pandas objects,
    sparse matrices nor in-memory arrays of another library (those that have
    ``__array_namespace__``).
    """
    if isinstance(X, OutOfCoreRows):
        return True
    if isinstance(X, np.memmap):
        return X.ndim >= 2  # a 1-D memmap gets scikit-learn's own error
    return (
        not isinstance(X, np.ndarray)
        and not sp.issparse(X)
        and not hasattr(X, "iloc")
        and not hasattr(X, "__array_namespace__")
        and all(hasattr(X, name) for name in ("shape", "dtype", "__getitem__"))
        and len(X.shape) >= 2
    )


def _as_rows(X, sample_ndims, out_of_core):
    """Flatten X to rows when each sample is itself an array of ``sample_ndims`` dims.

    Returns
    -------
    X : array-like
        Flat rows ``(n_samples, n_values)``, or X unchanged when it was given
        as rows (or is sparse or a DataFrame). Out-of-core data comes back as
        :class:`~skae._streaming.OutOfCoreRows`, flattened block by block.
    sample_shape : tuple or None
        The shape of one sample, or None when X was given as rows.
    """
    if sp.issparse(X) or hasattr(X, "iloc") or _ndim(X) - 1 not in sample_ndims:
        return X, None
    if out_of_core:
        return OutOfCoreRows(X), tuple(int(s) for s in X.shape[1:])
    X = np.asarray(X)
    return X.reshape(len(X), -1), tuple(X.shape[1:])


def _ndim(X):
    """Number of dimensions of X without converting array-likes that forbid it."""
    if hasattr(X, "ndim"):
        return X.ndim
    if hasattr(X, "shape"):
        return len(X.shape)
    return np.ndim(X) if isinstance(X, (list, tuple)) else 2


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


def validate_codes(estimator, Z):
    """Latent codes Z for ``estimator.inverse_transform``: a float array of
    ``n_components_`` columns (of 1 to ``n_components_`` for ordered codes)."""
    Z = check_array(Z, dtype=[np.float64, np.float32], input_name="X")
    kept = estimator._n_kept()
    if estimator._ordered_codes and 1 <= Z.shape[1] <= kept:
        return Z  # the first k codes; the others absent
    if Z.shape[1] != kept:
        expected = (
            f"between 1 and {kept} features (n_components_)"
            if estimator._ordered_codes
            else f"{kept} features (n_components)"
        )
        raise ValueError(
            f"X has {Z.shape[1]} features, but {type(estimator).__name__}.inverse_transform "
            f"is expecting {expected} as input."
        )
    return Z


def _validate_out_of_core(estimator, X, reset):
    """Out-of-core X as OutOfCoreRows, checked by scikit-learn on its first row.

    The feature count and dtype are checked on the first row only; every
    later read is checked for NaN and infinity as it happens.
    """
    if not isinstance(X, OutOfCoreRows) and len(X.shape) != 2:
        raise ValueError(
            f"Found array with dim {len(X.shape)}. {type(estimator).__name__} expected "
            "a 2-D array of shape (n_samples, n_features)."
        )
    rows = X if isinstance(X, OutOfCoreRows) else OutOfCoreRows(X)
    validate_data(estimator, rows[:1], reset=reset, dtype=[np.float64, np.float32])
    return rows


def validate_rows(estimator, X, reset, ensure_all_finite):
    """In-memory X validated by scikit-learn for ``estimator``: a dense float array."""
    threaded_check = (
        ensure_all_finite is True and isinstance(X, np.ndarray) and X.size >= THREADED_CHECK_VALUES
    )
    try:
        # scikit-learn's finite check sums X first: +inf and -inf together
        # make a RuntimeWarning there before its own clear ValueError.
        with np.errstate(invalid="ignore"):
            X = validate_data(
                estimator,
                X,
                reset=reset,
                accept_sparse=CHECKED_SPARSE_FORMATS,
                dtype=[np.float64, np.float32],
                ensure_all_finite=False if threaded_check else ensure_all_finite,
            )
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        raise ValueError(
            f"X must hold numbers only, but {exc}. Encode text or categorical "
            "columns first (for example with OneHotEncoder)."
        ) from exc
    if threaded_check:
        assert_finite_in_threads(X, type(estimator).__name__)
    if sp.issparse(X):
        X = densify(X)
    return X


def assert_finite_in_threads(X, estimator_name):
    """scikit-learn's NaN and infinity check of a large X, row blocks in threads.

    The same check and message as ``validate_data``'s, which reads X in one
    thread; the first bad block in row order raises.
    """
    map_blocks(lambda block: assert_finite(block, estimator_name), X)


def densify(X):
    """A dense copy of sparse X, refused above :data:`MAX_DENSIFIED_VALUES`."""
    n_values = X.shape[0] * X.shape[1]
    if n_values > MAX_DENSIFIED_VALUES:
        raise TypeError(
            f"A sparse matrix of shape {X.shape} ({n_values} values) is too large to "
            f"densify; skae densifies sparse input only up to {MAX_DENSIFIED_VALUES} "
            "values. Reduce it first (for example with TruncatedSVD) or pass a "
            "dense array or memmap."
        )
    return X.toarray()
