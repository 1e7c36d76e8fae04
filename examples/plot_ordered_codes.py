"""
Ordered codes: one autoencoder for every code size, as PCA
==========================================================

With ``ordered=True`` an autoencoder trains its codes in order of importance,
as PCA's components are: the first k codes are a k-code representation for
every k, ``explained_variance_ratio_`` says what each code adds, and
``n_components=0.9`` keeps just enough codes. Two pictures on digits and on
LFW faces (when the shared LFW arrays are present):

1. the cumulative explained variance of the training data, with PCA's beside it;
2. held-out reconstruction error of the first k codes of one ordered fit,
   against PCA's first k components.

Run: ``python examples/plot_ordered_codes.py [--output-dir DIR]``.
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer
from skae.plotting import plot_explained_variance

parser = argparse.ArgumentParser(description="Ordered codes on digits and faces.")
parser.add_argument("--output-dir", default="output")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

datasets = {"digits": load_digits().data}
try:
    from skae.datasets import load_lfw_npz

    faces = load_lfw_npz(resize=0.4)[0]
    datasets["LFW faces"] = faces.reshape(len(faces), -1)
except (FileNotFoundError, OSError):
    print("LFW arrays not found: digits only")

# %%
# One fit, every size
# -------------------
# 16 codes, trained in order; PCA with as many components beside them.
fig, axes = plt.subplots(len(datasets), 2, figsize=(11, 4 * len(datasets)), squeeze=False)
for (name, X), (left, right) in zip(datasets.items(), axes, strict=True):
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    ae = AutoencoderTransformer(16, ordered=True, random_state=0).fit(X_train)
    pca = PCA(16).fit(X_train)
    plot_explained_variance(ae, pca=pca, ax=left)
    left.set_title(f"{name}: cumulative explained variance (training rows)")
    sizes = np.arange(1, 17)
    codes, components = ae.transform(X_test), pca.transform(X_test)
    ae_error = [np.mean((X_test - ae.inverse_transform(codes[:, :k])) ** 2) for k in sizes]
    pca_error = [
        np.mean((X_test - (components[:, :k] @ pca.components_[:k] + pca.mean_)) ** 2)
        for k in sizes
    ]
    right.plot(sizes, ae_error, "o-", ms=3, label="first k codes of one ordered fit")
    right.plot(sizes, pca_error, "o-", ms=3, label="PCA, first k components")
    right.set(xlabel="k", ylabel="held-out MSE", title=f"{name}: reconstruction error")
    right.legend(fontsize=8)
fig.tight_layout()
fig.savefig(output_dir / "ordered_codes.png", dpi=120)
plt.show()
