"""The documentation as a user meets it: its code runs as written.

* Every ``python`` code block of README.md, the home page and the user-guide
  pages runs, page by page in the user guide's order, each page in a fresh
  namespace (its blocks in order, as a reader pastes them into a notebook),
  all pages in one fresh interpreter: one TensorFlow start-up for all.
  Training runs for fewer epochs than written, and two settings that would
  start new processes are swapped for in-process ones: each swap is listed
  in ``SMALLER`` with its reason, and fails when its text is no longer on
  the page, so none goes stale. Blocks in other languages are not run; the
  reason for each language is in ``NOT_RUN``.
* The command-line page's ``python -m skae`` commands parse with the
  command line's own parser, and the page names every estimator it accepts.
* Every example runs as a notebook: its argument parsing accepts Jupyter's
  own arguments (``-f kernel.json``), and it does not force a matplotlib
  backend (which would hide a notebook's figures).
"""

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

FEWER_EPOCHS = "trained for 2 epochs instead of to convergence (minutes on 2 cores)"
TWO_FOLDS = "2 folds instead of 5: the same search, 7 fits instead of 16"
NO_WORKER_PROCESSES = (
    "worker processes would each start TensorFlow (10-20 s); the search itself is the same, "
    "and n_jobs and Dask clusters are tested in tests/test_parallel.py"
)
# Per page: (text as written, text run instead, why). Every occurrence is swapped.
SMALLER = {
    "README.md": [
        (
            "AutoencoderTransformer(random_state=0)",
            "AutoencoderTransformer(random_state=0, epochs=2)",
            FEWER_EPOCHS,
        ),
        ("random_state=0).fit(images)", "random_state=0, epochs=2).fit(images)", FEWER_EPOCHS),
        ("[4, 8, 16]})", "[4, 8, 16]}, cv=2)", TWO_FOLDS),
        ("Client()", "Client(processes=False)", NO_WORKER_PROCESSES),
    ],
    "docs/user_guide/getting_started.rst": [
        ("(8, random_state=0)", "(8, random_state=0, epochs=2)", FEWER_EPOCHS),
        ("(4, random_state=0)", "(4, random_state=0, epochs=2)", FEWER_EPOCHS),
        ("n_jobs=2", "n_jobs=1, cv=2", f"{NO_WORKER_PROCESSES}; {TWO_FOLDS}"),
    ],
    "docs/user_guide/ordered.rst": [
        ("ordered=True, random_state=0)", "ordered=True, random_state=0, epochs=2)", FEWER_EPOCHS),
        ("max_components=32,", "max_components=32, epochs=2,", FEWER_EPOCHS),
        (
            "max_components=16, random_state=0)",
            "max_components=16, random_state=0, epochs=2)",
            FEWER_EPOCHS,
        ),
        ("[2, 4, 8, 16]},", "[2, 4, 8, 16]}, cv=2,", TWO_FOLDS),
    ],
    "docs/user_guide/scale.rst": [
        ("(random_state=0)", "(random_state=0, epochs=2)", FEWER_EPOCHS),
        ("(8, random_state=0)", "(8, random_state=0, epochs=2)", FEWER_EPOCHS),
        ("[4, 8, 16]})", "[4, 8, 16]}, cv=2)", TWO_FOLDS),
        ("Client()", "Client(processes=False)", NO_WORKER_PROCESSES),
    ],
    "docs/user_guide/saving.rst": [
        ("(8, random_state=0)", "(8, random_state=0, epochs=2)", FEWER_EPOCHS),
    ],
    "docs/user_guide/console_noise.rst": [("epochs=300", "epochs=2", FEWER_EPOCHS)],
}
NOT_RUN = {
    "bash": "shell commands (README's make targets, which run the test suite itself)",
    "console": "shell sessions of `python -m skae`: parsed by "
    "test_command_line_page_commands_parse, run end to end by tests/test_cli.py",
    "text": "output shown on the page, not code",
}
JUPYTER_ARGV = ["ipykernel_launcher.py", "-f", "/root/.local/share/jupyter/runtime/kernel-1.json"]


def pages():
    """README, the home page, then the user guide in its table of contents' order."""
    index = (DOCS / "user_guide" / "index.rst").read_text()
    toctree = index[index.index(".. toctree::") :]
    names = re.findall(r"^   (\w+)\s*$", toctree, flags=re.MULTILINE)
    return ["README.md", "docs/index.rst"] + [f"docs/user_guide/{n}.rst" for n in names]


