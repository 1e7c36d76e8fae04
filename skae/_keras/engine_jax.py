"""The engine on JAX: whole epochs in one compiled call, the data on the device.

One ``jax.jit``-compiled function runs a call's batches as a ``jax.lax.scan``
over their row indices, on Keras' stateless API (``Model.train_step(state,
data)``: ``stateless_call``, ``compute_loss``, ``optimizer.stateless_apply``);
validation runs the same way with ``Model.test_step``. Weights, optimizer
state, metrics and data are its arguments, never captured constants, so the
compiled program is kept (:data:`PROGRAMS`) and reused by later fits of the
same architecture. The epochs themselves are run by
:mod:`skae._keras.engine_loop`.
"""

import collections
import concurrent.futures
import os

import numpy as np

from . import batches, engine_loop, import_keras
from .code_fit import adam_step, observed_error

keras = import_keras()

import jax  # noqa: E402  (this module is imported only on the JAX backend)

PROGRAMS = engine_loop.ProgramCache(16)

# predict applies a (offset, factor) scaling inside its compiled program.
SCALES_INSIDE_PREDICT = True

# Inference runs on chunks of these sizes (the last one padded), so a model
# compiles at most one program per size whatever the number of rows.
PREDICT_SIZES = (1, 16, 256, 4096)


class Session(engine_loop.Session):
    """A fit's state on JAX (arrays) and its compiled epoch programs."""

    def __init__(self, fit, probe):
        model = fit.model
        model._symbolic_build(data_batch=probe)  # builds the optimizer, losses and metrics
        key = engine_loop.architecture(model, "train", model.loss, fit.augmentation)
        self.programs = PROGRAMS.get(
            key,
            lambda: _epoch_programs(
                model,
                fit.augmentation,
                weights_per_output=fit.loss is not None,
                stepwise=_convolves_on_cpu(model, probe[0]),
            ),
        )
        self.model = model
        self.trainable = _values(model.trainable_variables)
        self.non_trainable = _values(model.non_trainable_variables)
        self.optimizer = engine_loop.restore_optimizer(
            model.optimizer.variables, fit.optimizer_state, _values(model.optimizer.variables)
        )
        model.reset_metrics()
        self.fresh_metrics = _values(model.metrics_variables)
        self.metrics = self.fresh_metrics

    def put(self, arrays):
        return jax.device_put(arrays)

    def reset_metrics(self):
        self.metrics = self.fresh_metrics

    def run(self, kind, data, rows, draws, last=None):
        if kind == "train":
            state = (self.trainable, self.non_trainable, self.optimizer, self.metrics)
            logs, state = self.programs["train"](state, data, rows, draws, last)
            self.trainable, self.non_trainable, self.optimizer, self.metrics = state
        else:
            state = (self.trainable, self.non_trainable, self.metrics)
            logs, (_, _, self.metrics) = self.programs["test"](state, data, rows, draws, last)
        return logs

    def read(self, model):
        self.trainable = _values(model.trainable_variables)
        self.non_trainable = _values(model.non_trainable_variables)
        position = engine_loop.learning_rate_position(model.optimizer.variables)
        if position is not None:
            self.optimizer[position] = model.optimizer.variables[position].value

    def write(self, model):
        _assign(model.trainable_variables, self.trainable)
        _assign(model.non_trainable_variables, self.non_trainable)

    def optimizer_state(self):
        return [np.asarray(value) for value in self.optimizer]

    def close(self):
        pass  # the state is arrays: nothing is held


def _convolves_on_cpu(model, x):
    """Whether ``model`` convolves and runs on XLA's CPU backend.

    XLA:CPU compiles a convolution inside a loop body far more slowly than
    alone (jax-ml/jax#12868): a ConvAutoencoder's epoch as one ``lax.scan``
    ran 30x slower than step by step (38 s against 1.2 s for 320 LFW faces).
    Such models run one compiled step per batch there instead.
    """
    if jax.default_backend() != "cpu":
        return False
    weights = (_values(model.trainable_variables), _values(model.non_trainable_variables))

    def forward(weights, x):
        return model.stateless_call(*weights, x, training=True)[0]

    return "conv_general_dilated" in str(jax.make_jaxpr(forward)(weights, x))


def _epoch_programs(model, augmentation, weights_per_output, stepwise=False):
    """Compiled ``(state, data, rows, draws, last) -> (logs, state)`` for training and testing.

    ``rows`` has shape (n_batches, batch_size): the scan's steps. ``data`` is
    the fit's :class:`FitData`, which the rows index into
    (:func:`~skae._keras.batches.compose`). ``last``, where not None, is
    ``(rows, draws)`` of one shorter batch run after them in the same program
    (the epoch's last). ``stepwise``: one compiled step per batch, called
    from Python, instead of one scan (see :func:`_convolves_on_cpu`).
    """

    def batch(data, rows, draws):
        return batches.compose(
            data,
            rows,
            draws,
            augmentation,
            weights_per_output=weights_per_output,
            gather=batches.by_index,
        )

    def scan(step, state, data, rows, draws, last):
        def body(state, inputs):
            batch_rows, batch_draws = inputs
            logs, state = step(state, batch(data, batch_rows, batch_draws))
            return state, logs

        state, logs = jax.lax.scan(body, state, (rows, draws))
        logs = jax.tree.map(lambda values: values[-1], logs)
        if last is not None:
            logs, state = step(state, batch(data, *last))
        return logs, state

    def train_epoch(state, data, rows, draws, last):
        return scan(model.train_step, state, data, rows, draws, last)

    def test_epoch(state, data, rows, draws, last):
        return scan(model.test_step, state, data, rows, draws, last)

    if stepwise:
        return {
            "train": _step_by_step(model.train_step, batch),
            "test": _step_by_step(model.test_step, batch),
        }
    return {"train": jax.jit(train_epoch), "test": jax.jit(test_epoch)}


