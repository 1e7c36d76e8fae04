"""SequenceAutoencoder: LSTM autoencoders that reconstruct and forecast sequences."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _pca_start
from . import _scaling as scaling
from ._base import BaseAutoencoder
from ._layout import Sequences
from ._validation import weighted_rows


class SequenceAutoencoder(BaseAutoencoder):
    """LSTM (or GRU) autoencoder for sequences, with optional forecasting.

    The encoder reads each sequence with a recurrent layer and maps its last
    state to ``n_components`` latent values; the decoder repeats the latent
    vector once per time step (``RepeatVector``), runs a recurrent layer that
    returns sequences, and maps every step back to the features
    (``TimeDistributed(Dense)``). With ``n_future > 0`` a second decoder from
    the same latent vector predicts the ``n_future`` steps that follow each
    sequence (the composite model of Srivastava et al., 2015): training
    minimises both losses, and :meth:`predict` returns the forecast.

    Input is 3-D, (n_samples, timesteps, features), or flat rows with
    ``sequence_shape`` given (as a Pipeline passes them); ``inverse_transform``
    answers in the layout ``fit`` saw. Flat rows without ``sequence_shape`` are
    univariate sequences (n_features timesteps of 1 feature).
    Use :func:`make_windows` to cut a long series into training sequences.
    On TensorFlow's CPU the recurrent layers over at most 8 steps are
    unrolled (an epoch on 8 steps takes about a quarter less than
    TensorFlow's loop; the outputs are the same up to float32 rounding).

    Parameters
    ----------
    n_components : int, default=16
        Size of the latent vector.
    sequence_shape : tuple of int, default=None
        (timesteps, features) of each sequence, for flat input rows.
    units : int, default=64
        Size of the recurrent layers.
    cell : {"lstm", "gru"}, default="lstm"
        Kind of recurrent layer.
    n_future : int, default=0
        Steps to forecast; > 0 adds the forecasting decoder and ``predict``,
        and ``fit`` then needs ``y``, the steps following each sequence.
    bidirectional : bool, default=True
        Read each sequence forwards and backwards (a second recurrent layer
        with its own weights) and encode both last states: the first steps
        reach the code as directly as the last ones.

        .. versionadded:: 0.2
           Before, the encoder read forwards only (``bidirectional=False``).
    linear_skip : bool, default=True
        Add linear maps beside the recurrent layers: from the whole
        flattened sequence to the code, and from the code to every step's
        output. The recurrent paths then learn what the linear maps miss
        (PCA's projection and reconstruction are such a pair of maps).

        .. versionadded:: 0.2
           Before, the encoder and the decoder had the recurrent paths
           only (``linear_skip=False``).
    init : {"auto", "random", "pca"}, default="auto"
        Where training starts. ``"random"``: seeded random weights.
        ``"pca"``: the network computes PCA exactly (its linear maps at
        PCA's components of all the standardised training sequences, the
        validation ones too, the recurrent branches adding zero) and the
        linear maps stay there: the recurrent branches learn what PCA
        misses, kept by early stopping only while it helps on the
        validation sequences (with ``loss="mse"``, ``n_future=0`` and
        early stopping on held-out sequences, the start itself is a
        candidate: where no epoch reconstructs the validation sequences
        better than PCA, the network stays PCA, as on the LFW faces read
        row by row; a fit continued with ``warm_start`` counts from its
        first epoch, as early stopping does). Needs
        ``linear_skip=True``, the built-in networks, a linear
        ``output_activation`` and at least ``n_components`` training
        sequences of at least ``n_components`` values. ``"auto"``: trains
        from random weights and, where the result reconstructs the
        validation sequences worse than PCA (fitted on the training
        sequences) does, trains again from ``"pca"`` - on sequences of many
        values and few samples (faces read row by row) PCA is the better
        start. ``"auto"`` compares only where ``"pca"`` is possible,
        ``loss="mse"``, ``n_future=0`` and ``fit`` holds out validation
        sequences; otherwise it is ``"random"``. The training from random
        weights stops early once PCA's validation error is out of its
        reach: its best validation loss, falling as fast as over the last
        ``n_iter_no_change`` epochs, would still be above PCA's at the last
        epoch (it would lose the comparison; on the digits read row by row
        at 32 codes it stops at epoch 84 of 100). ``init_`` says which start
        a fit used; a second training shows in ``history_``, which is that
        of the kept fit only.

        .. versionadded:: 0.3
    hidden_layer_sizes : tuple of int, default=()
        Dense layers between the recurrent state and the latent vector.
    activation : str, default="relu"
        Activation of those dense layers.
    output_activation, epochs, batch_size, learning_rate, optimizer, loss, \
validation_fraction, early_stopping, n_iter_no_change, noise, noise_level, \
callbacks, log_dir, verbose, random_state, warm_start
        As in :class:`AutoencoderTransformer`.
    encoder, decoder : callable or None, default=None
        Your own encoder and reconstruction decoder, as in
        :class:`AutoencoderTransformer`, for ``(timesteps, features)`` samples.
        The forecasting decoder is always the built-in one.

        .. versionadded:: 0.2

    Attributes
    ----------
    sequence_shape_ : tuple of int
        (timesteps, features) the network reads.
    encoder_, decoder_, model_ : keras.Model
        Encoder, reconstruction decoder and the trained model.
    future_decoder_ : keras.Model
        The forecasting decoder; only with ``n_future > 0``.
    init_ : {"random", "pca"}
        The start the kept fit trained from (``init``, ``"auto"`` resolved).
    history_, n_iter_, offset_, scale_, layout_, n_features_in_
        As in :class:`AutoencoderTransformer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import SequenceAutoencoder, make_windows
    >>> series = np.sin(np.arange(300) / 5.0)
    >>> X, y = make_windows(series, window=20, n_future=5)
    >>> model = SequenceAutoencoder(n_components=4, units=8, n_future=5, epochs=2,
    ...                             random_state=0).fit(X, y)
    >>> model.transform(X).shape, model.predict(X).shape
    ((276, 4), (276, 5, 1))
    """

    _sample_layout = Sequences()

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "sequence_shape": ["array-like", None],
        "units": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions({"lstm", "gru"})],
        "n_future": [Interval(Integral, 0, None, closed="left")],
        "bidirectional": ["boolean"],
        "linear_skip": ["boolean"],
        "init": [StrOptions({"auto", "random", "pca"})],
    }

    def __init__(
        self,
        n_components=16,
        *,
        sequence_shape=None,
        units=64,
        cell="lstm",
        n_future=0,
        bidirectional=True,
        linear_skip=True,
        init="auto",
        hidden_layer_sizes=(),
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
        self.sequence_shape = sequence_shape
        self.units = units
        self.cell = cell
        self.n_future = n_future
        self.bidirectional = bidirectional
        self.linear_skip = linear_skip
        self.init = init

    def fit(self, X, y=None, sample_weight=None):
        """Train on sequences X (and, with ``n_future``, the steps y that follow them).

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, features) or (n_samples, n_features)
            Training sequences.
        y : array-like of shape (n_samples, n_future, features), default=None
            The ``n_future`` steps after each sequence; required when
            ``n_future > 0``, ignored otherwise.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in both losses; see
            :meth:`AutoencoderTransformer.fit`.

        Returns
        -------
        self : object
        """
        return super().fit(X, y, sample_weight=sample_weight)

    @available_if(lambda self: self.n_future > 0)
    def predict(self, X):
        """Forecast the ``n_future`` steps after each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, features) or flat rows

        Returns
        -------
        forecast : ndarray of shape (n_samples, n_future, features)
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        from ._keras import engine

        future = engine.predict(
            self.future_decoder_, self._encode(X), lambda z: np.asarray(z, dtype=np.float32)
        )
        return (future * self.scale_ + self._feature_offset()).astype(X.dtype, copy=False)

    # ------------------------------------------------------------------ hooks

    def _fit_scaling(self, X, sample_weight):
        """The scaling, and where a new fit starts: ``init_``, and PCA's maps for ``"pca"``.

        PCA is fitted on all the rows, the validation ones too, as
        ``PCA(n_components).fit(X)`` would: the validation rows select epochs
        of the gradient-trained branches, and a closed-form fit has none (on
        faces 1.004 x PCA at k = 32 from 90% of the rows, 1.000 x from all).
        """
        super()._fit_scaling(X, sample_weight)
        self.__dict__.pop("_pca_start_maps", None)  # a failed fit's, left before the networks
        retraining = getattr(self, "_retraining_from_pca", False)
        self.init_ = "pca" if self.init == "pca" or retraining else "random"
        problem = self._pca_start_problem(len(X))
        if self.init_ == "pca" and problem:
            raise ValueError(f"init='pca' {problem}")
        if self.init_ == "pca":
            inputs = scaling.network_rows(X, self.offset_, self.scale_, self.layout_.network_shape)
            rows = _pca_start.subset(np.arange(len(X)), seed=0)
            weights = None if sample_weight is None else sample_weight[rows]
            self._pca_start_maps = _pca_start.pca_maps(
                _pca_start.flat_rows(inputs, rows), weights, self.n_components, seed=0
            )
        self._compare_with_pca = (
            self.init == "auto"
            and not (retraining or problem or self.n_future)
            and self.loss == "mse"
        )

    def _after_training(self, X, sample_weight):
        """``init="auto"``: train again, from PCA, where PCA reconstructs the
        validation sequences better than the network trained from random weights."""
        comparison = self.__dict__.pop("_comparison", None)  # set by _training_options
        if comparison is None:
            return
        val, pca_error = comparison  # the validation rows PCA's error is measured on
        X_kept, _, weights = weighted_rows(X, None, sample_weight)
        from ._keras import engine

        better = _pca_start.pca_reconstructs_better(
            pca_error,
            self._rows_data(X_kept, weights, val),
            lambda rows: engine.predict(self.model_, rows, lambda z: np.asarray(z, np.float32)),
        )
        if better:
            self._retraining_from_pca = True
            try:
                self._fit(
                    X, None, sample_weight, continuing=False, incremental=False, validated=True
                )
            finally:
                del self._retraining_from_pca

    def _pca_start_problem(self, n_rows):
        """Why the networks cannot start as PCA of ``n_rows`` sequences, or "" where they can."""
        from ._keras import builders

        return _pca_start.start_problem(
            linear_skip=self.linear_skip,
            own_networks=self.encoder is not None or self.decoder is not None,
            output_activation=self.output_activation,
            linear_output=builders.is_linear(self.output_activation),
            n_rows=n_rows,
            n_values=int(np.prod(self.layout_.network_shape)),
            n_components=self.n_components,
        )

    def _training_data(self, X, y, sample_weight):
        """The standard input, and the standardised future steps as the second target."""
        data = super()._training_data(X, y, sample_weight)
        if self.n_future == 0:
            return data
        if y is None:
            raise ValueError(
                f"n_future={self.n_future} needs y, the {self.n_future} steps that "
                "follow each sequence (make_windows(series, window, n_future=...) "
                "returns them)."
            )
        y = np.asarray(y, dtype=np.float64)
        n_features = self.layout_.network_shape[1]
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} sequences but y has {len(y)}.")
        y = y.reshape(len(y), -1)
        if y.shape[1] != self.n_future * n_features:
            raise ValueError(
                f"y must hold n_future={self.n_future} steps of {n_features} features per "
                f"sequence ({self.n_future * n_features} values), got {y.shape[1]}."
            )
        offset = np.tile(self._feature_offset(), self.n_future)
        future = ((y - offset) / self.scale_).astype(np.float32)
        return data._replace(targets=(future.reshape(len(y), self.n_future, n_features),))

    def _build_networks(self, seed, encoder, decoder):
        """The networks; started as PCA where ``_fit_scaling`` fitted its maps.

        A fit continued from one started as PCA keeps its linear maps fixed.
        """
        from ._keras import builders

        networks = builders.sequence_networks(
            self.layout_.network_shape,
            self.n_components,
            self.units,
            self.cell,
            self.hidden_layer_sizes,
            self.activation,
            self.output_activation,
            seed,
            n_future=self.n_future,
            encoder=encoder,
            decoder=decoder,
            bidirectional=self.bidirectional,
            linear_skip=self.linear_skip,
        )
        maps = self.__dict__.pop("_pca_start_maps", None)
        if maps is not None:
            builders.start_as_pca(networks["encoder"], networks["decoder"], *maps)
        elif getattr(self, "init_", None) == "pca":
            builders.fix_linear_maps(networks["encoder"], networks["decoder"])
        return networks

    def _training_options(self, X, sample_weight, train_rows, val_rows):
        """A start as PCA's validation loss, which early stopping counts as a
        candidate (the network stays PCA where training never beats it); for
        ``init="auto"``, PCA's error on the validation sequences as the loss to
        reach: the start from random weights stops once it cannot reach it in the
        epochs left (it would lose the comparison in :meth:`_after_training`)."""
        options = super()._training_options(X, sample_weight, train_rows, val_rows)
        self.__dict__.pop("_comparison", None)  # a failed fit's; every fit passes here
        maps = getattr(self, "_pca_start_maps", None)  # set by _fit_scaling for a start as PCA
        counts_start = self.early_stopping and self.loss == "mse" and not self.n_future
        if maps is not None and len(val_rows) and counts_start:
            options["start_val_loss"] = _pca_start.start_val_loss(
                lambda rows: self._rows_data(X, sample_weight, rows), np.sort(val_rows), *maps
            )
        if not (self.__dict__.pop("_compare_with_pca", False) and len(val_rows)):
            return options  # set by _fit_scaling; partial_fit holds no rows out
        # Only the rows PCA and the comparison read (at most MAX_ROWS of each) are
        # standardised here, not all of X once more.
        train, val = _pca_start.subset(train_rows, 0), _pca_start.subset(val_rows, 0)
        rows = np.union1d(train, val)
        pca_error = _pca_start.pca_validation_error(
            self._rows_data(X, sample_weight, rows),
            np.searchsorted(rows, train),
            np.searchsorted(rows, val),
            self.n_components,
            seed=0,
        )
        self._comparison = (val, pca_error)  # for _after_training
        # The comparison's error is a weighted mean; val_loss weighs each row's
        # error by its weight and divides by the number of rows.
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight[val_rows]))
        return {**options, "reach_val_loss": pca_error * mean_weight}

    def _build_model(self, networks, noise, seed, steps_per_epoch):
        from ._keras import builders

        if "future_decoder" not in networks:
            return builders.autoencoder(networks["encoder"], networks["decoder"], noise)
        return builders.composite(
            networks["encoder"], networks["decoder"], networks["future_decoder"], noise
        )

    # ------------------------------------------------------- private helpers

    def _rows_data(self, X, sample_weight, rows):
        """The training data of the sorted ``rows`` of X only (in memory or out of core)."""
        weights = None if sample_weight is None else sample_weight[rows]
        return self._training_data(X[rows], None, weights)

    def _feature_offset(self):
        """Per-feature offset (the per-column offsets averaged over time)."""
        return self.offset_.reshape(self.layout_.network_shape).mean(axis=0)


def make_windows(series, window, *, stride=1, n_future=0):
    """Cut a series into overlapping windows (and the steps that follow each).

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        One long series.
    window : int
        Timesteps per window.
    stride : int, default=1
        Steps between the starts of consecutive windows.
    n_future : int, default=0
        With n_future > 0, also return the n_future steps after each window;
        windows without n_future following steps are dropped.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_features)
    y : ndarray of shape (n_windows, n_future, n_features)
        Only when ``n_future > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import make_windows
    >>> X, y = make_windows(np.arange(10.0), window=4, n_future=2)
    >>> X.shape, y.shape
    ((5, 4, 1), (5, 2, 1))
    >>> X[1].ravel(), y[1].ravel()
    (array([1., 2., 3., 4.]), array([5., 6.]))
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim == 1:
        series = series[:, None]
    if series.ndim != 2:
        raise ValueError(f"series must be 1-D or 2-D, got shape {series.shape}.")
    for name, value, low in [
        ("window", window, 1),
        ("stride", stride, 1),
        ("n_future", n_future, 0),
    ]:
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    starts = np.arange(0, len(series) - window - n_future + 1, stride)
    if len(starts) == 0:
        raise ValueError(
            f"a series of {len(series)} steps is too short for window={window} "
            f"and n_future={n_future}."
        )
    X = np.stack([series[s : s + window] for s in starts])
    if n_future == 0:
        return X
    return X, np.stack([series[s + window : s + window + n_future] for s in starts])


def windows_to_timeline(values, n_timesteps, window, *, stride=1):
    """Map per-window (or per-window-step) values back to time points by averaging.

    Parameters
    ----------
    values : array-like of shape (n_windows,) or (n_windows, window)
        A value per window (spread over its steps) or per step of each window,
        for windows cut by ``make_windows(series, window, stride=stride)``.
    n_timesteps : int
        Length of the original series.
    window : int
        Window length used to cut the series.
    stride : int, default=1
        Stride used to cut the series.

    Returns
    -------
    timeline : ndarray of shape (n_timesteps,)
        The mean over the windows covering each time point (NaN where none does).

    Examples
    --------
    A score per window (say, each window's reconstruction error), spread
    back over the time points each window covers:

    >>> import numpy as np
    >>> from skae import make_windows, windows_to_timeline
    >>> series = np.arange(6.0)
    >>> windows = make_windows(series, window=3)
    >>> windows_to_timeline(windows.mean(axis=(1, 2)), len(series), window=3)
    array([1. , 1.5, 2. , 3. , 3.5, 4. ])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = np.repeat(values[:, None], window, axis=1)
    total = np.zeros(n_timesteps)
    count = np.zeros(n_timesteps)
    for k, row in enumerate(values):
        start = k * stride
        total[start : start + window] += row
        count[start : start + window] += 1
    with np.errstate(invalid="ignore"):
        return total / np.where(count > 0, count, np.nan)
