"""Functions that return Keras models: encoders, decoders and their composition."""

import functools

import numpy as np

from . import import_keras
from .initial_values import Adam, GlorotUniform, Zeros

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
        if value.lower() == "adam":  # Keras' Adam, its slots' zeros made on the host
            return Adam(learning_rate=learning_rate)
        # One instance, made from a config: on TensorFlow every optimizer
        # object keeps some memory for the life of the process (measured).
        try:
            return keras.optimizers.get(
                {"class_name": value, "config": {"learning_rate": learning_rate}}
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"optimizer={value!r} is not a Keras optimizer; use a name such as "
                "'adam', 'adamw', 'sgd', 'rmsprop' or 'nadam', or an optimizer instance."
            ) from exc
    return type(value).from_config(value.get_config())


def _dense(units, activation, seed, name):
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=GlorotUniform(seed=seed),
        bias_initializer=Zeros(),
        name=name,
    )


def _latent(x, n_components, seed, variational):
    """The encoder's head: the code, or for a VAE the posterior's mean and log-variance."""
    if not variational:
        return _dense(n_components, "linear", seed + 100, "latent")(x)
    return [
        _dense(n_components, "linear", seed + 100, "z_mean")(x),
        keras.layers.Dense(
            n_components, kernel_initializer=Zeros(), bias_initializer=Zeros(), name="z_log_var"
        )(x),
    ]


def dense_encoder(
    n_features, n_components, hidden_layer_sizes, activation, seed, variational=False
):
    """Dense encoder: ``n_features`` -> hidden layers -> linear ``n_components``
    (two heads, ``z_mean`` and ``z_log_var``, when ``variational``)."""
    inputs = keras.Input(shape=(n_features,), name="encoder_input")
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = _dense(units, activation, seed + i, f"encoder_hidden_{i}")(x)
    return keras.Model(inputs, _latent(x, n_components, seed, variational), name="encoder")


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


def dense_networks(
    n_features,
    n_components,
    hidden_layer_sizes,
    activation,
    output_activation,
    seed,
    variational=False,
    encoder=None,
    decoder=None,
):
    """``{"encoder", "decoder"}`` of :func:`dense_encoder` and :func:`dense_decoder`.

    A given ``encoder`` / ``decoder`` (the user's, see :func:`user_network`)
    is used instead of the built-in one; a given encoder of a variational
    model gets the posterior's heads on top (:func:`variational_heads`).
    """
    sizes = tuple(hidden_layer_sizes)
    return _encoder_and_decoder(
        encoder,
        decoder,
        lambda: dense_encoder(n_features, n_components, sizes, activation, seed, variational),
        lambda: dense_decoder(n_components, n_features, sizes, activation, output_activation, seed),
        (n_features,),
        n_components,
        seed,
        variational,
    )


def conv_networks(
    image_shape,
    n_components,
    filters,
    kernel_size,
    hidden_layer_sizes,
    activation,
    output_activation,
    seed,
    variational=False,
    encoder=None,
    decoder=None,
):
    """``{"encoder", "decoder"}`` of :func:`conv_encoder` and :func:`conv_decoder`
    (given networks used instead, as in :func:`dense_networks`)."""
    common = dict(
        filters=tuple(filters),
        kernel_size=kernel_size,
        hidden_layer_sizes=tuple(hidden_layer_sizes),
        activation=activation,
        seed=seed,
    )
    image_shape = tuple(image_shape)
    return _encoder_and_decoder(
        encoder,
        decoder,
        lambda: conv_encoder(image_shape, n_components, variational=variational, **common),
        lambda: conv_decoder(
            n_components, image_shape, output_activation=output_activation, **common
        ),
        image_shape,
        n_components,
        seed,
        variational,
    )


def sequence_networks(
    sequence_shape,
    n_components,
    units,
    cell,
    hidden_layer_sizes,
    activation,
    output_activation,
    seed,
    n_future=0,
    encoder=None,
    decoder=None,
    bidirectional=False,
    linear_skip=False,
):
    """``{"encoder", "decoder"[, "future_decoder"]}`` of :func:`sequence_encoder`
    and :func:`sequence_decoder`; the future decoder forecasts ``n_future`` steps."""
    timesteps, n_features = sequence_shape
    sizes = tuple(hidden_layer_sizes)
    common = dict(units=units, cell=cell, hidden_layer_sizes=sizes, activation=activation)

    def steps_decoder(n_steps, seed, name):
        return sequence_decoder(
            n_components, n_steps, n_features, output_activation=output_activation,
            seed=seed, name=name, linear_skip=linear_skip, **common,
        )  # fmt: skip

    networks = _encoder_and_decoder(
        encoder,
        decoder,
        lambda: sequence_encoder(
            sequence_shape,
            n_components,
            seed=seed,
            bidirectional=bidirectional,
            linear_skip=linear_skip,
            **common,
        ),
        lambda: steps_decoder(timesteps, seed, "decoder"),
        tuple(sequence_shape),
        n_components,
        seed,
    )
    if n_future > 0:
        networks["future_decoder"] = steps_decoder(n_future, seed + 1000, "future_decoder")
    return networks


