"""The engine on JAX: whole epochs in one compiled call, the data on the device.

One ``jax.jit``-compiled function runs a call's batches as a ``jax.lax.scan``
over their row indices, on Keras' stateless API (``Model.train_step(state,
data)``: ``stateless_call``, ``compute_loss``, ``optimizer.stateless_apply``);
validation runs the same way with ``Model.test_step``. Weights, optimizer
state, metrics and data are its arguments, never captured constants, so the
compiled program is kept (:data:`PROGRAMS`) and reused by later fits of the
same architecture. The epochs themselves are run by
:mod:`skae._keras.engine_loop`. Initial uniform weights are drawn on the
host (:func:`initial_uniform`), with the values JAX would draw, and zeros are
made there (:func:`initial_zeros`).
"""

import collections
import concurrent.futures
import functools
import math
import os

import numpy as np

from . import engine_loop, import_keras

keras = import_keras()

import jax  # noqa: E402  (this module is imported only on the JAX backend)
import jax.numpy as jnp  # noqa: E402

PROGRAMS = engine_loop.ProgramCache(16)

# predict applies a (offset, factor) scaling inside its compiled program.
SCALES_INSIDE_PREDICT = True

# Inference runs on chunks of these sizes (the last one padded), so a model
# compiles at most one program per size whatever the number of rows.
PREDICT_SIZES = (1, 16, 256, 4096)


def train(fit):
    """Run ``fit``; return its history."""
    return engine_loop.run(fit, keras, Session, jax.tree.leaves)


