"""AutoencoderImputer: scikit-learn's imputer conventions and real imputation quality."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer

from skae import AutoencoderImputer

FAST = dict(epochs=20, random_state=0)


@pytest.fixture(scope="module")
def holes(digits_split):
    """Digits with 30% of the entries hidden completely at random."""
    Xtr, Xte, _, _ = digits_split
    rng = np.random.default_rng(0)
    train_mask, test_mask = rng.random(Xtr.shape) < 0.3, rng.random(Xte.shape) < 0.3
    return np.where(train_mask, np.nan, Xtr), np.where(test_mask, np.nan, Xte), Xte, test_mask


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_fills_only_the_missing_entries_and_beats_the_mean(holes):
    train, test, truth, mask = holes
    imputer = AutoencoderImputer(**FAST).fit(train)
    filled = imputer.transform(test)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[~mask], test[~mask])
    mean_filled = SimpleImputer().fit(train).transform(test)
    assert rmse(filled[mask], truth[mask]) < 0.75 * rmse(mean_filled[mask], truth[mask])


def test_missing_entries_do_not_count_in_the_loss():
    """Zeros written where values are missing must not be learned as data."""
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 1.0, size=(300, 6))
    holes = X.copy()
    holes[rng.random(X.shape) < 0.4] = np.nan
    filled = AutoencoderImputer(n_components=3, **FAST).fit(holes).transform(holes)
    # Had missing entries counted as zeros, the fills would be pulled far below 5.
    assert abs(filled[np.isnan(holes)].mean() - 5.0) < 0.5


def test_placeholder_missing_values_and_indicator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    X[::5, 2] = -1.0
    imputer = AutoencoderImputer(missing_values=-1.0, add_indicator=True, n_components=2, **FAST)
    out = imputer.fit_transform(X)
    assert out.shape == (80, 8)
    assert not np.any(out[:, 2] == -1.0)
    np.testing.assert_array_equal(out[:, 6], (X[:, 2] == -1.0).astype(float))
    names = imputer.get_feature_names_out([f"f{i}" for i in range(4)])
    assert list(names[4:]) == [f"missingindicator_f{i}" for i in range(4)]


def test_refinement_passes_keep_observed_values(holes):
    train, test, _, mask = holes
    filled = AutoencoderImputer(n_refinements=2, **FAST).fit(train).transform(test)
    np.testing.assert_array_equal(filled[~mask], test[~mask])


def test_empty_features_are_dropped_with_scikit_learns_warning(digits):
    import pandas as pd

    X = pd.DataFrame(digits[0][:200], columns=[f"p{i}" for i in range(64)])
    X.iloc[::4, 20] = np.nan
    X["p5"] = np.nan
    imputer = AutoencoderImputer(n_components=4, epochs=2, early_stopping=False, random_state=0)
    imputer.fit(X)
    skipping = r"Skipping features without any observed values: \['p5'\]"
    with pytest.warns(UserWarning, match=skipping):
        SimpleImputer().fit(X).transform(X)  # scikit-learn's warning, at transform
    with pytest.warns(UserWarning, match=skipping):
        out = imputer.transform(X)
    assert out.shape == (200, 63) and not np.isnan(out).any()
    names = imputer.get_feature_names_out()
    assert "p5" not in names and list(names) == list(SimpleImputer().fit(X).get_feature_names_out())
    # The observed entries come back unchanged, in the kept columns' order.
    observed = X["p20"].notna().to_numpy()
    np.testing.assert_array_equal(out[observed, 19], X["p20"].to_numpy()[observed])
    with pytest.warns(UserWarning, match=skipping):
        frame = imputer.set_output(transform="pandas").transform(X)
    assert frame.columns.tolist() == list(names)


def test_empty_features_kept_are_filled_with_zero(digits):
    X = digits[0][:200].copy()
    X[::3, 7] = np.nan
    X[:, 2] = np.nan
    imputer = AutoencoderImputer(
        n_components=4,
        epochs=2,
        early_stopping=False,
        keep_empty_features=True,
        add_indicator=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "skipping" warning when kept
        out = imputer.fit(X).transform(X)
    assert out.shape == (200, 128)
    np.testing.assert_array_equal(out[:, 2], 0.0)
    np.testing.assert_array_equal(out[:, 64 + 2], 1.0)  # its indicator column
    # An empty feature observed at transform time keeps its value.
    X_later = X[:5].copy()
    X_later[:, 2] = 0.5
    np.testing.assert_array_equal(imputer.transform(X_later)[:, 2], 0.5)
    # The network never sees the empty feature: it is trained on 63 columns.
    assert imputer.autoencoder_.n_features_in_ == 63
    assert len(imputer.get_feature_names_out()) == 128


def test_all_features_empty_is_a_clear_error():
    X = np.full((10, 3), np.nan)
    with pytest.raises(ValueError, match="all 3 features of X are entirely missing"):
        AutoencoderImputer(epochs=1).fit(X)


def test_convergence_warning_names_the_imputer(holes):
    X_missing = holes[0]
    imputer = AutoencoderImputer(n_components=2, epochs=1, early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match="^AutoencoderImputer ran all epochs=1"):
        imputer.fit(X_missing)


@pytest.mark.parametrize(
    ("n_features", "n_empty", "expected"), [(64, 0, 16), (64, 8, 14), (400, 0, 64), (5, 0, 2)]
)
def test_auto_components_are_a_quarter_of_the_usable_features(n_features, n_empty, expected):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_features))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, :n_empty] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs; empty features
        imputer = AutoencoderImputer(epochs=1, random_state=0).fit(X)
    assert imputer.autoencoder_.n_components_ == expected
    assert AutoencoderImputer(n_components=3, epochs=1).fit(X).autoencoder_.n_components_ == 3


def test_n_components_rejects_other_strings():
    with pytest.raises(ValueError, match="n_components"):
        AutoencoderImputer(n_components="all").fit(np.ones((10, 3)))


@pytest.fixture(scope="module")
def fitted_on_holes(holes):
    return AutoencoderImputer(**FAST).fit(holes[0])


@pytest.fixture
def imputer(fitted_on_holes):
    """The fitted imputer, its n_code_steps set back to 0 after each test."""
    yield fitted_on_holes
    fitted_on_holes.set_params(n_code_steps=0)


def fitted_codes_by_hand(imputer, X, steps):
    """The encoder's codes of X's mean-filled rows after ``steps`` of
    :func:`skae._keras.engine.fit_codes`, and the targets in network units."""
    from skae._keras import engine

    ae, observed = imputer.autoencoder_, ~np.isnan(X)
    filled = np.where(observed, X, ae.offset_)
    target = ae._standardize(filled)
    codes = engine.fit_codes(ae.decoder_, ae.transform(filled), target, observed, steps)
    return codes, target


def test_code_steps_impute_from_the_codes_fitted_to_the_observed_entries(holes, imputer):
    """transform decodes the missing entries from the fitted codes; the fit
    lowers the error on the observed entries, which are kept."""
    _, test, _, mask = holes
    incomplete = mask.any(axis=1)
    errors = []
    for steps in (0, 20, 100):
        codes, target = fitted_codes_by_hand(imputer, test[incomplete], steps)
        decoded = imputer.autoencoder_.inverse_transform(codes)
        observed = ~mask[incomplete]
        errors.append(np.mean((imputer.autoencoder_._standardize(decoded) - target)[observed] ** 2))
        filled = imputer.set_params(n_code_steps=steps).transform(test)
        np.testing.assert_array_equal(filled[~mask], test[~mask])
        np.testing.assert_allclose(filled[incomplete][~observed], decoded[~observed], rtol=1e-6)
    assert errors[2] < errors[1] < 0.95 * errors[0]


def test_code_steps_impute_hidden_digits_better(holes, imputer):
    """30% of the digits' entries hidden: 50 steps lower the error on them
    (benchmarks/bench_impute_latent.py measures it with the defaults)."""
    _, test, truth, mask = holes
    errors = [
        rmse(imputer.set_params(n_code_steps=n).transform(test)[mask], truth[mask]) for n in (0, 50)
    ]
    assert errors[1] < 0.98 * errors[0]


def test_a_rows_code_does_not_depend_on_the_other_rows(holes, imputer, monkeypatch):
    """Rows fitted together, in two calls or in chunks give the same imputation."""
    from skae._keras import code_fit

    _, test, _, _ = holes
    imputer.set_params(n_code_steps=30)
    together = imputer.transform(test[:60])
    apart = np.vstack([imputer.transform(test[:25]), imputer.transform(test[25:60])])
    monkeypatch.setattr(code_fit, "CHUNK_ROWS", 16)
    chunked = imputer.transform(test[:60])
    np.testing.assert_allclose(apart, together, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked, together, rtol=1e-5, atol=1e-6)


def test_the_compiled_code_fit_is_keras_adam_through_model_fit(holes, fitted_on_holes):
    """The backend's compiled loop updates as keras.optimizers.Adam does in the
    Model.fit path of other backends."""
    from skae._keras import engine, engine_model_fit

    _, test, _, _ = holes
    ae, observed = fitted_on_holes.autoencoder_, ~np.isnan(test[:40])
    filled = np.where(observed, test[:40], ae.offset_)
    codes, target = ae.transform(filled), ae._standardize(filled)
    loop = engine.fit_codes(ae.decoder_, codes, target, observed, 25)
    model_fit = engine.fit_codes(
        ae.decoder_, codes, target, observed, 25, loop=engine_model_fit.fit_codes
    )
    assert not np.allclose(loop, codes)
    np.testing.assert_allclose(loop, model_fit, rtol=1e-4, atol=1e-5)


def test_code_steps_keep_the_input_dtype_and_float64_precision(holes, imputer):
    """Fills of float32 rows are float32; float64 rows keep float64 digits
    (the codes are cast back), here with an offset float32 would round."""
    _, test, _, mask = holes
    imputer.set_params(n_code_steps=10)
    assert imputer.transform(test.astype(np.float32)).dtype == np.float32
    shifted = AutoencoderImputer(**FAST).set_params(n_code_steps=10).fit(holes[0] + 1e7)
    fills = shifted.transform(test + 1e7)[mask] - 1e7
    assert np.unique(np.round(fills, 3)).size > 10 * np.unique(np.round(fills)).size


def test_code_steps_leave_rows_with_no_observed_entry_as_the_encoders(holes, imputer):
    """A row with every entry missing has nothing to fit: the encoder's code stays."""
    _, test, _, _ = holes
    rows = test[:4].copy()
    rows[1] = np.nan
    encoders = imputer.transform(rows)
    fitted = imputer.set_params(n_code_steps=20).transform(rows)
    np.testing.assert_array_equal(fitted[1], encoders[1])
    assert not np.allclose(fitted[[0, 2, 3]], encoders[[0, 2, 3]])


