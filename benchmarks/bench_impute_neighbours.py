"""An experiment for issue 31: AutoencoderImputer's fill refined by neighbours.

KNNImputer beats the autoencoder's fill on the digits (1.02 / 1.04 / 0.95 x
its RMSE at 10 / 30 / 50% missing, ``bench_impute.py``): its five nearest
rows are near-copies. Here the two are combined. The fitted imputer
completes the training rows and the test rows; each test row's k nearest
training rows are found by the Euclidean distance between the *completed*
rows (all features, where KNNImputer's nan-Euclidean distance sees only the
entries both rows observe), and each hidden entry is filled with the mean
of the neighbours' values there (observed, or their completion), blended
with the autoencoder's own fill: ``a * autoencoder + (1 - a) * neighbours``.
Also ``0.5 * autoencoder + 0.5 * KNNImputer``. The figure is the RMSE on
the hidden test entries over KNNImputer(5)'s, protocol of ``bench_impute.py``
(75/25 split, random_state=42, entries hidden completely at random).
Writes results/impute_neighbours.json.

Run: ``python benchmarks/bench_impute_neighbours.py [--lfw]``.
"""

import argparse
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_impute import hide_at_random  # noqa: E402
from sklearn.impute import KNNImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderImputer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

warnings.filterwarnings("ignore")


def neighbour_fill(train_filled, train_missing, test_filled, k):
    """Each test row's k nearest completed training rows: the mean of their values."""
    distances = (
        (test_filled**2).sum(1)[:, None]
        - 2 * test_filled @ train_filled.T
        + (train_filled**2).sum(1)[None]
    )
    nearest = np.argsort(distances, axis=1)[:, :k]
    observed = ~np.isnan(train_missing[nearest])
    values = np.where(observed, np.nan_to_num(train_missing[nearest]), train_filled[nearest])
    return values.mean(axis=1)


def run(dataset, X):
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    rows = []
    for fraction in (0.1, 0.3, 0.5):
        train, test, hidden = hide_at_random(X_train, X_test, fraction)

        def rmse(filled, hidden=hidden):
            return float(np.sqrt(np.mean((filled[hidden] - X_test[hidden]) ** 2)))

        knn = KNNImputer().fit(train).transform(test)
        imputer = AutoencoderImputer(random_state=0).fit(train)
        train_filled, test_filled = imputer.transform(train), imputer.transform(test)
        x_knn = {"autoencoder": rmse(test_filled) / rmse(knn)}
        for k in (5, 10):
            neighbours = np.where(
                np.isnan(test), neighbour_fill(train_filled, train, test_filled, k), test
            )
            for a in (0.0, 0.3, 0.5):
                blend = a * test_filled + (1 - a) * neighbours
                x_knn[f"k={k}, a={a}"] = rmse(blend) / rmse(knn)
        x_knn["0.5 autoencoder + 0.5 KNNImputer"] = rmse(0.5 * test_filled + 0.5 * knn) / rmse(knn)
        rows.append({"dataset": dataset, "missing_fraction": fraction, "x_knn": x_knn})
        shown = "  ".join(f"{name} {value:.3f}" for name, value in x_knn.items())
        print(f"{dataset} {fraction:.0%}: {shown}", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", action="store_true", help="also the LFW faces (minutes)")
    args = parser.parse_args()
    X_digits, _ = load_digits_scaled()
    rows = run("digits", X_digits)
    if args.lfw:
        images, _, _ = load_lfw_npz(resize=0.4)
        rows += run("lfw", images.reshape(len(images), -1))
    save("impute_neighbours", {"split": "75/25, random_state=42", "rows": rows})


if __name__ == "__main__":
    main()
