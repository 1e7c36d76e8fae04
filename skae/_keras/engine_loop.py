"""The epoch loop every compiled backend shares, and the cache of compiled programs.

A backend module (:mod:`~skae._keras.engine_jax`,
:mod:`~skae._keras.engine_tensorflow`) provides a *session*: the fit's state
on that backend and its compiled programs, with these operations -
``run(kind, data, rows, flips)`` runs the batches ``rows`` (shape
``(n_batches, batch_size)``) of one call (a session whose
``joins_last_batch`` is true also takes ``last=(rows, flips)``, one shorter
batch run after them in the same call), ``write(model)`` / ``read(model)``
move the weights between the session and the estimator's model (``read``
also takes the optimizer's learning rate, which a callback may change), and
``optimizer_state()`` hands back the optimizer's variables as arrays (a
session starts from ``fit.optimizer_state`` when given, see
:func:`restore_optimizer`); ``close()``, where a session has it, ends
it. A session builds what it needs of the (compiled) model. This module
runs the epochs: batch order, grouping of batches into calls, reading
out-of-core chunks, callbacks, history. It imports no backend.
"""

import collections
import json
import threading
import types

import numpy as np

from . import tensorflow_not_imported_for_configs
from .fit_description import epoch_batches, flip_draws

# In-memory training data (inputs and targets) up to this size lives on the
# device for the whole fit; above it, chunks of batches are sent per call.
DEVICE_BUDGET_BYTES = 1 << 30
# Bytes of rows per call when the data is sent in chunks.
CHUNK_BYTES = 64 << 20


def run(fit, keras, session_class, leaves):
    """Train ``fit.model`` as ``fit`` describes, with a session of ``session_class``.

    ``leaves(tree)`` lists the arrays of a (nested) batch. Returns the history
    and the optimizer's final state. The session's ``close()``, where it has
    one, runs when the fit ends, on an error too.
    """
    model = fit.model
    model.compile(optimizer=fit.optimizer, loss=fit.loss)
    probe = fit.make_batch(fit.data[fit.train_rows[: fit.batch_size]])
    session = session_class(fit, probe)
    try:
        return _epochs(fit, keras, session, leaves, probe)
    finally:
        getattr(session, "close", lambda: None)()


