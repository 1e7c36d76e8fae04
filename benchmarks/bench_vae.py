"""VAETransformer on digits: held-out ELBO and reconstruction beside PCA and the AE.

75/25 split with random_state=42, pixels in [0, 1], n_components in
{2, 4, 8, 16}. PCA's ``score`` is the exact average log-likelihood of
probabilistic PCA, the linear Gaussian model a VAE generalises; the VAE's
``score`` is its ELBO, a lower bound of its log-likelihood (both per digit,
in nats, in pixel units). The AE has no likelihood: MSE only.
Writes results/vae.json.
"""

import time

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer, VAETransformer  # noqa: E402
from skae.datasets import load_digits_scaled  # noqa: E402


def main():
    X, _ = load_digits_scaled()
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    rows = []
    for n in (2, 4, 8, 16):
        row = {"n_components": n}
        for name, model in [
            ("pca", PCA(n_components=n)),
            ("ae", AutoencoderTransformer(n_components=n, random_state=0)),
            ("vae", VAETransformer(n_components=n, random_state=0)),
        ]:
            start = time.perf_counter()
            model.fit(X_train)
            row[f"{name}_fit_s"] = time.perf_counter() - start
            reconstruction = model.inverse_transform(model.transform(X_test))
            row[f"{name}_mse"] = float(np.mean((X_test - reconstruction) ** 2))
        row["pca_loglik"] = float(PCA(n_components=n).fit(X_train).score(X_test))
        row["vae_elbo"] = float(model.score(X_test))
        row["vae_epochs"] = model.n_iter_
        rows.append(row)
        print(
            f"k={n:2d}  held-out per digit: PPCA log-lik {row['pca_loglik']:8.1f}  "
            f"VAE ELBO {row['vae_elbo']:8.1f}  |  MSE PCA {row['pca_mse']:.4f} "
            f"AE {row['ae_mse']:.4f} VAE {row['vae_mse']:.4f}  |  fit AE {row['ae_fit_s']:.0f}s "
            f"VAE {row['vae_fit_s']:.0f}s",
            flush=True,
        )
    save("vae", {"split": "75/25, random_state=42", "rows": rows})


if __name__ == "__main__":
    main()
