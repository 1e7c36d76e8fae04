"""Behaviour kept across refactors and machines: fixed-seed outputs of ``tests/reference/cases.py``.

Four checks, each with the reach that float32 arithmetic allows:

1. **Against the saved outputs, on any machine: within a tolerance.** XLA
   (JAX) and oneDNN (TensorFlow) compile for the CPU they run on: the vector
   width and whether a multiply and an add are fused decide how float32 sums
   round. So the saved file holds for another CPU only to rounding (measured:
   up to 1e-6 of the output's scale; see :data:`FLOAT32_STEPS`).
2. **The same seed twice in one process: bit for bit.**
3. **The same seed in a fresh process on the same machine: bit for bit.**
4. **The saved outputs under another instruction set** (a subprocess with
   XLA capped at SSE4.2, on JAX): the tolerance of check 1 holds where the
   rounding surely differs, whatever CPU runs the suite.

A refactor that keeps behaviour keeps outputs bit for bit on the machine it
is made on; to prove that, write the outputs before and after and compare
exactly (``python tests/reference/cases.py before.npz``, then
``python tests/reference/cases.py --compare before.npz``; CONTRIBUTING).

The tests of one case share an xdist group, so they run in one worker and
reuse its first run (:func:`first_run`).

History of the saved files: the TensorFlow file was written before the fit
template and the training engine, both of which reproduced it bit for bit on
the machine of the time. The JAX file was rewritten once by the engine for
the documented batch order (the old JAX path trained epoch ``e`` on the
order of epoch ``e + 1``), and its convolutional cases once more when
convolutional models on XLA:CPU moved to one compiled step per batch (float32
rounding, at most 2.4e-7).
"""

import functools
import os
import platform
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

HERE = Path(__file__).parent / "reference"
sys.path.insert(0, str(HERE))
import cases  # noqa: E402

REFERENCE = Path(cases.reference_path(keras.backend.backend()))
CASES = sorted(cases.cases())

#: How far an output may move from the saved one, in float32 steps (2**-23)
#: of the output's root mean square. Why this many: a reference fit runs 24
#: optimizer steps (3 epochs of 8 batches); in each, every weight's gradient is
#: a sum whose rounding depends on the CPU, a relative error of a few float32
#: steps, and these add up over the steps and through the 4-6 layers the
#: outputs pass (24 x 4 x ~1 = ~100). 128 steps is 1.5e-5 of the output's
#: scale. Measured (JAX under --xla_cpu_max_isa SSE4_2 / AVX2 / AVX512,
#: TensorFlow under ONEDNN_MAX_CPU_ISA=AVX2 and TF_ENABLE_ONEDNN_OPTS=0): at
#: most 6.3e-7 of the scale, 24 x below. A change in what a fit trains moves
#: the outputs far more: the batch order off by one epoch by at least 7e-3 of
#: the scale, one initial weight changed by 0.1% by at least 1.7e-4 (11 x the
#: tolerance); :func:`test_the_tolerance_still_catches_a_changed_fit` proves
#: both still fail.
FLOAT32_STEPS = 128


def tolerance(reference):
    """The absolute tolerance for one saved output: FLOAT32_STEPS of its RMS."""
    rms = float(np.sqrt(np.mean(np.square(reference, dtype=np.float64))))
    return FLOAT32_STEPS * 2.0**-23 * max(rms, np.finfo(np.float32).tiny)


def assert_close_to_reference(outputs, saved, case):
    for key, value in outputs.items():
        reference = saved[f"{case}/{key}"]
        atol = tolerance(reference)
        np.testing.assert_allclose(
            np.asarray(value),
            reference,
            rtol=0,
            atol=atol,
            err_msg=f"{case}/{key} (tolerance {atol:.3g}: "
            f"{FLOAT32_STEPS} float32 steps of its RMS)",
        )


