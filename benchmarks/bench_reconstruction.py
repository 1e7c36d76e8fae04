"""Held-out reconstruction MSE: PCA vs AutoencoderTransformer, digits and LFW faces.

75/25 split with random_state=42, default AutoencoderTransformer parameters,
n_components in {4, 8, 16, 32}. Writes results/reconstruction.json.
"""

import time

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

N_COMPONENTS = (4, 8, 16, 32)


def timed_fit(model, X):
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start


def held_out_mse(model, X):
    return float(np.mean((X - model.inverse_transform(model.transform(X))) ** 2))


def run(dataset, X):
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    rows = []
    for n in N_COMPONENTS:
        pca, ae = PCA(n_components=n), AutoencoderTransformer(n_components=n, random_state=0)
        pca_seconds, ae_seconds = timed_fit(pca, X_train), timed_fit(ae, X_train)
        pca_mse, ae_mse = held_out_mse(pca, X_test), held_out_mse(ae, X_test)
        row = {
            "dataset": dataset,
            "n_components": n,
            "pca_mse": pca_mse,
            "ae_mse": ae_mse,
            "ratio": ae_mse / pca_mse,
            "pca_fit_s": pca_seconds,
            "ae_fit_s": ae_seconds,
            "ae_epochs": ae.n_iter_,
        }
        rows.append(row)
        print(
            f"{dataset:7s} k={n:3d}  PCA {pca_mse:.5f}  AE {ae_mse:.5f}  ratio {row['ratio']:.2f}"
            f"  fit PCA {pca_seconds:.2f}s AE {ae_seconds:.1f}s ({ae.n_iter_} epochs)",
            flush=True,
        )
    return rows


def main():
    X_digits, _ = load_digits_scaled()
    images, _, _ = load_lfw_npz(resize=0.4)
    X_faces = images.reshape(len(images), -1)
    rows = run("digits", X_digits) + run("lfw", X_faces)
    save("reconstruction", {"split": "75/25, random_state=42", "rows": rows})


if __name__ == "__main__":
    main()
