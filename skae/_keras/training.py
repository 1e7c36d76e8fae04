"""The training loop and batched inference, on top of ``Model.fit``."""

import copy
import math

import numpy as np

from . import import_keras

keras = import_keras()

# In-memory training data up to this size is fed through an in-graph tf.data
# pipeline (see in_memory_datasets). Larger arrays go through RowBatches:
# there the per-batch Python is small beside the compute, and the pipeline's
# copies of a large constant cost memory (200,000 x 784 float32 rows, 627 MB:
# peak 4.3 GB and 0.67 x the rows per second of RowBatches).
IN_GRAPH_MAX_BYTES = 128 * 2**20

# Rows per call to ``predict_on_batch``: large enough to keep the math
# libraries busy, small enough to bound the memory of one call.
PREDICT_CHUNK = 4096


class RowBatches(keras.utils.PyDataset):
    """Batches of ``make_batch(X[rows])`` over a subset of rows of any array-like.

    The array is sliced batch by batch, so a memmap never has to fit in memory.
    With ``seed`` set, the rows are shuffled each epoch by a permutation that
    is a pure function of ``(seed, epoch)``: training is reproducible and no
    global random state (NumPy's, Python's, the backend's) is read or changed.
    ``augment(x, y, rng)``, if given, transforms each batch (training only).
    """

    def __init__(self, X, rows, batch_size, make_batch, seed=None, augment=None):
        super().__init__()
        self.augment = augment
        self.X = X
        self.rows = np.asarray(rows)
        self.batch_size = int(batch_size)
        self.make_batch = make_batch
        self.seed = seed
        self.epoch = 0
        self._epochs_begun = 0
        self._order = self._epoch_order()

    def _epoch_order(self):
        if self.seed is None:
            return self.rows
        return epoch_order(self.rows, self.seed, self.epoch)

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)

    def __getitem__(self, index):
        batch_rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        # Sorted indices read a memmap front to back; the batch's order inside
        # a gradient step does not matter.
        x, y = self.make_batch(self.X[np.sort(batch_rows)])
        if self.augment is not None:
            # Seeded by (seed, epoch, batch): reproducible in any thread.
            x, y = self.augment(x, y, np.random.default_rng([self.seed, self.epoch, index]))
        return x, y

    def on_epoch_begin(self):
        # Counted at the start of epochs: Keras also calls on_epoch_end once
        # before the first epoch, after reading batches to learn their shapes.
        self.epoch = self._epochs_begun
        self._epochs_begun += 1
        self._order = self._epoch_order()


def epoch_order(rows, seed, epoch):
    """The rows in epoch ``epoch``'s order: a pure function of ``(seed, epoch)``."""
    return np.random.default_rng([seed, int(epoch)]).permutation(rows)


