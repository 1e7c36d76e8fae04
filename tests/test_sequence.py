"""SequenceAutoencoder: layouts, forecasting, windows, persistence, searches."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from test_reference import tolerance

from skae import SequenceAutoencoder, _pca_start, make_windows, windows_to_timeline

# One pytest-xdist worker runs this module (`--dist loadgroup`): its tests
# that build one architecture then trace its TensorFlow programs once.
pytestmark = pytest.mark.xdist_group("module-sequence")

# init="random": these tests are about layouts, forecasts and layers, and
# "auto" would train most of them twice, the second time a program of its
# own (the fixed linear maps); the init tests below use "auto".
FAST = dict(n_components=4, units=8, epochs=2, random_state=0, init="random")
# The 0.1 network (forwards only, no linear maps).
V0_1 = dict(bidirectional=False, linear_skip=False)


@pytest.fixture(scope="module")
def sine_windows():
    t = np.arange(600)
    series = np.sin(2 * np.pi * t / 25) + 0.05 * np.random.default_rng(0).normal(size=len(t))
    return make_windows(series, 30, n_future=5)


def test_make_windows_and_back_to_the_timeline():
    series = np.arange(10.0)
    X, y = make_windows(series, 4, stride=2, n_future=2)
    assert X.shape == (3, 4, 1) and y.shape == (3, 2, 1)
    np.testing.assert_array_equal(X[1, :, 0], [2, 3, 4, 5])
    np.testing.assert_array_equal(y[1, :, 0], [6, 7])
    timeline = windows_to_timeline([1.0, 2.0, 3.0], 10, 4, stride=2)
    np.testing.assert_allclose(timeline[:8], [1, 1, 1.5, 1.5, 2.5, 2.5, 3, 3])
    assert np.isnan(timeline[8:]).all()
    with pytest.raises(ValueError, match="too short for window=20"):
        make_windows(series, 20)


def test_layouts_round_trip(sine_windows):
    X, _ = sine_windows
    model = SequenceAutoencoder(**FAST).fit(X)
    assert model.sequence_shape_ == (30, 1)
    assert model.inverse_transform(model.transform(X[:3])).shape == (3, 30, 1)
    flat = SequenceAutoencoder(sequence_shape=(30, 1), **FAST).fit(X.reshape(len(X), -1))
    assert flat.inverse_transform(flat.transform(X[:3].reshape(3, -1))).shape == (3, 30)
    np.testing.assert_allclose(flat.transform(X[:3]), flat.transform(X[:3].reshape(3, -1)))


def test_wrong_sequence_shapes_are_named():
    with pytest.raises(ValueError, match="holds 20 values per sequence, but X has 30 features"):
        SequenceAutoencoder(sequence_shape=(10, 2), **FAST).fit(np.zeros((8, 30)))
    model = SequenceAutoencoder(**FAST).fit(np.zeros((8, 6, 2)))
    with pytest.raises(ValueError, match="fitted on sequences of shape \\(6, 2\\)"):
        model.transform(np.zeros((2, 5, 2)))


def test_forecast_needs_targets_and_predict_exists_only_with_n_future(sine_windows):
    X, _ = sine_windows
    assert not hasattr(SequenceAutoencoder(**FAST), "predict")
    with pytest.raises(ValueError, match="n_future=5 needs y"):
        SequenceAutoencoder(n_future=5, **FAST).fit(X)


def test_forecast_beats_persistence_on_a_periodic_series(sine_windows):
    X, y = sine_windows
    n_train = 450
    # 10 epochs: the forecast's error is 0.27 x persistence's (0.20 with
    # random_state=1), well inside the bound; 20 epochs took twice the time.
    model = SequenceAutoencoder(
        n_components=8, units=16, n_future=5, epochs=10, random_state=0
    ).fit(X[:n_train], y[:n_train])
    forecast = model.predict(X[n_train:])
    assert forecast.shape == y[n_train:].shape
    model_mae = np.mean(np.abs(forecast - y[n_train:]))
    persistence_mae = np.mean(np.abs(X[n_train:, -1:, :] - y[n_train:]))
    assert model_mae < 0.5 * persistence_mae, (model_mae, persistence_mae)
    assert set(model.history_) >= {"loss", "decoder_loss", "future_decoder_loss"}


def test_pickled_composite_model_forecasts_the_same(sine_windows):
    X, y = sine_windows
    # The forecast test's network (one worker runs this module, and a network
    # of the same architecture reuses its compiled programs).
    network = dict(n_components=8, units=16, n_future=5, random_state=0)
    model = SequenceAutoencoder(epochs=2, **network).fit(X[:64], y[:64])
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X[:10]), model.predict(X[:10]))
    np.testing.assert_array_equal(restored.transform(X[:10]), model.transform(X[:10]))


def test_grid_search_over_n_components_in_a_pipeline(sine_windows):
    X, _ = sine_windows
    rows = X[:200].reshape(200, -1)
    pipe = Pipeline(
        [
            # The 0.1 network: the search's plumbing does not depend on the
            # layers, and its smaller graphs build in about half the time.
            (
                "ae",
                SequenceAutoencoder(
                    sequence_shape=(30, 1), units=8, epochs=3, random_state=0, **V0_1
                ),
            ),
            ("pca", PCA(n_components=1)),
        ]
    )
    search = GridSearchCV(pipe, {"ae__n_components": [2, 4]}, cv=2).fit(rows)
    # Both candidates were fitted and scored (PCA's log-likelihood of the codes).
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["ae"]
    assert best.n_components == search.best_params_["ae__n_components"]
    assert best.transform(rows[:5]).shape == (5, best.n_components)
    assert search.transform(rows[:5]).shape == (5, 1)


def test_refit_without_forecasting_drops_the_earlier_future_decoder():
    X, y = make_windows(np.sin(np.arange(120) / 3.0), window=10, n_future=2)
    # The 0.1 network: what is tested is the fitted attributes of a refit,
    # the same for every architecture (and the smaller graphs build faster).
    model = SequenceAutoencoder(2, units=4, n_future=2, epochs=1, random_state=0, **V0_1).fit(X, y)
    assert hasattr(model, "future_decoder_")
    model.set_params(n_future=0).fit(X)
    assert not hasattr(model, "future_decoder_")
    assert not hasattr(model, "predict")


def _layer_types(network):
    return {type(layer).__name__ for layer in network.layers}


def test_default_encoder_reads_both_ways_with_its_own_backward_weights(sine_windows):
    X, _ = sine_windows
    # Without the linear skip, which alone would make the code depend on every step.
    model = SequenceAutoencoder(linear_skip=False, **{**FAST, "epochs": 1}).fit(X[:64])
    (both_ways,) = [
        layer for layer in model.encoder_.layers if type(layer).__name__ == "Bidirectional"
    ]
    assert both_ways.backward_layer.go_backwards
    forward = np.asarray(both_ways.forward_layer.cell.kernel)
    backward = np.asarray(both_ways.backward_layer.cell.kernel)
    assert forward.shape == backward.shape and not np.allclose(forward, backward)
    # The code depends on the first step as on the last.
    Z = model.transform(X[:8])
    for step in (0, -1):
        changed = X[:8].copy()
        changed[:, step] += 1.0
        assert np.abs(model.transform(changed) - Z).max() > 1e-4


def test_linear_skip_adds_a_direct_path_before_the_output_activation(sine_windows):
    from skae._keras import builders

    X, _ = sine_windows
    # The future decoder is built as the decoder is (not fitted here: a
    # composite model's programs took 12 s of this test to trace).
    networks = builders.sequence_networks(
        X.shape[1:], 4, 8, "lstm", (), "relu", "sigmoid", 0, n_future=5, linear_skip=True
    )
    for decoder in (networks["decoder"], networks["future_decoder"]):
        assert {"Add", "Reshape", "Activation"} <= _layer_types(decoder)
        assert decoder.layers[-1].get_config()["activation"] == "sigmoid"
    model = SequenceAutoencoder(output_activation="sigmoid", **FAST).fit(X[:64])
    assert {"Add", "Reshape", "Activation"} <= _layer_types(model.decoder_)
    # The sigmoid is applied last, to the sum: outputs stay in its range.
    assert (model.decoder_.predict(model.transform(X), verbose=0) > 0).all()
    assert (model.decoder_.predict(model.transform(X), verbose=0) < 1).all()


def test_linear_skip_adds_a_linear_map_from_the_sequence_to_the_code(sine_windows):
    import keras

    X, _ = sine_windows
    model = SequenceAutoencoder(**{**FAST, "epochs": 1}).fit(X[:64])
    encoder = model.encoder_
    recurrent = keras.Model(encoder.input, encoder.get_layer("latent").output)
    linear = encoder.get_layer("encoder_linear")
    kernel, bias = (np.asarray(w) for w in linear.weights)
    assert kernel.shape == (X.shape[1] * X.shape[2], FAST["n_components"])
    inputs = X[:8].astype("float32")
    expected = recurrent.predict(inputs, verbose=0) + inputs.reshape(8, -1) @ kernel + bias
    np.testing.assert_allclose(encoder.predict(inputs, verbose=0), expected, rtol=1e-5, atol=1e-6)


def _tensorflow_gpus():
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def test_short_sequences_are_unrolled_on_tensorflow_to_the_loops_outputs(monkeypatch):
    from skae._keras import builders

    def unrolled(networks):
        return [
            layer.unroll
            for network in networks.values()
            for layer in network._flatten_layers()
            if type(layer).__name__ in ("LSTM", "GRU")
        ]

    # TensorFlow on a CPU (a GPU runs loops through cuDNN, JAX through XLA's scan).
    unrolls = builders._unrolls_short_loops()
    assert unrolls == (keras.backend.backend() == "tensorflow" and not _tensorflow_gpus())
    # 8 steps in, 9 forecast: the encoder's two layers and the decoder's are unrolled.
    networks = builders.sequence_networks(
        (8, 1), 2, 4, "gru", (), "relu", "linear", 0, n_future=9, bidirectional=True
    )
    assert unrolled(networks) == [unrolls] * 3 + [False]
    X = make_windows(np.sin(np.arange(60) / 3.0), window=8)
    # The default encoder, which also reads backwards (without the linear maps,
    # which would carry most of the outputs).
    params = dict(n_components=2, units=4, epochs=2, random_state=0, linear_skip=False)
    short = SequenceAutoencoder(**params).fit(X)
    assert unrolled({"encoder": short.encoder_, "decoder": short.decoder_}) == [unrolls] * 3
    monkeypatch.setattr(builders, "UNROLL_MAX_STEPS", 0)
    looped = SequenceAutoencoder(**params).fit(X)
    assert unrolled({"encoder": looped.encoder_, "decoder": looped.decoder_}) == [False] * 3
    # The same computation: float32 rounding apart (the saved reference
    # outputs' tolerance), the same fit.
    for output in (lambda m: m.transform(X), lambda m: m.inverse_transform(m.transform(X))):
        a, b = output(short), output(looped)
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance(b))


def test_the_0_1_architecture_is_kept_behind_two_switches(sine_windows):
    X, _ = sine_windows
    model = SequenceAutoencoder(**V0_1, **FAST).fit(X[:64])
    assert not {"Bidirectional", "Add", "Flatten"} & _layer_types(model.encoder_)
    assert "Add" not in _layer_types(model.decoder_)
    assert [layer.name for layer in model.decoder_.layers] == [
        "decoder_input", "decoder_repeat", "decoder_rnn", "decoder_steps",
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["bidirectional", "linear_skip", "init"])
def test_a_bad_architecture_switch_is_named(name, sine_windows):
    from sklearn.utils._param_validation import InvalidParameterError

    X, _ = sine_windows
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SequenceAutoencoder(**{**FAST, name: "yes"}).fit(X[:16])


# ----------------------------------------------------------- init (PCA start)


@pytest.fixture(scope="module")
def low_rank_sequences():
    """Few sequences of many values near a 3-D subspace: PCA's ground."""
    rng = np.random.default_rng(0)
    codes, basis = rng.normal(size=(80, 3)), rng.normal(size=(3, 12 * 5))
    flat = codes @ basis + 0.05 * rng.normal(size=(80, 60))
    return flat.reshape(80, 12, 5)


