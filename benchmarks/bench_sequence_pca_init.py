"""An experiment for issue 31: the sequence model started at PCA's solution.

The default ``SequenceAutoencoder`` (``linear_skip=True``) contains PCA's
model: a linear map from the flattened sequence to the code beside the
recurrent encoder, and one from the code to every step beside the recurrent
decoder. From random weights (the only start before ``init="auto"``, which
this experiment led to) it ends on the LFW rows at 1.04 / 1.09 x PCA(k) (k
= 16 / 32, ``bench_sequence_images.py``): training does not find the
linear solution. Here the linear maps start at PCA's components (fitted on the
standardised training rows), optionally with the recurrent branches' last
layers (``latent``, ``decoder_steps``) at zero so that the network starts
as PCA exactly, at the default learning rate and at 1e-4. Protocol of
``bench_sequence_images.py`` (75/25 split, random_state=42, held-out MSE x
PCA(k) on the flattened rows, seed 0). Writes
results/sequence_pca_init.json.

Run: ``python benchmarks/bench_sequence_pca_init.py``.
"""

import time
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_sequence_images import pca_error, split  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from skae import SequenceAutoencoder  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402


class StartedAtPCA(SequenceAutoencoder):
    """The default network, its linear maps set to PCA's before training."""

    zero_recurrent = False

    def _fit_scaling(self, X, sample_weight):
        super()._fit_scaling(X, sample_weight)
        self._rows_for_pca = X

    def _build_networks(self, seed, encoder, decoder):
        networks = super()._build_networks(seed, encoder, decoder)
        Z = np.asarray(self._standardize(self._rows_for_pca), dtype=np.float64)
        del self._rows_for_pca
        pca = PCA(networks["encoder"].output_shape[-1], random_state=0).fit(Z)
        W, mean = pca.components_.T.astype("float32"), pca.mean_.astype("float32")
        networks["encoder"].get_layer("encoder_linear").set_weights([W, -mean @ W])
        networks["decoder"].get_layer("decoder_linear").set_weights([W.T, mean])
        if self.zero_recurrent:
            for network, name in (("encoder", "latent"), ("decoder", "decoder_steps")):
                layer = networks[network].get_layer(name)
                layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        return networks


class StartedAsPCA(StartedAtPCA):
    zero_recurrent = True


VARIANTS = {
    "defaults": (SequenceAutoencoder, {}),
    "linear maps at PCA": (StartedAtPCA, {}),
    "started as PCA": (StartedAsPCA, {}),
    "started as PCA, learning_rate=1e-4": (StartedAsPCA, {"learning_rate": 1e-4}),
}


# The start these experiments were measured with (the defaults before
# init="auto", which may train a second time from PCA).
INIT = "random"


def measure(variants, datasets):
    """Held-out MSE x PCA(k) of each variant, k = 16 and 32, on each data set (printed)."""
    rows = []
    for dataset in datasets:
        X = load_lfw_npz()[0] if dataset == "lfw" else load_digits_scaled()[0].reshape(-1, 8, 8)
        X_train, X_test, flat_train, flat_test = split(X)
        for k in (16, 32):
            pca_mse = pca_error(k, flat_train, flat_test)
            for name, (cls, params) in variants.items():
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a ConvergenceWarning at the epoch limit
                    model = cls(k, random_state=0, **{"init": INIT, **params}).fit(X_train)
                fit_s = time.perf_counter() - start
                out = model.inverse_transform(model.transform(X_test)).reshape(len(X_test), -1)
                ratio = float(np.mean((out - flat_test) ** 2)) / pca_mse
                rows.append({"dataset": dataset, "n_components": k, "variant": name,
                             "ratio_to_pca": ratio, "epochs": model.n_iter_,
                             "fit_s": fit_s})  # fmt: skip
                print(f"{dataset} k={k} {name:56s} x PCA {ratio:.3f}  epochs {model.n_iter_:3d}"
                      f"  fit {fit_s:5.1f} s", flush=True)  # fmt: skip
    return rows


def main():
    save("sequence_pca_init", {"rows": measure(VARIANTS, ("digits", "lfw"))})


if __name__ == "__main__":
    main()
