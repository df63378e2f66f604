"""Sphinx configuration for the IndexedRedis documentation.

Build with ``sphinx-build -b html docs docs/_build/html`` (Sphinx is not a dependency of
IndexedRedis; install it separately). Dependencies of IndexedRedis that are not installed are
mocked, so the API pages build from the sources alone.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

with open(os.path.join(ROOT, "IndexedRedis", "__init__.py"), encoding="utf-8") as fh:
    release = re.search(r'^__version__ = "([^"]+)"', fh.read(), re.M).group(1)
version = release

project = "IndexedRedis"
author = "IndexedRedis contributors"
copyright = "IndexedRedis contributors"

extensions = ["sphinx.ext.autodoc"]

autodoc_mock_imports = [name for name in ("redis", "QueryableList") if importlib.util.find_spec(name) is None]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autoclass_content = "both"

root_doc = "index"
exclude_patterns = ["_build"]
highlight_language = "none"
pygments_style = "sphinx"
html_theme = "alabaster"
html_title = f"IndexedRedis {release}"
