"""The engine on JAX: whole epochs in one compiled call, the data on the device.

One ``jax.jit``-compiled function runs all the full batches of an epoch as a
``jax.lax.scan`` over their row indices, on Keras' stateless API
(``Model.train_step(state, data)``: ``stateless_call``, ``compute_loss``,
``optimizer.stateless_apply``); a short last batch is one more call of the
same function. Weights, optimizer state, metrics and data are its
arguments, never captured constants. In-memory data up to
:data:`DEVICE_BUDGET_BYTES` is put on the device once and each batch is a
gather there; larger or out-of-core data is read in chunks of many batches,
each put on the device for one call. Validation runs the same way with
``Model.test_step``. Python runs a few times per epoch, for the callbacks.
"""

import collections
import json

import numpy as np

from . import import_keras
from .fit_description import epoch_batches, flip_draws

keras = import_keras()

import jax  # noqa: E402  (this module is imported only on the JAX backend)
import jax.numpy as jnp  # noqa: E402

# In-memory training data (inputs and targets) up to this size lives on the
# device for the whole fit; above it, chunks of batches are sent per call.
DEVICE_BUDGET_BYTES = 1 << 30
# Bytes of rows per call when the data is sent in chunks.
CHUNK_BYTES = 64 << 20

# Compiled programs kept for reuse by later fits of the same architecture
# (a search's folds and candidates); the oldest are dropped beyond this.
PROGRAM_CACHE_SIZE = 32
_programs = collections.OrderedDict()

# Inference runs on chunks of these sizes (the last one padded), so a model
# compiles at most one function per size whatever the number of rows.
PREDICT_SIZES = (1, 16, 256, 4096)


def train(fit):
    """Run ``fit``; return its history."""
    model = fit.model
    model.compile(optimizer=fit.optimizer, loss=fit.loss)
    probe = fit.make_batch(fit.data[fit.train_rows[: fit.batch_size]])
    model._symbolic_build(data_batch=probe)  # builds optimizer, losses and metrics
    on_device = (
        isinstance(fit.data, np.ndarray)
        and _nbytes(probe) / len(probe[0]) * len(fit.data) <= DEVICE_BUDGET_BYTES
    )
    device_data = jax.device_put(fit.make_batch(fit.data)) if on_device else None
    train_epoch, test_epoch = _epoch_functions(model, fit.flip_horizontal)

    model.reset_metrics()
    fresh_metrics = [v.value for v in model.metrics_variables]
    callbacks = keras.callbacks.CallbackList(
        fit.callbacks,
        add_progbar=fit.verbose != 0,
        verbose=fit.verbose,
        epochs=fit.epochs,
        steps=fit.steps_per_epoch,
        model=model,
    )
    model.stop_training = False
    history = {}
    callbacks.on_train_begin()
    optimizer_state = [v.value for v in model.optimizer.variables]
    for epoch in range(fit.epochs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_train_batch_begin(0)
        state = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            optimizer_state,
            fresh_metrics,
        )
        batches = epoch_batches(fit.train_rows, fit.batch_size, fit.seed, epoch)
        flips = None
        if fit.flip_horizontal:
            flips = [flip_draws(fit.seed, epoch, i, len(b)) for i, b in enumerate(batches)]
        logs, state = _run(train_epoch, state, fit, batches, device_data, flips)
        trainable, non_trainable, optimizer_state, _ = state
        _assign(model.trainable_variables, trainable)
        _assign(model.non_trainable_variables, non_trainable)
        logs = _to_floats(logs)
        callbacks.on_train_batch_end(fit.steps_per_epoch - 1, logs)
        if len(fit.val_rows):
            val_state = (trainable, non_trainable, fresh_metrics)
            val_batches = epoch_batches(fit.val_rows, fit.batch_size)
            val_logs, _ = _run(test_epoch, val_state, fit, val_batches, device_data, None)
            logs.update({f"val_{name}": value for name, value in _to_floats(val_logs).items()})
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    _assign(model.optimizer.variables, optimizer_state)
    callbacks.on_train_end(logs)
    return history


def _cached(key, build):
    """The program stored under ``key``, built by ``build()`` the first time.

    Weights, optimizer state, metrics and data are arguments of the compiled
    programs, so a model of the same architecture, optimizer and loss (the
    key) runs the program compiled for an earlier one: a search's fits pay
    for compiling once. The cache is bounded (:data:`PROGRAM_CACHE_SIZE`).
    """
    if key is None:
        return build()
    if key in _programs:
        _programs.move_to_end(key)
        return _programs[key]
    program = _programs[key] = build()
    while len(_programs) > PROGRAM_CACHE_SIZE:
        _programs.popitem(last=False)
    return program


