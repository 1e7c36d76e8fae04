"""An experiment for issue 31: weight decay for ConvAutoencoder at 64 codes on the LFW faces.

At k = 64 the conv model ended 1.12 x PCA's held-out error on the faces
(``bench_lfw.py``, before ``translate="auto"``, which brought 1.00 x) and
stopped early at the same validation error whatever
its schedule: it overfits about 970 training faces. Here its Adam is
replaced by ``keras.optimizers.AdamW`` (decoupled weight decay, Keras'
default 0.004, and 0.04), same learning rate, protocol of
``bench_conv_bottleneck.py`` (held-out MSE over PCA(64)'s; defaults beside
them in the same run). Writes results/conv_weight_decay.json.

Measured (2026-12-06, TensorFlow, 2 cores), x PCA(64): defaults 1.119 (62
epochs), AdamW 0.004 1.119 (44 epochs), AdamW 0.04 1.125 (46 epochs). Weight
decay stops the fit sooner at the same error: no gain, no default changed.

Run: ``python benchmarks/bench_conv_weight_decay.py``.
"""

from bench_conv_bottleneck import BEFORE, main


def adamw(weight_decay):
    def params():
        import keras

        return {**BEFORE, "optimizer": keras.optimizers.AdamW(1e-3, weight_decay=weight_decay)}

    return params


VARIANTS = {
    "defaults": BEFORE,
    "AdamW, weight_decay=0.004": adamw(0.004),
    "AdamW, weight_decay=0.04": adamw(0.04),
}

if __name__ == "__main__":
    main(VARIANTS, "conv_weight_decay")
