"""Imputation RMSE on entries hidden completely at random: 10%, 30%, 50%.

AutoencoderImputer (defaults) beside SimpleImputer (mean), KNNImputer and
IterativeImputer, on digits and on the LFW faces (50 x 37), 75/25 split with
random_state=42: each imputer is fitted on the incomplete training rows and
fills the hidden entries of the test rows. The defaults before version 0.2
(16 codes, one hidden layer of 128, 32 rows per batch) run beside today's in
the same process, for the fit-time ratio, and ``n_code_steps="auto"`` (each
row's code fitted to its observed entries at transform, the number of steps
chosen by the fit) beside them; one small
untimed fit first takes the imports and the first compilation out of the
timings. On faces IterativeImputer is run with n_nearest_features=50 and
max_iter=3: with all 1850 features it does not finish in a reasonable time
on 2 cores. Writes results/impute.json.
"""

import time
import warnings

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.experimental import enable_iterative_imputer  # noqa: E402, F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderImputer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402


def imputers(dataset):
    iterative = (
        IterativeImputer(max_iter=10, random_state=0)
        if dataset == "digits"
        else IterativeImputer(max_iter=3, n_nearest_features=50, random_state=0)
    )
    return {
        "SimpleImputer(mean)": SimpleImputer(),
        "KNNImputer": KNNImputer(),
        "IterativeImputer": iterative,
        "AutoencoderImputer": AutoencoderImputer(random_state=0),
        "AutoencoderImputer(n_code_steps='auto')": AutoencoderImputer(
            n_code_steps="auto", random_state=0
        ),
        "AutoencoderImputer(0.1 defaults)": AutoencoderImputer(
            n_components=16, hidden_layer_sizes=(128,), batch_size=32, random_state=0
        ),
    }


def hide_at_random(X_train, X_test, fraction):
    """``(train, test, hidden)``: ``fraction`` of the entries of both hidden (NaN)
    completely at random, with one seed, and the test entries hidden."""
    rng = np.random.default_rng(0)
    train = np.where(rng.random(X_train.shape) < fraction, np.nan, X_train)
    hidden = rng.random(X_test.shape) < fraction
    return train, np.where(hidden, np.nan, X_test), hidden


def missing_splits(X):
    """For 10%, 30% and 50% missing: ``(fraction, X_test, train, test, hidden)``
    of the 75/25 split with random_state=42 (see :func:`hide_at_random`)."""
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    for fraction in (0.1, 0.3, 0.5):
        yield (fraction, X_test, *hide_at_random(X_train, X_test, fraction))


def hidden_rmse(filled, X_test, hidden):
    """RMSE of ``filled`` on the hidden entries of the test rows."""
    return float(np.sqrt(np.mean((filled[hidden] - X_test[hidden]) ** 2)))


def data_sets():
    """``[(name, rows)]``: the digits and the LFW faces (50 x 37) as flat rows."""
    X_digits, _ = load_digits_scaled()
    images, _, _ = load_lfw_npz(resize=0.4)
    return [("digits", X_digits), ("lfw", images.reshape(len(images), -1))]


def run(dataset, X):
    AutoencoderImputer(epochs=1).fit(X[:64])
    rows = []
    for fraction, X_test, train, test, hidden in missing_splits(X):
        row = {"dataset": dataset, "missing_fraction": fraction}
        for name, imputer in imputers(dataset).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # IterativeImputer's convergence warnings
                filled = imputer.fit(train).transform(test)
            row[f"{name}_rmse"] = hidden_rmse(filled, X_test, hidden)
            row[f"{name}_s"] = time.perf_counter() - start
        rows.append(row)
        print(
            f"{dataset} {int(100 * fraction)}% missing: "
            + "  ".join(f"{n} {row[f'{n}_rmse']:.4f}" for n in imputers(dataset)),
            flush=True,
        )
    return rows


def main():
    rows = [row for name, X in data_sets() for row in run(name, X)]
    save("impute", {"split": "75/25, random_state=42", "rows": rows})


if __name__ == "__main__":
    main()
