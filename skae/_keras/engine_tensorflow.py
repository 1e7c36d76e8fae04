"""The engine on TensorFlow: whole epochs in one ``tf.function`` call, data in the graph.

A *worker* - a copy of the estimator's model, compiled once - runs each
call's batches in a ``tf.while_loop`` inside one ``tf.function``, each step
Keras' own ``Model.train_step`` (or ``test_step``) on a batch gathered from
the data, which is an argument of the function (a tensor), never a captured
constant. Workers are kept (:data:`PROGRAMS`) for later fits of the same
architecture, optimizer and loss: each fit writes its initial weights and a
fresh optimizer state into the worker, trains it, and reads the weights
back, so a search traces its functions once instead of once per fit (and
keeps no traced graphs per fit). A fit takes its worker for itself
(:class:`IdleWorkers`): fits running at once in threads train workers of
their own. The epochs themselves are run by :mod:`skae._keras.engine_loop`.
"""

import threading

import numpy as np

from . import batches, engine_loop, import_keras
from .code_fit import adam_step, observed_error
from .fit_description import NO_AUGMENTATION

keras = import_keras()

import tensorflow as tf  # noqa: E402  (this module is imported only on TensorFlow)

PROGRAMS = engine_loop.ProgramCache(16)

# Rows per inference call: large enough to keep the math libraries busy,
# small enough to bound the memory of one call.
PREDICT_CHUNK = 4096


class Worker:
    """A compiled working model and its epoch functions."""

    def __init__(self, fit, probe, model):
        if model is not fit.model:
            model.compile(
                optimizer=type(fit.optimizer).from_config(fit.optimizer.get_config()),
                loss=fit.loss,
            )
            model._symbolic_build(data_batch=probe)
        self.model = model
        self.initial_optimizer = [v.numpy() for v in model.optimizer.variables]
        data_spec = tf.nest.map_structure(
            lambda a: tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(np.dtype(a.dtype))),
            fit.data,
        )
        per_output = fit.loss is not None
        self.programs = {
            "train": _epoch_function(
                model, model.train_step, fit.augmentation, per_output, data_spec
            ),
            "test": _epoch_function(model, model.test_step, NO_AUGMENTATION, per_output, data_spec),
        }


class Session(engine_loop.Session):
    """A fit on a worker: its weights and optimizer state live in the worker's variables."""

    def __init__(self, fit, probe):
        array_spec = [(a.shape[1:], np.dtype(a.dtype).str) for a in tf.nest.flatten(fit.data)]
        key = engine_loop.architecture(
            fit.model, "train", fit.model.loss, fit.augmentation, array_spec
        )
        self.idle = None if key is None else PROGRAMS.get(key, IdleWorkers)
        self.worker = None if self.idle is None else self.idle.take(lambda: _worker(fit, probe))
        if self.worker is None:
            self.idle = None
            fit.model._symbolic_build(data_batch=probe)
            self.worker = Worker(fit, probe, fit.model)
        # Otherwise the estimator's model is neither built for training nor
        # is its optimizer built: on TensorFlow each Keras optimizer that is
        # built keeps about 0.6 MB for the life of the process (measured),
        # and the worker's optimizer does the training.
        worker = self.worker.model
        if worker is not fit.model:
            self.read(fit.model)
        optimizer = worker.optimizer.variables
        _assign(
            optimizer,
            engine_loop.restore_optimizer(
                optimizer, fit.optimizer_state, self.worker.initial_optimizer
            ),
        )

    def put(self, arrays):
        return tf.nest.map_structure(tf.convert_to_tensor, arrays)

    def reset_metrics(self):
        self.worker.model.reset_metrics()

    def run(self, kind, data, rows, draws, last=None):
        program = self.worker.programs[kind]
        logs = program(data, tf.convert_to_tensor(rows), _draws(draws, rows.shape))
        if last is not None:  # the short last batch: a second call of the same function
            last_rows, last_draws = last
            last_rows = np.asarray(last_rows)[None]
            draws = None if last_draws is None else np.asarray(last_draws)[None]
            logs = program(data, tf.convert_to_tensor(last_rows), _draws(draws, last_rows.shape))
        return logs

    def read(self, model):
        worker = self.worker.model
        if worker is not model:
            _assign(worker.trainable_variables, model.trainable_variables)
            _assign(worker.non_trainable_variables, model.non_trainable_variables)
            # The estimator's optimizer is not built here: find the rate by name.
            theirs = engine_loop.learning_rate_position(model.optimizer.variables)
            mine = engine_loop.learning_rate_position(worker.optimizer.variables)
            if theirs is not None and mine is not None:
                worker.optimizer.variables[mine].assign(model.optimizer.variables[theirs])

    def write(self, model):
        worker = self.worker.model
        if worker is not model:
            _assign(model.trainable_variables, worker.trainable_variables)
            _assign(model.non_trainable_variables, worker.non_trainable_variables)

    def optimizer_state(self):
        return [v.numpy() for v in self.worker.model.optimizer.variables]

    def close(self):
        if self.idle is not None:
            self.idle.give_back(self.worker)
            self.idle = None


