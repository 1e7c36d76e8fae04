"""VAETransformer: the VAE's promises, not only shapes."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import mse
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import NearestNeighbors

from skae import AutoencoderTransformer, VAETransformer

# One pytest-xdist worker runs this module (`--dist loadgroup`): its fitted
# module-scoped fixtures are then fitted once, not once per worker.
pytestmark = pytest.mark.xdist_group("module-vae")

PARAMS = dict(n_components=8, epochs=60, random_state=0)


@pytest.fixture(scope="module")
def vae(digits_split):
    Xtr, _, _, _ = digits_split
    return VAETransformer(**PARAMS).fit(Xtr)


@pytest.fixture(scope="module")
def autoencoder(digits_split):
    Xtr, _, _, _ = digits_split
    return AutoencoderTransformer(**PARAMS).fit(Xtr)


def test_history_has_finite_positive_kl_and_separate_terms(vae):
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(
        vae.history_
    )
    kl = np.array(vae.history_["kl"])
    assert np.all(np.isfinite(kl)) and np.all(kl > 0)
    assert np.all(np.isfinite(vae.history_["reconstruction"]))


def test_beta_zero_reconstructs_like_a_plain_autoencoder(digits_split, autoencoder):
    Xtr, Xte, _, _ = digits_split
    plain_vae = VAETransformer(beta=0.0, **PARAMS).fit(Xtr)
    vae_error = mse(Xte, plain_vae.inverse_transform(plain_vae.transform(Xte)))
    ae_error = mse(Xte, autoencoder.inverse_transform(autoencoder.transform(Xte)))
    assert vae_error < 1.15 * ae_error, (vae_error, ae_error)


def test_aggregated_posterior_is_roughly_standard_normal(vae, digits_split):
    """The KL term pulls q(z) = mean of the posteriors toward N(0, I).

    So per dimension the posterior means average to about 0, and their
    variance plus the mean posterior variance (the aggregated posterior's
    variance) is about 1. Tolerances: |mean| < 0.2 and variance in
    [0.7, 1.5]; a VAE fitted on 1347 digits matches the prior only roughly
    (the ELBO trades it against reconstruction), an autoencoder without the
    KL term lands nowhere near (its codes' spread is several units).
    """
    Xtr, _, _, _ = digits_split
    means, stds = vae.transform(Xtr, return_std=True)
    assert np.all(np.abs(means.mean(axis=0)) < 0.2), means.mean(axis=0)
    aggregated_variance = means.var(axis=0) + (stds**2).mean(axis=0)
    assert np.all((aggregated_variance > 0.7) & (aggregated_variance < 1.5)), aggregated_variance


def test_prior_samples_look_like_data(vae, autoencoder, digits_split):
    """Completeness: decoded prior draws stay in the data's range and lie closer
    to real digits than an autoencoder's decoded draws from a Gaussian fitted to
    its own codes (the fair analogue of the prior for a model without one)."""
    Xtr, _, _, _ = digits_split
    samples = vae.sample(500, random_state=0)
    low, high = np.percentile(samples, [1, 99])
    assert low > -0.15 and high < 1.15, (low, high)
    codes = autoencoder.transform(Xtr)
    draws = np.random.default_rng(0).multivariate_normal(codes.mean(0), np.cov(codes.T), 500)
    ae_samples = autoencoder.inverse_transform(draws)
    neighbours = NearestNeighbors(n_neighbors=1).fit(Xtr)
    vae_distance = neighbours.kneighbors(samples)[0].mean()
    ae_distance = neighbours.kneighbors(ae_samples)[0].mean()
    assert vae_distance < 0.95 * ae_distance, (vae_distance, ae_distance)


def test_latent_lines_decode_smoothly(vae, digits_split):
    """Continuity: equal steps along a latent line give small, even output steps."""
    _, Xte, _, _ = digits_split
    start, end = vae.transform(Xte[:1]), vae.transform(Xte[1:2])
    line = start + np.linspace(0, 1, 11)[:, None] * (end - start)
    decoded = vae.inverse_transform(line)
    steps = np.linalg.norm(np.diff(decoded, axis=0), axis=1)
    span = np.linalg.norm(decoded[-1] - decoded[0])
    assert steps.max() < 0.25 * span, (steps, span)  # 10 even steps would be 0.1 each


def test_transform_and_scores_are_deterministic(vae, digits_split):
    _, Xte, _, _ = digits_split
    np.testing.assert_array_equal(vae.transform(Xte), vae.transform(Xte))
    means, stds = vae.transform(Xte, return_std=True)
    assert means.shape == stds.shape == (len(Xte), 8) and np.all(stds > 0)
    np.testing.assert_array_equal(vae.score_samples(Xte), vae.score_samples(Xte))
    noise = np.random.default_rng(0).random(Xte.shape)
    assert vae.score_samples(Xte).mean() > vae.score_samples(noise).mean() + 10


def test_sample_is_seeded_and_leaves_numpy_alone(vae):
    np.random.seed(7)  # noqa: NPY002
    expected = np.random.rand()  # noqa: NPY002 (the global state is what we check)
    np.random.seed(7)  # noqa: NPY002
    a, b = vae.sample(4, random_state=1), vae.sample(4, random_state=1)
    vae.sample(2)
    assert np.random.rand() == expected  # noqa: NPY002
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 64)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.sample(0)


def test_convolutional_vae_on_images(digits):
    X, _ = digits
    images = X[:200].reshape(-1, 8, 8)
    vae = VAETransformer(n_components=4, filters=(8,), epochs=3, random_state=0).fit(images)
    assert vae.image_shape_ == (8, 8, 1)
    assert vae.encoder_.get_layer("encoder_conv_0") is not None
    assert vae.sample(3, random_state=0).shape == (3, 8, 8)
    rows = VAETransformer(n_components=4, image_shape=(8, 8), filters=(8,), epochs=3).fit(X[:200])
    assert rows.sample(3, random_state=0).shape == (3, 64)


def test_grid_search_tunes_n_components_by_elbo(digits):
    X, _ = digits
    search = GridSearchCV(
        VAETransformer(epochs=15, random_state=0), {"n_components": [1, 8]}, cv=2
    ).fit(X[:800])
    assert search.best_params_ == {"n_components": 8}


def test_loss_other_than_gaussian_is_refused():
    with pytest.raises(ValueError, match="'loss' parameter of VAETransformer must be"):
        VAETransformer(loss="mae").fit(np.zeros((10, 3)))


def test_scoring_and_pickling_ask_numpy_for_no_deprecated_array_copy(digits):
    """skae reads Keras variables with ``np.asarray``. ``keras.ops.convert_to_numpy``
    calls ``np.array`` on them, which warns under NumPy 2 (their ``__array__`` has
    no ``copy`` keyword): once per score, and once per variable on every pickle.
    Pickling is checked on TensorFlow only: on JAX, Keras' own optimizer config
    (which pickling serialises) reads its learning rate that way itself."""
    import keras

    vae = VAETransformer(n_components=2, epochs=1, early_stopping=False, random_state=0)
    vae.fit(digits[0][:64])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        score = vae.score(digits[0][:8])
        if keras.backend.backend() == "tensorflow":
            assert pickle.loads(pickle.dumps(vae)).score(digits[0][:8]) == score


@pytest.fixture(params=["mixed_bfloat16", "float64"])
def global_dtype(request):
    """Keras' global mixed-precision policy, or its float type, set for one test, then restored."""
    import keras

    policy, floatx = keras.mixed_precision.global_policy(), keras.config.floatx()
    if request.param == "float64":
        keras.config.set_floatx("float64")
    else:
        keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.config.set_floatx(floatx)
    keras.mixed_precision.set_global_policy(policy)


# Without jax_enable_x64, JAX makes the float64 that floatx asks for float32, and says so.
@pytest.mark.filterwarnings("ignore:Explicitly requested dtype float64:UserWarning")
def test_models_with_their_own_loss_train_under_another_global_dtype(digits, global_dtype):
    """Under a mixed-precision policy the layers compute in bfloat16 and keep
    float32 variables; with floatx float64 everything is float64. The VAE's
    and the imputer's losses are computed in the variables' dtype (on
    TensorFlow the VAE's failed in a subtraction of two float types)."""
    from skae import AutoencoderImputer

    X = digits[0][:200]
    vae = VAETransformer(n_components=2, epochs=2, random_state=0).fit(X)
    assert np.isfinite(vae.history_["loss"]).all()
    assert np.isfinite(vae.transform(X)).all() and np.isfinite(vae.score(X))
    missing = X.copy()
    missing[::4, 10] = np.nan
    imputer = AutoencoderImputer(epochs=2, random_state=0).fit(missing)
    assert np.isfinite(imputer.transform(missing)).all()
