"""Users' own Keras networks, as module-level functions (they clone and pickle)."""

import keras


def small_conv_encoder(input_shape, n_components):
    """Two seeded convolutions on (8, 8, 1) digits, then a dense code."""
    init = keras.initializers.GlorotUniform(seed=1)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu", kernel_initializer=init),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(n_components, kernel_initializer=init),
        ]
    )


def small_dense_decoder(n_components, output_shape):
    init = keras.initializers.GlorotUniform(seed=2)
    n_values = 1
    for size in output_shape:
        n_values *= size
    return keras.Sequential(
        [
            keras.Input(shape=(n_components,)),
            keras.layers.Dense(32, activation="relu", kernel_initializer=init),
            keras.layers.Dense(n_values, kernel_initializer=init),
            keras.layers.Reshape(output_shape),
        ]
    )


def feature_encoder(input_shape, n_components):
    """A VAE's feature network: any width, the VAE adds its mean and log-variance heads."""
    init = keras.initializers.GlorotUniform(seed=3)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(24, activation="relu", kernel_initializer=init),
        ]
    )


def wrong_width_encoder(input_shape, n_components):
    return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Dense(n_components + 1)])


def not_a_model(input_shape, n_components):
    return keras.layers.Dense(n_components)


class Doubling(keras.layers.Layer):
    """A user's layer, deliberately not registered as serializable."""

    def call(self, x):
        return 2.0 * x


def unregistered_layer_encoder(input_shape, n_components):
    init = keras.initializers.GlorotUniform(seed=4)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            Doubling(),
            keras.layers.Dense(n_components, kernel_initializer=init),
        ]
    )


def _two_branch_decoder(n_components, output_shape, narrow_first):
    """Two dense branches of the code, joined in either order: the same layers,
    and weights of the same shapes, wired two ways."""
    init = keras.initializers.GlorotUniform(seed=4)
    n_values = 1
    for size in output_shape:
        n_values *= size
    codes = keras.Input(shape=(n_components,))
    narrow = keras.layers.Dense(3, activation="relu", kernel_initializer=init)(codes)
    wide = keras.layers.Dense(5, activation="tanh", kernel_initializer=init)(codes)
    joined = keras.layers.Concatenate()([narrow, wide] if narrow_first else [wide, narrow])
    values = keras.layers.Dense(n_values, kernel_initializer=init)(joined)
    return keras.Model(codes, keras.layers.Reshape(output_shape)(values))


def narrow_first_decoder(n_components, output_shape):
    return _two_branch_decoder(n_components, output_shape, narrow_first=True)


def wide_first_decoder(n_components, output_shape):
    return _two_branch_decoder(n_components, output_shape, narrow_first=False)
