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

    With ``sizes`` (ordered codes), the sampled code is decoded from its
    first k values for every k of ``sizes``, as :class:`OrderedAutoencoder`
    does, and the reconstruction term is the average over the sizes (the
    masked ELBO); the KL term counts every code. ``reconstruction`` is then
    the stack of the sizes' reconstructions along the batch.
    """

    def __init__(
        self, encoder, decoder, beta=1.0, warmup_steps=0, noise=None, seed=None, sizes=None,
        **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.warmup_steps = int(warmup_steps)
        self.noise = noise
        self.seed = seed
        self.sizes = None if sizes is None else tuple(int(k) for k in sizes)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.log_noise_var = self.add_weight(
            name="log_noise_var", shape=(), initializer="zeros", trainable=True
        )
        self.kl_step = self.add_weight(
            name="kl_step", shape=(), initializer="zeros", trainable=False
        )
        if self.sizes is not None:  # the values of absent codes, as OrderedAutoencoder's
            self.absent = self.add_weight(
                name="absent",
                shape=(len(self.sizes), encoder.output_shape[0][-1]),
                initializer="zeros",
            )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling([mean, log_var], training=training)
        if self.sizes is not None:
            reconstruction = _decode_prefixes(self.decoder, z, self.sizes, self.absent, training)
            return reconstruction, mean, log_var
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
        if self.sizes is not None:  # the average over the sizes, per sample
            n_sizes = len(self.sizes)
            y = _repeated(y, n_sizes)
            nll = gaussian_nll(y, reconstruction, self.log_noise_var, ops)
            nll = ops.mean(ops.reshape(nll, (n_sizes, -1)), axis=0)
        else:
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
            "sizes": None if self.sizes is None else list(self.sizes),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**_deserialize_parts(config, ("encoder", "decoder", "noise")))


def _prefix_masks(n_codes, sizes):
    """One row per size k: ones on the first k of ``n_codes`` codes, zeros after."""
    return np.array([[1.0] * k + [0.0] * (n_codes - k) for k in sizes], dtype="float32")


def _repeated(y, n_sizes):
    """The batch ``y`` once per prefix size, stacked as :func:`_decode_prefixes` stacks them."""
    tiled = ops.tile(ops.expand_dims(y, 0), (n_sizes,) + (1,) * len(y.shape))
    return ops.reshape(tiled, (-1,) + tuple(y.shape[1:]))


def _decode_prefixes(decoder, code, sizes, absent, training):
    """The decoder applied to every prefix of ``code``: ``(len(sizes) * batch, ...)``.

    For the prefix of size k (the i-th of ``sizes``), the codes after the
    first k take the learned values ``absent[i]``, as
    :meth:`skae.BaseAutoencoder.inverse_transform` fills a code of k columns;
    the sizes are stacked along the batch so that the decoder runs once.
    """
    masks = ops.convert_to_tensor(_prefix_masks(code.shape[-1], sizes), dtype=code.dtype)
    fill = ops.cast(absent, code.dtype) * (1.0 - masks)
    filled = ops.expand_dims(code, 0) * ops.expand_dims(masks, 1) + ops.expand_dims(fill, 1)
    return decoder(ops.reshape(filled, (-1, code.shape[-1])), training=training)


def _row_shares(n_rows, n_smaller, dtype):
    """``(n_rows, n_smaller)`` one-hot: row i goes to the (i mod n_smaller)-th smaller size."""
    return ops.cast(
        ops.equal(
            ops.expand_dims(ops.arange(n_rows) % n_smaller, 1),
            ops.expand_dims(ops.arange(n_smaller), 0),
        ),
        dtype,
    )


def _decode_full_and_shared(decoder, code, sizes, absent, training):
    """Every row decoded from the full code, then once more from a prefix:
    ``(2 * batch, ...)``.

    Row i of the second half is decoded from the prefix of the
    (i mod ``len(sizes) - 1``)-th smaller size, its other codes filled as in
    :func:`_decode_prefixes`.
    """
    masks = ops.convert_to_tensor(_prefix_masks(code.shape[-1], sizes), dtype=code.dtype)
    fill = ops.cast(absent, code.dtype) * (1.0 - masks)
    share = _row_shares(ops.shape(code)[0], len(sizes) - 1, code.dtype)
    row_mask, row_fill = ops.matmul(share, masks[:-1]), ops.matmul(share, fill[:-1])
    filled = ops.concatenate([code * masks[-1] + fill[-1], code * row_mask + row_fill], axis=0)
    return decoder(filled, training=training)


def _mean_over_prefixes(per_sample, n_sizes, sample_weight):
    """The prefix sizes' mean loss, with gradients balanced between the sizes.

    ``per_sample`` is ``(n_sizes * batch,)``: every row at every size.
    """
    per_sample = ops.reshape(per_sample, (n_sizes, -1))
    if sample_weight is not None:
        per_sample = per_sample * ops.reshape(ops.cast(sample_weight, per_sample.dtype), (1, -1))
    return _balanced(ops.mean(per_sample, axis=1), EVERY_SIZE_EMPHASIS)


def _mean_over_shared_rows(per_sample, n_sizes, sample_weight):
    """As :func:`_mean_over_prefixes`, for rows decoded by :func:`_decode_full_and_shared`.

    ``per_sample`` is ``(2 * batch,)``. A smaller size's loss is the mean over
    the rows it was given; a size given no row (a batch of fewer rows than
    sizes) is left out.
    """
    per_sample = ops.reshape(per_sample, (2, -1))
    if sample_weight is not None:
        per_sample = per_sample * ops.reshape(ops.cast(sample_weight, per_sample.dtype), (1, -1))
    share = _row_shares(ops.shape(per_sample)[1], n_sizes - 1, per_sample.dtype)
    counts = ops.sum(share, axis=0)
    smaller = ops.sum(share * ops.expand_dims(per_sample[1], 1), axis=0) / ops.maximum(counts, 1.0)
    losses = ops.concatenate([smaller, ops.mean(per_sample[0], keepdims=True)])
    given = ops.concatenate([ops.cast(counts > 0, losses.dtype), ops.ones((1,), losses.dtype)])
    return _balanced(losses, SHARED_ROWS_EMPHASIS, given)


#: The weight of the full code's loss in the gradient of an ordered fit that
#: decodes every size, the prefix sizes' weights being 1 (:func:`_balanced`).
#: 2 left the small prefixes of the digits' dense fits the furthest from
#: separate fits (seeds 0-5, k = 4: 1.08-1.22 x), 1.5 evens them out
#: (1.05-1.18 x; the full code 1.00-1.07 x -> 1.02-1.13 x), and on the LFW
#: faces as rows it changes little (``benchmarks/bench_ordered_emphasis.py``).
EVERY_SIZE_EMPHASIS = 1.5
#: The same with shared rows (:func:`_mean_over_shared_rows`), where each
#: prefix gets a share of the rows only: 1.5 made every prefix of the LFW
#: conv fit worse (1.04-1.19 x separate fits, against 1.02-1.09 x with 2).
#: With the conv defaults of shifted faces, 3 gave every prefix a lower
#: error than 2 on seeds 0 and 1 (x PCA at k = 8 / 16 / 32 / 64: 0.971 /
#: 0.931 / 0.964 / 1.079 against 0.975 / 0.940 / 0.976 / 1.103, and 0.982 /
#: 0.961 / 1.012 / 1.103 against 0.995 / 1.000 / 1.077 / 1.244); 4 helps
#: the full code further and hurts the smallest prefix (seed 0: 0.989 /
#: 0.938 / 0.969 / 1.062).
SHARED_ROWS_EMPHASIS = 3.0


def _balanced(losses, full_code_emphasis, given=None):
    """The sizes' mean loss (the last size the full code), gradients balanced.

    The value is the plain mean of the sizes' losses (what ``history_`` and
    early stopping see). The gradient weighs each size's loss by the mean
    over its own value, so that every size improves by the same relative
    amount, and the full code ``full_code_emphasis`` times as much: with
    equal weights the small codes' larger errors take the gradient, and the
    full code trains worse than a separate fit (``benchmarks/bench_ordered.py``).
    ``given`` (1 or 0 per size) leaves sizes out of both.
    """
    n_sizes = losses.shape[0]
    emphasis = [1.0] * (n_sizes - 1) + [full_code_emphasis]
    emphasis = ops.convert_to_tensor(emphasis, dtype=losses.dtype)
    if given is None:
        value = ops.mean(losses)
        scale = ops.stop_gradient(value / ops.maximum(losses, 1e-12)) * emphasis
        balanced = ops.mean(scale * losses) / ops.mean(emphasis)
    else:
        value = ops.sum(losses * given) / ops.sum(given)
        emphasis = emphasis * given
        scale = ops.stop_gradient(value / ops.maximum(losses, 1e-12)) * emphasis
        balanced = ops.sum(scale * losses) / ops.sum(emphasis)
    return value + balanced - ops.stop_gradient(balanced)


@keras.saving.register_keras_serializable(package="skae")
class OrderedAutoencoder(keras.Model):
    """``decoder(encoder(x))`` trained so that every prefix of the code decodes well.

    Each batch is decoded from its first k codes for every k of ``sizes``
    (Matryoshka representations, Kusupati et al., 2022; the prefixes of
    nested dropout, Rippel et al., 2014), the codes after the first k set to
    values learned for that size (``absent``, one row per size: "absent" is
    then not confused with a code of 0, and the decoder learns a bias of its
    own for each size). The sizes' losses are averaged, their gradients
    balanced (:func:`_balanced`). ``sizes`` are the powers of two below the
    code width and the width itself; a size between two of them is filled
    with the values of the smaller one.

    With ``shared_rows``, each row is decoded twice instead of once per
    size: from the full code, and from the prefix of one smaller size, the
    rows of a batch dealt out among the smaller sizes in turn (batches are
    shuffled every epoch, so a row meets every size). Each smaller size's
    loss is then a mean over its share of the rows. It halves the work of a
    convolutional decoder of seven sizes at about the same errors
    (``benchmarks/bench_ordered_shared_rows.py``).

    ``call`` returns the reconstructions of all the sizes (with
    ``shared_rows``, the two decodes), stacked along the batch; inference
    never calls this model (it uses the encoder and decoder).
    """

    def __init__(
        self, encoder, decoder, sizes, loss="mse", noise=None, shared_rows=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.sizes = tuple(int(k) for k in sizes)
        self.shared_rows = bool(shared_rows) and len(self.sizes) > 1
        self.loss_name = loss
        self.noise = noise
        self._per_sample_loss = keras.losses.get(loss)
        self.absent = self.add_weight(
            name="absent", shape=(len(self.sizes), encoder.output_shape[-1]), initializer="zeros"
        )

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        code = self.encoder(x, training=training)
        decode = _decode_full_and_shared if self.shared_rows else _decode_prefixes
        return decode(self.decoder, code, self.sizes, self.absent, training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y, y_pred = ops.cast(y, self.dtype), ops.cast(y_pred, self.dtype)  # see the VAE's
        n_decodes = 2 if self.shared_rows else len(self.sizes)
        per_sample = self._per_sample_loss(_repeated(y, n_decodes), y_pred)
        per_sample = ops.reshape(per_sample, (ops.shape(per_sample)[0], -1))
        per_sample = ops.mean(per_sample, axis=1)
        if sample_weight is not None:
            sample_weight = ops.reshape(sample_weight, (-1,))
        mean = _mean_over_shared_rows if self.shared_rows else _mean_over_prefixes
        return mean(per_sample, len(self.sizes), sample_weight)

    def get_config(self):
        return {
            **super().get_config(),
            **_serialize_parts(self, ("encoder", "decoder", "noise")),
            "sizes": list(self.sizes),
            "loss": self.loss_name,
            "shared_rows": self.shared_rows,
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
