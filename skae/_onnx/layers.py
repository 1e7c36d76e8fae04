"""Keras layers written as ONNX nodes from their weights.

Tensors keep Keras' channels-last layout throughout; only the operators that
ONNX defines channels-first (convolutions, pooling) are wrapped in a pair of
transposes, which onnxruntime's optimiser cancels between neighbours.
"Same" padding is written as Keras computes it (the odd pixel at the end),
from the static shapes. Each writer takes ``(g, layer, inputs, in_shapes,
out_shapes)`` and returns its outputs' names; a layer or setting it cannot
write raises :class:`Unsupported` before anything is added (the caller
writes a network inside a :meth:`Graph.transaction`).
"""

import math

import numpy as np

from .._keras import import_keras
from .._keras.layers import MaskingNoise, Sampling

keras = import_keras()
L = keras.layers
A = keras.activations


class Unsupported(Exception):
    """A layer or setting the writers do not know; the message names it."""


def array(variable):
    """A Keras variable's value as float32 (np.asarray: see ``noise_log_variance``)."""
    return np.asarray(variable).astype(np.float32)


def weight(g, layer, name, make):
    """A layer's weight as an initializer, written once per graph."""
    return g.cached((id(layer), name), lambda: g.const(make(), np.float32, name))


# ----------------------------------------------------------------- activations


def _gelu(g, x):
    """Keras' exact gelu, ``x / 2 * (1 + erf(x / sqrt(2)))``."""
    erf = g.op("Erf", g.op("Mul", x, g.const(np.float32(1 / math.sqrt(2)))))
    half = g.op("Mul", x, g.const(np.float32(0.5)))
    return g.op("Mul", half, g.op("Add", erf, g.const(np.float32(1.0))))


def _with_hard_sigmoid(g, x):
    return g.op("Mul", x, g.op("HardSigmoid", x, alpha=1 / 6, beta=0.5))


ACTIVATIONS = {
    A.linear: lambda g, x: x,
    A.relu: lambda g, x: g.op("Relu", x),
    A.sigmoid: lambda g, x: g.op("Sigmoid", x),
    A.tanh: lambda g, x: g.op("Tanh", x),
    A.softplus: lambda g, x: g.op("Softplus", x),
    A.softsign: lambda g, x: g.op("Softsign", x),
    A.exponential: lambda g, x: g.op("Exp", x),
    A.elu: lambda g, x: g.op("Elu", x, alpha=1.0),
    A.selu: lambda g, x: g.op("Selu", x, alpha=1.6732632423543772, gamma=1.0507009873554805),
    A.leaky_relu: lambda g, x: g.op("LeakyRelu", x, alpha=0.2),
    A.relu6: lambda g, x: g.op("Clip", x, g.const(np.float32(0)), g.const(np.float32(6))),
    A.silu: lambda g, x: g.op("Mul", x, g.op("Sigmoid", x)),
    A.hard_sigmoid: lambda g, x: g.op("HardSigmoid", x, alpha=1 / 6, beta=0.5),
    A.hard_silu: _with_hard_sigmoid,
    A.gelu: _gelu,
    A.mish: lambda g, x: g.op("Mul", x, g.op("Tanh", g.op("Softplus", x))),
    A.log_sigmoid: lambda g, x: g.op("Neg", g.op("Softplus", g.op("Neg", x))),
    A.softmax: lambda g, x: g.op("Softmax", x, axis=-1),
    A.log_softmax: lambda g, x: g.op("LogSoftmax", x, axis=-1),
}


def activation_name(function):
    return getattr(function, "__name__", repr(function))


def activate(g, function, x):
    """``function(x)`` for one of Keras' activations."""
    if function not in ACTIVATIONS:
        raise Unsupported(f"activation {activation_name(function)!r}")
    return ACTIVATIONS[function](g, x)


# ------------------------------------------------------------------- helpers


def channels_first(g, x, rank):
    return g.transpose(x, [0, rank + 1, *range(1, rank + 1)])


def channels_last(g, x, rank):
    return g.transpose(x, [0, *range(2, rank + 2), 1])


def _check_channels_last(layer):
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise Unsupported(f"{type(layer).__name__} with data_format={layer.data_format!r}")


