"""A thin writer over skl2onnx's container: unique names, constants, nodes."""

import contextlib

import numpy as np
from onnx import TensorProto, numpy_helper

# The element types the writers use, by NumPy dtype.
ONNX_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}
FLOAT = TensorProto.FLOAT
DOUBLE = TensorProto.DOUBLE
INT64 = TensorProto.INT64
#: The name (a prefix of it) of the body of each loop that fits an imputer's
#: codes (:mod:`skae._onnx.code_steps`), by which ``to_onnx`` finds them.
CODE_STEP_BODY = "code_step_body"


class Graph:
    """Nodes and initializers added to a skl2onnx ``container`` under ``scope``'s names.

    Every node is written at the highest version of its operator that the
    container's target opset allows (the writers use operators whose
    meaning has not changed since opset 13).
    """

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container
        self._cache = {}
        self._pending = None
        # The sample shape (without the batch axis) of the names known to be rows.
        self.shapes = {}

    @contextlib.contextmanager
    def transaction(self):
        """Hold back what is written inside; add it all on success, none of it on error."""
        outer, cache = self._pending, dict(self._cache)
        self._pending = []
        try:
            yield
        except BaseException:
            self._pending, self._cache = outer, cache
            raise
        pending, self._pending = self._pending, outer
        for add, args, kwargs in pending:
            self._add(add, *args, **kwargs)

    def _add(self, add, *args, **kwargs):
        if self._pending is not None:
            self._pending.append((add, args, kwargs))
        else:
            getattr(self.container, add)(*args, **kwargs)

    def name(self, hint):
        """A new variable name, unique in the whole graph."""
        return self.scope.get_unique_variable_name(hint)

    def const(self, value, dtype=None, hint="const"):
        """An initializer holding ``value``; returns its name."""
        value = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        name = self.name(hint)
        tensor = numpy_helper.from_array(value, name)
        self._add("add_initializer", name, ONNX_TYPES[value.dtype], list(value.shape), tensor)
        return name

    def cached(self, key, make):
        """``make()``'s result, written once per ``key`` (a layer's weights written twice
        in one graph, e.g. a decoder applied at each refinement, are stored once)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def ints(self, values):
        """An int64 constant (shapes, axes, pads), stored once per value."""
        values = tuple(int(v) for v in values)
        return self.cached(("ints", values), lambda: self.const(values, np.int64, "ints"))

    def op(self, op_type, *inputs, n_outputs=1, domain="", **attrs):
        """Add one node; returns its output name (or the list of them)."""
        outputs = [self.name(op_type.lower()) for _ in range(n_outputs)]
        self._add(
            "add_node",
            op_type,
            list(inputs),
            outputs,
            op_domain=domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return outputs[0] if n_outputs == 1 else outputs

    def output(self, x, name):
        """Give the value ``x`` the graph's (or operator's) output name ``name``."""
        self._add(
            "add_node",
            "Identity",
            [x],
            [name],
            op_domain="",
            name=self.scope.get_unique_operator_name("Identity"),
        )

    # ------------------------------------------------------------ shorthands

    def reshape(self, x, shape):
        """``x`` reshaped; 0 in ``shape`` keeps that axis, -1 infers it."""
        return self.op("Reshape", x, self.ints(shape))

    def flat(self, x, n_values):
        """Samples ``x`` as rows of ``n_values`` (no node where they are rows already)."""
        return x if self.shapes.get(x) == (n_values,) else self.reshape(x, [-1, n_values])

    def shaped(self, rows, shape):
        """Rows reshaped to samples of ``shape`` (no node where that is a row)."""
        shape = tuple(shape)
        if len(shape) == 1:
            self.shapes[rows] = shape
            return rows
        return self.reshape(rows, [-1, *shape])

    def cast(self, x, to):
        return self.op("Cast", x, to=to)

    def transpose(self, x, perm):
        return self.op("Transpose", x, perm=list(perm))

    def matmul_add(self, x, kernel, bias=None):
        """``x @ kernel + bias`` with float32 weights (any rank of x)."""
        y = self.op("MatMul", x, self.const(kernel, np.float32, "kernel"))
        return y if bias is None else self.op("Add", y, self.const(bias, np.float32, "bias"))

    def reduce_sum(self, x, axes, keepdims=0):
        return self.op("ReduceSum", x, self.ints(axes), keepdims=keepdims)
