"""Keras model subclasses with their own ``compute_loss``."""

import json

import numpy as np

from . import (
    import_keras,
    initial_values,  # noqa: F401  (registers the initializers saved models name)
    tensorflow_not_imported_for_configs,
)
from .elbo import gaussian_nll, kl_to_standard_normal
from .layers import Sampling

keras = import_keras()
ops = keras.ops


def _serialize_parts(model, names):
    """Config entries for the sub-models (or None) held in ``model``'s attributes."""
    serialize = keras.saving.serialize_keras_object
    return {
        name: serialize(getattr(model, name)) if getattr(model, name) is not None else None
        for name in names
    }


def _deserialize_parts(config, names):
    config = dict(config)
    for name in names:
        if config.get(name) is not None:
            config[name] = keras.saving.deserialize_keras_object(config[name])
    return config


@keras.saving.register_keras_serializable(package="skae")
class VariationalAutoencoder(keras.Model):
    """``decoder(sample(encoder(x)))`` trained on the negative ELBO.

    The decoder's likelihood is Gaussian with one learned noise variance
    (``log_noise_var``), so the loss is a true negative evidence lower bound
    in the units of the standardised data, and the balance between the
    reconstruction and KL terms is learned rather than set by hand
    (Rybkin et al., "Simple and Effective VAE Training with Calibrated
    Decoders", 2021). ``beta`` weights the KL term; during the first
    ``warmup_steps`` training steps its weight rises linearly from 0.

    ``call`` returns ``(reconstruction, z_mean, z_log_var)``; at inference the
    reconstruction decodes the posterior mean.
    """

    def __init__(self, encoder, decoder, beta=1.0, warmup_steps=0, noise=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.warmup_steps = int(warmup_steps)
        self.noise = noise
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.log_noise_var = self.add_weight(
            name="log_noise_var", shape=(), initializer="zeros", trainable=True
        )
        self.kl_step = self.add_weight(
            name="kl_step", shape=(), initializer="zeros", trainable=False
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling([mean, log_var], training=training)
        return self.decoder(z, training=training), mean, log_var

    def noise_log_variance(self):
        """The learned log-variance of the likelihood (standardised units), a float."""
        # np.asarray, not ops.convert_to_numpy: that calls np.array on the
        # variable, whose __array__ lacks NumPy 2's copy keyword (a DeprecationWarning).
        return float(np.asarray(self.log_noise_var))

    def kl_weight(self):
        if self.warmup_steps <= 0:
            return self.beta
        return self.beta * ops.minimum(1.0, (self.kl_step + 1.0) / self.warmup_steps)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # In the variables' dtype (float32 under a mixed-precision policy, whose
        # layers compute in float16 or bfloat16; float64 with floatx float64).
        y, reconstruction, mean, log_var = (ops.cast(v, self.dtype) for v in (y, *y_pred))
        nll = gaussian_nll(y, reconstruction, self.log_noise_var, ops)
        kl = kl_to_standard_normal(mean, log_var, ops)
        loss = nll + self.kl_weight() * kl
        if sample_weight is not None:  # one per sample, whatever the engine shaped it to
            sample_weight = ops.reshape(sample_weight, (-1,))
        if sample_weight is None:
            loss = ops.mean(loss)
        else:  # the batch mean of the weighted per-sample terms, as Keras' losses
            loss = ops.mean(loss * _per_sample(sample_weight, loss))
        if training:
            self.kl_step.assign_add(1.0)
        self.reconstruction_tracker.update_state(nll, sample_weight=sample_weight)
        self.kl_tracker.update_state(kl, sample_weight=sample_weight)
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            **_serialize_parts(self, ("encoder", "decoder", "noise")),
            "beta": self.beta,
            "warmup_steps": self.warmup_steps,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**_deserialize_parts(config, ("encoder", "decoder", "noise")))


@keras.saving.register_keras_serializable(package="skae")
class MaskedAutoencoder(keras.Model):
    """``decoder(encoder(x))`` trained on the squared error of observed entries only.

    The target ``y`` is the (zero-filled) data and its observed-entries mask,
    ``(x, mask)``: missing entries do not count in the loss, so the network
    never learns to reproduce the filler.
    """

    def __init__(self, encoder, decoder, noise=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.noise = noise

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        return self.decoder(self.encoder(x, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, mask = (ops.cast(part, self.dtype) for part in y)  # see the VAE's
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is not None:  # each observed entry weighs its row's weight
            mask = mask * _per_sample(sample_weight, mask)
        return ops.sum(mask * ops.square(target - y_pred)) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {**super().get_config(), **_serialize_parts(self, ("encoder", "decoder", "noise"))}

    @classmethod
    def from_config(cls, config):
        return cls(**_deserialize_parts(config, ("encoder", "decoder", "noise")))


def _per_sample(sample_weight, values):
    """``sample_weight`` (one per row) shaped to broadcast against ``values``."""
    sample_weight = ops.cast(sample_weight, values.dtype)
    return ops.reshape(sample_weight, (-1,) + (1,) * (len(values.shape) - 1))


def continue_from(fitted, model, name):
    """Give ``model`` the weights of ``fitted``, the model it continues training.

    Raises a ValueError naming the difference when the current parameters
    build networks of other shapes (``warm_start`` and ``partial_fit`` keep
    the fitted architecture).
    """
    old = [tuple(w.shape) for w in fitted.weights]
    new = [tuple(w.shape) for w in model.weights]
    if old != new:
        raise ValueError(
            f"{name} cannot continue training (warm_start=True or partial_fit): the "
            f"current parameters build networks with weights of shapes {new}, but the "
            f"fitted networks have {old}. Keep n_components and the architecture "
            "parameters of the first fit, or set warm_start=False to start again."
        )
    # The random generators' states too (sampling, noise), so that the draws
    # continue rather than repeat, unless the noise parameters changed them.
    if [tuple(v.shape) for v in fitted.variables] == [tuple(v.shape) for v in model.variables]:
        for variable, value in zip(model.variables, fitted.variables, strict=True):
            variable.assign(value)
    else:
        model.set_weights(fitted.get_weights())


#: The version of the saved model state; a file of another format is refused.
MODEL_STATE_FORMAT = "skae.model-state/2"

# Where the classes and functions of a saved configuration may come from.
# Keras' own deserialiser (safe_mode) resolves nothing else either, except
# objects registered with ``register_keras_serializable`` (skae's, a user's
# own layers); checking the configuration first keeps that true with any
# Keras release, not only with those that restrict it themselves.
_ALLOWED_MODULES = ("keras", "keras.", "skae.", "builtins")


def model_state(model):
    """The model as plain data: its Keras configuration (JSON) and its variables' values.

    Not Keras' own pickling, which also saves the compile state: the
    estimator keeps the optimizer's state itself (``_optimizer_state``), and
    a compiled model whose optimizer was never built (the TensorFlow engine
    trains a worker's) would warn on every load that the optimizer's
    variables do not match. Nothing in it is code: a file holding it runs
    nothing when it is read (:func:`model_from_state`).
    """
    values = [np.asarray(v) for v in model.variables]  # see noise_log_variance
    with tensorflow_not_imported_for_configs():
        config = keras.saving.serialize_keras_object(model)
    return {"format": MODEL_STATE_FORMAT, "config": json.dumps(config), "variables": values}


def check_config_is_safe(config, where="config"):
    """Raise ``ValueError`` if a Keras configuration names code from outside Keras and skae.

    Refused: a ``Lambda`` layer or function given as bytecode, and any class
    or function whose module is not Keras', skae's or a registered custom
    object's (``os.system``, say).
    """
    if isinstance(config, list):
        for i, item in enumerate(config):
            check_config_is_safe(item, f"{where}[{i}]")
        return
    if not isinstance(config, dict):
        return
    name = config.get("class_name")
    if name in ("__lambda__", "Lambda"):
        raise ValueError(
            f"The saved model holds a {name} ({where}): code, which skae never loads from "
            "a file. Save models whose layers are Keras', skae's or registered classes."
        )
    module = config.get("module")
    if isinstance(module, str) and "class_name" in config:
        registered = config.get("registered_name")
        known = registered and keras.saving.get_registered_object(registered) is not None
        if not known and not (module == "keras" or module.startswith(_ALLOWED_MODULES)):
            raise ValueError(
                f"The saved model names {module}.{name} ({where}), which is neither Keras', "
                "skae's nor a registered Keras object: skae refuses to load it."
            )
    for key, value in config.items():
        check_config_is_safe(value, f"{where}.{key}")


def model_from_state(state):
    """Inverse of :func:`model_state`, with Keras' ``safe_mode`` (skae's layers are
    registered on import)."""
    if not isinstance(state, dict) or state.get("format") != MODEL_STATE_FORMAT:
        raise ValueError(
            f"Expected a saved model state of format {MODEL_STATE_FORMAT!r}. "
            f"Received: {type(state).__name__}"
            + (f" of format {state.get('format')!r}" if isinstance(state, dict) else "")
        )
    config = json.loads(state["config"])
    check_config_is_safe(config)
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    values = state["variables"]
    if len(values) != len(model.variables):
        raise ValueError(
            f"The saved model has {len(values)} variable values for a model of "
            f"{len(model.variables)} variables."
        )
    for variable, value in zip(model.variables, values, strict=True):
        variable.assign(np.asarray(value))
    return model


def saved_state(state):
    """An estimator's ``__getstate__`` with ``model_`` as plain data (:func:`model_state`).

    The named networks (``_network_names``) are views into ``model_``:
    saved apart they would load as independent copies of the weights, so
    they are left out and found again in the model on loading.
    """
    state = dict(state)  # object.__getstate__ returns the instance's own __dict__
    for name in state.get("_network_names", ()):
        state.pop(f"{name}_", None)
    state["model_"] = model_state(state["model_"])
    return state


def loaded_state(state):
    """Inverse of :func:`saved_state`: the model, and its named networks as its layers."""
    state = dict(state)
    state["model_"] = model_from_state(state["model_"])
    for name in state.get("_network_names", ()):
        state[f"{name}_"] = state["model_"].get_layer(name)
    return state
