"""The epoch loop every compiled backend shares, the session contract, and the program cache.

Separation of concerns:

- :mod:`~skae._keras.fit_description` says what a fit is (its data as
  row-aligned arrays, its batch order); :mod:`~skae._keras.batches` composes
  a batch from the arrays, inside the compiled step.
- :mod:`~skae._keras.engine` (the front) builds the callbacks and picks the
  backend module.
- This module runs the epochs: batch order, grouping of batches into calls,
  reading out-of-core chunks, callbacks, history. It imports no backend.
- A backend module (:mod:`~skae._keras.engine_jax`,
  :mod:`~skae._keras.engine_tensorflow`) provides a :class:`Session`: the
  fit's state on that backend and its compiled programs.
"""

import collections
import json
import math
import threading
import types
import weakref
from typing import Protocol

import numpy as np

from . import batches, import_keras, tensorflow_not_imported_for_configs
from .fit_description import FitData, FitDescription, augmentation_draws, epoch_batches

# In-memory training data up to this size lives on the device for the whole
# fit; above it, chunks of batches are sent per call.
DEVICE_BUDGET_BYTES = 1 << 30
# Bytes of rows per call when the data is sent in chunks.
CHUNK_BYTES = 64 << 20
# Where the data is on the device, an epoch's short last batch runs in the
# call of its full batches (``Session.run``'s ``last``): one compiled program
# to build instead of two.
JOIN_LAST_BATCH = True


class Session(Protocol):
    """A fit's state on one backend and its compiled programs: what the loop needs.

    Made with the fit's :class:`~skae._keras.fit_description.FitDescription`
    (after ``fit.model`` is compiled) and ``probe``, its first training
    batch in NumPy; it builds what it needs of the model and starts the
    optimizer from ``fit.optimizer_state`` where given (see
    :func:`restore_optimizer`). ``data`` below is the fit's
    :class:`~skae._keras.fit_description.FitData` (or a chunk of its rows),
    as :meth:`put` made it.
    """

    def __init__(self, fit: FitDescription, probe: tuple) -> None: ...

    def put(self, arrays: tuple) -> tuple:
        """The arrays where the compiled programs read them (the device)."""

    def reset_metrics(self) -> None:
        """Start the running means of the losses and metrics anew (each epoch)."""

    def run(
        self,
        kind: str,
        data: tuple,
        rows: np.ndarray,
        draws: np.ndarray | None,
        last: tuple | None = None,
    ) -> dict:
        """Run batches ``rows`` (int32, shape ``(n_batches, batch_size)``) of ``data``.

        ``kind`` is ``"train"`` or ``"test"``; ``draws`` (int32, the shape of
        ``rows``, or None) say how each image is augmented where the fit
        augments (:func:`~skae._keras.fit_description.augmentation_draws`);
        ``last``, where given, is ``(rows, draws)`` of one shorter batch run
        after them. Returns the running logs after the last batch.
        """

    def read(self, model) -> None:
        """Take the weights and the optimizer's learning rate from ``model``."""

    def write(self, model) -> None:
        """Put the trained weights into ``model``."""

    def optimizer_state(self) -> list:
        """The optimizer's variables, as arrays."""

    def close(self) -> None:
        """End the session (on an error too)."""


