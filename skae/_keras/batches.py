"""A training batch, composed from a fit's arrays inside each backend's compiled step.

One definition for every backend, in Keras' backend-neutral ops: the rows
gathered from each array of a
:class:`~skae._keras.fit_description.FitData`, a seeded half of the images
mirrored left-right, the target (the input, or the input and the other
targets) and the row weights, shaped per output for Keras' own losses.
"""

from . import import_keras

keras = import_keras()
ops = keras.ops


def compose(arrays, rows, flips=None, weights_per_output=True, xp=ops, gather=None):
    """``(x, y)`` or ``(x, y, sample_weight)``: the batch of ``rows`` of ``arrays``.

    Parameters
    ----------
    arrays : FitData
        ``(inputs, targets, sample_weight)`` (on the device, or NumPy).
    rows : int tensor of shape (batch_size,)
    flips : bool tensor of shape (batch_size,) or None
        Which images to mirror (the target is the mirrored input).
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
    if flips is not None:
        x = mirrored(x, flips, xp)
    y = x if not targets else (x, *(gather(target, rows) for target in targets))
    if not weights:
        return x, y
    row_weights = gather(weights[0], rows)
    return x, y, per_output(row_weights, y, xp) if weights_per_output else row_weights


def by_index(array, rows):
    """``array[rows]``: the gather of NumPy and JAX arrays (see :func:`compose`)."""
    return array[rows]


def mirrored(images, flips, xp=ops):
    """``images`` (rows, height, width, channels) with those marked in ``flips`` mirrored."""
    return xp.where(xp.reshape(flips, (-1, 1, 1, 1)), xp.flip(images, axis=2), images)


def per_output(weights, target, xp=ops):
    """Row weights shaped for the loss of each output of ``target``.

    Keras' losses reduce the last axis only: an image target's per-sample
    loss is (rows, height, width), so the weights become (rows, 1, 1).
    """
    if isinstance(target, (tuple, list)):
        return tuple(per_output(weights, part, xp) for part in target)
    return xp.reshape(weights, (-1,) + (1,) * (len(target.shape) - 2))
