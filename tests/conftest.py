import os
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def pytest_configure(config):
    """On JAX, the test workers share compiled programs through JAX's disk cache.

    Many tests fit the same small architectures; each xdist worker would
    compile them again. The cache holds XLA executables only (the same
    programs JAX would compile), under .pytest_cache, never in the library.
    """
    if os.environ.get("KERAS_BACKEND") != "jax":
        return
    import jax

    cache = Path(config.rootpath) / ".pytest_cache" / "jax-compilation"
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """An xdist worker leaves without tearing its interpreter down.

    By its last hook, a worker has sent every report to the controller, which
    waits for the worker's process to end. Tearing down an interpreter that
    has built TensorFlow graphs for hundreds of fits took 3 to 9 s of
    ``make test``'s time (the controller waits up to 10 s); nothing the
    tests check happens in it. A run without xdist exits as usual.

    A worker is told by the ``workerinput`` xdist gives its config, not by
    the ``PYTEST_XDIST_WORKER`` variable: a pytest started from inside a
    worker (``tests/test_harness.py``) inherits that variable, and its
    controller would leave with status 0 before reporting a failure.
    """
    if not hasattr(config, "workerinput"):
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


@pytest.fixture(scope="session")
def digits():
    """Digits scaled to [0, 1], as (X, y)."""
    data = load_digits()
    return data.data / 16.0, data.target


@pytest.fixture(scope="session")
def digits_split(digits):
    """The 75/25 split the issues' goals are stated on: Xtr, Xte, ytr, yte."""
    X, y = digits
    return train_test_split(X, y, test_size=0.25, random_state=42)


@pytest.fixture
def small_X():
    return np.random.default_rng(0).normal(size=(40, 6))


def mse(a, b):
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))