# Recurrent layers over at most this many steps are unrolled on TensorFlow's
# CPU, where a graph's while loop costs more per step than a short step's
# work: on 8 steps an epoch of the default network took 24% less, its program
# 0.5 s more to trace; on 12 and 16 steps 9-11% less for 1.5-2 s more, and on
# 32 steps nothing less for 7 s more (measured on 2 cores). On JAX, XLA's scan
# is faster than the unrolled steps, and traces in less time, at 8 steps too;
# on a GPU, Keras runs only loops through cuDNN's kernels.
UNROLL_MAX_STEPS = 8


@functools.cache
def _unrolls_short_loops():
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def _recurrent(cell, units, seed, name, n_steps, return_sequences=False, go_backwards=False):
    layer = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
    return layer(
        units,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        unroll=bool(_unrolls_short_loops() and n_steps <= UNROLL_MAX_STEPS),
        kernel_initializer=GlorotUniform(seed=seed),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1),
        bias_initializer=Zeros(),
        name=name,
    )


def sequence_encoder(
    sequence_shape,
    n_components,
    units,
    cell,
    hidden_layer_sizes,
    activation,
    seed,
    bidirectional=False,
    linear_skip=False,
):
    """Recurrent encoder: (timesteps, features) -> LSTM/GRU state -> ``n_components``.

    ``bidirectional``: a second recurrent layer (its own initial weights)
    reads the sequence backwards, and the two last states are concatenated.
    ``linear_skip``: a linear map from the whole flattened sequence to the
    code is added to the recurrent path's code.
    """
    inputs = keras.Input(shape=tuple(sequence_shape), name="encoder_input")
    n_steps = sequence_shape[0]
    forward = _recurrent(cell, units, seed, "encoder_rnn", n_steps)
    if bidirectional:
        backward = _recurrent(
            cell, units, seed + 10, "encoder_rnn_backward", n_steps, go_backwards=True
        )
        forward = keras.layers.Bidirectional(forward, backward_layer=backward, name="encoder_birnn")
    x = forward(inputs)
    for i, size in enumerate(hidden_layer_sizes):
        x = _dense(size, activation, seed + 50 + i, f"encoder_hidden_{i}")(x)
    outputs = _dense(n_components, "linear", seed + 100, "latent")(x)
    if linear_skip:
        flat = keras.layers.Flatten(name="encoder_flatten")(inputs)
        direct = _dense(n_components, "linear", seed + 600, "encoder_linear")(flat)
        outputs = keras.layers.Add(name="latent_sum")([outputs, direct])
    return keras.Model(inputs, outputs, name="encoder")


def sequence_decoder(
    n_components,
    n_timesteps,
    n_features,
    units,
    cell,
    hidden_layer_sizes,
    activation,
    output_activation,
    seed,
    name="decoder",
    linear_skip=False,
):
    """The seed material's decoder: RepeatVector(timesteps) -> LSTM/GRU returning
    sequences -> TimeDistributed(Dense(features)).

    ``linear_skip``: a linear map from the code to every step's features is
    added to the recurrent path's output, before the output activation.
    """
    inputs = keras.Input(shape=(n_components,), name=f"{name}_input")
    x = inputs
    for i, size in enumerate(reversed(hidden_layer_sizes)):
        x = _dense(size, activation, seed + 200 + i, f"{name}_hidden_{i}")(x)
    x = keras.layers.RepeatVector(n_timesteps, name=f"{name}_repeat")(x)
    x = _recurrent(cell, units, seed + 300, f"{name}_rnn", n_timesteps, return_sequences=True)(x)
    step_activation = "linear" if linear_skip else output_activation
    dense = _dense(n_features, step_activation, seed + 400, f"{name}_output")
    outputs = keras.layers.TimeDistributed(dense, name=f"{name}_steps")(x)
    if linear_skip:
        direct = _dense(n_timesteps * n_features, "linear", seed + 500, f"{name}_linear")(inputs)
        direct = keras.layers.Reshape((n_timesteps, n_features), name=f"{name}_linear_steps")(
            direct
        )
        outputs = keras.layers.Add(name=f"{name}_sum")([outputs, direct])
        if not is_linear(output_activation):
            outputs = keras.layers.Activation(output_activation, name=f"{name}_activation")(outputs)
    return keras.Model(inputs, outputs, name=name)


