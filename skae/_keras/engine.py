"""The training engine: runs a :class:`FitDescription`, returns the history.

Separation of concerns:

- The estimator (:class:`skae.BaseAutoencoder`) owns the data: validation,
  scaling, targets, the train / validation split, and the networks; it
  describes one fit as a :class:`~skae._keras.fit_description.FitDescription`
  whose data are row-aligned arrays (:class:`~skae._keras.fit_description.FitData`).
- :mod:`skae._keras.fit_description` owns the batch order, a pure function
  of ``(seed, epoch)`` shared by every backend, and
  :mod:`skae._keras.batches` the composition of a batch from the arrays,
  inside the compiled step.
- This module (the front) owns what is the same on every backend: the
  callbacks that the description asks for (early stopping with best
  weights, TensorBoard, the non-finite-loss stop, the user's copies) and the
  choice of backend module.
- :mod:`~skae._keras.engine_loop` runs the epochs on a *session*, the
  contract (:class:`~skae._keras.engine_loop.Session`) that one module per
  backend implements: :mod:`~skae._keras.engine_jax` compiles whole epochs
  (``jax.lax.scan`` over the epoch's batches, data on the device),
  :mod:`~skae._keras.engine_tensorflow` runs them in one ``tf.function``;
  other backends fall back on ``Model.fit``
  (:mod:`~skae._keras.engine_model_fit`).

Each backend module also runs the steps of :func:`fit_codes` (its own
``fit_codes``: the codes of incomplete rows fitted at
``AutoencoderImputer.transform``).

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
from .fit_description import FitData, FitDescription

keras = import_keras()

__all__ = ["FitData", "FitDescription", "fit_callbacks", "fit_codes", "predict", "train"]


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop when an epoch's loss is NaN or infinite (checked once per epoch)."""

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True


class StopOutOfReach(keras.callbacks.Callback):
    """Stop once the best ``val_loss`` can no longer reach ``target`` before ``end_epoch``.

    Out of reach: the best validation loss so far, falling at its mean rate
    over the last ``window`` epochs until the last epoch (``end_epoch - 1``,
    0-based), stays above ``target``. Once the best loss is at or under
    ``target``, it never stops. ``stopped_epoch`` is the epoch it stopped
    after, or None.
    """

    def __init__(self, target, end_epoch, window, verbose=0):
        super().__init__()
        self.target, self.end_epoch, self.window = float(target), end_epoch, max(1, window)
        self.verbose = verbose
        self.best, self.stopped_epoch = [], None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is None or not np.isfinite(loss):
            return
        self.best.append(min(loss, self.best[-1]) if self.best else loss)
        best = self.best[-1]
        if best <= self.target or len(self.best) <= self.window:
            return
        rate = (self.best[-1 - self.window] - best) / self.window
        epochs_left = self.end_epoch - (epoch + 1)
        if best - rate * epochs_left > self.target:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                keras.utils.io_utils.print_msg(
                    f"Epoch {epoch + 1}: stopping, val_loss {self.target:.4g} is out of reach"
                )


class EarlyStoppingFromStart(keras.callbacks.EarlyStopping):
    """Keras' ``EarlyStopping`` that counts the starting weights as a candidate.

    They are the best so far when training begins, with the monitored value
    ``start_loss``: an epoch is kept only where it improves on them, and a
    training none of whose epochs does ends at the weights it started from
    (Keras' own callback keeps the first epoch, however much worse).
    """

    def __init__(self, start_loss, **kwargs):
        super().__init__(**kwargs)
        self.start_loss = float(start_loss)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.best, self.best_epoch = self.start_loss, -1  # -1: before the first epoch
        if self.restore_best_weights:
            self.best_weights = self.model.get_weights()


