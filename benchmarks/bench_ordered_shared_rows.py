"""An experiment for issue 30: an ordered fit that decodes each row twice, not at every size.

An ordered fit decodes every batch at every prefix size (five for 16 dense
codes, seven for 64 conv codes). With "shared rows"
(``OrderedAutoencoder(shared_rows=True)``) each row is decoded from the full
code and once more from the prefix of one smaller size, the rows of a batch
dealt out among the smaller sizes in turn (batches are shuffled each epoch);
the losses and their gradient balance are as before, each smaller size's
loss a mean over its rows. The estimators choose it through the class
attribute ``_ordered_shared_rows``, which this script switches.

Digits (default): ``AutoencoderTransformer(16, ordered=True)``, protocol of
``bench_ordered_schedule.py`` (75/25 split, random_state=0), seeds 0, 1, 2:
held-out MSE of the first k codes over a separate k-code fit's, and the fit
time over a separate 16-code fit's, the two ordered variants fitted one
after the other. Writes results/ordered_shared_rows.json.

``--lfw``: ``ConvAutoencoder(64, ordered=True)`` with shared rows on the LFW
faces, protocol of ``bench_ordered.py --lfw`` (seed 0, k = 8, 16, 32, 64),
against separate conv fits and PCA(k) in the same run
(results/ordered_shared_rows_lfw.json). ``--lfw --every-row``: the ordered
conv fit decoding every size, and a separate 64-code fit timed beside it
(results/ordered_shared_rows_lfw_every_row.json).

Measured (2026-12-06, TensorFlow, 2 cores):

- digits, worst of 3 seeds at k = 2 / 4 / 8 / 16, x separate: every size
  1.112 / 1.162 / 1.101 / 1.066, fit 1.97 x (mean); shared rows 1.169 /
  1.198 / 1.107 / 1.053, fit 1.78 x. Less saved, and the small prefixes
  worse: dense fits keep every size.
- LFW conv, k = 8 / 16 / 32 / 64, x the separate fits of the ``--lfw``
  run: every size 0.995 / 1.003 / 1.017 / 1.109, fit 686 s = 6.33 x a
  separate fit (108 s); shared rows 1.022 / 1.019 / 1.029 / 1.087, fit
  326 s = 3.15 x (103 s). ``ConvAutoencoder`` decodes shared rows.

Run: ``python benchmarks/bench_ordered_shared_rows.py [--lfw [--every-row]]``.
"""

import sys
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_ordered import compare, mse, separate_fits, timed_fit  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer, ConvAutoencoder  # noqa: E402

warnings.filterwarnings("ignore")

SIZES = (2, 4, 8, 16)
VARIANTS = {"defaults (every size, every row)": False, "shared rows": True}


def main():
    X = load_digits().data
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    for split in (False, True):  # imports, and each variant's first tracing
        AutoencoderTransformer._ordered_shared_rows = split
        AutoencoderTransformer(4, ordered=True, epochs=1, random_state=0).fit(X_train[:64])
    rows = []
    for seed in (0, 1, 2):
        separate, separate_s = separate_fits(X_train, X_test, seed, SIZES)
        for variant, split in VARIANTS.items():
            AutoencoderTransformer._ordered_shared_rows = split
            ordered = AutoencoderTransformer(SIZES[-1], ordered=True, random_state=seed)
            model, seconds = timed_fit(ordered, X_train)
            ratios = [mse(model, X_test, k) / separate[k] for k in SIZES]
            rows.append({"seed": seed, "variant": variant,
                         "x_separate": dict(zip(SIZES, ratios, strict=True)),
                         "fit_ratio": seconds / separate_s, "fit_s": seconds,
                         "separate_fit_s": separate_s, "epochs": model.n_iter_})  # fmt: skip
            shown = " / ".join(f"{r:.3f}" for r in ratios)
            fit = f"fit {seconds / separate_s:.2f} x"
            print(f"seed {seed} {variant:34s} x separate at k = 2, 4, 8, 16: {shown}"
                  f"  {fit}  epochs {model.n_iter_}", flush=True)  # fmt: skip
    AutoencoderTransformer._ordered_shared_rows = False
    for variant in VARIANTS:
        mine = [row for row in rows if row["variant"] == variant]
        worst = [max(row["x_separate"][k] for row in mine) for k in SIZES]
        fit = np.mean([row["fit_ratio"] for row in mine])
        print(
            f"worst {variant:34s} " + " / ".join(f"{r:.3f}" for r in worst) + f"  fit {fit:.2f} x"
        )
    save("ordered_shared_rows", {"sizes": SIZES, "rows": rows})


def main_lfw():
    from skae.datasets import load_lfw_npz

    faces = load_lfw_npz(resize=0.4)[0]
    F_train, F_test = train_test_split(faces, test_size=0.25, random_state=0)
    ConvAutoencoder(4, filters=(4,), epochs=1, random_state=0).fit(F_train[:64])  # imports

    def conv(k, seed, ordered=False):
        ConvAutoencoder._ordered_shared_rows = ordered
        return ConvAutoencoder(k, random_state=seed, ordered=ordered)

    if "--every-row" not in sys.argv[1:]:
        rows = compare(conv, F_train, F_test, [8, 16, 32, 64], [], 64, (0,))
        save("ordered_shared_rows_lfw", {"variant": "shared rows", "rows": rows})
        return
    # The defaults (every size, every row) in this run, against a separate
    # 64-code fit timed beside it; the separate fits' errors are those above.
    ConvAutoencoder._ordered_shared_rows = False
    ordered, ordered_s = timed_fit(ConvAutoencoder(64, random_state=0, ordered=True), F_train)
    separate, separate_s = timed_fit(ConvAutoencoder(64, random_state=0), F_train)
    row = {"variant": "defaults (every size, every row)", "epochs": ordered.n_iter_,
           "separate_epochs": separate.n_iter_, "ordered_fit_s": ordered_s,
           "separate_fit_s": separate_s, "fit_ratio": ordered_s / separate_s,
           "ordered_mse": {k: mse(ordered, F_test, k) for k in (8, 16, 32, 64)}}  # fmt: skip
    print(row, flush=True)
    save("ordered_shared_rows_lfw_every_row", row)


if __name__ == "__main__":
    main_lfw() if "--lfw" in sys.argv[1:] else main()
