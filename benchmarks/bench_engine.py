"""The training engine against scikit-learn's MLP, plain Keras and a bare JAX loop.

CPU table (issue "Training engine"): digits, 1347 training rows x 64 (75/25
split, random_state=42), network 64-128-8-128-64, Adam 1e-3, batch 32,
30 epochs, no validation or early stopping. Each line runs in its own fresh
process (the backend is fixed per process); the time is the fit alone,
imports excluded (Keras imported and its backend started before the clock,
for skae too, which otherwise imports Keras in its first fit), so it
includes compiling. Lines:

- ``MLPRegressor(hidden_layer_sizes=(128, 8, 128))`` fitted X -> X;
- a bare JAX loop: ``jit(lax.scan)`` over each epoch's batches, data on the
  device, Adam written out (the reference for what the machine can do);
- Keras ``Model.fit`` on arrays, on JAX and on TensorFlow;
- skae's ``AutoencoderTransformer`` with the same settings, on both backends,
  and on JAX once more in a second process with JAX's persistent compilation
  cache filled by a first (what a script run again, or a search's later
  worker, pays).

Then skae's defaults (``AutoencoderTransformer(n_components=8)``) on digits:
fit time and held-out MSE beside PCA(8), and the README's ``GridSearchCV``
example (3 candidates x 5 folds + refit) beside the same search with
``PCA()``, counting TensorFlow retracing warnings. Writes
results/engine.json.

``--device gpu`` runs the GPU section instead (JAX backend, a machine with a
GPU; writes results/engine_gpu.json): 60,000 x 784 rows (digits upscaled to
24 x 24 and shifted at random in 28 x 28), a dense 784-256-32 autoencoder at
batch 256 (and ``transform`` of 100,000 rows) and at batch 32, a
ConvAutoencoder(64) on the LFW faces, and a VAETransformer(32); each per
epoch (see :func:`timed_epochs`), on the GPU and on the same machine's CPU
(``JAX_PLATFORMS=cpu``, all cores), one process each. The LFW arrays are
read from ``$SKAE_DATA`` (copy them into the checkout for the device).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

EPOCHS, BATCH = 30, 32
WARM_CACHE_ROW = "skae, JAX, compilation cache warm"
BACKEND_ENV = {
    "jax": {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"},
    "tensorflow": {"KERAS_BACKEND": "tensorflow"},
}


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=42)


def pca_mse(Xtr, Xte, k=8):
    from sklearn.decomposition import PCA

    pca = PCA(k).fit(Xtr)
    return float(np.mean((Xte - pca.inverse_transform(pca.transform(Xte))) ** 2))


def case_mlp():
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    Xtr, Xte, _, _ = digits()
    mlp = MLPRegressor(
        hidden_layer_sizes=(128, 8, 128),
        batch_size=BATCH,
        max_iter=EPOCHS,
        learning_rate_init=1e-3,
        tol=0.0,
        n_iter_no_change=EPOCHS + 1,
        random_state=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(Xtr, Xtr)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean((Xte - mlp.predict(Xte)) ** 2))


def case_jax_scan():
    import jax
    import jax.numpy as jnp

    Xtr, Xte, _, _ = digits()
    sizes = [64, 128, 8, 128, 64]
    key = jax.random.PRNGKey(0)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, sub = jax.random.split(key)
        limit = np.sqrt(6 / (fan_in + fan_out))
        params.append(
            (
                jax.random.uniform(sub, (fan_in, fan_out), minval=-limit, maxval=limit),
                jnp.zeros(fan_out),
            )
        )

    def forward(params, x):
        for i, (w, b) in enumerate(params):
            x = x @ w + b
            if i in (0, 2):
                x = jax.nn.relu(x)
        return x

    def loss(params, x):
        return jnp.mean((forward(params, x) - x) ** 2)

    def step(carry, rows):
        params, m, v, t, data = carry
        grads = jax.grad(loss)(params, data[rows])
        t = t + 1
        m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
        lr = 1e-3 * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        params = jax.tree.map(lambda p, m, v: p - lr * m / (jnp.sqrt(v) + 1e-7), params, m, v)
        return (params, m, v, t, data), None

    @jax.jit
    def epoch(carry, rows):
        return jax.lax.scan(step, carry, rows)[0]

    data = jax.device_put(Xtr)
    zeros = jax.tree.map(jnp.zeros_like, params)
    carry = (params, zeros, zeros, 0.0, data)
    n_full = len(Xtr) // BATCH
    start = time.perf_counter()
    for e in range(EPOCHS):
        order = np.random.default_rng([0, e]).permutation(len(Xtr))[: n_full * BATCH]
        carry = epoch(carry, order.reshape(n_full, BATCH))
    jax.block_until_ready(carry)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean((Xte - np.asarray(forward(carry[0], Xte))) ** 2))


def case_keras():
    import keras

    Xtr, Xte, _, _ = digits()
    inputs = keras.Input((64,))
    h = keras.layers.Dense(128, activation="relu")(inputs)
    z = keras.layers.Dense(8)(h)
    h = keras.layers.Dense(128, activation="relu")(z)
    model = keras.Model(inputs, keras.layers.Dense(64)(h))
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    start = time.perf_counter()
    model.fit(Xtr, Xtr, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean((Xte - model.predict(Xte, verbose=0)) ** 2))


def import_keras():
    """Import Keras and its backend before the clock starts (skae imports it lazily, in fit)."""
    import keras

    keras.ops.zeros(1)  # starts the backend's runtime, as building a model does for plain Keras
    if os.environ.get("SKAE_BENCH_JAX_CACHE"):
        import jax

        jax.config.update("jax_compilation_cache_dir", os.environ["SKAE_BENCH_JAX_CACHE"])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def case_skae():
    from skae import AutoencoderTransformer

    import_keras()

    Xtr, Xte, _, _ = digits()
    ae = AutoencoderTransformer(
        8,
        epochs=EPOCHS,
        batch_size=BATCH,
        validation_fraction=0.0,
        early_stopping=False,
        random_state=0,
    )
    start = time.perf_counter()
    ae.fit(Xtr)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean((Xte - ae.inverse_transform(ae.transform(Xte))) ** 2))


def case_skae_defaults():
    import warnings

    from skae import AutoencoderTransformer

    import_keras()
    Xtr, Xte, _, _ = digits()
    ae = AutoencoderTransformer(n_components=8, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(Xtr)
    seconds = time.perf_counter() - start
    mse = float(np.mean((Xte - ae.inverse_transform(ae.transform(Xte))) ** 2))
    return seconds, mse, ae.n_iter_


def case_grid_search(reducer):
    import logging
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skae import AutoencoderTransformer

    class Count(logging.Handler):
        retracing = 0

        def emit(self, record):
            if "retracing" in record.getMessage():
                Count.retracing += 1

    if reducer == "skae":
        import_keras()
    logging.getLogger("tensorflow").addHandler(Count())
    X, y = load_digits(return_X_y=True)
    step = AutoencoderTransformer(random_state=0) if reducer == "skae" else PCA()
    pipe = Pipeline([("reduce", step), ("clf", LogisticRegression(max_iter=1000))])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(pipe, {"reduce__n_components": [4, 8, 16]}).fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, float(search.best_score_), Count.retracing


# --- GPU section: run with --device gpu on a machine with a GPU (JAX backend) ---
GPU_ROWS, GPU_EPOCHS, TRANSFORM_ROWS = 60_000, 3, 100_000


def mnist_like(n_rows, seed=0):
    """``n_rows`` x 784 float32: digits upscaled 3x to 24 x 24, shifted at random in 28 x 28."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    digits = load_digits().images / 16.0
    big = np.kron(digits, np.ones((3, 3)))  # (1797, 24, 24)
    X = np.zeros((n_rows, 28, 28), np.float32)
    picks = rng.integers(len(big), size=n_rows)
    shifts = rng.integers(5, size=(n_rows, 2))
    for i, (pick, (dy, dx)) in enumerate(zip(picks, shifts, strict=True)):
        X[i, dy : dy + 24, dx : dx + 24] = big[pick]
    return X.reshape(n_rows, 784)


