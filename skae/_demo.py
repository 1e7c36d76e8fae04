"""The README's main job: PCA against AutoencoderTransformer on digits."""

import time
from pathlib import Path

import numpy as np


def _reducer_rows(n_components_list, X_train, X_test, y_train, y_test, random_state):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    from . import AutoencoderTransformer

    rows, reconstructions = [], {}
    for n in n_components_list:
        for name, reducer in [
            ("PCA", PCA(n_components=n)),
            (
                "AutoencoderTransformer",
                # Early stopping ends training (after 110-160 epochs here).
                AutoencoderTransformer(n_components=n, epochs=300, random_state=random_state),
            ),
        ]:
            start = time.perf_counter()
            Z_train = reducer.fit_transform(X_train)
            fit_seconds = time.perf_counter() - start
            Z_test = reducer.transform(X_test)
            X_hat = reducer.inverse_transform(Z_test)
            clf = LogisticRegression(max_iter=2000).fit(Z_train, y_train)
            rows.append(
                {
                    "model": name,
                    "n_components": n,
                    "test_mse": float(np.mean((X_test - X_hat) ** 2)),
                    "accuracy": float(clf.score(Z_test, y_test)),
                    "fit_seconds": fit_seconds,
                }
            )
            reconstructions[(name, n)] = X_hat
    return rows, reconstructions


def _print_table(rows):
    pca_mse = {r["n_components"]: r["test_mse"] for r in rows if r["model"] == "PCA"}
    header = (
        f"{'model':<24}{'n_components':>13}{'test MSE':>11}{'x PCA':>8}{'accuracy':>10}{'fit s':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:<24}{r['n_components']:>13}{r['test_mse']:>11.4f}"
            f"{r['test_mse'] / pca_mse[r['n_components']]:>8.2f}{r['accuracy']:>10.3f}"
            f"{r['fit_seconds']:>8.1f}"
        )


def _save_figure(X_test, reconstructions, n_components_list, image_shape, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure saved (pip install skae[examples]).")
        return None
    n_show = 8
    names = ["PCA", "AutoencoderTransformer"]
    n_rows = 1 + len(names) * len(n_components_list)
    fig, axes = plt.subplots(n_rows, n_show, figsize=(n_show * 0.9, n_rows * 1.0))
    labelled = [("original", X_test)] + [
        (f"{name[:11]} k={n}", reconstructions[(name, n)])
        for n in n_components_list
        for name in names
    ]
    for row, (label, images) in enumerate(labelled):
        for col in range(n_show):
            ax = axes[row, col]
            ax.imshow(images[col].reshape(image_shape), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle("Held-out digits: PCA vs AutoencoderTransformer reconstructions")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_demo(output_dir=".", n_components_list=(4, 8, 16), random_state=0):
    """Compare PCA and AutoencoderTransformer on digits; print a table, save a PNG.

    Parameters
    ----------
    output_dir : str or Path, default="."
        Where ``demo_digits_reconstructions.png`` is written.
    n_components_list : tuple of int, default=(4, 8, 16)
        Latent sizes to compare.
    random_state : int, default=0
        Seed of the autoencoders.

    Returns
    -------
    rows : list of dict
        One row per model and size: test MSE, accuracy, fit time.
    """
    from sklearn.model_selection import train_test_split

    from .datasets import load_digits_scaled

    X, y = load_digits_scaled()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    print(
        f"digits: {len(X_train)} training and {len(X_test)} test images of 8x8 pixels in [0, 1]; "
        "LogisticRegression on the codes.\n"
    )
    rows, reconstructions = _reducer_rows(
        n_components_list, X_train, X_test, y_train, y_test, random_state
    )
    _print_table(rows)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    saved = _save_figure(
        X_test,
        reconstructions,
        n_components_list,
        (8, 8),
        output_dir / "demo_digits_reconstructions.png",
    )
    if saved:
        print(f"\nReconstructions saved to {saved}")
    return rows
