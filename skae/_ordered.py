"""Ordered codes (``ordered=True``): which codes a fit trains and keeps, and what each adds.

An ordered fit trains one network whose every prefix of the code is a good
code of its size (:class:`~skae._keras.models.OrderedAutoencoder`), so the
first k codes serve as a k-code model, as PCA's first k components do. This
module computes with NumPy only: the width the networks are built with, the
prefix sizes trained, the explained-variance ratios of the fitted codes and
the number of codes kept (``n_components_``).
"""

import warnings
from numbers import Integral

import numpy as np

from ._fitting import _caller_outside_the_libraries

#: The code width an ordered fit trains when ``n_components`` is a fraction
#: and ``max_components`` is None (capped at the number of features). The
#: digits reach R^2 0.99 well below it; a wider code costs more, each
#: prefix size decoding every batch once (``benchmarks/bench_ordered.py``).
DEFAULT_MAX_COMPONENTS = 64

#: Rows of the training data the explained-variance ratios are measured on,
#: drawn with the fit's seed where there are more.
RATIO_ROWS = 5000


def check_parameters(estimator):
    """Raise a ValueError for combinations of ``n_components``, ``ordered``,
    ``max_components`` and other parameters that ordered codes cannot serve."""
    name = type(estimator).__name__
    n_components, max_components = estimator.n_components, estimator.max_components
    fraction = not isinstance(n_components, Integral)
    if not estimator.ordered:
        if fraction:
            raise ValueError(
                f"n_components={n_components!r} (a fraction of the explained variance) needs "
                f"ordered=True: {name} then keeps the fewest codes that reach it. Pass "
                "ordered=True, or an integer n_components."
            )
        if max_components is not None:
            raise ValueError(
                f"max_components={max_components!r} is the width of an ordered fit and needs "
                "ordered=True; with ordered=False the code has n_components values."
            )
        return
    if not fraction and max_components is not None and n_components > max_components:
        raise ValueError(
            f"n_components={n_components} keeps the first n_components of the "
            f"max_components={max_components} codes an ordered fit trains, so it must be "
            "at most max_components."
        )
    if getattr(estimator, "whiten", False):
        raise ValueError(
            "whiten=True rotates the codes onto their principal axes, which undoes their "
            "order: it cannot be combined with ordered=True."
        )
    if not isinstance(estimator.loss, str):
        raise ValueError(
            "ordered=True trains with a named loss ('mse', 'mae', 'huber' or "
            f"'binary_crossentropy'); got the callable loss={estimator.loss!r}."
        )


def network_width(n_components, max_components, ordered, n_features):
    """How many codes the networks are built with."""
    if not ordered or max_components is None and isinstance(n_components, Integral):
        return int(n_components)
    if max_components is not None:
        return int(max_components)
    return int(min(n_features, DEFAULT_MAX_COMPONENTS))


def prefix_sizes(width):
    """The code sizes an ordered fit trains: the powers of two below ``width``, and ``width``."""
    sizes = []
    k = 1
    while k < width:
        sizes.append(k)
        k *= 2
    return tuple(sizes) + (int(width),)


def ratio_rows(n_samples, seed):
    """The training rows the ratios are measured on: all, or :data:`RATIO_ROWS` of them."""
    if n_samples <= RATIO_ROWS:
        return np.arange(n_samples)
    return np.sort(np.random.default_rng([seed, 2]).choice(n_samples, RATIO_ROWS, replace=False))


def explained_variance_ratio(X, codes, decode, weights=None):
    """What each code adds to the reconstruction's R^2 on rows X.

    ``R^2(k) = 1 - SSE(k) / SST``, where ``SSE(k)`` is the squared error of X
    decoded from its first k codes (the others absent) and ``SST`` the sum of
    squares of X about its mean, both over all features, in X's units and
    weighted by ``weights``: PCA's meaning, whose first k components explain
    ``R^2(k)`` of the variance. The ratio of code k is ``R^2(k) - R^2(k-1)``,
    with ``R^2(0) = 0`` (no code: the mean); the ratios sum to ``R^2(width) <= 1``.
    A code that adds nothing has a ratio near 0, which can be slightly negative.
    """
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = np.average(X, axis=0, weights=w)
    total = float(np.sum(w * np.sum((X - mean) ** 2, axis=1)))
    cumulative = np.empty(codes.shape[1])
    for k in range(1, codes.shape[1] + 1):
        error = X - decode(codes[:, :k])
        cumulative[k - 1] = 1.0 - float(np.sum(w * np.sum(error**2, axis=1))) / max(total, 1e-300)
    return np.diff(cumulative, prepend=0.0)


def kept_components(n_components, ratios, name):
    """``n_components_``: an integer kept as it is, a fraction as PCA reads it.

    The fewest codes whose cumulative ratio exceeds the fraction
    (``searchsorted(cumsum, n_components, side="right") + 1``, as
    :class:`~sklearn.decomposition.PCA`); all of them, with a warning, where
    even the full width does not reach it.
    """
    if isinstance(n_components, Integral):
        return int(n_components)
    cumulative = np.cumsum(ratios)
    kept = int(np.searchsorted(cumulative, n_components, side="right")) + 1
    if kept > len(ratios):
        warnings.warn(
            f"{name}'s {len(ratios)} codes explain {cumulative[-1]:.3f} of the variance, "
            f"less than n_components={n_components}: all {len(ratios)} are kept. Raise "
            "max_components (or train longer) to reach the fraction.",
            UserWarning,
            stacklevel=_caller_outside_the_libraries(),
        )
        kept = len(ratios)
    return kept


def parameter_constraints():
    """The constraints of ``n_components`` (an int, or a fraction in (0, 1)),
    ``ordered`` and ``max_components``, for the estimators that have them."""
    from sklearn.utils._param_validation import Interval, RealNotInt

    return {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "ordered": ["boolean"],
        "max_components": [Interval(Integral, 1, None, closed="left"), None],
    }
