"""An experiment for issue 31: the sequence model on face rows, trained on mirrored, shifted faces.

``SequenceAutoencoder`` reads the LFW faces as 50 steps of 37 pixels and
ends 1.036 / 1.085 x PCA's held-out error at 16 / 32 codes
(``bench_sequence_images.py``). Mirrored faces took the conv model under
PCA, shifted ones further (``bench_conv_translate.py``); here the same
augmentations (``skae._keras.batches.augmented``: each step's features
reversed, or the whole face moved by up to a pixel along the steps and the
features) are patched into the sequence model's fit, which has neither as a
parameter: mirrored only, mirrored and shifted, shifted only. Defaults
otherwise, ``bench_sequence_images.py``'s protocol (75/25 split with
random_state=42, ``random_state=0``), held-out MSE over PCA(k)'s on the
flattened rows. Writes results/sequence_augment.json.

Measured (2026-12-06, TensorFlow, 2 cores), x PCA at k = 16 / 32: mirrored
1.021 / 1.042; mirrored and shifted 1.012 / 1.044; shifted 1.023 / 1.052
(the defaults 1.036 / 1.085). A gain of 1-4%, short of PCA: not adopted
(a time series' features have no left and right).

``--pca-start``: mirrored, and mirrored and shifted, on the network started
as PCA (``init="pca"``, the defaults' choice on these faces since
``init="auto"``); results/sequence_augment_pca_start.json. Measured
(2026-12-07): 0.998 / 1.001 and 0.999 / 1.002 x PCA (``init="auto"``
without augmentation 0.9995 / 0.9999): the recurrent branches learn nothing
that generalises from the augmented faces either.

Run: ``python benchmarks/bench_sequence_augment.py [--pca-start]``.
"""

import sys
import time
import warnings

import numpy as np
from _common import quiet_tensorflow, save

quiet_tensorflow()

from bench_sequence_images import pca_error, split  # noqa: E402

import skae._keras.batches as batches  # noqa: E402
from skae import SequenceAutoencoder  # noqa: E402
from skae._keras.fit_description import Augmentation  # noqa: E402
from skae.datasets import load_lfw_npz  # noqa: E402

_augmented = batches.augmented


def augmented_sequences(images, draws, augmentation, xp=batches.ops):
    """``batches.augmented`` for (rows, steps, features): a sequence as a one-channel image."""
    if len(images.shape) == 3:
        as_images = xp.expand_dims(images, -1)
        return xp.squeeze(_augmented(as_images, draws, augmentation, xp), -1)
    return _augmented(images, draws, augmentation, xp)


def augmenting(flip, translate):
    class Augmented(SequenceAutoencoder):
        def _training_options(self):
            augmentation = Augmentation(flip, translate)
            return {**super()._training_options(), "augmentation": augmentation}

    return Augmented


# The start these experiments were measured with (the defaults before
# init="auto", which may train a second time from PCA).
INIT = "random"

VARIANTS = {
    "mirrored": augmenting(True, 0),
    "mirrored and shifted": augmenting(True, 1),
    "shifted": augmenting(False, 1),
}


# ``--pca-start``: the same augmentations on the network started as PCA
# (``init="pca"``: the linear maps fixed at PCA's, the recurrent branches
# trained on the augmented faces).
PCA_START_VARIANTS = {
    "mirrored, init='pca'": augmenting(True, 0),
    "mirrored and shifted, init='pca'": augmenting(True, 1),
}


def main(variants=VARIANTS, init=INIT, name="sequence_augment"):
    batches.augmented = augmented_sequences
    X_train, X_test, flat_train, flat_test = split(load_lfw_npz(resize=0.4)[0])
    rows = []
    for k in (16, 32):
        pca_mse = pca_error(k, flat_train, flat_test, random_state=0)
        for variant, estimator in variants.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a ConvergenceWarning at the epoch limit
                model = estimator(k, random_state=0, init=init).fit(X_train)
            seconds = time.perf_counter() - start
            mse = float(np.mean((X_test - model.inverse_transform(model.transform(X_test))) ** 2))
            rows.append({"n_components": k, "variant": variant, "x_pca": mse / pca_mse,
                         "epochs": model.n_iter_, "fit_s": seconds})  # fmt: skip
            print(rows[-1], flush=True)
    save(name, {"dataset": "lfw", "rows": rows})


if __name__ == "__main__":
    if "--pca-start" in sys.argv[1:]:
        main(PCA_START_VARIANTS, "pca", "sequence_augment_pca_start")
    else:
        main()
