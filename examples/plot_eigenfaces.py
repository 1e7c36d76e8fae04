"""
Eigenfaces against an autoencoder on LFW
========================================

scikit-learn's face-recognition example, with an autoencoder beside PCA:
faces of the 7 people with at least 70 images in Labeled Faces in the Wild
(50 x 37 pixels each) are compressed, then recognised by an RBF SVC.

* **Eigenfaces**: ``PCA(150, whiten=True)`` + SVC.
* **The autoencoder pipeline** that ``benchmarks/bench_lfw_classify.py``
  chose by 5-fold cross-validation on the training faces, among dense,
  denoising, linear, convolutional and variational autoencoders with up to
  256 components, on raw or standardised pixels (its table is in the README
  and the user guide): ``StandardScaler()`` +
  ``AutoencoderTransformer(150, hidden_layer_sizes=(), whiten=True)`` + SVC.

In both, ``C`` and ``gamma`` are tuned by the same 5-fold ``GridSearchCV``
on the training faces; the test faces are scored once. The figures: the
confusion matrices side by side, a gallery of test faces with each
pipeline's prediction, and the first eigenfaces beside the autoencoder's
decoded unit codes.

Data: ``fetch_lfw_people(min_faces_per_person=70, resize=0.4)``, offline
from ``--data-home`` or ``SCIKIT_LEARN_DATA`` when the data are there, else
the same faces from the project's shared arrays, else downloaded.

Run: ``python examples/plot_eigenfaces.py [--data-home PATH] [--quick]``
(``--quick``: few epochs, a fast end-to-end check). Also:
``python -m skae demo --dataset lfw``.
"""

import argparse
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer
from skae.datasets import load_lfw

parser = argparse.ArgumentParser(description="Eigenfaces against an autoencoder on LFW.")
parser.add_argument("--data-home", default=None, help="scikit-learn data home holding lfw_home")
parser.add_argument("--output-dir", default="output", help="where the figures go")
parser.add_argument("--quick", action="store_true", help="few epochs: a fast end-to-end check")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

images, y, target_names, source = load_lfw(data_home=args.data_home, resize=0.4)
n_samples, h, w = images.shape
X = images.reshape(n_samples, -1).astype(np.float64)
print(f"LFW from {source}: {n_samples} faces of {h} x {w} pixels, {len(target_names)} people")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)

# %%
# The two pipelines
# -----------------
# The autoencoder's configuration is the one the benchmark's cross-validation
# chose: each pixel standardised first, then a linear encoder and decoder
# (whose codes span nearly PCA's subspace without being PCA's components),
# their codes whitened as eigenfaces are (``whiten=True``).
autoencoder = AutoencoderTransformer(
    n_components=150,
    hidden_layer_sizes=(),
    whiten=True,
    epochs=3 if args.quick else 300,
    batch_size=64,
    random_state=0,
)
pipelines = {
    "Eigenfaces": Pipeline(
        [("reduce", PCA(n_components=150, whiten=True, random_state=0)), ("svc", SVC())]
    ),
    "Autoencoder": Pipeline(
        [("pixels", StandardScaler()), ("reduce", autoencoder), ("svc", SVC())],
        memory=tempfile.mkdtemp(),  # the reducer is fitted once per fold, not per (C, gamma)
    ),
}
svc_grid = {
    "svc__class_weight": ["balanced"],
    "svc__C": [1, 10, 100, 1000],
    "svc__gamma": ["scale", 1e-3, 1e-2],
}
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
predictions = {}
for name, pipeline in pipelines.items():
    search = GridSearchCV(pipeline, svc_grid, cv=folds).fit(X_train, y_train)
    pipelines[name] = search.best_estimator_
    predictions[name] = search.predict(X_test)
    accuracy = np.mean(predictions[name] == y_test)
    print(f"\n{name}: CV accuracy {search.best_score_:.3f}, test accuracy {accuracy:.3f}")
    print(classification_report(y_test, predictions[name], target_names=target_names))

# %%
# Confusion matrices
# ------------------
# Rows: the true person; columns: the predicted one. The diagonal holds the
# faces recognised; off it, who is taken for whom.
short_names = [name.split()[-1] for name in target_names]
fig, axes = plt.subplots(2, 1, figsize=(7, 12.5))
for ax, (name, predicted) in zip(axes, predictions.items(), strict=True):
    ConfusionMatrixDisplay.from_predictions(
        y_test, predicted, display_labels=short_names, ax=ax, colorbar=False
    )
    ax.set_title(f"{name}: test accuracy {np.mean(predicted == y_test):.3f}")
    ax.tick_params(axis="x", labelrotation=45)
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_confusion.png", dpi=100)

# %%
# Test faces, predicted and true
# ------------------------------
# Eighteen test faces: the first six that at least one pipeline gets wrong,
# and the first twelve that both get right. A prediction in red is wrong.
wrong = np.zeros(len(y_test), dtype=bool)
for predicted in predictions.values():
    wrong |= predicted != y_test
shown = np.sort(np.concatenate([np.flatnonzero(wrong)[:6], np.flatnonzero(~wrong)[:12]]))
n_rows, n_cols = 3, 6
fig, axes = plt.subplots(n_rows, n_cols, figsize=(9, 8.4))
for k, ax in zip(shown, axes.ravel(), strict=False):
    ax.imshow(X_test[k].reshape(h, w), cmap="gray")
    ax.set_axis_off()
    lines = [(f"true: {short_names[y_test[k]]}", "black")]
    for name, label in (("Eigenfaces", "PCA"), ("Autoencoder", "AE")):
        guess = predictions[name][k]
        colour = "black" if guess == y_test[k] else "tab:red"
        lines.append((f"{label}: {short_names[guess]}", colour))
    for row, (text, colour) in enumerate(lines):
        ax.text(
            0.5,
            1.04 + 0.13 * (len(lines) - 1 - row),
            text,
            color=colour,
            fontsize=10,
            ha="center",
            va="bottom",
            transform=ax.transAxes,
        )
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_gallery.png", dpi=100)
print(f"{wrong.sum()} of {len(y_test)} test faces are wrong in at least one pipeline")

# %%
# Eigenfaces and autoencoder faces
# --------------------------------
# PCA's first components beside what the autoencoder's decoder makes of the
# first unit codes (relative to the code 0, the mean face), in pixels. The
# codes are whitened, so unit code k is the codes' k-th principal axis, as
# eigenface k is the pixels'.
pca = pipelines["Eigenfaces"]["reduce"]
ae = pipelines["Autoencoder"]["reduce"]
pixel_scale = pipelines["Autoencoder"]["pixels"].scale_
basis = pixel_scale * (
    ae.inverse_transform(np.eye(ae.n_components)[:6])
    - ae.inverse_transform(np.zeros((1, ae.n_components)))
)
fig, axes = plt.subplots(2, 6, figsize=(9, 4.2))
for k in range(6):
    for row, (face, label) in enumerate(
        [(pca.components_[k], f"eigenface {k + 1}"), (basis[k], f"AE unit code {k + 1}")]
    ):
        axes[row, k].imshow(face.reshape(h, w), cmap="gray")
        axes[row, k].set_title(label, fontsize=9)
        axes[row, k].set_axis_off()
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_bases.png", dpi=100)
print(f"figures saved in {output_dir}")
