"""Saved estimators hold plain data, load through skops, and run no code from a file."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import skops.io
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skae import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoder,
    SequenceAutoencoder,
    VAETransformer,
    allow_legacy_format,
    make_windows,
)

FAST = dict(epochs=1, batch_size=32, random_state=0)
X = load_digits().data[:120] / 16.0


def _fitted(name):
    if name == "dense":
        return AutoencoderTransformer(2, hidden_layer_sizes=(8,), whiten=True, **FAST).fit(X), X
    if name == "conv":
        return ConvAutoencoder(2, image_shape=(8, 8), filters=(4,), **FAST).fit(X), X
    if name == "vae":
        return VAETransformer(2, hidden_layer_sizes=(8,), **FAST).fit(X), X
    if name == "sequence":
        Xs, ys = make_windows(np.sin(np.arange(80) / 4.0), window=6, n_future=2)
        return SequenceAutoencoder(2, units=4, n_future=2, **FAST).fit(Xs, ys), Xs
    if name == "imputer":
        holes = X.copy()
        holes[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
        return AutoencoderImputer(
            n_components=2, hidden_layer_sizes=(8,), add_indicator=True, **FAST
        ).fit(holes), holes
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(2, hidden_layer_sizes=(8,), **FAST)
    )
    return detector.fit(X), X


def _output(estimator, data):
    method = getattr(estimator, "decision_function", None) or estimator.transform
    return method(data)


def _leaves(value, where="state"):
    """Every leaf of a saved state, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{where}[{i}]")
    elif hasattr(value, "__getstate__") and type(value).__module__.startswith("skae"):
        yield from _leaves(value.__getstate__(), f"{where}.__getstate__()")
    else:
        yield where, value


ESTIMATORS = ["dense", "conv", "vae", "sequence", "imputer", "outliers"]
PLAIN = (str, int, float, bool, type(None), np.ndarray, np.generic)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_the_saved_state_is_plain_data_and_skops_trusts_only_skae_public_classes(name):
    estimator, data = _fitted(name)
    before = _output(estimator, data)
    not_plain = [
        (where, type(leaf).__name__)
        for where, leaf in _leaves(estimator.__getstate__())
        if not isinstance(leaf, PLAIN)
        and not type(leaf).__module__.startswith("sklearn")  # the imputer's MissingIndicator
    ]
    assert not_plain == []
    saved = skops.io.dumps(estimator)
    asked = skops.io.get_untrusted_types(data=saved)
    public = {f"skae.{cls.__name__}" for cls in (type(estimator), AutoencoderTransformer)}
    assert {f"skae.{t.rsplit('.', 1)[1]}" for t in asked} <= public
    assert all(not t.rsplit(".", 1)[1].startswith("_") for t in asked), asked
    loaded = skops.io.loads(saved, trusted=asked)
    np.testing.assert_array_equal(_output(loaded, data), before)
    np.testing.assert_array_equal(_output(estimator, data), before)  # saving changed nothing


def test_skops_keeps_the_networks_views_on_one_set_of_weights_in_a_pipeline():
    y = load_digits().target[:120]
    pipe = make_pipeline(AutoencoderTransformer(2, **FAST), LogisticRegression()).fit(X, y)
    saved = skops.io.dumps(pipe)
    loaded = skops.io.loads(saved, trusted=skops.io.get_untrusted_types(data=saved))
    ae = loaded[0]
    assert all(
        any(w is v for v in ae.model_.weights) for w in ae.encoder_.weights + ae.decoder_.weights
    )
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


class _Payload:
    """Pickles as a call of ``os.system`` that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _crafted_state(estimator, model_state):
    state = estimator.__getstate__()
    state["model_"] = model_state
    return state


def _as_pickle(estimator, state):
    """Pickle bytes that load ``state`` into an estimator of ``estimator``'s class."""
    return pickle.dumps(_Reduced(type(estimator), state))


class _Reduced:
    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return (_new, (self.cls,), self.state)


def _new(cls):
    return cls.__new__(cls)


