"""Each estimator's arithmetic around its networks, written as skae computes it.

The networks run in float32, as in skae. Around them the graph keeps skae's
own precision: float32 input is standardised in float32 (``(x - offset) *
(1 / scale)``); float64 input in float64 and then cast; whitening, the
reconstruction's units, the imputer's fill and the scores are float64, and
the outputs come back in the input's dtype. Also here: the shape
calculators skl2onnx asks for, and the small wrapper that exports an
estimator's ``inverse_transform``.
"""

import math

import numpy as np
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType
from sklearn.base import BaseEstimator

from .errors import ExportError
from .graph import DOUBLE, FLOAT, Graph

_TYPES = {FloatTensorType: FLOAT, DoubleTensorType: DOUBLE}
_NUMPY = {FLOAT: np.float32, DOUBLE: np.float64}


class InverseTransform(BaseEstimator):
    """``estimator.inverse_transform`` as a model skl2onnx converts (its ``transform``)."""

    def __init__(self, estimator):
        self.estimator = estimator

    def transform(self, Z):
        return self.estimator.inverse_transform(Z)


def _input_type(operator):
    """The ONNX element type of the operator's one input (float or double)."""
    variable = operator.inputs[0]
    if type(variable.type) not in _TYPES:
        raise TypeError(
            f"{type(operator.raw_operator).__name__} exports for float32 or float64 input; "
            f"its input {variable.onnx_name!r} is {variable.type}."
        )
    return _TYPES[type(variable.type)]


def _start(scope, operator, container):
    """``(graph, input name, input element type)`` for a converter."""
    g = Graph(scope, container)
    variable = operator.inputs[0]
    shape = variable.type.shape
    if shape and all(isinstance(n, int) for n in shape[1:]):
        g.shapes[variable.full_name] = tuple(shape[1:])
    return g, variable.full_name, _input_type(operator)


def _network(g, network, inputs, name):
    from .networks import write_network

    return write_network(g, network, inputs, name)


# ------------------------------------------------------------- arithmetic


def network_input(g, est, x, dtype):
    """``(rows, network input)``: samples ``x`` (rows, images or sequences)
    standardised as float32 rows, and those shaped for the encoder."""
    n_features = int(np.prod(est.layout_.network_shape))
    x = g.flat(x, n_features)
    if dtype == FLOAT:
        offset = g.const(est.offset_, np.float32, "offset")
        x = g.op("Mul", g.op("Sub", x, offset), g.const(np.float32(1.0 / est.scale_)))
    else:
        offset = g.const(est.offset_, np.float64, "offset")
        x = g.cast(g.op("Div", g.op("Sub", x, offset), g.const(float(est.scale_))), FLOAT)
    return x, g.shaped(x, est.layout_.network_shape)


def encode(g, est, x, dtype):
    """The encoder's float32 outputs (the VAE's posterior mean and log-variance)."""
    _, inputs = network_input(g, est, x, dtype)
    return _network(g, est.encoder_, [inputs], "encoder_")


def whiten(g, est, codes, dtype):
    codes = g.cast(codes, DOUBLE)
    centred = g.op("Sub", codes, g.const(est.whitening_mean_, np.float64))
    rotated = g.op("MatMul", centred, g.const(est.whitening_components_.T, np.float64))
    return g.cast(g.op("Div", rotated, g.const(est.whitening_scale_, np.float64)), dtype)


def _prefix(est):
    """``(width, k)`` of an ordered fit that keeps k of its width's codes, or None."""
    width = est.decoder_.input_shape[-1]
    k = est._n_kept()
    if k == width:
        return None
    from .._vae import VAETransformer

    if isinstance(est, VAETransformer):
        raise ExportError(
            f"VAETransformer(ordered=True) keeps {k} of its {width} codes; its ELBO over the "
            "first codes is not exported. Export it with n_components equal to the width "
            "(max_components), or keep all the codes."
        )
    return width, k


def kept_codes(g, est, codes):
    """The first ``n_components_`` codes of an ordered fit (all of them otherwise)."""
    prefix = _prefix(est)
    if prefix is None:
        return codes
    width, k = prefix
    return g.op("MatMul", codes, g.const(np.eye(width, k), np.float32))


def filled_codes(g, est, z32):
    """Codes of ``n_components_`` columns completed with the absent codes' learned values."""
    prefix = _prefix(est)
    if prefix is None:
        return z32
    width, k = prefix
    filled = est._padded(np.zeros((1, k), np.float32))[0]
    return g.op("Add", g.op("MatMul", z32, g.const(np.eye(k, width), np.float32)),
                g.const(filled, np.float32))  # fmt: skip


def transform(g, est, x, dtype):
    codes = kept_codes(g, est, encode(g, est, x, dtype)[0])
    if getattr(est, "whiten", False):
        return whiten(g, est, codes, dtype)
    return codes if dtype == FLOAT else g.cast(codes, DOUBLE)


