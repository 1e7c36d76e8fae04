"""Read the built documentation site in headless Chromium, as a user meets it.

``make docs-check`` runs this on ``docs/_build/html`` (built by ``make docs``).
The build itself (``sphinx -W``) sees broken references; this script sees what
only a browser does, and fails (exit status 1) when:

* a table on the home page or a user-guide page runs past its content column
  at 1400 px (the hidden columns are named), or any page scrolls sideways as
  a whole at 1400 or 400 px (a table that scrolls inside its own box on a
  400 px phone is reported, not failed: no table of 8 numbers fits there);
* a public class page lacks its mini-gallery ("Examples using ...") or the
  note on the methods it inherits from scikit-learn;
* a code block has no copy button;
* a "New in / Added in version X" note names a version above the package's;
* a page shows a private ``skae._...`` name;
* the top bar hides "User guide", "API reference", "Examples" or
  "Changelog" (under "More"), or a user-guide page's sidebar does not list
  the user-guide pages;
* an "On this page" entry of an API page repeats the class name
  (``toc_object_entries_show_parents``);
* an image is broken, or a gallery figure is shown at less than 70% of its
  drawn width (its labels, drawn at 8-10 points, would be too small to read:
  keep figures at most about 9 inches wide);
* the untrusted-file warning is missing from the saving page.

Screenshots (whole pages, 1400 px; the home and user-guide pages also at
400 px) go to ``docs/_build/browser-check/`` for a person to look at.

Needs the ``playwright`` Python package and a Chromium binary
(``apt-get install chromium``; Playwright's own browser download is not
needed): ``--chromium PATH`` or ``$CHROMIUM``, else ``chromium`` on the PATH.
"""

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDE, NARROW = 1400, 400
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN_FIGURE_SCALE = 0.7
TOP_BAR = ["User guide", "API reference", "Examples", "Changelog"]

# Measured in the page: each table against the box it must fit in (the
# article's content column), the names of the columns that end past it.
TABLES_JS = """
() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const column = article.getBoundingClientRect();
  return Array.from(article.querySelectorAll("table")).map((table, index) => {
    const box = table.getBoundingClientRect();
    const header = table.querySelector("tr");
    const hidden = header ? Array.from(header.children)
      .filter((cell) => cell.getBoundingClientRect().right > column.right + 1)
      .map((cell) => cell.innerText.trim()) : [];
    let section = table.closest("section");
    const heading = section ? section.querySelector("h1, h2, h3") : null;
    return {
      index: index,
      section: heading ? heading.innerText.replace(/#$/, "").trim() : "",
      width: Math.round(box.width),
      column: Math.round(column.width),
      overflows: box.right > column.right + 1 || box.left < column.left - 1,
      hidden: hidden,
    };
  });
}
"""

PAGE_WIDTH_JS = "() => document.documentElement.scrollWidth"

IMAGES_JS = """
() => Array.from(document.querySelectorAll("article img")).map((img) => ({
  src: img.getAttribute("src"),
  natural: img.naturalWidth,
  shown: Math.round(img.getBoundingClientRect().width),
  gallery: img.classList.contains("sphx-glr-single-img")
    || img.classList.contains("sphx-glr-multi-img"),
}))
"""

TOP_BAR_JS = """
() => {
  const bar = document.querySelector(".bd-header .navbar-header-items__center")
    || document.querySelector(".bd-header");
  const shown = [];
  bar.querySelectorAll("a.nav-link").forEach((a) => {
    const inDropdown = a.closest(".dropdown-menu") !== null;
    const box = a.getBoundingClientRect();
    if (!inDropdown && box.width > 0 && box.height > 0) shown.push(a.innerText.trim());
  });
  return shown;
}
"""

# The current page's own entry links to "#" (class "current"): named by the page's file.
SIDEBAR_JS = """
() => Array.from(document.querySelectorAll(".bd-sidebar-primary nav a")).map((a) =>
  a.classList.contains("current") ? location.pathname.split("/").pop() : a.getAttribute("href"))
"""

PAGE_TOC_JS = """
() => Array.from(document.querySelectorAll(".bd-sidebar-secondary nav a"))
  .map((a) => a.innerText.trim())
"""