def _projector(components):
    q, _ = np.linalg.qr(np.asarray(components, np.float64).T)
    return q @ q.T


def test_init_pca_starts_and_stays_at_pca_of_the_standardised_sequences(low_rank_sequences):
    X = low_rank_sequences
    # PCA of all the rows, the validation rows too (a closed-form fit has no epochs to select).
    model = SequenceAutoencoder(3, units=4, epochs=3, init="pca", random_state=0).fit(X)
    assert model.init_ == "pca"
    Z = ((X.reshape(len(X), -1) - model.offset_) / model.scale_).astype(np.float32)
    pca = PCA(3).fit(Z)
    kernel, bias = (np.asarray(w) for w in model.encoder_.get_layer("encoder_linear").weights)
    back, mean = (np.asarray(w) for w in model.decoder_.get_layer("decoder_linear").weights)
    # Three epochs of training left the linear maps where PCA put them.
    np.testing.assert_allclose(_projector(kernel.T), _projector(pca.components_), atol=1e-5)
    np.testing.assert_allclose(back, kernel.T, atol=1e-6)
    np.testing.assert_allclose(mean, pca.mean_, atol=1e-5)
    np.testing.assert_allclose(bias, -pca.mean_ @ kernel, atol=1e-5)
    assert {w.path for w in model.model_.non_trainable_weights} >= {
        "encoder_linear/kernel", "decoder_linear/kernel",
    }  # fmt: skip


