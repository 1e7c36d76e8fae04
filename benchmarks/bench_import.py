"""Time of ``import skae`` beside ``import sklearn.base``, in fresh processes.

Each is imported in its own new interpreter, the two alternating, 15 times
each; the minimum (least disturbed by other load) and the median are kept.
Writes results/import.json.
"""

import statistics
import subprocess
import sys

from _common import save  # noqa: E402

CODE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
REPEATS = 15
MODULES = ("sklearn.base", "skae")


def import_seconds(module):
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main():
    times = {module: [] for module in MODULES}
    for _ in range(REPEATS):
        for module in MODULES:
            times[module].append(import_seconds(module))
    summary = {
        module: {"min_s": min(t), "median_s": statistics.median(t)} for module, t in times.items()
    }
    added_min = summary["skae"]["min_s"] - summary["sklearn.base"]["min_s"]
    added_median = summary["skae"]["median_s"] - summary["sklearn.base"]["median_s"]
    for module, s in summary.items():
        print(f"import {module:13s} min {s['min_s']:.3f}s  median {s['median_s']:.3f}s")
    print(f"skae adds {added_min:+.3f}s (min), {added_median:+.3f}s (median); goal <= 0.1s")
    save(
        "import",
        {"repeats": REPEATS, **summary, "added_min_s": added_min, "added_median_s": added_median},
    )


if __name__ == "__main__":
    main()
