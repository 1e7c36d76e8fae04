"""Users' own Keras networks through ``encoder=`` / ``decoder=``."""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from networks_for_tests import (
    feature_encoder,
    narrow_first_decoder,
    not_a_model,
    small_conv_encoder,
    small_dense_decoder,
    wide_first_decoder,
    wrong_width_encoder,
)
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer, ConvAutoencoder, VAETransformer

FAST = dict(epochs=3, random_state=0)


@pytest.fixture(scope="module")
def images(digits):
    return digits[0][:300].reshape(-1, 8, 8)


def test_custom_conv_encoder_and_decoder_on_digit_images(images):
    ae = ConvAutoencoder(
        n_components=6, encoder=small_conv_encoder, decoder=small_dense_decoder, **FAST
    ).fit(images)
    codes = ae.transform(images)
    assert codes.shape == (300, 6)
    assert ae.inverse_transform(codes).shape == (300, 8, 8)
    assert ae.encoder_.name == "encoder" and ae.decoder_.name == "decoder"
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in ae.encoder_._flatten_layers())
    assert np.isfinite(ae.score(images))
    # Trained: the reconstruction beats the constant (mean image) one.
    baseline = -np.mean((images - images.mean(axis=0)) ** 2)
    assert ae.score(images) > baseline


def test_custom_networks_are_seeded_like_the_builtin_ones(images):
    a = ConvAutoencoder(4, encoder=small_conv_encoder, **FAST).fit(images).transform(images)
    b = ConvAutoencoder(4, encoder=small_conv_encoder, **FAST).fit(images).transform(images)
    np.testing.assert_array_equal(a, b)


def test_dense_estimator_takes_a_custom_decoder(digits):
    X = digits[0][:200]
    ae = AutoencoderTransformer(3, decoder=small_dense_decoder, **FAST).fit(X)
    assert ae.inverse_transform(ae.transform(X)).shape == X.shape


def test_vae_custom_encoder_gets_the_posterior_heads(images):
    vae = VAETransformer(3, encoder=feature_encoder, kl_warmup_epochs=1, **FAST).fit(images)
    mean, std = vae.transform(images[:10], return_std=True)
    assert mean.shape == std.shape == (10, 3)
    assert {"z_mean", "z_log_var"} <= {layer.name for layer in vae.encoder_.layers}
    assert np.all(np.isfinite(vae.score_samples(images[:10])))


def test_grid_search_and_clone_over_n_components(images):
    X = images.reshape(len(images), -1)
    ae = ConvAutoencoder(
        image_shape=(8, 8), encoder=small_conv_encoder, decoder=small_dense_decoder, epochs=2
    )
    assert clone(ae).get_params()["encoder"] is small_conv_encoder
    search = GridSearchCV(ae, {"n_components": [2, 6]}, cv=2).fit(X)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_params_["n_components"]
    assert search.best_estimator_.transform(X[:3]).shape == (3, best)
    assert search.best_estimator_.encoder_.output_shape == (None, best)


