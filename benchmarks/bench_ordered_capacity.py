"""An experiment for issue 30: the ordered dense fit's capacity on digits.

One decoder serves every prefix of the code, so an ordered network may need
more units than a separate k-code network (the issue's "capacity"). Here the
ordered fit's hidden layers are widened or deepened, and each variant's
held-out MSE of the first k codes is divided by that of a separate k-code
fit with the defaults (``hidden_layer_sizes=(128,)``), for k = 2, 4, 8, 16,
with the fit time over a separate 16-code fit's: the protocol of
``bench_ordered_schedule.py`` (digits, 75/25 split with random_state=0,
seeds 0 and 1). Writes results/ordered_capacity.json.

Measured (2026-12-06, mean of seeds 0 and 1, k = 2 / 4 / 8 / 16): (128,)
1.197 / 1.221 / 1.172 / 1.167 at 1.29 x the fit time; (256,) 1.178 / 1.173 /
1.118 / 1.076; (512,) 1.103 / 1.141 / 1.083 / 1.034 at 1.68 x (1.9-2.3 x in
later runs on this shared machine); (256, 128) under 1.03 at k <= 8 but
1.250 at k = 16, at 2.09 x. Probes not kept in the file: (1024,) 1.081 /
1.115 / 1.001 / 1.012 at 3.15 x; (512, 128) and (512, 256) 1.22 and 1.17 at
k = 16, at 3.4 x and 6.0 x; (512,) with batch_size=64, 1.221 at k = 4.
With the full code's emphasis at 1.5 (2026-12-06, probe through
``bench_ordered_schedule.main``, seeds 0 and 1, worst at k = 2 / 4 / 8 /
16): (512,) 1.116 / 1.120 / 1.063 / 1.126 at 2.01 x; (384,) 1.114 / 1.202 /
1.091 / 1.119 at 1.72 x; (256,) 1.157 / 1.153 / 1.089 / 1.126 at 1.45 x:
the fit time comes only with prefixes over 1.15, so (512,) stays.

Run: ``python benchmarks/bench_ordered_capacity.py``.
"""

from bench_ordered_schedule import main

# "(512,)" became the ordered fit's default (hidden_layer_sizes="auto").
VARIANTS = {
    "defaults, (128,)": {"hidden_layer_sizes": (128,)},
    "(256,)": {"hidden_layer_sizes": (256,)},
    "(512,)": {"hidden_layer_sizes": (512,)},
    "(256, 128)": {"hidden_layer_sizes": (256, 128)},
    "(256,), learning_rate=3e-3": {"hidden_layer_sizes": (256,), "learning_rate": 3e-3},
}

if __name__ == "__main__":
    main(VARIANTS, "ordered_capacity")
