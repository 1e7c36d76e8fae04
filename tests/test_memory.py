"""No memory growth across fits: many small fits in one process keep its size.

Each backend in a fresh subprocess: 40 fits of a small AutoencoderTransformer
(each with its own random_state, as a search's candidates), resident memory
read after ``gc.collect()`` at the 10th and the 40th fit. Before the
training engine, TensorFlow kept about 8 MB per fit (about 240 MB over these
30 fits); the bound of 60 MB is four times smaller than that and far above
the noise seen between readings of a flat process (a few MB of allocator
slack), so it fails on the old code and holds on the new.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import gc, json, os, warnings
    warnings.simplefilter("ignore")
    from sklearn.datasets import load_digits
    from skae import AutoencoderTransformer

    def rss():
        statm = open("/proc/self/statm").read().split()
        return int(statm[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    X = load_digits().data[:300] / 16.0
    readings = {}
    for i in range(1, 41):
        AutoencoderTransformer(4, epochs=2, random_state=i).fit(X).transform(X[:5])
        if i in (10, 40):
            gc.collect()
            readings[i] = rss()
    print(json.dumps(readings))
    """
)


@pytest.mark.fresh_process
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_many_fits_do_not_grow_the_process(backend):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    readings = json.loads(out.stdout.strip().splitlines()[-1])
    growth = readings["40"] - readings["10"]
    assert growth < 60, f"{growth:.0f} MB more after 30 more fits ({readings})"