def _architecture(model, *extra):
    """A key that is equal for models that trace to the same program, or None."""
    try:
        parts = [model.get_config(), *extra]
        if getattr(model, "optimizer", None) is not None:
            optimizer = dict(model.optimizer.get_config())
            optimizer.pop("name", None)  # numbered per instance; no part of the program
            parts += [type(model.optimizer).__name__, optimizer]
        return json.dumps(parts, sort_keys=True, default=repr)
    except Exception:  # a model that cannot describe itself is compiled for itself
        return None


def _epoch_functions(model, flip_horizontal):
    """Compiled ``(state, data, rows, flips) -> (logs, state)`` for training and testing.

    ``rows`` has shape (n_batches, batch_size): the scan's steps. ``data`` is
    the tree ``(x, y)`` the rows index into. Shared by models of one
    architecture (see :func:`_cached`).
    """
    key = _architecture(model, "train", repr(model.loss), flip_horizontal)
    return _cached(key, lambda: _build_epoch_functions(model, flip_horizontal))


def _build_epoch_functions(model, flip_horizontal):

    def batch(data, rows, flip):
        x, y = jax.tree.map(lambda a: a[rows], data)
        if flip_horizontal and flip is not None:
            x = jnp.where(flip[:, None, None, None], x[:, :, ::-1], x)
            y = x
        return x, y

    def scan(step, state, data, rows, flips):
        def body(state, inputs):
            batch_rows, flip = inputs
            logs, state = step(state, batch(data, batch_rows, flip))
            return state, logs

        state, logs = jax.lax.scan(body, state, (rows, flips))
        return jax.tree.map(lambda values: values[-1], logs), state

    def train_epoch(state, data, rows, flips):
        return scan(model.train_step, state, data, rows, flips)

    def test_epoch(state, data, rows, flips):
        return scan(model.test_step, state, data, rows, flips)

    return jax.jit(train_epoch), jax.jit(test_epoch)


def _run(epoch_function, state, fit, batches, device_data, flips):
    """Run ``epoch_function`` over ``batches``: full ones in scans, a short last one alone.

    Metrics carry over from call to call, so the returned logs are the
    epoch's (Keras' running means).
    """
    logs = None
    for group, group_flips in _groups(fit, batches, device_data, flips):
        rows = np.stack([b for b in group]).astype(np.int32)
        group_flips = None if group_flips is None else np.stack(group_flips)
        if device_data is not None:
            data = device_data
        else:  # read this chunk's rows and send them for this call only
            data = fit.make_batch(fit.data[np.concatenate(group)])
            rows = np.arange(rows.size, dtype=np.int32).reshape(rows.shape)
        logs, state = epoch_function(state, data, rows, group_flips)
    return logs, state


def _groups(fit, batches, device_data, flips):
    """Consecutive runs of equally sized batches, each run one compiled call."""
    full = [b for b in batches if len(b) == fit.batch_size]
    per_call = len(full) or 1
    if device_data is None and full:
        row_bytes = max(1, _row_bytes(fit))
        per_call = max(1, min(len(full), CHUNK_BYTES // (row_bytes * fit.batch_size)))
    for start in range(0, len(full), per_call):
        stop = start + per_call
        yield full[start:stop], None if flips is None else flips[start:stop]
    if len(full) < len(batches):
        yield batches[-1:], None if flips is None else flips[-1:]


def _row_bytes(fit):
    probe = fit.make_batch(fit.data[fit.train_rows[:1]])
    return _nbytes(probe)


def _nbytes(tree):
    return sum(np.asarray(leaf).nbytes for leaf in jax.tree.leaves(tree))


def _assign(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def _to_floats(logs):
    return {name: float(np.asarray(value)) for name, value in logs.items()}


def predict(model, X, prepare):
    """``model`` applied to ``prepare(X[chunk])`` in chunks of :data:`PREDICT_SIZES`.

    The compiled inference function takes the weights as arguments and is
    kept with the model; each chunk is padded up to the next size, so any
    number of rows compiles at most ``len(PREDICT_SIZES)`` shapes.
    """
    infer = _inference_function(model)
    weights = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
    )
    largest = PREDICT_SIZES[-1]
    chunks = []
    for start in range(0, len(X), largest):
        x = np.asarray(prepare(X[start : start + largest]))
        n = len(x)
        size = next(s for s in PREDICT_SIZES if s >= n)
        if size > n:
            x = np.concatenate([x, np.zeros((size - n, *x.shape[1:]), dtype=x.dtype)])
        out = infer(weights, x)
        chunks.append(jax.tree.map(lambda a, n=n: np.asarray(a)[:n], out))
    if isinstance(chunks[0], (list, tuple)):
        return tuple(_concatenate([chunk[i] for chunk in chunks]) for i in range(len(chunks[0])))
    return _concatenate(chunks)


def _inference_function(model):
    function = getattr(model, "_skae_inference", None)
    if function is None:

        def build():
            def infer(weights, x):
                trainable, non_trainable = weights
                outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
                return outputs

            return jax.jit(infer)

        function = _cached(_architecture(model, "infer"), build)
        model._skae_inference = function
    return function


def _concatenate(arrays):
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