def fit_callbacks(fit):
    """Every fit's callbacks as ``fit`` asks for them, then copies of the user's.

    The user's callbacks are copied: Keras writes the model onto each, and
    objects passed as a parameter must not change.
    """
    callbacks = [StopOnNonFiniteLoss()]
    if fit.early_stopping:
        options = {
            "monitor": "val_loss" if len(fit.val_rows) else "loss",
            "patience": fit.n_iter_no_change,
            "restore_best_weights": True,
            "start_from_epoch": fit.early_stopping_start,
        }
        if fit.start_val_loss is not None and len(fit.val_rows):
            callbacks.append(EarlyStoppingFromStart(fit.start_val_loss, **options))
        else:
            callbacks.append(keras.callbacks.EarlyStopping(**options))
    if fit.reach_val_loss is not None and len(fit.val_rows):
        end_epoch = fit.initial_epoch + fit.epochs
        callbacks.append(
            StopOutOfReach(fit.reach_val_loss, end_epoch, fit.n_iter_no_change, fit.verbose)
        )
    if fit.log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=fit.log_dir))
    return callbacks + [copy.copy(callback) for callback in fit.callbacks or ()]


def _backend_module():
    backend = keras.backend.backend()
    if backend == "jax":
        from . import engine_jax

        return engine_jax
    if backend == "tensorflow":
        from . import engine_tensorflow

        return engine_tensorflow
    from . import engine_model_fit

    return engine_model_fit


def _session_class():
    """The backend's :class:`~skae._keras.engine_loop.Session`, or None: ``Model.fit``."""
    backend = keras.backend.backend()
    if backend == "jax":
        from .engine_jax import Session

        return Session
    if backend == "tensorflow":
        from .engine_tensorflow import Session

        return Session
    return None


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
    callbacks = fit_callbacks(fit)
    session_class = _session_class()
    if session_class is None:
        from . import engine_model_fit

        return engine_model_fit.train(fit, callbacks)
    from . import engine_loop

    return engine_loop.run(fit, session_class, callbacks)


def predict(model, X, prepare, scaling=None):
    """``model`` applied to ``prepare(X[chunk])``, chunk by chunk (see the backend module).

    ``scaling``, where given, is ``(offset, factor)`` in float32: the
    network's input is then ``(prepare(chunk) - offset) * factor``, computed
    inside the compiled call where the backend can (JAX) and on the host
    otherwise - the same float32 arithmetic either way. A model with several
    outputs gives a tuple of arrays.
    """
    return _backend_module().predict(model, X, prepare, scaling)


def fit_codes(decoder, codes, target, observed, steps, loop=None):
    """``codes`` after ``steps`` of Adam on each row's error over its observed entries.

    See :mod:`skae._keras.code_fit`. The rows go in chunks of
    ``code_fit.CHUNK_ROWS``; a row's result does not depend on its chunk.

    Parameters
    ----------
    decoder : keras.Model
        The fitted decoder (its weights are not changed).
    codes : ndarray of shape (n_rows, width)
        The starting codes (the encoder's).
    target : ndarray of shape (n_rows, n_features)
        The rows in network units (the decoder's output space, flat); values at
        unobserved entries are ignored.
    observed : ndarray of bool, shape (n_rows, n_features)
        Which entries count.
    steps : int
        Adam steps; 0 returns ``codes``.
    loop : callable, optional
        ``loop(decoder, codes, target, observed, steps)`` runs the steps on
        one chunk: by default the active backend module's ``fit_codes``;
        tests pass :func:`skae._keras.engine_model_fit.fit_codes`.

    Returns
    -------
    codes : ndarray of float32, shape (n_rows, width)
    """
    from . import code_fit

    codes = np.asarray(codes, dtype=np.float32)
    if steps == 0 or len(codes) == 0:
        return codes
    loop = loop or _backend_module().fit_codes
    target = np.where(observed, target, 0.0).astype(np.float32)
    observed = np.asarray(observed, dtype=np.float32)
    fitted = np.empty_like(codes)
    for start in range(0, len(codes), code_fit.CHUNK_ROWS):
        chunk = slice(start, start + code_fit.CHUNK_ROWS)
        fitted[chunk] = loop(decoder, codes[chunk], target[chunk], observed[chunk], int(steps))
    return fitted