def same_pads(sizes, kernel, strides, dilations):
    """Keras' (TensorFlow's) "same" padding: the odd pixel goes at the end."""
    begin, end = [], []
    for n, k, s, d in zip(sizes, kernel, strides, dilations, strict=True):
        if n is None:
            raise Unsupported("'same' padding over an axis of unknown length")
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


def _spatial(in_shape, rank):
    return list(in_shape[1 : rank + 1])


# -------------------------------------------------------------------- layers


def dense(g, layer, xs, ins, outs):
    if getattr(layer, "quantization_mode", None):
        raise Unsupported(f"quantized Dense ({layer.quantization_mode})")
    y = g.op("MatMul", xs[0], weight(g, layer, "kernel", lambda: array(layer.kernel)))
    if layer.use_bias:
        y = g.op("Add", y, weight(g, layer, "bias", lambda: array(layer.bias)))
    return [activate(g, layer.activation, y)]


def conv(g, layer, xs, ins, outs):
    _check_channels_last(layer)
    rank = layer.rank
    if layer.padding not in ("same", "valid"):
        raise Unsupported(f"{type(layer).__name__} with padding={layer.padding!r}")
    perm = (rank + 1, rank, *range(rank))
    attrs = dict(
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=layer.groups,
    )
    if layer.padding == "same":
        attrs["pads"] = same_pads(
            _spatial(ins[0], rank), layer.kernel_size, layer.strides, layer.dilation_rate
        )
    inputs = [
        channels_first(g, xs[0], rank),
        weight(g, layer, "kernel", lambda: array(layer.kernel).transpose(perm)),
    ]
    if layer.use_bias:
        inputs.append(weight(g, layer, "bias", lambda: array(layer.bias)))
    y = channels_last(g, g.op("Conv", *inputs, **attrs), rank)
    return [activate(g, layer.activation, y)]


def conv_transpose(g, layer, xs, ins, outs):
    _check_channels_last(layer)
    rank = layer.rank
    if layer.output_padding is not None or layer.padding not in ("same", "valid"):
        raise Unsupported(f"{type(layer).__name__} with output_padding or causal padding")
    begin, end, extra = [], [], []
    for n, target, k, s, d in zip(
        _spatial(ins[0], rank),
        _spatial(outs[0], rank),
        layer.kernel_size,
        layer.strides,
        layer.dilation_rate,
        strict=True,
    ):
        if n is None or target is None:
            raise Unsupported(f"{type(layer).__name__} over an axis of unknown length")
        crop = (n - 1) * s + (k - 1) * d + 1 - target  # the full output, less Keras'
        before = crop // 2 if layer.padding == "same" and crop > 0 else 0
        begin.append(before)
        end.append(max(crop - before, 0))
        extra.append(max(-crop, 0))
    perm = (rank + 1, rank, *range(rank))
    inputs = [
        channels_first(g, xs[0], rank),
        weight(g, layer, "kernel", lambda: array(layer.kernel).transpose(perm)),
    ]
    if layer.use_bias:
        inputs.append(weight(g, layer, "bias", lambda: array(layer.bias)))
    y = g.op(
        "ConvTranspose",
        *inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=begin + end,
        output_padding=extra,
    )
    return [activate(g, layer.activation, channels_last(g, y, rank))]


def pool(op_type):
    def write(g, layer, xs, ins, outs):
        _check_channels_last(layer)
        rank = len(layer.pool_size)
        attrs = dict(kernel_shape=list(layer.pool_size), strides=list(layer.strides))
        if layer.padding == "same":
            spatial = _spatial(ins[0], rank)
            attrs["pads"] = same_pads(spatial, layer.pool_size, layer.strides, [1] * rank)
        if op_type == "AveragePool":
            attrs["count_include_pad"] = 0  # Keras averages over the input's pixels only
        y = g.op(op_type, channels_first(g, xs[0], rank), **attrs)
        return [channels_last(g, y, rank)]

    return write


def global_pool(op_type):
    def write(g, layer, xs, ins, outs):
        _check_channels_last(layer)
        rank = len(ins[0]) - 2
        y = channels_last(g, g.op(op_type, channels_first(g, xs[0], rank)), rank)
        return [y if layer.keepdims else g.reshape(y, [0, -1])]

    return write