def test_code_steps_with_refinements_an_indicator_and_empty_features(digits):
    X = digits[0][:300].copy()
    rng = np.random.default_rng(1)
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 7] = np.nan  # no observed value: kept, filled with 0
    params = dict(n_refinements=1, add_indicator=True, keep_empty_features=True, **FAST)
    imputer = AutoencoderImputer(**params).fit(X)
    encoders = imputer.transform(X)
    fitted = imputer.set_params(n_code_steps=10).transform(X)
    missing = np.isnan(X)
    assert fitted.shape == encoders.shape == (300, 128)
    np.testing.assert_array_equal(fitted[:, 64:], missing.astype(float))
    np.testing.assert_array_equal(fitted[:, :64][~missing], X[~missing])
    np.testing.assert_array_equal(fitted[:, 7], 0.0)
    assert not np.allclose(fitted[:, :64][missing], encoders[:, :64][missing])


def test_code_steps_must_be_a_non_negative_integer(holes):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'n_code_steps' parameter"):
        AutoencoderImputer(n_code_steps=-1).fit(holes[0])
    with pytest.raises(InvalidParameterError, match="'n_code_steps' parameter"):
        AutoencoderImputer(n_code_steps="best").fit(holes[0])


def test_auto_code_steps_keep_the_count_that_restores_hidden_entries_best():
    from skae import _code_steps

    rows = np.random.default_rng(1).normal(size=(50, 8))
    rows[::3, 2] = np.nan
    calls = []

    def impute(holes, n):
        """Exact for 50 and 100 steps, worse the further the count from 50."""
        calls.append(n)
        # The NaN are the missing entries and the tenth of the observed ones hidden.
        assert np.isnan(holes).sum() > np.isnan(rows).sum()
        seen = ~np.isnan(holes)
        np.testing.assert_array_equal(holes[seen], rows[seen])
        error = 0.0 if n in (50, 100) else abs(n - 50) + 1.0
        return np.where(seen, holes, np.nan_to_num(rows) + error)

    assert _code_steps.choose(rows, impute, seed=0) == 50  # the smaller of two equals
    assert calls == list(_code_steps.CANDIDATES)
    assert _code_steps.choose(np.full((4, 3), np.nan), impute, seed=0) == 0