def decode_rows(g, est, z32):
    """Flat float64 rows in the user's units from float32 codes."""
    (out,) = _network(g, est.decoder_, [filled_codes(g, est, z32)], "decoder_")
    rows = g.cast(g.flat(out, int(np.prod(est.layout_.network_shape))), DOUBLE)
    scaled = g.op("Mul", rows, g.const(float(est.scale_)))
    return g.op("Add", scaled, g.const(est.offset_, np.float64, "offset"))


def inverse_transform(g, est, z, dtype):
    if getattr(est, "whiten", False):
        scaled = g.op("Mul", g.cast(z, DOUBLE), g.const(est.whitening_scale_, np.float64))
        z = g.op("MatMul", scaled, g.const(est.whitening_components_, np.float64))
        z = g.op("Add", z, g.const(est.whitening_mean_, np.float64))
    rows = decode_rows(g, est, g.cast(z, FLOAT))
    return g.shaped(g.cast(rows, dtype), est.layout_.input_shape)


def score_samples(g, est, x, dtype):
    """skae's ``score_samples`` as float64: minus the mean squared error, or the ELBO."""
    from .._vae import VAETransformer

    if isinstance(est, VAETransformer):
        return _elbo(g, est, x, dtype)
    n_features = int(np.prod(est.layout_.network_shape))
    codes = kept_codes(g, est, encode(g, est, x, dtype)[0])  # whitening and its undoing cancel
    error = g.op("Sub", g.cast(g.flat(x, n_features), DOUBLE), decode_rows(g, est, codes))
    squares = g.reduce_sum(g.op("Mul", error, error), [1])
    return g.op("Div", squares, g.const(-float(n_features)))


def _elbo(g, est, x, dtype):
    """``VAETransformer.score_samples``: the ELBO with its 16 fixed draws, all decoded at once."""
    from .._keras.elbo import LOG_VAR_RANGE
    from .._vae import _ELBO_DRAWS

    k = est._n_kept()
    n_features = int(np.prod(est.layout_.network_shape))
    rows, inputs = network_input(g, est, x, dtype)
    mean32, log_var32 = _network(g, est.encoder_, [inputs], "encoder_")
    mean = g.cast(mean32, DOUBLE)
    low, high = (g.const(float(v)) for v in LOG_VAR_RANGE)
    log_var = g.op("Clip", g.cast(log_var32, DOUBLE), low, high)
    std = g.op("Exp", g.op("Mul", log_var, g.const(0.5)))
    draws = np.random.default_rng(0).standard_normal((_ELBO_DRAWS, k))  # as skae's
    z = g.op(
        "Add",
        g.reshape(mean, [1, -1, k]),
        g.op("Mul", g.reshape(std, [1, -1, k]), g.const(draws[:, None, :], np.float64)),
    )
    (decoded,) = _network(g, est.decoder_, [g.cast(g.reshape(z, [-1, k]), FLOAT)], "decoder_")
    decoded = g.cast(g.reshape(decoded, [_ELBO_DRAWS, -1, n_features]), DOUBLE)
    error = g.op("Sub", g.reshape(g.cast(rows, DOUBLE), [1, -1, n_features]), decoded)
    squares = g.reduce_sum(g.op("Mul", error, error), [2])  # (draws, rows)
    log_noise_var = est.model_.noise_log_variance()
    half_nll = g.op(
        "Add",
        g.op("Mul", squares, g.const(0.5 * math.exp(-log_noise_var))),
        g.const(0.5 * n_features * (log_noise_var + math.log(2 * math.pi))),
    )
    log_likelihood = g.op("Div", g.reduce_sum(half_nll, [0]), g.const(-float(_ELBO_DRAWS)))
    kl_terms = g.op(
        "Sub",
        g.op("Add", log_var, g.const(1.0)),
        g.op("Add", g.op("Mul", mean, mean), g.op("Exp", log_var)),
    )
    kl = g.op("Mul", g.reduce_sum(kl_terms, [1]), g.const(-0.5))
    elbo = g.op("Sub", log_likelihood, kl)
    return g.op("Sub", elbo, g.const(n_features * math.log(est.scale_)))