def upsampling(g, layer, xs, ins, outs):
    """Nearest-neighbour upsampling: each value repeated ``size`` times along each axis."""
    size = layer.size if isinstance(layer.size, (tuple, list)) else (layer.size,)
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise Unsupported(f"UpSampling2D with interpolation={layer.interpolation!r}")
    _check_channels_last(layer)
    spatial = _spatial(ins[0], len(size))
    if None in spatial:
        raise Unsupported("upsampling over an axis of unknown length")
    split = [v for n in spatial for v in (n, 1)]  # (batch, n1, 1, n2, 1, ..., channels)
    y = g.reshape(xs[0], [-1, *split, ins[0][-1]])
    y = g.op("Expand", y, g.ints([1, *[v for s in size for v in (1, s)], 1]))
    return [g.reshape(y, [-1, *outs[0][1:]])]


def cropping(g, layer, xs, ins, outs):
    _check_channels_last(layer)
    crops = layer.cropping
    crops = [crops] if isinstance(crops[0], int) else crops
    ends = [-c[1] if c[1] else np.iinfo(np.int64).max for c in crops]
    axes = list(range(1, len(crops) + 1))
    return [g.op("Slice", xs[0], g.ints([c[0] for c in crops]), g.ints(ends), g.ints(axes))]


def zero_padding(g, layer, xs, ins, outs):
    _check_channels_last(layer)
    pads = layer.padding
    pads = [pads] if isinstance(pads[0], int) else pads
    begin = [0, *(p[0] for p in pads), 0]
    end = [0, *(p[1] for p in pads), 0]
    return [g.op("Pad", xs[0], g.ints(begin + end))]


def repeat_vector(g, layer, xs, ins, outs):
    return [g.op("Expand", g.reshape(xs[0], [0, 1, -1]), g.ints([1, layer.n, 1]))]


def time_distributed(g, layer, xs, ins, outs):
    from .networks import write_layer

    inner, steps = layer.layer, ins[0][1]
    if type(inner) is L.Dense:  # MatMul applies to the last axis of any rank
        return dense(g, inner, xs, ins, outs)
    if steps is None:
        raise Unsupported("TimeDistributed over an unknown number of steps")
    x = g.reshape(xs[0], [-1, *ins[0][2:]])
    (y,) = write_layer(g, inner, [x], [(None, *ins[0][2:])], [(None, *outs[0][2:])])
    return [g.reshape(y, [-1, steps, *outs[0][2:]])]


def batch_normalization(g, layer, xs, ins, outs):
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    rank = len(ins[0])
    if len(axes) != 1:
        raise Unsupported("BatchNormalization over several axes")
    axis = axes[0] % rank
    variance = np.asarray(layer.moving_variance, np.float64)
    factor = 1.0 / np.sqrt(variance + layer.epsilon)
    if layer.scale:
        factor = factor * np.asarray(layer.gamma, np.float64)
    shift = -np.asarray(layer.moving_mean, np.float64) * factor
    if layer.center:
        shift = shift + np.asarray(layer.beta, np.float64)
    shape = (-1,) + (1,) * (rank - 1 - axis)
    factor = weight(g, layer, "factor", lambda: factor.reshape(shape))
    shift = weight(g, layer, "shift", lambda: shift.reshape(shape))
    return [g.op("Add", g.op("Mul", xs[0], factor), shift)]


def layer_normalization(g, layer, xs, ins, outs):
    rank = len(ins[0])
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    axes = sorted(a % rank for a in axes)
    if getattr(layer, "rms_scaling", False) or axes != list(range(axes[0], rank)):
        raise Unsupported("LayerNormalization other than over the last axes")
    count = g.const(np.float32(math.prod(ins[0][a] for a in axes)))
    mean = g.op("Div", g.reduce_sum(xs[0], axes, keepdims=1), count)
    centred = g.op("Sub", xs[0], mean)
    variance = g.op("Div", g.reduce_sum(g.op("Mul", centred, centred), axes, 1), count)
    epsilon = g.const(layer.epsilon, np.float32)
    y = g.op("Div", centred, g.op("Sqrt", g.op("Add", variance, epsilon)))
    if layer.scale:
        y = g.op("Mul", y, weight(g, layer, "gamma", lambda: array(layer.gamma)))
    if layer.center:
        y = g.op("Add", y, weight(g, layer, "beta", lambda: array(layer.beta)))
    return [y]


