"""ONNX export of fitted skae estimators, alone or inside scikit-learn pipelines.

``pip install "skae[onnx]"`` (skl2onnx, onnx, onnxruntime). Importing this
module registers a skl2onnx converter for each of skae's six estimators, so
``skl2onnx.to_onnx`` converts a ``Pipeline`` or ``ColumnTransformer`` that
holds them as it converts one that holds ``PCA``. :func:`to_onnx` does that
and then runs the graph in onnxruntime on the sample it was given, and
raises unless the graph reproduces the model; :func:`inverse_to_onnx`
exports ``inverse_transform``. The graph needs neither Keras nor skae to
run: onnxruntime and NumPy serve it (135 MB installed, measured by
``benchmarks/bench_deploy.py``).

What the graphs compute, as skae does: the input scaling (``offset_``,
``scale_``), the layouts (flat rows, image arrays, sequences), the
networks (in float32, as trained), whitening, the VAE's posterior mean, the
imputer's fill of the missing entries only (and its indicator columns),
the outlier detector's ``label`` (+1 / -1) and ``scores``
(``decision_function``), as skl2onnx exports ``IsolationForest``.

The networks are written from their weights, on any Keras backend, with
no exporter installed; the layers this covers are listed in
:func:`to_onnx`'s Notes.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from skl2onnx import to_onnx as _skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.base import is_classifier

from . import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoder,
    SequenceAutoencoder,
    VAETransformer,
)
from ._onnx import estimators
from ._onnx.check import check
from ._onnx.errors import ExportError, MismatchError
from ._onnx.graph import CODE_STEP_BODY

__all__ = ["ExportError", "MismatchError", "inverse_to_onnx", "to_onnx"]

# skl2onnx's converters are tested up to this opset; skae's writers need 13.
MIN_OPSET, MAX_OPSET = 13, 22


#: How closely an exported graph must agree with its model, relative to each
#: output's standard deviation; and where the model holds an imputer that
#: fits codes at transform (``AutoencoderImputer(n_code_steps > 0)``): its
#: Adam steps carry float32 rounding on (1.1-2.0e-3 x on the LFW faces at
#: 400 steps, ``benchmarks/bench_impute_auto_steps.py``).
RTOL, CODE_FIT_RTOL = 1e-4, 1e-2


def to_onnx(model, X, *, target_opset=None, options=None, rtol=None):
    """Export a fitted skae estimator, or a pipeline holding skae steps, to ONNX.

    The graph is then run in onnxruntime on ``X`` and compared with the
    model's own outputs: ``transform`` for a transformer, ``predict`` and
    ``predict_proba`` (or ``decision_function``) for a classifier,
    ``predict`` for a regressor, ``predict`` and ``decision_function`` for
    an outlier detector. Every continuous output must agree within ``rtol``
    times its standard deviation over X (its largest magnitude where that is
    0); every label must agree, except on rows within that tolerance of a
    tie. Otherwise :class:`MismatchError` is raised.

    Parameters
    ----------
    model : fitted estimator
        A skae estimator, or a scikit-learn ``Pipeline`` /
        ``ColumnTransformer`` (or any model skl2onnx converts) holding skae
        steps.
    X : ndarray or DataFrame
        A sample of the model's input: its dtype (float32 or float64) and
        the shape of one sample (flat rows, or image / sequence arrays) set
        the graph's input, named ``"X"``; its rows are those the check
        runs on. A DataFrame gives one input per column, as skl2onnx does
        (for a ``ColumnTransformer`` that selects columns by name).
    target_opset : int, default=None
        ONNX opset of the graph, 13 to 22 (skl2onnx's converters are tested
        up to 22); None: 22.
    options : dict, default=None
        skl2onnx's per-model conversion options. Classifiers get
        ``{"zipmap": False}`` unless given otherwise, so that
        ``probabilities`` is one array.
    rtol : float, default=None
        Allowed difference, relative to each output's standard deviation.
        None: 1e-4, and 1e-2 where the model holds an
        :class:`~skae.AutoencoderImputer` that fits codes at transform
        (``n_code_steps`` > 0, or ``"auto"`` where the fit chose steps):
        the graph runs the same Adam steps, which carry float32 rounding on
        (about 2e-3 x on the LFW faces at 400 steps).

    Returns
    -------
    onnx_model : onnx.ModelProto
        Outputs ``variable`` (a transformer), ``label`` and
        ``probabilities`` (a classifier), or ``label`` and ``scores`` (an
        outlier detector).

    Notes
    -----
    The networks are written as ONNX operators from their weights, on any
    Keras backend, with no exporter installed, when they are made of these
    layers: ``Dense``, ``Conv1D/2D/3D``, ``Conv1DTranspose``,
    ``Conv2DTranspose``, max and average pooling (also global),
    ``UpSampling1D/2D/3D`` (nearest), cropping, zero padding, ``Flatten``,
    ``Reshape``, ``Permute``, ``RepeatVector``, ``TimeDistributed``,
    ``LSTM``, ``GRU`` and ``SimpleRNN`` (without ``go_backwards`` or
    ``return_state``) and ``Bidirectional`` over them (``merge_mode=
    "concat"``), ``BatchNormalization``, ``LayerNormalization``,
    Keras' named activations (``gelu`` included) and activation layers,
    merge layers, and the layers that do nothing at inference (dropout,
    noise); networks nested as layers are walked too. That covers every
    built-in architecture. A network of your own (``encoder=``) with
    another layer goes through Keras' own exporter (``model.export(format=
    "onnx")``, which needs tf2onnx on TensorFlow and jax2onnx on JAX);
    where it is missing or fails, :class:`ExportError` names the layer and
    the exporter's reason.

    Raises
    ------
    MismatchError
        When onnxruntime's outputs disagree with the model's on X.
    ExportError
        When a user's own network holds a layer skae does not write and
        Keras' exporter is missing or fails.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skae import AutoencoderTransformer
    >>> from skae.onnx import to_onnx
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> pipe = make_pipeline(AutoencoderTransformer(8, epochs=3, random_state=0),
    ...                      LogisticRegression(max_iter=300)).fit(X, y)
    >>> onnx_model = to_onnx(pipe, X[:200])
    >>> session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
    ...                                        providers=["CPUExecutionProvider"])
    >>> labels, probabilities = session.run(None, {"X": X[:5]})
    >>> bool((labels == pipe.predict(X[:5])).all())
    True
    """
    opset = _check_opset(target_opset)
    if rtol is not None:
        _check_rtol(rtol)
    X = _sample(model, X)
    if hasattr(X, "columns"):
        initial_types = None
    else:
        kind = FloatTensorType if X.dtype == np.float32 else DoubleTensorType
        initial_types = [("X", kind([None, *X.shape[1:]]))]
    with warnings.catch_warnings():
        # skl2onnx's SVC converter reads probA_ / probB_, deprecated in scikit-learn 1.9.
        warnings.filterwarnings("ignore", "Attribute `prob[AB]_` was deprecated", FutureWarning)
        onnx_model = _skl2onnx_to_onnx(
            model,
            X if initial_types is None else None,
            initial_types=initial_types,
            target_opset=opset,
            options=_with_plain_probabilities(model, options),
        )
    if rtol is None:
        rtol = CODE_FIT_RTOL if _fits_codes(onnx_model) else RTOL
    check(onnx_model, model, X, rtol)
    return onnx_model


def inverse_to_onnx(estimator, Z=None, *, target_opset=None, rtol=1e-4):
    """Export a fitted autoencoder's ``inverse_transform`` to ONNX.

    The graph maps codes (input ``"X"``, ``(n, n_components)``) to
    reconstructions in the layout ``fit`` received (flat rows, images or
    sequences), undoing whitening first; it is checked against
    ``inverse_transform`` as :func:`to_onnx` checks.

    Parameters
    ----------
    estimator : AutoencoderTransformer, ConvAutoencoder, VAETransformer or SequenceAutoencoder
        A fitted autoencoder.
    Z : ndarray of shape (n_samples, n_components), default=None
        Sample codes: their dtype (float32 or float64) sets the graph's, and
        the check runs on them. None: 16 seeded standard-normal codes in
        float32.
    target_opset : int, default=None
        As in :func:`to_onnx`.
    rtol : float, default=1e-4
        As in :func:`to_onnx`.

    Returns
    -------
    onnx_model : onnx.ModelProto
        One output, ``variable``.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderTransformer
    >>> from skae.onnx import inverse_to_onnx
    >>> X = np.random.default_rng(0).normal(size=(100, 6))
    >>> ae = AutoencoderTransformer(2, epochs=2, random_state=0).fit(X)
    >>> [o.name for o in inverse_to_onnx(ae).graph.output]
    ['variable']
    """
    kinds = (AutoencoderTransformer, ConvAutoencoder, VAETransformer, SequenceAutoencoder)
    if not isinstance(estimator, kinds):
        raise TypeError(
            "inverse_to_onnx exports the inverse_transform of AutoencoderTransformer, "
            "ConvAutoencoder, VAETransformer or SequenceAutoencoder. Received: "
            f"estimator={type(estimator).__name__}."
        )
    opset = _check_opset(target_opset)
    _check_rtol(rtol)
    if Z is None:
        Z = np.random.default_rng(0).standard_normal((16, estimator._n_kept()))
        Z = Z.astype(np.float32)
    Z = _float_array(Z, "Z")
    wrapper = estimators.InverseTransform(estimator)
    kind = FloatTensorType if Z.dtype == np.float32 else DoubleTensorType
    onnx_model = _skl2onnx_to_onnx(
        wrapper, initial_types=[("X", kind([None, Z.shape[1]]))], target_opset=opset
    )
    check(onnx_model, wrapper, Z, rtol)
    return onnx_model


# ---------------------------------------------------------------- helpers


def _check_opset(target_opset):
    if target_opset is None:
        return MAX_OPSET
    if not isinstance(target_opset, Integral) or not MIN_OPSET <= target_opset <= MAX_OPSET:
        raise ValueError(
            f"Expected `target_opset` to be an integer from {MIN_OPSET} to {MAX_OPSET} "
            f"(skl2onnx's converters are tested up to {MAX_OPSET}). "
            f"Received: target_opset={target_opset!r}."
        )
    return int(target_opset)


def _check_rtol(rtol):
    if not isinstance(rtol, Real) or not rtol > 0:
        raise ValueError(f"Expected `rtol` to be a positive number. Received: rtol={rtol!r}.")


def _fits_codes(onnx_model):
    """Whether the graph holds an imputer's code fit (:mod:`skae._onnx.code_steps`)."""
    return any(
        node.op_type == "Loop"
        and any(a.name == "body" and a.g.name.startswith(CODE_STEP_BODY) for a in node.attribute)
        for node in onnx_model.graph.node
    )


