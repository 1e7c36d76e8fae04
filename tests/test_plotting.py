"""skae.plotting draws what it says, headless."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from skae import AutoencoderTransformer, ConvAutoencoder  # noqa: E402
from skae.plotting import (  # noqa: E402
    plot_history,
    plot_latent,
    plot_reconstruction_curve,
    plot_reconstructions,
)


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return AutoencoderTransformer(n_components=4, epochs=3, random_state=0).fit(X[:300])


def teardown_function():
    plt.close("all")


def test_reconstructions_as_images_show_originals_over_reconstructions(fitted, digits):
    X, _ = digits
    ax = plot_reconstructions(fitted, X[:5], image_shape=(8, 8))
    canvas = ax.get_images()[0].get_array()
    assert canvas.shape == (2 * 8 + 1, 5 * 8 + 4)
    np.testing.assert_allclose(canvas[:8, :8], X[0].reshape(8, 8))
    # The same five rows in one batch, as the plot computes them.
    expected = fitted.inverse_transform(fitted.transform(X[:5]))[0].reshape(8, 8)
    np.testing.assert_allclose(canvas[9:, :8], expected, rtol=1e-6)


def test_reconstructions_of_plain_rows_are_line_profiles(fitted, digits):
    X, _ = digits
    ax = plot_reconstructions(fitted, X[:3])
    assert len(ax.get_lines()) == 6


def test_image_estimators_are_drawn_as_images_without_being_told(digits):
    X, _ = digits
    conv = ConvAutoencoder(n_components=4, image_shape=(8, 8), filters=(4,), epochs=1).fit(X[:50])
    assert plot_reconstructions(conv, X[:4]).get_images()


def test_latent_scatter_uses_transform(fitted, digits):
    X, y = digits
    ax = plot_latent(fitted, X[:100], y[:100], dims=(1, 2))
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, fitted.transform(X[:100])[:, [1, 2]], rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2 latent dimensions"):
        plot_latent(AutoencoderTransformer(n_components=1, epochs=1).fit(X[:50]), X[:10])


def test_history_curves(fitted):
    ax = plot_history(fitted)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == list(fitted.history_)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), fitted.history_["loss"])


def test_reconstruction_curve_groups_by_model(digits):
    X, _ = digits
    models = [PCA(n).fit(X) for n in (2, 8)] + [
        AutoencoderTransformer(n_components=n, epochs=2, random_state=0).fit(X) for n in (2, 8)
    ]
    ax = plot_reconstruction_curve(models, X)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"PCA", "AutoencoderTransformer"}
    assert list(lines["PCA"].get_xdata()) == [2, 8]
    assert lines["PCA"].get_ydata()[1] == pytest.approx(
        PCA(8).fit(X).explained_variance_ratio_.sum(), rel=1e-6
    )
