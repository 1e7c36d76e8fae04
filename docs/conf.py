"""Sphinx configuration: numpydoc API reference, sphinx-gallery over examples/, PyData theme.

``make docs`` builds everything offline with warnings as errors; ``make test``
builds without running the gallery (``-D plot_gallery=0``).
"""

import os
from pathlib import Path

import skae

ROOT = Path(__file__).resolve().parents[1]
# The examples run from their own folder; the benchmarks' figures live here.
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skae"
author = "the skae developers"
copyright = "2026, the skae developers"
version = release = skae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "sphinx_copybutton",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "results", "auto_examples/*.ipynb", "auto_examples/*.py", "**/*.zip"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# "On this page" of a class page lists ``fit()``, not ``AutoencoderTransformer.fit()``.
toc_object_entries_show_parents = "hide"

# Offline: no inventories are fetched, so cross-project references stay plain text.
intersphinx_mapping = {}
nitpicky = False

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 1,
    # Backreferences feed each class page's mini-gallery ("Examples using ..."),
    # which the class template (_templates/autosummary/class.rst) places.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skae",),
    "reference_url": {"skae": None},
}

# The copy button leaves out prompts and output: ">>> " / "... " (doctests),
# "$ " (shell sessions).
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

html_theme = "pydata_sphinx_theme"
html_title = f"skae {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    # The top bar: User guide, API reference, Examples, Changelog (index.rst's toctree).
    "header_links_before_dropdown": 6,
}
html_static_path = ["_static"]
html_css_files = ["skae.css"]
html_show_sourcelink = False


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Methods skae's classes inherit from scikit-learn are documented there.

    Their docstrings point into scikit-learn's own documentation (its
    glossary and user guide), which an offline build cannot resolve.
    """
    if getattr(obj, "__module__", "") and obj.__module__.startswith("sklearn."):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
