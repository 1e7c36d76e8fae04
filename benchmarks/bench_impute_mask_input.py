"""An experiment for issue 31: does the imputer's network impute better when it also reads the mask?

skae's imputer network reads the standardised values with missing entries
at 0 (the column mean) and cannot tell a missing entry from an observed
mean. Here the same network (one hidden layer of 256, 16 codes, the masked
loss on observed entries, masking noise on a quarter of the inputs, Adam at
1e-3, batch 32, early stopping on a tenth of the rows, patience 10) is
written in plain Keras on TensorFlow, once reading the values only (as skae
does today) and once reading the values and the 0/1 mask of observed
entries side by side (the mask of a dropped entry is 0 too), as the
imputation networks of the literature do (GAIN's hint, MIDA's corruption).
A deeper (256, 128) network and masking noise of one half are measured with
the mask too, and each imputation averaged with ``KNNImputer``'s (a blend
of the two imputers, as a bound on what combining them gives).

Protocol of ``bench_impute.py``: digits, 75/25 split with random_state=42,
10 / 30 / 50% of the entries missing completely at random; fitted on the
incomplete training rows, RMSE on the hidden entries of the test rows,
divided by ``KNNImputer(5)``'s. On digits two seeds each (the seed spread
is a few percent); on the LFW faces (50 x 37, ``--lfw``: 64 codes, as skae's
``"auto"`` gives there) one seed, values only and values and mask. Writes
results/impute_mask_input.json (``impute_mask_input_lfw.json``).

``--more`` (digits): the best of them, the (256, 128) network reading the
mask (0.955 / 0.954 / 0.891 x KNN), with one more change each: dropout,
a wider network with dropout, a masking-noise rate drawn per row, the
dropped entries weighted more in the loss, 32 codes, and each test row
imputed 17 times (16 with a fifth of its observed entries dropped too) and
averaged. Writes results/impute_mask_input_more.json. Measured
(2026-12-06, mean of seeds 0 and 1, x KNN at 10 / 30 / 50%): dropout 0.2
1.007 / 0.975 / 0.862; (512, 256) with dropout 0.3 1.006 / 0.976 / 0.863;
noise rate U(0, 0.5) 0.972 / 0.957 / 0.886; dropped entries x3 0.987 /
0.972 / 0.908; 32 codes 0.965 / 0.966 / 0.904; 16 test draws 0.968 /
0.966 / 0.895. Dropout helps at 50% only, and nothing reaches 0.9 x at
10% or 30%; averaged with KNN's imputation the best is 0.922 / 0.923.

Run: ``python benchmarks/bench_impute_mask_input.py [--lfw | --more]``.
"""

import sys
import time

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from bench_impute import hide_at_random  # noqa: E402
from sklearn.impute import KNNImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae.datasets import load_digits_scaled, load_lfw_npz  # noqa: E402

# name: (reads the mask, masking noise, hidden layers)
VARIANTS = {
    "values only (skae today)": (False, 0.25, (256,)),
    "values and mask": (True, 0.25, (256,)),
    "values and mask, (256, 128)": (True, 0.25, (256, 128)),
    "values and mask, noise 0.5": (True, 0.5, (256,)),
}
# --more: the (256, 128) network reading the mask, with one more change each
# (the options of fit_and_impute); measured 2026-12-06 in the docstring above.
MORE_VARIANTS = {
    "values and mask, (256, 128), dropout 0.2": (True, 0.25, (256, 128), {"dropout": 0.2}),
    "values and mask, (512, 256), dropout 0.3": (True, 0.25, (512, 256), {"dropout": 0.3}),
    "values and mask, (256, 128), noise U(0, 0.5)": (True, 0.25, (256, 128), {"noise_max": 0.5}),
    "values and mask, (256, 128), dropped x3": (True, 0.25, (256, 128), {"dropped_weight": 3.0}),
    "values and mask, (256, 128), 32 codes": (True, 0.25, (256, 128), {"n_components": 32}),
    "values and mask, (256, 128), 16 test draws": (True, 0.25, (256, 128), {"test_draws": 16}),
}
SEEDS = (0, 1)
EPOCHS, BATCH, PATIENCE = 300, 32, 10


def network(n_inputs, n_outputs, hidden, n_components, dropout=0.0):
    inputs = keras.Input((n_inputs,))
    h = inputs
    for width in hidden:
        h = keras.layers.Dense(width, activation="relu")(h)
        h = keras.layers.Dropout(dropout)(h) if dropout else h
    h = keras.layers.Dense(n_components)(h)
    for width in hidden[::-1]:
        h = keras.layers.Dense(width, activation="relu")(h)
        h = keras.layers.Dropout(dropout)(h) if dropout else h
    return keras.Model(inputs, keras.layers.Dense(n_outputs)(h))


