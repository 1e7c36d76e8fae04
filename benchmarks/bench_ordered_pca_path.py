"""An experiment for issue 30: an ordered conv fit that starts as PCA at every prefix.

The ordered ``ConvAutoencoder(64)`` on the LFW faces beats PCA(k) at k = 8,
16 and 32 but not at 64 (1.079 x on seed 0, 1.103 on seed 1; the separate
64-code conv fit is itself only 0.996 x). PCA's components are nested: the
first k of them are the best linear k-code for every k at once. Here the
conv networks get a linear path beside them, as the sequence model's
``linear_skip``: the code is the conv encoder's plus a linear map of the
image, the reconstruction the conv decoder's plus a linear map of the code.
The linear maps are set to PCA's projection and reconstruction (of the
standardised training faces, all rows, as ``init="pca"`` fits them) and not
trained; the conv branches' last layers (``latent``, ``reconstruction``)
start at zero, so that the network starts as PCA(k) at every prefix k, and
the conv branches learn what PCA misses, kept by early stopping only while
it helps on the validation faces.

Protocol of ``bench_ordered_emphasis.py --lfw``: 75/25 split of the faces
(resize 0.4) with random_state=0, held-out MSE of the first k codes x PCA(k)
and x the separate conv fits recorded by ``bench_ordered.py --lfw``.
Writes results/ordered_pca_path[_seedS][_lrR][_trainable][_random_branches][_PARAMS].json.

Measured (2026-12-07, TensorFlow, 2 cores, seed 0), x PCA at k = 8 / 16 /
32 / 64:

- the ordered conv defaults (``bench_ordered.py --lfw``): x PCA 0.971 /
  0.931 / 0.964 / 1.079, x separate 1.018 / 1.008 / 1.018 / 1.083, 160 s;
- PCA path: x PCA 0.998 / 0.998 / 0.998 / 0.998, x separate 1.046 / 1.080
  / 1.054 / 1.002, 39 s, best epoch 2;
- PCA path, learning rate 3e-4: x PCA 1.000 / 1.000 / 1.000 / 0.999 (best
  epoch 1);
- PCA path trained too: 1.013 / 1.027 / 1.043 / 1.062 (best epoch 1);
- PCA path, no shifted or mirrored faces: 1.000 / 1.000 / 1.000 / 0.999;
- PCA path, ``n_iter_no_change=40``: 0.998 / 0.998 / 0.998 / 0.998 (81 s,
  best epoch 2);
- PCA path, conv branches from random weights: 1.000 / 1.000 / 1.000 /
  0.999.

Started as PCA, the network stays PCA: the conv branches' correction does
not carry to the validation faces after the second epoch, whatever the
rate, the patience or the augmentation (as the sequence model's recurrent
correction on faces, ``bench_sequence_residual.py``). It meets the issue's
conv measure at 64 codes (0.998 x PCA), but by giving up what the ordered
conv fit gains over PCA at 8-32 codes (0.93-0.97 x). Not adopted: for a
user it is PCA with a network's cost.

Run: ``python benchmarks/bench_ordered_pca_path.py [--seed=S] [--learning_rate=R]
[--trainable] [--random-branches] [--translate=T] [--no-flip] [--n_iter_no_change=N]``.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_ordered import mse, timed_fit  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import ConvAutoencoder, _pca_start  # noqa: E402
from skae import _scaling as scaling  # noqa: E402

warnings.filterwarnings("ignore")


def with_pca_path(networks, components, mean, trainable=False, zero_branches=True):
    """The conv networks with a fixed linear path at PCA, their own last layers at zero."""
    import keras

    encoder, decoder = networks["encoder"], networks["decoder"]
    for network, name in ((encoder, "latent"), (decoder, "reconstruction"))[: 2 * zero_branches]:
        layer = network.get_layer(name)
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    shape = tuple(encoder.input_shape[1:])
    W = components.T.astype("float32")
    mean = mean.astype("float32")
    images = keras.Input(shape, name="images")
    project = keras.layers.Dense(W.shape[1], name="encoder_linear")
    flat = keras.layers.Flatten(name="encoder_flat")(images)
    code = keras.layers.Add(name="encoder_sum")([encoder(images), project(flat)])
    project.set_weights([W, -mean @ W])
    project.trainable = trainable
    codes = keras.Input((W.shape[1],), name="codes")
    reconstruct = keras.layers.Dense(W.shape[0], name="decoder_linear")
    linear = keras.layers.Reshape(shape, name="decoder_unflat")(reconstruct(codes))
    outputs = keras.layers.Add(name="decoder_sum")([decoder(codes), linear])
    reconstruct.set_weights([W.T, mean])
    reconstruct.trainable = trainable
    return {
        "encoder": keras.Model(images, code, name="encoder"),
        "decoder": keras.Model(codes, outputs, name="decoder"),
    }


class PCAPathConv(ConvAutoencoder):
    trainable_path = False
    zero_branches = True

    def _fit_scaling(self, X, sample_weight):
        super()._fit_scaling(X, sample_weight)
        shape = self.layout_.network_shape
        inputs = scaling.network_rows(X, self.offset_, self.scale_, shape)
        rows = _pca_start.subset(np.arange(len(X)), seed=0)
        self._pca = _pca_start.pca_maps(
            _pca_start.flat_rows(inputs, rows), None, self._code_width(), seed=0
        )

    def _build_networks(self, seed, encoder, decoder):
        networks = super()._build_networks(seed, encoder, decoder)
        return with_pca_path(networks, *self._pca, self.trainable_path, self.zero_branches)


def main(seed=0, learning_rate=1e-3, trainable=False, **params):
    from skae.datasets import load_lfw_npz

    faces = load_lfw_npz(resize=0.4)[0]
    F_train, F_test = train_test_split(faces, test_size=0.25, random_state=0)
    recorded = json.loads((Path(__file__).parent / "results" / "ordered.json").read_text())
    estimator = PCAPathConv(64, ordered=True, random_state=seed, learning_rate=learning_rate)
    estimator.set_params(**params)
    estimator.trainable_path = trainable
    estimator.zero_branches = "--random-branches" not in sys.argv[1:]
    model, seconds = timed_fit(estimator, F_train)
    rows = []
    for row in recorded["lfw_conv"]:
        if "k" in row:
            ordered_mse = mse(model, F_test, row["k"])
            rows.append({"k": row["k"], "ordered_mse": ordered_mse,
                         "x_separate": ordered_mse / row["separate_mse"],
                         "x_pca": ordered_mse / row["pca_mse"]})  # fmt: skip
            print(rows[-1], flush=True)
    result = {"seed": seed, "learning_rate": learning_rate, "trainable_path": trainable,
              "params": params, "fit_s": seconds, "epochs": model.n_iter_,
              "best_epoch": int(np.argmin(model.history_["val_loss"])) + 1,
              "separate_from": recorded["lfw_conv_date"], "rows": rows}  # fmt: skip
    print(f"fit {seconds:.0f} s, {model.n_iter_} epochs, best {result['best_epoch']}")
    name = "ordered_pca_path" if seed == 0 else f"ordered_pca_path_seed{seed}"
    name = name if learning_rate == 1e-3 else f"{name}_lr{learning_rate:g}"
    name = name if not trainable else f"{name}_trainable"
    name = name if estimator.zero_branches else f"{name}_random_branches"
    save(name + "".join(f"_{k}{v}" for k, v in params.items()), result)


if __name__ == "__main__":
    options = dict(a[2:].split("=", 1) for a in sys.argv[1:] if "=" in a)
    main(
        int(options.get("seed", 0)),
        float(options.get("learning_rate", 1e-3)),
        "--trainable" in sys.argv[1:],
        **{k: int(v) for k, v in options.items() if k in ("translate", "n_iter_no_change")},
        **({"flip_horizontal": False} if "--no-flip" in sys.argv[1:] else {}),
    )
