"""AutoencoderTransformer's promises: PCA as its linear limit, good defaults, any scale."""

import numpy as np
import pytest
from conftest import mse
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer

LINEAR = dict(
    hidden_layer_sizes=(),
    activation="linear",
    output_activation="linear",
    early_stopping=False,
    validation_fraction=0.0,
)


def test_linear_autoencoder_recovers_pca_subspace(digits):
    X, _ = digits
    pca = PCA(n_components=8).fit(X)
    pca_mse = mse(X, pca.inverse_transform(pca.transform(X)))
    ae = AutoencoderTransformer(
        n_components=8, epochs=100, batch_size=64, learning_rate=3e-3, random_state=0, **LINEAR
    ).fit(X)
    ae_mse = -ae.score(X)
    assert ae_mse <= 1.05 * pca_mse
    # The decoder's rows span the reconstruction subspace; PCA's components span its own.
    decoder_rows = ae.decoder_.get_layer("reconstruction").kernel
    decoder_rows = np.asarray(
        decoder_rows.numpy() if hasattr(decoder_rows, "numpy") else decoder_rows
    )
    angles = np.degrees(subspace_angles(decoder_rows.T, pca.components_.T))
    assert angles.max() < 10.0, angles


def test_default_parameters_beat_pca_on_digits(digits_split):
    """The issue's goal: defaults reach at most 0.7 x PCA(8)'s held-out MSE."""
    Xtr, Xte, _, _ = digits_split
    pca = PCA(n_components=8).fit(Xtr)
    pca_mse = mse(Xte, pca.inverse_transform(pca.transform(Xte)))
    ae = AutoencoderTransformer(n_components=8, random_state=0).fit(Xtr)
    ae_mse = mse(Xte, ae.inverse_transform(ae.transform(Xte)))
    assert ae_mse <= 0.7 * pca_mse, ae_mse / pca_mse
    assert np.isclose(-ae.score(Xte), ae_mse, rtol=1e-5)


def test_quality_relative_to_pca_does_not_depend_on_units(digits_split):
    Xtr, Xte, _, _ = digits_split
    ratios = []
    for a, b in [(1.0, 0.0), (1000.0, 5.0)]:
        Xtr_s, Xte_s = a * Xtr + b, a * Xte + b
        pca = PCA(n_components=4).fit(Xtr_s)
        pca_mse = mse(Xte_s, pca.inverse_transform(pca.transform(Xte_s)))
        ae = AutoencoderTransformer(n_components=4, epochs=15, random_state=0).fit(Xtr_s)
        reconstruction = ae.inverse_transform(ae.transform(Xte_s))
        # Reconstructions come back in the data's own units.
        assert abs(reconstruction.mean() - Xte_s.mean()) < 0.05 * abs(Xte_s).max()
        ratios.append(mse(Xte_s, reconstruction) / pca_mse)
    assert np.isclose(ratios[0], ratios[1], rtol=0.02), ratios


def test_overcomplete_latent_is_allowed(small_X):
    ae = AutoencoderTransformer(n_components=10, epochs=2, random_state=0).fit(small_X)
    assert ae.transform(small_X).shape == (40, 10)
    assert ae.inverse_transform(ae.transform(small_X)).shape == small_X.shape


def test_hidden_layers_are_built_as_asked(small_X):
    ae = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16, 8), epochs=1, random_state=0
    ).fit(small_X)
    widths = [layer.units for layer in ae.encoder_.layers[1:]]
    assert widths == [16, 8, 3]
    assert [layer.units for layer in ae.decoder_.layers[1:]] == [8, 16, 6]


def test_sigmoid_output_maps_data_onto_its_range(digits):
    X, _ = digits
    X = 10 * X - 3  # values in [-3, 7]
    ae = AutoencoderTransformer(
        n_components=8, output_activation="sigmoid", epochs=5, random_state=0
    ).fit(X)
    reconstruction = ae.inverse_transform(ae.transform(X))
    assert reconstruction.min() >= -3 - 1e-4 and reconstruction.max() <= 7 + 1e-4
    pca = PCA(n_components=8).fit(X)
    assert -ae.score(X) < 2 * mse(X, pca.inverse_transform(pca.transform(X)))


def _linear(**params):
    return AutoencoderTransformer(4, hidden_layer_sizes=(), epochs=5, random_state=0, **params)


def test_whitened_codes_are_pca_whitening_of_the_codes(digits):
    X, _ = digits
    codes = _linear().fit(X).transform(X)
    whitened = _linear(whiten=True).fit(X).transform(X)
    expected = PCA(whiten=True).fit(codes).transform(codes)
    signs = np.sign(np.sum(whitened * expected, axis=0))  # each axis' sign is a convention
    np.testing.assert_allclose(whitened, expected * signs, atol=1e-5)
    np.testing.assert_allclose(whitened.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(whitened.std(axis=0, ddof=1), 1, rtol=1e-5)


def test_whitening_leaves_reconstructions_and_scores_unchanged(digits):
    X, _ = digits
    plain, white = _linear().fit(X), _linear(whiten=True).fit(X)
    np.testing.assert_allclose(
        white.inverse_transform(white.transform(X)),
        plain.inverse_transform(plain.transform(X)),
        atol=1e-6,
    )
    np.testing.assert_allclose(white.score_samples(X), plain.score_samples(X), rtol=1e-5)


def test_whitening_weighs_rows_and_is_dropped_by_a_refit_without_it(digits):
    X, _ = digits
    weights = np.ones(len(X))
    weights[:300] = 0
    weighted = _linear(whiten=True).fit(X, sample_weight=weights)
    left_out = _linear(whiten=True).fit(X[300:])
    np.testing.assert_allclose(weighted.whitening_scale_, left_out.whitening_scale_, rtol=1e-6)
    np.testing.assert_allclose(weighted.transform(X), left_out.transform(X), atol=1e-5)
    refit = weighted.set_params(whiten=False).fit(X)
    assert not hasattr(refit, "whitening_mean_")


def test_whitening_is_not_available_with_partial_fit(small_X):
    with pytest.raises(ValueError, match="whiten=True .* not available with partial_fit"):
        _linear(whiten=True).partial_fit(small_X)


def test_whitening_needs_two_rows_of_nonzero_weight(small_X):
    weights = np.zeros(len(small_X))
    weights[0] = 1.0
    model = _linear(whiten=True, validation_fraction=0.0)
    with pytest.raises(ValueError, match="whiten=True needs at least 2 training rows, got 1"):
        model.fit(small_X, sample_weight=weights)