def test_a_start_as_pca_is_kept_where_no_epoch_beats_it_on_the_validation_rows(
    low_rank_sequences, monkeypatch
):
    from skae._keras import engine

    X = low_rank_sequences
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    described, train = [], engine.train
    monkeypatch.setattr(engine, "train", lambda fit: (described.append(fit), train(fit))[1])
    params = dict(n_components=3, units=4, init="pca", random_state=0)
    # Too slow to move: the first epoch's validation loss is the start's, as
    # the engine weighs it (the closed form of PCA's error, weighted as val_loss).
    still = SequenceAutoencoder(epochs=1, learning_rate=1e-9, **params)
    still.fit(X, sample_weight=weights)
    start_loss = described[0].start_val_loss
    np.testing.assert_allclose(still.history_["val_loss"][0], start_loss, rtol=1e-5)
    # Too fast to help: every epoch is worse than the start, and the model ends
    # where it started (Keras' EarlyStopping alone keeps the least bad epoch).
    wild = SequenceAutoencoder(epochs=3, learning_rate=0.3, **params)
    wild.fit(X, sample_weight=weights)
    assert described[1].start_val_loss == start_loss
    assert min(wild.history_["val_loss"]) > start_loss
    for kept, start in zip(wild.model_.get_weights(), still.model_.get_weights(), strict=True):
        np.testing.assert_allclose(kept, start, atol=1e-6)
    # With another loss the validation loss is not PCA's error.
    SequenceAutoencoder(epochs=1, loss="mae", **params).fit(X)
    assert described[2].start_val_loss is None
    # A fit that failed after PCA's maps were fitted leaves nothing to the next.
    model = SequenceAutoencoder(epochs=1, n_future=2, **params)
    with pytest.raises(ValueError, match="needs y"):
        model.fit(X)
    model.set_params(n_future=0, init="random").fit(X)
    assert model.init_ == "random" and described[3].start_val_loss is None


