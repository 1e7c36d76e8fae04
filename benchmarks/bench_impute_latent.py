"""An experiment for issue 31: AutoencoderImputer's codes fitted to each row's observed entries.

``transform`` fills a row's missing entries from ``decoder(encoder(x))``,
the missing entries of x at their column means. Here the code of each test
row is then moved by gradient descent (Adam, in network units) to the code
whose decoding best matches the row's *observed* entries, optionally held
near the encoder's code by a penalty ``penalty * |z - z0|^2`` per code, and
the missing entries are filled from that decoding: the decoder as a
generative model fitted to what is seen (as in the imputation literature's
latent-space optimisation), the encoder only as the start.

Protocol of ``bench_impute.py`` (75/25 split with random_state=42, the same
entries hidden, ``AutoencoderImputer(random_state=0)`` defaults): RMSE on the
hidden test entries over ``KNNImputer``'s, at 10 / 30 / 50% missing, on
digits and the LFW faces (50 x 37). Writes results/impute_latent.json.

Run: ``python benchmarks/bench_impute_latent.py [--digits-only]``.
"""

import sys
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

import keras  # noqa: E402
from bench_impute import data_sets, hidden_rmse, missing_splits  # noqa: E402
from keras import ops  # noqa: E402
from sklearn.impute import KNNImputer  # noqa: E402

from skae import AutoencoderImputer  # noqa: E402

warnings.filterwarnings("ignore")

#: (steps, learning rate, penalty) of each variant.
VARIANTS = {
    "encoder's code (skae)": (0, 0.0, 0.0),
    "50 steps, rate 0.01": (50, 0.01, 0.0),
    "200 steps, rate 0.01": (200, 0.01, 0.0),
    "200 steps, rate 0.01, penalty 0.01": (200, 0.01, 0.01),
    "200 steps, rate 0.01, penalty 0.1": (200, 0.01, 0.1),
}


#: The checkpoints of :func:`self_tuned`'s trajectories.
CHECKPOINTS = (0, 10, 25, 50, 100, 200, 400)
#: Step counts also run through ``AutoencoderImputer(n_code_steps=...)`` itself.
SHIPPED = (50, 100, 400)


def decodings(ae, X_std, observed, rate, penalty=0.0, checkpoints=CHECKPOINTS):
    """The decodings (network units) of rows X_std (missing entries at 0) after
    each checkpoint's number of Adam steps on their codes, which start at the
    encoder's: each row's mean squared error on its observed entries, plus
    ``penalty`` times the squared distance from the encoder's code."""
    import tensorflow as tf

    start = ae.encoder_.predict(X_std, verbose=0, batch_size=1024)
    z = keras.Variable(start)
    target = ops.convert_to_tensor(X_std * observed)
    mask = ops.convert_to_tensor(observed.astype(np.float32))
    optimizer = keras.optimizers.Adam(rate)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            decoded = ae.decoder_(z, training=False)
            per_row = ops.sum(mask * (decoded - target) ** 2, axis=1) / ops.maximum(
                ops.sum(mask, axis=1), 1.0
            )
            loss = ops.sum(per_row) + penalty * ops.sum((z - start) ** 2)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])

    decoded, done = {}, 0
    for n in checkpoints:
        for _ in range(n - done):
            step()
        done = n
        decoded[n] = np.asarray(ae.decoder_(z, training=False))
    return decoded


def self_tuned(ae, X_std, observed, hidden, X_test, rate=0.01, held_fraction=0.1):
    """Each checkpoint's RMSE on the hidden entries, and the checkpoint a fit that
    holds out ``held_fraction`` of each row's observed entries would choose."""
    rng = np.random.default_rng(0)
    held = observed & (rng.random(observed.shape) < held_fraction)
    validation = decodings(ae, X_std, observed & ~held, rate)
    held_error = {n: float(np.mean((d - X_std)[held] ** 2)) for n, d in validation.items()}
    chosen = min(held_error, key=held_error.get)
    rmse = {
        n: hidden_rmse(ae._unstandardize(decoded), X_test, hidden)
        for n, decoded in decodings(ae, X_std, observed, rate).items()
    }
    return rmse, held_error, chosen


def run(dataset, X):
    rows = []
    for fraction, X_test, train, test, hidden in missing_splits(X):
        knn_rmse = hidden_rmse(KNNImputer().fit(train).transform(test), X_test, hidden)
        imputer = AutoencoderImputer(random_state=0).fit(train)
        ae = imputer.autoencoder_
        X_std = np.nan_to_num(ae._standardize(test), nan=0.0).astype(np.float32)
        row = {"dataset": dataset, "missing_fraction": fraction, "KNNImputer_rmse": knn_rmse}
        for name, (steps, rate, penalty) in VARIANTS.items():
            decoded = decodings(ae, X_std, ~hidden, rate, penalty, (steps,))[steps]
            filled = np.where(hidden, ae._unstandardize(decoded), test)
            row[name] = hidden_rmse(filled, X_test, hidden) / knn_rmse
        for steps in SHIPPED:  # the same steps through skae's own transform
            filled = imputer.set_params(n_code_steps=steps).transform(test)
            row[f"AutoencoderImputer(n_code_steps={steps})"] = (
                hidden_rmse(filled, X_test, hidden) / knn_rmse
            )
        imputer.set_params(n_code_steps=0)
        rmse, held_error, chosen = self_tuned(ae, X_std, ~hidden, hidden, X_test)
        row["trajectory x KNN"] = {n: r / knn_rmse for n, r in rmse.items()}
        row["held-out observed error"] = held_error
        row["self-tuned steps"] = chosen
        row["self-tuned x KNN"] = rmse[chosen] / knn_rmse
        if fraction == 0.1:
            check = hidden_rmse(imputer.transform(test), X_test, hidden)
            row["skae transform x KNN"] = check / knn_rmse
        rows.append(row)
        print(row, flush=True)
    return rows


def main():
    sets = data_sets()[:1] if "--digits-only" in sys.argv[1:] else data_sets()
    rows = [row for name, X in sets for row in run(name, X)]
    save("impute_latent", {"split": "75/25, random_state=42", "variants": VARIANTS, "rows": rows})


if __name__ == "__main__":
    main()