class Session:
    """A fit's state on JAX (arrays) and its compiled epoch programs."""

    def __init__(self, fit, probe):
        model = fit.model
        model._symbolic_build(data_batch=probe)  # builds the optimizer, losses and metrics
        key = engine_loop.architecture(model, "train", model.loss, fit.flip_horizontal)
        self.programs = PROGRAMS.get(
            key,
            lambda: _epoch_programs(
                model, fit.flip_horizontal, stepwise=_convolves_on_cpu(model, probe[0])
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

    def put(self, tree):
        return jax.device_put(tree)

    def reset_metrics(self):
        self.metrics = self.fresh_metrics

    # The epoch's short last batch may run in the same call as its full
    # batches (``last``): one compiled program instead of two.
    joins_last_batch = True

    def run(self, kind, data, rows, flips, last=None):
        if kind == "train":
            state = (self.trainable, self.non_trainable, self.optimizer, self.metrics)
            logs, state = self.programs["train"](state, data, rows, flips, last)
            self.trainable, self.non_trainable, self.optimizer, self.metrics = state
        else:
            state = (self.trainable, self.non_trainable, self.metrics)
            logs, (_, _, self.metrics) = self.programs["test"](state, data, rows, flips, last)
        return logs

    def write(self, model):
        _assign(model.trainable_variables, self.trainable)
        _assign(model.non_trainable_variables, self.non_trainable)

    def read(self, model):
        self.trainable = _values(model.trainable_variables)
        self.non_trainable = _values(model.non_trainable_variables)
        position = engine_loop.learning_rate_position(model.optimizer.variables)
        if position is not None:
            self.optimizer[position] = model.optimizer.variables[position].value

    def optimizer_state(self):
        return [np.asarray(value) for value in self.optimizer]


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


def _epoch_programs(model, flip_horizontal, stepwise=False):
    """Compiled ``(state, data, rows, flips, last) -> (logs, state)`` for training and testing.

    ``rows`` has shape (n_batches, batch_size): the scan's steps. ``data`` is
    the tree ``(x, y)`` or ``(x, y, sample_weight)`` the rows index into.
    ``last``, where not None, is ``(rows, flips)`` of one shorter batch run
    after them in the same program (the epoch's last). ``stepwise``: one
    compiled step per batch, called from Python, instead of one scan (see
    :func:`_convolves_on_cpu`).
    """

    def batch(data, rows, flip):
        batch = jax.tree.map(lambda a: a[rows], data)
        if flip_horizontal and flip is not None:
            x = jnp.where(flip[:, None, None, None], batch[0][:, :, ::-1], batch[0])
            batch = (x, x, *batch[2:])
        return batch

    def scan(step, state, data, rows, flips, last):
        def body(state, inputs):
            batch_rows, flip = inputs
            logs, state = step(state, batch(data, batch_rows, flip))
            return state, logs

        state, logs = jax.lax.scan(body, state, (rows, flips))
        logs = jax.tree.map(lambda values: values[-1], logs)
        if last is not None:
            logs, state = step(state, batch(data, *last))
        return logs, state

    def train_epoch(state, data, rows, flips, last):
        return scan(model.train_step, state, data, rows, flips, last)

    def test_epoch(state, data, rows, flips, last):
        return scan(model.test_step, state, data, rows, flips, last)

    if stepwise:
        return {
            "train": _step_by_step(model.train_step, batch),
            "test": _step_by_step(model.test_step, batch),
        }
    return {"train": jax.jit(train_epoch), "test": jax.jit(test_epoch)}


def _step_by_step(step, batch):
    """An epoch program that calls one compiled ``step`` per batch, outside any loop."""

    @jax.jit
    def one(state, data, rows, flip):
        return step(state, batch(data, rows, flip))

    def epoch(state, data, rows, flips, last=None):
        logs = None
        for i in range(len(rows)):
            logs, state = one(state, data, rows[i], None if flips is None else flips[i])
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
    program = getattr(model, "_skae_inference", None)
    if program is None:

        def build():
            def infer(weights, x, scaling):
                if scaling is not None:
                    offset, factor = scaling
                    x = (x - offset) * factor
                trainable, non_trainable = weights
                outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
                return outputs

            return jax.jit(infer)

        program = PROGRAMS.get(engine_loop.architecture(model, "infer"), build)
        model._skae_inference = program
    return program


def initial_zeros(shape, dtype):
    """Zeros in NumPy for a float ``dtype``, else None (Keras makes them).

    Keras' zeros are ``jnp.zeros``: one small XLA program per shape, about
    20 ms each on XLA's CPU, for every bias and every optimizer slot shape of
    a first fit. A host array is copied to the device instead.
    """
    if dtype not in ("float16", "bfloat16", "float32", "float64"):
        return None
    return np.zeros(shape, dtype=jnp.dtype(dtype))


def initial_uniform(seed, shape, minval, maxval):
    """``keras.random.uniform(shape, minval, maxval, "float32", seed)``, drawn on the host, or None.

    JAX compiles ``jax.random.uniform`` once per shape, 0.1-0.2 s each on
    XLA's CPU: about 0.5 s of a small dense network's first fit, one program
    per kernel shape. With JAX's default generator (threefry2x32, bits
    "partitionable") each value depends on the seed and its position alone,
    so NumPy computes the same bits. The last step, ``u * (maxval - minval)
    + minval``, XLA may fuse into one multiply-add, rounded once (XLA's CPU
    does): which of the two roundings this process's XLA uses is read once,
    from a small draw JAX compiles. Returns None (Keras then draws) for
    another generator, a seed that is not a uint32, or a probe that matches
    neither rounding.
    """
    if not (isinstance(seed, int) and 0 <= seed < 2**32) or not _threefry_by_position():
        return None
    fused = _uniform_rounding()
    if fused is None:
        return None
    return _host_uniform(seed, tuple(shape), minval, maxval, fused)


def _threefry_by_position():
    config = jax.config
    return getattr(config, "jax_default_prng_impl", None) == "threefry2x32" and bool(
        getattr(config, "jax_threefry_partitionable", False)
    )


_UNIFORM_PROBE = (1, (256,), -0.3, 0.3)


@functools.cache
def _uniform_rounding():
    """True where XLA rounds ``u * scale + minval`` once (fused), False where twice, else None."""
    seed, shape, minval, maxval = _UNIFORM_PROBE
    key = jnp.asarray([seed, 0], dtype=jnp.uint32)
    drawn = np.asarray(jax.random.uniform(key, shape, jnp.float32, minval, maxval))
    for fused in (True, False):
        if np.array_equal(
            _host_uniform(*_UNIFORM_PROBE, fused).view(np.uint32), drawn.view(np.uint32)
        ):
            return fused
    return None


def _host_uniform(seed, shape, minval, maxval, fused):
    """``jax.random.uniform`` in float32 for a raw key ``[seed, 0]``, in NumPy."""
    index = np.arange(math.prod(shape), dtype=np.uint64)
    high = (index >> np.uint64(32)).astype(np.uint32)
    bits = np.bitwise_xor(*_threefry2x32(seed, 0, high, index.astype(np.uint32)))
    # 23 random mantissa bits under the exponent of 1.0: a float in [1, 2), minus 1.
    unit = ((bits >> np.uint32(9)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)
    low, scale = np.float32(minval), np.float32(maxval) - np.float32(minval)
    values = _fused_multiply_add(unit, scale, low) if fused else unit * scale + low
    return np.maximum(low, values).reshape(shape)


def _threefry2x32(key1, key2, count1, count2):
    """The Threefry-2x32 hash (20 rounds) of the counts, as ``jax.random`` computes it."""
    keys = (np.uint32(key1), np.uint32(key2), np.uint32(key1 ^ key2 ^ 0x1BD11BDA))
    rotations = ((13, 15, 26, 6), (17, 29, 16, 24))
    x1, x2 = count1 + keys[0], count2 + keys[1]
    for i in range(5):
        for r in rotations[i % 2]:
            x1 += x2
            x2 = (x2 << np.uint32(r)) | (x2 >> np.uint32(32 - r))
            x2 ^= x1
        x1 += keys[(i + 1) % 3]
        x2 += keys[(i + 2) % 3]
        x2 += np.uint32(i + 1)
    return x1, x2


def _fused_multiply_add(a, b, c):
    """float32 ``a * b + c`` rounded once, for float32 ``a`` (array), ``b`` and ``c``.

    The product is exact in float64; the sum is rounded to float64 and then
    to float32, which rounds twice only where the float64 sum lands exactly
    halfway between two float32 values: there the sum's exact error (Knuth's
    two-sum) says which way the exact value lies.
    """
    product = a.astype(np.float64) * np.float64(b)
    addend = np.float64(c)
    total = product + addend
    back = total - product
    error = (product - (total - back)) + (addend - back)
    # A float64 halfway between two float32s: its 29 low mantissa bits are 1 << 28.
    halfway = (total.view(np.uint64) & np.uint64((1 << 29) - 1)) == np.uint64(1 << 28)
    tie = halfway & (error != 0)
    total[tie] = np.nextafter(total[tie], np.copysign(np.inf, error[tie]))
    return total.astype(np.float32)
