"""mypy over the example apps: the annotated one type-checks clean, the deliberate errors are
all reported (and nothing else), so field types, query results and model copies are known."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
from typing import Dict, Set, Tuple

import pytest

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
APPS = ("app_ok.py", "app_errors.py")


@pytest.fixture(scope="module")
def mypyReport() -> Dict[str, Set[Tuple[int, str]]]:
    """``{file name: {(line, error code)}}`` from one mypy run over both apps (cache in .mypy_cache)."""
    pytest.importorskip("mypy", reason="mypy is part of the [test] extra")
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--show-error-codes"]
    cmd += ["--no-error-summary", "--hide-error-context", "--no-pretty"]
    proc = subprocess.run(cmd + [str(HERE / name) for name in APPS], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), f"mypy failed to run:\n{proc.stdout}\n{proc.stderr}"
    found: Dict[str, Set[Tuple[int, str]]] = {name: set() for name in APPS}
    for line in proc.stdout.splitlines():
        if re.match(r".+?:\d+: note: ", line) or line.startswith("    "):
            continue  # explanations under an error
        match = re.match(r"(.+?):(\d+): error: .*\[([a-z-]+)\]$", line)
        assert match, f"unexpected mypy output line: {line!r}"
        found.setdefault(pathlib.Path(match.group(1)).name, set()).add((int(match.group(2)), match.group(3)))
    return found


def test_annotated_app_has_no_type_errors(mypyReport):
    assert mypyReport["app_ok.py"] == set()
    assert set(mypyReport) == set(APPS), f"mypy reported errors in other files: {mypyReport}"


def test_deliberate_type_errors_are_reported(mypyReport):
    expected = set()
    for number, line in enumerate((HERE / "app_errors.py").read_text().splitlines(), start=1):
        match = re.search(r"# error: ([a-z-]+)$", line)
        if match:
            expected.add((number, match.group(1)))
    assert len(expected) == 5
    assert mypyReport["app_errors.py"] == expected
