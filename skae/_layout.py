"""Samples with a shape (images, sequences) given as arrays, seen as flat rows."""

import numpy as np
import scipy.sparse as sp

from ._streaming import OutOfCoreRows, is_out_of_core


def sample_layout(X, sample_ndims):
    """Flatten X to rows when each sample is itself an array of ``sample_ndims`` dims.

    Parameters
    ----------
    X : array-like
        The input of ``fit`` or ``transform``.
    sample_ndims : tuple of int
        Numbers of dimensions a sample may have (images: (2, 3); sequences: (2,)).

    Returns
    -------
    X : array-like
        Flat rows ``(n_samples, n_values)``. Out-of-core data comes back as
        :class:`~skae._streaming.OutOfCoreRows`, flattened block by block as
        it is read.
    sample_shape : tuple or None
        The shape of one sample, or None when X was given as rows.
    """
    if sp.issparse(X) or hasattr(X, "iloc") or _ndim(X) - 1 not in sample_ndims:
        return X, None
    if is_out_of_core(X):
        return OutOfCoreRows(X), tuple(int(s) for s in X.shape[1:])
    X = np.asarray(X)
    return X.reshape(len(X), -1), X.shape[1:]


def _ndim(X):
    """Number of dimensions of X without converting array-likes that forbid it."""
    if hasattr(X, "ndim"):
        return X.ndim
    if hasattr(X, "shape"):
        return len(X.shape)
    return np.ndim(X) if isinstance(X, (list, tuple)) else 2