def start_as_pca(encoder, decoder, components, mean):
    """Set the sequence networks (``linear_skip=True``) to compute PCA exactly.

    The linear maps become PCA's projection and reconstruction
    (``components``: (n_components, n_features) of the flattened sequence;
    ``mean``: (n_features,)), and the recurrent branches' last layers
    (``latent``, ``decoder_steps``) zero, so that they add nothing until
    trained. The linear maps are then fixed (:func:`fix_linear_maps`).
    """
    W = components.T.astype("float32")
    mean = mean.astype("float32")
    encoder.get_layer("encoder_linear").set_weights([W, -mean @ W])
    decoder.get_layer("decoder_linear").set_weights([W.T, mean])
    for network, name in ((encoder, "latent"), (decoder, "decoder_steps")):
        layer = network.get_layer(name)
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    fix_linear_maps(encoder, decoder)


def is_linear(activation):
    """Whether ``activation`` (a name, a function or None) is the identity."""
    return keras.activations.get(activation) is keras.activations.linear


def fix_linear_maps(encoder, decoder):
    """Leave the sequence networks' linear maps out of training (not trainable)."""
    encoder.get_layer("encoder_linear").trainable = False
    decoder.get_layer("decoder_linear").trainable = False


def input_noise(noise, noise_level, seed):
    """The layer that corrupts inputs during training (identity at inference).

    None when ``noise`` is None or ``noise_level`` is 0.
    """
    if noise is None or noise_level <= 0:
        return None
    if noise == "gaussian":
        return keras.layers.GaussianNoise(noise_level, seed=seed, name="input_noise")
    from .layers import MaskingNoise

    return MaskingNoise(noise_level, seed=seed, name="input_noise")


def autoencoder(encoder, decoder, noise=None):
    """Compose ``decoder(encoder(x))`` into one model that shares their weights.

    With a ``noise`` layer (:func:`input_noise`), the inputs pass through it;
    it corrupts them in training only, and ``encoder`` alone never sees it.
    """
    inputs = keras.Input(shape=encoder.input_shape[1:], name="input")
    x = inputs if noise is None else noise(inputs)
    outputs = decoder(encoder(x))
    return keras.Model(inputs, outputs, name="autoencoder")


def composite(encoder, decoder, future_decoder, noise=None):
    """Reconstruct and forecast from one code: outputs ``[decoder(code), future_decoder(code)]``.

    The forecasting path encodes the clean input; the reconstruction path
    the (training-time) corrupted one.
    """
    model = autoencoder(encoder, decoder, noise)
    code = encoder(model.inputs[0])
    return keras.Model(model.inputs, [model.outputs[0], future_decoder(code)], name="composite")


def variational_heads(features, n_components, seed):
    """A user's feature network topped with the posterior's ``z_mean`` and ``z_log_var``."""
    inputs = keras.Input(shape=features.input_shape[1:], name="encoder_input")
    x = features(inputs)
    return keras.Model(inputs, _latent(x, n_components, seed, True), name="encoder")


def check_network_function(name, function):
    """Raise if a user's ``encoder`` / ``decoder`` parameter cannot be used.

    It must be a plain function (or another picklable callable) that builds
    a new network on every call: a Keras model or layer would be shared by
    every clone and fit of the estimator, and a lambda or a function
    defined inside another function cannot be pickled.
    """
    if function is None:
        return
    if isinstance(function, (keras.layers.Layer, keras.Model)):
        raise TypeError(
            f"{name} must be a function that builds and returns a new keras.Model, "
            f"got the Keras object {function.name!r}. Wrap it in a module-level "
            f"function, e.g. `def make_{name}(...): return keras.Model(...)`, so every "
            "fit and clone builds fresh weights."
        )
    qualname = getattr(function, "__qualname__", "")
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise TypeError(
            f"{name}={function!r} cannot be pickled or cloned reliably (a lambda or a "
            "function defined inside another function). Define it with `def` at the "
            "top level of a module."
        )


def user_network(name, function, args, input_shape, output_shape):
    """The user's network ``function(*args)``, checked and renamed to ``name``.

    ``args`` are ``(input_shape, n_components)`` for an encoder and
    ``(n_components, output_shape)`` for a decoder. The network is applied to
    an input of ``input_shape`` and must give ``output_shape`` (None: any
    vector), checked here before any training. It is wrapped in a model named
    ``name`` so that the trained model's sub-models are found by name after
    unpickling.
    """
    network = function(*args)
    if not isinstance(network, keras.Model):
        raise TypeError(
            f"{name} must return a keras.Model, but {function.__qualname__} returned "
            f"{type(network).__name__}."
        )
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    try:
        outputs = network(inputs)
    except Exception as exc:
        raise ValueError(
            f"{name} built a network that cannot take input of shape {tuple(input_shape)}: {exc}"
        ) from exc
    actual = tuple(getattr(outputs, "shape", (None, None, None))[1:])
    if output_shape is None and len(actual) != 1:
        raise ValueError(
            f"{name} must map each sample to a vector, but its output has shape {actual}. "
            "End it with Flatten or Dense."
        )
    if output_shape is not None and actual != tuple(output_shape):
        raise ValueError(
            f"{name} must map input of shape {tuple(input_shape)} to output of shape "
            f"{tuple(output_shape)}, but its output has shape {actual}."
        )
    return keras.Model(inputs, outputs, name=name)


