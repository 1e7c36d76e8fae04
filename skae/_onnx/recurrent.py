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


def _check(layer, xs):
    for setting in ("go_backwards", "return_state", "stateful"):
        if getattr(layer, setting, False):
            raise Unsupported(f"{type(layer).__name__} with {setting}=True")
    if len(xs) != 1:
        raise Unsupported(f"{type(layer).__name__} given an initial state or a mask")


def _stacked(matrix, order, units):
    """Keras' ``(inputs, n_gates * units)`` kernel as ONNX's ``(1, n_gates * units, inputs)``."""
    blocks = [matrix[..., k * units : (k + 1) * units] for k in range(len(order))]
    return np.concatenate([blocks[k] for k in order], axis=-1).T[None]


def _outputs(g, layer, y, y_h, units):
    """ONNX's ``Y`` (steps, 1, batch, units) or ``Y_h`` (1, batch, units) as Keras returns."""
    if layer.return_sequences:
        return [g.reshape(g.transpose(y, [2, 0, 1, 3]), [0, 0, -1])]
    return [g.reshape(y_h, [-1, units])]


def lstm(g, layer, xs, ins, outs):
    _check(layer, xs)
    cell, units = layer.cell, layer.cell.units
    order = [0, 3, 1, 2]  # Keras i, f, c, o  ->  ONNX i, o, f, c
    activations = [_activation(cell.recurrent_activation), *[_activation(cell.activation)] * 2]

    def bias():
        b = array(cell.bias) if cell.use_bias else np.zeros(4 * units, np.float32)
        return np.concatenate([_stacked(b[None], order, units)[0, :, 0], np.zeros(4 * units)])[None]

    y, y_h = g.op(
        "LSTM",
        g.transpose(xs[0], [1, 0, 2]),
        weight(g, layer, "W", lambda: _stacked(array(cell.kernel), order, units)),
        weight(g, layer, "R", lambda: _stacked(array(cell.recurrent_kernel), order, units)),
        weight(g, layer, "B", bias),
        n_outputs=2,
        hidden_size=units,
        activations=activations,
    )
    return _outputs(g, layer, y, y_h, units)


def gru(g, layer, xs, ins, outs):
    _check(layer, xs)
    cell, units = layer.cell, layer.cell.units
    order = [0, 1, 2]  # z, r, h in both

    def bias():
        if not cell.use_bias:
            return np.zeros((1, 6 * units), np.float32)
        b = array(cell.bias)
        if not cell.reset_after:  # one input bias; the recurrent one is zero
            b = np.stack([b, np.zeros_like(b)])
        return b.reshape(1, 6 * units)

    y, y_h = g.op(
        "GRU",
        g.transpose(xs[0], [1, 0, 2]),
        weight(g, layer, "W", lambda: _stacked(array(cell.kernel), order, units)),
        weight(g, layer, "R", lambda: _stacked(array(cell.recurrent_kernel), order, units)),
        weight(g, layer, "B", bias),
        n_outputs=2,
        hidden_size=units,
        activations=[_activation(cell.recurrent_activation), _activation(cell.activation)],
        linear_before_reset=int(bool(cell.reset_after)),
    )
    return _outputs(g, layer, y, y_h, units)


def simple_rnn(g, layer, xs, ins, outs):
    _check(layer, xs)
    cell, units = layer.cell, layer.cell.units

    def bias():
        b = array(cell.bias) if cell.use_bias else np.zeros(units, np.float32)
        return np.concatenate([b, np.zeros(units, np.float32)])[None]

    y, y_h = g.op(
        "RNN",
        g.transpose(xs[0], [1, 0, 2]),
        weight(g, layer, "W", lambda: array(cell.kernel).T[None]),
        weight(g, layer, "R", lambda: array(cell.recurrent_kernel).T[None]),
        weight(g, layer, "B", bias),
        n_outputs=2,
        hidden_size=units,
        activations=[_activation(cell.activation)],
    )
    return _outputs(g, layer, y, y_h, units)


WRITERS = {
    keras.layers.LSTM: lstm,
    keras.layers.GRU: gru,
    keras.layers.SimpleRNN: simple_rnn,
}
