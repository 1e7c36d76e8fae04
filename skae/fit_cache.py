"""Trained networks shared between fits that differ only in ``n_components``.

An ordered fit (``ordered=True``) trains ``max_components`` codes whatever
``n_components`` is; ``n_components`` only chooses how many of them are
kept. So a search over ``n_components`` (``GridSearchCV``,
``RandomizedSearchCV``) with ``max_components`` fixed needs one trained
network per fold, not one per candidate: skae keeps the last fits in a small
in-process cache, and a fit that would train exactly the same network again
takes it from there. The scores, the ``cv_results_`` and every fitted
attribute are those that training again would give.

**When a fit is shared.** Only an ordered fit whose code width does not
depend on ``n_components`` (``max_components`` set, or ``n_components`` a
fraction), with an integer ``random_state`` (training is then deterministic
on one machine), without ``callbacks`` or ``log_dir`` (their side effects
belong to each fit), with parameters that are plain values (names and
numbers, not objects or functions), on in-memory data, as a first fit (not
``warm_start`` continuing, not ``partial_fit``).

**Why it cannot return a stale model.** The key is everything training reads:
the class, every parameter except ``n_components`` and ``verbose``, the code
width, a SHA-256 digest of the training data (values, shape, dtype and
feature names) and of ``sample_weight``, the Keras backend and float type,
and skae's version. An entry holds the trained model as plain data (its
configuration and arrays, as a saved estimator does) and every fit that uses
it rebuilds its own model: training one estimator further never changes
another's, nor the cache.

**How it is bounded.** At most 8 entries and 256 MiB of arrays, the least
recently used dropped first; an entry larger than the whole budget is never
kept. Each process has its own cache: with ``n_jobs > 1`` the candidates a
worker runs share its fits only. ``set_limits(max_entries=0)`` turns it off;
:func:`clear` empties it.

Examples
--------
>>> from skae import fit_cache
>>> previous = fit_cache.set_limits(max_entries=0)  # off
>>> fit_cache.info()["max_entries"]
0
>>> _ = fit_cache.set_limits(**previous)  # as before
>>> fit_cache.clear()
"""

import copy
import hashlib
from collections import OrderedDict
from numbers import Integral, Real

import numpy as np

__all__ = ["clear", "info", "set_limits"]

_entries = OrderedDict()
_limits = {"max_entries": 8, "max_bytes": 256 * 2**20}
_counts = {"hits": 0, "misses": 0}


def set_limits(*, max_entries=None, max_bytes=None):
    """Bound the cache; ``max_entries=0`` turns it off. Returns the previous limits.

    Parameters
    ----------
    max_entries : int, default=None
        How many fits to keep (8 at start); None leaves it as it is.
    max_bytes : int, default=None
        How many bytes of arrays to keep (256 MiB at start); None leaves it.

    Returns
    -------
    previous : dict
        ``{"max_entries": ..., "max_bytes": ...}`` before the call.
    """
    previous = dict(_limits)
    for name, value in (("max_entries", max_entries), ("max_bytes", max_bytes)):
        if value is None:
            continue
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
        _limits[name] = int(value)
    _evict()
    return previous


def clear():
    """Drop every kept fit and zero the hit and miss counts (the limits stay)."""
    _entries.clear()
    _counts.update(hits=0, misses=0)


def info():
    """The limits, the entries and bytes held, and the hits and misses so far."""
    return {
        **_limits,
        "entries": len(_entries),
        "bytes": sum(size for _, size in _entries.values()),
        **_counts,
    }


def key(estimator, X, sample_weight):
    """The cache key of a fit of ``estimator`` on validated X, or None where it is not shared."""
    if not (_limits["max_entries"] and estimator._ordered_codes):
        return None
    params = estimator.get_params(deep=False)
    width_set_by_n = params["max_components"] is None and isinstance(
        params["n_components"], Integral
    )
    if width_set_by_n or not isinstance(params["random_state"], Integral):
        return None
    if params.get("callbacks") is not None or params.get("log_dir") is not None:
        return None
    kept = {k: v for k, v in params.items() if k not in ("n_components", "verbose")}
    if not all(_plain(value) for value in kept.values()) or not isinstance(X, np.ndarray):
        return None
    from . import __version__
    from ._keras import import_keras

    keras = import_keras()

    return (
        type(estimator).__module__,
        type(estimator).__qualname__,
        tuple(sorted((k, repr(v)) for k, v in kept.items())),
        estimator._code_width(),
        _digest(X, getattr(estimator, "feature_names_in_", None)),
        None if sample_weight is None else _digest(np.asarray(sample_weight, dtype=float)),
        keras.backend.backend(),
        keras.backend.floatx(),
        __version__,
    )


def get(cache_key):
    """A deep copy of the entry for ``cache_key``, or None (counted as a hit or a miss)."""
    if cache_key is None:
        return None
    if cache_key not in _entries:
        _counts["misses"] += 1
        return None
    _counts["hits"] += 1
    _entries.move_to_end(cache_key)
    return copy.deepcopy(_entries[cache_key][0])


def put(cache_key, entry):
    """Keep a deep copy of ``entry`` (plain data: dicts, lists, numbers, arrays)."""
    if cache_key is None:
        return
    size = _nbytes(entry)
    if size > _limits["max_bytes"]:
        return
    _entries[cache_key] = (copy.deepcopy(entry), size)
    _entries.move_to_end(cache_key)
    _evict()


def _evict():
    while _entries and (
        len(_entries) > _limits["max_entries"]
        or sum(size for _, size in _entries.values()) > _limits["max_bytes"]
    ):
        _entries.popitem(last=False)


def _plain(value):
    if value is None or isinstance(value, (str, bool, Real)):
        return True
    return isinstance(value, (tuple, list)) and all(_plain(item) for item in value)


def _digest(array, names=None):
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(array.view(np.uint8).reshape(-1) if array.size else b"")
    digest.update(repr((array.shape, array.dtype.str)).encode())
    if names is not None:
        digest.update(repr(list(names)).encode())
    return digest.hexdigest()


def _nbytes(value):
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0
