"""An experiment for issue 30: the ordered dense fit with a narrow encoder.

An ordered ``AutoencoderTransformer(16)`` gets (512,) hidden units each way
(``hidden_layer_sizes="auto"``) because one decoder serves five code sizes
(``bench_ordered_capacity.py``), and takes 2.0-2.2 x a separate fit's time
(``bench_ordered_timing.py``; the issue's limit is 2 x). The encoder serves
one code: here it keeps the plain network's (128,) while the decoder keeps
(512,). Digits, 75/25 split with random_state=0, seeds 0-5: held-out MSE of
the first k codes x a separate k-code fit, and the median of 3 warm fits x
a separate 16-code fit's median, measured side by side.
Writes results/ordered_narrow_encoder.json.

Measured (2026-12-07, TensorFlow, 2 cores), x separate at k = 2 / 4 / 8 /
16, worst of seeds 0-5: defaults 1.116 / 1.180 / 1.106 / 1.129, fit 2.16-2.39
x; narrow encoder 1.146 / 1.192 / 1.107 / 1.132, fit 1.96-2.18 x (an
earlier run: 2.20-2.34 and 1.95-2.15). A tenth less time, still over 2 x on
five seeds of six, for worse codes at every size: not adopted.

Run: ``python benchmarks/bench_ordered_narrow_encoder.py``.
"""

import statistics
import time
import warnings
from functools import partial

from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_ordered import mse  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402

warnings.filterwarnings("ignore")

SIZES = (2, 4, 8, 16)
SEEDS = range(6)
REPEATS = 3


class NarrowEncoder(AutoencoderTransformer):
    """The ordered network with (128,) units in the encoder, (512,) in the decoder."""

    def _build_networks(self, seed, encoder, decoder):
        from skae._keras import builders

        width, n_features = self._code_width(), self.n_features_in_
        return {
            "encoder": builders.dense_encoder(n_features, width, (128,), self.activation, seed),
            "decoder": builders.dense_decoder(
                width, n_features, (512,), self.activation, self.output_activation, seed
            ),
        }


def main():
    X_train, X_test = train_test_split(load_digits().data, test_size=0.25, random_state=0)
    rows = []
    for seed in SEEDS:
        makers = {
            "separate": partial(AutoencoderTransformer, 16, random_state=seed),
            "defaults": partial(AutoencoderTransformer, 16, ordered=True, random_state=seed),
            "narrow encoder": partial(NarrowEncoder, 16, ordered=True, random_state=seed),
        }
        separate = {
            k: mse(AutoencoderTransformer(k, random_state=seed).fit(X_train), X_test) for k in SIZES
        }
        ratios = {}
        for name in ("defaults", "narrow encoder"):
            model = makers[name]().fit(X_train)  # also compiles its programs, untimed
            ratios[name] = {k: mse(model, X_test, k) / separate[k] for k in SIZES}
        seconds = {name: [] for name in makers}
        for _ in range(REPEATS):
            for name, make in makers.items():
                start = time.perf_counter()
                make().fit(X_train)
                seconds[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(times) for name, times in seconds.items()}
        for name in ("defaults", "narrow encoder"):
            rows.append({"seed": seed, "variant": name, "x_separate": ratios[name],
                         "fit_ratio": medians[name] / medians["separate"]})  # fmt: skip
            shown = " / ".join(f"{ratios[name][k]:.3f}" for k in SIZES)
            print(f"seed {seed} {name}: {shown}, fit {rows[-1]['fit_ratio']:.2f} x", flush=True)
    save("ordered_narrow_encoder", {"sizes": SIZES, "rows": rows})


if __name__ == "__main__":
    main()
