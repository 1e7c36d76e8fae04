"""BaseAutoencoder: all the scikit-learn plumbing of skae's estimators, once."""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _fitting as fitting
from . import _ordered, _persistence, fit_cache
from . import _scaling as scaling
from ._layout import Rows
from ._streaming import blocks
from ._validation import validate_codes, validate_samples, weighted_rows


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for skae's autoencoders. Not for direct use.

    It validates parameters and data, standardises the input, seeds and runs
    the training, and implements ``transform``, ``inverse_transform``,
    ``score``, ``score_samples``, saving and the scikit-learn tags. The fit
    template is::

        fit, X = _describe_fit(X, y, sample_weight)     # everything before training
            X validated (layout_ resolved, out of core or not)  ->  _check_parameters()
            ->  _fit_scaling(X, sample_weight)  ->  the split: train_rows, val_rows
            ->  options = _training_options(X, sample_weight, train_rows, val_rows)
            ->  data = _training_data(X, y, sample_weight)
            ->  networks = _build_networks(seed, encoder, decoder)
            ->  model_ = _build_model(networks, noise, seed, steps_per_epoch)
        history = engine.train(fit)                     # the engine: batches, callbacks
        _finish_fit(history)  ->  [_keep_ordered_codes(X, ...)]  ->  _after_training(X, ...)

    ``_finish_fit`` sets ``n_components_`` to the network's width; for
    ordered codes ``_keep_ordered_codes`` measures
    ``explained_variance_ratio_`` and keeps the codes it asks for. An
    ordered fit that :mod:`skae.fit_cache` holds skips ``_describe_fit``
    and the engine and restores their result.

    **Hooks.** This list is the whole contract: a subclass sets or overrides
    these and nothing else (its own public methods aside). CONTRIBUTING's
    "Adding an estimator" shows them at work.

    ``_sample_layout``
        Class attribute: what one sample is, ``Rows()``, ``Images(...)`` or
        ``Sequences()`` (skae's ``_layout`` module); resolved at fit as ``layout_``.
    ``_ensure_all_finite``
        Class attribute: ``True``, or ``"allow-nan"`` to accept missing values.
    ``_ordered_shared_rows``
        Class attribute, for estimators with ``ordered``: ``True`` decodes
        each row from the full code and one smaller prefix in an ordered fit,
        not from every prefix size (for a decoder that is most of the work).
    ``_check_parameters(self)``
        Checks of the subclass's own parameters; call ``super()`` first.
    ``_hidden_sizes(self)``
        The hidden layers' widths the networks are built with, which
        ``_check_parameters`` checks: ``hidden_layer_sizes`` itself, unless
        the subclass resolves a value such as ``"auto"``.
    ``_fit_scaling(self, X, sample_weight)``
        Set ``offset_`` and ``scale_`` from the training rows, weighted by
        ``sample_weight`` (None: equal weights). Rows of weight 0 never
        reach the hooks.
    ``_training_data(self, X, y, sample_weight)``
        The fit's data as row-aligned arrays, a
        :class:`~skae._keras.fit_description.FitData`: the network's input
        (standardised, in the layout's network shape), the targets the model
        gives besides its input (from ``y``, or a mask), the row weights.
        Runs after ``_fit_scaling``; call ``super()`` for the standard input.
    ``_build_networks(self, seed, encoder, decoder)``
        A dict of named Keras networks, at least ``"encoder"`` and
        ``"decoder"``, each stored as ``<name>_``, built for ``layout_``;
        ``encoder`` / ``decoder`` are the user's network functions (or None),
        used in place of the built-in ones. No side effects.
    ``_build_model(self, networks, noise, seed, steps_per_epoch)``
        The trained ``keras.Model`` over the networks; ``noise`` is the input
        corruption layer or None. It is trained on ``(x, y)``: ``y`` is ``x``,
        or ``(x, *targets)`` where ``_training_data`` gives targets.
    ``_training_options(self, X, sample_weight, train_rows, val_rows)``
        What the engine needs beyond the data: a dict with the ``loss`` to
        compile with (None when the model computes its own),
        ``early_stopping_start`` (the first epoch early stopping counts
        from), ``augmentation`` (an
        :class:`~skae._keras.fit_description.Augmentation`: what is done to
        the training images), ``reach_val_loss`` (a validation loss
        training stops once it cannot reach) and ``start_val_loss`` (the
        starting weights' validation loss, where they are a solution early
        stopping should count: the sequence model's start as PCA). X and
        ``sample_weight`` as
        for ``_training_data``; ``train_rows`` and ``val_rows`` index the
        rows that train and those held out (none for ``partial_fit``).
        Runs after ``_fit_scaling`` (where a fit calls it), on every fit.
    ``_after_training(self, X, sample_weight)``
        Fitted state computed from the trained networks (the dense model's
        whitening); X is the validated training data, ``sample_weight`` as
        given to ``fit``. It may train again from another start with
        ``self._fit(X, None, sample_weight, continuing=False,
        incremental=False, validated=True)`` (the sequence model's
        ``init="auto"``).
    ``_encode(self, X)``
        What ``transform`` returns for validated rows X (float arrays).
    ``_decode(self, Z)``
        Rows (float64, the user's units) decoded from what ``_encode``
        returns: ``inverse_transform`` before the sample layout.

    Examples
    --------
    Every skae autoencoder is one, and shares its public methods:

    >>> from skae import BaseAutoencoder, SequenceAutoencoder, VAETransformer
    >>> issubclass(VAETransformer, BaseAutoencoder)
    True
    >>> SequenceAutoencoder.partial_fit is BaseAutoencoder.partial_fit
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [str, callable],
        "output_activation": [str, callable],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [str, HasMethods(["get_config", "apply_gradients"])],
        "loss": [StrOptions({"mse", "mae", "huber", "binary_crossentropy"}), callable],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "noise": [StrOptions({"gaussian", "masking"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, None],
        "log_dir": [str, os.PathLike, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "encoder": [callable, None],
        "decoder": [callable, None],
    }

    _sample_layout = Rows()
    _ensure_all_finite = True
    # The estimator named in warnings and run folders, for a network trained
    # inside another estimator (the imputer's); None: this class.
    _public_name = None
    _ordered_shared_rows = False

    def __init__(
        self,
        n_components=8,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        output_activation="linear",
        epochs=100,
        batch_size=32,
        learning_rate=1e-3,
        optimizer="adam",
        loss="mse",
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=10,
        noise=None,
        noise_level=0.1,
        callbacks=None,
        log_dir=None,
        verbose=0,
        random_state=None,
        warm_start=False,
        encoder=None,
        decoder=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.loss = loss
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.noise = noise
        self.noise_level = noise_level
        self.callbacks = callbacks
        self.log_dir = log_dir
        self.verbose = verbose
        self.random_state = random_state
        self.warm_start = warm_start
        self.encoder = encoder
        self.decoder = decoder

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data, in any units: it is standardised inside. A
            :class:`numpy.memmap` or another sliceable array-like (h5py,
            zarr) is read in pieces and never loaded whole.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss (and in the scaling
            statistics); relative, so scaling them all changes nothing. A row
            of weight 0 is left out, exactly as if it were not in X. None
            weighs all rows equally.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "model_")
        return self._fit(X, y, sample_weight, continuing=continuing, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train on one piece of the data: one epoch over X.

        The first call (on an unfitted estimator) sets everything up from this
        piece: the scaling statistics (``offset_``, ``scale_``), the networks
        and the optimizer. As with :class:`~sklearn.decomposition.IncrementalPCA`
        the first piece should be representative: later pieces are
        standardised with its statistics and are never used to update them.
        Each call then runs one epoch over its rows, in batches of
        ``batch_size``, continuing the optimizer's state; it holds no rows
        out for validation and does not stop early (``validation_fraction``,
        ``early_stopping`` and ``epochs`` apply to :meth:`fit` only). After a
        :meth:`fit`, ``partial_fit`` continues from the fitted networks.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            One piece of the training data, with the features of the first.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss; see :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, continuing=hasattr(self, "model_"), incremental=True)

    def _fit(self, X, y, sample_weight, *, continuing, incremental, validated=False):
        """The fit template; ``continuing`` trains the fitted networks further.

        ``validated``: X is the validated X of a fit of this estimator (a hook
        training again keeps the layout and feature names that fit set).
        """
        from ._keras import engine

        cache_key = None
        if self._ordered_codes and not (continuing or incremental or validated):
            # A search's candidates that differ only in n_components share
            # one trained network (skae.fit_cache says when, and why safely).
            X, validated = self._validate_input(X, reset=True), True
            self._check_parameters()
            cache_key = fit_cache.key(self, X, sample_weight)
            cached = fit_cache.get(cache_key)
            if cached is not None:
                return self._fit_from_cache(cached, X, sample_weight)
        fit, X = self._describe_fit(
            X, y, sample_weight, continuing=continuing, incremental=incremental, validated=validated
        )
        history, self._optimizer_state = engine.train(fit)
        if cache_key is not None:  # the entry serialises the model: only when it is kept
            fit_cache.put(cache_key, self._cache_entry(history, fit))
        self._finish_fit(history, fit.epochs, fit.early_stopping)
        if self._ordered_codes:
            self._keep_ordered_codes(X, sample_weight, fit.seed)
        self._after_training(X, sample_weight)
        return self

    def _cache_entry(self, history, fit):
        """The trained state :meth:`_fit_from_cache` restores, as plain data."""
        from ._keras import models

        return {
            "model": models.model_state(self.model_),
            "network_names": list(self._network_names),
            "history": history,
            "optimizer_state": self._optimizer_state,
            "offset": self.offset_,
            "scale": self.scale_,
            "fit": {"seed": fit.seed, "epochs": fit.epochs, "early_stopping": fit.early_stopping},
        }

    def _fit_from_cache(self, entry, X, sample_weight):
        """The end of a fit whose training ``fit_cache`` held: the same state, rebuilt."""
        from ._keras import models

        model = models.model_from_state(entry["model"])
        self._set_networks({name: model.get_layer(name) for name in entry["network_names"]}, model)
        self.offset_, self.scale_ = entry["offset"], entry["scale"]
        self._optimizer_state = entry["optimizer_state"]
        self.history_, self.n_iter_, self.log_dir_ = {}, 0, None
        fit = entry["fit"]
        self._finish_fit(entry["history"], fit["epochs"], fit["early_stopping"])
        self._keep_ordered_codes(X, sample_weight, fit["seed"])  # only ordered fits are cached
        self._after_training(X, sample_weight)
        return self

    def _describe_fit(self, X, y, sample_weight, *, continuing, incremental, validated=False):
        """Everything before training, once: ``(FitDescription, validated X)``.

        ``validated``: X has been validated already (``reset=True``).

        Sets the fitted state that training starts from: the layout, the
        scaling (unless ``continuing``), the networks and the model.
        """
        if not validated:
            X = self._validate_input(X, reset=not continuing)
        self._check_parameters()
        from ._keras import builders, engine, models
        from ._keras.fit_description import steps_per_epoch

        # Resolved once, before anything is built: a bad name fails here.
        optimizer = builders.resolve_optimizer(self.optimizer, self.learning_rate)
        run_dir = fitting.new_run_dir(self.log_dir, self._name(), self.n_components)
        X_kept, y, weights = weighted_rows(X, y, sample_weight)
        seed = fitting.fit_seed(self.random_state)
        if not continuing:
            self._fit_scaling(X_kept, weights)
        if incremental:
            train_rows, val_rows = np.arange(len(X_kept)), np.arange(0)
        else:
            train_rows, val_rows = fitting.split_rows(len(X_kept), self.validation_fraction, seed)
        options = {"loss": self.loss, "early_stopping_start": 0}
        options.update(self._training_options(X_kept, weights, train_rows, val_rows))
        data = self._training_data(X_kept, y, weights)
        # scikit-learn's MLP convention: "auto" is min(200, n_samples)
        batch_size = min(200, len(X_kept)) if self.batch_size == "auto" else self.batch_size
        networks = self._build_networks(seed, self.encoder, self.decoder)
        noise = builders.input_noise(self.noise, self.noise_level, seed)
        model = self._build_model(
            networks, noise, seed, steps_per_epoch(len(train_rows), batch_size)
        )
        if continuing:
            models.continue_from(self.model_, model, type(self).__name__)
        else:
            self.history_, self.n_iter_, self._optimizer_state = {}, 0, None
        self._set_networks(networks, model)
        self.log_dir_ = run_dir
        if self._ordered_codes:  # the model computes its loss over the prefixes
            options["loss"] = None
        fit = engine.FitDescription(
            model=model,
            data=data,
            train_rows=train_rows,
            val_rows=val_rows,
            batch_size=batch_size,
            epochs=1 if incremental else self.epochs,
            optimizer=optimizer,
            seed=seed,
            early_stopping=self.early_stopping and not incremental,
            n_iter_no_change=self.n_iter_no_change,
            log_dir=run_dir,
            callbacks=self.callbacks,
            verbose=self.verbose,
            initial_epoch=self.n_iter_,
            optimizer_state=self._optimizer_state,
            **options,
        )
        return fit, X

    def _finish_fit(self, history, epochs, early_stopping):
        """Record the run (``history_``, ``n_iter_``) and check how it ended.

        ``n_components_`` is set to the network's width, every code
        (:meth:`_keep_ordered_codes` then keeps a prefix of ordered codes).
        """
        for name, values in history.items():
            self.history_.setdefault(name, []).extend(values)
        epochs_run = len(history["loss"])
        self.n_iter_ += epochs_run
        fitting.check_run(
            self._name(),
            history["loss"],
            n_iter=self.n_iter_,
            learning_rate=self.learning_rate,
            ran_out=early_stopping and epochs_run >= epochs,
            epochs=epochs,
            n_iter_no_change=self.n_iter_no_change,
        )
        self.n_components_ = self._code_width()

    def _keep_ordered_codes(self, X, sample_weight, seed):
        """``explained_variance_ratio_``, and the codes kept as ``n_components_``.

        The ratio of every code of the network, measured on (up to
        :data:`~skae._ordered.RATIO_ROWS` of) the training rows X, decides
        how many are kept where ``n_components`` is a fraction.
        """
        rows = _ordered.ratio_rows(len(X), seed)
        X_rows = np.asarray(X[rows], dtype=np.float64)
        weights = None if sample_weight is None else np.asarray(sample_weight, float)[rows]
        ratios = _ordered.explained_variance_ratio(
            X_rows, self._encode(X_rows), self._decode, weights
        )
        self.n_components_ = _ordered.kept_components(self.n_components, ratios, self._name())
        self.explained_variance_ratio_ = ratios[: self.n_components_]

    @property
    def _ordered_codes(self):
        """Whether this estimator trains ordered codes (a parameter of some estimators)."""
        return bool(getattr(self, "ordered", False))

    def _hidden_sizes(self):
        """The hidden layers' widths the networks are built with (``"auto"`` resolved)."""
        return self.hidden_layer_sizes

    def _code_width(self):
        """How many codes the networks are built with (``max_components`` for ordered codes)."""
        return _ordered.network_width(
            self.n_components,
            getattr(self, "max_components", None),
            self._ordered_codes,
            int(np.prod(self.layout_.input_shape)),
        )

    def _set_networks(self, networks, model):
        """``model_`` and the named networks ``<name>_``, replacing a refit's earlier ones."""
        for name in getattr(self, "_network_names", ()):
            if hasattr(self, f"{name}_"):
                delattr(self, f"{name}_")
        self._network_names = tuple(networks)
        for name, network in networks.items():
            setattr(self, f"{name}_", network)
        self.model_ = model

    def _name(self):
        """The estimator named in warnings and run folders."""
        return self._public_name or type(self).__name__

    def transform(self, X):
        """Encode X into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units ``fit`` saw.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Latent codes, in X's floating dtype (computed in float32).
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return self._encode(X).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Decode latent codes back to the input space, in the input's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features) or samples
            Reconstructions, in X's floating dtype and in the layout ``fit``
            received (flat rows, or image / sequence arrays).
        """
        check_is_fitted(self)
        Z = validate_codes(self, X)
        with np.errstate(over="ignore"):
            X_original = self.layout_.to_input(self._decode(Z)).astype(Z.dtype, copy=False)
        if not np.all(np.isfinite(X_original)):
            raise ValueError(
                f"The reconstruction overflows {Z.dtype}: X was fitted with values of "
                f"about {max(float(np.max(np.abs(self.offset_))), float(self.scale_)):.3g} in "
                "magnitude, too close to the largest representable number for decoded values "
                "to stay finite. Rescale X (for example divide it by a power of ten) before "
                "fitting."
            )
        return X_original

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units ``fit`` saw.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - inverse_transform(transform(X)))**2, axis=1)`` in X's
            units; higher is better.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        scores = []
        for block in blocks(X):
            error = np.asarray(block, dtype=np.float64) - self._reconstruct(block)
            scores.append(-np.mean(error**2, axis=1))
        return np.concatenate(scores)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error over X (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the units ``fit`` saw.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------ hooks

    def _check_parameters(self):
        """Checks that involve several parameters or values Keras must resolve."""
        from ._keras import builders

        sizes = self._hidden_sizes()
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {sizes!r}."
            )
        if self.noise == "masking" and self.noise_level >= 1:
            raise ValueError(
                "noise_level is the probability of zeroing an input when "
                f"noise='masking' and must be below 1, got {self.noise_level!r}."
            )
        if self.loss == "binary_crossentropy" and self.output_activation != "sigmoid":
            # Only output_activation="sigmoid" maps the data onto [0, 1]; elsewhere
            # the targets go negative and the loss means nothing (it goes below 0).
            raise ValueError(
                "loss='binary_crossentropy' needs outputs and targets in [0, 1], which "
                "skae scales the data onto with output_activation='sigmoid' only. "
                f"Received: output_activation={self.output_activation!r}."
            )
        builders.resolve_activation("activation", self.activation)
        builders.resolve_activation("output_activation", self.output_activation)
        for name in ("encoder", "decoder"):
            builders.check_network_function(name, getattr(self, name))
        if hasattr(self, "ordered"):
            _ordered.check_parameters(self)

    def _fit_scaling(self, X, sample_weight):
        """Learn ``offset_`` and ``scale_`` that map X onto the network's scale.

        With a bounded output activation the data is mapped onto its range
        (``sigmoid``: [0, 1]). Otherwise each feature is centred and all are
        divided by one common scale, the root mean square of the centred data:
        like PCA, relative feature scales are kept, so the training loss is
        the reconstruction error in the user's units up to one constant.
        Weights weigh the mean and the root mean square.
        """
        self.offset_, self.scale_ = scaling.statistics(X, sample_weight, self.output_activation)

    def _training_data(self, X, y, sample_weight):
        """The network's standardised input and the row weights (y is ignored)."""
        from ._keras.fit_description import FitData

        inputs = scaling.network_rows(X, self.offset_, self.scale_, self.layout_.network_shape)
        weights = () if sample_weight is None else (sample_weight.astype(np.float32),)
        return FitData(inputs, (), weights)

    def _build_networks(self, seed, encoder, decoder):
        """Return ``{"encoder": ..., "decoder": ..., ...}`` Keras models."""
        raise NotImplementedError

    def _build_model(self, networks, noise, seed, steps_per_epoch):
        """The trained model: ``decoder(encoder(noise(x)))``, sharing their weights
        (for ordered codes, decoding every prefix size of the code)."""
        from ._keras import builders, models

        if self._ordered_codes:
            return models.OrderedAutoencoder(
                networks["encoder"],
                networks["decoder"],
                _ordered.prefix_sizes(self._code_width()),
                loss=self.loss,
                noise=noise,
                shared_rows=self._ordered_shared_rows,
                name="ordered_autoencoder",
            )
        return builders.autoencoder(networks["encoder"], networks["decoder"], noise)

    def _training_options(self, X, sample_weight, train_rows, val_rows):
        """The compiled loss, and the defaults: early stopping from epoch 0, no
        augmentation, nothing to reach."""
        return {"loss": self.loss}

    def _after_training(self, X, sample_weight):
        """Nothing more to fit once the networks are trained."""

    def _encode(self, X):
        """Latent codes of validated rows X (what ``transform`` returns)."""
        from ._keras import engine

        codes = engine.predict(self.encoder_, X, *self._network_input_plan(X))
        return self._kept(codes)

    # ------------------------------------------------------- private helpers

    def _kept(self, codes):
        """The first ``n_components_`` of the network's codes (all of them, unless ordered)."""
        kept = self._n_kept()
        return codes[:, :kept] if codes.shape[1] > kept else codes

    def _n_kept(self):
        """``n_components_`` (``n_components`` for a model saved before it existed)."""
        return getattr(self, "n_components_", self.n_components)

    def _padded(self, Z):
        """Codes of k columns completed with the absent codes' learned values,
        as an ordered fit trains them."""
        width = self.decoder_.input_shape[-1]
        if Z.shape[1] == width:
            return Z
        k = Z.shape[1]
        # The values learned for the largest trained prefix size up to k.
        row = np.searchsorted(self.model_.sizes, k, side="right") - 1
        absent = np.asarray(self.model_.absent, dtype=Z.dtype)[row, k:]
        return np.concatenate([Z, np.broadcast_to(absent, (len(Z), len(absent)))], axis=1)

    def _validate_input(self, X, reset):
        """Validate X and return it as a 2-D float array of rows.

        Samples given as arrays (images, sequences) are flattened to rows by
        the estimator's ``_sample_layout``, which is resolved as ``layout_``
        when ``reset``. A memmap or other out-of-core array-like comes back as
        :class:`~skae._streaming.OutOfCoreRows`, read block by block later.
        """
        return validate_samples(self, X, reset)

    def _standardize(self, X):
        """X in network units, as float32. Float32 input stays in float32 throughout."""
        return scaling.standardize(X, self.offset_, self.scale_)

    def _unstandardize(self, X_std):
        return scaling.unstandardize(X_std, self.offset_, self.scale_)

    def _network_input(self, X):
        """Rows in the user's units as the network's float32 input."""
        return self.layout_.to_network(self._standardize(X))

    def _network_input_plan(self, X):
        """``(prepare, scaling)``: how :func:`engine.predict` makes rows X the network's input.

        Float32 rows are only reshaped on the host and standardised as
        ``(x - offset) * factor`` in float32 inside the compiled call where
        the backend can: :meth:`_standardize`'s float32 arithmetic, without
        a pass over X on the host. Other rows are standardised on the host
        (in float64, then cast).
        """
        if isinstance(X, np.ndarray) and X.dtype == np.float32:
            offset = self.offset_.astype(np.float32).reshape(self.layout_.network_shape)
            return self.layout_.to_network, (offset, np.float32(1.0 / self.scale_))
        return self._network_input, None

    def _decode(self, Z):
        """Rows (float64, the user's units) decoded from latent codes Z."""
        from ._keras import engine

        out = engine.predict(
            self.decoder_, self._padded(Z), lambda z: np.asarray(z, dtype=np.float32)
        )
        return self._unstandardize(self.layout_.from_network(out))

    def _reconstruct(self, X):
        """Reconstruction of rows X in X's units, as float64 rows."""
        return self._decode(self._encode(X))

    @property
    def _n_features_out(self):
        return getattr(self, "n_components_", self.n_components)

    def __getstate__(self):
        return _persistence.saved_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(_persistence.loaded_state(state, type(self).__name__))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
