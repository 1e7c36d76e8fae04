"""The engine on backends without a compiled loop of skae's own (PyTorch): ``Model.fit``.

The fallback: batches come from :class:`RowBatches`, a
``keras.utils.PyDataset`` that draws those of
:func:`~skae._keras.fit_description.epoch_batches` (and the same augmentation draws),
with ``steps_per_execution`` set to a whole epoch. TensorFlow and JAX have
their own engines (:mod:`~skae._keras.engine_tensorflow`,
:mod:`~skae._keras.engine_jax`); tests run this one on TensorFlow.
"""

import math

import numpy as np

from . import batches, engine_loop, import_keras
from .code_fit import LEARNING_RATE, FittedCodes
from .fit_description import NO_AUGMENTATION, augmentation_draws, epoch_batches

keras = import_keras()

# Rows per inference call: large enough to keep the math libraries busy,
# small enough to bound the memory of one call.
PREDICT_CHUNK = 4096


class RowBatches(keras.utils.PyDataset):
    """Batches of rows of a :class:`~skae._keras.fit_description.FitData`, read as asked.

    The arrays are sliced batch by batch, so a memmap never has to fit in
    memory. With ``seed`` set, the batches are those of
    :func:`~skae._keras.fit_description.epoch_batches` for each epoch, and
    with ``augmentation`` the images are mirrored and shifted as the fit's
    other engines do it. Each
    batch is composed by :func:`~skae._keras.batches.compose`, in NumPy.
    """

    def __init__(
        self,
        data,
        rows,
        batch_size,
        seed=None,
        augmentation=NO_AUGMENTATION,
        first_epoch=0,
        weights_per_output=True,
    ):
        super().__init__()
        self.data = data
        self.rows = np.asarray(rows)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.augmentation = augmentation
        self.weights_per_output = weights_per_output
        self.epoch = first_epoch
        self._epochs_begun = first_epoch
        self._batches = epoch_batches(self.rows, self.batch_size, seed, first_epoch)

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)

    def __getitem__(self, index):
        rows = self._batches[index]
        draws = None
        if self.augmentation:
            draws = augmentation_draws(self.augmentation, self.seed, self.epoch, index, len(rows))
        return batches.compose(
            engine_loop.rows_of(self.data, rows),
            np.arange(len(rows)),
            draws,
            self.augmentation,
            weights_per_output=self.weights_per_output,
            xp=np,
        )

    def on_epoch_begin(self):
        # Counted at the start of epochs: Keras also calls on_epoch_end once
        # before the first epoch, after reading batches to learn their shapes.
        self.epoch = self._epochs_begun
        self._epochs_begun += 1
        self._batches = epoch_batches(self.rows, self.batch_size, self.seed, self.epoch)


def train(fit, callbacks):
    """Run ``fit`` with ``Model.fit``, a whole epoch per compiled execution."""
    model = fit.model
    steps = fit.steps_per_epoch
    model.compile(optimizer=fit.optimizer, loss=fit.loss, steps_per_execution=steps)
    if fit.optimizer_state is not None:
        variables = model.optimizer.variables
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
            variables = model.optimizer.variables
        current = [v.numpy() for v in variables]
        restored = engine_loop.restore_optimizer(variables, fit.optimizer_state, current)
        for variable, value in zip(variables, restored, strict=True):
            variable.assign(value)
    per_output = fit.loss is not None
    train_data = RowBatches(
        fit.data,
        fit.train_rows,
        fit.batch_size,
        seed=fit.seed,
        augmentation=fit.augmentation,
        first_epoch=fit.initial_epoch,
        weights_per_output=per_output,
    )
    val_data = None
    if len(fit.val_rows):
        val_data = RowBatches(fit.data, fit.val_rows, fit.batch_size, weights_per_output=per_output)
    history = model.fit(
        train_data,
        validation_data=val_data,
        initial_epoch=fit.initial_epoch,
        epochs=fit.initial_epoch + fit.epochs,
        verbose=fit.verbose,
        callbacks=callbacks,
        shuffle=False,  # we shuffle; Keras' own shuffle uses global random state
    )
    state = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    return {name: [float(v) for v in values] for name, values in history.history.items()}, state


def predict(model, X, prepare, scaling=None):
    """``model.predict_on_batch`` on ``prepare(X[chunk])``, :data:`PREDICT_CHUNK` rows at a time
    (``scaling`` ``(offset, factor)`` applied on the host)."""
    if scaling is not None:
        offset, factor = scaling
        unscaled = prepare

        def prepare(chunk):
            return (unscaled(chunk) - offset) * factor

    chunks = [
        model.predict_on_batch(prepare(X[start : start + PREDICT_CHUNK]))
        for start in range(0, len(X), PREDICT_CHUNK)
    ]
    return engine_loop.concatenate_outputs(chunks)


def fit_codes(decoder, codes, target, observed, steps):
    """``steps`` of ``keras.optimizers.Adam`` on the codes through ``Model.fit``,
    one full batch per epoch (see :func:`skae._keras.code_fit.fit_codes`)."""
    frozen = keras.models.clone_model(decoder)
    frozen.set_weights(decoder.get_weights())
    frozen.trainable = False
    model = FittedCodes(frozen, len(codes), codes.shape[1], name="fitted_codes")
    model.codes.assign(codes)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), jit_compile=False)
    rows = np.arange(len(codes), dtype="int32")
    model.fit(
        rows, (target, observed), batch_size=len(codes), epochs=steps, shuffle=False, verbose=0
    )
    return np.asarray(keras.ops.convert_to_numpy(model.codes))
