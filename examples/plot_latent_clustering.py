"""
Clustering digits in an autoencoder's latent space
==================================================

KMeans finds groups by distance, so it works as well as the space it runs
in. Here the same ``KMeans(n_clusters=10)`` runs on scikit-learn's digits
in four spaces: the raw pixels, PCA's components, and the codes of
:class:`skae.AutoencoderTransformer` and :class:`skae.VAETransformer`, each
as a ``Pipeline([reducer, KMeans])``. The clusters are scored against the
true digits, which KMeans never sees, with the adjusted Rand index (ARI) and
normalised mutual information (NMI).

The two autoencoders are configured as ``benchmarks/bench_clustering.py``
found best for clustering: a denoising autoencoder (``noise="gaussian"``)
and a VAE with a weaker KL term (``beta=0.5``).

Two figures:

1. the 2-D codes of PCA, the autoencoder and the VAE, coloured by KMeans'
   cluster (left) and by the true digit (right);
2. each cluster's centre in a 16-D code space, decoded back to an image
   with ``inverse_transform``: what each cluster stands for.

Run: ``python examples/plot_latent_clustering.py [--output-dir DIR]``.
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer, VAETransformer

parser = argparse.ArgumentParser(description="KMeans in an autoencoder's latent space.")
parser.add_argument("--output-dir", default="output")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

X, y = load_digits(return_X_y=True)
X = X / 16.0

reducers = {
    "PCA": lambda n: PCA(n_components=n, random_state=0),
    "Denoising AE": lambda n: AutoencoderTransformer(
        n_components=n, noise="gaussian", noise_level=0.3, random_state=0
    ),
    "VAE (beta=0.5)": lambda n: VAETransformer(n_components=n, beta=0.5, random_state=0),
}


def kmeans():
    return KMeans(n_clusters=10, n_init=10, random_state=0)


def report(name, labels):
    ari = adjusted_rand_score(y, labels)
    nmi = normalized_mutual_info_score(y, labels)
    print(f"{name:26s} ARI {ari:.3f}  NMI {nmi:.3f}")


report("raw pixels (64)", kmeans().fit_predict(X))
pipelines = {}
for n in (2, 16):
    for name, make in reducers.items():
        pipeline = Pipeline([("reducer", make(n)), ("kmeans", kmeans())])
        labels = pipeline.fit_predict(X)
        pipelines[name, n] = pipeline, labels
        report(f"{name} ({n})", labels)

# %%
# The 2-D codes, coloured by cluster and by the true digit
# ----------------------------------------------------------
# Left: KMeans' clusters (their numbers are arbitrary, so are their
# colours); right: the true digits, which KMeans never saw. Where a colour
# on the right fills one region, that digit has a place of its own in the
# code space, and a cluster can find it.
fig, axes = plt.subplots(3, 2, figsize=(9, 12), layout="constrained")
for row, name in enumerate(reducers):
    pipeline, labels = pipelines[name, 2]
    codes = pipeline["reducer"].transform(X)
    for column, (colours, what) in enumerate([(labels, "KMeans cluster"), (y, "true digit")]):
        ax = axes[row, column]
        points = ax.scatter(codes[:, 0], codes[:, 1], c=colours, cmap="tab10", s=6, vmin=0, vmax=9)
        ax.set(title=f"{name}: {what}", xticks=[], yticks=[])
handles, _ = points.legend_elements()
fig.legend(handles, [str(d) for d in range(10)], title="true digit", loc="outside right center")
fig.savefig(output_dir / "latent_clustering_codes.png", dpi=110)
print(f"saved {output_dir / 'latent_clustering_codes.png'}")

# %%
# Each cluster's centre, decoded
# ------------------------------
# Clusters are ordered by the digit most of their members are, so that the
# columns line up across the three rows.
fig, axes = plt.subplots(3, 10, figsize=(9, 4.2))
for row, name in enumerate(reducers):
    pipeline, labels = pipelines[name, 16]
    centres = pipeline["kmeans"].cluster_centers_
    images = pipeline["reducer"].inverse_transform(centres)
    majority = [np.bincount(y[labels == k], minlength=10).argmax() for k in range(10)]
    for column, k in enumerate(np.argsort(majority, kind="stable")):
        ax = axes[row, column]
        ax.imshow(np.clip(images[k].reshape(8, 8), 0, 1), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"{majority[k]}", fontsize=10)
    axes[row, 0].set_ylabel(name, fontsize=9)
fig.suptitle("KMeans centres in a 16-D code space, decoded; above each, its majority digit")
fig.tight_layout()
fig.savefig(output_dir / "latent_clustering_centres.png", dpi=110)
print(f"saved {output_dir / 'latent_clustering_centres.png'}")
