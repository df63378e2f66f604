"""IndexedRedis 6.0.3 as a column of the tables: its own virtualenv, its own process.

``v6Python(dir)`` makes (once) a virtualenv under ``dir`` holding ``indexedredis==6.0.3`` and
this run's redis-py, and returns its python; ``runV6`` runs ``v603/driver.py`` with it. 6.0.3 is
only ever run there, never imported beside this checkout's IndexedRedis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional

import redis

V6_REQUIREMENT = "indexedredis==6.0.3"
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v603", "driver.py")
DEFAULT_DIR = os.path.join(os.path.expanduser("~"), ".cache", "indexedredis-bench")
PIP_OPTIONS = ["--disable-pip-version-check", "--quiet", "--retries", "1", "--timeout", "20"]


def v6Python(directory: str, log: Any) -> Optional[str]:
    """The python of the 6.0.3 virtualenv under ``directory`` (made when missing), or None if it cannot be made."""
    venv = os.path.join(directory, "v603-venv")
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, "ready-" + V6_REQUIREMENT + "-redis-" + redis.__version__)
    if os.path.exists(marker):
        return python
    log(f"making the 6.0.3 virtualenv in {venv} ({V6_REQUIREMENT}, redis=={redis.__version__}) ...")
    steps = [
        [sys.executable, "-m", "venv", venv],
        [python, "-m", "pip", "install", *PIP_OPTIONS, V6_REQUIREMENT, f"redis=={redis.__version__}"],
    ]
    for cmd in steps:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log(f"6.0.3 column off: {' '.join(cmd[:4])}... failed: {exc}")
            return None
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            log(f"6.0.3 column off: {' '.join(cmd[:4])}... exited {done.returncode}: {lines[-1] if lines else ''}")
            return None
    with open(marker, "w"):
        pass
    return python


def _conn(url: str) -> Dict[str, Any]:
    kwargs = redis.ConnectionPool.from_url(url).connection_kwargs
    conn = {"host": kwargs.get("host", "127.0.0.1"), "port": int(kwargs.get("port", 6379)), "db": int(kwargs.get("db", 0))}
    if kwargs.get("password"):
        conn["password"] = kwargs["password"]
    return conn


def runV6(python: str, url: str, n: int, rounds: int, seed: int, workloads: List[str]) -> Dict[str, Dict[str, Any]]:
    """Per workload ``{"seconds": [...], "units": [...], "calls": c}`` measured by 6.0.3 on the server at ``url``."""
    request = {"conn": _conn(url), "n": n, "rounds": rounds, "seed": seed, "workloads": workloads}
    done = subprocess.run([python, DRIVER], input=json.dumps(request), capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(f"6.0.3 driver exited {done.returncode}: {lines[-1] if lines else ''}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


__all__ = ["DEFAULT_DIR", "runV6", "v6Python"]
