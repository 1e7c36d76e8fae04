"""Run an exported graph in onnxruntime and compare it with the model it came from."""

import numpy as np
from sklearn.base import is_classifier, is_outlier_detector, is_regressor

from .errors import MismatchError
from .estimators import InverseTransform


def session(onnx_model):
    import onnxruntime

    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def feeds(sess, X):
    """The inputs ``sess`` reads, from X: the array, or a DataFrame's columns one by one."""
    inputs = sess.get_inputs()
    if len(inputs) == 1 and not hasattr(X, "columns"):
        return {inputs[0].name: np.asarray(X)}
    columns = {}
    for spec in inputs:
        values = np.asarray(X[spec.name])
        columns[spec.name] = values.reshape(-1, 1).astype(_NUMPY[spec.type], copy=False)
    return columns


_NUMPY = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(string)": np.str_,
}


def expected_outputs(model, X):
    """``[(method, values), ...]`` in the order skl2onnx writes the model's outputs."""
    if isinstance(model, InverseTransform):
        return [("inverse_transform", model.estimator.inverse_transform(X))]
    if is_outlier_detector(model):
        return [("predict", model.predict(X)), ("decision_function", model.decision_function(X))]
    if is_classifier(model):
        scores = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
        return [("predict", model.predict(X)), (scores, getattr(model, scores)(X))]
    if is_regressor(model):
        return [("predict", model.predict(X))]
    return [("transform", model.transform(X))]


def scale_of(values):
    """The output's standard deviation over all its entries (its largest magnitude
    where that is 0, and 1 where both are)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.std(values)) or float(np.max(np.abs(values), initial=0.0)) or 1.0


def agreement(onnx_model, model, X):
    """Per output: ``(method, largest difference, scale, label mismatches)``.

    Continuous outputs get their largest absolute difference and
    :func:`scale_of`; label outputs the number of rows whose label differs.
    """
    sess = session(onnx_model)
    got = sess.run(None, feeds(sess, X))
    rows = []
    for (method, want), value in zip(expected_outputs(model, X), got, strict=False):
        want = np.asarray(want)
        if method == "predict" and not is_regressor(model):
            rows.append((method, None, None, int(np.sum(np.ravel(value) != np.ravel(want)))))
            continue
        value = np.asarray(value, dtype=np.float64)
        if want.ndim == 1 and value.ndim == 2 and value.shape[1] == 2:
            # A binary classifier's decision_function: skl2onnx writes it as two
            # columns, (d, -d) for SVC and (-d, d) for others; compare the one that is d.
            columns = [value[:, 0], value[:, 1]]
            value = min(columns, key=lambda column: np.max(np.abs(column - want), initial=0.0))
        value = value.reshape(want.shape)
        difference = float(np.max(np.abs(value - want), initial=0.0))
        rows.append((method, difference, scale_of(want), 0))
    return rows, got


def check(onnx_model, model, X, rtol):
    """Raise :class:`MismatchError` unless the graph agrees with ``model`` on X.

    A continuous output agrees when its largest difference is at most
    ``rtol`` times :func:`scale_of` the model's output; a label output when
    every label is the same, except on rows whose scores the model places
    within that tolerance of a tie (where either label is as right).
    """
    rows, got = agreement(onnx_model, model, X)
    name = type(model).__name__
    if isinstance(model, InverseTransform):
        name = f"{type(model.estimator).__name__}.inverse_transform"
    scores = [r for r in rows if r[1] is not None]
    for method, difference, scale, _ in scores:
        if difference > rtol * scale or not np.isfinite(difference):
            raise MismatchError(
                f"The ONNX graph disagrees with {name}.{method} on the sample X: the largest "
                f"difference is {difference:.3g}, {difference / scale:.3g} x the output's "
                f"standard deviation {scale:.3g} (allowed: rtol={rtol:g} x it). A network "
                "that computes in another precision (a mixed-precision policy) or a custom "
                "layer that the graph writes otherwise can cause this, and so can an "
                "imputer's many code steps (n_code_steps), which carry float32 rounding on: "
                "pass a larger rtol."
            )
    for method, _, _, mismatches in rows:
        if mismatches and not _near_ties(model, X, got, rtol, scores):
            raise MismatchError(
                f"The ONNX graph disagrees with {name}.{method} on {mismatches} of the "
                f"{len(X)} sample rows, away from any tie of the scores."
            )


def _near_ties(model, X, got, rtol, scores):
    """Whether every label that differs sits on a row within the tolerance of a tie."""
    labels = np.ravel(got[0])
    want = np.ravel(model.predict(X))
    differ = labels != want
    if not scores:
        return False
    method, _, scale, _ = scores[0]
    values = np.asarray(getattr(model, method)(X), dtype=np.float64)
    if values.ndim == 1 or values.shape[1] == 1:
        margin = np.abs(values.ravel())
        if method == "predict_proba":
            margin = np.abs(values.ravel() - 0.5)
    else:
        top = np.sort(values, axis=1)
        margin = top[:, -1] - top[:, -2]
    return bool(np.all(margin[differ] <= 2 * rtol * scale))
