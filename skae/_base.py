"""BaseAutoencoder: all the scikit-learn plumbing of skae's estimators, once."""

import importlib.util
import os
import time
import uuid
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._streaming import OutOfCoreRows, blocks, is_out_of_core

# Sparse input is densified up to this many values (80 MB as float64).
MAX_DENSIFIED_VALUES = 10_000_000

# Output activations whose range is bounded: the data is mapped onto that range.
_BOUNDED_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for skae's autoencoders. Not for direct use.

    It validates parameters and data, standardises the input, seeds and runs
    the training, and implements ``transform``, ``inverse_transform``,
    ``score``, ``score_samples``, pickling and the scikit-learn tags.
    Subclasses provide the networks (:meth:`_build_networks`) and, where the
    network's input is not a flat row, the reshaping (:meth:`_to_network`,
    :meth:`_from_network`).
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [str, callable],
        "output_activation": [str, callable],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
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
    }

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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data, in any units: it is standardised inside. A
            :class:`numpy.memmap` or another sliceable array-like (h5py,
            zarr) is read in pieces and never loaded whole.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = self._validate_input(X, reset=True)
        self._check_parameters()
        from ._keras import builders, training

        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._fit_scaling(X)
        train_rows, val_rows = self._split_rows(len(X), seed)
        self.encoder_, self.decoder_ = self._build_networks(seed)
        self.model_ = self._build_model(
            seed, steps_per_epoch=-(-len(train_rows) // self.batch_size)
        )
        self.history_ = training.train(
            self.model_,
            self._training_data(X),
            train_rows=train_rows,
            val_rows=val_rows,
            make_batch=self._make_standardized_batch,
            epochs=self.epochs,
            batch_size=self.batch_size,
            optimizer=builders.resolve_optimizer(self.optimizer, self.learning_rate),
            loss=self._keras_loss(),
            start_from_epoch=self._early_stopping_start(),
            early_stopping=self.early_stopping,
            n_iter_no_change=self.n_iter_no_change,
            callbacks=self.callbacks,
            log_dir=self._new_run_dir(),
            verbose=self.verbose,
            seed=seed,
            augment=self._augmentation(),
        )
        self.n_iter_ = len(self.history_["loss"])
        self._check_training_converged()
        return self

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
        X_original : ndarray of shape (n_samples, n_features)
            Reconstructions, in X's floating dtype.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if Z.shape[1] != self.n_components:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"is expecting {self.n_components} features (n_components) as input."
            )
        from ._keras import training

        out = training.predict(self.decoder_, Z, lambda z: z.astype(np.float32, copy=False))
        return self._unstandardize(self._from_network(out)).astype(Z.dtype, copy=False)

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

    def _build_networks(self, seed):
        """Return ``(encoder, decoder)`` Keras models for the fitted data."""
        raise NotImplementedError

    def _to_network(self, X_std):
        """Shape standardised float32 rows as the network's input."""
        return X_std

    def _from_network(self, output):
        """Flatten the network's output back to rows."""
        return output

    def _build_model(self, seed, steps_per_epoch):
        """The trained model around ``encoder_`` and ``decoder_``."""
        from ._keras import builders

        return builders.autoencoder(
            self.encoder_, self.decoder_, self.noise, self.noise_level, seed
        )

    def _training_data(self, X):
        """Standardised training rows that batches are cut from.

        In-memory data is standardised once, so that a batch is a plain row
        lookup; data read in pieces is standardised batch by batch.
        """
        if isinstance(X, OutOfCoreRows):
            return StandardizedRows(X, self._standardize)
        return self._standardize(X)

    def _keras_loss(self):
        """The ``loss`` given to ``Model.compile`` (None when the model has its own)."""
        return self.loss

    def _early_stopping_start(self):
        """First epoch early stopping may count from."""
        return 0

    def _augmentation(self):
        """None, or ``augment(x, y, rng) -> (x, y)`` applied to training batches."""
        return None

    def _validate_input(self, X, reset):
        """Validate X and return it as a 2-D float array (rows of features).

        A memmap or other out-of-core array-like comes back as
        :class:`~skae._streaming.OutOfCoreRows`, read block by block later.
        """
        if is_out_of_core(X):
            if not isinstance(X, OutOfCoreRows) and len(X.shape) != 2:
                raise ValueError(
                    f"Found array with dim {len(X.shape)}. {type(self).__name__} expected "
                    "a 2-D array of shape (n_samples, n_features)."
                )
            rows = X if isinstance(X, OutOfCoreRows) else OutOfCoreRows(X)
            # scikit-learn's checks (feature count, dtype) on the first row only;
            # every later read is checked for NaN and infinity as it happens.
            validate_data(self, rows[:1], reset=reset, dtype=[np.float64, np.float32])
            return rows
        try:
            X = validate_data(
                self,
                X,
                reset=reset,
                accept_sparse=True,
                dtype=[np.float64, np.float32],
            )
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            raise ValueError(
                f"X must hold numbers only, but {exc}. Encode text or categorical "
                "columns first (for example with OneHotEncoder)."
            ) from exc
        if sp.issparse(X):
            X = _densify(X)
        return X

    # ------------------------------------------------------- private helpers

    def _check_parameters(self):
        """Checks that involve several parameters or values Keras must resolve."""
        from ._keras import builders

        sizes = self.hidden_layer_sizes
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {sizes!r}."
            )
        if self.noise == "masking" and self.noise_level >= 1:
            raise ValueError(
                "noise_level is the probability of zeroing an input when "
                f"noise='masking' and must be below 1, got {self.noise_level!r}."
            )
        builders.resolve_activation("activation", self.activation)
        builders.resolve_activation("output_activation", self.output_activation)
        builders.resolve_optimizer(self.optimizer, self.learning_rate)

    def _fit_scaling(self, X):
        """Learn ``offset_`` and ``scale_`` that map X onto the network's scale.

        With a bounded output activation the data is mapped onto its range
        (``sigmoid``: [0, 1]). Otherwise each feature is centred and all are
        divided by one common scale, the root mean square of the centred data:
        like PCA, relative feature scales are kept, so the training loss is
        the reconstruction error in the user's units up to one constant.
        """
        # One pass for the range, then one for the moments, block by block:
        # an out-of-core X is never read whole, an in-memory one never copied whole.
        lo, hi = np.inf, -np.inf
        for block in blocks(X):
            lo, hi = min(lo, float(np.min(block))), max(hi, float(np.max(block)))
        # Dividing by the largest magnitude first keeps huge values finite.
        magnitude = max(abs(lo), abs(hi)) or 1.0
        if self.output_activation in _BOUNDED_RANGES:
            low, high = _BOUNDED_RANGES[self.output_activation]
            lo, hi = lo / magnitude, hi / magnitude
            span = (hi - lo) or 1.0
            scale = span / (high - low)
            offset = np.full(X.shape[1], lo - low * scale)
        else:
            offset, squares = _mean_and_squared_deviations(
                np.asarray(block, dtype=np.float64) / magnitude for block in blocks(X)
            )
            scale = float(np.sqrt(squares / X.shape[0] / X.shape[1])) or 1.0
        self.offset_ = offset * magnitude
        self.scale_ = scale * magnitude

    def _standardize(self, X):
        """X in network units, as float32. Float32 input stays in float32 throughout."""
        X = np.asarray(X)
        if X.dtype == np.float32:
            return (X - self.offset_.astype(np.float32)) * np.float32(1.0 / self.scale_)
        return ((np.asarray(X, dtype=np.float64) - self.offset_) / self.scale_).astype(np.float32)

    def _unstandardize(self, X_std):
        return np.asarray(X_std, dtype=np.float64) * self.scale_ + self.offset_

    def _make_standardized_batch(self, X_std_rows):
        x = self._to_network(X_std_rows)
        return x, x

    def _encode(self, X):
        from ._keras import training

        return training.predict(self.encoder_, X, lambda x: self._to_network(self._standardize(x)))

    def _reconstruct(self, X):
        """Reconstruction of X in X's units, as float64."""
        from ._keras import training

        out = training.predict(self.model_, X, lambda x: self._to_network(self._standardize(x)))
        return self._unstandardize(self._from_network(out))

    def _new_run_dir(self):
        """A fresh TensorBoard folder under ``log_dir`` for this fit (or None).

        Every fit gets its own subfolder, so the candidates and folds of a
        ``GridSearchCV`` never overwrite each other's logs.
        """
        if self.log_dir is None:
            self.log_dir_ = None
            return None
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError(
                f"log_dir={self.log_dir!r} needs the tensorboard package: "
                "pip install tensorboard (or skae[tensorboard])."
            )
        name = (
            f"{type(self).__name__}-k{self.n_components}-"
            f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        )
        self.log_dir_ = os.path.join(os.fspath(self.log_dir), name)
        return self.log_dir_

    def _split_rows(self, n_samples, seed):
        """Random train / validation row indices from ``validation_fraction``."""
        n_val = int(round(self.validation_fraction * n_samples))
        if n_val >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no training rows "
                f"out of n_samples={n_samples}; lower it or pass more samples."
            )
        rows = np.random.default_rng([seed, 1]).permutation(n_samples)
        return np.sort(rows[n_val:]), np.sort(rows[:n_val])

    def _check_training_converged(self):
        losses = self.history_["loss"]
        if losses and not np.isfinite(losses[-1]):
            raise FloatingPointError(
                f"Training diverged: the loss became {losses[-1]} at epoch {len(losses)}. "
                f"Lower learning_rate (now {self.learning_rate}) or use another "
                "optimizer or loss."
            )

    @property
    def _n_features_out(self):
        return self.n_components

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        # The encoder and decoder are views into model_; pickling them apart
        # would unpickle three independent copies of the weights.
        state.pop("encoder_", None)
        state.pop("decoder_", None)
        if "model_" in state:
            from ._keras import training

            state["model_"] = training.model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            from ._keras import training

            state = dict(state)
            state["model_"] = training.model_from_bytes(state["model_"])
            state["encoder_"] = state["model_"].get_layer("encoder")
            state["decoder_"] = state["model_"].get_layer("decoder")
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class StandardizedRows:
    """Rows of an out-of-core X, standardised as each batch is read."""

    def __init__(self, rows, standardize):
        self.rows = rows
        self.standardize = standardize

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.standardize(self.rows[index])


def _mean_and_squared_deviations(blocks):
    """Per-column mean and total squared deviation from it, over row blocks.

    Blocks are merged with Chan et al.'s pairwise update, which is as exact as
    the two-pass formula and reads each block once.
    """
    count, mean, squares = 0, 0.0, 0.0
    for block in blocks:
        n = len(block)
        block_mean = block.mean(axis=0)
        block_squares = float(np.sum((block - block_mean) ** 2))
        delta = block_mean - mean
        total = count + n
        squares += block_squares + float(np.sum(delta**2)) * count * n / total
        mean = mean + delta * (n / total)
        count = total
    return mean, squares


def _densify(X):
    n_values = X.shape[0] * X.shape[1]
    if n_values > MAX_DENSIFIED_VALUES:
        raise TypeError(
            f"A sparse matrix of shape {X.shape} ({n_values} values) is too large to "
            f"densify; skae densifies sparse input only up to {MAX_DENSIFIED_VALUES} "
            "values. Reduce it first (for example with TruncatedSVD) or pass a "
            "dense array or memmap."
        )
    return X.toarray()
