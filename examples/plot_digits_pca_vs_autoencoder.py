"""
PCA vs autoencoders on handwritten digits
=========================================

The same held-out digits, compressed to 8 numbers each and decoded again:
by PCA (the best *linear* 8-dimensional code), by
:class:`skae.AutoencoderTransformer` (a dense, non-linear one) and by
:class:`skae.ConvAutoencoder` (convolutions over the 8 x 8 image, given as
flat rows with ``image_shape``). The autoencoders are used exactly as PCA
is: ``fit``, ``transform``, ``inverse_transform``.

Run: ``python examples/plot_digits_pca_vs_autoencoder.py [--output FILE]``
(default: ``output/digits_pca_vs_autoencoder.png``).
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer, ConvAutoencoder

parser = argparse.ArgumentParser(description="PCA vs an autoencoder on handwritten digits.")
parser.add_argument("--output", default="output/digits_pca_vs_autoencoder.png")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()

X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)

models = {
    "PCA(8)": PCA(n_components=8),
    "AutoencoderTransformer(8)": AutoencoderTransformer(n_components=8, random_state=0),
    "ConvAutoencoder(8)": ConvAutoencoder(n_components=8, image_shape=(8, 8), random_state=0),
}
rows = {"original": X_test}
for name, model in models.items():
    model.fit(X_train)
    rows[name] = model.inverse_transform(model.transform(X_test))
    print(f"{name:28s} held-out MSE {np.mean((X_test - rows[name]) ** 2):.4f}")

n_show = 8
fig, axes = plt.subplots(len(rows), n_show, figsize=(n_show, 1.2 * len(rows) + 0.4))
for r, (name, images) in enumerate(rows.items()):
    mse = "" if name == "original" else f"\nMSE {np.mean((X_test - images) ** 2):.4f}"
    for c in range(n_show):
        axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(name + mse, loc="left", fontsize=9)
fig.suptitle("Held-out digits reconstructed from 8 latent values")
fig.tight_layout()
Path(args.output).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.output, dpi=110)
print(f"saved {args.output}")