def timed_epochs(estimator, X, epochs):
    """Seconds per epoch of ``estimator`` on ``X``, and of its whole fit.

    A one-epoch fit compiles first. The epoch's time is the difference
    between fits of ``1 + epochs`` and of 1 epoch, divided by ``epochs``: it
    leaves out what every fit pays once (checking and standardising the
    data, sending it to the device), which the whole fit's time includes.
    """
    estimator.set_params(epochs=1).fit(X)
    start = time.perf_counter()
    estimator.fit(X)
    one = time.perf_counter() - start
    estimator.set_params(epochs=1 + epochs)
    start = time.perf_counter()
    estimator.fit(X)
    many = time.perf_counter() - start
    return {
        "epoch_s": (many - one) / epochs,
        "fit_s": many,
        "fit_epochs": 1 + epochs,
        "once_per_fit_s": one - (many - one) / epochs,
        "final_loss": float(estimator.history_["loss"][-1]),
    }


def gpu_case(what):
    """One line of the GPU section on this process's device (``JAX_PLATFORMS`` picks it)."""
    import jax

    from skae import AutoencoderTransformer, ConvAutoencoder, VAETransformer

    import_keras()
    n_rows = int(os.environ.get("SKAE_BENCH_GPU_ROWS", GPU_ROWS))
    epochs = int(os.environ.get("SKAE_BENCH_GPU_EPOCHS", GPU_EPOCHS))
    fixed = dict(validation_fraction=0.0, early_stopping=False, random_state=0)
    result = {
        "device": str(jax.devices()[0]),
        "device_kind": jax.devices()[0].device_kind,
        "rows": n_rows,
        "matmul_precision": str(jax.config.jax_default_matmul_precision),
    }
    if what.startswith("dense"):
        batch = int(what.split("_")[1])
        X = mnist_like(n_rows)
        ae = AutoencoderTransformer(32, hidden_layer_sizes=(256,), batch_size=batch, **fixed)
        result.update(timed_epochs(ae, X, epochs))
        if batch == 256:
            many = np.concatenate([X] * (TRANSFORM_ROWS // n_rows + 1))[:TRANSFORM_ROWS]
            ae.transform(many)  # compiles the inference chunks
            start = time.perf_counter()
            ae.transform(many)
            result["transform_rows_per_s"] = TRANSFORM_ROWS / (time.perf_counter() - start)
            # where transform's time goes: checking the input, standardising on the host
            start = time.perf_counter()
            rows = ae._validate_input(many, reset=False)
            result["transform_validate_s"] = time.perf_counter() - start
            start = time.perf_counter()
            ae._network_input(rows)
            result["transform_standardize_s"] = time.perf_counter() - start
    elif what == "conv":
        from skae.datasets import load_lfw_npz

        X = load_lfw_npz(resize=0.4)[0].reshape(-1, 50, 37, 1)
        n_rows = len(X)
        result["rows"] = n_rows
        ae = ConvAutoencoder(64, **fixed)
        result.update(timed_epochs(ae, X, epochs))
    elif what == "vae":
        X = mnist_like(n_rows)
        vae = VAETransformer(32, hidden_layer_sizes=(256,), **fixed)
        start = time.perf_counter()
        vae.set_params(epochs=5).fit(X)
        result["first_fit_5_epochs_s"] = time.perf_counter() - start
        result.update(timed_epochs(vae, X, epochs))
    result["rows_per_s"] = n_rows / result["epoch_s"]
    return result


def gpu_main():
    """The GPU section: each line on the GPU and on the same machine's CPU, alternated.

    A line that fails is recorded with the end of its error and the others
    still run; the JSON is saved after every line.
    """
    from _common import RESULTS, save

    # SKAE_BENCH_GPU_CASES=dense_256 measures that line again and keeps the others
    chosen = os.environ.get("SKAE_BENCH_GPU_CASES")
    saved = RESULTS / "engine_gpu.json"
    lines = {}
    if chosen and saved.exists():
        earlier = json.loads(saved.read_text())
        lines = {
            what: {"measured": earlier["date"], **line} for what, line in earlier["gpu"].items()
        }
    # SKAE_BENCH_GPU_PLATFORM=cpu tries the section out on a machine without a GPU
    gpu_platform = os.environ.get("SKAE_BENCH_GPU_PLATFORM", "cuda")
    for what in (chosen or "dense_256,dense_32,conv,vae").split(","):
        line = {"measured": time.strftime("%Y-%m-%d %H:%M:%S")}
        for device, platforms in (("gpu", gpu_platform), ("cpu", "cpu")):
            try:
                # the whole machine for its CPU line: all cores, XLA's threaded Eigen
                line[device] = run(
                    "gpu_" + what,
                    "jax",
                    JAX_PLATFORMS=platforms,
                    XLA_FLAGS="",
                    OMP_NUM_THREADS=str(os.cpu_count()),
                )
            except subprocess.CalledProcessError as error:
                line[device] = {"error": error.stderr[-2000:]}
                print(f"{what} on {device} failed:\n{error.stderr[-2000:]}", flush=True)
        lines[what] = line
        if "epoch_s" in line["gpu"] and "epoch_s" in line["cpu"]:
            line["gpu_over_cpu_speed"] = line["cpu"]["epoch_s"] / line["gpu"]["epoch_s"]
            print(
                f"{what:10s} GPU {line['gpu']['epoch_s']:.4f} s/epoch "
                f"({line['gpu']['rows_per_s']:,.0f} rows/s, "
                f"whole fit {line['gpu']['fit_s']:.2f} s), "
                f"CPU {line['cpu']['epoch_s']:.4f} s/epoch: GPU {line['gpu_over_cpu_speed']:.1f}x",
                flush=True,
            )
            for device in ("gpu", "cpu"):
                if "transform_rows_per_s" in line[device]:
                    speed = line[device]["transform_rows_per_s"]
                    print(f"  transform on {device}: {speed:,.0f} rows/s", flush=True)
        runs = [line.get(device, {}) for line in lines.values() for device in ("gpu", "cpu")]
        device = next((run["device"] for run in runs if "device" in run), None)
        save("engine_gpu", {"device": device, "gpu": lines})


CASES = {
    "mlp": case_mlp,
    "jax_scan": case_jax_scan,
    "keras": case_keras,
    "skae": case_skae,
    "skae_defaults": case_skae_defaults,
    "grid_skae": lambda: case_grid_search("skae"),
    "grid_pca": lambda: case_grid_search("pca"),
}


def run(case, backend, **extra_env):
    env = {
        **os.environ,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **BACKEND_ENV[backend],
        **extra_env,
    }
    out = subprocess.run(
        [sys.executable, __file__, "--case", case],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    from _common import save

    Xtr, Xte, _, _ = digits()
    pca = pca_mse(Xtr, Xte)
    cache_dir = tempfile.mkdtemp(prefix="skae-jax-cache-")
    rows = []
    for name, case, backend in [
        ("MLPRegressor (scikit-learn)", "mlp", "tensorflow"),
        ("bare JAX: jit(lax.scan) per epoch", "jax_scan", "jax"),
        ("Keras fit, JAX", "keras", "jax"),
        ("Keras fit, TensorFlow", "keras", "tensorflow"),
        ("skae, JAX", "skae", "jax"),
        ("skae, TensorFlow", "skae", "tensorflow"),
        (WARM_CACHE_ROW, "skae", "jax"),
    ]:
        if name == WARM_CACHE_ROW:
            run(case, backend, SKAE_BENCH_JAX_CACHE=cache_dir)  # fills the cache
            seconds, mse = run(case, backend, SKAE_BENCH_JAX_CACHE=cache_dir)
        else:
            seconds, mse = run(case, backend)
        rows.append(
            {
                "what": name,
                "fit_s": seconds,
                "rows_per_s": len(Xtr) * EPOCHS / seconds,
                "mse_x_pca": mse / pca,
            }
        )
        print(
            f"{name:40s} {seconds:6.2f} s  {len(Xtr) * EPOCHS / seconds:9.0f} rows/s  "
            f"MSE x PCA(8) {mse / pca:.2f}",
            flush=True,
        )
    defaults = {}
    for backend in ("jax", "tensorflow", "jax, compilation cache warm"):
        if backend.startswith("jax,"):
            run("skae_defaults", "jax", SKAE_BENCH_JAX_CACHE=cache_dir)
            seconds, mse, n_iter = run("skae_defaults", "jax", SKAE_BENCH_JAX_CACHE=cache_dir)
        else:
            seconds, mse, n_iter = run("skae_defaults", backend)
        defaults[backend] = {"fit_s": seconds, "mse_x_pca": mse / pca, "epochs": n_iter}
        print(f"defaults on {backend}: {seconds:.2f} s, {n_iter} epochs, MSE x PCA {mse / pca:.2f}")
    grid = {}
    for backend in ("jax", "tensorflow"):
        seconds, score, retracing = run("grid_skae", backend)
        grid[backend] = {"seconds": seconds, "best_score": score, "retracing_warnings": retracing}
        print(f"GridSearchCV skae on {backend}: {seconds:.1f} s, {retracing} retracing warnings")
    seconds, score, _ = run("grid_pca", "tensorflow")
    grid["pca"] = {"seconds": seconds, "best_score": score}
    print(f"GridSearchCV PCA: {seconds:.1f} s")
    by = {row["what"]: row["fit_s"] for row in rows}
    ratios = {
        "skae_jax_over_mlp": by["skae, JAX"] / by["MLPRegressor (scikit-learn)"],
        "skae_jax_cache_warm_over_mlp": by[WARM_CACHE_ROW] / by["MLPRegressor (scikit-learn)"],
        "skae_tf_over_keras_tf": by["skae, TensorFlow"] / by["Keras fit, TensorFlow"],
    }
    print(ratios)
    save(
        "engine",
        {
            "cpu_table": rows,
            "defaults": defaults,
            "grid_search": grid,
            "ratios": ratios,
            "gpu_note": "the GPU section is results/engine_gpu.json (--device gpu)",
        },
    )


if __name__ == "__main__":
    if "--case" in sys.argv:
        case = sys.argv[sys.argv.index("--case") + 1]
        result = gpu_case(case[4:]) if case.startswith("gpu_") else CASES[case]()
        print(json.dumps(result))
    elif "--device" in sys.argv and sys.argv[sys.argv.index("--device") + 1] == "gpu":
        gpu_main()
    else:
        main()
