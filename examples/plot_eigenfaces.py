"""
Eigenfaces and autoencoder faces on LFW
=======================================

The classic scikit-learn face-recognition story, with autoencoders beside
PCA: faces of the 7 people with at least 70 images in Labeled Faces in the
Wild, each a row of 50 x 37 pixels, are compressed by PCA ("eigenfaces"),
by a dense :class:`skae.AutoencoderTransformer`, by a convolutional
:class:`skae.ConvAutoencoder` and by a convolutional
:class:`skae.VAETransformer`, then recognised by an RBF SVC behind each.

1. The same test faces reconstructed by each model at equal ``n_components``.
2. PCA's cumulative explained variance beside each model's reconstruction R²
   (1 - residual / total variance, on the test faces) as ``n_components`` grows.
3. New faces from the VAE: decoded draws from its prior, and decoded
   straight lines between the codes of two test faces.
4. ``Pipeline`` + ``GridSearchCV`` over ``n_components`` with an SVC behind
   each reducer, and a classification report for the best of each.

Data: ``fetch_lfw_people(min_faces_per_person=70, resize=0.4)``, offline
from ``--data-home`` or ``SCIKIT_LEARN_DATA`` when the data are there,
else the same faces from the project's shared arrays, else downloaded.

Run: ``python examples/plot_eigenfaces.py [--data-home PATH] [--quick]``
(about 25 minutes on 2 cores; ``--quick`` trains for few epochs to check
the script end to end in a few minutes). Also: ``python -m skae demo --dataset lfw``.
"""

import argparse
import logging
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV, ShuffleSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer, ConvAutoencoder, VAETransformer
from skae.datasets import load_lfw

logging.getLogger("tensorflow").setLevel(logging.ERROR)

parser = argparse.ArgumentParser(description="Eigenfaces vs autoencoders on LFW.")
parser.add_argument("--data-home", default=None, help="scikit-learn data home holding lfw_home")
parser.add_argument("--output-dir", default="output", help="where the figures go")
parser.add_argument("--quick", action="store_true", help="few epochs: a fast end-to-end check")
args = parser.parse_args()
# The documentation build (SKAE_DOCS_BUILD=1) runs the quick configuration.
args.quick = args.quick or os.environ.get("SKAE_DOCS_BUILD") == "1"
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

images, y, target_names, source = load_lfw(data_home=args.data_home, resize=0.4)
n_samples, h, w = images.shape
X = images.reshape(n_samples, -1)
print(f"LFW from {source}: {n_samples} faces of {h} x {w} pixels, {len(target_names)} people")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)

epochs = 3 if args.quick else 100
conv_epochs = 3 if args.quick else 40  # early stopping ends most runs sooner


def make_reducers(n_components):
    """The three reducers at one latent size, with the same parameter names."""
    return {
        "PCA": PCA(n_components=n_components, whiten=True, random_state=0),
        "AutoencoderTransformer": AutoencoderTransformer(
            n_components=n_components, epochs=epochs, random_state=0
        ),
        "ConvAutoencoder": ConvAutoencoder(
            n_components=n_components,
            image_shape=(h, w),
            flip_horizontal=True,
            epochs=conv_epochs,
            random_state=0,
        ),
        "VAETransformer": VAETransformer(
            n_components=n_components,
            image_shape=(h, w),
            hidden_layer_sizes=(),
            epochs=conv_epochs,
            random_state=0,
        ),
    }


# 1 + 2. Reconstructions and reconstruction R² as n_components grows.
sizes = (8, 16, 32, 64)
fitted_vae = None
total = np.sum((X_test - X_test.mean(axis=0)) ** 2)
r2 = {name: [] for name in make_reducers(1)}
shown_size, reconstructions = 32, {}
for n in sizes:
    for name, model in make_reducers(n).items():
        start = time.perf_counter()
        model.fit(X_train)
        X_hat = model.inverse_transform(model.transform(X_test)).reshape(X_test.shape)
        r2[name].append(1 - np.sum((X_test - X_hat) ** 2) / total)
        print(
            f"n_components={n:3d} {name:24s} R² {r2[name][-1]:.3f} "
            f"({time.perf_counter() - start:.0f}s)",
            flush=True,
        )
        if n == shown_size:
            reconstructions[name] = X_hat
            if name == "VAETransformer":
                fitted_vae = model

n_faces = 8
rows = {"original": X_test, **reconstructions}
fig, axes = plt.subplots(len(rows), n_faces, figsize=(1.3 * n_faces, 1.9 * len(rows)))
axes = np.atleast_2d(axes)
for r, (name, faces) in enumerate(rows.items()):
    for c in range(n_faces):
        axes[r, c].imshow(faces[c].reshape(h, w), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    label = name if name == "original" else f"{name} ({shown_size})"
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.suptitle(f"Test faces reconstructed from {shown_size} numbers")
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_reconstructions.png", dpi=100)

pca_full = PCA(n_components=150).fit(X_train)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(
    np.arange(1, 151),
    np.cumsum(pca_full.explained_variance_ratio_),
    "k-",
    label="PCA cumulative explained variance (train)",
)
for name, values in r2.items():
    ax.plot(sizes, values, "o-", label=f"{name} reconstruction R² (test)")
ax.set_xscale("log")
ax.set_xlabel("n_components")
ax.set_ylabel("fraction of variance explained")
ax.legend(fontsize=8)
ax.set_title("Explained variance, extended to autoencoders")
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_explained_variance.png", dpi=100)

# 3. New faces from the VAE: prior samples and latent interpolations.
samples = fitted_vae.sample(8, random_state=0)
start, end = fitted_vae.transform(X_test[:2])
line = start + np.linspace(0, 1, 8)[:, None] * (end - start)
interpolation = fitted_vae.inverse_transform(line)
fig, axes = plt.subplots(2, 8, figsize=(10.4, 4.2))
for c in range(8):
    axes[0, c].imshow(samples[c].reshape(h, w), cmap="gray", vmin=0, vmax=1)
    axes[1, c].imshow(interpolation[c].reshape(h, w), cmap="gray", vmin=0, vmax=1)
    axes[0, c].set_axis_off()
    axes[1, c].set_axis_off()
axes[0, 0].set_title("VAE prior samples, decoded", loc="left", fontsize=9)
axes[1, 0].set_title("decoded line between two test faces", loc="left", fontsize=9)
fig.tight_layout()
fig.savefig(output_dir / "eigenfaces_vae_samples.png", dpi=100)

# 4. Face recognition: each reducer in a Pipeline, n_components tuned.
grid = {"reduce__n_components": [32, 64]}
holdout = ShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
for name, reducer in make_reducers(32).items():
    pipe = Pipeline(
        [
            ("reduce", reducer),
            ("scale", StandardScaler()),
            ("svc", SVC(kernel="rbf", C=10, class_weight="balanced")),
        ]
    )
    search = GridSearchCV(pipe, grid, cv=holdout).fit(X_train, y_train)
    print(f"\n{name}: best {search.best_params_}, test accuracy {search.score(X_test, y_test):.3f}")
    print(classification_report(y_test, search.predict(X_test), target_names=target_names))

print(f"figures saved in {output_dir}/")
