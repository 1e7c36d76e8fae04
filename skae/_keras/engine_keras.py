"""The engine on TensorFlow (and any backend but JAX): ``Model.fit``, an epoch per execution.

Keras' TensorFlow trainer runs ``steps_per_execution`` steps in one call of
its compiled function (a loop inside ``tf.function``); skae sets it to the
steps of a whole epoch, so Python runs once per epoch. In-memory data is fed
through a ``tf.data`` pipeline that gathers each batch in the graph
(:func:`in_memory_datasets`); out-of-core data goes through
:class:`RowBatches`, a ``keras.utils.PyDataset``. Both draw the batches of
:func:`~skae._keras.fit_description.epoch_batches`, so they give the same model.
"""

import math

import numpy as np

from . import import_keras
from .fit_description import epoch_batches, flip_draws

keras = import_keras()

# In-memory training data up to this size is fed through an in-graph tf.data
# pipeline (see in_memory_datasets). Larger arrays go through RowBatches:
# there the per-batch Python is small beside the compute, and the pipeline's
# copies of a large constant cost memory (200,000 x 784 float32 rows, 627 MB:
# peak 4.3 GB and 0.67 x the rows per second of RowBatches).
IN_GRAPH_MAX_BYTES = 128 * 2**20

# Rows per inference call: large enough to keep the math libraries busy,
# small enough to bound the memory of one call.
PREDICT_CHUNK = 4096


class RowBatches(keras.utils.PyDataset):
    """Batches of ``make_batch(X[rows])`` over a subset of rows of any array-like.

    The array is sliced batch by batch, so a memmap never has to fit in memory.
    With ``seed`` set, the batches are those of
    :func:`~skae._keras.fit_description.epoch_batches` for each epoch, and
    with ``flip_horizontal`` a seeded half of each batch is mirrored.
    """

    def __init__(self, X, rows, batch_size, make_batch, seed=None, flip_horizontal=False):
        super().__init__()
        self.X = X
        self.rows = np.asarray(rows)
        self.batch_size = int(batch_size)
        self.make_batch = make_batch
        self.seed = seed
        self.flip_horizontal = flip_horizontal
        self.epoch = 0
        self._epochs_begun = 0
        self._batches = epoch_batches(self.rows, self.batch_size, seed, 0)

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)

    def __getitem__(self, index):
        x, y = self.make_batch(self.X[self._batches[index]])
        if self.flip_horizontal:
            flip = flip_draws(self.seed, self.epoch, index, len(x))
            x = x.copy()
            x[flip] = x[flip, :, ::-1]
            y = x
        return x, y

    def on_epoch_begin(self):
        # Counted at the start of epochs: Keras also calls on_epoch_end once
        # before the first epoch, after reading batches to learn their shapes.
        self.epoch = self._epochs_begun
        self._epochs_begun += 1
        self._batches = epoch_batches(self.rows, self.batch_size, self.seed, self.epoch)


def in_memory_datasets(fit):
    """``tf.data`` pipelines over in-memory rows, batched as :class:`RowBatches` does.

    The data and targets are built once (``make_batch`` of all rows) and each
    batch is a gather inside the pipeline; Python runs once per epoch, to draw
    the epoch's order. (A ``PyDataset`` would call back into Python for every
    batch, from another thread: two such fits side by side on two cores ran
    1.6x slower than alone.)
    """
    import tensorflow as tf

    arrays = fit.make_batch(fit.data)
    constants = {}  # the target is often the input itself: one copy of it

    def constant(array):
        if id(array) not in constants:
            constants[id(array)] = tf.constant(array)
        return constants[id(array)]

    tensors = tf.nest.map_structure(constant, arrays)
    seed, batch_size, train_rows = fit.seed, fit.batch_size, fit.train_rows

    def order(epoch):
        return np.concatenate(epoch_batches(train_rows, batch_size, seed, int(epoch)))

    def gather(rows):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)

    def batches(epoch):
        rows = tf.numpy_function(order, [epoch], tf.int64, stateful=False)
        return tf.data.Dataset.from_tensor_slices(tf.reshape(rows, [-1])).batch(batch_size)

    train = tf.data.Dataset.range(fit.epochs).flat_map(batches).map(gather)
    train = train.prefetch(tf.data.AUTOTUNE)
    val = None
    if len(fit.val_rows):
        val = tf.data.Dataset.from_tensor_slices(np.asarray(fit.val_rows, dtype=np.int64))
        val = val.batch(batch_size).map(gather).prefetch(tf.data.AUTOTUNE)
    return train, val


def train(fit):
    """Run ``fit`` with ``Model.fit``, a whole epoch per compiled execution."""
    model = fit.model
    steps = fit.steps_per_epoch
    model.compile(optimizer=fit.optimizer, loss=fit.loss, steps_per_execution=steps)
    steps_per_epoch = None
    if (
        keras.backend.backend() == "tensorflow"
        and isinstance(fit.data, np.ndarray)
        and fit.data.nbytes <= IN_GRAPH_MAX_BYTES
        and not fit.flip_horizontal
    ):
        train_data, val_data = in_memory_datasets(fit)
        steps_per_epoch = steps
    else:
        train_data = RowBatches(
            fit.data,
            fit.train_rows,
            fit.batch_size,
            fit.make_batch,
            seed=fit.seed,
            flip_horizontal=fit.flip_horizontal,
        )
        val_data = None
        if len(fit.val_rows):
            val_data = RowBatches(fit.data, fit.val_rows, fit.batch_size, fit.make_batch)
    history = model.fit(
        train_data,
        validation_data=val_data,
        epochs=fit.epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=fit.verbose,
        callbacks=fit.callbacks,
        shuffle=False,  # we shuffle; Keras' own shuffle uses global random state
    )
    return {name: [float(v) for v in values] for name, values in history.history.items()}


def predict(model, X, prepare):
    """``model`` applied to ``prepare(X[chunk])``, :data:`PREDICT_CHUNK` rows at a time.

    One compiled inference function per model whose batch size is free, so
    any number of rows runs without retracing and a one-row call costs well
    under a millisecond (``Model.predict`` sets up a data pipeline first).
    """
    function = _inference_function(model)
    chunks = [
        function(prepare(X[start : start + PREDICT_CHUNK]))
        for start in range(0, len(X), PREDICT_CHUNK)
    ]
    return _concatenate_outputs(chunks)


def _inference_function(model):
    function = getattr(model, "_skae_inference", None)
    if function is not None:
        return function
    if keras.backend.backend() != "tensorflow":
        return model.predict_on_batch
    import tensorflow as tf

    specs = [tf.TensorSpec((None, *spec.shape[1:]), tf.float32) for spec in model.inputs]

    @tf.function(input_signature=specs, autograph=False, jit_compile=False)
    def infer(x):
        return model(x, training=False)

    def call(x):
        out = infer(tf.convert_to_tensor(x, dtype=tf.float32))
        return tf.nest.map_structure(lambda t: t.numpy(), out)

    # One trace per model, for every batch size (the signature leaves it
    # free). TensorFlow's retracing warning counts traces of functions with
    # the same code across objects, so a search's many models - each traced
    # once - would set it off; the warning does not apply here.
    infer._omit_frequent_tracing_warning = True
    model._skae_inference = call
    return call


def _concatenate_outputs(chunks):
    if isinstance(chunks[0], (list, tuple)):
        return tuple(_concatenate([chunk[i] for chunk in chunks]) for i in range(len(chunks[0])))
    return _concatenate(chunks)


def _concatenate(arrays):
    arrays = [np.asarray(a) for a in arrays]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