def impute(g, imputer, x, dtype):
    """``AutoencoderImputer.transform``: missing entries only, in float64, then the indicator."""
    steps = imputer._effective_code_steps()  # "auto": the fit's choice
    if steps:
        from . import code_steps  # Keras: only for a fitted network
        from .layers import Unsupported

        try:
            code_steps.dense_stack(imputer.autoencoder_.decoder_)
        except Unsupported as unsupported:
            raise ExportError(
                f"AutoencoderImputer(n_code_steps={imputer.n_code_steps!r}) fits each "
                f"incomplete row's code at transform; its export writes the gradient of "
                f"the decoder, which it cannot for {unsupported}. Export it with "
                "n_code_steps=0 (the encoder's codes, a different imputation), or keep it "
                "in Python."
            ) from None
    x = x if dtype == DOUBLE else g.cast(x, DOUBLE)
    value = imputer.missing_values
    if value is not None and not np.isnan(value):
        x = g.op("Where", g.op("Equal", x, g.const(float(value))), g.const(np.nan), x)
    missing_all = g.op("IsNaN", x)
    valid = np.flatnonzero(imputer._valid_mask)
    observed, missing = x, missing_all
    if len(valid) < len(imputer._valid_mask):
        observed = g.op("Gather", x, g.ints(valid), axis=1)
        missing = g.op("Gather", missing_all, g.ints(valid), axis=1)
    ae = imputer.autoencoder_
    start = g.const(ae.offset_, np.float64, "column_means")
    filled = g.op("Where", missing, start, observed)
    if steps:  # transform's targets of the code fit: the observed entries, in network units
        centred = g.op("Sub", filled, start)  # start: the column means, the offset
        target = g.cast(g.op("Div", centred, g.const(float(ae.scale_))), FLOAT)
        seen = g.cast(g.op("Not", missing), FLOAT)
    for _ in range(1 + imputer.n_refinements):
        codes = encode(g, ae, filled, DOUBLE)[0]
        if steps:
            codes = code_steps.fitted_codes(g, ae.decoder_, codes, target, seen, steps)
        filled = g.op("Where", missing, decode_rows(g, ae, codes), observed)
    empty = np.flatnonzero(~imputer._valid_mask)
    if imputer.keep_empty_features and len(empty):
        zeros = g.op("Where", missing_all, g.const(0.0), x)
        both = g.op("Concat", filled, g.op("Gather", zeros, g.ints(empty), axis=1), axis=1)
        filled = g.op("Gather", both, g.ints(np.argsort(np.concatenate([valid, empty]))), axis=1)
    out = filled if dtype == DOUBLE else g.cast(filled, dtype)
    if imputer.indicator_ is None:
        return out
    return g.op("Concat", out, g.cast(missing_all, dtype), axis=1)


# ------------------------------------------------------------ skl2onnx hooks


def convert_transform(scope, operator, container):
    """skl2onnx converter of the four autoencoders' ``transform``."""
    g, x, dtype = _start(scope, operator, container)
    g.output(transform(g, operator.raw_operator, x, dtype), operator.outputs[0].full_name)


def convert_inverse(scope, operator, container):
    g, x, dtype = _start(scope, operator, container)
    est = operator.raw_operator.estimator
    g.output(inverse_transform(g, est, x, dtype), operator.outputs[0].full_name)


def convert_imputer(scope, operator, container):
    g, x, dtype = _start(scope, operator, container)
    g.output(impute(g, operator.raw_operator, x, dtype), operator.outputs[0].full_name)


def convert_outlier(scope, operator, container):
    """``label`` (+1 / -1, int64) and ``scores`` (``decision_function``), as IsolationForest's."""
    g, x, dtype = _start(scope, operator, container)
    detector = operator.raw_operator
    scores = score_samples(g, detector.estimator_, x, dtype)
    decision = g.op("Sub", scores, g.const(float(detector.offset_)))
    inlier = g.op("GreaterOrEqual", decision, g.const(0.0))
    label = g.op("Where", inlier, g.const(np.int64(1)), g.const(np.int64(-1)))
    g.output(label, operator.outputs[0].full_name)
    g.output(g.reshape(g.cast(decision, dtype), [-1, 1]), operator.outputs[1].full_name)


def _rows(operator):
    return operator.inputs[0].get_first_dimension()


def _same_type(operator, shape):
    _input_type(operator)
    return type(operator.inputs[0].type)(shape)


def shape_transform(operator):
    n_components = operator.raw_operator._n_kept()
    operator.outputs[0].type = _same_type(operator, [_rows(operator), n_components])


def shape_inverse(operator):
    est = operator.raw_operator.estimator
    operator.outputs[0].type = _same_type(operator, [_rows(operator), *est.layout_.input_shape])


def shape_imputer(operator):
    imputer = operator.raw_operator
    n_out = len(imputer._valid_mask) if imputer.keep_empty_features else imputer._valid_mask.sum()
    if imputer.indicator_ is not None:
        n_out += len(imputer._valid_mask)
    operator.outputs[0].type = _same_type(operator, [_rows(operator), int(n_out)])


def shape_outlier(operator):
    rows = _rows(operator)
    operator.outputs[0].type = Int64TensorType([rows])
    operator.outputs[1].type = _same_type(operator, [rows, 1])
