"""Sphinx configuration for the IndexedRedis documentation.

Build with ``sphinx-build -W -n -b html docs docs/_build/html`` after
``pip install -e '.[docs]'`` (Sphinx and the furo theme); the test suite runs that build
(tests/test_docs_build.py) and fails on any warning, a broken reference included. Dependencies
of IndexedRedis that are not installed are mocked, so the API pages build from the sources alone.
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

autodoc_mock_imports = [name for name in ("redis", "QueryableList", "pytest") if importlib.util.find_spec(name) is None]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autoclass_content = "both"

root_doc = "index"
exclude_patterns = ["_build"]
highlight_language = "none"
pygments_style = "sphinx"
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"

# Every reference must resolve (sphinx-build -n), except to these: classes of other libraries
# (the build is offline, so there is no intersphinx) and internal names that type hints mention.
nitpicky = True
nitpick_ignore = [
    ("py:class", "redis.client.Redis"),
    ("py:class", "redis.connection.ConnectionPool"),
    ("py:class", "QueryableList.QueryableListObjs"),
    ("py:class", "IndexedRedis.fields.foreign._Holder"),
    ("py:class", "IndexedRedis.plans.Call"),
    ("py:class", "Value"),
    ("py:class", "Op"),
    ("py:class", "Call"),
]
# The private type variables of the generic classes (_M: the model, _T: a field's value type).
nitpick_ignore_regex = [(r"py:(class|obj)", r"(IndexedRedis\.[\w.]+\.)?_[A-Z]\w*")]
html_title = f"IndexedRedis {release}"
