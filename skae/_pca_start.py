"""PCA as the sequence model's starting point, and the test that asks for it.

The sequence network's linear maps (``linear_skip``) are PCA's model class:
a map from the flattened sequence to the code and one from the code back to
every step. Where few sequences have many values each (faces read row by
row: about 1000 sequences of 50 x 37 values), training from random weights
ends short of PCA on held-out data (``bench_sequence_pca_init.py``). Started
as PCA - the linear maps at PCA's components and fixed there, the recurrent
branches' last layers at zero - the network is PCA plus what the recurrent
branches learn to add, and early stopping keeps that only while it helps
(``bench_sequence_residual.py``).

Everything here is NumPy on the standardised network rows; the weights are
set by :func:`skae._keras.builders.start_as_pca`.
"""

import numpy as np
from sklearn.utils.extmath import randomized_svd

# Rows that PCA is fitted on, and that the validation comparison reads, at
# most: a random subset of larger fits (the statistic, not the data, is what
# the start needs).
MAX_ROWS = 20_000

# Above this many values (rows x features) the components come from the
# randomized SVD (Halko et al.) rather than the exact one.
EXACT_SVD_VALUES = 20_000_000


def subset(rows, seed):
    """Sorted ``rows``, or a seeded random :data:`MAX_ROWS` of them."""
    rows = np.asarray(rows)
    if len(rows) > MAX_ROWS:
        rows = np.random.default_rng([seed, 7]).choice(rows, MAX_ROWS, replace=False)
    return np.sort(rows)


def flat_rows(inputs, rows):
    """``inputs[rows]`` (sorted indices), one float64 row per sequence."""
    return np.asarray(inputs[rows], dtype=np.float64).reshape(len(rows), -1)


def pca_maps(Z, weights, n_components, seed):
    """``(components, mean)`` of PCA(n_components) on the rows Z, row-weighted.

    ``components`` has shape (n_components, n_features), the principal axes
    by decreasing variance; ``mean`` the weighted mean. Weights weigh each
    row's square error, as the sample weights do in the network's loss.
    """
    weights = np.ones(len(Z)) if weights is None else np.asarray(weights, np.float64)
    mean = np.average(Z, axis=0, weights=weights)
    centred = (Z - mean) * np.sqrt(weights / weights.sum())[:, None]
    if centred.size > EXACT_SVD_VALUES:
        _, _, components = randomized_svd(centred, n_components, random_state=seed)
    else:
        components = np.linalg.svd(centred, full_matrices=False)[2][:n_components]
    return components, mean


def pca_error(Z, weights, components, mean):
    """Weighted mean squared error of the PCA reconstruction of the rows Z."""
    centred = Z - mean
    residual = centred - (centred @ components.T) @ components
    return weighted_mse(residual, weights)


def start_val_loss(rows_data, val_rows, components, mean):
    """The validation loss of a network started as PCA (``components``, ``mean``).

    What the engine reports as ``val_loss`` for the mean squared error: each
    validation row's mean squared error times its weight, summed and divided
    by the number of rows. ``rows_data(rows)`` gives the
    :class:`~skae._keras.fit_description.FitData` of the sorted ``rows``,
    read :data:`MAX_ROWS` at a time.
    """
    total = 0.0
    for start in range(0, len(val_rows), MAX_ROWS):
        data = rows_data(val_rows[start : start + MAX_ROWS])
        Z = np.asarray(data.inputs, dtype=np.float64).reshape(len(data.inputs), -1)
        weights = data.sample_weight[0] if data.sample_weight else np.ones(len(Z))
        total += pca_error(Z, weights, components, mean) * float(np.sum(weights))
    return total / len(val_rows)


def weighted_mse(residual, weights):
    """Mean squared ``residual``, each row weighted (None: equally)."""
    per_row = np.mean(residual.reshape(len(residual), -1) ** 2, axis=1)
    return float(np.average(per_row, weights=weights))


def start_problem(
    *, linear_skip, own_networks, output_activation, linear_output, n_rows, n_values, n_components
):
    """Why a sequence network cannot start as PCA, or "" where it can."""
    if not linear_skip:
        return "needs linear_skip=True: PCA's maps are the network's linear maps."
    if own_networks:
        return "needs the built-in networks (encoder=None, decoder=None)."
    if not linear_output:
        return (
            f"needs a linear output_activation (PCA's reconstruction is linear), "
            f"got {output_activation!r}."
        )
    if min(n_rows, n_values) < n_components:
        return (
            f"needs at least n_components={n_components} training sequences "
            f"(got {n_rows}) of at least as many values (got {n_values})."
        )
    return ""


def pca_validation_error(data, train_rows, val_rows, n_components, seed):
    """Weighted MSE of PCA fitted on ``train_rows``, reconstructing ``val_rows``.

    ``data``: :class:`~skae._keras.fit_description.FitData` (standardised
    rows, their weights), of which the sorted ``train_rows`` and
    ``val_rows`` are read (callers take at most :data:`MAX_ROWS` of each,
    :func:`subset`); the error is on the standardised values, the
    network's loss. ``seed`` seeds the randomized SVD of large fits.
    """
    weights = data.sample_weight[0] if data.sample_weight else None
    components, mean = pca_maps(
        flat_rows(data.inputs, train_rows),
        None if weights is None else weights[train_rows],
        n_components,
        seed,
    )
    val_weights = None if weights is None else weights[val_rows]
    return pca_error(flat_rows(data.inputs, val_rows), val_weights, components, mean)


def pca_reconstructs_better(pca_validation_error, data, reconstruct):
    """Whether PCA's error (:func:`pca_validation_error`) is below the network's on
    the rows of ``data`` (the validation rows PCA's error was measured on).

    ``reconstruct``: the trained network's output for an array of its input
    rows. The network's error is weighted like PCA's.
    """
    weights = data.sample_weight[0] if data.sample_weight else None
    Z = np.asarray(data.inputs, dtype=np.float64).reshape(len(data.inputs), -1)
    network = np.asarray(reconstruct(np.asarray(data.inputs))).reshape(len(Z), -1)
    return pca_validation_error < weighted_mse(network - Z, weights)