def serve(directory):
    """Serve ``directory`` on a free local port in a thread; return the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def find_chromium(given):
    for candidate in (given, os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (Path(candidate).is_file() or shutil.which(candidate)):
            return str(Path(candidate)) if Path(candidate).is_file() else shutil.which(candidate)
    sys.exit("no Chromium found: pass --chromium PATH or set CHROMIUM (apt-get install chromium)")


def package_version():
    sys.path.insert(0, str(ROOT))
    from packaging.version import Version

    import skae

    return Version(skae.__version__)


class Report:
    def __init__(self):
        self.failures = []
        self.notes = []

    def fail(self, page, message):
        self.failures.append(f"{page}: {message}")

    def note(self, page, message):
        self.notes.append(f"{page}: {message}")


def check(html_dir, out_dir, chromium, report):
    from packaging.version import InvalidVersion, Version
    from playwright.sync_api import sync_playwright

    version = package_version()
    release = Version(version.base_version)
    user_guide = sorted(p.name for p in (html_dir / "user_guide").glob("*.html"))
    class_pages = []
    for page in sorted((html_dir / "generated").glob("skae.*.html")):
        if 'class="py class"' in page.read_text():
            class_pages.append(f"generated/{page.name}")
    examples = sorted(
        f"auto_examples/{p.name}"
        for p in (html_dir / "auto_examples").glob("plot_*.html")
        if not p.name.endswith("_codeobj.html")
    )
    home_and_guide = ["index.html"] + [f"user_guide/{name}" for name in user_guide]
    pages = home_and_guide + class_pages + examples + ["api.html", "changelog.html"]
    pages += [f"generated/{p.name}" for p in sorted((html_dir / "generated").glob("*.html"))]
    pages = list(dict.fromkeys(pages))
    out_dir.mkdir(parents=True, exist_ok=True)
    base, server = serve(html_dir)
    summary = {"tables": 0, "tables_overflowing": 0, "class_pages": 0, "mini_galleries": 0}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=LAUNCH_FLAGS
            )
            for width in (WIDE, NARROW):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                for name in pages if width == WIDE else home_and_guide:
                    page.goto(base + name, wait_until="load")
                    shot = name.replace("/", "__").replace(".html", f"_{width}.png")
                    if width == WIDE or name in home_and_guide:
                        page.screenshot(path=str(out_dir / shot), full_page=True)
                    _check_page(
                        page,
                        name,
                        width,
                        version,
                        release,
                        report,
                        summary,
                        home_and_guide,
                        class_pages,
                        user_guide,
                        InvalidVersion,
                        Version,
                    )
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return summary


def _check_page(
    page,
    name,
    width,
    version,
    release,
    report,
    summary,
    home_and_guide,
    class_pages,
    user_guide,
    InvalidVersion,
    Version,
):
    scroll_width = page.evaluate(PAGE_WIDTH_JS)
    if scroll_width > width + 1:
        report.fail(name, f"the page scrolls sideways at {width} px ({scroll_width} px wide)")
    if name in home_and_guide:
        for table in page.evaluate(TABLES_JS):
            where = (
                f"table {table['index'] + 1} ({table['section']}, {table['width']} px "
                f"in a {table['column']} px column)"
            )
            if width == WIDE:
                summary["tables"] += 1
                if table["overflows"]:
                    summary["tables_overflowing"] += 1
                    hidden = ", ".join(table["hidden"]) or "-"
                    report.fail(
                        name, f"{where} runs past the column at {width} px; columns cut: {hidden}"
                    )
            elif table["overflows"]:
                report.note(name, f"{where} scrolls inside its box at {width} px")
    if width != WIDE:
        return
    text = page.inner_text("article") if page.query_selector("article") else ""
    for match in re.finditer(r"(?:New|Added) in version (\S+?)[.:]?(?:\s|$)", text):
        try:
            noted = Version(match.group(1))
        except InvalidVersion:
            continue
        if noted > release:
            report.fail(name, f"'{match.group(0).strip()}' on a site of skae {version}")
    for private in sorted(set(re.findall(r"\bskae\._\w+(?:\.\w+)*", text))):
        report.fail(name, f"shows the private name {private}")
    if page.query_selector("div.highlight pre") and not page.query_selector("button.copybtn"):
        report.fail(name, "code blocks without a copy button")
    for image in page.evaluate(IMAGES_JS):
        if image["natural"] == 0:
            report.fail(name, f"broken image {image['src']}")
        elif image["gallery"] and image["shown"] < MIN_FIGURE_SCALE * image["natural"]:
            report.fail(
                name,
                f"figure {image['src']} drawn {image['natural']} px wide, shown "
                f"at {image['shown']} px: its labels are too small to read",
            )
    if name == "index.html" or name.startswith("user_guide/"):
        shown = page.evaluate(TOP_BAR_JS)
        missing = [entry for entry in TOP_BAR if entry not in shown]
        if missing:
            report.fail(name, f"top bar does not show {missing} (it shows {shown})")
    if name.startswith("user_guide/"):
        links = " ".join(page.evaluate(SIDEBAR_JS))
        absent = [p for p in user_guide if p != "index.html" and p not in links]
        if absent:
            report.fail(name, f"sidebar does not list {absent}")
    if name in class_pages:
        summary["class_pages"] += 1
        if page.query_selector(".sphx-glr-thumbcontainer"):
            summary["mini_galleries"] += 1
        else:
            report.fail(name, "no mini-gallery of the examples that use the class")
        if "documented in scikit-learn" not in text:
            report.fail(name, "no note on the methods inherited from scikit-learn")
        short = name.removesuffix(".html").rsplit(".", 1)[-1]
        long_entries = [e for e in page.evaluate(PAGE_TOC_JS) if e.startswith(short + ".")]
        if long_entries:
            report.fail(name, f"'On this page' repeats the class name: {long_entries[:2]}")
    if name == "user_guide/saving.html" and "trust" not in text:
        report.fail(name, "no warning about loading files from an untrusted source")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", default=ROOT / "docs" / "_build" / "html", type=Path)
    parser.add_argument(
        "--screenshots", default=ROOT / "docs" / "_build" / "browser-check", type=Path
    )
    parser.add_argument("--chromium", default=None, help="the Chromium binary")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        sys.exit(f"no site in {args.html}: run `make docs` first")
    report = Report()
    summary = check(args.html, args.screenshots, find_chromium(args.chromium), report)
    for line in report.notes:
        print(f"note: {line}")
    for line in report.failures:
        print(f"FAIL: {line}")
    print(
        f"{summary['tables_overflowing']} of {summary['tables']} tables on the home and "
        f"user-guide pages run past their column at {WIDE} px; "
        f"{summary['mini_galleries']} of {summary['class_pages']} class pages have their "
        f"mini-gallery; {len(report.failures)} failures; screenshots in {args.screenshots}"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
