"""AutoencoderTransformer: a dense autoencoder that goes where PCA goes."""

from ._base import BaseAutoencoder


class AutoencoderTransformer(BaseAutoencoder):
    """Dense autoencoder as a scikit-learn transformer, a drop-in for PCA.

    An encoder network maps each row to ``n_components`` latent values and a
    mirrored decoder maps them back. ``transform`` returns the latent codes,
    ``inverse_transform`` the reconstructions in the input's units. The data
    need no scaling beforehand: features are centred and divided by one common
    scale inside, as PCA's components are fitted on centred data.

    With ``hidden_layer_sizes=()`` and ``activation="linear"`` the network is
    linear and its decoder spans PCA's principal subspace.

    Parameters
    ----------
    n_components : int, default=8
        Size of the latent space (the bottleneck). Larger than ``n_features``
        (an overcomplete code) is allowed.
    hidden_layer_sizes : tuple of int, default=(128,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a single linear map each way.
    activation : str or callable, default="relu"
        Keras activation of the hidden layers.
    output_activation : str or callable, default="linear"
        Keras activation of the decoder's output. ``"sigmoid"`` or ``"tanh"``
        map the data onto (0, 1) or (-1, 1) instead of centring it.
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
        Training loss, on the standardised data.
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
    layout_ : skae._layout.FittedLayout
        The sample shapes resolved at fit: what the network reads
        (``layout_.network_shape``) and what ``fit`` received.
    offset_ : ndarray of shape (n_features,)
        Subtracted from each feature before the network (the mean, or the
        range's lower end for bounded output activations).
    scale_ : float
        Common divisor applied after ``offset_``.
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

    Rows weighted in the loss (weight 0 leaves a row out), and training
    continued with ``warm_start``:

    >>> weights = np.where(load_digits().target == 0, 5.0, 1.0)
    >>> ae = AutoencoderTransformer(n_components=4, epochs=2, early_stopping=False,
    ...                             warm_start=True, random_state=0)
    >>> ae.fit(X, sample_weight=weights).fit(X, sample_weight=weights).n_iter_
    4
    """

    def _build_networks(self, seed, encoder, decoder):
        from ._keras import builders

        return builders.dense_networks(
            self.n_features_in_,
            self.n_components,
            self.hidden_layer_sizes,
            self.activation,
            self.output_activation,
            seed,
            encoder=encoder,
            decoder=decoder,
        )
