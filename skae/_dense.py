"""AutoencoderTransformer: a dense autoencoder that goes where PCA goes."""

import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_sample_weight

from . import _ordered, _whitening
from ._base import BaseAutoencoder

#: ``hidden_layer_sizes="auto"``: the plain network's layers, and the ordered
#: one's, wider because one decoder serves every prefix of the code.
DEFAULT_HIDDEN_LAYER_SIZES = (128,)
ORDERED_HIDDEN_LAYER_SIZES = (512,)


class AutoencoderTransformer(BaseAutoencoder):
    """Dense autoencoder as a scikit-learn transformer, a drop-in for PCA.

    An encoder network maps each row to ``n_components`` latent values and a
    mirrored decoder maps them back. ``transform`` returns the latent codes,
    ``inverse_transform`` the reconstructions in the input's units. The data
    need no scaling beforehand: features are centred and divided by one common
    scale inside, as PCA's components are fitted on centred data.

    With ``hidden_layer_sizes=()`` the network is linear and, trained to
    convergence, its codes span PCA's principal subspace; ``whiten=True``
    then gives what ``PCA(whiten=True)`` gives, up to each axis' sign.

    Parameters
    ----------
    n_components : int or float in (0, 1), default=8
        Size of the latent space (the bottleneck). Larger than ``n_features``
        (an overcomplete code) is allowed.
        With ``ordered=True``, a float is a fraction of the variance, as
        ``PCA(n_components=0.95)`` reads it: the fit trains ``max_components``
        codes and keeps the fewest whose cumulative
        ``explained_variance_ratio_`` exceeds it, as ``n_components_``.
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a single linear map each way. ``"auto"``: ``(128,)``, and
        ``(512,)`` with ``ordered=True``, whose one decoder serves every prefix
        of the code: on the digits the wider layer brings each prefix from
        1.13-1.23 x the held-out error of a separately trained network of its
        size to 1.00-1.16 x (1.02-1.13 x since the full code's weight in
        the gradient went from 2 to 1.5, ``benchmarks/bench_ordered_emphasis.py``),
        and an ordered fit from 1.2-1.5 x the time of a separate one to
        about 2 x (``benchmarks/bench_ordered.py``,
        ``benchmarks/bench_ordered_capacity.py``).

        .. versionchanged:: 0.2
           ``"auto"``, which is ``(128,)`` (the earlier default) without
           ``ordered``.
    activation : str or callable, default="relu"
        Keras activation of the hidden layers.
    output_activation : str or callable, default="linear"
        Keras activation of the decoder's output. ``"sigmoid"`` or ``"tanh"``
        map the data onto (0, 1) or (-1, 1) instead of centring it.
    whiten : bool, default=False
        Return codes rotated onto their principal axes and scaled to unit
        variance, as ``PCA(whiten=True)`` returns its components: after
        training, the codes of the training rows set ``whitening_mean_``,
        ``whitening_components_`` and ``whitening_scale_``;
        ``inverse_transform`` undoes the whitening before decoding, so
        reconstructions do not change. Ahead of an RBF ``SVC`` on the LFW
        faces, whitened codes of a linear autoencoder on standardised pixels
        were the autoencoders' best (``benchmarks/bench_lfw_classify.py``).
        Not with ``partial_fit``: the statistics need all training rows.

        .. versionadded:: 0.2
    ordered : bool, default=False
        Train codes in order of importance, as PCA's components: the first k
        codes are then a good k-code representation for every k, so one fit
        serves every code size (``transform(X)[:, :k]`` and
        ``inverse_transform`` of those k columns), ``explained_variance_ratio_``
        says what each code adds, and ``n_components`` may be a fraction.
        Each batch is decoded from every prefix size of the code (the powers
        of two below the width, and the width) and their losses averaged,
        which makes a fit slower (``benchmarks/bench_ordered.py``). See
        :ref:`ordered-codes`.

        .. versionadded:: 0.2
    max_components : int or None, default=None
        With ``ordered=True``, the number of codes the networks are built and
        trained with; ``n_components`` keeps a prefix of them. None: as many
        as ``n_components``, or ``min(n_features, 64)`` when it is a fraction
        (64 codes reach R² 0.99 on the digits; a wider code costs more). Fix
        it in a search over ``n_components``: candidates that differ only in
        ``n_components`` then share one trained network per fold
        (:mod:`skae.fit_cache`).

        .. versionadded:: 0.2
    epochs : int, default=100
        Maximum number of passes over the training data.
    batch_size : int or "auto", default=32
        Rows per gradient step. ``"auto"`` is ``min(200, n_samples)``,
        scikit-learn's MLP convention: 1.5-2.5x faster fits on digits, but
        worse reconstructions at larger codes (``benchmarks/bench_batch_size.py``:
        1.8x PCA's error instead of 1.06x at ``n_components=32``), hence 32.
    learning_rate : float, default=1e-3
        Step size of the optimizer (when ``optimizer`` is a name).
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Keras optimizer name, or an instance (copied, its own learning rate used).
    loss : {"mse", "mae", "huber", "binary_crossentropy"} or callable, default="mse"
        Training loss, on the standardised data. ``"binary_crossentropy"``
        needs ``output_activation="sigmoid"`` (the data is then scaled onto [0, 1]).
    validation_fraction : float in [0, 1), default=0.1
        Fraction of rows held out to monitor ``val_loss`` (and stop early).
    early_stopping : bool, default=True
        Stop when the monitored loss (``val_loss``, or ``loss`` without a
        validation split) has not improved for ``n_iter_no_change`` epochs, and
        restore the weights of the best epoch.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    noise : {"gaussian", "masking"} or None, default=None
        Corruption of the inputs during fit only (a denoising autoencoder):
        additive Gaussian noise, or each input zeroed with probability
        ``noise_level``. ``transform`` never adds noise. To cluster the
        codes (``Pipeline([ae, KMeans()])``), ``noise="gaussian"`` with
        ``noise_level=0.3`` gave the best clusters of the digits at most
        ``n_components`` (``benchmarks/bench_clustering.py``).
    noise_level : float, default=0.1
        Standard deviation of the Gaussian noise (in units of the
        standardised input) or the masking probability.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training (copied before use).
    log_dir : str or path-like, default=None
        Write TensorBoard logs: each fit writes to a new subfolder of
        ``log_dir`` (named after the class, ``n_components``, the time and a
        random suffix), so the candidates and folds of a ``GridSearchCV`` do
        not overwrite each other. The folder is ``log_dir_`` after fit.
    verbose : int, default=0
        Keras' verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, shuffling and
        noise. An int gives reproducible results on CPU; no global random
        state is read or changed.
    warm_start : bool, default=False
        When True and the estimator is fitted, ``fit`` continues training the
        fitted networks with the optimizer's state instead of starting again
        (``epochs`` more epochs; ``n_iter_`` and ``history_`` accumulate);
        the scaling statistics of the first fit are kept. Parameters that
        change the networks' shapes raise a ``ValueError`` then.

        .. versionadded:: 0.2
    encoder : callable or None, default=None
        Your own encoder network instead of the built-in one: a module-level
        function ``encoder(input_shape, n_components) -> keras.Model`` that
        maps one sample of ``input_shape`` (``(n_features,)`` for rows,
        ``(height, width, channels)`` for images) to ``n_components`` values.
        It is called at every fit, so each fit and clone gets fresh weights;
        give its layers seeded initialisers for reproducible fits. A Keras
        model instance or a lambda is refused (they cannot be cloned or
        pickled); a wrong output shape is a ``ValueError`` before training.

        .. versionadded:: 0.2
    decoder : callable or None, default=None
        Your own decoder: ``decoder(n_components, output_shape) -> keras.Model``
        mapping a code back to one sample of ``output_shape`` (the encoder's
        ``input_shape``).

        .. versionadded:: 0.2

    Attributes
    ----------
    encoder_ : keras.Model
        Maps standardised rows to latent codes.
    decoder_ : keras.Model
        Maps latent codes to standardised rows.
    model_ : keras.Model
        ``decoder_(encoder_(x))``, sharing their weights; the trained model.
    history_ : dict of str to list of float
        Per-epoch ``loss`` (and ``val_loss`` when validating).
    n_iter_ : int
        Number of epochs run.
    log_dir_ : str or None
        This fit's TensorBoard folder (None without ``log_dir``).
    layout_ : object
        The sample shapes resolved at fit, a small record with
        ``layout_.kind`` (``"rows"``, ``"images"`` or ``"sequences"``),
        ``layout_.network_shape`` (one sample as the network reads it) and
        ``layout_.input_shape`` (one sample as ``fit`` received it).
    offset_ : ndarray of shape (n_features,)
        Subtracted from each feature before the network (the mean, or the
        range's lower end for bounded output activations).
    scale_ : float
        Common divisor applied after ``offset_``.
    whitening_mean_ : ndarray of shape (n_components,)
        Mean code of the training rows (``whiten=True`` only).
    whitening_components_ : ndarray of shape (n_components, n_components)
        Principal axes of the training codes, as rows, by decreasing variance
        (``whiten=True`` only).
    whitening_scale_ : ndarray of shape (n_components,)
        Standard deviation of the training codes along each axis
        (``whiten=True`` only).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear baseline this replaces.
    ConvAutoencoder : Convolutional autoencoder for images.

    Notes
    -----
    Computation runs in float32, Keras' default; ``transform`` and
    ``inverse_transform`` return the dtype of their input (float32 or float64).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X = load_digits().data
    >>> ae = AutoencoderTransformer(n_components=4, epochs=3, random_state=0)
    >>> ae.fit_transform(X).shape
    (1797, 4)
    >>> ae.inverse_transform(ae.transform(X[:2])).shape
    (2, 64)

    Your own networks, as plain functions of the shapes:

    >>> import keras
    >>> def encoder(input_shape, n_components):
    ...     return keras.Sequential([keras.Input(input_shape), keras.layers.Dense(n_components)])
    >>> ae = AutoencoderTransformer(n_components=4, encoder=encoder, epochs=2, random_state=0)
    >>> ae.fit(X).transform(X[:2]).shape
    (2, 4)

    Data that arrives in pieces: each ``partial_fit`` is one epoch over its
    piece (the first piece sets the scaling).

    >>> import numpy as np
    >>> ae = AutoencoderTransformer(n_components=4, random_state=0)
    >>> for piece in np.array_split(X, 5):
    ...     ae = ae.partial_fit(piece)
    >>> ae.n_iter_
    5

    Whitened codes, as ``PCA(whiten=True)`` gives its components:

    >>> white = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(), whiten=True,
    ...                                epochs=3, random_state=0)
    >>> white.fit_transform(X).std(axis=0, ddof=1).round(3)
    array([1., 1., 1., 1.])

    Rows weighted in the loss (weight 0 leaves a row out), and training
    continued with ``warm_start``:

    >>> weights = np.where(load_digits().target == 0, 5.0, 1.0)
    >>> ae = AutoencoderTransformer(n_components=4, epochs=2, early_stopping=False,
    ...                             warm_start=True, random_state=0)
    >>> ae.fit(X, sample_weight=weights).fit(X, sample_weight=weights).n_iter_
    4
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **_ordered.parameter_constraints(),
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "whiten": ["boolean"],
    }

    def __init__(
        self,
        n_components=8,
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        output_activation="linear",
        whiten=False,
        ordered=False,
        max_components=None,
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
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            output_activation=output_activation,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            loss=loss,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            n_iter_no_change=n_iter_no_change,
            noise=noise,
            noise_level=noise_level,
            callbacks=callbacks,
            log_dir=log_dir,
            verbose=verbose,
            random_state=random_state,
            warm_start=warm_start,
            encoder=encoder,
            decoder=decoder,
        )
        self.ordered = ordered
        self.max_components = max_components
        self.whiten = whiten

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train on one piece of the data: one epoch over X.

        As :meth:`BaseAutoencoder.partial_fit <skae.BaseAutoencoder.partial_fit>`;
        not available with ``whiten=True``, whose rotation is computed from
        all the training rows after :meth:`fit`.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            One piece of the training data, with the features of the first.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        if self.whiten:
            raise ValueError(
                "whiten=True is computed from all the training rows after fit; "
                "it is not available with partial_fit. Use fit, or whiten=False."
            )
        return super().partial_fit(X, y, sample_weight)

    def _after_training(self, X, sample_weight):
        """The whitening rotation of the codes of all the training rows, where ``whiten``."""
        for name in ("whitening_mean_", "whitening_components_", "whitening_scale_"):
            if hasattr(self, name):
                delattr(self, name)
        if not self.whiten:
            return
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        (
            self.whitening_mean_,
            self.whitening_components_,
            self.whitening_scale_,
        ) = _whitening.fit(super()._encode(X), weights)

    def _encode(self, X):
        codes = super()._encode(X)
        if not self.whiten:
            return codes
        return _whitening.apply(
            codes, self.whitening_mean_, self.whitening_components_, self.whitening_scale_
        )

    def _decode(self, Z):
        if self.whiten:
            Z = _whitening.undo(
                Z, self.whitening_mean_, self.whitening_components_, self.whitening_scale_
            )
        return super()._decode(Z)

    def _hidden_sizes(self):
        if isinstance(self.hidden_layer_sizes, str):
            if self.hidden_layer_sizes != "auto":  # where parameter validation is skipped
                raise ValueError(
                    "hidden_layer_sizes must be a sequence of positive integers or "
                    f"'auto', got {self.hidden_layer_sizes!r}."
                )
            return ORDERED_HIDDEN_LAYER_SIZES if self.ordered else DEFAULT_HIDDEN_LAYER_SIZES
        return self.hidden_layer_sizes

    def _build_networks(self, seed, encoder, decoder):
        from ._keras import builders

        return builders.dense_networks(
            self.n_features_in_,
            self._code_width(),
            self._hidden_sizes(),
            self.activation,
            self.output_activation,
            seed,
            encoder=encoder,
            decoder=decoder,
        )
