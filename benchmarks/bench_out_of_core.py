"""Fit and transform a float32 memmap of 2 000 000 x 784 (6.3 GB) in bounded memory.

The data is written to a temporary ``.npy`` file by plain file writes (so the
writing process maps nothing): rank-16 structure plus noise, like flattened
28x28 images. Then, each in a fresh Python process:

- ``memmap``: ``AutoencoderTransformer(n_components=16)`` fitted for 3 epochs
  (batch 256, 5% validation split, shuffled) on ``np.load(path, mmap_mode="r")``,
  then ``transform`` of all 2 000 000 rows;
- ``in-memory``: the same on the first 200 000 rows loaded into RAM.

Reported: peak resident memory (``ru_maxrss``, which counts mapped file pages)
of each process and its resident memory after importing Keras and building
nothing, and rows per second of fitting (epochs x training rows / fit time)
and of transforming. Goal: peak under 2 GB for the memmap run. The file is
deleted at the end, also on failure. Writes results/out_of_core.json.

Usage: ``python benchmarks/bench_out_of_core.py [--rows N] [--dir DIR]``.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import save  # noqa: E402

N_FEATURES, RANK = 784, 16
EPOCHS, BATCH = 3, 256
IN_MEMORY_ROWS = 200_000

CHILD = f"""
import json, logging, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)
import numpy as np
import keras  # noqa: F401  (the runtime's own memory, measured before any data)
from skae import AutoencoderTransformer

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

path, mode = sys.argv[1], sys.argv[2]
baseline = rss_mb()
X = np.load(path, mmap_mode="r")
if mode == "in-memory":
    X = np.array(X[:{IN_MEMORY_ROWS}])
ae = AutoencoderTransformer(n_components={RANK}, epochs={EPOCHS}, batch_size={BATCH},
                            validation_fraction=0.05, early_stopping=False, random_state=0)
start = time.perf_counter()
ae.fit(X)
fit_seconds = time.perf_counter() - start
start = time.perf_counter()
Z = ae.transform(X)
transform_seconds = time.perf_counter() - start
n_train = len(X) - int(round(0.05 * len(X)))
print(json.dumps({{
    "rows": len(X),
    "baseline_rss_mb": baseline,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "fit_seconds": fit_seconds,
    "fit_rows_per_second": {EPOCHS} * n_train / fit_seconds,
    "transform_seconds": transform_seconds,
    "transform_rows_per_second": len(X) / transform_seconds,
    "final_loss": ae.history_["loss"][-1],
    "final_val_loss": ae.history_["val_loss"][-1],
    "codes_finite": bool(np.isfinite(Z).all()),
}}))
"""


def write_data(path, n_rows, chunk_rows=50_000):
    """Write an .npy file of float32 rows with rank-16 structure plus noise."""
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(RANK, N_FEATURES)).astype(np.float32) / np.sqrt(RANK)
    header = {"descr": "<f4", "fortran_order": False, "shape": (n_rows, N_FEATURES)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_2_0(f, header)
        for start in range(0, n_rows, chunk_rows):
            n = min(chunk_rows, n_rows - start)
            codes = rng.normal(size=(n, RANK)).astype(np.float32)
            noise = rng.normal(scale=0.1, size=(n, N_FEATURES)).astype(np.float32)
            f.write((codes @ basis + noise).astype(np.float32).tobytes())


def run_child(path, mode):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dir", default=None, help="where the temporary file goes")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="skae-out-of-core-", dir=args.dir)
    try:
        path = Path(folder) / "X.npy"
        start = time.perf_counter()
        write_data(path, args.rows)
        size_gb = path.stat().st_size / 1e9
        print(
            f"wrote {args.rows} x {N_FEATURES} float32 ({size_gb:.2f} GB) "
            f"in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        results = {}
        for mode in ("memmap", "in-memory"):
            results[mode] = run_child(path, mode)
            r = results[mode]
            print(
                f"{mode:10s} rows {r['rows']:>9,}  peak RSS {r['peak_rss_mb']:7.0f} MB "
                f"(after import {r['baseline_rss_mb']:.0f} MB)  "
                f"fit {r['fit_rows_per_second']:>9,.0f} rows/s ({r['fit_seconds']:.0f} s)  "
                f"transform {r['transform_rows_per_second']:>10,.0f} rows/s "
                f"({r['transform_seconds']:.1f} s)  val loss {r['final_val_loss']:.4f}",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"removed {folder}: {not os.path.exists(folder)}")
    memmap, in_memory = results["memmap"], results["in-memory"]
    ratios = {
        "fit_rows_per_second_memmap_over_in_memory": memmap["fit_rows_per_second"]
        / in_memory["fit_rows_per_second"],
        "transform_rows_per_second_memmap_over_in_memory": memmap["transform_rows_per_second"]
        / in_memory["transform_rows_per_second"],
    }
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    save(
        "out_of_core",
        {
            "file_gb": size_gb,
            "shape": [args.rows, N_FEATURES],
            "epochs": EPOCHS,
            "batch_size": BATCH,
            "runs": results,
            **ratios,
            "goal": "memmap peak RSS < 2 GB",
            "goal_met": memmap["peak_rss_mb"] < 2000,
        },
    )


if __name__ == "__main__":
    main()
