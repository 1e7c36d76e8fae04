"""Helpers shared by the benchmark scripts: where results go, how they are written."""

import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def quiet_tensorflow():
    """The benchmark's own choice: no TensorFlow retracing warnings in its output."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def median_seconds(function, repeats):
    """Median wall time of ``function()`` over ``repeats`` calls, after one warm-up call."""
    function()  # tracing, compiling and first-call costs are left out
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_model():
    """The CPU's model name (Linux: /proc/cpuinfo), or what ``platform`` knows, or None."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def gpu_model():
    """The accelerator's kind as JAX names it (e.g. "NVIDIA H200"), where JAX is in use."""
    jax = sys.modules.get("jax")
    if jax is None:
        return None
    try:
        device = jax.devices()[0]
    except RuntimeError:
        return None
    return None if device.platform == "cpu" else device.device_kind


def save(name, payload):
    """Write ``payload`` with machine facts to ``results/<name>.json``; return the path."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    def version(package):
        try:
            return installed_version(package)
        except PackageNotFoundError:  # the device machine has JAX but no TensorFlow
            return None

    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu_model(),
            "gpu": gpu_model(),
            "python": platform.python_version(),
            "keras": version("keras"),
            "tensorflow": version("tensorflow"),
            "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
            "jax": version("jax"),
            "scikit-learn": version("scikit-learn"),
        },
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"saved {path}")
    return path
