"""KMeans in a latent space: raw pixels, PCA and skae's codes, ARI / NMI.

Each reducer goes in ``Pipeline([reducer, KMeans(n_clusters, n_init=10,
random_state=0)])`` fitted on all the data (clustering has no held-out
set); the clusters are scored against the true labels with the adjusted
Rand index (ARI) and normalised mutual information (NMI). Every reducer is
seeded with ``random_state=0``.

Data: scikit-learn's digits (1797 x 64, 10 clusters) and the LFW faces of
the seven people with at least 70 images (1288 x 1850, 7 clusters).
Reducers: PCA; AutoencoderTransformer with its defaults and as a denoising
autoencoder; VAETransformer with its defaults (beta=1) and with a weaker
and a stronger KL term (beta 0.5 and 2).

Writes results/clustering.json. ``--quick`` runs digits only, with two
values of ``n_components``.
"""

import argparse
import time

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skae import AutoencoderTransformer, VAETransformer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

REDUCERS = {
    "PCA": lambda n: PCA(n_components=n, random_state=0),
    "AE": lambda n: AutoencoderTransformer(n_components=n, random_state=0),
    "AE denoising": lambda n: AutoencoderTransformer(
        n_components=n, noise="gaussian", noise_level=0.3, random_state=0
    ),
    "VAE": lambda n: VAETransformer(n_components=n, random_state=0),
    "VAE beta=0.5": lambda n: VAETransformer(n_components=n, beta=0.5, random_state=0),
    "VAE beta=2": lambda n: VAETransformer(n_components=n, beta=2.0, random_state=0),
}


def score(labels, y):
    return {
        "ari": float(adjusted_rand_score(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
    }


def kmeans(n_clusters):
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=0)


def run(dataset, X, y, n_components_grid):
    n_clusters = len(np.unique(y))
    raw = score(kmeans(n_clusters).fit_predict(X), y)
    print(f"{dataset}: raw pixels ARI {raw['ari']:.3f} NMI {raw['nmi']:.3f}", flush=True)
    rows = []
    for n in n_components_grid:
        for name, make in REDUCERS.items():
            pipeline = Pipeline([("reducer", make(n)), ("kmeans", kmeans(n_clusters))])
            start = time.perf_counter()
            labels = pipeline.fit_predict(X)
            seconds = time.perf_counter() - start
            row = {"reducer": name, "n_components": n, "fit_s": seconds, **score(labels, y)}
            rows.append(row)
            print(
                f"{dataset}: {name:13s} n={n:3d}  ARI {row['ari']:.3f}  NMI {row['nmi']:.3f}"
                f"  ({seconds:.1f} s)",
                flush=True,
            )
    return {"dataset": dataset, "n_clusters": n_clusters, "raw": raw, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only, n_components 2 and 8")
    args = parser.parse_args()
    X, y = load_digits_scaled()
    results = [run("digits", X, y, (2, 8) if args.quick else (2, 4, 8, 16, 32))]
    if not args.quick:
        images, target, _ = load_lfw_npz(resize=0.4)
        faces = images.reshape(len(images), -1)
        results.append(run("LFW 50x37", faces, target, (8, 32, 150)))
    save(
        "clustering",
        {
            "kmeans": "KMeans(n_clusters=number of classes, n_init=10, random_state=0)",
            "reducers_random_state": 0,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
