"""
Novelties and missing values on digits
======================================

Two jobs besides compression, each with scikit-learn's own API:

* :class:`skae.AutoencoderOutlierDetector` scores each sample by how well an
  autoencoder reconstructs it: ``score_samples`` (higher is more normal),
  ``decision_function`` and ``predict`` (+1 normal, -1 outlier), with the
  threshold set by ``contamination``, as for
  :class:`~sklearn.ensemble.IsolationForest`. Fitted on every digit but the
  9s, it should tell the 9s apart: novelty detection.
* :class:`skae.AutoencoderImputer` fills missing pixels, as
  :class:`~sklearn.impute.SimpleImputer` and
  :class:`~sklearn.impute.KNNImputer` do, from a network trained with a loss
  that skips the missing entries.

Run: ``python examples/plot_outliers_and_imputation.py [--output-dir DIR]``.
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skae import AutoencoderImputer, AutoencoderOutlierDetector, AutoencoderTransformer

parser = argparse.ArgumentParser(description="Novelties and missing values on digits.")
parser.add_argument("--output-dir", default="output")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

X, y = load_digits(return_X_y=True)
X = X / 16.0

# %%
# Novelty detection: the 9s were never seen
# -----------------------------------------
# The detector trains on three quarters of the digits 0-8; the test set holds
# the other quarter and every 9. Its score should rank the 9s lowest.
normal_train, normal_test = train_test_split(X[y != 9], test_size=0.25, random_state=42)
X_test = np.vstack([normal_test, X[y == 9]])
is_nine = np.r_[np.zeros(len(normal_test), bool), np.ones(np.sum(y == 9), bool)]

detector = AutoencoderOutlierDetector(
    AutoencoderTransformer(n_components=8, random_state=0), contamination=0.02
).fit(normal_train)
forest = IsolationForest(random_state=0).fit(normal_train)
scores = detector.score_samples(X_test)
flagged = detector.predict(X_test) == -1
print(
    f"ROC AUC, 9s against the others: autoencoder {roc_auc_score(is_nine, -scores):.3f}, "
    f"IsolationForest {roc_auc_score(is_nine, -forest.score_samples(X_test)):.3f}"
)
print(
    f"flagged as outliers: {flagged[is_nine].mean():.0%} of the 9s, "
    f"{flagged[~is_nine].mean():.0%} of the other test digits"
)

# %%
# The least and the most typical test digits by the detector's score. Below
# each, its score (minus the mean squared reconstruction error, in pixel
# units); red: below the threshold ``offset_``, so ``predict`` says -1.
order = np.argsort(scores)
fig, axes = plt.subplots(2, 10, figsize=(9, 2.9))
for row, (picks, title) in enumerate(
    [(order[:10], "least typical"), (order[-10:], "most typical")]
):
    for ax, k in zip(axes[row], picks, strict=True):
        ax.imshow(X_test[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        outlier = scores[k] < detector.offset_
        ax.set_xlabel(f"{scores[k]:.3f}", fontsize=9, color="tab:red" if outlier else "black")
    axes[row, 0].set_ylabel(title, fontsize=9)
fig.suptitle("Test digits ranked by AutoencoderOutlierDetector.score_samples")
fig.tight_layout()
fig.savefig(output_dir / "outliers_digits.png", dpi=100)

# %%
# Filling in missing pixels
# -------------------------
# A third of the pixels are hidden at random, in the training digits and in
# the test digits alike. Each imputer is fitted on the damaged training
# digits and fills the test digits; the error is measured on the hidden
# entries only.
X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
rng = np.random.default_rng(0)
damaged_train = np.where(rng.random(X_train.shape) < 1 / 3, np.nan, X_train)
hidden = rng.random(X_test.shape) < 1 / 3
damaged_test = np.where(hidden, np.nan, X_test)

imputers = {
    "SimpleImputer(mean)": SimpleImputer(),
    "KNNImputer": KNNImputer(),
    "AutoencoderImputer": AutoencoderImputer(random_state=0),
}
filled = {}
for name, imputer in imputers.items():
    filled[name] = imputer.fit(damaged_train).transform(damaged_test)
    rmse = np.sqrt(np.mean((filled[name][hidden] - X_test[hidden]) ** 2))
    print(f"{name:20s} RMSE on the hidden pixels {rmse:.4f}")

# %%
# Eight test digits: as they are, with their hidden pixels (in red), and as
# each imputer fills them.
rows = {"original": X_test, "a third hidden": damaged_test, **filled}
fig, axes = plt.subplots(len(rows), 8, figsize=(8, 1.25 * len(rows) + 0.3))
cmap = plt.get_cmap("gray_r").with_extremes(bad="tab:red")
for r, (name, images) in enumerate(rows.items()):
    for c in range(8):
        axes[r, c].imshow(images[c].reshape(8, 8), cmap=cmap, vmin=0, vmax=1)
        axes[r, c].set(xticks=[], yticks=[])
    axes[r, 0].set_ylabel(name.replace("Imputer", "\nImputer"), fontsize=8)
fig.tight_layout()
fig.savefig(output_dir / "imputation_digits.png", dpi=100)
print(f"figures saved in {output_dir}")
