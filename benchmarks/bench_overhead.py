"""skae's price over plain Keras: fit wall time, and transform latency / throughput.

Fit: the same 64-128-8-128-64 network, same epochs, batch size and optimizer,
written in plain Keras (``Model.fit`` on arrays) and as AutoencoderTransformer
(validation and early stopping off so the work is the same), alternated,
3 runs each; the ratio of medians is reported (goal <= 1.05).

Transform: ``AutoencoderTransformer.transform`` (validation, scaling and the
network) beside the bare encoder through ``Model.predict`` and through a
direct call, at 1, 100, 10 000 and 100 000 rows (goal: one row <= 1 ms,
large inputs at least ``Model.predict``'s throughput).
Writes results/overhead.json.
"""

import statistics
import time

import numpy as np
from _common import median_seconds, quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.datasets import load_digits_scaled  # noqa: E402

EPOCHS, BATCH, RUNS = 30, 32, 3


def plain_keras_fit(X):
    inputs = keras.Input((64,))
    h = keras.layers.Dense(128, activation="relu")(inputs)
    z = keras.layers.Dense(8)(h)
    h = keras.layers.Dense(128, activation="relu")(z)
    model = keras.Model(inputs, keras.layers.Dense(64)(h))
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    start = time.perf_counter()
    model.fit(X, X, epochs=EPOCHS, batch_size=BATCH, shuffle=True, verbose=0)
    return time.perf_counter() - start


def skae_fit(X):
    ae = AutoencoderTransformer(
        n_components=8,
        hidden_layer_sizes=(128,),
        epochs=EPOCHS,
        batch_size=BATCH,
        validation_fraction=0.0,
        early_stopping=False,
        random_state=0,
    )
    start = time.perf_counter()
    ae.fit(X)
    return time.perf_counter() - start, ae


def per_call_seconds(fn, n_rows):
    return median_seconds(fn, repeats=max(3, min(300, 20_000 // n_rows)))


def main():
    X, _ = load_digits_scaled()
    X = X[:1347].astype(np.float32)
    plain, ours = [], []
    for _ in range(RUNS):
        plain.append(plain_keras_fit(X))
        seconds, ae = skae_fit(X)
        ours.append(seconds)
    fit = {
        "epochs": EPOCHS,
        "batch_size": BATCH,
        "n_rows": len(X),
        "plain_keras_s": plain,
        "skae_s": ours,
        "ratio_of_medians": statistics.median(ours) / statistics.median(plain),
    }
    print(
        f"fit: plain Keras {statistics.median(plain):.2f}s, skae {statistics.median(ours):.2f}s, "
        f"ratio {fit['ratio_of_medians']:.3f} (goal <= 1.05)",
        flush=True,
    )

    rng = np.random.default_rng(0)
    encoder = ae.encoder_
    latency = []
    for n_rows in (1, 100, 10_000, 100_000):
        rows = rng.random((n_rows, 64), dtype=np.float32)
        rows_std = ae._standardize(rows)
        seconds = {
            "skae_transform": per_call_seconds(lambda rows=rows: ae.transform(rows), n_rows),
            "model_predict": per_call_seconds(
                lambda rows_std=rows_std: encoder.predict(rows_std, batch_size=1024, verbose=0),
                n_rows,
            ),
            "direct_call": per_call_seconds(
                lambda rows_std=rows_std: keras.ops.convert_to_numpy(
                    encoder(rows_std, training=False)
                ),
                n_rows,
            ),
        }
        entry = {"n_rows": n_rows}
        for name, s in seconds.items():
            entry[f"{name}_ms"] = s * 1e3
            entry[f"{name}_rows_per_s"] = n_rows / s
        latency.append(entry)
        print(
            f"transform {n_rows:>7} rows: skae {entry['skae_transform_ms']:9.3f} ms"
            f"  Model.predict {entry['model_predict_ms']:9.3f} ms"
            f"  direct call {entry['direct_call_ms']:9.3f} ms",
            flush=True,
        )
    save("overhead", {"fit": fit, "transform": latency})


if __name__ == "__main__":
    main()
