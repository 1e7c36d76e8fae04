"""Issue 31's experiment: does the sequence model on faces stop too early?

``SequenceAutoencoder`` from random weights (the defaults before
``init="auto"``) on LFW 50 x 37 read row by row (75/25 split,
random_state=42, seed 0) stops early at 38 and 46 epochs and loses to PCA(k)
on the flattened rows. Trained longer: more patience
(``n_iter_no_change=25``), a ``ReduceLROnPlateau`` schedule, and a larger
learning rate with that schedule; held-out MSE as a ratio to PCA(k), fit
time and epochs. One small untimed fit first takes the imports and the first
compilation out of the timings. Writes results/sequence_schedule.json.
"""

import time
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

import keras  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import SequenceAutoencoder  # noqa: E402
from skae.datasets import load_lfw_npz  # noqa: E402


def plateau():
    return keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=5, min_lr=1e-5)


# The start these experiments were measured with (the defaults before
# init="auto", which may train a second time from PCA).
INIT = "random"

VARIANTS = {
    "defaults": dict,
    "n_iter_no_change=25": lambda: {"n_iter_no_change": 25},
    "ReduceLROnPlateau(0.3, patience=5)": lambda: {"callbacks": [plateau()]},
    "learning_rate=3e-3 + ReduceLROnPlateau": lambda: {
        "learning_rate": 3e-3,
        "callbacks": [plateau()],
    },
}


def main():
    faces, _, _ = load_lfw_npz(resize=0.4)
    X_train, X_test = train_test_split(faces, test_size=0.25, random_state=42)
    flat_train, flat_test = (A.reshape(len(A), -1) for A in (X_train, X_test))
    warnings.simplefilter("ignore")  # ConvergenceWarnings at the epoch limit
    SequenceAutoencoder(2, epochs=1).fit(X_train[:64])
    rows = []
    for k in (16, 32):
        pca = PCA(k).fit(flat_train)
        pca_mse = float(np.mean((flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2))
        for name, params in VARIANTS.items():
            start = time.perf_counter()
            model = SequenceAutoencoder(k, random_state=0, init=INIT, **params()).fit(X_train)
            fit_s = time.perf_counter() - start
            mse = float(np.mean((X_test - model.inverse_transform(model.transform(X_test))) ** 2))
            row = {
                "n_components": k,
                "variant": name,
                "ratio_to_pca": mse / pca_mse,
                "fit_s": fit_s,
                "epochs": int(model.n_iter_),
            }
            rows.append(row)
            print(f"k={k} {name}: x PCA {mse / pca_mse:.3f}, fit {fit_s:.1f} s, "
                  f"{row['epochs']} epochs", flush=True)  # fmt: skip
    save(
        "sequence_schedule",
        {"dataset": "lfw 50x37", "split": "75/25, random_state=42", "rows": rows},
    )


if __name__ == "__main__":
    main()
