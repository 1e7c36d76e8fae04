"""
A variational autoencoder's latent space on digits
==================================================

:class:`skae.VAETransformer` with ``n_components=2`` maps each 8x8 digit to a
point in the plane (the posterior mean). Three pictures, the ones a VAE is
judged by:

1. the latent scatter of the test digits, coloured by their label;
2. a grid of decoded points over the latent plane: nearby points decode to
   similar digits (continuity), and the whole plane decodes to digit-like
   images (completeness);
3. new digits: draws from the prior N(0, I), decoded.

Run: ``python examples/plot_vae_digits.py [--output-dir DIR]``.
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skae import VAETransformer

parser = argparse.ArgumentParser(description="A VAE's latent space on digits.")
parser.add_argument("--output-dir", default="output")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
vae = VAETransformer(n_components=2, epochs=150, random_state=0).fit(X_train)
print(f"held-out ELBO per digit: {vae.score(X_test):.1f} nats; epochs: {vae.n_iter_}")

# %%
# The latent space
# ----------------
# Each test digit at its posterior mean, coloured by its label: the VAE was
# never given the labels, yet digits of a kind gather.
Z = vae.transform(X_test)
fig, ax = plt.subplots(figsize=(7.5, 6.5))
points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=14, vmin=-0.5, vmax=9.5)
fig.colorbar(points, ax=ax, label="digit", ticks=range(10))
ax.set(title="Test digits: posterior means", xlabel="z1", ylabel="z2")
fig.tight_layout()
fig.savefig(output_dir / "vae_digits_latent.png", dpi=100)


def tile(images, n_cols):
    """Images of 8x8 pixels tiled on a canvas with a 2-pixel gap between them."""
    n_rows = -(-len(images) // n_cols)
    canvas = np.full((10 * n_rows, 10 * n_cols), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, n_cols)
        canvas[10 * r + 1 : 10 * r + 9, 10 * c + 1 : 10 * c + 9] = image.reshape(8, 8)
    return np.clip(canvas, 0, 1)


# %%
# The latent plane, decoded
# -------------------------
# A 12 x 12 grid at the prior's quantiles covers the plane where the prior
# has mass. Neighbouring points decode to similar digits (continuity), and
# the whole plane decodes to digit-like images (completeness).
n = 12
quantiles = norm.ppf(np.linspace(0.04, 0.96, n))
z1, z2 = np.meshgrid(quantiles, quantiles[::-1])
decoded = vae.inverse_transform(np.column_stack([z1.ravel(), z2.ravel()]))
fig, ax = plt.subplots(figsize=(7, 7))
ax.imshow(tile(decoded, n), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
ax.set(title="Decoded latent grid (prior quantiles)", xticks=[], yticks=[])
fig.tight_layout()
fig.savefig(output_dir / "vae_digits_grid.png", dpi=100)

# %%
# New digits
# ----------
# Draws from the prior N(0, I), decoded: ``sample`` makes new data.
samples = vae.sample(48, random_state=0)
fig, ax = plt.subplots(figsize=(7, 5.5))
ax.imshow(tile(samples, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
ax.set(title="New digits: prior samples, decoded", xticks=[], yticks=[])
fig.tight_layout()
fig.savefig(output_dir / "vae_digits_samples.png", dpi=100)
print(f"figures saved in {output_dir}")
