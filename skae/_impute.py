"""AutoencoderImputer: fill missing values with an autoencoder's reconstruction."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from . import _code_steps
from . import _fitting as fitting
from . import _scaling as scaling
from ._base import BaseAutoencoder
from ._dense import AutoencoderTransformer
from ._validation import weighted_rows

_SHARED = (
    "n_components",
    "hidden_layer_sizes",
    "activation",
    "epochs",
    "batch_size",
    "learning_rate",
    "optimizer",
    "validation_fraction",
    "early_stopping",
    "n_iter_no_change",
    "noise",
    "noise_level",
    "callbacks",
    "log_dir",
    "verbose",
    "random_state",
)


def _auto_components(n_features):
    """``n_components="auto"``: a quarter of the features, between 2 and 64."""
    return int(min(64, max(2, n_features // 4)))


class _MaskedAutoencoder(AutoencoderTransformer):
    """A dense autoencoder that trains on data with NaN, on observed entries only.

    ``transform`` and ``inverse_transform`` take complete rows: the imputer
    starts missing entries at ``offset_`` (the observed column means).
    """

    _ensure_all_finite = "allow-nan"
    _public_name = "AutoencoderImputer"

    def _fit_scaling(self, X, sample_weight):
        self.offset_, self.scale_ = scaling.observed_statistics(X, sample_weight)

    def _training_data(self, X, y, sample_weight):
        """Missing entries enter the network as 0 (the column mean); the mask of
        observed entries is the second target, so that only they count in the loss."""
        data = super()._training_data(X, y, sample_weight)
        observed = ~np.isnan(data.inputs)
        return data._replace(
            inputs=np.where(observed, data.inputs, 0.0).astype(np.float32),
            targets=(observed.astype(np.float32),),
        )

    def _build_model(self, networks, noise, seed, steps_per_epoch):
        from ._keras.models import MaskedAutoencoder

        return MaskedAutoencoder(
            networks["encoder"], networks["decoder"], noise=noise, name="masked"
        )

    def _training_options(self, X, sample_weight, train_rows, val_rows):
        return {"loss": None}  # the model's own, on observed entries


class AutoencoderImputer(TransformerMixin, BaseEstimator):
    """Impute missing values with a denoising autoencoder's reconstruction.

    A dense autoencoder is trained on the incomplete data with a masked loss:
    only observed entries count, and (by default) masking noise zeroes a
    quarter of the inputs during training, so the network learns to fill
    gaps from the entries it sees. ``transform`` starts missing entries at
    their column mean and replaces them with the reconstruction (repeated
    ``n_refinements`` more times if asked); observed entries are never
    changed. A feature with no observed value in training is dropped from
    the output with a warning, as scikit-learn's imputers drop it, or kept
    and filled with 0 with ``keep_empty_features=True``.

    Parameters
    ----------
    missing_values : float or None, default=np.nan
        The placeholder of missing values.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`'s columns (one per
        input feature, empty ones included).
    keep_empty_features : bool, default=False
        What to do with features that have no observed value in ``fit``:
        drop them from the output of ``transform`` (False, with a warning at
        each ``transform``, as :class:`~sklearn.impute.SimpleImputer` warns),
        or keep them with their missing entries filled with 0 (True). The
        autoencoder never sees them either way.

        .. versionadded:: 0.2
    n_refinements : int, default=0
        Extra passes in which the imputed values are fed back in as inputs.
        Measured on digits with 10-50% of entries missing, refinement made
        the imputation worse (the network was trained on masked, not
        imputed, inputs), hence the default of 0.
    n_code_steps : int or "auto", default=0
        Steps of Adam (step size 0.01) that move each incomplete row's code,
        after the encoder's pass, to one whose decoding better matches the
        row's observed entries, from which the missing ones are then decoded
        (a row's result does not depend on the other rows). Used by
        ``transform`` only (``set_params`` with an integer needs no new fit),
        in each of its ``1 + n_refinements`` passes. ``"auto"``: ``fit``
        chooses the count (``n_code_steps_``) among 0, 10, 25, 50, 100, 200
        and 400: it hides a tenth of the observed entries of the rows it held
        out by ``validation_fraction`` (where it holds none out, the training
        rows; at most 1000 rows), imputes them with each count and the
        fit's ``n_refinements``, and keeps the count that restores them best
        (squared error, rows weighted by ``sample_weight``); a later
        ``set_params(n_refinements=...)`` keeps that count. 400 is a cap,
        not an optimum: on faces the error still falls there. Measured with
        ``benchmarks/bench_impute_latent.py`` and
        ``benchmarks/bench_impute_auto_steps.py``, error on hidden entries x
        :class:`~sklearn.impute.KNNImputer`'s at 10 / 30 / 50% missing: LFW
        faces 0.82 / 0.83 / 0.85 with 0 steps, 0.65 / 0.67 / 0.69 with 400,
        which ``"auto"`` chose; digits 1.016 / 1.038 / 0.952 with 0, 0.986 /
        0.989 / 0.916 with 50, worse from 200 (with 64 features the codes
        soon fit the observed entries too closely), and ``"auto"`` chose
        50 steps each time (0.986 / 0.989 / 0.916); the choice made the fit
        1.2-1.5 x as long. Off by default: ``transform`` takes longer (400
        steps: about 5 ms a face, against 0.06 ms). The ONNX export runs the
        same steps (a ``Loop`` with the decoder's gradient written out; its
        activation must be linear, relu, tanh or sigmoid) and agrees with
        ``transform`` to the float32 rounding the steps carry on (about
        2e-3 x the output's standard deviation on faces at 400 steps).

        .. versionadded:: 0.2
    n_components : int or "auto", default="auto"
        Size of the latent space. ``"auto"``: a quarter of the number of
        features, at least 2 and at most 64 (16 for the 64 pixels of the
        digits, 64 for faces). Measured with ``benchmarks/bench_impute_options.py``:
        on the LFW faces (1850 features) 64 codes instead of 16 cut the
        error on hidden entries by a tenth (0.84 instead of 0.93 x
        :class:`~sklearn.impute.KNNImputer`'s at 10-50% missing), while on
        the digits 32 or 64 codes were worse than 16.

        .. versionchanged:: 0.2
           The default was 16.
    hidden_layer_sizes : tuple of int, default=(256,)
        Widths of the hidden layers of the encoder (mirrored in the
        decoder). Wider than :class:`AutoencoderTransformer`'s (128 units
        without ordered codes): 256 units
        imputed better than 128 on the digits and the faces; deeper networks
        were better on the digits and worse on the faces.

        .. versionchanged:: 0.2
           The default was (128,).
    batch_size : int or "auto", default=64
        Rows per gradient step, as in :class:`AutoencoderTransformer`.
        Twice its default: with the wider network above, 64 rows per step
        impute as well (on the LFW faces 0.82-0.85 x
        :class:`~sklearn.impute.KNNImputer`'s error against 0.83-0.85 x with
        32; on the digits within 1.5%), and a fit on the faces takes
        1.1-1.4 x the time of the version 0.1 defaults instead of 1.4-2.6 x
        (``benchmarks/bench_impute.py``).

        .. versionchanged:: 0.2
           The default was 32.
    activation, epochs, learning_rate, \
optimizer, validation_fraction, early_stopping, n_iter_no_change, callbacks, \
log_dir, verbose, random_state
        As in :class:`AutoencoderTransformer`.
    noise : {"gaussian", "masking"} or None, default="masking"
        Training corruption; masking teaches the network to fill gaps.
    noise_level : float, default=0.25
        Masking probability (or Gaussian standard deviation).

    Attributes
    ----------
    autoencoder_ : AutoencoderTransformer
        The fitted (masked-loss) autoencoder.
    n_code_steps_ : int
        The code steps ``"auto"`` chose (only when ``n_code_steps="auto"``).
    indicator_ : MissingIndicator or None
        Fitted indicator when ``add_indicator=True``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.impute.SimpleImputer, sklearn.impute.KNNImputer,
    sklearn.impute.IterativeImputer : scikit-learn's imputers.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderImputer
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> X[::7, 1] = np.nan
    >>> imputer = AutoencoderImputer(n_components=2, epochs=5, random_state=0)
    >>> np.isnan(imputer.fit_transform(X)).any()
    np.False_

    A feature with no observed value is dropped, as scikit-learn's imputers
    drop it, or kept and filled with 0:

    >>> X[:, 3] = np.nan
    >>> imputer.set_params(keep_empty_features=True).fit_transform(X)[:2, 3]
    array([0., 0.])

    With ``n_code_steps``, ``transform`` fits each incomplete row's code to
    the row's observed entries before decoding its missing ones:

    >>> missing = np.isnan(X)
    >>> encoders = imputer.transform(X)
    >>> fitted = imputer.set_params(n_code_steps=20).transform(X)
    >>> np.array_equal(fitted[~missing], X[~missing]), np.allclose(fitted, encoders)
    (True, False)
    """

    _parameter_constraints: dict = {
        **{name: BaseAutoencoder._parameter_constraints[name] for name in _SHARED},
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "missing_values": [Real, None],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "n_refinements": [Interval(Integral, 0, None, closed="left")],
        "n_code_steps": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "noise": [StrOptions({"gaussian", "masking"}), None],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        n_refinements=0,
        n_code_steps=0,
        n_components="auto",
        hidden_layer_sizes=(256,),
        activation="relu",
        epochs=100,
        batch_size=64,
        learning_rate=1e-3,
        optimizer="adam",
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=10,
        noise="masking",
        noise_level=0.25,
        callbacks=None,
        log_dir=None,
        verbose=0,
        random_state=None,
    ):
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.n_refinements = n_refinements
        self.n_code_steps = n_code_steps
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.noise = noise
        self.noise_level = noise_level
        self.callbacks = callbacks
        self.log_dir = log_dir
        self.verbose = verbose
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on the observed entries of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing values.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss and the column means; a row of
            weight 0 is left out. See :meth:`AutoencoderTransformer.fit`.

        Returns
        -------
        self : object
        """
        X = self._validate(X, reset=True)
        empty = np.isnan(X).all(axis=0)
        if empty.all():
            raise ValueError(
                f"AutoencoderImputer needs at least one feature with an observed value; "
                f"all {X.shape[1]} features of X are entirely missing."
            )
        self._valid_mask = ~empty
        X_valid = X[:, self._valid_mask]
        params = {name: getattr(self, name) for name in _SHARED}
        if self.n_components == "auto":
            params["n_components"] = _auto_components(int(self._valid_mask.sum()))
        # The seed the inner fit is about to draw (skae._base), which finds
        # the rows it holds out again.
        seed = fitting.fit_seed(self.random_state, peek=True)
        self.autoencoder_ = _MaskedAutoencoder(**params).fit(X_valid, sample_weight=sample_weight)
        self.__dict__.pop("n_code_steps_", None)
        if self.n_code_steps == "auto":
            self.n_code_steps_ = self._chosen_code_steps(X_valid, sample_weight, seed)
        from sklearn.impute import MissingIndicator  # not at import: it loads sklearn.neighbors

        self.indicator_ = (
            MissingIndicator(missing_values=np.nan, features="all").fit(X)
            if self.add_indicator
            else None
        )
        return self

    def transform(self, X):
        """Fill the missing entries of X; observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing values.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            X with missing entries filled, without the features that had no
            observed value in ``fit`` (unless ``keep_empty_features``), and
            then the indicator columns.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        valid = self._valid_mask
        if not valid.all() and not self.keep_empty_features:
            # Where and how scikit-learn's SimpleImputer warns: at transform.
            names = np.flatnonzero(~valid)
            if hasattr(self, "feature_names_in_"):
                names = self.feature_names_in_[names]
            warnings.warn(
                f"Skipping features without any observed values: {names}. At least one "
                "non-missing value is needed for imputation with AutoencoderImputer; "
                "keep_empty_features=True keeps them, filled with 0.",
                stacklevel=2,
            )
        X_filled = self._imputed(X[:, valid], self._effective_code_steps())
        if self.keep_empty_features and not valid.all():
            X_all = np.where(np.isnan(X), 0.0, X)
            X_all[:, valid] = X_filled
            X_filled = X_all
        X_filled = X_filled.astype(X.dtype, copy=False)
        if self.indicator_ is not None:
            X_filled = np.hstack([X_filled, self.indicator_.transform(X).astype(X.dtype)])
        return X_filled

    def get_feature_names_out(self, input_features=None):
        """Input feature names (less the empty ones), then the indicator's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        kept = names if self.keep_empty_features else names[self._valid_mask]
        if self.indicator_ is None:
            return kept
        indicator = [f"missingindicator_{name}" for name in names]
        return np.concatenate([kept, np.asarray(indicator, dtype=object)])

    def _imputed(self, X_valid, n_code_steps):
        """``X_valid`` (the features kept) as float64, its NaN filled with
        ``n_code_steps`` code steps in each pass."""
        missing = np.isnan(X_valid)
        X_filled = np.array(X_valid, dtype=np.float64)
        if missing.any():
            ae = self.autoencoder_
            rows = np.flatnonzero(missing.any(axis=1))
            # Missing entries start at their column's mean (0 in network units).
            X_filled[rows] = np.where(missing[rows], ae.offset_, X_valid[rows])
            for _ in range(1 + self.n_refinements):
                codes = ae.transform(X_filled[rows])
                if n_code_steps:
                    codes = self._fitted_codes(codes, X_valid[rows], ~missing[rows], n_code_steps)
                reconstruction = ae.inverse_transform(codes)
                X_filled[rows] = np.where(missing[rows], reconstruction, X_valid[rows])
        return X_filled

    def _effective_code_steps(self):
        """The code steps ``transform`` takes: ``n_code_steps``, or the fit's choice."""
        if self.n_code_steps != "auto":
            return self.n_code_steps
        if not hasattr(self, "n_code_steps_"):
            raise ValueError(
                "n_code_steps='auto' is chosen by fit, and this imputer was fitted with an "
                "integer n_code_steps: fit it again with 'auto', or set an integer."
            )
        return self.n_code_steps_

    def _chosen_code_steps(self, X_valid, sample_weight, seed):
        """``n_code_steps="auto"``: the count that best restores hidden observed
        entries of the rows the fit held out (:func:`skae._code_steps.choose`)."""
        X_kept, _, weights = weighted_rows(X_valid, None, sample_weight)
        # The rows the template held out (skae._base: split_rows of the same seed).
        rows = fitting.split_rows(len(X_kept), self.validation_fraction, seed)[1]
        if not len(rows):  # validation_fraction=0: the training rows
            rows = np.arange(len(X_kept))
        rows = rows[_code_steps.scored_rows(len(rows), seed)]
        return _code_steps.choose(
            X_kept[rows],
            self._imputed,
            seed,
            weights=None if weights is None else weights[rows],
        )

    def _fitted_codes(self, codes, X_valid, observed, n_code_steps):
        """The encoder's ``codes`` of rows ``X_valid`` after ``n_code_steps`` of Adam
        on each row's reconstruction error over its ``observed`` entries."""
        from ._keras import engine

        # The decoder itself, not the inner autoencoder's _decode: its codes
        # are never ordered, prefixed or whitened.
        ae = self.autoencoder_
        target = ae._standardize(np.where(observed, X_valid, ae.offset_))
        fitted = engine.fit_codes(ae.decoder_, codes, target, observed, n_code_steps)
        return fitted.astype(codes.dtype, copy=False)

    def _validate(self, X, reset):
        X = validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan"
        )
        if self.missing_values is not None and not np.isnan(self.missing_values):
            X = np.where(X == self.missing_values, np.nan, X)
        return X

    def __getstate__(self):
        # The inner autoencoder is a private class: saved as its own plain
        # state, so that a skops audit lists only this public class.
        state = dict(super().__getstate__())  # object's own is the live __dict__
        if isinstance(state.get("autoencoder_"), _MaskedAutoencoder):
            state["autoencoder_"] = state["autoencoder_"].__getstate__()
        return state

    def __setstate__(self, state):
        if isinstance(state.get("autoencoder_"), dict):
            state = dict(state)
            autoencoder = _MaskedAutoencoder.__new__(_MaskedAutoencoder)
            autoencoder.__setstate__(state["autoencoder_"])
            state["autoencoder_"] = autoencoder
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
