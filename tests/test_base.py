"""The base class's plumbing: seeding, global state, dtypes, training record, persistence."""

import os
import pickle
import random
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone

from skae import AutoencoderTransformer

FAST = dict(epochs=3, hidden_layer_sizes=(16,), random_state=0)


def test_same_seed_same_transform_other_seed_other_transform(small_X):
    a = AutoencoderTransformer(n_components=2, **FAST).fit(small_X).transform(small_X)
    b = AutoencoderTransformer(n_components=2, **FAST).fit(small_X).transform(small_X)
    c = AutoencoderTransformer(n_components=2, **{**FAST, "random_state": 1})
    c = c.fit(small_X).transform(small_X)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, c, atol=1e-3)


def test_fit_leaves_global_random_state_alone(small_X):
    from tensorflow.python.framework import config as tf_config

    def draws():
        return (
            np.random.rand(),  # noqa: NPY002 (the legacy global state is what we check)
            random.random(),
            float(keras.ops.convert_to_numpy(keras.random.uniform((1,)))[0]),
        )

    keras.utils.set_random_seed(123)  # seeds NumPy, Python and Keras globally
    expected = draws()
    keras.utils.set_random_seed(123)
    AutoencoderTransformer(n_components=2, noise="gaussian", **FAST).fit(small_X)
    assert draws() == expected
    assert not tf_config.is_op_determinism_enabled()
    assert "TF_DETERMINISTIC_OPS" not in os.environ


