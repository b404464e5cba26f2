"""Sphinx configuration of the sklloss documentation.

Build from the repository root (warnings are errors, cross-references are
checked)::

    python -m pip install -e ".[docs]"
    python -m sphinx -W -n -b html docs docs/_build/html

The API tables and the loss catalogue are generated here, from the installed
package, before Sphinx reads the sources; sphinx-gallery runs ``examples/``.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import sklloss_docs  # noqa: E402

import sklloss  # noqa: E402

# plot_loss_functions.py writes the README figure; a docs build must not
# rewrite a tracked file, so it goes to the build's scratch directory.
os.environ["SKLLOSS_FIGURE_DIR"] = str(HERE / "_build" / "scratch")

project = "sklloss"
author = "the sklloss developers"
copyright = "sklloss developers, BSD-3-Clause"
version = release = sklloss.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sklloss_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**/*.inc", "auto_examples/*.ipynb", "**.py"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

# Generated on every build (see docs/_ext/sklloss_docs.py).
sklloss_docs.write_api(HERE / "api" / "_body.rst.inc")
sklloss_docs.write_catalogue(
    HERE / "_catalogue.rst.inc",
    HERE / "_generated" / "catalogue",
    "/_generated/catalogue",
)

sklloss_docs.write_benchmarks(
    HERE / "_benchmarks.rst.inc", HERE.parent / "benchmarks" / "results"
)
autosummary_generate = False  # the stubs are written by sklloss_docs.write_api
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# No network at build time, so no intersphinx inventories: references to
# scikit-learn, numpy, scipy, matplotlib and dask objects stay plain text.
# Every reference to an sklloss object must resolve (-n).
nitpick_ignore_regex = [
    (
        "py:.*",
        r"(sklearn|numpy|np|scipy|matplotlib|dask|distributed|pandas|joblib|statsmodels)(\..*)?",
    ),
    ("py:.*", r"(array-like|ndarray|sparse matrix|Axes|Figure|Line2D|callable)"),
    # private helpers are not documented on purpose
    ("py:.*", r"(.*\.)?_[a-z]\w*"),
]

sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "show_memory": False,
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklloss {release}"
html_static_path = []
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
# pages without sub-pages need no left sidebar
html_sidebars = {
    page: []
    for page in ("index", "getting_started", "catalogue", "performance", "changelog")
}
html_show_sourcelink = False
html_copy_source = False
