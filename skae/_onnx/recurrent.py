"""Keras' LSTM, GRU and SimpleRNN layers as ONNX's LSTM, GRU and RNN operators.

The two differ in three ways, each handled here:

- batch-major ``(batch, steps, features)`` in Keras, time-major in ONNX
  (onnxruntime does not run ONNX's batch-major ``layout=1``): a transpose;
- the gates' order inside the stacked weights: Keras' LSTM stacks
  ``i, f, c, o``, ONNX ``i, o, f, c``; both GRUs stack ``z, r, h``;
- where the GRU's reset gate applies: Keras' default ``reset_after=True``
  is ONNX's ``linear_before_reset=1``, with Keras' two bias rows as ONNX's
  input and recurrent biases.
"""

import numpy as np

from .._keras import import_keras
from .layers import Unsupported, array, weight

keras = import_keras()
A = keras.activations

# Keras activations that ONNX's recurrent operators name (without parameters).
RECURRENT_ACTIVATIONS = {
    A.sigmoid: "Sigmoid",
    A.tanh: "Tanh",
    A.relu: "Relu",
    A.softsign: "Softsign",
    A.softplus: "Softplus",
}


def _activation(function):
    if function not in RECURRENT_ACTIVATIONS:
        name = getattr(function, "__name__", repr(function))
        raise Unsupported(f"a recurrent layer with activation {name!r}")
    return RECURRENT_ACTIVATIONS[function]


def _check(layer, xs, backwards=False):
    for setting in ("return_state", "stateful"):
        if getattr(layer, setting, False):
            raise Unsupported(f"{type(layer).__name__} with {setting}=True")
    if bool(getattr(layer, "go_backwards", False)) != backwards:
        raise Unsupported(f"{type(layer).__name__} with go_backwards={not backwards}")
    if len(xs) != 1:
        raise Unsupported(f"{type(layer).__name__} given an initial state or a mask")


def _stacked(matrix, order, units):
    """Keras' ``(inputs, n_gates * units)`` kernel as ONNX's ``(1, n_gates * units, inputs)``."""
    blocks = [matrix[..., k * units : (k + 1) * units] for k in range(len(order))]
    return np.concatenate([blocks[k] for k in order], axis=-1).T[None]


def _lstm(layer):
    """ONNX's LSTM weights ``W, R, B`` of one direction, and its attributes."""
    cell, units = layer.cell, layer.cell.units
    order = [0, 3, 1, 2]  # Keras i, f, c, o  ->  ONNX i, o, f, c
    b = array(cell.bias) if cell.use_bias else np.zeros(4 * units, np.float32)
    bias = np.concatenate([_stacked(b[None], order, units)[0, :, 0], np.zeros(4 * units)])[None]
    weights = (
        _stacked(array(cell.kernel), order, units),
        _stacked(array(cell.recurrent_kernel), order, units),
        bias.astype(np.float32),
    )
    activations = [_activation(cell.recurrent_activation), *[_activation(cell.activation)] * 2]
    return "LSTM", weights, {"hidden_size": units, "activations": activations}


def _gru(layer):
    cell, units = layer.cell, layer.cell.units
    order = [0, 1, 2]  # z, r, h in both
    if not cell.use_bias:
        bias = np.zeros((1, 6 * units), np.float32)
    else:
        b = array(cell.bias)
        if not cell.reset_after:  # one input bias; the recurrent one is zero
            b = np.stack([b, np.zeros_like(b)])
        bias = b.reshape(1, 6 * units)
    weights = (
        _stacked(array(cell.kernel), order, units),
        _stacked(array(cell.recurrent_kernel), order, units),
        bias,
    )
    attributes = {
        "hidden_size": units,
        "activations": [_activation(cell.recurrent_activation), _activation(cell.activation)],
        "linear_before_reset": int(bool(cell.reset_after)),
    }
    return "GRU", weights, attributes


def _simple_rnn(layer):
    cell, units = layer.cell, layer.cell.units
    b = array(cell.bias) if cell.use_bias else np.zeros(units, np.float32)
    weights = (
        array(cell.kernel).T[None],
        array(cell.recurrent_kernel).T[None],
        np.concatenate([b, np.zeros(units, np.float32)])[None],
    )
    return "RNN", weights, {"hidden_size": units, "activations": [_activation(cell.activation)]}


def _write(g, layer, x, op, weights, attributes):
    """The ONNX operator over batch-major ``x``: its ``Y`` and ``Y_h``."""
    names = [
        weight(g, layer, name, lambda value=value: value)
        for name, value in zip("WRB", weights, strict=True)
    ]
    return g.op(op, g.transpose(x, [1, 0, 2]), *names, n_outputs=2, **attributes)


def _unidirectional(describe):
    def write(g, layer, xs, ins, outs):
        _check(layer, xs)
        op, weights, attributes = describe(layer)
        y, y_h = _write(g, layer, xs[0], op, weights, attributes)
        units = attributes["hidden_size"]
        if layer.return_sequences:  # Y (steps, 1, batch, units)
            return [g.reshape(g.transpose(y, [2, 0, 1, 3]), [0, 0, -1])]
        return [g.reshape(y_h, [-1, units])]  # Y_h (1, batch, units)

    return write


def bidirectional(g, layer, xs, ins, outs):
    """Keras' Bidirectional (merge_mode "concat") as one operator with direction="bidirectional".

    ONNX's reverse direction, like Keras' backward layer, reads the steps
    last to first and returns its outputs in the input's order; its last
    state is the one after the first step, as Keras' backward layer returns.
    """
    forward, backward = layer.forward_layer, layer.backward_layer
    describe = DESCRIPTIONS.get(type(forward))
    if describe is None or type(backward) is not type(forward):
        raise Unsupported(
            f"Bidirectional over {type(forward).__name__} and {type(backward).__name__}"
        )
    if layer.merge_mode != "concat":
        raise Unsupported(f"Bidirectional with merge_mode={layer.merge_mode!r}")
    _check(forward, xs)
    _check(backward, xs, backwards=True)
    op, weights, attributes = describe(forward)
    _, backward_weights, backward_attributes = describe(backward)
    if backward_attributes != attributes:
        raise Unsupported("Bidirectional whose two layers differ in size or activations")
    stacked = [np.concatenate(pair, axis=0) for pair in zip(weights, backward_weights, strict=True)]
    attributes = {
        **attributes,
        "activations": attributes["activations"] * 2,
        "direction": "bidirectional",
    }
    y, y_h = _write(g, layer, xs[0], op, stacked, attributes)
    if layer.return_sequences:  # Y (steps, 2, batch, units): each step's two outputs side by side
        return [g.reshape(g.transpose(y, [2, 0, 1, 3]), [0, 0, -1])]
    return [g.reshape(g.transpose(y_h, [1, 0, 2]), [0, -1])]  # Y_h (2, batch, units)


DESCRIPTIONS = {
    keras.layers.LSTM: _lstm,
    keras.layers.GRU: _gru,
    keras.layers.SimpleRNN: _simple_rnn,
}

WRITERS = {
    **{layer: _unidirectional(describe) for layer, describe in DESCRIPTIONS.items()},
    keras.layers.Bidirectional: bidirectional,
}
