"""SequenceAutoencoder: layouts, forecasting, windows, persistence, searches."""

import pickle

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skae import SequenceAutoencoder, make_windows, windows_to_timeline

# One pytest-xdist worker runs this module (`--dist loadgroup`): its tests
# that build one architecture then trace its TensorFlow programs once.
pytestmark = pytest.mark.xdist_group("module-sequence")

FAST = dict(n_components=4, units=8, epochs=2, random_state=0)
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
    X, y = sine_windows
    model = SequenceAutoencoder(output_activation="sigmoid", n_future=5, **FAST).fit(X[:64], y[:64])
    for decoder in (model.decoder_, model.future_decoder_):
        assert {"Add", "Reshape", "Activation"} <= _layer_types(decoder)
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


def test_the_0_1_architecture_is_kept_behind_two_switches(sine_windows):
    X, _ = sine_windows
    model = SequenceAutoencoder(**V0_1, **FAST).fit(X[:64])
    assert not {"Bidirectional", "Add", "Flatten"} & _layer_types(model.encoder_)
    assert "Add" not in _layer_types(model.decoder_)
    assert [layer.name for layer in model.decoder_.layers] == [
        "decoder_input", "decoder_repeat", "decoder_rnn", "decoder_steps",
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["bidirectional", "linear_skip"])
def test_a_bad_architecture_switch_is_named(name, sine_windows):
    from sklearn.utils._param_validation import InvalidParameterError

    X, _ = sine_windows
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SequenceAutoencoder(**FAST, **{name: "yes"}).fit(X[:16])
