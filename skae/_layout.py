"""Sample layouts: how one sample is shaped, for the user and for the network.

Every estimator reads its input as flat rows (one sample a row) and declares
a layout that says what a row is: plain features (:class:`Rows`), an image
(:class:`Images`) or a sequence (:class:`Sequences`). The layout

- says how many dimensions a sample given as an array has (images
  ``(n, h, w[, c])``, sequences ``(n, t, f)``), which
  :mod:`skae._validation` flattens to rows, in memory or out of core;
- resolves, at fit, the shape the network reads from the data and the
  estimator's shape parameter (``image_shape``, ``sequence_shape``), with
  errors that name both sizes;
- maps rows to the network's input and its output back to rows, and rows to
  the layout the user gave at fit (what ``inverse_transform`` returns).

A resolved layout is a :class:`FittedLayout`, kept by the estimator as
``layout_``.
"""

import numpy as np


class FittedLayout:
    """The sample shapes of a fitted estimator.

    Parameters
    ----------
    network_shape : tuple of int
        Shape of one sample at the network's input and output.
    input_shape : tuple of int
        Shape of one sample as ``fit`` received it: ``(n_features,)`` for
        rows, the image or sequence shape for arrays of samples.
    kind : {"rows", "images", "sequences"}
        What the network reads.
    """

    def __init__(self, network_shape, input_shape, kind):
        self.network_shape = tuple(int(s) for s in network_shape)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.kind = kind

    def to_network(self, rows):
        """Standardised rows shaped as the network's input."""
        return rows.reshape((len(rows), *self.network_shape))

    def from_network(self, output):
        """The network's output (one sample per entry) as flat rows."""
        output = np.asarray(output)
        return output.reshape(len(output), -1)

    def to_input(self, rows):
        """Flat rows in the layout ``fit`` received."""
        return rows.reshape((len(rows), *self.input_shape))

    def check(self, sample_shape, estimator_name):
        """Raise if samples given as arrays at transform differ from fit's."""
        if sample_shape is None or sample_shape == self.network_shape[: len(sample_shape)]:
            return
        raise ValueError(
            f"X holds {self.kind} of shape {sample_shape}, but {estimator_name} was fitted "
            f"on {self.kind} of shape {self.network_shape}."
        )

    def __repr__(self):
        return (
            f"FittedLayout(network_shape={self.network_shape}, "
            f"input_shape={self.input_shape}, kind={self.kind!r})"
        )


class Rows:
    """Each sample is a row of features; the network reads the row."""

    sample_ndims = ()
    shape_parameter = None
    fitted_attribute = None

    def resolve(self, n_features, sample_shape, declared):
        return FittedLayout((n_features,), (n_features,), "rows")


class Images:
    """Each sample is an image: flat pixel rows with ``image_shape``, or image arrays.

    Parameters
    ----------
    flat_rows : {"images", "rows"}
        What flat rows without ``image_shape`` are: one-pixel-high images
        ``(1, n_features, 1)`` (a 1-D convolution along the row), or plain
        rows for a dense network.
    """

    sample_ndims = (2, 3)
    shape_parameter = "image_shape"
    fitted_attribute = "image_shape_"

    def __init__(self, flat_rows="images"):
        self.flat_rows = flat_rows

    def resolve(self, n_features, sample_shape, declared):
        if sample_shape is not None:
            shape = _with_channels(sample_shape)
            if declared is not None and _with_channels(declared) != shape:
                raise ValueError(
                    f"image_shape={tuple(declared)!r} does not match the images' "
                    f"shape {tuple(sample_shape)}."
                )
            return FittedLayout(shape, sample_shape, "images")
        if declared is None:
            if self.flat_rows == "rows":
                return FittedLayout((n_features,), (n_features,), "rows")
            return FittedLayout((1, n_features, 1), (n_features,), "images")
        shape = _with_channels(declared)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(
                "image_shape must be (height, width) or (height, width, channels) of "
                f"positive integers, got {declared!r}."
            )
        _check_size("image_shape", declared, shape, n_features, "image")
        return FittedLayout(shape, (n_features,), "images")


class Sequences:
    """Each sample is a sequence: ``(n, timesteps, features)`` arrays or flat rows.

    Flat rows without ``sequence_shape`` are univariate sequences
    ``(n_features, 1)``.
    """

    sample_ndims = (2,)
    shape_parameter = "sequence_shape"
    fitted_attribute = "sequence_shape_"

    def resolve(self, n_features, sample_shape, declared):
        if sample_shape is not None:
            return FittedLayout(sample_shape, sample_shape, "sequences")
        if declared is None:
            return FittedLayout((n_features, 1), (n_features,), "sequences")
        shape = tuple(int(s) for s in declared)
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(
                "sequence_shape must be (timesteps, features) of positive integers, "
                f"got {declared!r}."
            )
        _check_size("sequence_shape", declared, shape, n_features, "sequence")
        return FittedLayout(shape, (n_features,), "sequences")


def _with_channels(shape):
    shape = tuple(int(s) for s in shape)
    return (*shape, 1) if len(shape) == 2 else shape


def _check_size(name, declared, shape, n_features, sample):
    n_values = int(np.prod(shape))
    if n_values != n_features:
        raise ValueError(
            f"{name}={tuple(declared)!r} holds {n_values} values per {sample}, "
            f"but X has {n_features} features per row."
        )