def _epochs(fit, keras, session, leaves, probe):
    """The epochs of :func:`run`, on a started session."""
    model = fit.model
    row_bytes = sum(np.asarray(a).nbytes for a in leaves(probe)) / len(leaves(probe)[0])
    on_device = isinstance(fit.data, np.ndarray) and row_bytes * len(fit.data) <= (
        DEVICE_BUDGET_BYTES
    )
    device_data = session.put(fit.make_batch(fit.data)) if on_device else None
    per_call = None if on_device else max(1, int(CHUNK_BYTES // (row_bytes * fit.batch_size)))

    # Last, as in Model.fit: what the other callbacks add to the logs (a
    # scheduler's learning rate) is recorded too.
    recorder = keras.callbacks.History()
    callbacks = keras.callbacks.CallbackList(
        [*fit.callbacks, recorder],
        add_progbar=fit.verbose != 0,
        verbose=fit.verbose,
        epochs=fit.initial_epoch + fit.epochs,
        steps=fit.steps_per_epoch,
        model=model,
    )
    model.stop_training = False
    logs = {}
    callbacks.on_train_begin()
    for epoch in range(fit.initial_epoch, fit.initial_epoch + fit.epochs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_train_batch_begin(0)
        # The callbacks may have changed the weights or the learning rate
        # (LearningRateScheduler, ReduceLROnPlateau): the session follows them.
        session.read(model)
        batches = epoch_batches(fit.train_rows, fit.batch_size, fit.seed, epoch)
        flips = None
        if fit.flip_horizontal:
            flips = [flip_draws(fit.seed, epoch, i, len(b)) for i, b in enumerate(batches)]
        logs = _epoch(session, "train", fit, batches, flips, device_data, per_call)
        session.write(model)
        callbacks.on_train_batch_end(fit.steps_per_epoch - 1, logs)
        if len(fit.val_rows):
            val_batches = epoch_batches(fit.val_rows, fit.batch_size)
            val_logs = _epoch(session, "test", fit, val_batches, None, device_data, per_call)
            logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
    return recorder.history, session.optimizer_state()


def _epoch(session, kind, fit, batches, flips, device_data, per_call):
    """Run one epoch's batches: runs of full batches per call, a short last one alone.

    Where the data is on the device and the session can (``joins_last_batch``),
    the short last batch runs in the call of the full ones: one compiled
    program to build instead of two. Metrics carry over from call to call
    within the epoch, so the logs of the last call are the epoch's (Keras'
    running means).
    """
    session.reset_metrics()
    full = [b for b in batches if len(b) == fit.batch_size]
    short = len(full) < len(batches)
    joined = (
        short
        and len(full) > 0
        and device_data is not None
        and getattr(session, "joins_last_batch", False)
    )
    groups = []
    step = per_call or len(full) or 1
    for start in range(0, len(full), step):
        groups.append((start, full[start : start + step]))
    if short and not joined:
        groups.append((len(batches) - 1, batches[-1:]))
    logs = None
    for start, group in groups:
        rows = np.stack(group).astype(np.int32)
        group_flips = None if flips is None else np.stack(flips[start : start + len(group)])
        if device_data is not None:
            data = device_data
        else:  # read this chunk's rows and send them for this call only
            data = session.put(fit.make_batch(fit.data[np.concatenate(group)]))
            rows = np.arange(rows.size, dtype=np.int32).reshape(rows.shape)
        if joined and start + len(group) == len(full):
            last = (np.asarray(batches[-1], dtype=np.int32), None if flips is None else flips[-1])
            logs = session.run(kind, data, rows, group_flips, last=last)
        else:
            logs = session.run(kind, data, rows, group_flips)
    return {name: float(np.asarray(value)) for name, value in logs.items()}


def learning_rate_position(variables):
    """Index of the learning rate among an optimizer's ``variables``, or None
    (a learning-rate schedule is no variable)."""
    names = [variable.name for variable in variables]
    return names.index("learning_rate") if "learning_rate" in names else None


def restore_optimizer(variables, state, values):
    """The values ``variables`` start from: ``state`` where given, else ``values``.

    The learning rate always keeps its value in ``values`` (the current
    parameters), so that a continued fit may change it. A state of another
    structure (another optimizer) is a ValueError.
    """
    if state is None:
        return list(values)
    shapes = [tuple(np.shape(a)) for a in state]
    if shapes != [tuple(v.shape) for v in variables]:
        names = [v.name for v in variables]
        raise ValueError(
            "Cannot continue training with this optimizer: its state "
            f"{names} does not match the saved one ({len(state)} arrays of shapes "
            f"{shapes}). Use the optimizer of the first fit, or set warm_start=False."
        )
    return [
        value if variable.name == "learning_rate" else saved
        for variable, value, saved in zip(variables, values, state, strict=True)
    ]


def concatenate_outputs(chunks):
    """Per-chunk inference outputs joined along rows (a tuple for several outputs)."""
    if isinstance(chunks[0], (list, tuple)):
        return tuple(
            concatenate_outputs([chunk[i] for chunk in chunks]) for i in range(len(chunks[0]))
        )
    arrays = [np.asarray(chunk) for chunk in chunks]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


class ProgramCache:
    """Compiled programs (or working models) kept for later fits of one architecture.

    Weights, optimizer state, metrics and data are arguments of the compiled
    programs, so a model of the same architecture, optimizer and loss runs
    the program compiled for an earlier one: a search's folds and candidates
    pay for compiling once. Bounded: the least recently used go first. Safe
    for fits running at once in threads (two may build the same entry; one
    is kept).
    """

    def __init__(self, size):
        self.size = size
        self.entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        if key is None:
            return build()
        with self._lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        entry = build()  # outside the lock: compiling may take seconds
        with self._lock:
            entry = self.entries.setdefault(key, entry)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return entry

    def clear(self):
        self.entries.clear()

    def __len__(self):
        return len(self.entries)


# Configuration entries that set only initial values (weights, the seed
# generators' first state): models that differ only there trace to the same
# program, whose state arguments carry those values.
_INITIAL_VALUE_KEYS = {
    "kernel_initializer",
    "bias_initializer",
    "recurrent_initializer",
    "embeddings_initializer",
    "gamma_initializer",
    "beta_initializer",
    "moving_mean_initializer",
    "moving_variance_initializer",
    "seed",
}


def architecture(model, *extra):
    """A key equal for models that trace to the same program, or None.

    Built from the model's configuration without what only sets initial
    values and with its layers named by position (Keras numbers the names it
    makes up, so two builds of one network differ there: a user's network
    that names no layer), the optimizer's configuration without its numbered
    name,
    ``extra`` (the loss, options of the compiled loop), and the code that
    configurations only name (:func:`_code_identity`).
    """
    try:
        with tensorflow_not_imported_for_configs():
            layers = model._flatten_layers(include_self=True, recursive=True)
            positions = {layer.name: f"layer {i}" for i, layer in enumerate(layers)}
            config = _by_position(_without_initial_values(model.get_config()), positions)
            parts = [config, *map(repr, extra)]
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None:
                config = dict(optimizer.get_config())
                config.pop("name", None)
                parts += [type(optimizer).__name__, config, id(type(optimizer))]
            parts.append(_code_identity(model))
        return json.dumps(parts, sort_keys=True, default=repr)
    except Exception:  # a model that cannot describe itself is compiled for itself
        return None


def _code_identity(model):
    """The identities of the layers' classes and of the functions of the user's they hold.

    A configuration names a class or a function, so a layer class or an
    activation defined again under the same name (a notebook cell edited and
    run again) would otherwise reuse the program traced with the old code.
    Keras' own functions are named well enough by the configuration. The
    cached program keeps its model alive, so no identity is reused while its
    key is in the cache.
    """
    parts = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        parts.append(id(type(layer)))
        for value in vars(layer).values():
            if isinstance(value, types.FunctionType) and not value.__module__.startswith("keras"):
                parts.append(id(value))
    return parts


def _by_position(config, positions):
    """``config`` with the layer names in ``positions`` replaced by their positions.

    Only where a configuration holds a layer's name: its ``name``, the first
    entry of a ``keras_history`` (the layer a tensor comes from), and the
    entries of ``input_layers`` / ``output_layers``. Other strings are kept
    even where they equal a layer's name (an ``Activation`` layer named
    ``"relu"``).
    """
    if isinstance(config, list):
        return [_by_position(value, positions) for value in config]
    if not isinstance(config, dict):
        return config
    renamed = {}
    for key, value in config.items():
        if key == "name" and isinstance(value, str):
            renamed[key] = positions.get(value, value)
        elif key in ("keras_history", "input_layers", "output_layers"):
            renamed[key] = _layer_references(value, positions)
        else:
            renamed[key] = _by_position(value, positions)
    return renamed


def _layer_references(value, positions):
    """``[name, node, tensor]`` (or lists of them) with each name replaced by its position."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [positions.get(value[0], value[0]), *value[1:]]
    if isinstance(value, list):
        return [_layer_references(item, positions) for item in value]
    return value


def _without_initial_values(config):
    if isinstance(config, dict):
        return {
            key: _without_initial_values(value)
            for key, value in config.items()
            if key not in _INITIAL_VALUE_KEYS
        }
    if isinstance(config, (list, tuple)):
        return [_without_initial_values(value) for value in config]
    return config