def relu_layer(g, layer, xs, ins, outs):
    if layer.threshold != 0 or (layer.negative_slope and layer.max_value is not None):
        raise Unsupported("ReLU with a threshold, or with both a slope and a maximum")
    if layer.negative_slope:
        return [g.op("LeakyRelu", xs[0], alpha=float(layer.negative_slope))]
    y = g.op("Relu", xs[0])
    if layer.max_value is not None:
        y = g.op("Clip", y, g.const(np.float32(0)), g.const(np.float32(layer.max_value)))
    return [y]


def merge(op_type):
    def write(g, layer, xs, ins, outs):
        y = xs[0]
        for x in xs[1:]:
            y = g.op(op_type, y, x)
        if type(layer) is L.Average:
            y = g.op("Div", y, g.const(np.float32(len(xs))))
        return [y]

    return write


def identity(g, layer, xs, ins, outs):
    """Layers that change nothing at inference (noise, dropout); Sampling gives the mean."""
    return [xs[0]]


WRITERS = {
    L.Dense: dense,
    L.Activation: lambda g, layer, xs, ins, outs: [activate(g, layer.activation, xs[0])],
    L.ReLU: relu_layer,
    L.LeakyReLU: lambda g, layer, xs, i, o: [
        g.op("LeakyRelu", xs[0], alpha=float(layer.negative_slope))
    ],
    L.ELU: lambda g, layer, xs, i, o: [g.op("Elu", xs[0], alpha=float(layer.alpha))],
    L.Softmax: lambda g, layer, xs, i, o: [g.op("Softmax", xs[0], axis=int(layer.axis))],
    L.Flatten: lambda g, layer, xs, i, o: [g.reshape(xs[0], [0, -1])],
    L.Reshape: lambda g, layer, xs, i, o: [g.reshape(xs[0], [0, *layer.target_shape])],
    L.Permute: lambda g, layer, xs, i, o: [g.transpose(xs[0], [0, *layer.dims])],
    L.RepeatVector: repeat_vector,
    L.TimeDistributed: time_distributed,
    L.BatchNormalization: batch_normalization,
    L.LayerNormalization: layer_normalization,
    L.Concatenate: lambda g, layer, xs, i, o: [g.op("Concat", *xs, axis=int(layer.axis))],
    L.Add: merge("Add"),
    L.Subtract: merge("Sub"),
    L.Multiply: merge("Mul"),
    L.Average: merge("Add"),
    L.Maximum: merge("Max"),
    L.Minimum: merge("Min"),
    L.UpSampling1D: upsampling,
    L.UpSampling2D: upsampling,
    L.UpSampling3D: upsampling,
    L.GlobalAveragePooling1D: global_pool("GlobalAveragePool"),
    L.GlobalAveragePooling2D: global_pool("GlobalAveragePool"),
    L.GlobalMaxPooling1D: global_pool("GlobalMaxPool"),
    L.GlobalMaxPooling2D: global_pool("GlobalMaxPool"),
    **{layer: conv for layer in (L.Conv1D, L.Conv2D, L.Conv3D)},
    **{layer: conv_transpose for layer in (L.Conv1DTranspose, L.Conv2DTranspose)},
    **{layer: pool("MaxPool") for layer in (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D)},
    **{
        layer: pool("AveragePool")
        for layer in (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D)
    },
    **{layer: cropping for layer in (L.Cropping1D, L.Cropping2D, L.Cropping3D)},
    **{layer: zero_padding for layer in (L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D)},
    **{
        layer: identity
        for layer in (
            L.Dropout,
            L.SpatialDropout1D,
            L.SpatialDropout2D,
            L.SpatialDropout3D,
            L.GaussianNoise,
            L.GaussianDropout,
            L.AlphaDropout,
            L.ActivityRegularization,
            L.Identity,
            MaskingNoise,
            Sampling,
        )
    },
}
