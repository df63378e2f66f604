"""The code examples of README.rst, docs/ and conversion-guide/ run, and print what they show.

Each file's ``.. code-block:: python`` blocks and ``>>>`` examples (in ``pycon`` blocks) run in
order in one namespace, as a reader would type them, on a clean database of the session's
server: the connections an example opens to ``localhost:6379`` go to that server instead (any
other host on port 6379 fails the test). A file hides set-up code from the reader
with an ``.. invisible-code-block: python`` comment and keeps a block from running with
``.. skip: next`` (sybil's markup).
"""

from __future__ import annotations

import doctest
import pathlib
import re
import sys
import types

import pytest
import redis

sybil = pytest.importorskip("sybil")
from sybil.parsers.rest import DocTestParser, PythonCodeBlockParser, SkipParser  # noqa: E402


ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = sorted([ROOT / "README.rst", *ROOT.glob("docs/*.rst"), *ROOT.glob("conversion-guide/*.rst")])
_CODE = re.compile(r"^\s*\.\. (code-block|invisible-code-block):?:? *(python|pycon)\s*$", re.M)

_parser = sybil.Sybil(
    parsers=[
        DocTestParser(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        PythonCodeBlockParser(),
        SkipParser(),
    ]
)


# Every file with examples runs (fragments with a top-level ``await`` are marked ``.. skip: next``).
NOT_RUN: set = set()


def _withExamples():
    return [p for p in FILES if p not in NOT_RUN and _CODE.search(p.read_text(encoding="utf-8"))]


@pytest.fixture
def docs_server(real_db, _redis_target, monkeypatch):
    """The test database; connections the examples open to localhost:6379 go to the test server."""
    if not _redis_target.owned:
        pytest.skip("the examples write to several databases: they run on a private server only (no --redis-url)")
    port = redis.Redis.from_url(_redis_target.url).connection_pool.connection_kwargs["port"]
    connect = redis.connection.Connection._connect

    def redirected(self):
        if getattr(self, "port", None) == 6379:
            if self.host not in ("localhost", "127.0.0.1"):
                raise AssertionError(f"a documentation example connected to {self.host}:6379")
            self.host, self.port = "127.0.0.1", port
        return connect(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", redirected)
    monkeypatch.delenv("REDIS_URL", raising=False)
    yield real_db
    real_db.flushall()  # the examples' other databases (a private server: ours to flush)


@pytest.mark.parametrize("path", _withExamples(), ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run(path, docs_server):
    document = _parser.parse(path)
    # A module of its own, so that the classes the examples define pickle by name.
    module = types.ModuleType("docs_examples")
    sys.modules[module.__name__] = module
    document.namespace = module.__dict__
    examples = list(document.examples())
    assert examples, f"{path}: code blocks found but sybil parsed no example"
    try:
        for example in examples:
            example.evaluate()
    finally:
        del sys.modules[module.__name__]