def test_networks_started_as_pca_reconstruct_as_pca(low_rank_sequences):
    from skae._keras import builders

    X = low_rank_sequences.astype(np.float32)
    networks = builders.sequence_networks(
        (12, 5), 3, 4, "lstm", (), "relu", "linear", seed=0, bidirectional=True,
        linear_skip=True,
    )  # fmt: skip
    pca = PCA(3).fit(X.reshape(len(X), -1))
    builders.start_as_pca(networks["encoder"], networks["decoder"], pca.components_, pca.mean_)
    codes = networks["encoder"].predict(X, verbose=0)
    decoded = networks["decoder"].predict(codes, verbose=0).reshape(len(X), -1)
    flat = X.reshape(len(X), -1)
    np.testing.assert_allclose(codes, pca.transform(flat), atol=1e-4)
    np.testing.assert_allclose(decoded, pca.inverse_transform(pca.transform(flat)), atol=1e-4)


def test_init_auto_trains_again_from_pca_where_pca_reconstructs_better(
    low_rank_sequences, monkeypatch
):
    # Few sequences of many values near a subspace: the training from random
    # weights falls short of PCA on the validation rows. It stops once PCA is
    # out of its reach, and the model is the one trained from PCA.
    from skae._keras import engine

    params = dict(n_components=3, units=4, epochs=40, random_state=0)
    compare, decisions = _pca_start.pca_reconstructs_better, []
    on_epoch_end, stopped = engine.StopOutOfReach.on_epoch_end, []

    def count(*args):
        decisions.append(compare(*args))
        return decisions[-1]

    def record(self, epoch, logs=None):
        on_epoch_end(self, epoch, logs)
        if self.stopped_epoch == epoch:
            stopped.append(epoch)

    monkeypatch.setattr(_pca_start, "pca_reconstructs_better", count)
    monkeypatch.setattr(engine.StopOutOfReach, "on_epoch_end", record)
    auto = SequenceAutoencoder(**params).fit(low_rank_sequences)
    monkeypatch.undo()
    started = SequenceAutoencoder(init="pca", **params).fit(low_rank_sequences)
    assert auto.init_ == "pca"
    assert decisions == [True]  # the training from PCA is not compared again
    assert len(stopped) == 1 and stopped[0] < params["epochs"] - 1  # the training from PCA: none
    np.testing.assert_array_equal(auto.transform(low_rank_sequences),
                                  started.transform(low_rank_sequences))  # fmt: skip
    assert auto.history_ == started.history_ and auto.n_iter_ == started.n_iter_


