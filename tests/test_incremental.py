"""partial_fit and warm_start: training that continues where it stopped."""

import numpy as np
import pytest
from conftest import mse
from sklearn.utils.estimator_checks import check_estimators_partial_fit_n_features

from skae import AutoencoderTransformer, ConvAutoencoder, SequenceAutoencoder, VAETransformer

NO_STOPPING = dict(validation_fraction=0.0, early_stopping=False, random_state=0)


def test_partial_fit_streams_to_the_reconstruction_of_one_fit(digits_split):
    """Ten pieces a pass, as many passes as the fit's epochs: within 10%."""
    X_train, X_test, _, _ = digits_split
    epochs = 10
    params = dict(n_components=8, **NO_STOPPING)
    single = AutoencoderTransformer(epochs=epochs, **params).fit(X_train)
    stream = AutoencoderTransformer(**params)
    for _ in range(epochs):
        for piece in np.array_split(X_train, 10):
            stream.partial_fit(piece)
    assert stream.n_iter_ == 10 * epochs
    single_mse = mse(X_test, single.inverse_transform(single.transform(X_test)))
    stream_mse = mse(X_test, stream.inverse_transform(stream.transform(X_test)))
    print(f"held-out MSE: stream {stream_mse:.5f}, single fit {single_mse:.5f}")
    assert stream_mse <= 1.10 * single_mse


def test_partial_fit_calls_are_epochs_of_one_fit(digits):
    """partial_fit on all rows, three times, is fit with three epochs, exactly."""
    X = digits[0][:300]
    fitted = AutoencoderTransformer(4, epochs=3, **NO_STOPPING).fit(X)
    stepped = AutoencoderTransformer(4, **NO_STOPPING)
    for _ in range(3):
        stepped.partial_fit(X)
    np.testing.assert_array_equal(stepped.transform(X), fitted.transform(X))
    assert stepped.history_["loss"] == fitted.history_["loss"]


def test_first_piece_sets_the_scaling(digits):
    X = digits[0]
    model = AutoencoderTransformer(4, random_state=0).partial_fit(X[:100])
    offset, scale = model.offset_.copy(), model.scale_
    model.partial_fit(X[100:] * 3.0)
    np.testing.assert_array_equal(model.offset_, offset)
    assert model.scale_ == scale
    assert model.n_iter_ == 2 and len(model.history_["loss"]) == 2


def test_partial_fit_after_fit_continues_it(digits):
    X = digits[0][:400]
    model = AutoencoderTransformer(4, epochs=5, **NO_STOPPING).fit(X)
    before = model.score(X)
    model.partial_fit(X)
    assert model.n_iter_ == 6
    assert model.score(X) > before  # a sixth epoch, not a first one


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(2, hidden_layer_sizes=(8,), random_state=0),
        ConvAutoencoder(2, filters=(4,), hidden_layer_sizes=(8,), random_state=0),
        VAETransformer(2, hidden_layer_sizes=(8,), random_state=0),
        SequenceAutoencoder(2, units=4, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_partial_fit_checks_the_number_of_features(estimator):
    check_estimators_partial_fit_n_features(type(estimator).__name__, estimator)


def test_partial_fit_on_images_and_sequences(digits):
    images = digits[0][:200].reshape(-1, 8, 8)
    conv = ConvAutoencoder(2, filters=(4,), hidden_layer_sizes=(8,), random_state=0)
    conv.partial_fit(images[:100]).partial_fit(images[100:])
    assert conv.image_shape_ == (8, 8, 1) and conv.n_iter_ == 2
    assert conv.inverse_transform(conv.transform(images)).shape == images.shape


def test_warm_start_continues_exactly_where_the_last_fit_stopped(digits):
    """4 epochs, then 4 more with warm_start, equal one fit of 8 epochs."""
    X = digits[0][:300]
    params = dict(n_components=4, validation_fraction=0.2, early_stopping=False, random_state=0)
    once = AutoencoderTransformer(epochs=8, **params).fit(X)
    twice = AutoencoderTransformer(epochs=4, warm_start=True, **params).fit(X).fit(X)
    np.testing.assert_array_equal(twice.transform(X), once.transform(X))
    assert twice.n_iter_ == 8
    assert twice.history_ == once.history_


def test_warm_start_vae_keeps_its_kl_warm_up(digits):
    X = digits[0][:300]
    params = dict(n_components=2, kl_warmup_epochs=4, early_stopping=False, random_state=0)
    once = VAETransformer(epochs=6, **params).fit(X)
    twice = VAETransformer(epochs=3, warm_start=True, **params).fit(X).fit(X)
    np.testing.assert_array_equal(twice.transform(X), once.transform(X))


def test_without_warm_start_fit_starts_again(digits):
    X = digits[0][:300]
    model = AutoencoderTransformer(4, epochs=3, **NO_STOPPING).fit(X)
    first = model.transform(X)
    model.fit(X)
    np.testing.assert_array_equal(model.transform(X), first)
    assert model.n_iter_ == 3


def test_warm_start_refuses_other_shapes_and_optimizers(digits):
    X = digits[0][:200]
    model = AutoencoderTransformer(4, epochs=1, warm_start=True, **NO_STOPPING).fit(X)
    with pytest.raises(ValueError, match="cannot continue training.*n_components"):
        model.set_params(n_components=5).fit(X)
    with pytest.raises(ValueError, match="X has 63 features.*expecting 64"):
        model.set_params(n_components=4).fit(X[:, 1:])
    with pytest.raises(ValueError, match="Cannot continue training with this optimizer"):
        model.set_params(optimizer="sgd").fit(X)
    # A new learning rate is taken up; the optimizer's moments continue.
    model.set_params(optimizer="adam", learning_rate=1e-2).fit(X)
    assert model.n_iter_ == 2