def code_blocks(path):
    """``(language, first line number, code)`` of each literal block of a page."""
    lines = (ROOT / path).read_text().splitlines()
    blocks = []
    if path.endswith(".md"):
        start = None
        for number, line in enumerate(lines, 1):
            if start is None and line.lstrip().startswith("```"):
                start, language = number, line.strip()[3:].strip()
            elif start is not None and line.lstrip().startswith("```"):
                code = textwrap.dedent("\n".join(lines[start : number - 1]))
                blocks.append((language, start + 1, code))
                start = None
        return blocks
    number = 0
    while number < len(lines):
        line = lines[number]
        directive = re.match(r"^(\s*)\.\. code-block::\s*(\S*)", line)
        bare = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not (directive or bare):
            number += 1
            continue
        indent = len(re.match(r"\s*", line).group(0))
        body, number = [], number + 1
        while number < len(lines) and re.match(r"^\s+:\w[\w-]*:", lines[number]):
            number += 1  # the directive's options
        first = number + 1
        while number < len(lines):
            text = lines[number]
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text)
            number += 1
        language = directive.group(2) if directive else "(a bare :: block)"
        blocks.append((language, first, textwrap.dedent("\n".join(body)).strip("\n")))
    return blocks


def test_every_literal_block_names_a_known_language():
    """A block the runner would not run is one whose language says why (NOT_RUN)."""
    for path in pages():
        for language, line, _ in code_blocks(path):
            assert language == "python" or language in NOT_RUN, (
                f"{path}:{line}: a literal block in {language!r}; use "
                f"'.. code-block:: python' (run by this test) or one of {sorted(NOT_RUN)}"
            )


RUNNER = r"""
import json, os, sys, time, traceback
pages, out = json.loads(sys.stdin.read()), sys.argv[1]
results = []
for page in pages:
    folder = os.path.join(os.getcwd(), page["path"].replace("/", "_"))
    os.makedirs(folder)
    os.chdir(folder)
    namespace, error, start = {"__name__": "__main__"}, None, time.perf_counter()
    for line, code in page["blocks"]:
        try:
            exec(compile(code, f"{page['path']}, block at line {line}", "exec"), namespace)
        except BaseException:
            error = traceback.format_exc()
            break
    os.chdir("..")
    results.append({"path": page["path"], "error": error, "s": time.perf_counter() - start})
with open(out, "w") as handle:
    json.dump(results, handle)
"""


@pytest.mark.fresh_process
def test_user_guide_and_readme_code_blocks_run(tmp_path):
    payload = []
    for path in pages():
        blocks = [
            (line, code) for language, line, code in code_blocks(path) if language == "python"
        ]
        for written, run, reason in SMALLER.get(path, []):
            joined = "\n".join(code for _, code in blocks)
            assert written in joined, f"{path} no longer has {written!r} (swapped: {reason})"
            blocks = [(line, code.replace(written, run)) for line, code in blocks]
        if blocks:
            payload.append({"path": path, "blocks": blocks})
    out = tmp_path / "results.json"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    process = subprocess.run(
        [sys.executable, "-c", RUNNER, str(out)],
        input=json.dumps(payload),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), f"the runner died:\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}"
    results = json.loads(out.read_text())
    assert [r["path"] for r in results] == [p["path"] for p in payload]
    failures = [f"{r['path']}:\n{r['error']}" for r in results if r["error"]]
    assert not failures, "\n".join(failures) + f"\n{process.stderr[-3000:]}"


def test_command_line_page_commands_parse():
    from skae.__main__ import ESTIMATORS, build_parser

    page = "docs/user_guide/command_line.rst"
    commands = []
    for language, line, code in code_blocks(page):
        if language == "console":
            commands += [
                (line, c[2:]) for c in code.splitlines() if c.startswith("$ python -m skae")
            ]
    assert commands, f"{page} shows no `$ python -m skae` command"
    parser = build_parser()
    for line, command in commands:
        argv = shlex.split(command)[3:]
        if "-h" in argv or "--help" in argv:
            continue
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{page}, block at line {line}: {command!r} does not parse")
    text = (ROOT / page).read_text()
    missing = [name for name in ESTIMATORS if name not in text]
    assert not missing, f"{page} does not name the estimators {missing}"


EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_as_a_notebook(example, monkeypatch):
    """The example's argument handling, run under Jupyter's argv, gives the defaults."""
    tree = ast.parse(example.read_text())
    assert "matplotlib.use(" not in example.read_text(), (
        f"{example.name} forces a matplotlib backend: a notebook would show no figure"
    )

    def about_arguments(node):
        source = ast.unparse(node)
        return (
            isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names)
        ) or re.search(r"\bparser\b|argparse\.", source)

    statements = [node for node in tree.body if about_arguments(node)]
    if not statements:
        return  # reads no arguments: nothing to fail under Jupyter
    parsing = [s for s in statements if re.search(r"parser\.parse_\w+\(", ast.unparse(s))]
    assert len(parsing) == 1, f"{example.name}: expected one parse call"
    monkeypatch.setattr(sys, "argv", JUPYTER_ARGV)
    namespace = {}
    exec(compile(ast.Module(statements, []), example.name, "exec"), namespace)
    args = namespace["args"]
    parser = namespace["parser"]
    assert vars(args) == vars(parser.parse_args([])), f"{example.name}: not the defaults"