def test_init_auto_keeps_the_random_start_where_the_network_wins(low_rank_sequences, monkeypatch):
    # PCA made worse than any network: its error is always within reach, so
    # the training from random weights runs as init="random" (past the
    # n_iter_no_change epochs the stop needs), and wins the comparison.
    params = dict(n_components=3, units=4, epochs=14, n_iter_no_change=3, random_state=0)
    monkeypatch.setattr(_pca_start, "pca_validation_error", lambda *args, **kwargs: 1e30)
    auto = SequenceAutoencoder(**params).fit(low_rank_sequences)
    monkeypatch.undo()
    random = SequenceAutoencoder(init="random", **params).fit(low_rank_sequences)
    assert auto.init_ == random.init_ == "random"
    assert auto.history_ == random.history_
    np.testing.assert_array_equal(auto.transform(low_rank_sequences),
                                  random.transform(low_rank_sequences))  # fmt: skip


def test_init_auto_leaves_nothing_behind_a_failed_fit_or_partial_fit(low_rank_sequences):
    class Fail(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("a user's callback failed")

    model = SequenceAutoencoder(3, units=4, epochs=2, random_state=0, callbacks=[Fail()])
    with pytest.raises(RuntimeError, match="callback failed"):
        model.fit(low_rank_sequences)
    assert hasattr(model, "_comparison")  # left by the failed fit ...
    model.set_params(callbacks=None).partial_fit(low_rank_sequences)
    # ... and dropped by the next one, which holds no rows out: no comparison.
    assert model.init_ == "random"
    assert not {"_comparison", "_compare_with_pca"} & set(vars(model))


@pytest.mark.parametrize(
    "params",
    [dict(linear_skip=False), dict(validation_fraction=0.0), dict(loss="mae"),
     dict(output_activation="tanh")],
    ids=["no linear maps", "no validation rows", "another loss", "nonlinear output"],
)  # fmt: skip
def test_init_auto_is_random_where_it_cannot_compare(params, low_rank_sequences, monkeypatch):
    def fail(*args):
        raise AssertionError("compared with PCA")

    monkeypatch.setattr(_pca_start, "pca_reconstructs_better", fail)
    model = SequenceAutoencoder(3, units=4, epochs=1, random_state=0, **params)
    assert model.fit(low_rank_sequences).init_ == "random"


def test_init_auto_decides_by_the_validation_error(monkeypatch):
    # The comparison itself: the trained network against PCA, on the rows the
    # template held out, by the weighted MSE.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 6, 2))
    weights = rng.uniform(0.5, 2.0, size=60)
    captured, decided = {}, {}
    describe, compare = SequenceAutoencoder._describe_fit, _pca_start.pca_reconstructs_better

    def keep_description(self, *args, **kwargs):
        fit, X_valid = describe(self, *args, **kwargs)
        captured.setdefault("fit", fit)
        return fit, X_valid

    def keep_decision(pca_error, data, reconstruct):
        decided["inputs"], decided["pca_error"] = data.inputs, pca_error
        # The network trained from random weights, as it is when compared.
        decided["network"] = model.model_.predict(data.inputs, verbose=0)
        decided["better"] = compare(pca_error, data, reconstruct)
        return decided["better"]

    class KeepValLoss(keras.callbacks.Callback):  # the fit's copies share the list
        def __init__(self, losses):
            super().__init__()
            self.losses = losses

        def on_epoch_end(self, epoch, logs=None):
            self.losses.append(logs["val_loss"])

    monkeypatch.setattr(SequenceAutoencoder, "_describe_fit", keep_description)
    monkeypatch.setattr(_pca_start, "pca_reconstructs_better", keep_decision)
    val_losses = []
    model = SequenceAutoencoder(2, units=4, epochs=1, random_state=0,
                                callbacks=[KeepValLoss(val_losses)])  # fmt: skip
    model.fit(X, sample_weight=weights)
    fit = captured["fit"]
    # The rows compared are the validation rows (standardised as for training).
    np.testing.assert_array_equal(decided["inputs"], fit.data.inputs[np.sort(fit.val_rows)])
    w = fit.data.sample_weight[0].astype(np.float64)
    Z = fit.data.inputs.reshape(len(X), -1).astype(np.float64)
    train, val = fit.train_rows, fit.val_rows
    mean = np.average(Z[train], axis=0, weights=w[train])
    # The weighted PCA: principal axes of the centred rows, each scaled by sqrt(weight).
    axes = np.linalg.svd((Z[train] - mean) * np.sqrt(w[train])[:, None])[2][:2]
    Zc = Z[val] - mean
    pca_error = np.average(np.mean((Zc - Zc @ axes.T @ axes) ** 2, axis=1), weights=w[val])
    network = decided["network"]
    network_error = np.average(
        np.mean((network.reshape(len(val), -1) - Z[val]) ** 2, axis=1), weights=w[val]
    )
    np.testing.assert_allclose(decided["pca_error"], pca_error, rtol=1e-10)
    assert decided["better"] == (pca_error < network_error)
    # The engine was told PCA's error as the loss to reach, in val_loss's
    # units: each row's error times its weight, over the number of rows.
    np.testing.assert_allclose(fit.reach_val_loss, pca_error * np.mean(w[val]), rtol=1e-6)
    # ... which is how the engine's val_loss measures the network it compared.
    np.testing.assert_allclose(val_losses[0], network_error * np.mean(w[val]), rtol=1e-4)
    private = {"_comparison", "_pca_start_maps", "_compare_with_pca"}
    assert not private & set(vars(model))


def test_init_auto_standardises_only_the_rows_it_compares_on(low_rank_sequences, monkeypatch):
    # Above MAX_ROWS rows PCA and the comparison read a seeded subset of each
    # side; only those rows are standardised again.
    monkeypatch.setattr(_pca_start, "MAX_ROWS", 5)
    error, compare, seen = _pca_start.pca_validation_error, _pca_start.pca_reconstructs_better, {}

    def keep_error(data, train_rows, val_rows, n_components, seed):
        seen["pca"] = (len(data.inputs), len(train_rows), len(val_rows))
        return error(data, train_rows, val_rows, n_components, seed=seed)

    def keep_decision(pca_error, data, reconstruct):
        seen["network"] = len(data.inputs)
        return compare(pca_error, data, reconstruct)

    monkeypatch.setattr(_pca_start, "pca_validation_error", keep_error)
    monkeypatch.setattr(_pca_start, "pca_reconstructs_better", keep_decision)
    SequenceAutoencoder(3, units=4, epochs=1, random_state=0).fit(low_rank_sequences)
    assert seen == {"pca": (10, 5, 5), "network": 5}  # 72 rows train, 8 validate


def test_weighted_pca_maps_are_those_of_repeated_rows():
    from skae import _pca_start

    rng = np.random.default_rng(2)
    Z = rng.normal(size=(30, 8)) @ rng.normal(size=(8, 8))
    counts = rng.integers(1, 4, size=30)
    components, mean = _pca_start.pca_maps(Z, counts.astype(float), 3, 0)
    repeated = PCA(3).fit(np.repeat(Z, counts, axis=0))
    np.testing.assert_allclose(mean, repeated.mean_, atol=1e-10)
    np.testing.assert_allclose(_projector(components), _projector(repeated.components_),
                               atol=1e-8)  # fmt: skip


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(linear_skip=False), "init='pca' needs linear_skip=True"),
        (dict(output_activation="sigmoid"), "init='pca' needs a linear output_activation"),
        (dict(n_components=20), "init='pca' needs at least n_components=20 training sequences"),
    ],
)
def test_init_pca_where_it_cannot_start_is_named(params, message):
    X = np.random.default_rng(0).normal(size=(16, 6, 2))
    model = SequenceAutoencoder(**{"units": 4, "epochs": 1, "init": "pca", **params})
    with pytest.raises(ValueError, match=message):
        model.fit(X)


