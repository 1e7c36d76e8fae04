"""Serving a fitted pipeline: pickle + TensorFlow, pickle + JAX, or ONNX in onnxruntime.

Two pipelines: ``AutoencoderTransformer(8)`` + ``LogisticRegression`` on the
1,797 digits, and ``ConvAutoencoder(32)`` + ``LogisticRegression`` on the
LFW faces (50 x 37, flat pixel rows). Each is fitted on TensorFlow and on
JAX, saved with joblib, and exported with ``skae.onnx.to_onnx`` (float32
input). Each way of serving then runs in a fresh process of its own:

- one-row ``predict`` latency: the median of many calls after a warm-up
  (``session.run`` of both outputs for ONNX), beside an ONNX graph of one
  ``Identity`` node in the same process (onnxruntime's own floor here);
- first prediction in a new process: from launching the interpreter to the
  first answer (imports, loading the file, the first call);
- resident memory (``VmRSS``) of the serving process after the calls;
- which of tensorflow, keras, jax and skae the serving process imported;
- the file's size, and the installed size of what each way needs (the
  distributions' RECORD files, dependencies followed: ``skae`` with its
  required TensorFlow; that plus ``jax``; ``onnxruntime``).

Agreement: labels of all rows by onnxruntime against the pipeline's own
``predict``, and the largest probability difference, for float32 and float64
graphs of the pipelines fitted on each backend. Then every estimator on both
backends (a few epochs on real data): onnxruntime against skae for
``transform``, ``inverse_transform``, ``decision_function`` and the imputed
rows, as the largest difference over the output's standard deviation.
Writes results/deploy.json.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax")
WATCHED = ("tensorflow", "keras", "jax", "skae")
TARGETS = {"label_mismatches": 0, "one_row_ms": 0.02, "modules_in_onnx_serving": []}


# ---------------------------------------------------------------- serving


def serve(route, model_path, rows_path, started, references=()):
    """Run in a fresh process: load, predict once, time one-row calls, report.

    For ONNX, the reference graphs (PCA's pipeline exported by skl2onnx, and
    one ``Identity`` node) are timed in the same process after the memory
    and the loaded modules are read, in rounds alternating with skae's graph,
    so that the machine's other load weighs on all three alike.
    """
    import numpy as np

    rows = np.load(rows_path)
    if route == "onnx":
        import onnxruntime

        def onnx_call(path):
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            feed = {session.get_inputs()[0].name: rows[:1].astype(np.float32)}
            return lambda: session.run(None, feed)

        predict = onnx_call(model_path)
    else:
        import joblib

        pipeline = joblib.load(model_path)

        def predict():
            return pipeline.predict(rows[:1])

    predict()
    first = time.time() - started
    result = {
        "first_prediction_s": first,
        "rss_mib": _status_mib("VmRSS"),
        "peak_rss_mib": _status_mib("VmHWM"),
        "modules_loaded": [m for m in WATCHED if m in sys.modules],
    }
    calls = {"one_row_ms": predict}
    for key, path in zip(("pca_pipeline_ms", "identity_graph_ms"), references, strict=False):
        calls[key] = onnx_call(path)
    per_round = 500 if route == "onnx" else 30
    times = {key: [] for key in calls}
    for call in calls.values():  # warm-up
        for _ in range(per_round):
            call()
    for _ in range(10):
        for key, call in calls.items():
            for _ in range(per_round):
                start = time.perf_counter()
                call()
                times[key].append(time.perf_counter() - start)
    result.update({key: 1e3 * statistics.median(t) for key, t in times.items()})
    print(json.dumps(result))


def _status_mib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def identity_graph(path, n_features):
    """Write a graph of one Identity node: onnxruntime's floor for one call."""
    import onnx
    from onnx import TensorProto, helper

    spec = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, n_features]) for n in "XY"]
    nodes = [helper.make_node("Identity", ["X"], ["Y"])]
    graph = helper.make_graph(nodes, "identity", spec[:1], spec[1:])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def serve_in_new_process(route, model_path, rows_path, backend, references=()):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.time()
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--serve",
            route,
            model_path,
            rows_path,
            repr(started),
            *references,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit(f"serving {model_path} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------- installed size


def installed_mb(roots):
    """Megabytes of the distributions ``roots`` and everything they require."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen, todo, total = set(), [canonicalize_name(r) for r in roots], 0
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        for file in dist.files or ():
            path = Path(dist.locate_file(file))
            if path.is_file():
                total += path.stat().st_size
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return total / 1e6, sorted(seen)


# ------------------------------------------------------------ training side


def train(backend, folder):
    """In a process on ``backend``: fit, save, export; agreement of pipelines and estimators."""
    from _common import quiet_tensorflow

    quiet_tensorflow()
    import warnings

    warnings.filterwarnings("ignore")
    import joblib
    import numpy as np
    import onnx
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from skae import AutoencoderTransformer, ConvAutoencoder
    from skae.datasets import load_lfw_npz
    from skae.onnx import to_onnx

    folder = Path(folder)
    X_digits, y_digits = load_digits(return_X_y=True)
    faces, y_faces, _ = load_lfw_npz()
    X_faces = faces.reshape(len(faces), -1).astype(np.float64)
    pipelines = {
        "digits": (
            Pipeline(
                [
                    ("ae", AutoencoderTransformer(8, random_state=0)),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            X_digits,
            y_digits,
        ),
        "lfw": (
            Pipeline(
                [
                    (
                        "ae",
                        ConvAutoencoder(
                            32, image_shape=(50, 37), filters=(8, 16), epochs=20, random_state=0
                        ),
                    ),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            X_faces,
            y_faces,
        ),
    }
    report = {}
    for name, (pipeline, X, y) in pipelines.items():
        start = time.perf_counter()
        pipeline.fit(X, y)
        fit_s = time.perf_counter() - start
        joblib.dump(pipeline, folder / f"{name}_{backend}.joblib")
        np.save(folder / f"{name}_rows.npy", X[:8])
        agreement = {}
        for dtype in (np.float32, np.float64):
            sample = X.astype(dtype)
            start = time.perf_counter()
            onnx_model = to_onnx(pipeline, sample)
            export_s = time.perf_counter() - start
            if dtype == np.float32:
                onnx.save(onnx_model, folder / f"{name}_{backend}.onnx")
            labels, probabilities = _run(onnx_model, sample)
            agreement[np.dtype(dtype).name] = {
                "rows": len(X),
                "label_mismatches": int(np.sum(labels != pipeline.predict(sample))),
                "max_probability_difference": float(
                    np.max(np.abs(probabilities - pipeline.predict_proba(sample)))
                ),
                "export_s": export_s,
            }
        report[name] = {
            "fit_s": fit_s,
            "train_accuracy": float(pipeline.score(X, y)),
            "agreement": agreement,
        }
    report["estimators"] = estimator_agreement(X_digits, faces)
    print(json.dumps(report))


def _run(onnx_model, X):
    import onnxruntime

    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def estimator_agreement(X_digits, faces):
    """onnxruntime against skae, every estimator: largest difference / the output's std."""
    import numpy as np

    from skae import (
        AutoencoderImputer,
        AutoencoderOutlierDetector,
        AutoencoderTransformer,
        ConvAutoencoder,
        SequenceAutoencoder,
        VAETransformer,
        make_windows,
    )
    from skae._onnx.check import agreement
    from skae._onnx.estimators import InverseTransform
    from skae.onnx import inverse_to_onnx, to_onnx

    fast = dict(epochs=5, random_state=0)
    images = faces[:300].astype(np.float64)
    steps = np.arange(1200)
    series = np.sin(steps / 9) + 0.1 * np.random.default_rng(0).normal(size=len(steps))
    windows = make_windows(series, 24, stride=4)
    incomplete = X_digits.copy()
    incomplete[np.random.default_rng(0).random(incomplete.shape) < 0.2] = np.nan
    cases = [
        ("AutoencoderTransformer(8)", AutoencoderTransformer(8, **fast), X_digits),
        ("AutoencoderTransformer(8, linear, whiten)",
         AutoencoderTransformer(8, hidden_layer_sizes=(), whiten=True, **fast), X_digits),
        ("ConvAutoencoder(16), 50 x 37 images", ConvAutoencoder(16, filters=(8, 16), **fast),
         images),
        ("ConvAutoencoder(16, gelu), flat rows",
         ConvAutoencoder(16, filters=(8,), image_shape=(50, 37), activation="gelu", **fast),
         images.reshape(len(images), -1)),
        ("VAETransformer(8)", VAETransformer(8, **fast), X_digits),
        ("VAETransformer(16), 50 x 37 images", VAETransformer(16, filters=(8, 16), **fast),
         images),
        ("SequenceAutoencoder(4, lstm)", SequenceAutoencoder(4, units=16, **fast), windows),
        ("SequenceAutoencoder(4, gru)", SequenceAutoencoder(4, units=16, cell="gru", **fast),
         windows),
        ("AutoencoderOutlierDetector(AutoencoderTransformer(8))",
         AutoencoderOutlierDetector(AutoencoderTransformer(8, **fast)), X_digits),
        ("AutoencoderOutlierDetector(VAETransformer(8))",
         AutoencoderOutlierDetector(VAETransformer(8, **fast)), X_digits),
        ("AutoencoderImputer(add_indicator=True), 20% missing",
         AutoencoderImputer(add_indicator=True, **fast), incomplete),
    ]  # fmt: skip
    rows = []
    for name, estimator, X in cases:
        estimator.fit(X)
        for dtype in (np.float32, np.float64):
            sample = X.astype(dtype)
            found = agreement(to_onnx(estimator, sample), estimator, sample)[0]
            if hasattr(estimator, "inverse_transform"):
                Z = estimator.transform(sample)
                inverse = InverseTransform(estimator)
                found += agreement(inverse_to_onnx(estimator, Z), inverse, Z)[0]
            for method, difference, scale, mismatches in found:
                if method == "transform" and isinstance(estimator, AutoencoderImputer):
                    method = "transform (imputed rows)"
                rows.append(
                    {
                        "estimator": name,
                        "output": method,
                        "dtype": np.dtype(dtype).name,
                        "rows": len(X),
                        "difference_over_std": None if scale is None else difference / scale,
                        "label_mismatches": mismatches,
                    }
                )
    return rows


def reference_graphs(folder):
    """PCA's pipelines exported by skl2onnx, and Identity graphs: the timing references."""
    import numpy as np
    import skl2onnx
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skae.datasets import load_lfw_npz

    faces, y_faces, _ = load_lfw_npz()
    data = {
        "digits": (*load_digits(return_X_y=True), 8),
        "lfw": (faces.reshape(len(faces), -1), y_faces, 32),
    }
    paths = {}
    for name, (X, y, n_components) in data.items():
        X = X.astype(np.float32)
        pipeline = make_pipeline(PCA(n_components), LogisticRegression(max_iter=2000)).fit(X, y)
        options = {id(pipeline[-1]): {"zipmap": False}}
        pca_path = os.path.join(folder, f"{name}_pca.onnx")
        with open(pca_path, "wb") as f:
            f.write(skl2onnx.to_onnx(pipeline, X[:1], options=options).SerializeToString())
        identity_path = os.path.join(folder, f"{name}_identity.onnx")
        identity_graph(identity_path, X.shape[1])
        paths[name] = (pca_path, identity_path)
    return paths


def train_in_new_process(backend, folder):
    saved = Path(folder) / f"trained_{backend}.json"
    if saved.exists():  # a rerun in the same folder (--folder) serves what was fitted
        return json.loads(saved.read_text())
    env = {**os.environ, "KERAS_BACKEND": backend}
    out = subprocess.run(
        [sys.executable, __file__, "--train", backend, folder],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit(f"training on {backend} failed")
    saved.write_text(out.stdout.strip().splitlines()[-1])
    return json.loads(saved.read_text())


# ------------------------------------------------------------------- main


def main():
    sys.path.insert(0, str(HERE))
    from _common import save

    if "--folder" in sys.argv:
        folder = sys.argv[sys.argv.index("--folder") + 1]
    else:
        folder = tempfile.mkdtemp(prefix="skae-deploy-")
    print(f"models in {folder} (rerun with --folder {folder} to serve them again)")
    trained = {}
    for backend in BACKENDS:
        print(f"fitting and exporting on {backend}", flush=True)
        trained[backend] = train_in_new_process(backend, folder)
    environment = {
        "pickle + TensorFlow": installed_mb(["skae"]),
        "pickle + JAX": installed_mb(["skae", "jax"]),
        "ONNX in onnxruntime": installed_mb(["onnxruntime"]),
    }
    references = reference_graphs(folder)
    # The machine's other load weighs on every timing: recorded beside them.
    payload = {"targets": TARGETS, "load_average_before": os.getloadavg()[0]}
    payload.update(pipelines={}, estimators={})
    for name in ("digits", "lfw"):
        rows = os.path.join(folder, f"{name}_rows.npy")
        routes = {
            "pickle + TensorFlow": ("pickle", f"{name}_tensorflow.joblib", "tensorflow"),
            "pickle + JAX": ("pickle", f"{name}_jax.joblib", "jax"),
            "ONNX in onnxruntime": ("onnx", f"{name}_tensorflow.onnx", "tensorflow"),
        }
        served = {}
        for route, (kind, file, backend) in routes.items():
            path = os.path.join(folder, file)
            print(f"serving {name}: {route}", flush=True)
            served[route] = {
                **serve_in_new_process(
                    kind, path, rows, backend, references[name] if kind == "onnx" else ()
                ),
                "file_kb": os.path.getsize(path) / 1e3,
                "environment_mb": environment[route][0],
                "environment_distributions": len(environment[route][1]),
            }
        payload["pipelines"][name] = {
            "routes": served,
            "fit": {
                b: {k: trained[b][name][k] for k in ("fit_s", "train_accuracy")} for b in BACKENDS
            },
            "agreement": {b: trained[b][name]["agreement"] for b in BACKENDS},
        }
    payload["load_average_after"] = os.getloadavg()[0]
    payload["estimators"] = {b: trained[b]["estimators"] for b in BACKENDS}
    for name, result in payload["pipelines"].items():
        for route, r in result["routes"].items():
            print(
                f"{name:6s} {route:20s} one row {r['one_row_ms']:.4f} ms, first "
                f"{r['first_prediction_s']:.2f} s, RSS {r['rss_mib']:.0f} MiB, env "
                f"{r['environment_mb']:.0f} MB, file {r['file_kb']:.0f} KB, "
                f"loaded {r['modules_loaded']}"
            )
        for backend, agreement in result["agreement"].items():
            print(f"{name:6s} fitted on {backend}: {agreement}")
    worst = max(
        row["difference_over_std"] or 0.0 for rows in payload["estimators"].values() for row in rows
    )
    print(f"every estimator, both backends: largest difference / std = {worst:.2e}")
    save("deploy", payload)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--train":
        sys.path.insert(0, str(HERE))
        train(sys.argv[2], sys.argv[3])
    else:
        main()
