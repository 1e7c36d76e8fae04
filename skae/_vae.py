"""VAETransformer: a variational autoencoder with a usable latent space."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _ordered
from ._base import BaseAutoencoder
from ._layout import Images
from ._streaming import blocks

# Monte Carlo draws per sample in score_samples; seeded, so scores are deterministic.
_ELBO_DRAWS = 16


class VAETransformer(BaseAutoencoder):
    """Variational autoencoder as a scikit-learn transformer and generator.

    The encoder maps each row to a Gaussian posterior N(mean, diag(var)) over
    ``n_components`` latent values; training maximises the evidence lower
    bound (ELBO): a Gaussian reconstruction likelihood, whose noise variance
    is learned, minus ``beta`` times the KL divergence of the posterior from
    N(0, I). The KL term makes the latent space continuous and complete:
    :meth:`sample` decodes draws from the prior into new data.

    ``transform`` returns the posterior mean (deterministic);
    ``transform(X, return_std=True)`` also returns its standard deviation.
    ``score_samples`` is each sample's ELBO, so ``GridSearchCV`` can tune
    ``n_components`` and ``beta`` with no downstream estimator.

    Dense by default. With ``image_shape``, or when fitted on image arrays,
    it uses the convolutional encoder and decoder of :class:`ConvAutoencoder`.

    Parameters
    ----------
    n_components : int or float in (0, 1), default=8
        Size of the latent space.
        With ``ordered=True``, a float is a fraction of the variance, as
        ``PCA(n_components=0.95)`` reads it: the fit trains ``max_components``
        codes and keeps the fewest whose cumulative
        ``explained_variance_ratio_`` exceeds it, as ``n_components_``.
    beta : float, default=1.0
        Weight of the KL term. ``beta=0`` is a plain (noise-trained)
        autoencoder; ``beta > 1`` trades reconstruction for a smoother,
        more prior-like latent space. To cluster the codes, ``beta=0.5``
        clustered the digits better than 1 or 2 at most ``n_components``
        (``benchmarks/bench_clustering.py``).
    kl_warmup_epochs : int, default=10
        The KL weight rises linearly from 0 to ``beta`` over these first
        epochs (KL annealing), which keeps latent dimensions from collapsing
        early. Early stopping starts counting after the warm-up.
    image_shape : tuple of int, default=None
        (height, width[, channels]) for flat image rows; switches to the
        convolutional networks.
    filters : tuple of int, default=(32, 64)
        Convolutional blocks, when convolutional.
    kernel_size : int, default=3
        Convolution kernel size, when convolutional.
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
    hidden_layer_sizes : tuple of int, default=(128,)
        Dense hidden layers (dense mode), or dense layers after the
        convolutions (convolutional mode).
    activation, output_activation, epochs, batch_size, learning_rate, \