def test_a_fit_started_at_pca_continues_with_its_maps_fixed(low_rank_sequences):
    X = low_rank_sequences
    model = SequenceAutoencoder(3, units=4, epochs=2, init="pca", warm_start=True,
                                random_state=0).fit(X)  # fmt: skip
    linear = [np.asarray(w) for w in model.encoder_.get_layer("encoder_linear").weights]
    model.fit(X)
    model.partial_fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    restored.partial_fit(X)
    for fitted in (model, restored):
        after = [np.asarray(w) for w in fitted.encoder_.get_layer("encoder_linear").weights]
        for before, now in zip(linear, after, strict=True):
            np.testing.assert_array_equal(before, now)
    assert model.n_iter_ == 5 and restored.init_ == "pca"


def test_the_second_training_of_auto_keeps_the_input_layout_and_names(low_rank_sequences):
    pd = pytest.importorskip("pandas")
    flat = pd.DataFrame(low_rank_sequences.reshape(80, -1)).add_prefix("v")
    model = SequenceAutoencoder(3, units=4, epochs=2, sequence_shape=(12, 5), random_state=0)
    model.fit(flat)
    assert model.init_ == "pca"  # trained twice
    assert list(model.feature_names_in_) == list(flat.columns)
    assert model.inverse_transform(model.transform(flat)).shape == (80, 60)


