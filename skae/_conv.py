"""ConvAutoencoder: a convolutional autoencoder for images, flat or not."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from . import _ordered
from ._base import BaseAutoencoder
from ._layout import Images


class ConvAutoencoder(BaseAutoencoder):
    """Convolutional autoencoder as a scikit-learn transformer.

    Each entry of ``filters`` adds a ``Conv2D`` + 2x2 ``MaxPooling2D`` block
    to the encoder, which ends in a dense latent vector of ``n_components``;
    the decoder mirrors it with ``UpSampling2D`` + ``Conv2D`` blocks and crops
    the result to exactly the input's height and width, so odd sizes such as
    LFW's 50 x 37 or 62 x 47 work.

    Input can be flat pixel rows of shape (n_samples, height * width *
    channels) with ``image_shape`` given, as ``fetch_lfw_people().data`` and a
    ``Pipeline`` pass them, or image arrays of shape (n_samples, height, width)
    or (n_samples, height, width, channels). ``inverse_transform`` returns the
    layout that ``fit`` saw.

    Flat rows without ``image_shape`` are treated as one-pixel-high,
    single-channel images (1, n_features, 1): a 1-D convolution along the row.
    Pass ``image_shape`` for real images.

    Parameters
    ----------
    n_components : int or float in (0, 1), default=32
        Size of the dense latent vector.
        With ``ordered=True``, a float is a fraction of the variance, as
        ``PCA(n_components=0.95)`` reads it: the fit trains ``max_components``
        codes and keeps the fewest whose cumulative
        ``explained_variance_ratio_`` exceeds it, as ``n_components_``.
    image_shape : tuple of int, default=None
        (height, width) or (height, width, channels) of each image, for flat
        input rows. Inferred from image arrays when None.
    filters : tuple of int, default=(16, 32)
        Number of filters of each convolutional block of the encoder (the
        decoder uses them in reverse).

        .. versionchanged:: 0.2
           The default was (32, 64): with the shifted faces of ``translate``
           the narrower network reconstructs held-out LFW faces at 0.93 /
           0.95 / 1.00 x PCA's error at 16 / 32 / 64 codes (0.93 / 0.98 /
           1.12 x with (32, 64) and mirrored faces, 0.98 / 1.11 / 1.40 x
           with neither) in the time the 0.1 defaults took
           (``benchmarks/bench_conv_translate.py``). On the 8 x 8 digits,
           where neither augmentation applies, it is worse: 0.70 x PCA at 16
           codes against 0.56 x; pass ``filters=(32, 64)`` there.
    kernel_size : int, default=3
        Height and width of the convolution kernels.
    flip_horizontal : bool or "auto", default="auto"
        Augment training: each training image is mirrored left-right with
        probability 1/2 in every epoch (a fresh draw per epoch, seeded by
        ``random_state``). Helps on faces and natural images; validation
        images and ``transform`` are never flipped. ``"auto"`` turns it on
        when the mirrored training images look like the images themselves:
        when PCA with 8 components, fitted on (up to 2,000 of) them,
        reconstructs their mirrors within 1.25 x its error on the images.
        That holds for faces (1.08 x on LFW), not for digits (1.83 x), where
        a mirrored 2 is no digit. ``flip_horizontal_`` says what a fit chose.

        .. versionchanged:: 0.2
           The default was False.
    translate : int or "auto", default="auto"
        Augment training: each training image is shifted by up to
        ``translate`` pixels up or down and left or right, each of the
        ``(2 * translate + 1) ** 2`` offsets (no shift among them) equally
        likely, a fresh draw per image and epoch, seeded by ``random_state``;
        the rows and columns a shift uncovers repeat the image's edge.
        Validation images and ``transform`` are never shifted. ``"auto"``
        shifts by 1 pixel when the shifted training images look like the
        images themselves (PCA with 8 components reconstructs the eight
        one-pixel shifts within 1.25 x its error on the images, as for
        ``flip_horizontal``), and not at all otherwise. That holds for faces
        (1.12 x on LFW, where the defaults' held-out error at 64 codes is
        1.00 x PCA's, against 1.12 x with mirrored faces alone), not for the
        8 x 8 digits (2.75 x), where a pixel is an eighth of the image.
        ``translate_`` says what a fit chose.

        .. versionadded:: 0.2
    ordered : bool, default=False
        Train codes in order of importance, as PCA's components: the first k
        codes are then a good k-code representation for every k, so one fit
        serves every code size (``transform(X)[:, :k]`` and
        ``inverse_transform`` of those k columns), ``explained_variance_ratio_``
        says what each code adds, and ``n_components`` may be a fraction.
        Each image is decoded from the full code and from the prefix of one
        of the smaller sizes (the powers of two below the width), dealt out
        in turn, and the sizes' losses averaged, which makes a fit slower
        (1.7 x at 64 codes on faces, ``benchmarks/bench_ordered.py``).
        See :ref:`ordered-codes`.

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
    hidden_layer_sizes : tuple of int, default=()
        Dense layers between the flattened feature maps and the latent vector.
    activation : str or callable, default="relu"
        Keras activation of the hidden layers.
    output_activation : str or callable, default="linear"
        Activation of the last convolution; "sigmoid" maps the data onto (0, 1).
    epochs : int, default=100
        Maximum number of passes over the training data.
    batch_size : int or "auto", default=32
        Images per gradient step. ``"auto"`` is ``min(200, n_samples)``,
        scikit-learn's MLP convention: 1.5-2.5x faster fits on digits, but
        worse reconstructions at larger codes (``benchmarks/bench_batch_size.py``:
        1.8x PCA's error instead of 1.06x at ``n_components=32``), hence 32.
    learning_rate : float, default=1e-3
        Step size of the optimizer (when ``optimizer`` is a name).
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Keras optimizer name, or an instance (copied).
    loss : {"mse", "mae", "huber", "binary_crossentropy"} or callable, default="mse"
        Training loss, on the standardised data. ``"binary_crossentropy"``
        needs ``output_activation="sigmoid"`` (the data is then scaled onto [0, 1]).
    validation_fraction : float in [0, 1), default=0.1
        Fraction of images held out to monitor ``val_loss``.
    early_stopping : bool, default=True
        Stop when the monitored loss has not improved for
        ``n_iter_no_change`` epochs and restore the best weights.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    noise : {"gaussian", "masking"} or None, default=None
        Corruption of the inputs during fit only (a denoising autoencoder).
    noise_level : float, default=0.1
        Noise standard deviation (standardised units) or masking probability.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training (copied before use).
    log_dir : str or path-like, default=None
        TensorBoard logs, a new subfolder per fit (see AutoencoderTransformer).
    verbose : int, default=0
        Keras' verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, validation split, shuffling and noise.
    warm_start : bool, default=False
        Continue training the fitted networks at the next ``fit``, as in
        :class:`AutoencoderTransformer`.
    encoder, decoder : callable or None, default=None
        Your own networks, as in :class:`AutoencoderTransformer`: the encoder
        gets ``input_shape=(height, width, channels)``, the decoder must give
        that shape back (see the example below).

        .. versionadded:: 0.2

    Attributes
    ----------
    image_shape_ : tuple of int
        (height, width, channels) of the images the network sees.
    encoder_, decoder_, model_ : keras.Model
        Encoder, decoder and ``decoder_(encoder_(x))``, sharing weights.
    history_ : dict of str to list of float
        Per-epoch ``loss`` (and ``val_loss``).
    n_iter_ : int
        Number of epochs run.
    flip_horizontal_ : bool
        Whether training mirrored images: ``flip_horizontal``, resolved on
        the training data when it is ``"auto"`` (at the first ``fit`` or
        ``partial_fit``; ``warm_start`` and later ``partial_fit`` calls keep it).
    translate_ : int
        The shift training drew from, in pixels: ``translate``, resolved
        on the training data when it is ``"auto"`` (when ``flip_horizontal_``
        is).
    offset_ : ndarray of shape (n_features,)
        Per-pixel offset subtracted before the network.
    scale_ : float
        Common divisor applied after ``offset_``.
    n_features_in_ : int
        Number of values per image (height * width * channels).

    See Also
    --------
    AutoencoderTransformer : Dense autoencoder for any tabular data.
    sklearn.decomposition.PCA : Eigenfaces, the linear baseline.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAutoencoder
    >>> images = np.random.default_rng(0).random((20, 9, 7))
    >>> ae = ConvAutoencoder(n_components=4, filters=(4,), epochs=2, random_state=0)
    >>> ae.fit_transform(images).shape
    (20, 4)
    >>> ae.inverse_transform(ae.transform(images)).shape
    (20, 9, 7)

    A convolutional encoder of your own (the built-in decoder is kept):

    >>> import keras
    >>> def my_encoder(input_shape, n_components):
    ...     return keras.Sequential([
    ...         keras.Input(input_shape),
    ...         keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
    ...         keras.layers.GlobalAveragePooling2D(),
    ...         keras.layers.Dense(n_components),
    ...     ])
    >>> ae = ConvAutoencoder(n_components=4, encoder=my_encoder, filters=(4,), epochs=2)
    >>> ae.fit(images).transform(images).shape
    (20, 4)
    """

    _sample_layout = Images(flat_rows="images")
    # The decoder is most of the work: decoding each row twice instead of at
    # all seven prefix sizes of 64 codes took an ordered fit on the LFW faces
    # from 6.3 x a separate fit to 3.2 x, its prefixes 0.99-1.11 x separate
    # fits' errors before and 1.02-1.09 x after
    # (benchmarks/bench_ordered_shared_rows.py). Dense fits keep every size:
    # there it saved less time (1.97 -> 1.78 x) and cost the small prefixes
    # up to 7% (the worst of three seeds 1.16 -> 1.20 x a separate fit).
    _ordered_shared_rows = True

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **_ordered.parameter_constraints(),
        "image_shape": ["array-like", None],
        "filters": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "flip_horizontal": ["boolean", StrOptions({"auto"})],
        "translate": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        n_components=32,
        *,
        image_shape=None,
        filters=(16, 32),
        kernel_size=3,
        flip_horizontal="auto",
        translate="auto",
        ordered=False,
        max_components=None,
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
        self.ordered = ordered
        self.max_components = max_components
        self.image_shape = image_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.flip_horizontal = flip_horizontal
        self.translate = translate

    def _check_parameters(self):
        super()._check_parameters()
        if not all(isinstance(f, Integral) and f > 0 for f in self.filters):
            raise ValueError(
                f"filters must be a sequence of positive integers, got {self.filters!r}."
            )

    def _build_networks(self, seed, encoder, decoder):
        from ._keras import builders

        return builders.conv_networks(
            self.layout_.network_shape,
            self._code_width(),
            self.filters,
            self.kernel_size,
            self.hidden_layer_sizes,
            self.activation,
            self.output_activation,
            seed,
            encoder=encoder,
            decoder=decoder,
        )

    def _fit_scaling(self, X, sample_weight):
        # Runs on fresh fits only (not when warm_start or partial_fit continue).
        super()._fit_scaling(X, sample_weight)
        from . import _augmentation

        shape = self.layout_.network_shape
        if self.flip_horizontal == "auto":
            self.flip_horizontal_ = _augmentation.mirror_symmetric(X, shape)
        else:
            self.flip_horizontal_ = bool(self.flip_horizontal)
        if self.translate == "auto":
            invariant = _augmentation.shift_invariant(X, shape)
            self.translate_ = _augmentation.AUTO_TRANSLATE if invariant else 0
        else:
            self.translate_ = int(self.translate)
            if self.translate_ and self.translate_ >= min(shape[:2]):
                raise ValueError(
                    f"translate={self.translate} shifts the {shape[0]} x {shape[1]} images "
                    "by their whole height or width: it must be less than both."
                )

    def _cache_entry(self, history, fit):
        entry = super()._cache_entry(history, fit)
        return {**entry, "flip_horizontal": self.flip_horizontal_, "translate": self.translate_}

    def _fit_from_cache(self, entry, X, sample_weight):
        self.flip_horizontal_ = entry["flip_horizontal"]
        self.translate_ = entry["translate"]
        return super()._fit_from_cache(entry, X, sample_weight)

    def _training_options(self, X, sample_weight, train_rows, val_rows):
        from ._keras.fit_description import Augmentation

        augmentation = Augmentation(self.flip_horizontal_, self.translate_)
        options = super()._training_options(X, sample_weight, train_rows, val_rows)
        return {**options, "augmentation": augmentation}