optimizer, validation_fraction, early_stopping, n_iter_no_change, noise, \
noise_level, callbacks, log_dir, verbose, random_state, warm_start
        As in :class:`AutoencoderTransformer`.
    encoder, decoder : callable or None, default=None
        Your own networks, as in :class:`AutoencoderTransformer`, except that
        the encoder maps a sample to a feature vector of any width: the VAE
        adds its own ``z_mean`` and ``z_log_var`` heads on top.

        .. versionadded:: 0.2
    loss : {"mse"}, default="mse"
        The reconstruction likelihood: Gaussian, with a learned variance.

    Attributes
    ----------
    encoder_ : keras.Model
        Maps standardised rows to ``[z_mean, z_log_var]``.
    decoder_ : keras.Model
        Maps latent points to standardised rows.
    model_ : keras.Model
        The VAE: a ``keras.Model`` subclass of skae's own whose loss is the
        negative ELBO. To save it, save the estimator (pickle, joblib).
    history_ : dict of str to list of float
        Per epoch: ``loss`` (negative ELBO with the current KL weight, per
        sample, standardised units), ``reconstruction`` and ``kl`` terms, and
        their ``val_`` versions when validating.
    noise_variance_ : float
        Learned variance of the Gaussian likelihood, in the data's units.
    n_iter_, offset_, scale_, layout_, n_features_in_, feature_names_in_
        As in :class:`AutoencoderTransformer`.
    image_shape_ : tuple of int
        (height, width, channels) the network reads; only when convolutional.

    See Also
    --------
    AutoencoderTransformer : Deterministic dense autoencoder.
    sklearn.decomposition.PCA : Probabilistic PCA is the linear Gaussian VAE.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VAETransformer
    >>> X = load_digits().data
    >>> vae = VAETransformer(n_components=2, epochs=3, random_state=0).fit(X)
    >>> vae.transform(X[:5]).shape
    (5, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    """

    _sample_layout = Images(flat_rows="rows")

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **_ordered.parameter_constraints(),
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "image_shape": ["array-like", None],
        "filters": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"mse"})],
    }

    def __init__(
        self,
        n_components=8,
        *,
        beta=1.0,
        kl_warmup_epochs=10,
        image_shape=None,
        filters=(32, 64),
        kernel_size=3,
        ordered=False,
        max_components=None,
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
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.image_shape = image_shape
        self.filters = filters
        self.kernel_size = kernel_size

    def transform(self, X, return_std=False):
        """Posterior mean of each sample (deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images
            Data in the units and layout ``fit`` saw.
        return_std : bool, default=False
            Also return the posterior standard deviation.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Posterior means, in X's floating dtype.
        X_std : ndarray of shape (n_samples, n_components)
            Posterior standard deviations; only when ``return_std=True``.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        mean, log_var = self._posterior(X)
        if not return_std:
            return mean.astype(X.dtype, copy=False)
        from ._keras.elbo import clip_log_var

        std = np.exp(0.5 * clip_log_var(log_var, np))
        return mean.astype(X.dtype, copy=False), std.astype(X.dtype, copy=False)

    def score_samples(self, X):
        """Evidence lower bound (ELBO) of each sample, in X's units (higher is better).

        ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``, the expectation estimated
        with 16 fixed draws shared by all samples (deterministic for a fitted
        model, and independent of the other rows),
        including the change of units from the standardised data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images
            Data in the units and layout ``fit`` saw.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            A lower bound of each sample's log-likelihood under the model.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return np.concatenate([self._elbo(block) for block in blocks(X)])

    def sample(self, n_samples=1, random_state=None):
        """Draw latent points from the prior N(0, I) and decode them.

        Parameters
        ----------
        n_samples : int, default=1
            Number of new samples.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws. None draws fresh randomness without touching
            NumPy's global random state.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features) or images
            New data in the units and layout ``fit`` saw.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = np.random.default_rng() if random_state is None else check_random_state(random_state)
        return self.inverse_transform(rng.standard_normal((n_samples, self._n_kept())))

    @property
    def noise_variance_(self):
        check_is_fitted(self)
        return float(np.exp(self.model_.noise_log_variance())) * self.scale_**2

    # ------------------------------------------------------------------ hooks

    def _build_networks(self, seed, encoder, decoder):
        from ._keras import builders

        common = dict(
            n_components=self._code_width(),
            hidden_layer_sizes=self.hidden_layer_sizes,
            activation=self.activation,
            output_activation=self.output_activation,
            seed=seed,
            variational=True,
            encoder=encoder,
            decoder=decoder,
        )
        if self.layout_.kind == "images":
            return builders.conv_networks(
                self.layout_.network_shape,
                filters=self.filters,
                kernel_size=self.kernel_size,
                **common,
            )
        return builders.dense_networks(self.n_features_in_, **common)

    def _build_model(self, networks, noise, seed, steps_per_epoch):
        from . import _ordered
        from ._keras.models import VariationalAutoencoder

        return VariationalAutoencoder(
            networks["encoder"],
            networks["decoder"],
            beta=self.beta,
            warmup_steps=self.kl_warmup_epochs * steps_per_epoch,
            noise=noise,
            seed=seed,
            sizes=_ordered.prefix_sizes(self._code_width()) if self.ordered else None,
            name="vae",
        )

    def _training_options(self, X, sample_weight, train_rows, val_rows):
        # The model computes its own ELBO; early stopping waits for the KL warm-up.
        return {"loss": None, "early_stopping_start": self.kl_warmup_epochs}

    def _encode(self, X):
        return self._posterior(X)[0]

    # ------------------------------------------------------- private helpers

    def _posterior(self, X):
        from ._keras import engine

        mean, log_var = engine.predict(self.encoder_, X, *self._network_input_plan(X))
        return self._kept(mean).astype(np.float64), self._kept(log_var).astype(np.float64)

    def _elbo(self, X):
        """ELBO of each row of an in-memory block X (see :meth:`score_samples`)."""
        from ._keras import engine
        from ._keras.elbo import clip_log_var, gaussian_nll, kl_to_standard_normal

        mean, log_var = self._posterior(X)
        log_var = clip_log_var(log_var, np).astype(np.float64)
        target = self._standardize(X).astype(np.float64)
        log_noise_var = self.model_.noise_log_variance()
        # The same draws for every sample: a sample's score does not depend
        # on which other rows, or in which order, it was scored with.
        draws = np.random.default_rng(0).standard_normal((_ELBO_DRAWS, self._n_kept()))
        log_likelihood = np.zeros(len(X))
        for eps in draws:
            z = self._padded(mean + np.exp(0.5 * log_var) * eps)
            decoded = self.layout_.from_network(
                engine.predict(self.decoder_, z, lambda z: z.astype(np.float32))
            )
            log_likelihood -= gaussian_nll(target, decoded, log_noise_var, np)
        log_likelihood /= _ELBO_DRAWS
        kl = kl_to_standard_normal(mean, log_var, np)
        return log_likelihood - kl - target.shape[1] * np.log(self.scale_)