def _float_array(X, name):
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64) or X.ndim < 2 or len(X) == 0:
        raise ValueError(
            f"Expected `{name}` to be a non-empty float32 or float64 array of samples "
            f"(at least 2-D). Received: {name} of dtype {X.dtype} and shape {X.shape}."
        )
    return X


def _sample(model, X):
    """X as the graph's sample: an array, or a DataFrame for a column selector up front."""
    first = model
    while hasattr(first, "steps"):
        first = first.steps[0][1]
    if hasattr(X, "columns") and hasattr(first, "transformers"):
        return X
    return _float_array(X, "X")


def _with_plain_probabilities(model, options):
    """Options giving the final classifier's probabilities as one array (no ZipMap)."""
    final = model
    while hasattr(final, "steps"):
        final = final.steps[-1][1]
    options = dict(options or {})
    if is_classifier(final) and id(final) not in options and type(final) not in options:
        options[id(final)] = {"zipmap": False}
    return options or None


def _register():
    """Tell skl2onnx how to convert each estimator (and inverse_transform's wrapper)."""
    for cls in (AutoencoderTransformer, ConvAutoencoder, VAETransformer, SequenceAutoencoder):
        update_registered_converter(
            cls, f"Skae{cls.__name__}", estimators.shape_transform, estimators.convert_transform
        )
    update_registered_converter(
        AutoencoderImputer,
        "SkaeAutoencoderImputer",
        estimators.shape_imputer,
        estimators.convert_imputer,
    )
    # skl2onnx's own parser gives an OutlierMixin the outputs label and scores.
    update_registered_converter(
        AutoencoderOutlierDetector,
        "SkaeAutoencoderOutlierDetector",
        estimators.shape_outlier,
        estimators.convert_outlier,
    )
    update_registered_converter(
        estimators.InverseTransform,
        "SkaeInverseTransform",
        estimators.shape_inverse,
        estimators.convert_inverse,
    )


_register()
