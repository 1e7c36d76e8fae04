"""Command line: ``python -m skae demo`` and ``python -m skae bench``."""

import argparse
import runpy
import sys
from pathlib import Path


def _bench(args):
    bench_dir = Path(args.benchmarks_dir)
    scripts = sorted(bench_dir.glob("bench_*.py"))
    if not scripts:
        sys.exit(f"error: no bench_*.py scripts in {bench_dir}")
    for script in scripts:
        if args.only and args.only not in script.name:
            continue
        print(f"== {script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")


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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
