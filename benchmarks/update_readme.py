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


def load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def reconstruction(data):
    lines = [
        "| data | n_components | PCA MSE | AutoencoderTransformer MSE | ratio "
        "| AE fit (s) | AE epochs |",
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
        f"skae / plain Keras wall time = **{fit['ratio_of_medians']:.3f}** (goal <= 1.05).",
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
        f"skae adds **{data['added_min_s']:+.3f} s** (median {data['added_median_s']:+.3f} s; "
        "goal <= 0.1 s)."
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
    names = [re.sub(r"\(\d+\) ", " ", name) for name in data["results"][0]["mean_auc"]]
    lines = ["| data | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for result in data["results"]:
        best = max(result["mean_auc"].values())
        cells = [
            f"**{auc:.3f}**" if auc == best else f"{auc:.3f}" for auc in result["mean_auc"].values()
        ]
        lines.append(f"| {result['dataset']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def impute(data):
    names = [k[: -len("_rmse")] for k in data["rows"][0] if k.endswith("_rmse")]
    lines = [
        "| data | missing | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for r in data["rows"]:
        best = min(r[f"{n}_rmse"] for n in names)
        cells = [
            f"**{r[f'{n}_rmse']:.4f}**" if r[f"{n}_rmse"] == best else f"{r[f'{n}_rmse']:.4f}"
            for n in names
        ]
        lines.append(
            f"| {r['dataset']} | {int(100 * r['missing_fraction'])}% | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


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


def parallel(data):
    lines = [
        f"Grid of {len(data['grid']['n_components'])} candidates x {data['folds']} folds, "
        f"{data['epochs']} epochs each (goal: n_jobs=2 >= 1.6 x n_jobs=1 on 2 cores). "
        f"Largest difference of `mean_test_score` between the runs: "
        f"{data['max_score_difference']:.1g}.",
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
        "Peak RSS is `ru_maxrss`, which counts mapped file pages (goal for the memmap: "
        "under 2 GB).",
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
    lines = []
    for result in data["results"]:
        grid = sorted({r["n_components"] for r in result["rows"]})
        reducers = list(dict.fromkeys(r["reducer"] for r in result["rows"]))
        cell = {(r["reducer"], r["n_components"]): r for r in result["rows"]}
        raw = result["raw"]
        lines += [
            f"{result['dataset']}, KMeans with {result['n_clusters']} clusters: raw pixels "
            f"ARI {raw['ari']:.3f} / NMI {raw['nmi']:.3f}. Cells: ARI / NMI; the best ARI "
            "of each column in bold.",
            "",
            "| reducer | " + " | ".join(f"n_components={n}" for n in grid) + " |",
            "|---|" + "---:|" * len(grid),
        ]
        best = {n: max(cell[name, n]["ari"] for name in reducers) for n in grid}
        for name in reducers:
            cells = []
            for n in grid:
                r = cell[name, n]
                ari = f"**{r['ari']:.3f}**" if r["ari"] == best[n] else f"{r['ari']:.3f}"
                cells.append(f"{ari} / {r['nmi']:.3f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines[:-1])


def lfw_classify(data):
    lines = [
        "Each row: one reducer configuration with its best post-processing, `C` and `gamma` "
        "by 5-fold CV on the training faces; its test accuracy is reported, never used to "
        "choose. Bold: each family's choice by CV.",
        "",
        "| family | reducer parameters | codes then | C | gamma | CV accuracy | test accuracy |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    for family in data["families"]:
        for r in family["configurations"]:
            params = ", ".join(
                f"{k.removeprefix('reduce__')}={v}" for k, v in r["reducer_params"].items()
            )
            chosen = r["cv_accuracy"] == family["best_cv_accuracy"]
            cv = f"**{r['cv_accuracy']:.3f}**" if chosen else f"{r['cv_accuracy']:.3f}"
            lines.append(
                f"| {family['family']} | {params} | {r['post']} | {r['C']} | {r['gamma']} "
                f"| {cv} ± {r['cv_std']:.3f} | {r['test_accuracy']:.3f} |"
            )
    lines += [
        "",
        f"Chosen by CV among the autoencoders: **{data['selected_by_cv']}**, test accuracy "
        f"**{data['selected_test_accuracy']:.3f}**; "
        + "; ".join(
            f"{f['family']} (its choice by CV) **{f['best_test_accuracy']:.3f}**"
            for f in data["families"]
            if f["family"].startswith("PCA")
        )
        + ".",
        "",
        "| family | search time (s) | candidates |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {f['family']} | {f['search_s']:.0f} | {f['n_candidates']} |" for f in data["families"]
    ]
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
        f"On {data['device']} ({data['machine']['cpus']} CPU cores, JAX "
        f"{data['machine']['jax']}), each line beside the same machine's CPU. An epoch's "
        "time is the difference between fits of 4 epochs and of 1 epoch, over 3 (after a "
        "compiling fit); the whole fit of 4 epochs adds what each fit pays once.",
        "",
        "| what | rows | GPU s/epoch | GPU rows/s | CPU s/epoch | GPU speed-up "
        "| GPU whole fit (s) | GPU transform rows/s | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for what, line in data["gpu"].items():
        gpu, cpu = line["gpu"], line["cpu"]
        transform = gpu.get("transform_rows_per_s")
        lines.append(
            f"| {what} | {gpu['rows']:,} | {gpu['epoch_s']:.4f} | {gpu['rows_per_s']:,.0f} "
            f"| {cpu['epoch_s']:.3f} | {line['gpu_over_cpu_speed']:.1f} x | {gpu['fit_s']:.2f} "
            f"| {f'{transform:,.0f}' if transform else '-'} "
            f"| {line.get('measured', data['date'])} |"
        )
    return "\n".join(lines)


def batch_size(data):
    lines = [
        "| what | n_components | batch_size | fit (s, median) | epochs (mean) "
        "| MSE x PCA (mean) | MSE x PCA (worst) | runs |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in data["summary"]:
        lines.append(
            f"| {r['what']} | {r['n_components']} | {r['batch_size']} | {r['fit_s_median']:.1f} "
            f"| {r['epochs_mean']:.0f} | {r['mse_x_pca_mean']:.3f} | {r['mse_x_pca_worst']:.3f} "
            f"| {r['runs']} |"
        )
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
    "outliers": outliers,
    "impute": impute,
    "reconstruction": reconstruction,
    "overhead": overhead,
    "import": import_time,
    "lfw": lfw,
    "vae": vae,
}


def main():
    readme = (ROOT / "README.md").read_text()
    DOCS_RESULTS.mkdir(exist_ok=True)
    for name, render in RENDERERS.items():
        data = load(name)
        if data is None:
            continue
        (DOCS_RESULTS / f"{name}.md").write_text(
            f"<!-- written by benchmarks/update_readme.py from results/{name}.json -->\n\n"
            f"{render(data)}\n"
        )
        pattern = re.compile(
            rf"(<!-- results:{name} -->)\n.*?(<!-- /results:{name} -->)", re.DOTALL
        )
        readme = pattern.sub(
            lambda m, d=data, r=render: f"{m.group(1)}\n{r(d)}\n{m.group(2)}", readme
        )
    (ROOT / "README.md").write_text(readme)
    print("README.md tables and docs/results/ updated")


if __name__ == "__main__":
    main()