def test_auto_code_steps_weigh_the_rows_by_their_sample_weight():
    from skae import _code_steps

    rows = np.random.default_rng(2).normal(size=(60, 10))
    first = np.arange(60) < 30

    def impute(holes, n):
        """Exact for the first half of the rows at 10 steps, for the others at 50."""
        exact = first if n == 10 else ~first if n == 50 else np.zeros(60, bool)
        return np.where(np.isnan(holes), rows + 1.0 * ~exact[:, None], holes)

    assert _code_steps.choose(rows, impute, 0, weights=np.where(first, 1.0, 0.1)) == 10
    assert _code_steps.choose(rows, impute, 0, weights=np.where(first, 0.1, 1.0)) == 50


def test_at_most_max_rows_are_scored():
    from skae import _code_steps

    np.testing.assert_array_equal(_code_steps.scored_rows(7, seed=0), np.arange(7))
    many = _code_steps.scored_rows(_code_steps.MAX_ROWS + 500, seed=0)
    assert len(many) == _code_steps.MAX_ROWS == len(np.unique(many))
    assert np.all(np.diff(many) > 0) and many[-1] < _code_steps.MAX_ROWS + 500
    np.testing.assert_array_equal(many, _code_steps.scored_rows(_code_steps.MAX_ROWS + 500, 0))


