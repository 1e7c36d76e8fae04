"""sample_weight in fit: what holds exactly, what holds in expectation, what is refused."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoder,
    SequenceAutoencoder,
    VAETransformer,
    make_windows,
)

SMALL = dict(epochs=3, batch_size=32, random_state=0)


def _estimators():
    return [
        (AutoencoderTransformer(4, hidden_layer_sizes=(16,), **SMALL), "digits"),
        (ConvAutoencoder(4, filters=(4,), hidden_layer_sizes=(8,), **SMALL), "images"),
        (VAETransformer(2, hidden_layer_sizes=(16,), kl_warmup_epochs=1, **SMALL), "digits"),
        # The 0.1 sequence network: weights act on the rows and the loss, not
        # on the architecture, and it fits in two thirds of the time.
        (
            SequenceAutoencoder(
                2, units=4, n_future=2, bidirectional=False, linear_skip=False, **SMALL
            ),
            "windows",
        ),
    ]


def _data(kind, digits):
    X, _ = digits
    if kind == "digits":
        return X[:300], None
    if kind == "images":
        return X[:300].reshape(-1, 8, 8), None
    return make_windows(np.sin(np.arange(200) / 4.0), window=12, n_future=2)


@pytest.mark.parametrize("estimator, kind", _estimators(), ids=lambda e: type(e).__name__)
def test_zero_weight_is_leaving_the_row_out(estimator, kind, digits):
    X, y = _data(kind, digits)
    weights = np.ones(len(X))
    weights[::4] = 0
    kept = weights > 0
    weighted = estimator.__sklearn_clone__().fit(X, y, sample_weight=weights)
    left_out = estimator.__sklearn_clone__().fit(X[kept], None if y is None else y[kept])
    np.testing.assert_array_equal(weighted.transform(X), left_out.transform(X))
    np.testing.assert_array_equal(weighted.offset_, left_out.offset_)


@pytest.mark.parametrize("estimator, kind", _estimators(), ids=lambda e: type(e).__name__)
def test_equal_weights_are_the_unweighted_fit(estimator, kind, digits):
    X, y = _data(kind, digits)
    weighted = estimator.__sklearn_clone__().fit(X, y, sample_weight=np.full(len(X), 2.5))
    plain = estimator.__sklearn_clone__().fit(X, y)
    np.testing.assert_array_equal(weighted.transform(X), plain.transform(X))


def test_integer_weights_are_repeated_rows(digits):
    """One batch per epoch and no validation split: the weighted loss is the
    loss over the repeated rows, so the fits agree up to float rounding."""
    X = digits[0][:200]
    counts = np.random.default_rng(0).integers(1, 4, size=len(X))
    params = dict(
        n_components=4,
        hidden_layer_sizes=(16,),
        epochs=40,
        batch_size=1000,
        validation_fraction=0.0,
        early_stopping=False,
        random_state=0,
    )
    weighted = AutoencoderTransformer(**params).fit(X, sample_weight=counts)
    repeated = AutoencoderTransformer(**params).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.offset_, repeated.offset_, rtol=1e-12)
    assert weighted.scale_ == pytest.approx(repeated.scale_, rel=1e-12)
    np.testing.assert_allclose(weighted.history_["loss"], repeated.history_["loss"], rtol=1e-4)
    codes_w, codes_r = weighted.transform(X), repeated.transform(X)
    np.testing.assert_allclose(codes_w, codes_r, atol=1e-3 * np.abs(codes_r).max())
    # The weights matter: the unweighted fit is further away than rounding.
    plain = AutoencoderTransformer(**params).fit(X)
    assert np.abs(plain.transform(X) - codes_r).max() > 100 * np.abs(codes_w - codes_r).max()


def test_weights_shift_the_fit_towards_heavy_rows(digits):
    X, y = digits
    zeros = y == 0
    weights = np.where(zeros, 20.0, 1.0)
    params = dict(n_components=2, epochs=15, early_stopping=False, random_state=0)
    plain = AutoencoderTransformer(**params).fit(X)
    weighted = AutoencoderTransformer(**params).fit(X, sample_weight=weights)
    assert weighted.score(X[zeros]) > plain.score(X[zeros])
    assert weighted.score(X[~zeros]) < plain.score(X[~zeros])


def test_imputer_and_detector_take_weights(digits):
    X = digits[0][:300].copy()
    weights = np.ones(len(X))
    weights[::3] = 0
    kept = weights > 0
    X_missing = X.copy()
    X_missing[::5, 10] = np.nan
    params = dict(n_components=4, epochs=3, random_state=0)
    weighted = AutoencoderImputer(**params).fit(X_missing, sample_weight=weights)
    left_out = AutoencoderImputer(**params).fit(X_missing[kept])
    np.testing.assert_array_equal(weighted.transform(X_missing), left_out.transform(X_missing))

    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(2, epochs=3), contamination=0.2, random_state=0
    )
    weighted = detector.__sklearn_clone__().fit(X, sample_weight=weights)
    left_out = detector.__sklearn_clone__().fit(X[kept])
    assert weighted.offset_ == left_out.offset_
    # Weighted quantile: the rows flagged carry about 20% of the training weight.
    graded = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    fitted = detector.__sklearn_clone__().fit(X, sample_weight=graded)
    flagged = fitted.predict(X) == -1
    assert graded[flagged].sum() / graded.sum() == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize(
    "weights, message",
    [
        (-np.ones(50), "Negative values in data passed to `sample_weight`"),
        (np.ones(49), r"sample_weight.shape == \(49,\), expected \(50,\)"),
        (np.zeros(50), "Sample weights must contain at least one non-zero number"),
    ],
)
def test_bad_weights_are_refused_with_scikit_learns_messages(weights, message, small_X):
    X = np.vstack([small_X, small_X[:10]])
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(2, epochs=1).fit(X, sample_weight=weights)


def test_weights_are_not_changed(small_X):
    weights = np.arange(1.0, 41.0)
    before = weights.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        AutoencoderTransformer(2, epochs=1, random_state=0).fit(small_X, sample_weight=weights)
    np.testing.assert_array_equal(weights, before)
