"""
Serving the eigenfaces pipeline with ONNX
=========================================

The autoencoder pipeline of :ref:`sphx_glr_auto_examples_plot_eigenfaces.py` (each pixel
standardised, a linear ``AutoencoderTransformer(150, whiten=True)``, an
RBF ``SVC``) exported to ONNX in one call, then served by onnxruntime
alone: the serving side needs neither Keras, TensorFlow nor skae. The
export runs the graph on the sample it is given and raises unless it
reproduces the pipeline; here it is also checked on every test face.

Data: ``fetch_lfw_people(min_faces_per_person=70, resize=0.4)``, offline
from scikit-learn's data home when the faces are there, else the same
faces from the project's shared arrays, else downloaded.
"""

import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer
from skae.datasets import load_lfw
from skae.onnx import to_onnx

images, y, target_names, source = load_lfw(resize=0.4)
n_samples, h, w = images.shape
X = images.reshape(n_samples, -1).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)

# %%
# The pipeline
# ------------
# ``C`` and ``gamma`` are those that ``benchmarks/bench_lfw_classify.py``
# chose by cross-validation for this reducer.
pipeline = Pipeline(
    [
        ("pixels", StandardScaler()),
        (
            "reduce",
            AutoencoderTransformer(
                150, hidden_layer_sizes=(), whiten=True, epochs=100, batch_size=64, random_state=0
            ),
        ),
        ("svc", SVC(C=1, gamma=0.001, class_weight="balanced")),
    ]
).fit(X_train, y_train)
print(f"test accuracy of the pipeline: {pipeline.score(X_test, y_test):.3f}")

# %%
# Export
# ------
# The sample fixes the input: float32 rows of 1850 pixels, named ``"X"``.
# The SVC has no ``predict_proba`` here, so the graph's second output holds
# its ``decision_function``.
onnx_model = to_onnx(pipeline, X_train[:200])
path = Path(tempfile.mkdtemp()) / "eigenfaces.onnx"
path.write_bytes(onnx_model.SerializeToString())
print(f"{path.name}: {path.stat().st_size / 1e3:.0f} KB")

# %%
# Serve
# -----
# What a serving process runs: onnxruntime and NumPy.
session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
labels, decision = session.run(None, {"X": X_test})
mismatches = int(np.sum(labels != pipeline.predict(X_test)))
difference = np.max(np.abs(decision - pipeline.decision_function(X_test)))
print(f"onnxruntime against the pipeline on {len(X_test)} test faces:")
print(f"  labels that differ: {mismatches}; largest decision difference: {difference:.2g}")


def one_face_ms(predict, repeats=200):
    predict()
    start = time.perf_counter()
    for _ in range(repeats):
        predict()
    return 1e3 * (time.perf_counter() - start) / repeats


face = X_test[:1]
print(f"one face: pipeline {one_face_ms(lambda: pipeline.predict(face)):.2f} ms, ", end="")
print(f"onnxruntime {one_face_ms(lambda: session.run(None, {'X': face})):.3f} ms")

# %%
# Test faces named by the ONNX graph
# ----------------------------------
# A red title: the graph's name for the face is wrong (as the pipeline's is).
short_names = [name.split()[-1] for name in target_names]
fig, axes = plt.subplots(2, 6, figsize=(10, 4.6))
for k, ax in enumerate(axes.ravel()):
    ax.imshow(X_test[k].reshape(h, w), cmap="gray")
    ax.set_axis_off()
    wrong = labels[k] != y_test[k]
    ax.set_title(
        f"{short_names[labels[k]]}\n(true: {short_names[y_test[k]]})",
        fontsize=8,
        color="tab:red" if wrong else "black",
    )
fig.tight_layout()
fig.savefig(path.with_suffix(".png"), dpi=100)
print(f"figure saved as {path.with_suffix('.png')}")
