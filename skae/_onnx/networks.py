"""A Keras network written into the graph: layer by layer, or through Keras' exporter.

:func:`write_network` walks a functional (or sequential) network in the
order Keras runs it and writes each layer from its weights
(:mod:`~skae._onnx.layers`, :mod:`~skae._onnx.recurrent`); networks nested
as layers are walked in turn. That covers every built-in architecture on
every backend, with no exporter installed. A network holding a layer the
writers do not know (a user's own ``encoder=``, say) goes through Keras'
own ``model.export(format="onnx")`` instead (tf2onnx on TensorFlow,
jax2onnx on JAX), and the exported graph is spliced in; when that exporter
is missing or fails, :class:`ExportError` says which layers and why.
"""

import os
import tempfile

from .._keras import import_keras
from . import layers, recurrent
from .errors import ExportError
from .graph import FLOAT

keras = import_keras()

WRITERS = {**layers.WRITERS, **recurrent.WRITERS}


def write_network(g, network, inputs, name):
    """Write ``network`` applied to the float32 tensors ``inputs``; return its outputs' names.

    ``name`` names the network in errors (``"encoder_"``).
    """
    try:
        with g.transaction():
            outputs = _walk(g, network, inputs)
        for name, tensor in zip(outputs, network.outputs, strict=True):
            g.shapes[name] = tuple(tensor.shape[1:])
        return outputs
    except layers.Unsupported as unsupported:
        return _through_keras_exporter(g, network, inputs, name, unsupported)


def write_layer(g, layer, xs, in_shapes, out_shapes):
    """One layer (or a nested network) applied to ``xs``."""
    if isinstance(layer, keras.Model):
        return _walk(g, layer, xs)
    writer = WRITERS.get(type(layer))
    if writer is None:
        raise layers.Unsupported(f"layer {layer.name!r} ({type(layer).__name__})")
    try:
        return writer(g, layer, xs, in_shapes, out_shapes)
    except layers.Unsupported as unsupported:
        raise layers.Unsupported(f"layer {layer.name!r}: {unsupported}") from None


def _walk(g, network, inputs):
    """Each node of ``network`` in Keras' own order (deepest first), as Keras runs it."""
    if isinstance(network, keras.Sequential):
        network = network._functional or _unbuilt(network)
    values = {id(t): x for t, x in zip(network.inputs, inputs, strict=True)}
    nodes_by_depth = network._nodes_by_depth
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if not node.operation or node.is_input:
                continue
            if any(id(t) not in values for t in node.input_tensors):
                continue
            outputs = write_layer(
                g,
                node.operation,
                [values[id(t)] for t in node.input_tensors],
                [tuple(t.shape) for t in node.input_tensors],
                [tuple(t.shape) for t in node.outputs],
            )
            for tensor, value in zip(node.outputs, outputs, strict=True):
                values[id(tensor)] = value
    return [values[id(t)] for t in network.outputs]


def _unbuilt(network):
    raise layers.Unsupported(f"Sequential network {network.name!r} without a known input shape")


# ------------------------------------------------------ through Keras' exporter


def _through_keras_exporter(g, network, inputs, name, unsupported):
    exported = g.cached(("keras-export", id(network)), lambda: _export(network, name, unsupported))
    return _splice(g, exported, inputs)


def _export(network, name, unsupported):
    import onnx

    backend = keras.backend.backend()
    package = {"tensorflow": "tf2onnx", "jax": "jax2onnx"}.get(backend, "an ONNX exporter")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.onnx")
        try:
            network.export(path, format="onnx", verbose=False)
            exported = onnx.load(path)
        except Exception as exc:  # ImportError, or anything the exporter raises
            raise ExportError(
                f"skae writes networks to ONNX from their weights, but the {name} network "
                f"holds {unsupported}, which it cannot write. Keras' own exporter "
                f"(model.export(format='onnx'), which needs {package} on the {backend} "
                f"backend) was tried and failed: {type(exc).__name__}: {exc}. Install "
                f"{package}, or build the network from layers skae writes (see "
                "skae.onnx's docstring)."
            ) from exc
    return exported


def _splice(g, exported, inputs):
    """Add an exported network's nodes to the graph, renamed, at the container's opset."""
    from onnx import helper, numpy_helper, version_converter

    opset = g.container.target_opset
    domains = {node.domain for node in exported.graph.node} - {"", "ai.onnx"}
    if domains:
        raise ExportError(f"Keras' exporter wrote operators of other domains: {domains}.")
    exported = version_converter.convert_version(exported, opset)
    graph = exported.graph
    stored = {tensor.name for tensor in graph.initializer}
    fed = [x for x in graph.input if x.name not in stored]
    renamed = {x.name: name for x, name in zip(fed, inputs, strict=True)}

    def new(old):
        if old == "":
            return ""
        if old not in renamed:
            renamed[old] = g.name("keras_export")
        return renamed[old]

    for tensor in graph.initializer:
        renamed[tensor.name] = g.const(numpy_helper.to_array(tensor), hint="keras_export")
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        g._add(
            "add_node",
            node.op_type,
            [new(x) for x in node.input],
            [new(x) for x in node.output],
            op_domain=node.domain,
            name=g.scope.get_unique_operator_name(node.op_type),
            **attrs,
        )
    # Keras' exporter keeps the network's dtype; the graph downstream reads float32.
    return [
        renamed[x.name] if x.type.tensor_type.elem_type == FLOAT else g.cast(renamed[x.name], FLOAT)
        for x in graph.output
    ]