def _step_by_step(step, batch):
    """An epoch program that calls one compiled ``step`` per batch, outside any loop."""

    @jax.jit
    def one(state, data, rows, draws):
        return step(state, batch(data, rows, draws))

    def epoch(state, data, rows, draws, last=None):
        logs = None
        for i in range(len(rows)):
            logs, state = one(state, data, rows[i], None if draws is None else draws[i])
        if last is not None:
            logs, state = one(state, data, *last)
        return logs, state

    return epoch


def _values(variables):
    return [v.value for v in variables]


def _assign(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def predict(model, X, prepare, scaling=None):
    """``model`` applied to ``prepare(X[chunk])`` in chunks of :data:`PREDICT_SIZES`.

    The compiled inference program takes the weights as arguments and is
    shared by models of one architecture; each chunk is padded up to the next
    size, so any number of rows compiles at most ``len(PREDICT_SIZES)`` shapes.
    ``scaling`` ``(offset, factor)``, where given, maps each chunk to
    ``(x - offset) * factor`` inside the program (float32, as on the host).
    The chunks are dispatched without waiting for one another (JAX runs them
    asynchronously) and read back at the end; on an accelerator the next
    chunks are prepared on the host while the device computes. A model with
    several outputs gives a tuple of arrays.
    """
    infer = _inference_program(model)
    weights = (_values(model.trainable_variables), _values(model.non_trainable_variables))
    largest = PREDICT_SIZES[-1]

    threads = isinstance(X, np.ndarray) and jax.default_backend() != "cpu"

    def padded_input(start):
        x = np.asarray(prepare(X[start : start + largest]))
        n = len(x)
        size = next(s for s in PREDICT_SIZES if s >= n)
        if size > n:
            x = np.concatenate([x, np.zeros((size - n, *x.shape[1:]), dtype=x.dtype)])
        # On an accelerator the copy starts here, in the preparing thread:
        # copies of several chunks overlap, where one inside the compiled
        # call's dispatch would wait for the last.
        return (jax.device_put(x) if threads else x), n

    starts = range(0, len(X), largest)
    prepared = _prepared(padded_input, starts, threads)
    if scaling is not None:
        scaling = tuple(np.asarray(value, dtype=np.float32) for value in scaling)
    outputs = [(infer(weights, x, scaling), n) for x, n in prepared]
    chunks = [jax.tree.map(lambda a, n=n: np.asarray(a)[:n], out) for out, n in outputs]
    return engine_loop.concatenate_outputs(chunks)


def _prepared(prepare, starts, threads):
    """``prepare(start)`` for each start, in order.

    With ``threads`` a few threads prepare the next chunks on the host while
    the device computes (NumPy releases the GIL): for in-memory arrays on an
    accelerator. On XLA's CPU backend the host's cores compute the network,
    and an out-of-core reader need not be thread-safe, so there chunks are
    prepared one by one. At most twice as many chunks as threads wait.
    """
    if not threads or len(starts) < 2:
        yield from map(prepare, starts)
        return
    workers = min(8, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        pending = collections.deque()
        for start in starts:
            pending.append(pool.submit(prepare, start))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _inference_program(model):
    def build():
        def infer(weights, x, scaling):
            if scaling is not None:
                offset, factor = scaling
                x = (x - offset) * factor
            trainable, non_trainable = weights
            outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return outputs

        return jax.jit(infer)

    return PROGRAMS.get(engine_loop.inference_key(model), build)


def fit_codes(decoder, codes, target, observed, steps):
    """``steps`` of :func:`~skae._keras.code_fit.adam_step` on the codes in one
    ``jax.lax.fori_loop`` (see :func:`skae._keras.engine.fit_codes`).

    Compiled once per decoder architecture and row count of
    :data:`PREDICT_SIZES` (the rows are padded up to the next: a padded
    row has no observed entry, so its gradient is 0 and it changes no
    other row); the weights and the number of steps are arguments.
    """

    def build():
        def error(codes, target, observed, weights):
            decoded, _ = decoder.stateless_call(*weights, codes, training=False)
            return observed_error(decoded, target, observed)

        gradient = jax.grad(error)

        def run(weights, codes, target, observed, steps):
            def step(i, state):
                codes, m, v = state
                change = gradient(codes, target, observed, weights)
                return adam_step(i + 1, codes, m, v, change)

            zeros = jax.numpy.zeros_like(codes)
            return jax.lax.fori_loop(0, steps, step, (codes, zeros, zeros))[0]

        return jax.jit(run)

    run = PROGRAMS.get((engine_loop.inference_key(decoder), "fit_codes"), build)
    weights = (_values(decoder.trainable_variables), _values(decoder.non_trainable_variables))
    n = len(codes)
    size = next(s for s in PREDICT_SIZES if s >= n)

    def padded(a):
        return np.concatenate([a, np.zeros((size - n, a.shape[1]), a.dtype)]) if size > n else a

    fitted = run(weights, padded(codes), padded(target), padded(observed), np.int32(steps))
    return np.asarray(fitted)[:n]
