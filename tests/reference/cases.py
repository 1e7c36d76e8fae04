"""Fixed-seed fits whose outputs are saved from a reference version of skae.

``python tests/reference/cases.py`` writes ``outputs_<backend>.npz`` beside this
file; ``tests/test_reference.py`` refits the same cases and compares. A
refactor that keeps behaviour keeps these outputs.
"""

import os
import sys

import numpy as np
from sklearn.datasets import load_digits


def _data():
    X = load_digits().data[:240] / 16.0
    series = np.sin(np.arange(260) / 4.0) + 0.1 * np.cos(np.arange(260) / 1.7)
    return X, series


def cases():
    """name -> function returning a dict of named output arrays."""
    from skae import (
        AutoencoderImputer,
        AutoencoderOutlierDetector,
        AutoencoderTransformer,
        ConvAutoencoder,
        SequenceAutoencoder,
        VAETransformer,
        make_windows,
    )

    X, series = _data()
    images = X.reshape(-1, 8, 8)
    fast = dict(epochs=3, batch_size=32, random_state=0)

    def dense():
        ae = AutoencoderTransformer(3, hidden_layer_sizes=(16,), **fast).fit(X)
        Z = ae.transform(X)
        return {"transform": Z, "inverse": ae.inverse_transform(Z), "score": ae.score_samples(X)}

    def dense_masking_noise():
        ae = AutoencoderTransformer(3, hidden_layer_sizes=(16,), noise="masking", **fast).fit(X)
        return {"transform": ae.transform(X)}

    def dense_sigmoid():
        ae = AutoencoderTransformer(
            3, hidden_layer_sizes=(16,), output_activation="sigmoid", **fast
        ).fit(X)
        return {"transform": ae.transform(X), "inverse": ae.inverse_transform(ae.transform(X))}

    def conv_flat():
        ae = ConvAutoencoder(4, image_shape=(8, 8), filters=(4,), **fast).fit(X)
        Z = ae.transform(X)
        return {"transform": Z, "inverse": ae.inverse_transform(Z)}

    def conv_images_flip():
        ae = ConvAutoencoder(4, filters=(4, 8), flip_horizontal=True, **fast).fit(images)
        Z = ae.transform(images)
        return {"transform": Z, "inverse": ae.inverse_transform(Z)}

    def vae_dense():
        vae = VAETransformer(2, hidden_layer_sizes=(16,), kl_warmup_epochs=1, **fast).fit(X)
        mean, std = vae.transform(X, return_std=True)
        return {
            "mean": mean,
            "std": std,
            "score": vae.score_samples(X[:50]),
            "sample": vae.sample(5, random_state=0),
        }

    def vae_conv():
        vae = VAETransformer(2, image_shape=(8, 8), filters=(4,), hidden_layer_sizes=(), **fast)
        vae.fit(X)
        return {"mean": vae.transform(X), "score": vae.score_samples(X[:50])}

    def sequence_forecast():
        Xs, ys = make_windows(series, window=12, n_future=3)
        model = SequenceAutoencoder(3, units=6, n_future=3, **fast).fit(Xs, ys)
        Z = model.transform(Xs)
        return {"transform": Z, "inverse": model.inverse_transform(Z), "predict": model.predict(Xs)}

    def imputer():
        X_missing = X.copy()
        X_missing[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
        imp = AutoencoderImputer(n_components=4, hidden_layer_sizes=(16,), **fast)
        return {"transform": imp.fit(X_missing).transform(X_missing)}

    def outliers():
        detector = AutoencoderOutlierDetector(
            AutoencoderTransformer(3, hidden_layer_sizes=(16,), **fast)
        ).fit(X)
        return {"decision": detector.decision_function(X)}

    return {
        function.__name__: function
        for function in (
            dense,
            dense_masking_noise,
            dense_sigmoid,
            conv_flat,
            conv_images_flip,
            vae_dense,
            vae_conv,
            sequence_forecast,
            imputer,
            outliers,
        )
    }


def outputs():
    """Every case's outputs, flattened to ``{"case/output": array}``."""
    return {
        f"{name}/{key}": np.asarray(value)
        for name, run in cases().items()
        for key, value in run().items()
    }


def reference_path(backend):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), f"outputs_{backend}.npz")


if __name__ == "__main__":
    import keras

    path = reference_path(keras.backend.backend())
    np.savez_compressed(path, **outputs())
    print("wrote", path, file=sys.stderr)
