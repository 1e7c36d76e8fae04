"""The test suite's own harness: what tests/conftest.py changes in a pytest run."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.fresh_process
def test_workers_that_skip_their_teardown_still_report_every_outcome(tmp_path):
    """xdist workers end with os._exit after their last hook: a failure in a
    worker must still fail the run and be reported, and passes be counted."""
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_outcomes.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('i', range(4))\n"
        "def test_passes(i):\n    assert i >= 0\n\n"
        "def test_fails():\n    assert 1 == 2, 'the expected failure'\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the expected failure" in run.stdout
    assert "1 failed, 4 passed" in run.stdout
