"""Ordered codes (``ordered=True``): prefixes, explained variance, fractions, shared fits."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer, ConvAutoencoder, VAETransformer, fit_cache

# One pytest-xdist worker runs this module (`--dist loadgroup`): its fitted
# module-scoped fixtures are then fitted once, not once per worker.
pytestmark = pytest.mark.xdist_group("module-ordered")

X_DIGITS = load_digits().data[:600]
QUICK = dict(epochs=15, batch_size=32, random_state=0, early_stopping=False)


@pytest.fixture(autouse=True)
def _empty_cache():
    fit_cache.clear()
    yield
    fit_cache.clear()


@pytest.fixture(scope="module")
def ordered():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return AutoencoderTransformer(8, ordered=True, **QUICK).fit(X_DIGITS)


def _error(estimator, X, k):
    codes = estimator.transform(X)[:, :k]
    return float(np.mean((X - estimator.inverse_transform(codes)) ** 2))


def test_every_prefix_decodes_and_longer_prefixes_decode_better(ordered):
    errors = [_error(ordered, X_DIGITS, k) for k in (1, 2, 4, 8)]
    assert errors == sorted(errors, reverse=True), errors
    # A plain fit's first two codes, the others 0, are far worse than the
    # ordered fit's: the order is what the training added.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = AutoencoderTransformer(8, **QUICK).fit(X_DIGITS)
    zeros = np.zeros((len(X_DIGITS), 6))
    plain_error = np.mean(
        (X_DIGITS - plain.inverse_transform(np.hstack([plain.transform(X_DIGITS)[:, :2], zeros])))
        ** 2
    )
    assert errors[1] < 0.9 * plain_error


def test_explained_variance_ratio_has_pca_meaning(ordered):
    ratios = ordered.explained_variance_ratio_
    assert ratios.shape == (8,) and ordered.n_components_ == 8
    X = X_DIGITS
    total = np.sum((X - X.mean(axis=0)) ** 2)
    for k in (1, 4, 8):
        r2 = 1 - _error(ordered, X, k) * X.size / total
        np.testing.assert_allclose(np.sum(ratios[:k]), r2, rtol=1e-6)
    assert 0 < ratios.sum() <= 1


def _dense_widths(network):
    return [layer.units for layer in network.layers if hasattr(layer, "units")]


def test_auto_hidden_layers_are_wider_for_ordered_codes_only():
    X = X_DIGITS[:200]
    fast = dict(epochs=2, random_state=0)
    default = AutoencoderTransformer(2, **fast).fit(X)
    explicit = AutoencoderTransformer(2, hidden_layer_sizes=(128,), **fast).fit(X)
    assert default.get_params()["hidden_layer_sizes"] == "auto"
    assert _dense_widths(default.encoder_) == [128, 2]
    np.testing.assert_array_equal(default.transform(X), explicit.transform(X))
    ordered = AutoencoderTransformer(2, ordered=True, **fast).fit(X)
    assert _dense_widths(ordered.encoder_) == [512, 2]
    assert _dense_widths(ordered.decoder_) == [512, 64]
    chosen = AutoencoderTransformer(2, ordered=True, hidden_layer_sizes=(32,), **fast).fit(X)
    assert _dense_widths(chosen.encoder_) == [32, 2]


def test_inverse_transform_checks_the_number_of_codes(ordered):
    with pytest.raises(ValueError, match="expecting between 1 and 8 features"):
        ordered.inverse_transform(np.zeros((2, 9)))
    plain = AutoencoderTransformer(4, epochs=1, random_state=0).fit(X_DIGITS)
    with pytest.raises(ValueError, match=r"expecting 4 features \(n_components\)"):
        plain.inverse_transform(np.zeros((2, 3)))
    assert not hasattr(plain, "explained_variance_ratio_") and plain.n_components_ == 4


def test_fraction_keeps_the_fewest_codes_that_reach_it():
    kwargs = dict(ordered=True, max_components=8, **QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        all_codes = AutoencoderTransformer(8, **kwargs).fit(X_DIGITS)
        kept = AutoencoderTransformer(0.6, **kwargs).fit(X_DIGITS)
    cumulative = np.cumsum(all_codes.explained_variance_ratio_)
    expected = int(np.searchsorted(cumulative, 0.6, side="right")) + 1
    assert 1 < kept.n_components_ == expected < 8
    np.testing.assert_array_equal(
        kept.explained_variance_ratio_, all_codes.explained_variance_ratio_[:expected]
    )
    assert kept.transform(X_DIGITS).shape == (600, expected)
    assert kept.get_feature_names_out().shape == (expected,)
    # More than the codes can explain: all are kept, with a warning.
    with pytest.warns(UserWarning, match="explain .* less than n_components=0.999"):
        unreachable = AutoencoderTransformer(0.999, **kwargs).fit(X_DIGITS)
    assert unreachable.n_components_ == 8


def test_integer_n_components_keeps_a_prefix_of_max_components():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        wide = AutoencoderTransformer(8, ordered=True, max_components=8, **QUICK).fit(X_DIGITS)
        three = AutoencoderTransformer(3, ordered=True, max_components=8, **QUICK).fit(X_DIGITS)
    np.testing.assert_array_equal(three.transform(X_DIGITS), wide.transform(X_DIGITS)[:, :3])
    np.testing.assert_array_equal(
        three.inverse_transform(three.transform(X_DIGITS[:5])),
        wide.inverse_transform(wide.transform(X_DIGITS[:5])[:, :3]),
    )


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_components=0.9), "needs ordered=True"),
        (dict(max_components=8), "max_components=8 is the width of an ordered fit"),
        (dict(n_components=9, ordered=True, max_components=8), "must be at most max_components"),
        (dict(ordered=True, whiten=True), "undoes their order"),
        (dict(ordered=True, loss=np.subtract), "named loss"),
    ],
)
def test_parameters_that_ordered_codes_cannot_serve(params, match):
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(**{"epochs": 1, **params}).fit(X_DIGITS[:50])


def test_n_components_as_a_fraction_outside_0_1_is_refused():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="n_components"):
        AutoencoderTransformer(1.5, ordered=True).fit(X_DIGITS[:50])


def test_search_shares_fits_and_gives_the_unshared_results():
    base = AutoencoderTransformer(ordered=True, max_components=4, epochs=3, random_state=0)
    grid = {"n_components": [1, 2, 4]}
    shared = GridSearchCV(base, grid, cv=2).fit(X_DIGITS)
    info = fit_cache.info()
    assert (info["misses"], info["hits"]) == (3, 4)  # 2 folds + the refit; 2 x 2 shared
    previous = fit_cache.set_limits(max_entries=0)
    try:
        unshared = GridSearchCV(base, grid, cv=2).fit(X_DIGITS)
    finally:
        fit_cache.set_limits(**previous)
    assert fit_cache.info()["hits"] == 4  # off: no more
    for name, value in unshared.cv_results_.items():
        if "time" not in name:
            np.testing.assert_array_equal(shared.cv_results_[name], value, err_msg=name)
    np.testing.assert_array_equal(
        shared.best_estimator_.transform(X_DIGITS), unshared.best_estimator_.transform(X_DIGITS)
    )


def test_a_shared_fit_is_each_estimators_own():
    base = AutoencoderTransformer(2, ordered=True, max_components=4, epochs=2, random_state=0)
    first = clone(base).fit(X_DIGITS)
    second = clone(base).set_params(n_components=4).fit(X_DIGITS)
    assert fit_cache.info()["hits"] == 1
    assert first.model_ is not second.model_
    np.testing.assert_array_equal(first.transform(X_DIGITS), second.transform(X_DIGITS)[:, :2])
    assert first.history_ == second.history_ and first.n_iter_ == second.n_iter_
    before = second.transform(X_DIGITS)
    first.partial_fit(X_DIGITS)  # training one further changes neither the other nor the cache
    np.testing.assert_array_equal(second.transform(X_DIGITS), before)
    third = clone(base).set_params(n_components=4).fit(X_DIGITS)
    np.testing.assert_array_equal(third.transform(X_DIGITS), before)
    with pytest.raises(ValueError, match="must be at most max_components"):
        clone(base).set_params(n_components=5).fit(X_DIGITS)  # checked before the cache


@pytest.mark.parametrize(
    "change",
    [
        lambda X, est: (X + 1e-9, est),  # other data
        lambda X, est: (X, est.set_params(learning_rate=2e-3)),  # another parameter
        lambda X, est: (X, est.set_params(random_state=1)),
        lambda X, est: (X, est.set_params(random_state=None)),  # not reproducible: never kept
        lambda X, est: (X, est.set_params(callbacks=[])),  # callbacks' side effects are per fit
    ],
)
def test_a_fit_that_would_train_otherwise_is_not_shared(change):
    base = AutoencoderTransformer(2, ordered=True, max_components=4, epochs=1, random_state=0)
    clone(base).fit(X_DIGITS)
    X, changed = change(X_DIGITS, clone(base))
    changed.fit(X)
    assert fit_cache.info()["hits"] == 0


def test_cache_is_bounded():
    previous = fit_cache.set_limits(max_entries=2)
    try:
        for seed in range(3):
            AutoencoderTransformer(
                2, ordered=True, max_components=2, epochs=1, random_state=seed
            ).fit(X_DIGITS[:100])
        assert fit_cache.info()["entries"] == 2
        fit_cache.set_limits(max_bytes=1000)  # smaller than one entry
        assert fit_cache.info()["entries"] == 0
    finally:
        fit_cache.set_limits(**previous)
    with pytest.raises(ValueError, match="max_entries must be a non-negative integer"):
        fit_cache.set_limits(max_entries=-1)


def test_saved_ordered_model_decodes_prefixes_alike(ordered):
    loaded = pickle.loads(pickle.dumps(ordered))
    codes = ordered.transform(X_DIGITS[:5])[:, :3]
    np.testing.assert_array_equal(loaded.inverse_transform(codes), ordered.inverse_transform(codes))
    np.testing.assert_array_equal(
        loaded.explained_variance_ratio_, ordered.explained_variance_ratio_
    )


def test_vae_orders_its_posterior_means():
    # A fraction the short fit reaches (its 4 codes explain about 0.44): no
    # warning, and the kept codes are those that reach it.
    vae = VAETransformer(0.25, ordered=True, max_components=4, kl_warmup_epochs=1, **QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", UserWarning)
        vae.fit(X_DIGITS)
    k = vae.n_components_
    cumulative = np.cumsum(vae.explained_variance_ratio_)
    assert cumulative[k - 1] >= 0.25 and (k == 1 or cumulative[k - 2] < 0.25)
    assert vae.transform(X_DIGITS[:3]).shape == (3, k)
    assert vae.transform(X_DIGITS[:3], return_std=True)[1].shape == (3, k)
    assert vae.sample(2, random_state=0).shape == (2, 64)
    assert np.all(np.isfinite(vae.score_samples(X_DIGITS[:5])))
    assert 0 < vae.explained_variance_ratio_.sum() <= 1


@pytest.mark.parametrize("max_components", [None, 4])
def test_conv_ordered_on_images(max_components):
    images = X_DIGITS.reshape(-1, 8, 8)
    conv = ConvAutoencoder(
        3, ordered=True, max_components=max_components, filters=(4,), epochs=2, random_state=0
    ).fit(images)
    assert conv.layout_.input_shape == (8, 8)
    assert conv.explained_variance_ratio_.shape == (3,)
    assert conv.inverse_transform(conv.transform(images[:2])[:, :1]).shape == (2, 8, 8)
    assert conv.model_.shared_rows  # the conv decoder is the work: each row decoded twice


def _tiny_ordered_model(shared_rows):
    import keras

    from skae._keras import models

    encoder = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    decoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])
    model = models.OrderedAutoencoder(encoder, decoder, (1, 2, 4), shared_rows=shared_rows)
    model.absent.assign(np.random.default_rng(1).normal(size=(3, 4)).astype("float32"))
    return model


def test_shared_rows_decode_each_row_from_the_full_code_and_one_prefix():
    model = _tiny_ordered_model(shared_rows=True)
    x = np.random.default_rng(0).normal(size=(5, 5)).astype("float32")
    out = np.asarray(model(x))
    code = np.asarray(model.encoder(x))
    absent = np.asarray(model.absent)
    assert out.shape == (10, 5)
    np.testing.assert_allclose(out[:5], np.asarray(model.decoder(code)), rtol=1e-5, atol=1e-6)
    for i in range(5):
        k = (1, 2)[i % 2]  # rows dealt out among the smaller sizes in turn
        filled = np.concatenate([code[i, :k], absent[i % 2, k:]])[None]
        np.testing.assert_allclose(
            out[5 + i], np.asarray(model.decoder(filled))[0], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("n_rows", [5, 1])
def test_shared_rows_loss_is_the_mean_of_each_sizes_loss_on_its_rows(n_rows):
    model = _tiny_ordered_model(shared_rows=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_rows, 5)).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=n_rows).astype("float32")
    out = np.asarray(model(x))
    loss = float(model.compute_loss(x, x, model(x), sample_weight=weights))
    errors = np.mean((out - np.vstack([x, x])) ** 2, axis=1) * np.tile(weights, 2)
    full, shared = errors[:n_rows], errors[n_rows:]
    # a size given no row (one row, two smaller sizes) is left out
    sizes = [shared[j::2].mean() for j in range(2) if len(shared[j::2])] + [full.mean()]
    assert loss == pytest.approx(np.mean(sizes), rel=1e-5)


def test_shared_rows_are_kept_in_the_config():
    from skae._keras import models

    for shared_rows in (True, False):
        model = _tiny_ordered_model(shared_rows)
        config = model.get_config()
        assert config["shared_rows"] is shared_rows
        assert models.OrderedAutoencoder.from_config(config).shared_rows is shared_rows
    assert not AutoencoderTransformer._ordered_shared_rows  # dense fits decode every size


def test_onnx_exports_the_kept_prefix():
    import onnxruntime

    from skae.onnx import ExportError, inverse_to_onnx, to_onnx

    X = X_DIGITS.astype(np.float32)
    ae = AutoencoderTransformer(3, ordered=True, max_components=8, epochs=2, random_state=0)
    ae.fit(X)
    session = onnxruntime.InferenceSession(to_onnx(ae, X[:4]).SerializeToString())
    codes = session.run(None, {"X": X[:20]})[0]
    np.testing.assert_allclose(codes, ae.transform(X[:20]), rtol=1e-5, atol=1e-5)
    inverse = onnxruntime.InferenceSession(inverse_to_onnx(ae).SerializeToString())
    np.testing.assert_allclose(
        inverse.run(None, {"X": codes})[0], ae.inverse_transform(codes), rtol=1e-4, atol=1e-4
    )
    vae = VAETransformer(2, ordered=True, max_components=4, epochs=1, random_state=0).fit(X)
    with pytest.raises(ExportError, match="keeps 2 of its 4 codes"):
        to_onnx(vae, X[:4])
