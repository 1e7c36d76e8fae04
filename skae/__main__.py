"""Command line: ``python -m skae demo | bench | fit | transform``."""

import argparse
import ast
import contextlib
import importlib.util
import os
import re
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

ESTIMATORS = (
    "AutoencoderTransformer",
    "ConvAutoencoder",
    "VAETransformer",
    "AutoencoderOutlierDetector",
    "AutoencoderImputer",
)
METHODS = ("transform", "inverse_transform", "predict", "score_samples", "decision_function")


class UsageError(Exception):
    """A mistake in the command line's input, reported without a traceback."""


# What TensorFlow's C++ runtime (and XLA's) print while starting on a machine
# without a GPU: information, not problems. Anything else still gets through.
_STARTUP_NOISE = re.compile(
    r"^(?:[IW]\d{4} "  # absl INFO / WARNING lines
    r"|E\d{4} .*(?:cuInit|cuda_platform|cuda_dnn|cuda_blas|cuda_fft|CUDA)"  # no GPU here
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|To enable the following instructions:"
    r"|.*rebuild TensorFlow with the appropriate compiler flags)"
)


def is_startup_noise(line):
    """Whether a line of stderr is the native runtimes' start-up chatter."""
    return bool(_STARTUP_NOISE.match(line))


@contextlib.contextmanager
def _native_stderr_filtered():
    """Hold back the start-up chatter that native code writes to stderr (fd 2).

    C++ logging writes to the file descriptor, past ``sys.stderr``, so fd 2
    points at a temporary file meanwhile; afterwards it is restored and every
    captured line that is not start-up noise is written out.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines():
                if not is_startup_noise(line):
                    print(line, file=sys.stderr)


def _start_keras_quietly():
    """Import Keras and start its backend's runtime with the start-up chatter held back.

    The command line is an application: it may do this around its own
    import; the library never redirects anything.
    """
    import numpy as np

    from skae._keras import import_keras

    with _native_stderr_filtered():
        keras = import_keras()
        # Devices are found on first use: the "no GPU" lines come from here.
        np.asarray(keras.ops.ones(1) + 1)
        # On other backends Keras still imports TensorFlow, where installed,
        # the first time it serialises a model (a fit does): do it now.
        if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            import tensorflow  # noqa: F401


def _load_data(path):
    """A 2-D float array from a ``.npy`` or ``.csv`` file (a header row is skipped).

    A ``.npy`` file is opened as a memmap, so files larger than memory stream.
    """
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"data file {str(path)!r} does not exist")
    if path.suffix == ".npy":
        return np.load(path, mmap_mode="r", allow_pickle=False)
    if path.suffix != ".csv":
        raise UsageError(f"data file {str(path)!r} must end in .npy or .csv")
    with path.open() as handle:
        first = handle.readline().strip().split(",")
    try:
        [float(v) for v in first if v.strip()]
        header = 0
    except ValueError:
        header = 1
    # Empty fields become NaN, which AutoencoderImputer fills.
    return np.atleast_2d(np.genfromtxt(path, delimiter=",", skip_header=header))


def _parse_params(pairs):
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value  # a plain string such as relu
    return params


MODEL_SUFFIXES = (".skops", ".joblib", ".pkl", ".pickle")
PICKLE_WARNING = (
    "a pickle or joblib file runs any code it holds when it is loaded: load only files you "
    "made or trust"
)


def _write_atomically(path, write):
    """Write ``path`` through a temporary file beside it, then rename: an interrupted
    run leaves the old file or none, never half of one."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _save_model(estimator, path):
    suffix = Path(path).suffix
    if suffix not in MODEL_SUFFIXES:
        raise UsageError(f"model file {str(path)!r} must end in {', '.join(MODEL_SUFFIXES)}")
    if suffix == ".skops":
        import skops.io

        _write_atomically(path, lambda stream: stream.write(skops.io.dumps(estimator)))
    else:
        import joblib

        _write_atomically(path, lambda stream: joblib.dump(estimator, stream))