def _encoder_and_decoder(
    encoder, decoder, built_in_encoder, built_in_decoder, sample_shape, n_components, seed,
    variational=False,
):  # fmt: skip
    """``{"encoder", "decoder"}``: the user's functions' networks where given
    (:func:`user_network`), else the built-in ones (``built_in_*()``)."""
    if encoder is None:
        encoder = built_in_encoder()
    else:
        encoder = _encoder_from(encoder, sample_shape, n_components, seed, variational)
    if decoder is None:
        decoder = built_in_decoder()
    else:
        decoder = _decoder_from(decoder, n_components, sample_shape)
    return {"encoder": encoder, "decoder": decoder}


def _encoder_from(function, input_shape, n_components, seed, variational):
    """The user's encoder (with a VAE's posterior heads on top when ``variational``)."""
    if not variational:
        return user_network(
            "encoder", function, (input_shape, n_components), input_shape, (n_components,)
        )
    features = user_network("encoder", function, (input_shape, n_components), input_shape, None)
    return variational_heads(features, n_components, seed)


def _decoder_from(function, n_components, output_shape):
    return user_network(
        "decoder", function, (n_components, output_shape), (n_components,), output_shape
    )


def _conv(filters, kernel_size, activation, seed, name):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        activation=activation,
        kernel_initializer=GlorotUniform(seed=seed),
        bias_initializer=Zeros(),
        name=name,
    )


def pooled_shape(image_shape, n_pools):
    """Height and width after ``n_pools`` 2x2 max-poolings with "same" padding."""
    height, width = image_shape[:2]
    for _ in range(n_pools):
        height, width = -(-height // 2), -(-width // 2)
    return height, width


def conv_encoder(
    image_shape,
    n_components,
    filters,
    kernel_size,
    hidden_layer_sizes,
    activation,
    seed,
    variational=False,
):
    """Convolutional encoder: [Conv2D -> MaxPooling2D] per entry of ``filters``,
    then Flatten, optional dense layers and a linear ``n_components`` latent."""
    inputs = keras.Input(shape=tuple(image_shape), name="encoder_input")
    x = inputs
    for i, n_filters in enumerate(filters):
        x = _conv(n_filters, kernel_size, activation, seed + i, f"encoder_conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"encoder_pool_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_layer_sizes):
        x = _dense(units, activation, seed + 50 + i, f"encoder_hidden_{i}")(x)
    return keras.Model(inputs, _latent(x, n_components, seed, variational), name="encoder")


def conv_decoder(
    n_components,
    image_shape,
    filters,
    kernel_size,
    hidden_layer_sizes,
    activation,
    output_activation,
    seed,
):
    """Mirror of :func:`conv_encoder`: dense layers, Reshape, [UpSampling2D ->
    Conv2D] per filter, a last Conv2D to the channels, then a crop to exactly
    ``image_shape`` (odd sizes grow past it when upsampled)."""
    height, width, channels = image_shape
    small_h, small_w = pooled_shape(image_shape, len(filters))
    last_filters = filters[-1] if filters else channels
    inputs = keras.Input(shape=(n_components,), name="decoder_input")
    x = inputs
    for i, units in enumerate(reversed(hidden_layer_sizes)):
        x = _dense(units, activation, seed + 200 + i, f"decoder_hidden_{i}")(x)
    x = _dense(small_h * small_w * last_filters, activation, seed + 250, "decoder_expand")(x)
    x = keras.layers.Reshape((small_h, small_w, last_filters), name="decoder_reshape")(x)
    for i, n_filters in enumerate(reversed(filters)):
        x = keras.layers.UpSampling2D(2, name=f"decoder_upsample_{i}")(x)
        x = _conv(n_filters, kernel_size, activation, seed + 300 + i, f"decoder_conv_{i}")(x)
    x = _conv(channels, kernel_size, output_activation, seed + 400, "reconstruction")(x)
    extra_h = small_h * 2 ** len(filters) - height
    extra_w = small_w * 2 ** len(filters) - width
    crop = ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2))
    outputs = keras.layers.Cropping2D(crop, name="crop")(x)
    return keras.Model(inputs, outputs, name="decoder")