def _draws(draws, shape):
    return np.zeros(shape, dtype=np.int32) if draws is None else draws


class IdleWorkers:
    """The workers of one architecture that no fit is using.

    A fit takes one, or builds one when all are in use (by fits running at
    once in other threads), and gives it back when it ends: two fits never
    train the same variables. Where the model cannot be rebuilt from its
    configuration (``build`` gives None), no worker is built again.
    """

    def __init__(self):
        self.workers = []
        self.buildable = True
        self._lock = threading.Lock()

    def take(self, build):
        with self._lock:
            if self.workers:
                return self.workers.pop()
        worker = build() if self.buildable else None
        self.buildable = worker is not None
        return worker

    def give_back(self, worker):
        with self._lock:
            self.workers.append(worker)


def _worker(fit, probe):
    """A worker on a new model of ``fit.model``'s architecture, or None where it
    cannot be rebuilt from its configuration."""
    try:
        config = keras.saving.serialize_keras_object(fit.model)
        copy = keras.saving.deserialize_keras_object(config)
    except Exception:
        return None
    return Worker(fit, probe, copy)


def _epoch_function(model, step, augmentation, weights_per_output, data_spec):
    """``(data, rows, draws) -> logs``: ``step`` over each row of ``rows``, in one graph.

    Traced once, for any number of rows and batches (the signature leaves
    them free): the same graph for every fit on the worker, so a fit's result
    does not depend on which fits ran before it. ``step`` is traced once, in
    the loop's body: the loop starts from ``model``'s metric results, which
    have the structure of a step's logs (Keras' steps return them). Each
    batch is composed from ``data``, the fit's :class:`FitData`
    (:func:`~skae._keras.batches.compose`).
    """

    def epoch(data, rows, draws):
        def body(i, logs):
            batch = batches.compose(
                data, rows[i], draws[i], augmentation, weights_per_output=weights_per_output
            )
            return i + 1, step(batch)

        n_batches = tf.shape(rows)[0]
        start = (tf.constant(0), model.get_metrics_result())
        _, logs = tf.while_loop(lambda i, _: i < n_batches, body, start)
        return logs

    signature = [
        data_spec,
        tf.TensorSpec((None, None), tf.int32),
        tf.TensorSpec((None, None), tf.int32),
    ]
    return _traced_once(tf.function(epoch, input_signature=signature, autograph=False))


def _traced_once(function):
    """``function`` without TensorFlow's "frequent retracing" warning.

    TensorFlow counts traces per Python function across all the
    ``tf.function`` objects made from it, so a search over more than five
    architectures would warn, although each of skae's functions has a full
    input signature and is traced exactly once. The attribute is private:
    where it is missing, the warning is merely not suppressed.
    """
    function._omit_frequent_tracing_warning = True
    return function


