"""Functions that return Keras models: encoders, decoders and their composition."""

from . import import_keras

keras = import_keras()


def resolve_activation(name, value):
    """Return the Keras activation for ``value`` or raise a ValueError naming ``name``."""
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name}={value!r} is not a Keras activation; use a name such as "
            "'relu', 'elu', 'tanh', 'sigmoid' or 'linear', or a callable."
        ) from exc


def resolve_optimizer(value, learning_rate):
    """Return a fresh Keras optimizer for ``value`` (a name or an instance).

    A name gets ``learning_rate``; an instance is copied through its config, so
    the object the user passed is never trained (its own learning rate is kept).
    """
    if isinstance(value, str):
        try:
            optimizer_class = type(keras.optimizers.get(value))
        except ValueError as exc:
            raise ValueError(
                f"optimizer={value!r} is not a Keras optimizer; use a name such as "
                "'adam', 'adamw', 'sgd', 'rmsprop' or 'nadam', or an optimizer instance."
            ) from exc
        return optimizer_class(learning_rate=learning_rate)
    return type(value).from_config(value.get_config())


def _dense(units, activation, seed, name):
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name=name,
    )


def dense_encoder(n_features, n_components, hidden_layer_sizes, activation, seed):
    """Dense encoder: ``n_features`` -> hidden layers -> linear ``n_components``."""
    inputs = keras.Input(shape=(n_features,), name="encoder_input")
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = _dense(units, activation, seed + i, f"encoder_hidden_{i}")(x)
    outputs = _dense(n_components, "linear", seed + 100, "latent")(x)
    return keras.Model(inputs, outputs, name="encoder")


def dense_decoder(
    n_components, n_features, hidden_layer_sizes, activation, output_activation, seed
):
    """Dense decoder, the mirror of :func:`dense_encoder`."""
    inputs = keras.Input(shape=(n_components,), name="decoder_input")
    x = inputs
    for i, units in enumerate(reversed(hidden_layer_sizes)):
        x = _dense(units, activation, seed + 200 + i, f"decoder_hidden_{i}")(x)
    outputs = _dense(n_features, output_activation, seed + 300, "reconstruction")(x)
    return keras.Model(inputs, outputs, name="decoder")


def input_noise(noise, noise_level, seed):
    """The layer that corrupts inputs during training (identity at inference)."""
    if noise == "gaussian":
        return keras.layers.GaussianNoise(noise_level, seed=seed, name="input_noise")
    from .layers import MaskingNoise

    return MaskingNoise(noise_level, seed=seed, name="input_noise")


def autoencoder(encoder, decoder, noise=None, noise_level=0.0, seed=0):
    """Compose ``decoder(encoder(x))`` into one model that shares their weights.

    With ``noise`` set, the inputs pass through a corruption layer that is
    active in training only; ``encoder`` alone never sees it.
    """
    inputs = keras.Input(shape=encoder.input_shape[1:], name="input")
    x = inputs
    if noise is not None and noise_level > 0:
        x = input_noise(noise, noise_level, seed)(x)
    outputs = decoder(encoder(x))
    return keras.Model(inputs, outputs, name="autoencoder")
