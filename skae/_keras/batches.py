"""A training batch, composed from a fit's arrays inside each backend's compiled step.

One definition for every backend, in Keras' backend-neutral ops: the rows
gathered from each array of a
:class:`~skae._keras.fit_description.FitData`, the images mirrored and
shifted as the fit's seeded draws say, the target (the input, or the input and the other
targets) and the row weights, shaped per output for Keras' own losses.
"""

from . import import_keras
from .fit_description import NO_AUGMENTATION

keras = import_keras()
ops = keras.ops


def compose(
    arrays,
    rows,
    draws=None,
    augmentation=NO_AUGMENTATION,
    weights_per_output=True,
    xp=ops,
    gather=None,
):
    """``(x, y)`` or ``(x, y, sample_weight)``: the batch of ``rows`` of ``arrays``.

    Parameters
    ----------
    arrays : FitData
        ``(inputs, targets, sample_weight)`` (on the device, or NumPy).
    rows : int tensor of shape (batch_size,)
    draws : int32 tensor of shape (batch_size,) or None
        What to do to each image
        (:func:`~skae._keras.fit_description.augmentation_draws`); the
        target is the augmented input. None, or an ``augmentation`` that
        does nothing: the images as they are.
    augmentation : Augmentation
        The fit's kinds of augmentation, which ``draws`` pick from.
    weights_per_output : bool
        Shape the row weights for each output of ``y`` (Keras' losses reduce
        the last axis only); False hands models that compute their own loss
        one weight per row.
    xp : module
        ``keras.ops`` inside a compiled step; ``numpy`` on the host, where a
        backend op would compile a program of its own.
    gather : callable or None
        ``gather(array, rows)``; None: ``xp.take`` along the first axis. The
        JAX engine indexes (``array[rows]``): XLA fuses the gather it lowers
        to into the step as it did when skae's batches were first written,
        so the trained weights stay bit for bit those of that version
        (``jnp.take`` lowers to another gather, which rounds the step
        differently in the last bit).
    """
    if gather is None:

        def gather(array, rows):
            return xp.take(array, rows, axis=0)

    inputs, targets, weights = arrays
    x = gather(inputs, rows)
    if draws is not None and augmentation:
        x = augmented(x, draws, augmentation, xp)
    y = x if not targets else (x, *(gather(target, rows) for target in targets))
    if not weights:
        return x, y
    row_weights = gather(weights[0], rows)
    return x, y, per_output(row_weights, y, xp) if weights_per_output else row_weights


def by_index(array, rows):
    """``array[rows]``: the gather of NumPy and JAX arrays (see :func:`compose`)."""
    return array[rows]


def augmented(images, draws, augmentation, xp=ops):
    """``images`` mirrored where ``draws % 2`` is 1, then shifted by offset ``draws // 2``."""
    if augmentation.flip_horizontal:
        images = mirrored(images, draws % 2 == 1, xp)
    if augmentation.translate:
        images = translated(images, draws // 2, augmentation.translate, xp)
    return images


def mirrored(images, flips, xp=ops):
    """``images`` (rows, height, width, channels) with those marked in ``flips`` mirrored."""
    return xp.where(xp.reshape(flips, (-1, 1, 1, 1)), xp.flip(images, axis=2), images)


def translated(images, offsets, translate, xp=ops):
    """``images`` (rows, height, width, channels), each shifted by its offset.

    Offset ``i`` of the ``(2 translate + 1)^2`` moves the image's content
    ``i // (2 translate + 1) - translate`` rows up and ``i % (2 translate + 1)
    - translate`` columns left (negative: down, right); the rows and columns
    it uncovers repeat the image's edge, mirrored (NumPy's "symmetric"
    padding). Every pixel is copied, none computed, so all backends give
    the same images.
    """
    height, width = images.shape[1], images.shape[2]
    side = 2 * translate + 1
    margin = ((0, 0), (translate, translate), (translate, translate), (0, 0))
    padded = xp.pad(images, margin, mode="symmetric")
    offsets = xp.reshape(offsets, (-1, 1, 1, 1))
    result = images  # the middle offset: no shift
    for index in range(side * side):
        row, column = divmod(index, side)
        if (row, column) != (translate, translate):
            shifted = padded[:, row : row + height, column : column + width]
            result = xp.where(offsets == index, shifted, result)
    return result


def per_output(weights, target, xp=ops):
    """Row weights shaped for the loss of each output of ``target``.

    Keras' losses reduce the last axis only: an image target's per-sample
    loss is (rows, height, width), so the weights become (rows, 1, 1).
    """
    if isinstance(target, (tuple, list)):
        return tuple(per_output(weights, part, xp) for part in target)
    return xp.reshape(weights, (-1,) + (1,) * (len(target.shape) - 2))
