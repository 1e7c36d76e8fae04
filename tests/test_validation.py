"""Bad input gets a clear error that names the problem."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import skae._streaming
import skae._validation
from skae import AutoencoderTransformer

FAST = dict(epochs=2, hidden_layer_sizes=(4,), random_state=0)


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).normal(size=(30, 5))
    return AutoencoderTransformer(n_components=2, **FAST).fit(X)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "Input X contains NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "Input X contains infinity"),
        (np.arange(5.0), ValueError, "Expected 2D array, got 1D array"),
        (np.empty((0, 3)), ValueError, "0 sample"),
        (np.empty((3, 0)), ValueError, "0 feature"),
        (np.array([[1 + 2j, 0], [0, 1]]), ValueError, "Complex data not supported"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "X must hold numbers only.*string"),
        (np.array([[1.0, "x"], [2.0, "y"]], dtype=object), ValueError, "X must hold numbers only"),
    ],
)
def test_bad_training_data_is_refused_by_name(X, error, match):
    with pytest.raises(error, match=match):
        AutoencoderTransformer(n_components=1, **FAST).fit(X)


def test_wrong_number_of_features_after_fit(fitted):
    with pytest.raises(
        ValueError, match="X has 4 features, but AutoencoderTransformer is expecting 5"
    ):
        fitted.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="is expecting 2 features \\(n_components\\)"):
        fitted.inverse_transform(np.zeros((2, 3)))


def test_nan_after_fit_is_refused(fitted):
    X = np.zeros((2, 5))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.transform(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_input_checked_in_threads_says_what_scikit_learn_says(
    fitted, monkeypatch, bad, dtype
):
    from sklearn.utils.validation import validate_data

    # arrays of at least this many values are checked block by block, in threads
    monkeypatch.setattr(skae._validation, "THREADED_CHECK_VALUES", 50)
    monkeypatch.setattr(skae._streaming, "BLOCK_ROWS", 8)  # five blocks, the fifth bad
    X = np.zeros((40, 5), dtype=dtype)
    X[37, 4] = bad
    with pytest.raises(ValueError) as expected:
        validate_data(AutoencoderTransformer(), X, dtype=[np.float64, np.float32])
    with pytest.raises(ValueError) as at_transform:
        fitted.transform(X)
    with pytest.raises(ValueError) as at_fit:
        AutoencoderTransformer(n_components=1, **FAST).fit(X)
    assert str(at_transform.value) == str(at_fit.value) == str(expected.value)


def test_unfitted_estimator_says_so():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted yet"):
        AutoencoderTransformer().transform(np.zeros((2, 3)))


def test_small_sparse_input_is_densified_large_is_a_type_error(monkeypatch):
    X = sp.random(40, 6, density=0.5, format="csr", random_state=0)
    ae = AutoencoderTransformer(n_components=2, **FAST).fit(X)
    np.testing.assert_allclose(ae.transform(X), ae.transform(X.toarray()), rtol=1e-6)
    monkeypatch.setattr(skae._validation, "MAX_DENSIFIED_VALUES", 100)
    with pytest.raises(TypeError, match=r"sparse matrix of shape \(40, 6\).*too large to densify"):
        AutoencoderTransformer(n_components=2, **FAST).fit(X)


@pytest.mark.parametrize("kind", ["in memory", "threaded check", "memmap"])
def test_plus_and_minus_infinity_together_raise_without_a_runtime_warning(
    kind, monkeypatch, tmp_path
):
    X = np.random.default_rng(0).normal(size=(30, 5))
    X[0, 0], X[0, 1] = np.inf, -np.inf
    if kind == "threaded check":
        monkeypatch.setattr(skae._validation, "THREADED_CHECK_VALUES", 1)
    if kind == "memmap":
        X_map = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=X.shape)
        X_map[:] = X
        X_map.flush()
        X = np.load(tmp_path / "X.npy", mmap_mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Input X contains infinity"):
            AutoencoderTransformer(n_components=2, **FAST).fit(X)


@pytest.mark.parametrize("sparse_format", ["csr", "csc", "coo", "dok", "lil", "dia", "bsr"])
@pytest.mark.parametrize("bad, match", [(np.nan, "Input X contains NaN"), (np.inf, "infinity")])
def test_nan_or_infinity_in_any_sparse_format_is_named(fitted, sparse_format, bad, match):
    X = np.random.default_rng(0).normal(size=(30, 5))
    X[3, 2] = bad
    X = sp.csr_matrix(X).asformat(sparse_format)
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(n_components=2, **FAST).fit(X)
    with pytest.raises(ValueError, match=match):
        fitted.transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"n_components": 0},
            "'n_components' parameter .* must be an int in the range \\[1, inf\\)",
        ),
        ({"n_components": -3}, "'n_components' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"learning_rate": 0.0}, "'learning_rate' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"noise": "salt"}, "'noise' parameter"),
        ({"loss": "hinge"}, "'loss' parameter"),
        ({"activation": "relux"}, "activation='relux' is not a Keras activation"),
        ({"output_activation": "nope"}, "output_activation='nope' is not a Keras activation"),
        ({"optimizer": "adamm"}, "optimizer='adamm' is not a Keras optimizer"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes must be a sequence of positive"),
        ({"hidden_layer_sizes": (8, 2.5)}, "hidden_layer_sizes must be a sequence of positive"),
        ({"hidden_layer_sizes": "wide"}, "'hidden_layer_sizes' parameter .* among \\{'auto'\\}"),
        ({"noise": "masking", "noise_level": 1.0}, "noise_level is the probability"),
        (
            {"loss": "binary_crossentropy"},
            "loss='binary_crossentropy' needs .* in \\[0, 1\\].* "
            "Received: output_activation='linear'",
        ),
        (
            {"loss": "binary_crossentropy", "output_activation": "tanh"},
            "Received: output_activation='tanh'",
        ),
    ],
)
def test_bad_parameters_are_named(params, match):
    X = np.random.default_rng(0).normal(size=(20, 4))
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(**{**FAST, **params}).fit(X)


def test_a_bad_hidden_layer_string_is_named_without_parameter_validation():
    from sklearn import config_context

    X = np.random.default_rng(0).normal(size=(20, 4))
    with config_context(skip_parameter_validation=True):
        with pytest.raises(ValueError, match="sequence of positive integers or 'auto', got 'wide'"):
            AutoencoderTransformer(**{**FAST, "hidden_layer_sizes": "wide"}).fit(X)


def test_binary_crossentropy_with_a_sigmoid_output_trains_on_data_in_any_units(digits):
    """The data is scaled onto [0, 1], so the cross-entropy stays positive and means something."""
    X = digits[0][:300] * 48 - 5  # pixels in [-5, 43]
    ae = AutoencoderTransformer(
        n_components=8,
        output_activation="sigmoid",
        loss="binary_crossentropy",
        epochs=20,
        random_state=0,
    ).fit(X)
    assert all(np.isfinite(loss) and loss > 0 for loss in ae.history_["loss"])
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]
    reconstruction = ae.inverse_transform(ae.transform(X))
    assert X.min() <= reconstruction.min() and reconstruction.max() <= X.max()
    assert np.mean((X - reconstruction) ** 2) < 0.5 * np.mean((X - X.mean(axis=0)) ** 2)


def test_validation_fraction_that_leaves_no_training_rows():
    with pytest.raises(ValueError, match="validation_fraction=0.9 leaves no training rows"):
        AutoencoderTransformer(n_components=1, validation_fraction=0.9, **FAST).fit(np.ones((2, 3)))


def test_diverging_training_raises_instead_of_returning_nan():
    X = np.random.default_rng(0).normal(size=(64, 8))
    ae = AutoencoderTransformer(
        n_components=2, optimizer="sgd", learning_rate=1e12, epochs=5, random_state=0
    )
    with pytest.raises(FloatingPointError, match="Training diverged: the loss became (nan|inf)"):
        ae.fit(X)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(0, 12), st.integers(0, 5)),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    ),
    n_components=st.integers(-1, 7),
)
def test_random_shapes_and_values_give_a_result_or_a_clear_error(X, n_components):
    ae = AutoencoderTransformer(n_components=n_components, epochs=1, hidden_layer_sizes=(3,))
    try:
        Z = ae.fit_transform(X)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert any(
            word in message
            for word in ("NaN", "infinity", "sample", "feature", "n_components", "training rows")
        ), message
        return
    assert Z.shape == (X.shape[0], n_components)
    assert np.all(np.isfinite(Z))
    try:
        X_back = ae.inverse_transform(Z)
    except ValueError as exc:  # values near float64's limit decode beyond it
        assert "overflows" in str(exc) and "Rescale X" in str(exc), str(exc)
        return
    assert np.all(np.isfinite(X_back))


def test_reconstructions_beyond_the_float_range_are_a_clear_error():
    # A linear network decodes codes scaled by 1e6 to outputs about 1e6 times
    # the data's scale: beyond float64's range when the data is near it.
    ae = AutoencoderTransformer(
        n_components=1, epochs=1, hidden_layer_sizes=(3,), activation="linear", random_state=0
    )
    X = np.array([[1.7e308], [0.0], [1e308]])
    codes = np.array([[1e6], [-1e6]])
    ae.fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the message itself must not overflow
        with pytest.raises(ValueError, match=r"reconstruction overflows float64.*Rescale X"):
            ae.inverse_transform(codes)
        ae.fit(np.array([[1e37], [-1e37], [0.0]], dtype=np.float32))
        with pytest.raises(ValueError, match=r"reconstruction overflows float32"):
            ae.inverse_transform(codes.astype(np.float32))
        # Offset and scale whose sum is beyond float64 (1.3e308 + 7.6e307).
        ae.fit(np.array([[1.75e308], [1.75e308], [1.75e308], [0.0]]))
        with pytest.raises(ValueError, match=r"values of about 1.31e\+308 in magnitude"):
            ae.inverse_transform(codes)
