"""``python -m skae``: fit and transform on files, clear errors for bad input."""

import subprocess
import sys

import numpy as np
import pytest
import skops.io

from skae.__main__ import main


@pytest.fixture
def data_files(tmp_path, small_X):
    np.save(tmp_path / "X.npy", small_X)
    header = ",".join(f"f{i}" for i in range(small_X.shape[1]))
    np.savetxt(tmp_path / "X.csv", small_X, delimiter=",", header=header, comments="")
    return tmp_path


def _error(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_fit_then_transform_round_trip(data_files, small_X):
    model = data_files / "ae.skops"
    main(
        [
            "fit",
            "AutoencoderTransformer",
            str(data_files / "X.csv"),
            "-o",
            str(model),
            "-p",
            "n_components=3",
            "-p",
            "epochs=2",
            "-p",
            "hidden_layer_sizes=(8,)",
            "-p",
            "random_state=0",
        ]
    )
    fitted = skops.io.load(model, trusted=["skae._dense.AutoencoderTransformer"])
    assert fitted.n_components == 3 and fitted.hidden_layer_sizes == (8,)
    out = data_files / "Z.csv"
    main(["transform", str(model), str(data_files / "X.npy"), "-o", str(out)])
    np.testing.assert_allclose(np.loadtxt(out, delimiter=","), fitted.transform(small_X), rtol=1e-5)
    main(
        [
            "transform",
            str(model),
            str(data_files / "X.npy"),
            "-o",
            str(data_files / "s.npy"),
            "-m",
            "score_samples",
        ]
    )
    assert np.load(data_files / "s.npy").shape == (len(small_X),)


def test_imputer_reads_empty_csv_fields_as_missing(tmp_path):
    rows = ["a,b,c"] + [f"{i},{'' if i % 4 == 0 else 2 * i},{3 * i}" for i in range(40)]
    (tmp_path / "holes.csv").write_text("\n".join(rows) + "\n")
    model = tmp_path / "imp.skops"
    main(
        [
            "fit",
            "AutoencoderImputer",
            str(tmp_path / "holes.csv"),
            "-o",
            str(model),
            "-p",
            "n_components=2",
            "-p",
            "epochs=2",
        ]
    )
    main(["transform", str(model), str(tmp_path / "holes.csv"), "-o", str(tmp_path / "f.npy")])
    assert not np.isnan(np.load(tmp_path / "f.npy")).any()


def test_clear_errors(data_files, capsys):
    assert "does not exist" in _error(capsys, ["fit", "AutoencoderTransformer", "nope.npy"])
    assert "unknown estimator 'PCA'" in _error(capsys, ["fit", "PCA", str(data_files / "X.npy")])
    err = _error(
        capsys, ["fit", "AutoencoderTransformer", str(data_files / "X.npy"), "-p", "n_componets=3"]
    )
    assert "has no parameter n_componets" in err
    err = _error(
        capsys, ["fit", "AutoencoderTransformer", str(data_files / "X.npy"), "-p", "n_components=0"]
    )
    assert "'n_components' parameter" in err
    (data_files / "X.txt").write_text("1,2\n")
    err = _error(capsys, ["fit", "AutoencoderTransformer", str(data_files / "X.txt")])
    assert "must end in .npy or .csv" in err
    assert "model file 'missing.skops' does not exist" in _error(
        capsys, ["transform", "missing.skops", str(data_files / "X.npy")]
    )
    err = _error(capsys, ["fit", "AutoencoderTransformer", str(data_files / "X.npy"), "-o", "m.h5"])
    assert "model file 'm.h5' must end in .skops, .joblib" in err


@pytest.mark.fresh_process
def test_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "skae", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("demo", "bench", "fit", "transform"):
        assert command in out.stdout


def _run_cli(*args, cwd):
    import os

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "skae", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def _noise(stderr):
    return [
        line
        for line in stderr.splitlines()
        if "E0000" in line or "I0000" in line or "retracing" in line or "absl::" in line
    ]


@pytest.mark.fresh_process
def test_command_line_prints_no_tensorflow_start_up_noise(data_files):
    """Fresh processes, as a user runs them: only skae's own lines."""
    fitted = _run_cli(
        "fit", "AutoencoderTransformer", "X.csv", "-p", "epochs=5", "-p", "early_stopping=False",
        "-p", "random_state=0", cwd=data_files,
    )  # fmt: skip
    assert fitted.returncode == 0, fitted.stderr
    assert _noise(fitted.stderr) == [], fitted.stderr
    assert fitted.stderr.strip() == "", fitted.stderr  # nothing at all: no early stopping to warn
    assert (data_files / "model.skops").is_file()  # the default model file
    transformed = _run_cli("transform", "model.skops", "X.npy", "-o", "Z.npy", cwd=data_files)
    assert transformed.returncode == 0, transformed.stderr
    assert _noise(transformed.stderr) == [], transformed.stderr
    assert np.load(data_files / "Z.npy").shape == (40, 8)


@pytest.mark.fresh_process
def test_command_line_keeps_real_errors_visible(data_files):
    from skae.__main__ import is_startup_noise

    assert is_startup_noise("I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on.")
    assert is_startup_noise(
        "E0000 00:00:1.0 1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error"
    )
    assert not is_startup_noise("E0000 00:00:1.0 1 op_kernel.cc:1] Out of memory")
    assert not is_startup_noise("Traceback (most recent call last):")
    failed = _run_cli("fit", "AutoencoderTransformer", "missing.csv", cwd=data_files)
    assert failed.returncode == 2
    assert "data file 'missing.csv' does not exist" in failed.stderr


def test_pickle_model_files_are_refused_unless_asked_for_by_name(data_files, small_X, capsys):
    main(["fit", "AutoencoderTransformer", str(data_files / "X.npy"), "-o",
          str(data_files / "ae.joblib"), "-p", "epochs=1", "-p", "n_components=2"])  # fmt: skip
    transform = ["transform", str(data_files / "ae.joblib"), str(data_files / "X.npy"), "-o",
                 str(data_files / "Z.npy")]  # fmt: skip
    err = _error(capsys, transform)
    assert "runs any code it holds" in err and "--allow-pickle" in err
    assert not (data_files / "Z.npy").exists()
    main([*transform, "--allow-pickle"])
    assert np.load(data_files / "Z.npy").shape == (len(small_X), 2)


@pytest.mark.fresh_process
def test_help_says_what_allow_pickle_risks():
    out = _run_cli("transform", "--help", cwd=".")
    assert "--allow-pickle" in out.stdout and "runs any code" in " ".join(out.stdout.split())


def test_outputs_are_written_whole_or_not_at_all(tmp_path):
    from skae.__main__ import _write_atomically

    target = tmp_path / "Z.npy"
    target.write_bytes(b"old")

    class Interrupted(BaseException):  # as KeyboardInterrupt is: not an Exception
        pass

    def interrupted(stream):
        stream.write(b"half of the new")
        raise Interrupted

    with pytest.raises(Interrupted):
        _write_atomically(target, interrupted)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Z.npy"]  # no temporary left
    _write_atomically(target, lambda stream: stream.write(b"new"))
    assert target.read_bytes() == b"new"