@pytest.mark.fresh_process
def test_import_skae_loads_neither_keras_nor_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        import skae
        heavy = [m for m in ("keras", "tensorflow", "jax") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_and_inverse_keep_the_float_dtype(small_X, dtype):
    X = small_X.astype(dtype)
    ae = AutoencoderTransformer(n_components=2, **FAST).fit(X)
    Z = ae.transform(X)
    assert Z.dtype == dtype
    assert ae.inverse_transform(Z).dtype == dtype


def test_integer_input_is_accepted_as_float64():
    X = np.random.default_rng(0).integers(0, 16, size=(30, 5))
    Z = AutoencoderTransformer(n_components=2, **FAST).fit(X).transform(X)
    assert Z.dtype == np.float64


def test_history_records_losses_and_early_stopping_stops(small_X):
    ae = AutoencoderTransformer(
        n_components=2, epochs=200, n_iter_no_change=2, learning_rate=0.05, random_state=0
    ).fit(small_X)
    assert set(ae.history_) == {"loss", "val_loss"}
    assert ae.n_iter_ == len(ae.history_["loss"]) < 200
    # The weights restored are those of the best validation epoch.
    best = min(ae.history_["val_loss"])
    assert ae.history_["val_loss"][-1] >= best

    plain = AutoencoderTransformer(
        n_components=2, epochs=4, validation_fraction=0, early_stopping=False, random_state=0
    ).fit(small_X)
    assert set(plain.history_) == {"loss"} and plain.n_iter_ == 4


def test_user_callbacks_run_but_the_passed_object_is_not_bound(small_X):
    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append(epoch)

    recorder = Recorder()
    ae = AutoencoderTransformer(n_components=2, callbacks=[recorder], **FAST).fit(small_X)
    assert recorder.epochs == list(range(ae.n_iter_))
    assert getattr(recorder, "_model", None) is None  # Keras bound a copy, not ours


def test_verbose_controls_keras_output(small_X, capsys):
    AutoencoderTransformer(n_components=2, verbose=0, **FAST).fit(small_X)
    assert capsys.readouterr().out == ""
    AutoencoderTransformer(n_components=2, verbose=2, **FAST).fit(small_X)
    assert "Epoch 1/3" in capsys.readouterr().out


def test_denoising_noise_is_training_only_and_transform_is_deterministic(small_X):
    for noise, level in [("gaussian", 0.5), ("masking", 0.3)]:
        ae = AutoencoderTransformer(n_components=2, noise=noise, noise_level=level, **FAST)
        ae.fit(small_X)
        assert ae.model_.get_layer("input_noise") is not None
        np.testing.assert_array_equal(ae.transform(small_X), ae.transform(small_X))
        # The full model at inference equals decoder(encoder(x)): no noise applied.
        np.testing.assert_allclose(
            ae.inverse_transform(ae.transform(small_X)),
            ae._reconstruct(small_X),
            rtol=1e-5,
            atol=1e-5,
        )


def _shares_weights(ae):
    return all(
        any(w is v for v in ae.model_.weights) for w in ae.encoder_.weights + ae.decoder_.weights
    )


def test_pickle_and_joblib_round_trips_keep_transform_and_shared_weights(small_X, tmp_path):
    ae = AutoencoderTransformer(n_components=2, noise="masking", **FAST).fit(small_X)
    expected = ae.transform(small_X)
    assert _shares_weights(ae)

    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.transform(small_X), expected)
    assert _shares_weights(restored)
    assert restored.history_ == ae.history_
    # Pickling must not have changed the original estimator.
    np.testing.assert_array_equal(ae.transform(small_X), expected)

    joblib.dump(ae, tmp_path / "ae.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "ae.joblib").transform(small_X), expected)


@pytest.mark.fresh_process
def test_the_estimator_and_its_networks_load_in_a_fresh_process(small_X, tmp_path):
    """joblib brings the estimator back; the networks, saved by Keras, load in
    plain Keras without skae and map standardised rows as transform and
    inverse_transform do (up to float32 rounding of another batch size)."""
    ae = AutoencoderTransformer(n_components=2, noise="masking", **FAST).fit(small_X)
    joblib.dump(ae, tmp_path / "ae.joblib")
    ae.encoder_.save(tmp_path / "encoder.keras")
    ae.decoder_.save(tmp_path / "decoder.keras")
    np.save(tmp_path / "X.npy", small_X)
    np.save(tmp_path / "scaling.npy", np.append(ae.offset_, ae.scale_))
    code = textwrap.dedent(
        f"""
        import sys, joblib, keras, numpy as np
        folder = {str(tmp_path)!r}
        X = np.load(folder + "/X.npy")
        *offset, scale = np.load(folder + "/scaling.npy")
        encoder = keras.saving.load_model(folder + "/encoder.keras")
        decoder = keras.saving.load_model(folder + "/decoder.keras")
        assert "skae" not in sys.modules
        codes = np.asarray(encoder(((X - offset) / scale).astype("float32")))
        np.save(folder + "/Z_keras.npy", codes)
        np.save(folder + "/X_keras.npy", np.asarray(decoder(codes)) * scale + offset)
        ae = joblib.load(folder + "/ae.joblib")
        np.save(folder + "/Z.npy", ae.transform(X))
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    Z = ae.transform(small_X)
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), Z)
    np.testing.assert_allclose(np.load(tmp_path / "Z_keras.npy"), Z, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.load(tmp_path / "X_keras.npy"), ae.inverse_transform(Z), rtol=1e-5, atol=1e-5
    )


def test_clone_gives_an_equal_unfitted_estimator(small_X):
    ae = AutoencoderTransformer(n_components=3, hidden_layer_sizes=(7, 5), epochs=2)
    ae.fit(small_X)
    twin = clone(ae)
    assert twin.get_params() == ae.get_params()
    assert not hasattr(twin, "model_")


def test_one_row_transform_uses_the_fast_path(small_X, monkeypatch):
    """One row must not pay Model.predict's set-up: predict is never called."""
    ae = AutoencoderTransformer(n_components=2, **FAST).fit(small_X)

    def forbidden(*args, **kwargs):
        raise AssertionError("Model.predict called")

    monkeypatch.setattr(ae.encoder_, "predict", forbidden)
    monkeypatch.setattr(ae.decoder_, "predict", forbidden)
    assert ae.inverse_transform(ae.transform(small_X[:1])).shape == (1, 6)


def test_running_out_of_epochs_before_early_stopping_warns(small_X):
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match=r"epochs=2.*n_iter_no_change=10"):
        AutoencoderTransformer(n_components=2, epochs=2, random_state=0).fit(small_X)


@pytest.mark.parametrize("kind", ["rows", "sequences", "sequences trained twice", "imputer"])
def test_the_convergence_warning_points_at_the_callers_line(small_X, kind):
    """Not at scikit-learn's decorator or skae's template, however deeply a
    subclass's ``fit`` nests (the sequence model's ``fit`` calls the base's,
    and with ``init="auto"`` may train again from its ``_after_training``;
    the imputer trains an inner network)."""
    from sklearn.exceptions import ConvergenceWarning

    from skae import AutoencoderImputer, SequenceAutoencoder

    small = dict(n_components=2, epochs=1, random_state=0)
    X = small_X
    if kind == "rows":
        estimator = AutoencoderTransformer(**small)
    elif kind.startswith("sequences"):
        init = "auto" if kind == "sequences trained twice" else "random"
        estimator = SequenceAutoencoder(units=4, init=init, **small)
        X = small_X.reshape(len(small_X), 3, 2)
    else:
        estimator = AutoencoderImputer(**small)
    with pytest.warns(ConvergenceWarning) as record:
        estimator.fit(X)
    convergence = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    # One warning per training: the second training of init="auto" warns too.
    trainings = 2 if kind == "sequences trained twice" else 1
    assert getattr(estimator, "init_", "random") == ("pca" if trainings == 2 else "random")
    assert [warning.filename for warning in convergence] == [__file__] * trainings


def test_stopping_early_or_without_early_stopping_does_not_warn(small_X):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        AutoencoderTransformer(
            n_components=2, epochs=200, n_iter_no_change=2, learning_rate=0.05, random_state=0
        ).fit(small_X)
        AutoencoderTransformer(n_components=2, epochs=2, early_stopping=False).fit(small_X)


@pytest.mark.parametrize("n_rows, resolved", [(150, 150), (420, 200)])
def test_batch_size_auto_is_min_of_200_and_the_number_of_rows(n_rows, resolved):
    # scikit-learn's MLP convention, counted on the rows given to fit
    X = np.random.default_rng(0).random((n_rows, 6))
    params = dict(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    auto = AutoencoderTransformer(2, batch_size="auto", **params).fit(X)
    explicit = AutoencoderTransformer(2, batch_size=resolved, **params).fit(X)
    other = AutoencoderTransformer(2, batch_size=resolved // 2, **params).fit(X)
    np.testing.assert_array_equal(auto.transform(X), explicit.transform(X))
    assert not np.array_equal(auto.transform(X), other.transform(X))


def test_batch_size_accepts_only_integers_and_auto(small_X):
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        AutoencoderTransformer(batch_size="big").fit(small_X)
