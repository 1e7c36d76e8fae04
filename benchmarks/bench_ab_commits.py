"""Two commits side by side: the fit and transform times of every estimator, A/B.

A refactor must not make skae slower (issue 32: no benchmark slower by more
than 5%). This script checks out a base commit (default: the commit before
issue 32's fit-path step, ``ee6a5e3``) into a temporary worktree and times
the same work with it and with the working tree, each run in a fresh
process, the two alternated ``--rounds`` times (base first in even rounds,
the working tree first in odd ones) so that the machine's other load weighs
on both alike:

- ``AutoencoderTransformer`` (digits), ``ConvAutoencoder`` (digits as 8 x 8
  images), ``VAETransformer`` (digits), ``AutoencoderImputer`` (digits, 20%
  missing) and ``SequenceAutoencoder`` (digits as 8 steps of 8): a warm fit
  (after the first fit of the process; 30 epochs, no early stopping, the
  fastest of 3) and ``transform`` of all rows (the fastest of 6), with the
  same network on both commits: where issue 31 changed a default after the
  base (the sequence network, the imputer's size, conv's ``"auto"`` flips)
  the base's value is pinned;
- the first fit of the process (imports and compiling included).

Reported: the median over rounds of each commit's seconds and the ratio
working tree / base (goal: <= 1.05 for each), and the same with the fastest
round. Writes results/ab_commits.json.

Run: ``python benchmarks/bench_ab_commits.py [--base COMMIT] [--rounds N]``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import save

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOAL = 1.05

PROBE = r"""
import json, os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
REPEATS = 3
import numpy as np
from sklearn.datasets import load_digits
import skae
from skae import (AutoencoderImputer, AutoencoderTransformer, ConvAutoencoder,
                  SequenceAutoencoder, VAETransformer)

X = load_digits().data / 16.0
holes = X.copy()
holes[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
common = dict(epochs=30, early_stopping=False, random_state=0)
# The same network on both commits: where a default changed after the base
# (issue 31: the sequence network, the imputer's size, conv's "auto" flips),
# the base's is pinned, when this commit has the parameter.
pinned = {
    "conv": dict(flip_horizontal=False),
    "imputer": dict(n_components=16, hidden_layer_sizes=(128,)),
    "sequence": dict(bidirectional=False, linear_skip=False),
}


def maker(cls, name, *args):
    def make():
        est = cls(*args, **common)
        params = est.get_params()
        return est.set_params(**{k: v for k, v in pinned.get(name, {}).items() if k in params})
    return make


cases = {
    "dense": (maker(AutoencoderTransformer, "dense", 8), X),
    "conv": (maker(ConvAutoencoder, "conv", 8), X.reshape(-1, 8, 8)),
    "vae": (maker(VAETransformer, "vae", 8), X),
    "imputer": (maker(AutoencoderImputer, "imputer"), holes),
    "sequence": (maker(SequenceAutoencoder, "sequence", 8), X.reshape(-1, 8, 8)),
}
out = {"skae": os.path.dirname(skae.__file__)}
for name, (make, data) in cases.items():
    start = time.perf_counter()
    est = make().fit(data)
    out[f"{name} first fit"] = time.perf_counter() - start
    # The fastest of REPEATS: what the code costs, less the machine's other load.
    fits, transforms = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        est = make().fit(data)
        fits.append(time.perf_counter() - start)
    est.transform(data)
    for _ in range(2 * REPEATS):
        start = time.perf_counter()
        est.transform(data)
        transforms.append(time.perf_counter() - start)
    out[f"{name} fit"] = min(fits)
    out[f"{name} transform"] = min(transforms)
print(json.dumps(out))
"""


def run(tree):
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tree)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert Path(result.pop("skae")).resolve() == (Path(tree) / "skae").resolve(), result
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="ee6a5e3")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base_tree = Path(tempfile.mkdtemp(prefix="skae-ab-")) / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree),
                    args.base], check=True, capture_output=True)  # fmt: skip
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    runs = {"base": [], "head": []}
    try:
        for round_ in range(args.rounds):
            order = (("base", base_tree), ("head", ROOT))
            for name, tree in order if round_ % 2 == 0 else order[::-1]:
                runs[name].append(run(tree))
                print(f"round {round_ + 1} {name}: done", flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                        str(base_tree)], check=False)  # fmt: skip
    rows = []
    for key in runs["head"][0]:
        base_times = [r[key] for r in runs["base"]]
        head_times = [r[key] for r in runs["head"]]
        b, h = statistics.median(base_times), statistics.median(head_times)
        fastest = min(head_times) / min(base_times)
        rows.append({"measure": key, "base_s": b, "head_s": h, "ratio": h / b,
                     "base_runs_s": base_times, "head_runs_s": head_times,
                     "ratio_fastest": fastest})  # fmt: skip
        print(f"{key:22s} base {b:8.3f} s  head {h:8.3f} s  ratio {h / b:5.3f}"
              f"  (fastest rounds: {fastest:5.3f})")  # fmt: skip
    worst = max(rows, key=lambda r: r["ratio"])
    print(f"worst: {worst['measure']} {worst['ratio']:.3f} (goal <= {GOAL})")
    save("ab_commits", {"base": args.base, "head": f"{head} + working tree",
                        "rounds": args.rounds, "goal": GOAL, "rows": rows,
                        "load_average": os.getloadavg()[0]})  # fmt: skip


if __name__ == "__main__":
    main()