@pytest.mark.fresh_process
def test_pickled_custom_network_model_loads_in_a_fresh_process(images, tmp_path):
    ae = ConvAutoencoder(4, encoder=small_conv_encoder, decoder=small_dense_decoder, **FAST)
    ae.fit(images)
    np.save(tmp_path / "images.npy", images[:5])
    np.save(tmp_path / "codes.npy", ae.transform(images[:5]))
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(ae))
    code = textwrap.dedent(
        f"""
        import pickle, sys
        import numpy as np
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        ae = pickle.loads(open({str(tmp_path / "model.pkl")!r}, "rb").read())
        images = np.load({str(tmp_path / "images.npy")!r})
        codes = np.load({str(tmp_path / "codes.npy")!r})
        np.testing.assert_allclose(ae.transform(images), codes, rtol=1e-6, atol=1e-6)
        assert ae.encoder_ is ae.model_.get_layer("encoder")
        assert ae.inverse_transform(codes).shape == (5, 8, 8)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


def test_a_keras_model_instance_is_refused_with_what_to_pass_instead(images):
    model = small_conv_encoder((8, 8, 1), 4)
    with pytest.raises(TypeError, match="must be a function that builds and returns"):
        ConvAutoencoder(4, encoder=model, **FAST).fit(images)


def test_a_lambda_is_refused(images):
    with pytest.raises(TypeError, match="lambda"):
        ConvAutoencoder(4, encoder=lambda shape, k: small_conv_encoder(shape, k), **FAST).fit(
            images
        )


def test_wrong_output_shape_is_refused_before_training(images):
    with pytest.raises(ValueError, match=r"output of shape \(4,\).*\(8, 8, 5\)"):
        ConvAutoencoder(4, encoder=wrong_width_encoder, **FAST).fit(images)
    with pytest.raises(ValueError, match=r"output of shape \(8, 8, 1\).*\(64,\)"):
        ConvAutoencoder(4, decoder=lambda_free_flat_decoder, **FAST).fit(images)


def lambda_free_flat_decoder(n_components, output_shape):
    return keras.Sequential([keras.Input(shape=(n_components,)), keras.layers.Dense(64)])


def test_a_function_that_returns_no_model_is_refused(images):
    with pytest.raises(TypeError, match="must return a keras.Model"):
        ConvAutoencoder(4, encoder=not_a_model, **FAST).fit(images)


def test_a_non_callable_is_a_parameter_error(images):
    with pytest.raises(ValueError, match="'encoder' parameter"):
        ConvAutoencoder(4, encoder="resnet", **FAST).fit(images)


# A notebook cell that defines a custom layer and an encoder naming every part
# (so that two runs of it have the same Keras configuration).
NAMED_ENCODER_CELL = """
class Scale(keras.layers.Layer):
    def call(self, x):
        return x * {factor}


def named_encoder(input_shape, n_components):
    inputs = keras.Input(input_shape, name="pixels")
    scaled = Scale(name="scale")(inputs)
    seeded = keras.initializers.GlorotUniform(seed=0)
    codes = keras.layers.Dense(n_components, kernel_initializer=seeded, name="codes")(scaled)
    return keras.Model(inputs, codes, name="named_encoder")
"""


def run_cell(factor):
    namespace = {"keras": keras}
    exec(NAMED_ENCODER_CELL.format(factor=factor), namespace)
    return namespace["named_encoder"]


def test_a_layer_class_defined_again_trains_with_its_new_code(digits):
    """The cell edited and run again defines a new class under the old name: the
    fit and transform run the new code, not the programs compiled for the old
    class (kept for models whose configuration is the same)."""
    from skae._keras import engine

    X = digits[0][:200]
    settings = dict(epochs=1, early_stopping=False, random_state=0)
    AutoencoderTransformer(2, encoder=run_cell(1.0), **settings).fit(X).transform(X)
    edited = AutoencoderTransformer(2, encoder=run_cell(100.0), **settings).fit(X)
    engine._backend_module().PROGRAMS.clear()
    alone = AutoencoderTransformer(2, encoder=run_cell(100.0), **settings).fit(X)
    np.testing.assert_array_equal(edited.transform(X), alone.transform(X))


def test_a_users_network_built_again_reuses_its_compiled_programs(digits):
    """Keras numbers the layer names it makes up, so each build of a user's
    network differs in its names: the program cache keys layers by position.
    Fits of one network share their programs (and train exactly as with
    programs of their own); the same layers wired otherwise do not."""
    from skae._keras import engine

    programs = engine._backend_module().PROGRAMS
    X = digits[0][:200]
    settings = dict(epochs=1, early_stopping=False, random_state=0)
    programs.clear()
    first = AutoencoderTransformer(3, decoder=narrow_first_decoder, **settings).fit(X)
    shared = len(programs)
    AutoencoderTransformer(3, decoder=narrow_first_decoder, **{**settings, "random_state": 1}).fit(
        X
    )
    again = AutoencoderTransformer(3, decoder=narrow_first_decoder, **settings).fit(X)
    assert len(programs) == shared
    np.testing.assert_array_equal(again.transform(X), first.transform(X))
    rewired = AutoencoderTransformer(3, decoder=wide_first_decoder, **settings).fit(X)
    assert len(programs) > shared
    programs.clear()
    alone = AutoencoderTransformer(3, decoder=wide_first_decoder, **settings).fit(X)
    np.testing.assert_array_equal(rewired.transform(X), alone.transform(X))
