"""An experiment for issue 31: ConvAutoencoder's depth, width and kernel at 64 codes on LFW.

Protocol of ``bench_conv_bottleneck.py`` (50 x 37 faces, 75/25 split with
random_state=42, ``random_state=0``, k = 64; held-out MSE over PCA(64)'s),
mirrored faces on and no shifts (``translate=0``), as the defaults were
before ``translate``: filters (32, 64) (those defaults), (32, 64, 128) (a
third block), (16, 32) (half the width), (32,) (one block) and kernel 5.
Writes results/conv_architecture.json.

Measured (2026-12-06, TensorFlow, 2 cores; the same figures as a first run),
x PCA(64): (32, 64) 1.120 (62 epochs, 151 s); (32, 64, 128) 1.295 (249 s);
(16, 32) 1.145 (43 s); (32,) 1.177 (38 s); kernel 5 1.156 (230 s). None
beats the defaults by itself; (16, 32) is within 2% at 0.29 x the time,
which made room for the shifted faces (``bench_conv_translate.py``).

Run: ``python benchmarks/bench_conv_architecture.py``.
"""

from bench_conv_bottleneck import main

BEFORE = {"filters": (32, 64), "translate": 0}
VARIANTS = {
    "filters=(32, 64) (defaults before)": BEFORE,
    "filters=(32, 64, 128)": {**BEFORE, "filters": (32, 64, 128)},
    "filters=(16, 32)": {**BEFORE, "filters": (16, 32)},
    "filters=(32,)": {**BEFORE, "filters": (32,)},
    "kernel_size=5": {**BEFORE, "kernel_size": 5},
}

if __name__ == "__main__":
    main(VARIANTS, "conv_architecture")
