"""Fixed-seed fits whose outputs are saved from a reference version of skae.

``python tests/reference/cases.py`` writes ``outputs_<backend>.npz`` beside this
file; ``tests/test_reference.py`` refits the same cases and compares, within
a float32 tolerance (other CPUs round otherwise).

``python tests/reference/cases.py PATH`` writes the outputs to PATH instead
(``--cases dense vae_dense`` for some cases only), and
``python tests/reference/cases.py --compare PATH`` refits and compares with
PATH **bit for bit**: how a refactor proves, on the machine it is made on,
that it keeps behaviour (write PATH before the change, compare after).
"""

import argparse
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
        ae = ConvAutoencoder(
            4, image_shape=(8, 8), filters=(4,), flip_horizontal=False, **fast
        ).fit(X)
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
        model = SequenceAutoencoder(
            3, units=6, n_future=3, bidirectional=False, linear_skip=False, **fast
        ).fit(Xs, ys)
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


def outputs(names=None):
    """The cases' outputs (all, or those named), flattened to ``{"case/output": array}``."""
    import warnings

    runs = cases()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: ConvergenceWarning is expected
        return {
            f"{name}/{key}": np.asarray(value)
            for name in (names or runs)
            for key, value in runs[name]().items()
        }


def reference_path(backend):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), f"outputs_{backend}.npz")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", help="where to write (default: the saved reference)")
    parser.add_argument("--cases", nargs="+", choices=sorted(cases()), help="default: all")
    parser.add_argument("--compare", metavar="PATH", help="compare bit for bit with PATH")
    args = parser.parse_args(argv)
    if args.compare:
        with np.load(args.compare) as saved:
            before = dict(saved)
        names = args.cases or sorted({key.split("/")[0] for key in before})
        now = outputs(names)
        differ = [k for k in sorted(now) if not np.array_equal(now[k], before[k])]
        for key in differ:
            print(f"differs: {key} (max {np.max(np.abs(now[key] - before[key])):.3g})")
        print(f"{len(now) - len(differ)} of {len(now)} outputs equal bit for bit")
        return 1 if differ else 0
    import keras

    path = args.path or reference_path(keras.backend.backend())
    np.savez_compressed(path, **outputs(args.cases))
    print("wrote", path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
