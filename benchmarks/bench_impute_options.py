"""Why AutoencoderImputer's defaults are what they are: the options tried.

Each variant of AutoencoderImputer is fitted on the incomplete training rows
(75/25 split, random_state=42) with 10%, 30% and 50% of the entries hidden
completely at random, and fills the hidden entries of the test rows; the
figure is its RMSE on those entries divided by KNNImputer(5)'s on the same
entries (below 1: better than KNNImputer), with the fit + transform time.
Variants are parameters (``--variants`` picks some by name) plus two that
change the training loss or the transform, run here by patching:

- ``dropped_x4``: noise-dropped observed entries weigh 4 times the others in
  the loss (the masked-autoencoder objective leans on them);
- ``ensemble_3``: the mean of 3 imputers of different seeds (3x the time);
- ``knn_blend``: the mean of the defaults' fill and KNNImputer(5)'s (a
  hybrid, measured to see how far it gets: not an autoencoder's result).

Writes results/impute_options.json; with ``--variants``, the variants run
replace theirs in the saved rows (dated) and the others are kept.
"""

import argparse
import json
import time

import numpy as np
from _common import RESULTS, cpu_model, quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from bench_impute import hide_at_random  # noqa: E402
from sklearn.impute import KNNImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderImputer  # noqa: E402
from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

BEFORE = {"n_components": 16, "hidden_layer_sizes": (128,)}  # the defaults before 0.2
VARIANTS = {
    "before (k=16, (128,))": BEFORE,
    "defaults (k=auto, (256,))": {},
    "k=16, (256,)": {"n_components": 16},
    "k=32, (128,)": {**BEFORE, "n_components": 32},
    "k=64, (128,)": {**BEFORE, "n_components": 64},
    "k=64, (512,)": {"n_components": 64, "hidden_layer_sizes": (512,)},
    "k=128, (512,)": {"n_components": 128, "hidden_layer_sizes": (512,)},
    "k=16, (256, 128)": {"n_components": 16, "hidden_layer_sizes": (256, 128)},
    "k=auto, (256, 128)": {"hidden_layer_sizes": (256, 128)},
    "noise_level=0.1": {**BEFORE, "noise_level": 0.1},
    "noise_level=0.5": {**BEFORE, "noise_level": 0.5},
    "epochs=400, n_iter_no_change=40": {**BEFORE, "epochs": 400, "n_iter_no_change": 40},
    "no early stopping, 200 epochs": {**BEFORE, "early_stopping": False, "epochs": 200},
    "batch_size=128": {**BEFORE, "batch_size": 128, "epochs": 300},
    "activation=tanh": {**BEFORE, "activation": "tanh"},
    "learning_rate=3e-4, 300 epochs": {**BEFORE, "learning_rate": 3e-4, "epochs": 300},
    "n_refinements=2": {"n_refinements": 2},
    "dropped_x4": {},
    "ensemble_3": {},
    "knn_blend": {},
}


def dropped_weighted(weight):
    """Patch the imputer's training model: noise-dropped entries weigh ``weight``."""
    from keras import ops

    from skae import _impute
    from skae._keras.models import MaskedAutoencoder

    class DroppedWeighted(MaskedAutoencoder):
        def call(self, x, training=False):
            if not training or self.noise is None:
                return super().call(x, training=training)
            noisy = self.noise(x, training=True)
            dropped = ops.cast(ops.logical_and(noisy == 0.0, x != 0.0), x.dtype)
            output = self.decoder(self.encoder(noisy, training=True), training=True)
            return ops.concatenate([output, dropped], axis=-1)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            n = y[0].shape[-1]
            if y_pred.shape[-1] == 2 * n:
                y_pred, dropped = y_pred[..., :n], y_pred[..., n:]
                y = (y[0], ops.cast(y[1], self.dtype) * (1.0 + (weight - 1.0) * dropped))
            return super().compute_loss(x, y, y_pred, sample_weight, training)

    original = _impute._MaskedAutoencoder._build_model

    def build(self, networks, noise, seed, steps_per_epoch):
        return DroppedWeighted(networks["encoder"], networks["decoder"], noise=noise)

    _impute._MaskedAutoencoder._build_model = build
    return lambda: setattr(_impute._MaskedAutoencoder, "_build_model", original)


def impute(name, train, test):
    if name == "ensemble_3":
        fills = [AutoencoderImputer(random_state=s).fit(train).transform(test) for s in range(3)]
        return np.mean(fills, axis=0)
    if name == "knn_blend":
        fill = AutoencoderImputer(random_state=0).fit(train).transform(test)
        return (fill + KNNImputer().fit(train).transform(test)) / 2
    if name == "dropped_x4":
        restore = dropped_weighted(4.0)
        try:
            return AutoencoderImputer(random_state=0).fit(train).transform(test)
        finally:
            restore()
    return AutoencoderImputer(random_state=0, **VARIANTS[name]).fit(train).transform(test)


def run(dataset, X, names):
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    rows = []
    AutoencoderImputer(epochs=1).fit(X_train[:64])  # imports and first compilation, untimed
    for fraction in (0.1, 0.3, 0.5):
        train, test, hidden = hide_at_random(X_train, X_test, fraction)

        def rmse(filled, hidden=hidden):
            return float(np.sqrt(np.mean((filled[hidden] - X_test[hidden]) ** 2)))

        start = time.perf_counter()
        knn = rmse(KNNImputer().fit(train).transform(test))
        row = {
            "dataset": dataset,
            "missing_fraction": fraction,
            "KNNImputer_rmse": knn,
            "KNNImputer_s": time.perf_counter() - start,
            "variants": {},
        }
        for name in names:
            start = time.perf_counter()
            error = rmse(impute(name, train, test))
            row["variants"][name] = {"x_knn": error / knn, "s": time.perf_counter() - start}
            print(
                f"{dataset} {int(100 * fraction)}% {name}: {error / knn:.3f} x KNNImputer "
                f"({row['variants'][name]['s']:.1f} s)",
                flush=True,
            )
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS))
    args = parser.parse_args()
    X_digits, _ = load_digits_scaled()
    images, _, _ = load_lfw_npz(resize=0.4)
    names = args.variants or list(VARIANTS)
    rows = run("digits", X_digits, names)
    rows += run("lfw", images.reshape(len(images), -1), names)
    payload = {"split": "75/25, random_state=42", "rows": rows}
    saved = RESULTS / "impute_options.json"
    if args.variants and saved.exists():
        previous = json.loads(saved.read_text())
        # The file's date and machine stay the other variants' run's; the
        # variants run now carry their own.
        now = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": cpu_model()}
        for old, new in zip(previous["rows"], rows, strict=True):
            for key in ("dataset", "missing_fraction"):
                assert old[key] == new[key], (old[key], new[key])
            old["variants"].update({k: {**v, **now} for k, v in new["variants"].items()})
        payload = {**payload, **{k: previous[k] for k in ("date", "machine")}}
        payload["rows"] = previous["rows"]
    save("impute_options", payload)


if __name__ == "__main__":
    main()