def run(fit, session_class, callbacks):
    """Train ``fit.model`` as ``fit`` describes, with a session of ``session_class``.

    ``callbacks`` are all of the fit's callbacks (the front's
    :func:`~skae._keras.engine.fit_callbacks`). Returns the history and the
    optimizer's final state.
    """
    keras = import_keras()
    model = fit.model
    model.compile(optimizer=fit.optimizer, loss=fit.loss)
    data = fit.data
    first = fit.train_rows[: fit.batch_size]
    probe = batches.compose(rows_of(data, first), np.arange(len(first)), xp=np)
    size = row_bytes(data)
    in_memory = all(isinstance(array, np.ndarray) for array in leaves(data))
    on_device = in_memory and size * len(data.inputs) <= DEVICE_BUDGET_BYTES
    session = session_class(fit, probe)
    try:
        device_data = session.put(data) if on_device else None
        per_call = None if on_device else max(1, int(CHUNK_BYTES // (size * fit.batch_size)))

        # Last, as in Model.fit: what the other callbacks add to the logs (a
        # scheduler's learning rate) is recorded too.
        recorder = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList(
            [*callbacks, recorder],
            add_progbar=fit.verbose != 0,
            verbose=fit.verbose,
            epochs=fit.initial_epoch + fit.epochs,
            steps=fit.steps_per_epoch,
            model=model,
        )
        model.stop_training = False
        logs = {}
        callback_list.on_train_begin()
        for epoch in range(fit.initial_epoch, fit.initial_epoch + fit.epochs):
            callback_list.on_epoch_begin(epoch)
            callback_list.on_train_batch_begin(0)
            # The callbacks may have changed the weights or the learning rate
            # (LearningRateScheduler, ReduceLROnPlateau): the session follows them.
            session.read(model)
            train_batches = epoch_batches(fit.train_rows, fit.batch_size, fit.seed, epoch)
            draws = None
            if fit.augmentation:
                draws = [
                    augmentation_draws(fit.augmentation, fit.seed, epoch, i, len(b))
                    for i, b in enumerate(train_batches)
                ]
            logs = _epoch(session, "train", fit, train_batches, draws, device_data, per_call)
            session.write(model)
            callback_list.on_train_batch_end(fit.steps_per_epoch - 1, logs)
            if len(fit.val_rows):
                val_batches = epoch_batches(fit.val_rows, fit.batch_size)
                val_logs = _epoch(session, "test", fit, val_batches, None, device_data, per_call)
                logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end(logs)
        return recorder.history, session.optimizer_state()
    finally:
        session.close()


def _epoch(session, kind, fit, epoch_rows, draws, device_data, per_call):
    """Run one epoch's epoch_rows: runs of full epoch_rows per call, a short last one alone.

    Where the data is on the device (and :data:`JOIN_LAST_BATCH`), the short
    last batch runs in the call of the full ones. Metrics carry over from
    call to call within the epoch, so the logs of the last call are the
    epoch's (Keras' running means).
    """
    session.reset_metrics()
    full = [b for b in epoch_rows if len(b) == fit.batch_size]
    short = len(full) < len(epoch_rows)
    joined = short and len(full) > 0 and device_data is not None and JOIN_LAST_BATCH
    groups = []
    step = per_call or len(full) or 1
    for start in range(0, len(full), step):
        groups.append((start, full[start : start + step]))
    if short and not joined:
        groups.append((len(epoch_rows) - 1, epoch_rows[-1:]))
    logs = None
    for start, group in groups:
        rows = np.stack(group).astype(np.int32)
        group_draws = None if draws is None else np.stack(draws[start : start + len(group)])
        if device_data is not None:
            data = device_data
        else:  # read this chunk's rows and send them for this call only
            data = session.put(rows_of(fit.data, np.concatenate(group)))
            rows = np.arange(rows.size, dtype=np.int32).reshape(rows.shape)
        last = None
        if joined and start + len(group) == len(full):
            last_draws = None if draws is None else draws[-1]
            last = (np.asarray(epoch_rows[-1], dtype=np.int32), last_draws)
        logs = session.run(kind, data, rows, group_draws, last)
    return {name: float(np.asarray(value)) for name, value in logs.items()}


def leaves(data):
    """The arrays of a :class:`FitData`, flat: inputs, targets, weights."""
    return [data.inputs, *data.targets, *data.sample_weight]


def rows_of(data, rows):
    """The :class:`FitData` of these rows only, read into memory."""
    return FitData(
        np.asarray(data.inputs[rows]),
        tuple(np.asarray(target[rows]) for target in data.targets),
        tuple(np.asarray(weights[rows]) for weights in data.sample_weight),
    )


def row_bytes(data):
    """Bytes of one row of all the arrays of a :class:`FitData`."""
    return sum(np.dtype(a.dtype).itemsize * math.prod(a.shape[1:]) for a in leaves(data))


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


_INFERENCE_KEYS = weakref.WeakKeyDictionary()


def inference_key(model):
    """The program cache's key for ``model``'s inference program, found once per model.

    Kept beside the model, not on it (no attribute of skae's on a Keras
    object), and the key only: the program, which holds a model, stays in
    the bounded cache. A model that cannot describe itself gets a key of its
    own, which lives while it does: the cached program holds the model, so
    the key cannot be reused by another while the entry exists.
    """
    key = _INFERENCE_KEYS.get(model)
    if key is None:
        key = architecture(model, "infer") or f"model {id(model)}"
        _INFERENCE_KEYS[model] = key
    return key


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