def fit_and_impute(
    train,
    test,
    reads_mask,
    noise,
    hidden,
    seed,
    n_components,
    dropout=0.0,
    noise_max=None,
    dropped_weight=1.0,
    test_draws=0,
):
    """Test rows with their missing entries imputed, and the epochs trained.

    The options of ``MORE_VARIANTS`` (their defaults: the network above):
    ``dropout`` after each hidden layer; ``noise_max``, a masking-noise rate
    drawn per row from U(0, noise_max) instead of ``noise``; the loss on the
    entries the noise dropped weighted ``dropped_weight`` times the other
    observed entries; ``test_draws`` more imputations of each test row with a
    fifth of its observed entries dropped as well, averaged with the plain one.
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    observed = ~np.isnan(train)
    offset = np.nanmean(train, axis=0)
    scale = float(np.sqrt(np.sum(np.where(observed, train - offset, 0.0) ** 2) / observed.sum()))
    Z = np.where(observed, (train - offset) / scale, 0.0).astype("float32")
    M = observed.astype("float32")
    d = Z.shape[1]
    model = network(2 * d if reads_mask else d, d, hidden, n_components, dropout)
    optimizer = keras.optimizers.Adam(1e-3)

    def feed(x, m):
        return np.concatenate([x, m], axis=1) if reads_mask else x

    @tf.function
    def step(x, m, keep):
        inputs = tf.concat([x * keep, m * keep], 1) if reads_mask else x * keep
        weight = m * (1.0 + (dropped_weight - 1.0) * (1.0 - keep))
        with tf.GradientTape() as tape:
            error = weight * (model(inputs, training=True) - x) ** 2
            loss = tf.reduce_sum(error) / tf.maximum(tf.reduce_sum(weight), 1.0)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

    order = rng.permutation(len(Z))
    val, rows = order[: len(Z) // 10], order[len(Z) // 10 :]
    best, best_weights, waited, epochs_run = np.inf, None, 0, 0
    while epochs_run < EPOCHS:
        epochs_run += 1
        shuffled = rng.permutation(rows)
        for start in range(0, len(shuffled), BATCH):
            b = np.sort(shuffled[start : start + BATCH])
            rate = noise if noise_max is None else rng.random((len(b), 1)) * noise_max
            keep = (rng.random((len(b), d)) >= rate).astype("float32")
            step(tf.constant(Z[b]), tf.constant(M[b]), tf.constant(keep))
        out = model.predict(feed(Z[val], M[val]), verbose=0, batch_size=1024)
        val_loss = float(np.sum(M[val] * (out - Z[val]) ** 2) / M[val].sum())
        if val_loss < best:
            best, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= PATIENCE:
                break
    model.set_weights(best_weights)
    test_observed = ~np.isnan(test)
    Zt = np.where(test_observed, (test - offset) / scale, 0.0).astype("float32")
    Mt = test_observed.astype("float32")
    out = model.predict(feed(Zt, Mt), verbose=0, batch_size=1024)
    if test_draws:
        draws = [out]
        for _ in range(test_draws):
            keep = (rng.random(Zt.shape) >= 0.2).astype("float32")
            draws.append(model.predict(feed(Zt * keep, Mt * keep), verbose=0, batch_size=1024))
        out = np.mean(draws, axis=0)
    return np.where(test_observed, test, out * scale + offset), epochs_run


def main():
    lfw = "--lfw" in sys.argv
    X = load_lfw_npz()[0].reshape(-1, 50 * 37) if lfw else load_digits_scaled()[0]
    n_components = 64 if lfw else 16
    more = "--more" in sys.argv
    variants = {name: VARIANTS[name] for name in list(VARIANTS)[:2]} if lfw else VARIANTS
    variants = MORE_VARIANTS if more else variants
    seeds = SEEDS[:1] if lfw else SEEDS
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=42)
    rows = []
    for fraction in (0.1, 0.3, 0.5):
        train, test, hidden = hide_at_random(X_train, X_test, fraction)
        knn = KNNImputer().fit(train).transform(test)
        knn_rmse = float(np.sqrt(np.mean((knn[hidden] - X_test[hidden]) ** 2)))
        for name, (reads_mask, noise, layers, *options) in variants.items():
            options = {"n_components": n_components, **(options[0] if options else {})}
            ratios, blends = [], []
            for seed in seeds:
                start = time.perf_counter()
                imputed, epochs = fit_and_impute(
                    train, test, reads_mask, noise, layers, seed, **options
                )
                rmse = float(np.sqrt(np.mean((imputed[hidden] - X_test[hidden]) ** 2)))
                blend = (imputed + knn) / 2
                blend_rmse = float(np.sqrt(np.mean((blend[hidden] - X_test[hidden]) ** 2)))
                ratios.append(rmse / knn_rmse)
                blends.append(blend_rmse / knn_rmse)
                rows.append({"missing_fraction": fraction, "variant": name, "seed": seed,
                             "rmse": rmse, "knn_rmse": knn_rmse, "ratio": rmse / knn_rmse,
                             "ratio_mean_with_knn": blend_rmse / knn_rmse,
                             "epochs": epochs, "fit_s": time.perf_counter() - start})  # fmt: skip
            print(f"{fraction:.0%} {name:30s} x KNN: {np.mean(ratios):.3f} "
                  f"({', '.join(f'{r:.3f}' for r in ratios)}); averaged with KNN's "
                  f"imputation: {np.mean(blends):.3f}", flush=True)  # fmt: skip
    name = "impute_mask_input_lfw" if lfw else "impute_mask_input"
    name = "impute_mask_input_more" if more else name
    save(name, {"dataset": "lfw" if lfw else "digits", "seeds": seeds, "rows": rows})


if __name__ == "__main__":
    main()