@pytest.mark.parametrize(
    "case", ["held-out rows", "no held-out rows", "zero weights", "random_state=None"]
)
def test_auto_code_steps_are_chosen_on_the_rows_the_fit_held_out(holes, case, monkeypatch):
    """The rows scored are those the fit's engine was given as validation rows
    (with none held out, the training rows), and transform takes the count."""
    from skae import _code_steps
    from skae._keras import engine

    train, test = holes[0][:400], holes[1][:60]
    given, scored = [], []
    train_engine, choose = engine.train, _code_steps.choose

    def recorded_training(fit):
        given.append((fit.val_rows, fit.train_rows))
        return train_engine(fit)

    def recorded_choice(rows, impute, seed, weights=None):
        scored.append(rows)
        return choose(rows, impute, seed, weights)

    monkeypatch.setattr(engine, "train", recorded_training)
    monkeypatch.setattr(_code_steps, "choose", recorded_choice)
    monkeypatch.setattr(_code_steps, "CANDIDATES", (25,))  # a count transform must use
    params = dict(FAST, epochs=3)
    weights = None
    if case == "no held-out rows":
        params["validation_fraction"] = 0.0
    elif case == "random_state=None":
        params["random_state"] = None
    elif case == "zero weights":
        weights = np.where(np.arange(len(train)) % 4 == 0, 0.0, 1.0)
    imputer = AutoencoderImputer(n_code_steps="auto", **params)
    imputer.fit(train, sample_weight=weights)
    kept = train if weights is None else train[weights > 0]
    val_rows, train_rows = given[0]
    expected = kept[val_rows] if len(val_rows) else kept[train_rows]
    np.testing.assert_array_equal(scored[0], expected)
    assert imputer.n_code_steps_ == 25
    np.testing.assert_array_equal(
        imputer.transform(test), imputer.set_params(n_code_steps=25).transform(test)
    )
    imputer.set_params(n_code_steps=0).fit(train, sample_weight=weights)
    assert not hasattr(imputer, "n_code_steps_")


def test_auto_code_steps_need_a_fit_that_chose_them(imputer, holes):
    with pytest.raises(ValueError, match="n_code_steps='auto' is chosen by fit"):
        imputer.set_params(n_code_steps="auto").transform(holes[1])
