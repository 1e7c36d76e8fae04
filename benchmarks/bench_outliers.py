"""Novelty detection: AutoencoderOutlierDetector beside IsolationForest, LOF and PCA.

For each class in turn: fit on the training rows of the other classes (75/25
split, random_state=42), then score the held-out rows of those classes
(inliers) against every row of the unseen class (novelties); report ROC AUC.
Digits: each of the 10 digits held out. LFW faces (50 x 37): each of the 7
people held out. PCA's score is its negative reconstruction error at the
same n_components as the autoencoder (8 on digits, 16 on faces).
Writes results/outliers.json.
"""

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor  # noqa: E402

from skae import AutoencoderOutlierDetector, AutoencoderTransformer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402


def pca_scores(n_components, train, test):
    pca = PCA(n_components=n_components).fit(train)
    return -np.mean((test - pca.inverse_transform(pca.transform(test))) ** 2, axis=1)


def detectors(n_components):
    return {
        "AutoencoderOutlierDetector": lambda tr, te: (
            AutoencoderOutlierDetector(
                AutoencoderTransformer(n_components=n_components, random_state=0)
            )
            .fit(tr)
            .score_samples(te)
        ),
        "IsolationForest": lambda tr, te: IsolationForest(random_state=0).fit(tr).score_samples(te),
        "LocalOutlierFactor(novelty=True)": lambda tr, te: (
            LocalOutlierFactor(novelty=True).fit(tr).score_samples(te)
        ),
        f"PCA({n_components}) reconstruction": lambda tr, te: pca_scores(n_components, tr, te),
    }


def run(dataset, X, y, n_components):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    per_class = []
    for held_out in np.unique(y):
        train = X_train[y_train != held_out]
        test = np.vstack([X_test[y_test != held_out], X[y == held_out]])
        is_inlier = np.r_[np.ones(np.sum(y_test != held_out)), np.zeros(np.sum(y == held_out))]
        aucs = {
            name: float(roc_auc_score(is_inlier, score(train, test)))
            for name, score in detectors(n_components).items()
        }
        per_class.append({"held_out": int(held_out), **aucs})
        print(
            f"{dataset} held out {held_out}: "
            + "  ".join(f"{name.split('(')[0]} {auc:.3f}" for name, auc in aucs.items()),
            flush=True,
        )
    names = [k for k in per_class[0] if k != "held_out"]
    mean = {name: float(np.mean([row[name] for row in per_class])) for name in names}
    print(f"{dataset} mean ROC AUC: " + "  ".join(f"{n} {a:.3f}" for n, a in mean.items()))
    return {
        "dataset": dataset,
        "n_components": n_components,
        "mean_auc": mean,
        "per_class": per_class,
    }


def main():
    X_digits, y_digits = load_digits_scaled()
    images, y_faces, _ = load_lfw_npz(resize=0.4)
    results = [
        run("digits", X_digits, y_digits, 8),
        run("lfw", images.reshape(len(images), -1), y_faces, 16),
    ]
    save("outliers", {"split": "75/25, random_state=42", "results": results})


if __name__ == "__main__":
    main()
