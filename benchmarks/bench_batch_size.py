"""The default ``batch_size``: 32 against scikit-learn's MLP convention ``"auto"``.

``batch_size="auto"`` is ``min(200, n_samples)``, as in ``MLPRegressor``. For
each dataset and estimator, both batch sizes with otherwise default
parameters (100 epochs at most, early stopping on a 10% validation split),
seeds 0, 1 and 2, on the 75/25 split (random_state=42): fit time, epochs run
and held-out MSE as a multiple of PCA's at the same ``n_components``. The
issue's quality goal is digits k=8 at or under 0.7 x PCA. Lines:

- digits (1347 x 64), ``AutoencoderTransformer(n_components=8)`` and 32;
- LFW 50 x 37 (966 x 1850), ``AutoencoderTransformer(n_components=64)``;
- LFW 50 x 37 as images, ``ConvAutoencoder(n_components=64)``, seed 0 only
  (a conv fit takes minutes here).

Writes results/batch_size.json. Run on the default (TensorFlow) backend.
"""

import time
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer, ConvAutoencoder  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

BATCH_SIZES = (32, "auto")


def pca_mse(X_train, X_test, n):
    flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    pca = PCA(n).fit(flat_train)
    return float(np.mean((flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2))


def measure(name, make, X, n_components, seeds):
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    reference = pca_mse(X_train, X_test, n_components)
    rows = []
    for seed in seeds:
        for batch_size in BATCH_SIZES:
            model = make(n_components, batch_size=batch_size, random_state=seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning at the epoch limit
                model.fit(X_train)
            seconds = time.perf_counter() - start
            decoded = model.inverse_transform(model.transform(X_test))
            mse = float(np.mean((X_test - decoded.reshape(X_test.shape)) ** 2))
            row = {
                "what": name,
                "n_components": n_components,
                "batch_size": batch_size,
                "seed": seed,
                "fit_s": seconds,
                "epochs": int(model.n_iter_),
                "mse_x_pca": mse / reference,
            }
            rows.append(row)
            print(
                f"{name:28s} k={n_components:3d} batch {batch_size!s:4s} seed {seed}: "
                f"{seconds:6.1f} s, {model.n_iter_:3d} epochs, MSE x PCA {mse / reference:.3f}",
                flush=True,
            )
    return rows


def summary(rows):
    """Per line and batch size: median fit time, mean epochs, mean and worst MSE x PCA."""
    out = []
    for key in dict.fromkeys((r["what"], r["n_components"], r["batch_size"]) for r in rows):
        group = [r for r in rows if (r["what"], r["n_components"], r["batch_size"]) == key]
        out.append(
            {
                "what": key[0],
                "n_components": key[1],
                "batch_size": key[2],
                "fit_s_median": float(np.median([r["fit_s"] for r in group])),
                "epochs_mean": float(np.mean([r["epochs"] for r in group])),
                "mse_x_pca_mean": float(np.mean([r["mse_x_pca"] for r in group])),
                "mse_x_pca_worst": float(np.max([r["mse_x_pca"] for r in group])),
                "runs": len(group),
            }
        )
    return out


def main():
    X_digits, _ = load_digits_scaled()
    faces, _, _ = load_lfw_npz(resize=0.4)
    rows = []
    rows += measure("digits, dense", AutoencoderTransformer, X_digits, 8, (0, 1, 2))
    rows += measure("digits, dense", AutoencoderTransformer, X_digits, 32, (0, 1, 2))
    flat = faces.reshape(len(faces), -1)
    rows += measure("LFW, dense", AutoencoderTransformer, flat, 64, (0, 1, 2))
    rows += measure("LFW, conv", ConvAutoencoder, faces[..., None], 64, (0,))
    table = summary(rows)
    for line in table:
        print(line)
    save("batch_size", {"split": "75/25, random_state=42", "runs": rows, "summary": table})


if __name__ == "__main__":
    main()