def run_case(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: ConvergenceWarning is expected
        outputs = cases.cases()[case]()
    assert outputs, case
    return {key: np.asarray(value) for key, value in outputs.items()}


@functools.cache
def first_run(case):
    """This process's first run of a case, shared by its tests."""
    return run_case(case)


def reference_group(case):
    return pytest.param(case, marks=pytest.mark.xdist_group(f"reference-{case}"))


saved_outputs = pytest.mark.skipif(
    not REFERENCE.exists(), reason=f"no reference outputs saved for {keras.backend.backend()}"
)


@saved_outputs
@pytest.mark.parametrize("case", [reference_group(case) for case in CASES])
def test_fixed_seed_outputs_match_the_saved_reference(case):
    with np.load(REFERENCE) as saved:
        assert_close_to_reference(first_run(case), saved, case)


# One case per training engine path: dense (the whole-epoch compiled call),
# convolutional with flips (one compiled step per batch on XLA:CPU), the VAE
# (its own loss and sampling), the sequence model (recurrent, two decoders).
DETERMINISM_CASES = ["dense", "conv_images_flip", "vae_dense", "sequence_forecast"]


@pytest.mark.parametrize("case", [reference_group(case) for case in DETERMINISM_CASES])
def test_the_same_seed_twice_in_one_process_is_bit_for_bit(case):
    again = run_case(case)
    for key, value in first_run(case).items():
        np.testing.assert_array_equal(again[key], value, err_msg=f"{case}/{key}")


@pytest.mark.xdist_group("reference-dense")
def test_the_groups_keep_a_cases_tests_in_one_worker(request):
    """The tests above share a case's first run only within one worker.

    pytest-xdist's ``--dist loadgroup`` (``make test``) groups a test by a
    suffix of its node id, which pytest 9.2 silently undid
    (pytest-dev/pytest-xdist#1386): every test still passed, the suite took
    longer. This one fails instead.
    """
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("grouping applies under pytest-xdist's --dist loadgroup only")
    assert request.node.nodeid.endswith("@reference-dense"), (
        f"--dist loadgroup did not group {request.node.nodeid}: these pytest and "
        "pytest-xdist releases do not work together (pytest-dev/pytest-xdist#1386); "
        "install the versions of pyproject.toml's test extra"
    )


def run_cases_in_a_subprocess(path, env, names):
    """Run cases in a fresh interpreter (``cases.py PATH --cases ...``); their outputs."""
    result = subprocess.run(
        [sys.executable, str(HERE / "cases.py"), str(path), "--cases", *names],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(path) as outputs:
        return dict(outputs)


@pytest.mark.fresh_process
@pytest.mark.xdist_group("reference-fresh-process")
def test_the_same_seed_in_a_fresh_process_is_bit_for_bit(tmp_path):
    elsewhere = run_cases_in_a_subprocess(
        tmp_path / "out.npz", os.environ.copy(), DETERMINISM_CASES
    )
    for case in DETERMINISM_CASES:
        for key, value in first_run(case).items():
            np.testing.assert_array_equal(elsewhere[f"{case}/{key}"], value, f"{case}/{key}")


def _cpu_is_x86():
    return platform.machine().lower() in ("x86_64", "amd64")


@saved_outputs
@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="XLA's instruction-set cap is a JAX flag; TensorFlow's oneDNN cap is exercised by "
    "`make test-isa` (on CPUs without AVX-512 it changes nothing)",
)
@pytest.mark.fresh_process
@pytest.mark.skipif(not _cpu_is_x86(), reason="--xla_cpu_max_isa names x86 instruction sets")
def test_the_saved_reference_holds_under_another_instruction_set(tmp_path):
    """SSE4.2 has no fused multiply-add and 128-bit vectors: it rounds unlike
    any x86 CPU's default (AVX2 or AVX-512), so this runs every case with a
    rounding that surely differs from the one that wrote the file."""
    env = dict(os.environ, KERAS_BACKEND="jax")
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_max_isa=SSE4_2").strip()
    outputs = run_cases_in_a_subprocess(tmp_path / "sse42.npz", env, CASES)
    with np.load(REFERENCE) as saved:
        for case in CASES:
            prefix = f"{case}/"
            mine = {k[len(prefix) :]: v for k, v in outputs.items() if k.startswith(prefix)}
            assert_close_to_reference(mine, saved, case)


@pytest.mark.parametrize(
    "change",
    ["batch order off by one epoch", "one initial weight changed by 0.1%"],
)
@pytest.mark.xdist_group("reference-dense")
@saved_outputs
def test_the_tolerance_still_catches_a_changed_fit(change, monkeypatch):
    """A one-line change in what a fit trains fails the saved-output check."""
    from skae._keras import fit_description, initial_values

    unchanged = first_run("dense")  # before the change, for the check below

    if change.startswith("batch order"):
        order = fit_description.epoch_order
        monkeypatch.setattr(
            fit_description, "epoch_order", lambda rows, seed, epoch: order(rows, seed, epoch + 1)
        )
    else:
        draw = initial_values.GlorotUniform.__call__

        def nudged(self, shape, dtype=None):
            values = np.array(draw(self, shape, dtype))
            values.flat[0] *= 1.001
            return values

        monkeypatch.setattr(initial_values.GlorotUniform, "__call__", nudged)
    changed = run_case("dense")
    with np.load(REFERENCE) as saved:
        assert_close_to_reference(unchanged, saved, "dense")
        with pytest.raises(AssertionError, match="float32 steps of its RMS"):
            assert_close_to_reference(changed, saved, "dense")
