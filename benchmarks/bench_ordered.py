"""Ordered codes (issue 30): one ``ordered=True`` fit against a separate fit per code size.

Digits (``load_digits``, 75/25 split, random_state=0), default parameters:

- held-out MSE of the first k codes of one ``AutoencoderTransformer(16,
  ordered=True)`` fit, for k in (2, 4, 8, 16) (and 3, 12, sizes between the
  trained powers of two), as a multiple of a separately trained k-code model
  with the defaults and the same seed, and of ``PCA(k)``; seeds 0, 1, 2 (the
  defaults' ``hidden_layer_sizes="auto"`` gives the ordered network 512
  units, the separate ones 128);
- fit times: the ordered fit against the separate 16-code fit, in the same run;
  the fits above once each, and ``--repeats`` more pairs per seed
  (default 3: a separate fit, then the ordered one), whose medians give
  ``fit_time`` (this shared machine swings by 20%, and a single pair by
  more);
- ``n_components=0.9`` (``max_components=32``) kept codes against ``PCA(0.9)``;
- ``GridSearchCV`` over n_components in (2, 4, 8, 16) with
  ``max_components=16``, 3 folds: with the fit cache, without it, and a
  one-candidate search; the ``cv_results_`` compared.

``--lfw`` adds the convolutional models on LFW 50 x 37 (k in 8, 16, 32, 64; a
conv fit takes minutes on 2 cores; without ``--lfw`` the conv section of the
previous results/ordered.json is kept, with its date; ``--lfw-only`` runs
the conv section alone and keeps the previous digits sections, with their
date as ``digits_date``). A small fit before
the timed ones imports the backend. Writes results/ordered.json; with
``KERAS_BACKEND`` set to another backend, the digits fits and the search
only, to results/ordered_<backend>.json.
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
from _common import RESULTS, quiet_tensorflow, save

quiet_tensorflow()

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402

from skae import AutoencoderTransformer, ConvAutoencoder, fit_cache  # noqa: E402

warnings.filterwarnings("ignore")


def mse(estimator, X, k=None):
    codes = estimator.transform(X)
    if k is not None:
        codes = codes[:, :k]
    X_hat = np.asarray(estimator.inverse_transform(codes)).reshape(X.shape)
    return float(np.mean((X - X_hat) ** 2))


def timed_fit(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    return estimator, time.perf_counter() - start


def separate_fits(X_train, X_test, seed, sizes):
    """Held-out MSE of a separately trained ``AutoencoderTransformer(k)`` for
    each k of ``sizes``, and the fit time of the last (widest) one."""
    errors, seconds = {}, None
    for k in sizes:
        model, seconds = timed_fit(AutoencoderTransformer(k, random_state=seed), X_train)
        errors[k] = mse(model, X_test)
    return errors, seconds


def compare(make, X_train, X_test, sizes, extra, width, seeds):
    flat = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    rows = []
    for seed in seeds:
        ordered, ordered_s = timed_fit(make(width, seed, ordered=True), X_train)
        separate_s = None
        for k in sizes + extra:
            pca = PCA(k).fit(flat[0])
            pca_mse = float(np.mean((flat[1] - pca.inverse_transform(pca.transform(flat[1]))) ** 2))
            row = {"seed": seed, "k": k, "ordered_mse": mse(ordered, X_test, k), "pca_mse": pca_mse}
            if k in sizes:
                separate, seconds = timed_fit(make(k, seed), X_train)
                row["separate_mse"] = mse(separate, X_test)
                row["x_separate"] = row["ordered_mse"] / row["separate_mse"]
                separate_s = seconds if k == width else separate_s
            row["x_pca"] = row["ordered_mse"] / pca_mse
            rows.append(row)
            print(row, flush=True)
        rows.append({"seed": seed, "ordered_fit_s": ordered_s, "separate_fit_s": separate_s,
                     "fit_ratio": ordered_s / separate_s})  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def fit_times(make, X_train, width, seeds, repeats):
    """Fit times of the ``width``-code separate and ordered fits, in interleaved pairs.

    ``{"repeats", "per_seed": [...], "ratio_of_medians"}``: per seed the
    seconds of each fit and the ratio of their medians; over all seeds the
    ratio of the medians of every fit. The networks are compiled by the fits
    before (:func:`compare`), as in a search's later fits.
    """
    per_seed, all_separate, all_ordered = [], [], []
    for seed in seeds:
        separate, ordered = [], []
        for _ in range(repeats):
            separate.append(timed_fit(make(width, seed), X_train)[1])
            ordered.append(timed_fit(make(width, seed, ordered=True), X_train)[1])
        ratio = float(np.median(ordered) / np.median(separate))
        per_seed.append(
            {"seed": seed, "separate_s": separate, "ordered_s": ordered, "ratio_of_medians": ratio}
        )
        print(per_seed[-1], flush=True)
        all_separate += separate
        all_ordered += ordered
    ratio = float(np.median(all_ordered) / np.median(all_separate))
    return {"repeats": repeats, "per_seed": per_seed, "ratio_of_medians": ratio}


def search_sharing(X):
    base = AutoencoderTransformer(ordered=True, max_components=16, random_state=0)
    grid = {"n_components": [2, 4, 8, 16]}
    results = {}
    for name, params, limit in (
        ("one_candidate", {"n_components": [16]}, 0),
        ("unshared", grid, 0),
        ("shared", grid, 8),
    ):
        previous = fit_cache.set_limits(max_entries=limit)
        fit_cache.clear()
        start = time.perf_counter()
        search = GridSearchCV(base, params, cv=3).fit(X)
        results[name] = {"s": time.perf_counter() - start, "search": search}
        fit_cache.set_limits(**previous)
        print(name, round(results[name]["s"], 2), flush=True)
    same = all(
        np.array_equal(results["shared"]["search"].cv_results_[key], value)
        for key, value in results["unshared"]["search"].cv_results_.items()
        if "time" not in key
    )
    return {
        **{name: r["s"] for name, r in results.items()},
        "shared_x_one_candidate": results["shared"]["s"] / results["one_candidate"]["s"],
        "unshared_x_one_candidate": results["unshared"]["s"] / results["one_candidate"]["s"],
        "identical_cv_results": bool(same),
    }


def lfw_section():
    """The conv models on LFW: ``{"lfw_conv": ..., "lfw_conv_date": ...}``."""
    from skae.datasets import load_lfw_npz

    faces = load_lfw_npz(resize=0.4)[0]
    F_train, F_test = train_test_split(faces, test_size=0.25, random_state=0)
    ConvAutoencoder(2, filters=(4,), epochs=1, random_state=0).fit(F_train[:64])  # imports

    def conv(k, seed, **kw):
        return ConvAutoencoder(k, random_state=seed, **kw)

    result = compare(conv, F_train, F_test, [8, 16, 32, 64], [], 64, (0,))
    return {"lfw_conv": result, "lfw_conv_date": time.strftime("%Y-%m-%d %H:%M:%S")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--lfw", action="store_true")
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved timed pairs per seed (digits)"
    )
    parser.add_argument(
        "--lfw-only",
        action="store_true",
        help="run the conv section only; keep an earlier run's digits sections, with their date",
    )
    args, _ = parser.parse_known_args(argv)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":  # another backend's run, saved beside: digits only
        seeds = tuple(range(args.seeds))
        X_train, X_test = train_test_split(load_digits().data, test_size=0.25, random_state=0)
        AutoencoderTransformer(2, epochs=1, random_state=0).fit(X_train[:64])

        def dense_on_backend(k, seed, **kw):
            return AutoencoderTransformer(k, random_state=seed, **kw)

        digits = compare(dense_on_backend, X_train, X_test, [2, 4, 8, 16], [3, 12], 16, seeds)
        save(f"ordered_{backend}", {"digits": digits, "search": search_sharing(X_train)})
        return
    if args.lfw_only:
        earlier = json.loads((RESULTS / "ordered.json").read_text())
        digits_keys = ("digits", "fit_time", "fraction_0.9", "search")
        out = {key: earlier[key] for key in digits_keys if key in earlier}
        out["digits_date"] = earlier.get("digits_date", earlier["date"])
        out.update(lfw_section())
        save("ordered", out)
        return
    seeds = tuple(range(args.seeds))
    X = load_digits().data
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    # The first fit of a process imports the backend (TensorFlow: seconds):
    # done here, so that it weighs on no timed fit.
    AutoencoderTransformer(2, epochs=1, random_state=0).fit(X_train[:64])

    def dense(k, seed, **kw):
        return AutoencoderTransformer(k, random_state=seed, **kw)

    out = {"digits": compare(dense, X_train, X_test, [2, 4, 8, 16], [3, 12], 16, seeds)}
    if args.repeats:
        out["fit_time"] = fit_times(dense, X_train, 16, seeds, args.repeats)
        print("ordered / separate fit, ratio of medians:", out["fit_time"]["ratio_of_medians"])
    fraction = AutoencoderTransformer(0.9, ordered=True, max_components=32, random_state=0)
    out["fraction_0.9"] = {
        "skae_n_components_": int(fraction.fit(X_train).n_components_),
        "pca_n_components_": int(PCA(0.9).fit(X_train).n_components_),
    }
    print(out["fraction_0.9"], flush=True)
    out["search"] = search_sharing(X_train)
    print(out["search"], flush=True)
    if args.lfw:
        out.update(lfw_section())
    else:  # the conv section takes long: an earlier run's is kept, with its date
        previous = RESULTS / "ordered.json"
        if previous.exists():
            earlier = json.loads(previous.read_text())
            if "lfw_conv" in earlier:
                out["lfw_conv"] = earlier["lfw_conv"]
                out["lfw_conv_date"] = earlier.get("lfw_conv_date", earlier["date"])
    save("ordered", out)


if __name__ == "__main__":
    main()
