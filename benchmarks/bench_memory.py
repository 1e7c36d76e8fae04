"""Resident memory across many fits in one process, on both backends.

The issue's measurement: ``AutoencoderTransformer(4, epochs=3,
random_state=i).fit(X).transform(X[:5])`` on 500 digits, 200 times in one
fresh process per backend, ``gc.collect()`` before each reading of resident
memory (``/proc/self/statm``). Then 60 fits cycling through every estimator
(dense, conv, VAE, sequence, outlier detector, imputer), each also cloned and
refitted and pickled and unpickled. Goal: after the 20th fit, growth of at
most 50 MB over 200 fits, per-fit time unchanged. Writes results/memory.json.
"""

import json
import os
import subprocess
import sys

CHILD = r"""
import gc, json, os, pickle, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
import skae

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

X = load_digits().data[:500] / 16.0
kind, n = sys.argv[1], int(sys.argv[2])
Xs, ys = skae.make_windows(np.sin(np.arange(300) / 4.0), 12, n_future=3)
X_missing = X.copy(); X_missing[::4, 3] = np.nan

def mixed(i):
    fast = dict(epochs=2, random_state=i)
    return [
        (skae.AutoencoderTransformer(4, **fast), X, None),
        (skae.ConvAutoencoder(4, filters=(4,), **fast), X.reshape(-1, 8, 8), None),
        (skae.VAETransformer(2, kl_warmup_epochs=1, **fast), X, None),
        (skae.SequenceAutoencoder(3, units=4, n_future=3, **fast), Xs, ys),
        (skae.AutoencoderOutlierDetector(skae.AutoencoderTransformer(2, **fast)), X, None),
        (skae.AutoencoderImputer(n_components=4, **fast), X_missing, None),
    ][i % 6]

readings, times = [], []
for i in range(1, n + 1):
    start = time.perf_counter()
    if kind == "dense":
        skae.AutoencoderTransformer(4, epochs=3, random_state=i).fit(X).transform(X[:5])
    else:
        estimator, data, y = mixed(i)
        fitted = estimator.fit(data, y)
        clone(fitted).fit(data, y)
        fitted.fit(data, y)
        loaded = pickle.loads(pickle.dumps(fitted))
        (getattr(loaded, "transform", None) or loaded.score_samples)(data[:5])
    times.append(time.perf_counter() - start)
    if i % 10 == 0:
        gc.collect()
        readings.append((i, rss()))
print(json.dumps({"readings": readings, "times": times}))
"""

BACKENDS = {
    "tensorflow": {"KERAS_BACKEND": "tensorflow"},
    "jax": {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"},
}


def measure(backend, kind, n):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **BACKENDS[backend]}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(result, start_at=20):
    readings = dict(result["readings"])
    times = result["times"]
    tenth = max(1, len(times) // 10)
    return {
        "mb_at": readings,
        f"growth_after_fit_{start_at}_mb": readings[max(readings)] - readings[start_at],
        "fit_s_early": sum(times[tenth : 2 * tenth]) / tenth,
        "fit_s_late": sum(times[-tenth:]) / tenth,
    }


def main():
    from _common import save

    results = {}
    for backend in BACKENDS:
        for kind, n in (("dense", 200), ("mixed", 60)):
            result = summary(measure(backend, kind, n))
            results[f"{backend}/{kind}"] = result
            growth = result["growth_after_fit_20_mb"]
            print(
                f"{backend:10s} {kind:5s} x{n}: "
                + " ".join(f"{i}:{mb:.0f}" for i, mb in result["mb_at"].items())
                + f"  growth after fit 20: {growth:+.0f} MB; per fit "
                f"{result['fit_s_early']:.2f} s early, {result['fit_s_late']:.2f} s late",
                flush=True,
            )
    save("memory", {"results": results})


if __name__ == "__main__":
    main()
