"""The documentation builds with Sphinx, with every warning (a broken reference included) an error."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")

ROOT = pathlib.Path(__file__).resolve().parent.parent
# -W: warnings are errors; -n: every reference must resolve; --keep-going: report them all.
SPHINX = [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html"]


def _build(source: pathlib.Path, out: pathlib.Path) -> subprocess.CompletedProcess:
    # -c: docs/conf.py is the configuration, whichever sources are built
    return subprocess.run(
        [*SPHINX, "-c", str(ROOT / "docs"), "-d", str(out / "doctrees"), str(source), str(out / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_docs_build_without_warnings(tmp_path):
    result = _build(ROOT / "docs", tmp_path)
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}\n{result.stderr}"
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    # The API pages come from the docstrings (autodoc), not from hand-written text.
    assert "Replace the model" in api and "IRTestServer" in api and "validateModel" in api
    testing = (tmp_path / "html" / "testing.html").read_text(encoding="utf-8")
    assert "indexedredis_db" in testing


def test_a_broken_reference_fails_the_build(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.rst").write_text("Title\n=====\n\nSee :doc:`nowhere` and :class:`IndexedRedis.NoSuchThing`.\n")
    result = _build(source, tmp_path / "out")
    assert result.returncode != 0
    assert "nowhere" in result.stderr and "NoSuchThing" in result.stderr