def skae_types():
    """The types a skae model file may ask skops to trust: skae's public estimators."""
    import skae

    return sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in (getattr(skae, name) for name in ESTIMATORS + ("SequenceAutoencoder",))
    )


def _load_model(path, allow_pickle):
    """A model from a ``.skops`` file (code-free), or from a pickle when asked by name."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"model file {str(path)!r} does not exist")
    if path.suffix == ".skops":
        import skops.io

        asked = skops.io.get_untrusted_types(file=path)
        others = sorted(set(asked) - set(skae_types()))
        if others:
            raise UsageError(
                f"{str(path)!r} asks to trust {', '.join(others)}, which are not skae's "
                "classes; if you trust the file, load it in Python with "
                "skops.io.load(path, trusted=[...]) after reading that list"
            )
        return skops.io.load(path, trusted=asked)
    if path.suffix not in MODEL_SUFFIXES:
        raise UsageError(f"model file {str(path)!r} must end in {', '.join(MODEL_SUFFIXES)}")
    if not allow_pickle:
        raise UsageError(
            f"{str(path)!r} is a {path.suffix[1:]} file, and {PICKLE_WARNING}. Refit to a "
            ".skops file, or pass --allow-pickle if you made or trust this one"
        )
    import joblib

    return joblib.load(path)


def _fit(args):
    import skae

    if args.estimator not in ESTIMATORS:
        raise UsageError(
            f"unknown estimator {args.estimator!r}; choose from {', '.join(ESTIMATORS)}"
        )
    X = _load_data(args.data)
    estimator = getattr(skae, args.estimator)()
    params = _parse_params(args.param)
    unknown = sorted(set(params) - set(estimator.get_params()))
    if unknown:
        raise UsageError(
            f"{args.estimator} has no parameter {', '.join(unknown)}; its parameters are "
            f"{', '.join(sorted(estimator.get_params()))}"
        )
    if Path(args.output).suffix not in MODEL_SUFFIXES:
        raise UsageError(f"model file {args.output!r} must end in {', '.join(MODEL_SUFFIXES)}")
    estimator.set_params(**params).fit(X)
    _save_model(estimator, args.output)
    print(f"fitted {estimator!r} on {X.shape[0]} rows x {X.shape[1]} columns; saved {args.output}")


def _transform(args):
    import numpy as np

    output = Path(args.output)
    if output.suffix not in (".npy", ".csv"):
        raise UsageError(f"output {str(output)!r} must end in .npy or .csv")
    model = _load_model(args.model, args.allow_pickle)
    if not hasattr(model, args.method):
        raise UsageError(f"{type(model).__name__} has no method {args.method}")
    result = np.asarray(getattr(model, args.method)(_load_data(args.data)))
    if output.suffix == ".npy":
        _write_atomically(output, lambda stream: np.save(stream, result))
    else:
        rows = np.atleast_2d(result.T).T
        _write_atomically(output, lambda stream: np.savetxt(stream, rows, delimiter=","))
    print(f"{args.method}: {result.shape} saved to {output}")


def _bench(args):
    bench_dir = Path(args.benchmarks_dir)
    scripts = sorted(bench_dir.glob("bench_*.py"))
    if not scripts:
        sys.exit(f"error: no bench_*.py scripts in {bench_dir}")
    for script in scripts:
        if args.only and args.only not in script.name:
            continue
        print(f"== {script.name}", flush=True)
        # Each in a fresh process of this interpreter: the installed skae, and
        # no state (threads, compiled functions) carried from one to the next.
        # Its stderr is passed on without the native runtimes' start-up lines.
        process = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
        for line in process.stderr:
            if not is_startup_noise(line):
                sys.stderr.write(line)
        if process.wait() != 0:
            raise subprocess.CalledProcessError(process.returncode, process.args)


def _demo(args):
    if args.dataset == "digits":
        from ._demo import run_demo

        run_demo(output_dir=args.output_dir)
        return
    # The LFW comparison is the eigenfaces example itself, run from a checkout.
    example = Path(__file__).resolve().parents[1] / "examples" / "plot_eigenfaces.py"
    if not example.exists():
        sys.exit(
            "error: the LFW demo runs examples/plot_eigenfaces.py from a source checkout; "
            f"{example} is missing."
        )
    argv = ["plot_eigenfaces.py", "--output-dir", args.output_dir]
    if args.data_home:
        argv += ["--data-home", args.data_home]
    if args.quick:
        argv.append("--quick")
    sys.argv = argv
    runpy.run_path(str(example), run_name="__main__")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skae",
        description="skae: scikit-learn-compatible autoencoders on Keras 3.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="PCA vs AutoencoderTransformer on digits (the main job)")
    demo.add_argument(
        "--dataset",
        choices=("digits", "lfw"),
        default="digits",
        help="digits (default, ships with scikit-learn) or lfw (the eigenfaces comparison)",
    )
    demo.add_argument("--data-home", default=None, help="scikit-learn data home for LFW")
    demo.add_argument("--quick", action="store_true", help="lfw: few epochs, a fast check")
    demo.add_argument(
        "--output-dir", default="output", help="where the figures go (default: output)"
    )
    demo.set_defaults(func=_demo)

    bench = sub.add_parser(
        "bench", help="run the scripts in benchmarks/ (JSON to benchmarks/results)"
    )
    bench.add_argument("--benchmarks-dir", default="benchmarks", help="default: benchmarks")
    bench.add_argument("--only", default="", help="run only scripts whose name contains this")
    bench.set_defaults(func=_bench)

    fit = sub.add_parser(
        "fit",
        help="fit an estimator on a .csv or .npy file and save it (.skops)",
        description="Fit a skae estimator on the rows of a .csv (header row optional, "
        "empty fields are missing values) or .npy file and save it as a .skops file, "
        "which loads without running code (or .joblib / .pkl when the name says so).",
    )
    fit.add_argument("estimator", help="one of: " + ", ".join(ESTIMATORS))
    fit.add_argument("data", help="training data, .csv or .npy")
    fit.add_argument(
        "-o",
        "--output",
        default="model.skops",
        help="the model file: .skops (default: model.skops), or .joblib / .pkl",
    )
    fit.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an estimator parameter, as a Python literal (repeatable): "
        "-p n_components=16 -p hidden_layer_sizes='(64,)'",
    )
    fit.set_defaults(func=_fit)

    transform = sub.add_parser(
        "transform",
        help="apply a saved estimator to a .csv or .npy file",
        description="Apply a saved estimator to the rows of a .csv or .npy file. Model "
        "files are read as .skops, whose loading runs no code; pickle and joblib files "
        "are refused unless --allow-pickle is given.",
    )
    transform.add_argument("model", help="a .skops file written by fit")
    transform.add_argument(
        "--allow-pickle",
        action="store_true",
        help=f"also read .joblib / .pkl model files: {PICKLE_WARNING}",
    )
    transform.add_argument("data", help="data, .csv or .npy")
    transform.add_argument(
        "-o",
        "--output",
        default="transformed.npy",
        help="a .npy or .csv file (default: transformed.npy)",
    )
    transform.add_argument(
        "-m",
        "--method",
        choices=METHODS,
        default="transform",
        help="which method to apply (default: transform)",
    )
    transform.set_defaults(func=_transform)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "bench":  # bench runs each script in a process of its own
        _start_keras_quietly()
    try:
        args.func(args)
    except UsageError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except ValueError as exc:  # scikit-learn's messages on bad parameters or data
        parser.exit(2, f"{parser.prog}: error: {exc}\n")


if __name__ == "__main__":
    main()
