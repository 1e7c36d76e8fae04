"""``AutoencoderImputer(n_code_steps="auto")``: the step count chosen by the fit.

Numpy only: the imputation itself is a callable of the imputer's.
"""

import numpy as np

#: The step counts ``"auto"`` chooses among (``benchmarks/bench_impute_auto_steps.py``).
CANDIDATES = (0, 10, 25, 50, 100, 200, 400)
#: The share of the chosen rows' observed entries hidden to score each count.
HELD_FRACTION = 0.1
#: At most this many rows are scored: a seeded subset of larger sets.
MAX_ROWS = 1000


def scored_rows(n_rows, seed):
    """Sorted indices of at most :data:`MAX_ROWS` of ``n_rows`` rows, seeded."""
    if n_rows <= MAX_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng([seed, 11]).choice(n_rows, MAX_ROWS, replace=False))


def choose(rows, impute, seed, weights=None):
    """The count of :data:`CANDIDATES` that best restores hidden observed entries.

    A seeded :data:`HELD_FRACTION` of the observed entries of ``rows``
    (missing entries NaN) is hidden; ``impute(holes, n)`` fills the NaN of
    ``holes`` with ``n`` code steps. Returns the count whose fills are
    closest to the hidden values in squared error, the rows weighted by
    ``weights`` (the smallest of equals; 0 where no entry could be hidden).
    Every column counts alike, as in the training loss: the imputer scales
    all columns by one common scale.
    """
    observed = ~np.isnan(rows)
    held = observed & (np.random.default_rng([seed, 13]).random(rows.shape) < HELD_FRACTION)
    if not held.any():
        return 0
    holes = np.where(held, np.nan, rows)
    weights = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
    entry_weights = (weights[:, None] * np.ones(rows.shape))[held]

    def error(n):
        return np.sum(entry_weights * (impute(holes, n) - rows)[held] ** 2) / np.sum(entry_weights)

    errors = [error(n) for n in CANDIDATES]
    return CANDIDATES[int(np.argmin(errors))]
