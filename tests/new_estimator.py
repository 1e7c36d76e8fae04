"""A new estimator written with the documented hooks only (CONTRIBUTING, "Adding an estimator").

:class:`SparseAutoencoder` is a dense autoencoder whose codes carry an L1
penalty, so that most of them are near zero for any one sample. It is not
part of skae: it checks that ``BaseAutoencoder``'s hooks are enough to add
an estimator (``tests/test_new_estimator.py`` runs scikit-learn's checks on
it). It overrides only hooks from ``BaseAutoencoder``'s list:
``_parameter_constraints`` and ``__init__`` (its own parameter),
``_check_parameters``, ``_build_networks``, ``_training_data`` and
``_after_training``.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from skae import BaseAutoencoder


class SparseAutoencoder(BaseAutoencoder):
    """A dense autoencoder with an L1 penalty on its codes.

    Parameters
    ----------
    n_components : int, default=8
        Size of the code.
    l1 : float, default=1e-3
        Weight of the mean absolute code in the loss.
    code_threshold : float, default=0.05
        Codes smaller in magnitude count as inactive in ``sparsity_``.
    hidden_layer_sizes, activation, ... :
        As :class:`skae.AutoencoderTransformer`.

    Attributes
    ----------
    sparsity_ : float
        Fraction of the training codes below ``code_threshold`` in magnitude.
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "l1": [Interval(Real, 0, None, closed="left")],
        "code_threshold": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=8,
        *,
        l1=1e-3,
        code_threshold=0.05,
        hidden_layer_sizes=(32,),
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
        self.l1 = l1
        self.code_threshold = code_threshold

    def _check_parameters(self):
        super()._check_parameters()
        if self.encoder is not None or self.decoder is not None:
            raise ValueError(
                "SparseAutoencoder builds its own networks; encoder and decoder must be None. "
                f"Received: encoder={self.encoder!r}, decoder={self.decoder!r}."
            )

    def _build_networks(self, seed, encoder, decoder):
        import keras

        def dense(units, activation, offset, name, **options):
            return keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + offset),
                name=name,
                **options,
            )

        n_features = self.layout_.network_shape[0]
        inputs = keras.Input((n_features,), name="encoder_input")
        x = inputs
        for i, units in enumerate(self.hidden_layer_sizes):
            x = dense(units, self.activation, i, f"encoder_hidden_{i}")(x)
        codes = dense(
            self.n_components,
            None,
            100,
            "codes",
            activity_regularizer=keras.regularizers.L1(self.l1 / self.n_components),
        )(x)
        encoder = keras.Model(inputs, codes, name="encoder")
        codes_in = keras.Input((self.n_components,), name="decoder_input")
        x = codes_in
        for i, units in enumerate(reversed(self.hidden_layer_sizes)):
            x = dense(units, self.activation, 200 + i, f"decoder_hidden_{i}")(x)
        rows = dense(n_features, self.output_activation, 300, "reconstruction")(x)
        return {"encoder": encoder, "decoder": keras.Model(codes_in, rows, name="decoder")}

    def _training_data(self, X, y, sample_weight):
        # The standard data (standardised input, row weights): shown here
        # as the hook a new estimator changes to add targets or masks.
        return super()._training_data(X, y, sample_weight)

    def _after_training(self, X, sample_weight):
        codes = self._encode(X)
        self.sparsity_ = float(np.mean(np.abs(codes) < self.code_threshold))
