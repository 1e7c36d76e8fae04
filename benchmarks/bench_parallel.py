"""GridSearchCV(n_jobs=2) against n_jobs=1 on this machine's cores.

One search: AutoencoderTransformer on the digits, n_components in
{2, 4, 6, 8, 12, 16} (6 candidates), 3-fold CV, 20 epochs each (18 fits
plus the refit). It runs three ways, each in a fresh Python process so that
no worker pool or TensorFlow runtime is shared between them:

- ``n_jobs=1``: one process, TensorFlow's default pools;
- ``n_jobs=2, naive``: two joblib workers whose TensorFlow pools are pinned
  to the machine's width (``TF_NUM_INTRAOP_THREADS`` = cores), which is what
  any Keras code does inside a joblib worker;
- ``n_jobs=2, skae``: two joblib workers, skae sizing TensorFlow's intra-op
  pool by the ``OMP_NUM_THREADS`` joblib sets in each worker.

The three alternate for three rounds (``BENCH_REPEATS``); each reports its
median. Reports wall times and the speed-up of each n_jobs=2 run over n_jobs=1
(goal >= 1.6 on 2 cores), and checks that all three found the same scores.

Then what sharing the cores costs by itself: the same three single-threaded
fits (skae, and the same network in plain Keras) timed alone and as two
copies running at once. A slowdown above 1 there bounds the speed-up any
``n_jobs=2`` search can reach on this machine. Writes results/parallel.json.
"""

import json
import os
import statistics
import subprocess
import sys

from _common import save  # noqa: E402

GRID = [2, 4, 6, 8, 12, 16]
EPOCHS, FOLDS = 20, 3
REPEATS = int(os.environ.get("BENCH_REPEATS", 3))

CHILD = f"""
import json, logging, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)
from sklearn.model_selection import GridSearchCV
from skae import AutoencoderTransformer
from skae.datasets import load_digits_scaled

X = load_digits_scaled()[0]
search = GridSearchCV(
    AutoencoderTransformer(epochs={EPOCHS}, random_state=0),
    {{"n_components": {GRID}}},
    cv={FOLDS},
    n_jobs=int(sys.argv[1]),
)
start = time.perf_counter()
search.fit(X)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds,
                  "scores": search.cv_results_["mean_test_score"].tolist()}}))
"""


SIDE_BY_SIDE = """
import logging, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)
import keras
from skae import AutoencoderTransformer
from skae.datasets import load_digits_scaled

X = load_digits_scaled()[0].astype("float32")
start = time.perf_counter()
for k in (2, 4, 8):
    if sys.argv[1] == "skae":
        AutoencoderTransformer(n_components=k, epochs=20, random_state=0).fit(X)
    else:
        inputs = keras.Input((64,))
        h = keras.layers.Dense(128, activation="relu")(inputs)
        h = keras.layers.Dense(128, activation="relu")(keras.layers.Dense(k)(h))
        model = keras.Model(inputs, keras.layers.Dense(64)(h))
        model.compile("adam", "mse")
        model.fit(X, X, epochs=20, batch_size=32, validation_split=0.1, verbose=0)
print(time.perf_counter() - start)
"""


def side_by_side(kind):
    """Seconds of three one-thread fits alone, and of each of two copies run at once."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-c", SIDE_BY_SIDE, kind]

    def seconds(process):
        return float(process.communicate()[0].strip().splitlines()[-1])

    alone = seconds(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True))
    pair = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    together = [seconds(process) for process in pair]
    return {"alone_s": alone, "together_s": together, "slowdown": sum(together) / 2 / alone}


def run(n_jobs, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        if name not in (extra_env or {}):
            env.pop(name, None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_jobs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    cores = str(os.cpu_count())
    configurations = {
        "n_jobs=1": (1, None),
        "n_jobs=2, naive (TF pools = all cores)": (
            2,
            {"TF_NUM_INTRAOP_THREADS": cores, "TF_NUM_INTEROP_THREADS": cores},
        ),
        "n_jobs=2, skae (intra-op pool follows OMP_NUM_THREADS)": (2, None),
    }
    if os.environ.get("BENCH_EXTRA"):  # the alternative measured and rejected
        configurations["n_jobs=2, both pools follow OMP_NUM_THREADS"] = (
            2,
            {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
        )
    # The configurations alternate, REPEATS rounds; each reports its median.
    runs = {name: [] for name in configurations}
    for round_ in range(REPEATS):
        for name, (n_jobs, env) in configurations.items():
            runs[name].append(run(n_jobs, env))
            print(f"round {round_ + 1}: {name:52s} {runs[name][-1]['seconds']:7.1f} s", flush=True)
    results = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "all_seconds": [r["seconds"] for r in rs],
            "scores": rs[0]["scores"],
            "all_scores": [r["scores"] for r in rs],
        }
        for name, rs in runs.items()
    }
    base = results["n_jobs=1"]["seconds"]
    rows = []
    for name, result in results.items():
        speedup = base / result["seconds"]
        rows.append(
            {
                "configuration": name,
                "seconds": result["seconds"],
                "all_seconds": result["all_seconds"],
                "speedup": speedup,
            }
        )
        print(f"{name:52s} median {result['seconds']:.1f} s, speed-up {speedup:.2f}x")
    scores = [scores for result in results.values() for scores in result["all_scores"]]
    max_score_gap = max(
        abs(a - b) for other in scores[1:] for a, b in zip(scores[0], other, strict=True)
    )
    print(f"largest difference of mean_test_score between runs: {max_score_gap:.2e}")
    sharing = {kind: side_by_side(kind) for kind in ("skae", "plain keras")}
    for kind, result in sharing.items():
        print(
            f"{kind}: three one-thread fits alone {result['alone_s']:.1f} s, two copies at "
            f"once {result['together_s'][0]:.1f} / {result['together_s'][1]:.1f} s: "
            f"slowdown {result['slowdown']:.2f}x"
        )
    save(
        "parallel",
        {
            "grid": {"n_components": GRID},
            "epochs": EPOCHS,
            "folds": FOLDS,
            "repeats": REPEATS,
            "rows": rows,
            "max_score_difference": max_score_gap,
            "sharing_two_cores": sharing,
            "goal": "n_jobs=2 >= 1.6x n_jobs=1 on 2 cores",
        },
    )


if __name__ == "__main__":
    main()
