"""The training engine: runs a :class:`FitDescription`, returns the history.

Separation of concerns:

- The estimator (:class:`skae.BaseAutoencoder`) owns the data: validation,
  scaling, targets, the train / validation split, and the networks; it
  describes one fit as a :class:`~skae._keras.fit_description.FitDescription`.
- :mod:`skae._keras.fit_description` owns the batch order, a pure function
  of ``(seed, epoch)`` shared by every backend.
- This module owns what is the same on every backend: the callbacks that
  every fit gets (early stopping with best weights, TensorBoard, the
  non-finite-loss stop, the user's copies) and the choice of backend module.
- One module per backend owns the loop: :mod:`~skae._keras.engine_jax`
  compiles whole epochs (``jax.lax.scan`` over the epoch's batches, data on
  the device); :mod:`~skae._keras.engine_keras` runs ``Model.fit`` with a
  whole epoch per execution (TensorFlow, and any other backend).

Callbacks run at epoch granularity: ``on_epoch_begin`` / ``on_epoch_end``
as in ``Model.fit``; the batch-level hooks are called once per compiled call,
``on_train_batch_begin(0)`` before an epoch and ``on_train_batch_end(last
step, logs)`` after it, with the epoch's running logs. The weights and the
learning rate as the begin hooks leave them are what the epoch trains from;
the history is recorded after the other callbacks, as ``Model.fit``'s.
"""

import copy

import numpy as np

from . import import_keras
from .fit_description import FitDescription

keras = import_keras()

__all__ = ["FitDescription", "fit_callbacks", "initial_uniform", "predict", "train"]


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop when an epoch's loss is NaN or infinite (checked once per epoch)."""

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True


def fit_callbacks(
    *, early_stopping, n_iter_no_change, start_from_epoch, validating, log_dir, user_callbacks
):
    """Every fit's callbacks, then copies of the user's.

    The user's callbacks are copied: Keras writes the model onto each, and
    objects passed as a parameter must not change.
    """
    callbacks = [StopOnNonFiniteLoss()]
    if early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if validating else "loss",
                patience=n_iter_no_change,
                restore_best_weights=True,
                start_from_epoch=start_from_epoch,
            )
        )
    if log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    return callbacks + [copy.copy(callback) for callback in user_callbacks or ()]


def _backend_module():
    backend = keras.backend.backend()
    if backend == "jax":
        from . import engine_jax

        return engine_jax
    if backend == "tensorflow":
        from . import engine_tensorflow

        return engine_tensorflow
    from . import engine_keras

    return engine_keras


def train(fit):
    """Run the fit described by ``fit``.

    Returns
    -------
    history : dict of str to list of float
        Per epoch of this run.
    optimizer_state : list of ndarray
        The optimizer's variables at the end, to continue from
        (``FitDescription.optimizer_state``).
    """
    return _backend_module().train(fit)


def predict(model, X, prepare, scaling=None):
    """``model`` applied to ``prepare(X[chunk])``, chunk by chunk (see the backend module).

    ``scaling``, where given, is ``(offset, factor)`` in float32: the
    network's input is then ``(prepare(chunk) - offset) * factor``, computed
    inside the compiled call where the backend can (JAX) and on the host
    otherwise - the same float32 arithmetic either way. A model with several
    outputs gives a tuple of arrays.
    """
    module = _backend_module()
    if scaling is None:
        return module.predict(model, X, prepare)
    if getattr(module, "SCALES_INSIDE_PREDICT", False):
        return module.predict(model, X, prepare, scaling)
    offset, factor = scaling
    return module.predict(model, X, lambda chunk: (prepare(chunk) - offset) * factor)


def initial_uniform(seed, shape, minval, maxval):
    """Keras' float32 uniform draw for an integer ``seed``, computed on the host,
    or None where the backend draws it itself (see ``engine_jax.initial_uniform``)."""
    draw = getattr(_backend_module(), "initial_uniform", None)
    return None if draw is None else draw(seed, shape, minval, maxval)


def initial_zeros(shape, dtype):
    """Zeros of a float ``dtype`` made on the host, or None where the backend
    makes them itself (see ``engine_jax.initial_zeros``)."""
    make = getattr(_backend_module(), "initial_zeros", None)
    return None if make is None else make(shape, dtype)
