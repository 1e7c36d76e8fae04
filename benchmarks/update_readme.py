"""Rewrite the result tables from the JSON in benchmarks/results/.

In README.md each table sits between ``<!-- results:NAME -->`` and
``<!-- /results:NAME -->``; the documentation includes the same tables from
``docs/results/NAME.md``, written here too.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS_RESULTS = ROOT / "docs" / "results"

# The script that wrote each JSON file, for the line under its tables.
SCRIPTS = {
    "engine_gpu": "bench_engine.py --device gpu",
    "import": "bench_import.py",
}
LIBRARIES = [
    ("keras", "Keras"),
    ("tensorflow", "TensorFlow"),
    ("jax", "JAX"),
    ("scikit-learn", "scikit-learn"),
]


def load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def provenance(name, data):
    """When, on what and with which library versions the tables above were measured.

    From the JSON's ``date`` and ``machine``: the CPU model where the run
    recorded one (``machine["cpu"]``, written since December 2026), the
    device for GPU runs (``device``, ``machine["gpu"]``).
    """
    machine = data.get("machine", {})
    cores = f"{machine['cpus']} CPU cores" if machine.get("cpus") else "CPU cores not recorded"
    cpu = machine.get("cpu")
    on = f"{cpu}, {cores}" if cpu else f"{cores} (CPU model not recorded)"
    device = data.get("device")
    if device and not str(device).startswith("cpu"):
        gpu = machine.get("gpu")
        on = f"GPU {gpu} ({device})" if gpu else f"GPU {device} (model not recorded)"
        on += f" with {cpu + ', ' if cpu else ''}{cores}"
    versions = [f"Python {machine['python']}"] if machine.get("python") else []
    versions += [f"{label} {machine[key]}" for key, label in LIBRARIES if machine.get(key)]
    script = SCRIPTS.get(name, f"bench_{name}.py")
    return (
        f"*Measured {data['date'][:10]} by `benchmarks/{script}` on {on}; {', '.join(versions)}.*"
    )


def reconstruction(data):
    lines = [
        "| data | n_components | PCA MSE | autoencoder MSE | ratio | fit (s) | epochs |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| {r['dataset']} | {r['n_components']} | {r['pca_mse']:.5f} | {r['ae_mse']:.5f} "
            f"| {r['ratio']:.2f} | {r['ae_fit_s']:.1f} | {r['ae_epochs']} |"
        )
    return "\n".join(lines)


def overhead(data):
    fit = data["fit"]
    lines = [
        f"Fit, {fit['epochs']} epochs of batch {fit['batch_size']} on {fit['n_rows']} digits: "
        f"skae / plain Keras wall time = **{fit['ratio_of_medians']:.3f}**.",
        "",
        "| rows | skae transform (ms) | Model.predict (ms) | direct model call (ms) |",
        "|---:|---:|---:|---:|",
    ]
    for r in data["transform"]:
        lines.append(
            f"| {r['n_rows']:,} | {r['skae_transform_ms']:.3f} | {r['model_predict_ms']:.3f} "
            f"| {r['direct_call_ms']:.3f} |"
        )
    return "\n".join(lines)


def import_time(data):
    return (
        f"`import sklearn.base` {data['sklearn.base']['min_s']:.3f} s, `import skae` "
        f"{data['skae']['min_s']:.3f} s (fastest of {data['repeats']} fresh processes each): "
        f"skae adds **{data['added_min_s']:+.3f} s** (median {data['added_median_s']:+.3f} s)."
    )


def lfw(data):
    lines = [
        "| model | n_components | test MSE | x PCA | fit (s) | SVC accuracy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        if "test_mse" not in r:
            lines.append(f"| {r['model']} | {r['n_components']} | | | | {r['accuracy']:.3f} |")
            continue
        lines.append(
            f"| {r['model']} | {r['n_components']} | {r['test_mse']:.5f} "
            f"| {r['ratio_to_pca']:.2f} | {r['fit_s']:.1f} | {r['accuracy']:.3f} |"
        )
    return "\n".join(lines)


def vae(data):
    lines = [
        "| n_components | PPCA log-lik | VAE ELBO | MSE PCA | MSE AE | MSE VAE | fit AE (s) "
        "| fit VAE (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| {r['n_components']} | {r['pca_loglik']:.1f} | {r['vae_elbo']:.1f} "
            f"| {r['pca_mse']:.4f} | {r['ae_mse']:.4f} | {r['vae_mse']:.4f} "
            f"| {r['ae_fit_s']:.0f} | {r['vae_fit_s']:.0f} |"
        )
    return "\n".join(lines)


def outliers(data):
    """One row per detector, one column per data set: a reader compares detectors."""
    results = data["results"]
    # "PCA(8) reconstruction" on one data set is "PCA(16) reconstruction" on another
    aucs = [{re.sub(r"\(\d+\) ", " ", k): v for k, v in r["mean_auc"].items()} for r in results]
    sizes = ", ".join(f"{r['dataset']} {r['n_components']}" for r in results)
    lines = [
        f"Mean ROC AUC over the held-out classes; the best of each column in bold. "
        f"`n_components` of the autoencoder and PCA: {sizes}.",
        "",
        "| detector | " + " | ".join(r["dataset"] for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for name in aucs[0]:
        cells = []
        for auc in aucs:
            best = auc[name] == max(auc.values())
            cells.append(f"**{auc[name]:.3f}**" if best else f"{auc[name]:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def impute(data):
    """One table per data set: imputers down, the fraction missing across."""
    names = [k[: -len("_rmse")] for k in data["rows"][0] if k.endswith("_rmse")]
    lines = []
    for dataset in dict.fromkeys(r["dataset"] for r in data["rows"]):
        rows = [r for r in data["rows"] if r["dataset"] == dataset]
        best = {id(r): min(r[f"{n}_rmse"] for n in names) for r in rows}
        lines += [
            f"{dataset}: RMSE on the hidden entries; the best of each column in bold.",
            "",
            "| imputer | "
            + " | ".join(f"{int(100 * r['missing_fraction'])}% missing" for r in rows)
            + " |",
            "|---|" + "---:|" * len(rows),
        ]
        for n in names:
            cells = [
                f"**{r[f'{n}_rmse']:.4f}**"
                if r[f"{n}_rmse"] == best[id(r)]
                else f"{r[f'{n}_rmse']:.4f}"
                for r in rows
            ]
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        if all(f"{n}_s" in r for r in rows for n in names):
            lines += ["", f"{dataset}: seconds to fit and fill, in the same run.", ""]
            lines += [
                "| imputer | "
                + " | ".join(f"{int(100 * r['missing_fraction'])}%" for r in rows)
                + " |"
            ]
            lines.append("|---|" + "---:|" * len(rows))
            for n in names:
                lines.append(f"| {n} | " + " | ".join(f"{r[f'{n}_s']:.1f}" for r in rows) + " |")
        lines.append("")
    return "\n".join(lines[:-1])


def sequence(data):
    lines = [
        f"Baselines: persistence MAE {data['persistence_mae']:.3f} ppm, seasonal naive "
        f"{data['seasonal_naive_mae']:.3f} ppm ({data['n_train_windows']} training and "
        f"{data['n_test_windows']} test windows).",
        "",
        "| n_components | window MSE | PCA MSE | x PCA | forecast MAE (ppm) | x persistence "
        "| x seasonal naive | fit (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| {r['n_components']} | {r['ae_mse']:.4f} | {r['pca_mse']:.4f} "
            f"| {r['mse_ratio']:.2f} "
            f"| {r['forecast_mae']:.3f} | {r['ratio_to_persistence']:.2f} "
            f"| {r['ratio_to_seasonal_naive']:.2f} | {r['fit_s']:.0f} |"
        )
    return "\n".join(lines)


def sequence_images(data):
    lines = [
        "Held-out MSE of image rows read as sequences (digits: 8 steps of 8 pixels; "
        "LFW: 50 steps of 37), as a ratio to PCA's on the flattened rows at the same "
        "`n_components`; `init='random'` is the default network trained from random "
        "weights only (the defaults before `init='auto'`), the 0.1 architecture is "
        "`bidirectional=False, linear_skip=False`. Fit times: the 0.1 architecture's "
        "with its recurrent layers run as loops, as skae ran them before it unrolled "
        "up to 8 steps on TensorFlow's CPU (issue 31's baseline; unrolled, it fits "
        "faster: the other fit times are in `benchmarks/results/sequence_images.json`).",
        "",
        "| data | n_components | defaults x PCA | start | init='random' x PCA "
        "| 0.1 architecture x PCA | defaults fit (s) | 0.1 with loops, fit (s) "
        "| defaults / 0.1 with loops |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        new, random, old = r["defaults"], r["init='random'"], r["0.1 architecture"]
        lines.append(
            f"| {r['dataset']} | {r['n_components']} | {new['ratio_to_pca']:.4f} "
            f"| {new['init_']} | {random['ratio_to_pca']:.3f} | {old['ratio_to_pca']:.2f} "
            f"| {new['fit_s']:.0f} | {r['0.1 architecture, loops']['fit_s']:.0f} "
            f"| {r['fit_time_ratio_to_loops']:.2f} |"
        )
    return "\n".join(lines)


def parallel(data):
    lines = [
        f"Grid of {len(data['grid']['n_components'])} candidates x {data['folds']} folds, "
        f"{data['epochs']} epochs each. Largest difference of `mean_test_score` between the "
        f"runs: {data['max_score_difference']:.1g}.",
        "",
        "| configuration | wall time (s) | speed-up over n_jobs=1 |",
        "|---|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(f"| {r['configuration']} | {r['seconds']:.1f} | {r['speedup']:.2f} |")
    for kind, r in data.get("sharing_two_cores", {}).items():
        lines += [
            "",
            f"Sharing the two cores, {kind}: three one-thread fits take {r['alone_s']:.1f} s "
            f"alone and {r['together_s'][0]:.1f} / {r['together_s'][1]:.1f} s as two copies "
            f"at once (**{r['slowdown']:.2f} x** slower).",
        ]
    return "\n".join(lines)


def out_of_core(data):
    lines = [
        f"File {data['file_gb']:.2f} GB, {data['epochs']} epochs of batch {data['batch_size']}. "
        "Peak RSS is `ru_maxrss`, which counts mapped file pages.",
        "",
        "| input | rows | peak RSS (MB) | RSS after importing Keras (MB) | fit rows/s "
        "| transform rows/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mode, r in data["runs"].items():
        lines.append(
            f"| {mode} | {r['rows']:,} | {r['peak_rss_mb']:,.0f} | {r['baseline_rss_mb']:,.0f} "
            f"| {r['fit_rows_per_second']:,.0f} | {r['transform_rows_per_second']:,.0f} |"
        )
    lines += [
        "",
        "Memmap over in-memory: fit "
        f"{data['fit_rows_per_second_memmap_over_in_memory']:.2f} x, transform "
        f"{data['transform_rows_per_second_memmap_over_in_memory']:.2f} x the rows per second.",
    ]
    return "\n".join(lines)


def clustering(data):
    """Per data set, one table of ARI and one of NMI: reducers down, n_components across."""
    lines = []
    for result in data["results"]:
        grid = sorted({r["n_components"] for r in result["rows"]})
        reducers = list(dict.fromkeys(r["reducer"] for r in result["rows"]))
        cell = {(r["reducer"], r["n_components"]): r for r in result["rows"]}
        raw = result["raw"]
        lines += [
            f"{result['dataset']}, KMeans with {result['n_clusters']} clusters (raw pixels: "
            f"ARI {raw['ari']:.3f}, NMI {raw['nmi']:.3f}); the best of each column in bold.",
            "",
        ]
        for score, label in (("ari", "ARI"), ("nmi", "NMI")):
            best = {n: max(cell[name, n][score] for name in reducers) for n in grid}
            lines += [
                f"| {label} by n_components | " + " | ".join(str(n) for n in grid) + " |",
                "|---|" + "---:|" * len(grid),
            ]
            for name in reducers:
                cells = []
                for n in grid:
                    value = cell[name, n][score]
                    cells.append(f"**{value:.3f}**" if value == best[n] else f"{value:.3f}")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines[:-1])


def _reducer_params(params):
    return ", ".join(f"{k.removeprefix('reduce__')}={v}" for k, v in params.items())


def lfw_classify(data):
    """Each family's choice by CV first; then every configuration."""
    families = data["families"]
    lines = [
        "Each family's choice by 5-fold CV on the training faces, and its test accuracy "
        "(reported, never used to choose):",
        "",
        "| family | chosen by CV | CV accuracy | test accuracy | search (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for family in families:
        best = family["best_params"]
        chosen = [
            f"{k.removeprefix('reduce__')}={v}" for k, v in best.items() if k.startswith("reduce")
        ]
        post = re.sub(r"random_state=0, ", "", best["post"]).replace("()", "")
        chosen += [f"then {post}", f"C={best['svc__C']}", f"gamma={best['svc__gamma']}"]
        lines.append(
            f"| {family['family']} | {', '.join(chosen)} | {family['best_cv_accuracy']:.3f} "
            f"| {family['best_test_accuracy']:.3f} "
            f"| {family['search_s']:.0f} ({family['n_candidates']} candidates) |"
        )
    lines += [
        "",
        f"Chosen by CV among the autoencoders: **{data['selected_by_cv']}**, test accuracy "
        f"**{data['selected_test_accuracy']:.3f}**; "
        + "; ".join(
            f"{f['family']} (its choice by CV) **{f['best_test_accuracy']:.3f}**"
            for f in families
            if f["family"].startswith("PCA")
        )
        + ".",
        "",
        "Every configuration, each with its best post-processing, `C` and `gamma` by CV "
        "(bold: the family's choice):",
        "",
        "| reducer | codes then | C | gamma | CV accuracy | test accuracy |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for family in families:
        for r in family["configurations"]:
            chosen = r["cv_accuracy"] == family["best_cv_accuracy"]
            cv = f"**{r['cv_accuracy']:.3f}**" if chosen else f"{r['cv_accuracy']:.3f}"
            lines.append(
                f"| {family['family']}: {_reducer_params(r['reducer_params'])} | {r['post']} "
                f"| {r['C']} | {r['gamma']} | {cv} ± {r['cv_std']:.3f} "
                f"| {r['test_accuracy']:.3f} |"
            )
    return "\n".join(lines)


def engine(data):
    lines = [
        "| what | fit (s) | rows/s | held-out MSE x PCA(8) |",
        "|---|---:|---:|---:|",
    ]
    for r in data["cpu_table"]:
        lines.append(
            f"| {r['what']} | {r['fit_s']:.2f} | {r['rows_per_s']:,.0f} | {r['mse_x_pca']:.2f} |"
        )
    ratios, defaults, grid = data["ratios"], data["defaults"], data["grid_search"]
    lines += [
        "",
        f"skae on JAX / MLPRegressor: **{ratios['skae_jax_over_mlp']:.2f} x** "
        f"({ratios['skae_jax_cache_warm_over_mlp']:.2f} x with JAX's compilation cache "
        f"warm); skae on TensorFlow / Keras fit on TensorFlow: "
        f"**{ratios['skae_tf_over_keras_tf']:.2f} x**.",
        "",
        "| `AutoencoderTransformer(8)`, defaults, fresh process | fit (s) | epochs "
        "| held-out MSE x PCA(8) |",
        "|---|---:|---:|---:|",
    ]
    for backend, r in defaults.items():
        lines.append(f"| {backend} | {r['fit_s']:.2f} | {r['epochs']} | {r['mse_x_pca']:.2f} |")
    lines += [
        "",
        "| README `GridSearchCV` (3 candidates x 5 folds + refit) | wall (s) | best CV score "
        "| retracing warnings |",
        "|---|---:|---:|---:|",
    ]
    for what, r in grid.items():
        name = "PCA()" if what == "pca" else f"skae, {what}"
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {r['best_score']:.3f} "
            f"| {r.get('retracing_warnings', '-')} |"
        )
    return "\n".join(lines)


def engine_gpu(data):
    lines = [
        "Each line beside the same machine's CPU. An epoch's time is the difference between "
        "fits of 4 epochs and of 1 epoch, over 3 (after a compiling fit); the whole fit of 4 "
        "epochs adds what each fit pays once.",
        "",
        "| what | rows | GPU s/epoch | GPU rows/s | CPU s/epoch | GPU speed-up "
        "| GPU whole fit (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    transforms = []
    for what, line in data["gpu"].items():
        gpu, cpu = line["gpu"], line["cpu"]
        if gpu.get("transform_rows_per_s"):
            transforms.append(f"{what} {gpu['transform_rows_per_s']:,.0f} rows/s")
        lines.append(
            f"| {what} | {gpu['rows']:,} | {gpu['epoch_s']:.4f} | {gpu['rows_per_s']:,.0f} "
            f"| {cpu['epoch_s']:.3f} | {line['gpu_over_cpu_speed']:.1f} x | {gpu['fit_s']:.2f} |"
        )
    measured = sorted({line.get("measured", data["date"]) for line in data["gpu"].values()})
    lines += ["", f"Lines measured at {', '.join(measured)}."]
    if transforms:
        lines[-1] += f" `transform` on the GPU: {'; '.join(transforms)}."
    return "\n".join(lines)


def batch_size(data):
    lines = [
        "| what | n_components | batch_size | fit (s, median) | epochs (mean) "
        "| MSE x PCA (mean) | MSE x PCA (worst) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    runs = {}
    for r in data["summary"]:
        runs.setdefault(r["runs"], []).append(r["what"])
        lines.append(
            f"| {r['what']} | {r['n_components']} | {r['batch_size']} | {r['fit_s_median']:.1f} "
            f"| {r['epochs_mean']:.0f} | {r['mse_x_pca_mean']:.3f} | {r['mse_x_pca_worst']:.3f} |"
        )
    counts = "; ".join(
        f"{n} run{'s' if n != 1 else ''} each for {', '.join(dict.fromkeys(whats))}"
        for n, whats in sorted(runs.items(), reverse=True)
    )
    lines += ["", f"Runs per line: {counts}."]
    return "\n".join(lines)


def memory(data):
    """Resident memory across many fits in one process, per backend and workload."""
    workloads = {"dense": "dense", "mixed": "all estimators"}
    lines = [
        "| backend | workload | MB at fit 20 | MB at the end | growth after fit 20 "
        "| s per fit, early / late |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key, r in data["results"].items():
        backend, workload = key.split("/")
        fits = max(int(n) for n in r["mb_at"])
        lines.append(
            f"| {'JAX' if backend == 'jax' else 'TensorFlow'} | {workloads[workload]} x {fits} "
            f"| {r['mb_at']['20']:.0f} | {r['mb_at'][str(fits)]:.0f} "
            f"| +{r['growth_after_fit_20_mb']:.0f} MB "
            f"| {r['fit_s_early']:.2f} / {r['fit_s_late']:.2f} |"
        )
    curve = data["results"].get("tensorflow/dense", {}).get("mb_at")
    if curve:
        steps = sorted(curve, key=int)
        lines += [
            "",
            f"The TensorFlow dense curve (MB after fits {steps[0]}, {steps[1]}, ..., "
            f"{steps[-1]}): " + ", ".join(f"{curve[n]:.0f}" for n in steps) + ".",
        ]
    return "\n".join(lines)


def deploy(data):
    pipelines = {
        "digits": "digits: `AutoencoderTransformer(8)` + `LogisticRegression`",
        "lfw": "LFW 50 x 37: `ConvAutoencoder(32)` + `LogisticRegression`",
    }
    lines = [
        "| pipeline | serving | one-row predict (ms) | first prediction, new process (s) "
        "| resident memory (MiB) | environment (MB) | file (KB) | TF / Keras / JAX / skae loaded |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, result in data["pipelines"].items():
        for route, r in result["routes"].items():
            loaded = ", ".join(r["modules_loaded"]) or "**none**"
            lines.append(
                f"| {pipelines.get(name, name)} | {route} | {r['one_row_ms']:.4f} "
                f"| {r['first_prediction_s']:.2f} | {r['rss_mib']:.0f} "
                f"| {r['environment_mb']:,.0f} | {r['file_kb']:.0f} | {loaded} |"
            )
    references = []
    for name, result in data["pipelines"].items():
        r = result["routes"]["ONNX in onnxruntime"]
        references.append(
            f"{name}: {r['one_row_ms']:.4f} ms against {r['pca_pipeline_ms']:.4f} ms for the "
            f"same pipeline with PCA exported by skl2onnx and {r['identity_graph_ms']:.4f} ms "
            "for a graph of one `Identity` node"
        )
    lines += [
        "",
        "One-row ONNX calls beside references timed in the same serving process, in "
        "alternating rounds: " + "; ".join(references) + f". The machine's load average "
        f"(1 min) was {data['load_average_before']:.1f} before the serving runs and "
        f"{data['load_average_after']:.1f} after (2 cores, shared).",
        "",
        "| pipeline | fitted on | input | labels that differ (onnxruntime vs `predict`) "
        "| largest probability difference |",
        "|---|---|---|---:|---:|",
    ]
    for name, result in data["pipelines"].items():
        for backend, by_dtype in result["agreement"].items():
            for dtype, a in by_dtype.items():
                lines.append(
                    f"| {name} | {backend} | {dtype} | {a['label_mismatches']} of {a['rows']:,} "
                    f"| {a['max_probability_difference']:.1e} |"
                )
    digits = data["pipelines"]["digits"]
    onnx_route = digits["routes"]["ONNX in onnxruntime"]
    mismatches = max(
        a["label_mismatches"] for d in digits["agreement"].values() for a in d.values()
    )
    targets = [
        ("0 label mismatches of 1,797", mismatches == 0, f"{mismatches}"),
        (
            "one-row latency <= 0.02 ms",
            onnx_route["one_row_ms"] <= data["targets"]["one_row_ms"],
            f"{onnx_route['one_row_ms']:.4f} ms",
        ),
        (
            "no TensorFlow, Keras, JAX or skae in the serving process",
            not onnx_route["modules_loaded"],
            ", ".join(onnx_route["modules_loaded"]) or "none loaded",
        ),
    ]
    lines += [
        "",
        "Targets (digits, ONNX): "
        + "; ".join(
            f"{what}: {got} ({'reached' if ok else '**not reached**'})" for what, ok, got in targets
        )
        + ".",
        "",
        "Every estimator, onnxruntime against skae on its training rows, float32 and float64 "
        "input: the largest difference over the output's standard deviation, the worst of "
        "its outputs (target: 1e-4), and the labels that differ.",
        "",
    ]
    backends = list(data["estimators"])
    lines += [
        "| estimator | outputs compared | " + " | ".join(backends) + " |",
        "|---|---|" + "---:|" * len(backends),
    ]
    table = {}
    for backend, rows in data["estimators"].items():
        for r in rows:
            entry = table.setdefault(r["estimator"], {"outputs": {}, "cells": {}})
            entry["outputs"][r["output"]] = None
            worst, labels = entry["cells"].get(backend, (0.0, 0))
            if r["difference_over_std"] is None:
                labels += r["label_mismatches"]
            else:
                worst = max(worst, r["difference_over_std"])
            entry["cells"][backend] = (worst, labels)
    for estimator, entry in table.items():
        cells = []
        for backend in backends:
            worst, labels = entry["cells"].get(backend, (float("nan"), 0))
            has_labels = "predict" in entry["outputs"]
            cells.append(f"{worst:.1e}" + (f", {labels} labels" if has_labels else ""))
        outputs = ", ".join(o for o in entry["outputs"])
        lines.append(f"| {estimator} | {outputs} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


RENDERERS = {
    "deploy": deploy,
    "engine": engine,
    "engine_gpu": engine_gpu,
    "batch_size": batch_size,
    "lfw_classify": lfw_classify,
    "clustering": clustering,
    "parallel": parallel,
    "out_of_core": out_of_core,
    "sequence": sequence,
    "sequence_images": sequence_images,
    "outliers": outliers,
    "impute": impute,
    "reconstruction": reconstruction,
    "overhead": overhead,
    "import": import_time,
    "lfw": lfw,
    "vae": vae,
    "memory": memory,
}


def main():
    readme = (ROOT / "README.md").read_text()
    DOCS_RESULTS.mkdir(exist_ok=True)
    for name, render in RENDERERS.items():
        data = load(name)
        if data is None:
            continue
        text = f"{render(data)}\n\n{provenance(name, data)}"
        (DOCS_RESULTS / f"{name}.md").write_text(
            f"<!-- written by benchmarks/update_readme.py from results/{name}.json -->\n\n{text}\n"
        )
        pattern = re.compile(
            rf"(<!-- results:{name} -->)\n.*?(<!-- /results:{name} -->)", re.DOTALL
        )
        readme = pattern.sub(lambda m, t=text: f"{m.group(1)}\n{t}\n{m.group(2)}", readme)
    (ROOT / "README.md").write_text(readme)
    print("README.md tables and docs/results/ updated")


if __name__ == "__main__":
    main()
