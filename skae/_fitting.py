"""The steps of a fit that :class:`~skae.BaseAutoencoder`'s template runs
around the training engine: the validation split, the TensorBoard run folder
and the checks on the finished run.

The template (``BaseAutoencoder._fit``) decides the order and owns the
estimator's state; these functions compute from the values they are given
(or raise, or warn) and set nothing on the estimator.
"""

import copy
import importlib.util
import os
import sys
import time
import uuid
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state


def fit_seed(random_state, peek=False):
    """The seed of a fit, one draw from ``random_state`` (an int, a RandomState or None).

    ``peek=True`` draws from a copy, so that ``random_state`` itself is left
    for the fit: the value is the seed the next fit with it will take.
    """
    rng = check_random_state(random_state)
    return int((copy.deepcopy(rng) if peek else rng).randint(np.iinfo(np.int32).max))


def split_rows(n_samples, validation_fraction, seed):
    """Random, sorted train / validation row indices, ``validation_fraction`` held out."""
    n_val = int(round(validation_fraction * n_samples))
    if n_val >= n_samples:
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves no training rows "
            f"out of n_samples={n_samples}; lower it or pass more samples."
        )
    rows = np.random.default_rng([seed, 1]).permutation(n_samples)
    return np.sort(rows[n_val:]), np.sort(rows[:n_val])


def new_run_dir(log_dir, name, n_components):
    """A fresh TensorBoard folder under ``log_dir`` for one fit, or None.

    Every fit gets its own subfolder, so the candidates and folds of a
    ``GridSearchCV`` never overwrite each other's logs.
    """
    if log_dir is None:
        return None
    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            f"log_dir={log_dir!r} needs the tensorboard package: "
            "pip install tensorboard (or skae[tensorboard])."
        )
    folder = f"{name}-k{n_components}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    return os.path.join(os.fspath(log_dir), folder)


def check_run(name, losses, *, n_iter, learning_rate, ran_out, epochs, n_iter_no_change):
    """A diverged run is an error; a fit that early stopping did not end (``ran_out``),
    a warning."""
    if losses and not np.isfinite(losses[-1]):
        raise FloatingPointError(
            f"Training diverged: the loss became {losses[-1]} at epoch {n_iter}. "
            f"Lower learning_rate (now {learning_rate}) or use another "
            "optimizer or loss."
        )
    if ran_out:
        warnings.warn(
            f"{name} ran all epochs={epochs} before early stopping "
            f"(n_iter_no_change={n_iter_no_change}) ended training: the monitored "
            "loss was still improving. Raise epochs to train to convergence.",
            ConvergenceWarning,
            stacklevel=_caller_outside_the_libraries(),
        )


def _caller_outside_the_libraries():
    """The ``stacklevel`` that points a warning at the first caller outside skae
    and scikit-learn (the user's ``fit`` line; in a search, the frame that runs
    scikit-learn's fit, joblib's), however deep the subclass's overrides and
    scikit-learn's decorators nest the call."""
    import sklearn

    folders = tuple(
        os.path.dirname(os.path.abspath(module.__file__)) + os.sep
        for module in (sys.modules[__package__], sklearn)
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(folders):
        frame, level = frame.f_back, level + 1
    return level