def _as_skops(estimator, state, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(type(estimator), "__getstate__", lambda self: state)
        return skops.io.dumps(estimator)


@pytest.fixture
def fitted():
    return AutoencoderTransformer(2, hidden_layer_sizes=(8,), **FAST).fit(X)


def _payloads(fitted, marker):
    """Model states that would run code: pickle bytes, and Keras configurations."""
    good = fitted.__getstate__()["model_"]
    config = json.loads(good["config"])
    system = {"module": "os", "class_name": "function", "config": "system", "registered_name": None}
    named_layer = json.loads(json.dumps(config))
    # A layer whose class is os.system.
    named_layer["config"]["layers"][1] = {
        "module": "os", "class_name": "system", "config": {"command": f"touch {marker}"},
        "registered_name": None,
    }  # fmt: skip
    activation = json.loads(json.dumps(config))
    _first_dense(activation)["config"]["activation"] = system
    lambda_layer = json.loads(json.dumps(config))
    lambda_layer["config"]["layers"][1] = {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {
            "code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}},
    }  # fmt: skip
    return {
        "pickle bytes": pickle.dumps(_Payload(marker)),
        "a layer class os.system": dict(good, config=json.dumps(named_layer)),
        "an activation os.system": dict(good, config=json.dumps(activation)),
        "a Lambda layer": dict(good, config=json.dumps(lambda_layer)),
    }


def _first_dense(config):
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Functional":
            for inner in layer["config"]["layers"]:
                if inner["class_name"] == "Dense":
                    return inner
    raise AssertionError("no Dense layer in the saved configuration")


PAYLOADS = ["pickle bytes", "a layer class os.system", "an activation os.system", "a Lambda layer"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_crafted_model_state_never_runs_through_pickle_or_skops(
    payload, fitted, tmp_path, monkeypatch
):
    marker = tmp_path / "ran"
    state = _crafted_state(fitted, _payloads(fitted, marker)[payload])
    crafted_pickle = _as_pickle(fitted, state)
    crafted_skops = _as_skops(fitted, state, monkeypatch)
    trusted = skops.io.get_untrusted_types(data=crafted_skops)
    assert trusted == ["skae._dense.AutoencoderTransformer"]  # the audit sees nothing else

    loads = [
        lambda: pickle.loads(crafted_pickle),
        lambda: skops.io.loads(crafted_skops, trusted=trusted),
    ]
    for load in loads:
        with pytest.raises((ValueError, TypeError, pickle.UnpicklingError)):
            load()
        with allow_legacy_format(), pytest.raises((ValueError, TypeError, pickle.UnpicklingError)):
            load()
    assert not marker.exists()


def test_an_earlier_skae_file_is_refused_unless_asked_for_by_name(fitted):
    state = fitted.__getstate__()
    old = {
        "config": json.loads(state["model_"]["config"]),
        "variables": state["model_"]["variables"],
    }
    state["model_"] = pickle.dumps(old)  # how earlier versions stored the model
    data = _as_pickle(fitted, state)
    with pytest.raises(ValueError, match=r"earlier skae.*allow_legacy_format"):
        pickle.loads(data)
    with allow_legacy_format():
        loaded = pickle.loads(data)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    with pytest.raises(ValueError, match="earlier skae"):  # only inside the block
        pickle.loads(data)


@pytest.mark.fresh_process
def test_crafted_model_files_never_run_through_the_command_line(fitted, tmp_path, monkeypatch):
    np.save(tmp_path / "X.npy", X)
    marker = tmp_path / "ran"
    state = _crafted_state(fitted, pickle.dumps(_Payload(marker)))
    (tmp_path / "m.skops").write_bytes(_as_skops(fitted, state, monkeypatch))
    (tmp_path / "m.joblib").write_bytes(pickle.dumps(_Payload(marker)))  # a whole-file payload
    for model in ("m.skops", "m.joblib"):
        run = subprocess.run(
            [sys.executable, "-m", "skae", "transform", model, "X.npy", "-o", "Z.npy"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert run.returncode == 2, run.stderr  # a clear error, no traceback
    assert not marker.exists()
    assert not (tmp_path / "Z.npy").exists()


def test_skops_asks_to_trust_the_users_own_network_functions_too():
    from networks_for_tests import small_dense_decoder

    ae = AutoencoderTransformer(2, decoder=small_dense_decoder, **FAST).fit(X)
    saved = skops.io.dumps(ae)
    asked = skops.io.get_untrusted_types(data=saved)
    assert sorted(asked) == [
        "networks_for_tests.small_dense_decoder",
        "skae._dense.AutoencoderTransformer",
    ]
    loaded = skops.io.loads(saved, trusted=asked)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