def test_init_auto_on_a_memmap_is_the_in_memory_fit(low_rank_sequences, tmp_path):
    # Read in pieces (PCA's rows, the comparison's rows): the same two trainings.
    flat = low_rank_sequences.reshape(80, -1).astype(np.float32)
    stored = np.memmap(tmp_path / "x.dat", dtype=np.float32, mode="w+", shape=flat.shape)
    stored[:] = flat
    stored.flush()
    stored = np.memmap(tmp_path / "x.dat", dtype=np.float32, mode="r", shape=flat.shape)
    params = dict(n_components=3, units=4, epochs=2, sequence_shape=(12, 5), random_state=0)
    from_disk = SequenceAutoencoder(**params).fit(stored)
    in_memory = SequenceAutoencoder(**params).fit(flat)
    assert from_disk.init_ == in_memory.init_ == "pca"
    np.testing.assert_array_equal(from_disk.transform(flat), in_memory.transform(flat))


def test_large_pca_maps_come_from_the_randomized_svd_with_the_same_subspace(monkeypatch):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 40)) + 0.01 * rng.normal(size=(200, 40))
    exact = _pca_start.pca_maps(Z, None, 3, 0)[0]
    called = []
    original = _pca_start.randomized_svd
    monkeypatch.setattr(_pca_start, "EXACT_SVD_VALUES", 0)
    monkeypatch.setattr(_pca_start, "randomized_svd",
                        lambda *a, **k: called.append(1) or original(*a, **k))  # fmt: skip
    randomized = _pca_start.pca_maps(Z, None, 3, 0)[0]
    assert called
    np.testing.assert_allclose(_projector(randomized), _projector(exact), atol=1e-6)


def test_more_rows_than_the_pca_start_reads_are_a_seeded_sorted_subset(monkeypatch):
    monkeypatch.setattr(_pca_start, "MAX_ROWS", 5)
    rows = _pca_start.subset(np.arange(20), seed=1)
    assert len(rows) == 5 and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, _pca_start.subset(np.arange(20), seed=1))
    np.testing.assert_array_equal(_pca_start.subset(np.arange(4), seed=1), np.arange(4))
