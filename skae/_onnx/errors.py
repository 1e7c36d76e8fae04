"""The errors :mod:`skae.onnx` raises (no Keras import: ``import skae.onnx`` stays light)."""


class ExportError(RuntimeError):
    """Raised for a network that neither skae's writers nor Keras' exporter could write.

    The message names the layer skae does not write and what Keras'
    ``model.export(format="onnx")`` answered (tf2onnx or jax2onnx missing,
    or its own error).

    Examples
    --------
    >>> from skae.onnx import ExportError
    >>> issubclass(ExportError, RuntimeError)
    True
    """


class MismatchError(ValueError):
    """Raised when an exported graph computes something other than its model.

    :func:`skae.onnx.to_onnx` runs every graph in onnxruntime on its sample
    and compares each output with the model's; the message names the output,
    the largest difference and the tolerance.

    Examples
    --------
    >>> from skae.onnx import MismatchError
    >>> issubclass(MismatchError, ValueError)
    True
    """
