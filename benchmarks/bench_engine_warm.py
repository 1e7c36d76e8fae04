"""A search's later fits: skae on JAX once its epoch programs are compiled.

The same fit as ``bench_engine.py``'s table (digits, 64-128-8-128-64, batch
32, 30 epochs, no validation), three times in one JAX process: the first
compiles, the next reuse the compiled programs (as a GridSearchCV's folds
do). Beside it, in its own process, scikit-learn's MLPRegressor. Writes
results/engine_warm.json.
"""

import json
import os
import subprocess
import sys
import time

if __name__ == "__main__" and "--child" in sys.argv:
    from bench_engine import digits

    from skae import AutoencoderTransformer

    Xtr, Xte, _, _ = digits()
    times = []
    for _ in range(3):
        ae = AutoencoderTransformer(
            8,
            epochs=30,
            batch_size=32,
            validation_fraction=0.0,
            early_stopping=False,
            random_state=0,
        )
        start = time.perf_counter()
        ae.fit(Xtr)
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "n_rows": len(Xtr)}))
elif __name__ == "__main__":
    from _common import save
    from bench_engine import run

    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True
    )
    skae = json.loads(out.stdout.strip().splitlines()[-1])
    mlp_seconds, _ = run("mlp", "tensorflow")
    warm = min(skae["times"][1:])
    rows_per_s = skae["n_rows"] * 30 / warm
    print(f"skae JAX fits: {[round(t, 2) for t in skae['times']]} s; warm {rows_per_s:,.0f} rows/s")
    print(f"MLPRegressor: {mlp_seconds:.2f} s; warm skae / MLP = {warm / mlp_seconds:.2f}")
    save(
        "engine_warm",
        {
            "skae_jax_fit_s": skae["times"],
            "mlp_fit_s": mlp_seconds,
            "warm_over_mlp": warm / mlp_seconds,
            "warm_rows_per_s": rows_per_s,
        },
    )
