"""The private names of Keras, TensorFlow and scikit-learn that skae still uses.

Each is listed in CONTRIBUTING ("Private names") with the reason it is used;
these tests fail loudly when a release removes or renames one, instead of
skae breaking somewhere deep inside a fit.
"""

import importlib.util
import inspect

import keras
import pytest


def test_keras_model_symbolic_build_takes_a_data_batch():
    # Builds a compiled model's optimizer, losses and metrics from one batch
    # without training (what Model.fit does first); no public equivalent.
    assert "data_batch" in inspect.signature(keras.Model._symbolic_build).parameters


def test_keras_layer_flatten_layers_walks_nested_layers():
    # The program cache keys a model by every layer inside it, nested
    # layers of custom layers included; Model.layers lists one level only.
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    outer = keras.Sequential([keras.Input((3,)), inner, keras.layers.Dense(1)])
    layers = list(outer._flatten_layers(include_self=True, recursive=True))
    assert outer in layers and inner in layers and inner.layers[0] in layers


def test_keras_lazy_tensorflow_module_has_its_availability_flag():
    # Told "absent" while a JAX fit serialises a config, so that Keras does
    # not import TensorFlow (2.3 s) just to rule out its types.
    from keras.src.utils import module_utils

    assert hasattr(module_utils.tensorflow, "_available")


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed"
)
def test_tensorflow_function_reads_its_frequent_tracing_flag():
    # skae's tf.functions have full signatures and trace once each; the flag
    # keeps TensorFlow from warning about "retracing" across many of them.
    import tensorflow as tf

    function = tf.function(lambda x: x)
    assert function._omit_frequent_tracing_warning is False


def test_scikit_learn_private_helpers_are_there():
    # Parameter validation as scikit-learn's own estimators do it.
    from sklearn.base import _fit_context
    from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
    from sklearn.utils.stats import _weighted_percentile
    from sklearn.utils.validation import _check_feature_names_in, _check_sample_weight

    assert callable(_fit_context) and callable(_weighted_percentile)
    assert callable(_check_sample_weight) and callable(_check_feature_names_in)
    assert all(isinstance(c, type) for c in (HasMethods, Interval, StrOptions))


def _contract_signature(function):
    """Parameter names, kinds and defaults: what a caller relies on."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_every_backend_session_implements_the_whole_session_contract(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    from skae._keras import engine_loop

    module = importlib.import_module(f"skae._keras.engine_{backend}")
    contract = [
        name
        for name, member in vars(engine_loop.Session).items()
        if callable(member) and (not name.startswith("_") or name == "__init__")
    ]
    assert {"put", "run", "read", "write", "optimizer_state", "close"} <= set(contract)
    for name in contract:
        assert name in vars(module.Session), f"{backend} Session lacks {name}"
        assert _contract_signature(vars(module.Session)[name]) == _contract_signature(
            getattr(engine_loop.Session, name)
        ), name
