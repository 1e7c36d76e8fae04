"""What a fit is, its data, and the order of its batches: below every engine module.

:class:`FitDescription` says what to train, on what, for how long and with
which callbacks; the engine (:mod:`skae._keras.engine`) runs it on the active
backend. :class:`FitData` holds the data as row-aligned arrays, which each
backend indexes by row inside its compiled step
(:func:`skae._keras.batches.compose`). The batch order is here too, so that
every backend module draws the same batches from one definition, a pure
function of ``(seed, epoch)``. Nothing here imports a backend.
"""

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class FitData(NamedTuple):
    """A fit's data: arrays aligned by row, each in memory or read in pieces.

    A tuple, so that every backend indexes it as a structure (a JAX pytree,
    a TensorFlow nest). The network is trained to give back its input: a
    batch's target is ``x``, or ``(x, *targets)`` where ``targets`` are
    given. Each array is indexed by sorted row indices (``array[rows]``), so
    an out-of-core one (:class:`~skae._scaling.StandardizedRows`) reads only
    the rows asked for.

    Attributes
    ----------
    inputs : array-like of shape (n_rows, *network_shape)
        The network's input, standardised, float32.
    targets : tuple of array-like
        What the model is trained to give besides its input: the sequence
        model's future steps, the imputer's mask of observed entries.
    sample_weight : tuple
        ``(weights,)``, each row's weight in the loss (float32), or ``()``
        for equal weights.
    """

    inputs: object
    targets: tuple = ()
    sample_weight: tuple = ()


class Augmentation(NamedTuple):
    """What a fit does to each training image, drawn anew per epoch.

    Attributes
    ----------
    flip_horizontal : bool
        Mirror a seeded half of the images left-right.
    translate : int
        Shift each image by up to ``translate`` pixels up or down and left
        or right, each offset equally likely (the image's edge rows and
        columns fill the border).

    False when it does nothing (the validation batches' augmentation).
    """

    flip_horizontal: bool = False
    translate: int = 0

    def __bool__(self):
        return bool(self.flip_horizontal or self.translate)

    @property
    def n_offsets(self):
        """How many shifts are drawn from: (2 translate + 1)^2, the unshifted one included."""
        return (2 * self.translate + 1) ** 2


#: The images as they are (validation batches, and models that are not for images).
NO_AUGMENTATION = Augmentation()


@dataclass
class FitDescription:
    """One fit, described.

    Attributes
    ----------
    model : keras.Model
        The trained model; its ``compute_loss`` (or ``loss``) defines the loss.
    data : FitData
        The data, as row-aligned arrays.
    train_rows, val_rows : ndarray of int
        The rows that train, and those that validate (may be empty).
    batch_size, epochs : int
    optimizer : keras.optimizers.Optimizer
        A fresh optimizer.
    loss : str, callable or None
        Given to ``Model.compile``; None when the model computes its own.
    seed : int
        Seeds the batch order and the augmentation draws.
    early_stopping : bool
        Stop when the monitored loss (``val_loss`` where rows validate) has
        not improved for ``n_iter_no_change`` epochs, counted from epoch
        ``early_stopping_start``, and restore the best weights.
    n_iter_no_change, early_stopping_start : int
    log_dir : str or None
        TensorBoard's folder for this fit.
    callbacks : list of keras.callbacks.Callback
        The user's; the engine adds its own (early stopping, TensorBoard,
        the stop on a non-finite loss) and uses copies of these.
    verbose : int
        0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    augmentation : Augmentation
        What is done to the training images (mirrored left-right, shifted;
        the target is the changed input); nothing by default.
    initial_epoch : int
        The number of the first epoch: a fit that continues an earlier one
        (``warm_start``, ``partial_fit``) counts on from it, so its batch
        order and callbacks' epoch numbers continue too.
    optimizer_state : list of ndarray or None
        The optimizer's variables to start from (as the engine returned them
        after an earlier fit of the same model), or None for a fresh start.
        The learning rate is always the one of ``optimizer``.
    reach_val_loss : float or None
        A validation loss the fit is measured against afterwards (the
        sequence model's PCA error), or None. Training stops once it is out
        of reach: the best ``val_loss`` so far, falling as fast as it fell
        over the last ``n_iter_no_change`` epochs, would still be above it
        at the last epoch. Losses fall more slowly as training goes on, so
        the straight line overestimates what is left to gain.
    start_val_loss : float or None
        The validation loss of the weights training starts from, where they
        are a solution of their own (the sequence model started as PCA), or
        None. Early stopping then counts them as a candidate before the
        first epoch: a training that never beats them on the validation
        rows ends at them, not at its least bad epoch.
    """

    model: object
    data: FitData
    train_rows: np.ndarray
    val_rows: np.ndarray
    batch_size: int
    epochs: int
    optimizer: object
    loss: object
    seed: int
    early_stopping: bool = False
    n_iter_no_change: int = 10
    early_stopping_start: int = 0
    log_dir: object = None
    callbacks: list = field(default_factory=list)
    verbose: int = 0
    augmentation: Augmentation = NO_AUGMENTATION
    initial_epoch: int = 0
    optimizer_state: list = None
    reach_val_loss: float = None
    start_val_loss: float = None

    @property
    def steps_per_epoch(self):
        return steps_per_epoch(len(self.train_rows), self.batch_size)


def steps_per_epoch(n_rows, batch_size):
    """Batches in an epoch of ``n_rows`` rows (the last one may be short)."""
    return math.ceil(n_rows / batch_size)


def epoch_order(rows, seed, epoch):
    """The rows in epoch ``epoch``'s order: a pure function of ``(seed, epoch)``."""
    return np.random.default_rng([seed, int(epoch)]).permutation(rows)


def epoch_batches(rows, batch_size, seed=None, epoch=0):
    """The batches of one epoch, each an array of sorted row indices.

    With ``seed`` the rows are shuffled by :func:`epoch_order`; without, they
    keep their order (validation). Rows inside a batch are sorted: a memmap
    is read front to back, and a gradient step does not depend on the order.
    """
    order = np.asarray(rows) if seed is None else epoch_order(rows, seed, epoch)
    return [np.sort(order[i : i + batch_size]) for i in range(0, len(order), batch_size)]


def flip_draws(seed, epoch, batch_index, batch_length):
    """Which images of batch ``batch_index`` of ``epoch`` are mirrored (half, seeded)."""
    return np.random.default_rng([seed, epoch, batch_index]).random(batch_length) < 0.5


def augmentation_draws(augmentation, seed, epoch, batch_index, batch_length):
    """What happens to each image of batch ``batch_index`` of ``epoch``, one int32 per image.

    ``draw % 2`` is 1 where the image is mirrored (:func:`flip_draws`, so a
    fit that only flips mirrors the images it always did); ``draw // 2`` is
    the index of its shift among the ``augmentation.n_offsets`` offsets,
    row by row from (-translate, -translate); the middle one is no shift.
    The shifts come from a stream of their own, seeded by the same numbers.
    """
    draws = np.zeros(batch_length, dtype=np.int32)
    if augmentation.flip_horizontal:
        draws += flip_draws(seed, epoch, batch_index, batch_length)
    if augmentation.translate:
        stream = np.random.default_rng([seed, epoch, batch_index, 1])
        draws += 2 * stream.integers(0, augmentation.n_offsets, batch_length, dtype=np.int32)
    return draws