def _assign(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def predict(model, X, prepare, scaling=None):
    """``model`` applied to ``prepare(X[chunk])``, :data:`PREDICT_CHUNK` rows at a time.

    One traced inference function per architecture, the weights its
    arguments, with a free batch size: any number of rows runs without
    retracing, and a one-row call costs well under a millisecond
    (``Model.predict`` sets up a data pipeline first). ``scaling``
    ``(offset, factor)``, where given, maps each chunk to ``(x - offset) *
    factor`` on the host, in float32. A model with several outputs gives a
    tuple of arrays.
    """
    infer = _inference_call(model)
    if scaling is not None:
        offset, factor = scaling
        prepare = _scaled(prepare, offset, factor)
    chunks = [
        tf.nest.map_structure(np.asarray, infer(prepare(X[start : start + PREDICT_CHUNK])))
        for start in range(0, len(X), PREDICT_CHUNK)
    ]
    return engine_loop.concatenate_outputs(chunks)


def _scaled(prepare, offset, factor):
    return lambda chunk: (prepare(chunk) - offset) * factor


def _inference_call(model):
    """``x -> model(x)`` at inference, with the model's current weights."""
    if not getattr(model, "inputs", None):  # subclassed: no input shape to sign with
        return model.predict_on_batch

    def build():
        def infer(trainable, non_trainable, x):
            outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return outputs

        def spec(variable):
            return tf.TensorSpec(variable.shape, variable.dtype)

        signature = [
            [spec(v) for v in model.trainable_variables],
            [spec(v) for v in model.non_trainable_variables],
            tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32),
        ]
        # Traced once per architecture, for any number of rows.
        return _traced_once(tf.function(infer, input_signature=signature, autograph=False))

    function = PROGRAMS.get(engine_loop.inference_key(model), build)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    return lambda x: function(trainable, non_trainable, tf.convert_to_tensor(x, tf.float32))


def fit_codes(decoder, codes, target, observed, steps):
    """``steps`` of :func:`~skae._keras.code_fit.adam_step` on the codes in one
    ``tf.while_loop`` (see :func:`skae._keras.engine.fit_codes`).

    Traced once per decoder architecture, for any number of rows and steps:
    the weights, the rows and the number of steps are its arguments.
    """
    width, n_features = codes.shape[1], target.shape[1]

    def build():
        def run(trainable, non_trainable, codes, target, observed, steps):
            def body(step, codes, m, v):
                with tf.GradientTape() as tape:
                    tape.watch(codes)
                    decoded, _ = decoder.stateless_call(
                        trainable, non_trainable, codes, training=False
                    )
                    error = observed_error(decoded, target, observed)
                codes, m, v = adam_step(step, codes, m, v, tape.gradient(error, codes))
                return step + 1, codes, m, v

            zeros = tf.zeros_like(codes)
            start = (tf.constant(1), codes, zeros, zeros)
            return tf.while_loop(lambda step, *_: step <= steps, body, start)[1]

        def spec(variable):
            return tf.TensorSpec(variable.shape, variable.dtype)

        rows = tf.TensorSpec((None, n_features), tf.float32)
        signature = [
            [spec(v) for v in decoder.trainable_variables],
            [spec(v) for v in decoder.non_trainable_variables],
            tf.TensorSpec((None, width), tf.float32),
            rows,
            rows,
            tf.TensorSpec((), tf.int32),
        ]
        return _traced_once(tf.function(run, input_signature=signature, autograph=False))

    run = PROGRAMS.get((engine_loop.inference_key(decoder), "fit_codes"), build)
    trainable = [v.value for v in decoder.trainable_variables]
    non_trainable = [v.value for v in decoder.non_trainable_variables]
    return run(trainable, non_trainable, codes, target, observed, np.int32(steps)).numpy()
