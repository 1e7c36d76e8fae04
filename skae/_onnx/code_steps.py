"""``AutoencoderImputer(n_code_steps=n)`` in the graph: the code fit as an ONNX ``Loop``.

``transform`` moves each incomplete row's code by n steps of Adam on the
row's mean squared error over its observed entries
(:mod:`skae._keras.code_fit`). Here one step is written out as the body of
a ``Loop`` run n times: the decoder's forward pass, the gradient of that
error with respect to the code (each Dense layer's backward pass, its
activation's derivative taken from its output), and Adam's update, all in
float32 as the engines compute them. The body reads the decoder's weights
and the rows' targets from the enclosing graph.

The imputer's decoder is a stack of Dense layers; the activations whose
derivative is written here are linear, relu, tanh and sigmoid.
"""

import numpy as np
from onnx import TensorProto, helper

from .._keras import import_keras
from .._keras.code_fit import BETA_1, BETA_2, EPSILON, LEARNING_RATE
from . import layers
from .graph import CODE_STEP_BODY

keras = import_keras()
A = keras.activations

#: The forward op of each activation whose derivative is written here.
FORWARD = {A.linear: None, A.relu: "Relu", A.tanh: "Tanh", A.sigmoid: "Sigmoid"}


def dense_stack(decoder):
    """The decoder's Dense layers in order; :class:`layers.Unsupported` otherwise."""
    stack = []
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if type(layer) is not keras.layers.Dense or getattr(layer, "quantization_mode", None):
            raise layers.Unsupported(f"layer {layer.name!r} ({type(layer).__name__})")
        if layer.activation not in FORWARD:
            name = layers.activation_name(layer.activation)
            raise layers.Unsupported(f"the derivative of activation {name!r}")
        stack.append(layer)
    return stack


class _Body:
    """The nodes of the loop's body, their outputs named by the enclosing graph."""

    def __init__(self, g):
        self.g, self.nodes = g, []

    def op(self, op_type, *inputs, **attrs):
        out = self.g.name(f"code_step_{op_type.lower()}")
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


def fitted_codes(g, decoder, codes, target, observed, steps):
    """``codes`` (float32) after ``steps`` of Adam on each row's mean squared
    error over its ``observed`` entries (float32 0/1) of ``target`` (network units)."""
    stack = dense_stack(decoder)

    def const(value):
        return g.cached(("code_steps", float(value)), lambda: g.const(np.float32(value)))

    count = g.op("Max", g.reduce_sum(observed, [1], keepdims=1), const(1.0))
    # d(error)/d(decoded) = scale * (decoded - target), scale = 2 * observed / count
    scale = g.op("Div", g.op("Mul", observed, const(2.0)), count)
    weights = [
        (
            layers.weight(g, layer, "kernel", lambda layer=layer: layers.array(layer.kernel)),
            layers.weight(g, layer, "bias", lambda layer=layer: layers.array(layer.bias))
            if layer.use_bias
            else None,
        )
        for layer in stack
    ]
    one, zero = const(1.0), const(0.0)

    body = _Body(g)
    # The loop's state: the step, its condition, the codes and Adam's moments;
    # the rows' targets and gradient scale ride along unchanged, so that the
    # loop node names every value it reads that a node computes.
    names = ("i", "cond", "z", "m", "v", "target", "scale")
    i, cond, z, m, v, target_in, scale_in = (g.name(f"code_step_{n}") for n in names)
    x, outs = z, []
    for layer, (kernel, bias) in zip(stack, weights, strict=True):
        x = body.op("MatMul", x, kernel)
        if bias is not None:
            x = body.op("Add", x, bias)
        if FORWARD[layer.activation] is not None:
            x = body.op(FORWARD[layer.activation], x)
        outs.append(x)
    gradient = body.op("Mul", scale_in, body.op("Sub", x, target_in))
    for layer, out, (kernel, _) in zip(stack[::-1], outs[::-1], weights[::-1], strict=True):
        if layer.activation is A.relu:  # 0 at 0, as the engines' gradients of relu
            derivative = body.op("Cast", body.op("Greater", out, zero), to=TensorProto.FLOAT)
        elif layer.activation is A.tanh:
            derivative = body.op("Sub", one, body.op("Mul", out, out))
        elif layer.activation is A.sigmoid:
            derivative = body.op("Mul", out, body.op("Sub", one, out))
        else:
            derivative = None
        if derivative is not None:
            gradient = body.op("Mul", gradient, derivative)
        gradient = body.op("Gemm", gradient, kernel, transB=1)  # gradient @ kernel.T
    # skae._keras.code_fit.adam_step, the step counted from 1, in float32.
    step = body.op("Add", body.op("Cast", i, to=TensorProto.FLOAT), one)
    alpha = body.op(
        "Div",
        body.op("Mul", const(LEARNING_RATE), body.op(
            "Sqrt", body.op("Sub", one, body.op("Pow", const(BETA_2), step)))),
        body.op("Sub", one, body.op("Pow", const(BETA_1), step)),
    )  # fmt: skip
    m_next = body.op("Add", m, body.op("Mul", body.op("Sub", gradient, m), const(1.0 - BETA_1)))
    squared = body.op("Mul", gradient, gradient)
    v_next = body.op("Add", v, body.op("Mul", body.op("Sub", squared, v), const(1.0 - BETA_2)))
    denominator = body.op("Add", body.op("Sqrt", v_next), const(EPSILON))
    z_next = body.op("Sub", z, body.op("Div", body.op("Mul", alpha, m_next), denominator))
    passed_on = [body.op("Identity", name) for name in (cond, target_in, scale_in)]

    width, n_features = decoder.input_shape[-1], decoder.output_shape[-1]

    def scalar(name, element_type):
        return helper.make_tensor_value_info(name, element_type, [])

    def rows(name, n_columns):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, n_columns])

    graph = helper.make_graph(
        body.nodes,
        g.name(CODE_STEP_BODY),
        [scalar(i, TensorProto.INT64), scalar(cond, TensorProto.BOOL)]
        + [rows(z, width), rows(m, width), rows(v, width)]
        + [rows(target_in, n_features), rows(scale_in, n_features)],
        [scalar(passed_on[0], TensorProto.BOOL)]
        + [rows(name, width) for name in (z_next, m_next, v_next)]
        + [rows(name, n_features) for name in passed_on[1:]],
    )
    zeros = g.op("Sub", codes, codes)
    # Scalars (the graph's constants are stored with at least one axis).
    trip_count = g.cached(
        ("code_steps", "steps", steps),
        lambda: g.reshape(g.const(np.int64(steps), np.int64, "steps"), []),
    )
    true = g.cached(("code_steps", "true"), lambda: g.reshape(g.const(True, np.bool_), []))
    loop = g.op("Loop", trip_count, true, codes, zeros, zeros, target, scale, n_outputs=5,
                body=graph)  # fmt: skip
    return loop[0]
