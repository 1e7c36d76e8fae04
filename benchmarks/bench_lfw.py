"""LFW faces (50 x 37, 7 people): PCA eigenfaces vs AutoencoderTransformer vs ConvAutoencoder.

75/25 split with random_state=42, pixels in [0, 1]. For n_components in
{16, 32, 64}: held-out reconstruction MSE, ratio to PCA, fit time. Then the
classification of the seed material: each fitted reducer's codes, standardised,
into an RBF SVC tuned by the same GridSearchCV, beside the reference
PCA(150, whiten=True) + SVC. Writes results/lfw.json.
"""

import time

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from skae import AutoencoderTransformer, ConvAutoencoder  # noqa: E402
from skae.datasets import load_lfw_npz  # noqa: E402

N_COMPONENTS = (16, 32, 64)
SVC_GRID = {"svc__C": [1, 10, 100, 1000], "svc__gamma": ["scale", 1e-3, 1e-2]}


def reducers(n):
    return {
        "PCA": PCA(n_components=n, random_state=0),
        "AutoencoderTransformer": AutoencoderTransformer(n_components=n, random_state=0),
        # flip_horizontal="auto" (the default) turns mirroring on for these faces
        "ConvAutoencoder": ConvAutoencoder(n_components=n, image_shape=(50, 37), random_state=0),
    }


def svc_accuracy(Z_train, Z_test, y_train, y_test):
    search = GridSearchCV(
        make_pipeline(StandardScaler(), SVC(kernel="rbf", class_weight="balanced")),
        SVC_GRID,
        cv=5,
        n_jobs=1,
    ).fit(Z_train, y_train)
    return float(search.score(Z_test, y_test)), search.best_params_


def main():
    images, y, _ = load_lfw_npz(resize=0.4)
    X = images.reshape(len(images), -1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    rows = []
    reference = PCA(n_components=150, whiten=True, random_state=0).fit(X_train)
    accuracy, params = svc_accuracy(
        reference.transform(X_train), reference.transform(X_test), y_train, y_test
    )
    rows.append(
        {
            "model": "PCA(150, whiten=True)",
            "n_components": 150,
            "accuracy": accuracy,
            "svc_params": params,
        }
    )
    print(f"PCA(150, whiten=True) + SVC accuracy {accuracy:.3f}", flush=True)
    for n in N_COMPONENTS:
        pca_mse = None
        for name, model in reducers(n).items():
            start = time.perf_counter()
            Z_train = model.fit_transform(X_train)
            fit_seconds = time.perf_counter() - start
            Z_test = model.transform(X_test)
            mse = float(
                np.mean((X_test - model.inverse_transform(Z_test).reshape(X_test.shape)) ** 2)
            )
            pca_mse = mse if name == "PCA" else pca_mse
            accuracy, params = svc_accuracy(Z_train, Z_test, y_train, y_test)
            row = {
                "model": name,
                "n_components": n,
                "test_mse": mse,
                "ratio_to_pca": mse / pca_mse,
                "fit_s": fit_seconds,
                "epochs": getattr(model, "n_iter_", None),
                "accuracy": accuracy,
                "svc_params": params,
            }
            rows.append(row)
            print(
                f"k={n:3d} {name:24s} MSE {mse:.5f} ({row['ratio_to_pca']:.2f} x PCA) "
                f"fit {fit_seconds:6.1f}s  SVC accuracy {accuracy:.3f}",
                flush=True,
            )
    save("lfw", {"split": "75/25, random_state=42", "svc_grid": str(SVC_GRID), "rows": rows})


if __name__ == "__main__":
    main()