def in_memory_datasets(X, train_rows, val_rows, batch_size, make_batch, seed, epochs):
    """``tf.data`` pipelines over in-memory rows, batched as :class:`RowBatches` does.

    TensorFlow's trainer turns a ``PyDataset`` into a ``tf.data`` pipeline that
    calls back into Python for every batch, from another thread. That costs
    little on an idle machine but a lot when processes share the cores (the
    GIL and thread wake-ups between two threads per step): two such fits side
    by side on two cores each ran 1.6x slower than alone. Here the data and
    targets are built once (``make_batch`` of all rows) and each batch is a
    gather inside the pipeline. Python runs once per epoch, to draw the
    epoch's order with :func:`epoch_order`; each batch's rows are sorted as in
    :class:`RowBatches`, so both give the same batches and the same model.
    """
    import tensorflow as tf

    arrays = make_batch(X)
    constants = {}  # the target is often the input itself: one copy of it

    def constant(array):
        if id(array) not in constants:
            constants[id(array)] = tf.constant(array)
        return constants[id(array)]

    tensors = tf.nest.map_structure(constant, arrays)
    n_batches = math.ceil(len(train_rows) / batch_size)

    def order(epoch):
        rows = epoch_order(train_rows, seed, epoch)
        return np.concatenate(
            [np.sort(rows[start : start + batch_size]) for start in range(0, len(rows), batch_size)]
        ).astype(np.int64)

    def gather(rows):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)

    def epoch_batches(epoch):
        rows = tf.reshape(tf.numpy_function(order, [epoch], tf.int64, stateful=False), [-1])
        return tf.data.Dataset.from_tensor_slices(rows).batch(batch_size)

    train = tf.data.Dataset.range(epochs).flat_map(epoch_batches).map(gather)
    train = train.prefetch(tf.data.AUTOTUNE)
    val = None
    if len(val_rows):
        val = tf.data.Dataset.from_tensor_slices(np.asarray(val_rows, dtype=np.int64))
        val = val.batch(batch_size).map(gather).prefetch(tf.data.AUTOTUNE)
    return train, val, n_batches


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop when an epoch's loss is NaN or infinite.

    Checked per epoch, not per batch like ``keras.callbacks.TerminateOnNaN``:
    a batch-level hook makes Keras fetch the loss after every step, which
    costs several percent of the training time of a small network.
    """

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True


def train(
    model,
    X,
    *,
    train_rows,
    val_rows,
    make_batch,
    epochs,
    batch_size,
    optimizer,
    loss,
    early_stopping,
    n_iter_no_change,
    callbacks,
    verbose,
    seed,
    log_dir=None,
    augment=None,
    start_from_epoch=0,
):
    """Compile and fit ``model`` on rows of ``X``; return the history as a dict.

    ``callbacks`` are copied before use: Keras writes the model onto each
    callback, and the objects a user passed as a parameter must not change.
    """
    model.compile(optimizer=optimizer, loss=loss)
    steps_per_epoch = None
    if (
        keras.backend.backend() == "tensorflow"
        and isinstance(X, np.ndarray)
        and X.nbytes <= IN_GRAPH_MAX_BYTES
        and augment is None
    ):
        train_data, val_data, steps_per_epoch = in_memory_datasets(
            X, train_rows, val_rows, batch_size, make_batch, seed, epochs
        )
    else:
        train_data = RowBatches(X, train_rows, batch_size, make_batch, seed=seed, augment=augment)
        val_data = RowBatches(X, val_rows, batch_size, make_batch) if len(val_rows) else None
    all_callbacks = [StopOnNonFiniteLoss()]
    if early_stopping:
        all_callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if val_data is not None else "loss",
                patience=n_iter_no_change,
                restore_best_weights=True,
                start_from_epoch=start_from_epoch,
            )
        )
    if log_dir is not None:
        all_callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    all_callbacks += [copy.copy(callback) for callback in callbacks or ()]
    history = model.fit(
        train_data,
        validation_data=val_data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=verbose,
        callbacks=all_callbacks,
        shuffle=False,  # we shuffle; Keras' own shuffle uses global random state
    )
    return {name: [float(v) for v in values] for name, values in history.history.items()}


def predict(model, X, prepare):
    """``model`` applied to ``prepare(X[chunk])``, chunk by chunk.

    ``predict_on_batch`` runs the compiled inference step directly, without
    ``Model.predict``'s set-up cost: a one-row call costs well under a
    millisecond, and large inputs go through in chunks of
    :data:`PREDICT_CHUNK` rows (so a memmap is read piece by piece). A model
    with several outputs gives a tuple of arrays.
    """
    chunks = [
        model.predict_on_batch(prepare(X[start : start + PREDICT_CHUNK]))
        for start in range(0, len(X), PREDICT_CHUNK)
    ]
    if isinstance(chunks[0], (list, tuple)):
        return tuple(_concatenate([chunk[i] for chunk in chunks]) for i in range(len(chunks[0])))
    return _concatenate(chunks)


def _concatenate(arrays):
    return np.asarray(arrays[0]) if len(arrays) == 1 else np.concatenate(arrays)


def model_to_bytes(model):
    """Serialise a model with Keras' own pickling (the ``.keras`` format)."""
    import pickle

    return pickle.dumps(model)


def model_from_bytes(data):
    """Inverse of :func:`model_to_bytes`; registers skae's layers first."""
    import pickle

    from . import layers, models  # noqa: F401  (registers custom objects)

    return pickle.loads(data)
