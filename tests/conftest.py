"""Test fixtures: a private redis-server for the session, a clean database per test.

``--redis-url URL`` (or IR_TEST_REDIS_URL) runs the suite against another server instead. That
database must be empty when the session starts; between tests only the keys the tests made are
deleted (SCAN + UNLINK), never FLUSHDB on a server the suite did not start.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, List

import pytest
import redis

from hypothesis import settings as _hypothesisSettings

from IndexedRedis.connection import clearRedisPools, getDefaultRedisConnectionParams, setDefaultRedisConnectionParams
from IndexedRedis.server import RedisServer


# Property tests: no deadline (nothing here may depend on timing) and a fixed example sequence,
# so a run's result does not depend on the machine's speed or on chance.
_hypothesisSettings.register_profile("indexedredis", deadline=None, derandomize=True)
_hypothesisSettings.load_profile("indexedredis")


def pytest_addoption(parser):
    parser.addoption(
        "--redis-url",
        default=os.environ.get("IR_TEST_REDIS_URL"),
        help="run against this Redis (its database must be empty) instead of a private server",
    )


class _Target:
    def __init__(self, url: str, owned: bool) -> None:
        self.url = url
        self.owned = owned

    def clean(self, client: redis.Redis) -> None:
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


@pytest.fixture(scope="session")
def _redis_target(request) -> Iterator[_Target]:
    url = request.config.getoption("--redis-url")
    if url:
        client = redis.Redis.from_url(url)
        if client.dbsize() != 0:
            pytest.exit(
                f"--redis-url {url}: the database is not empty; point the tests at an empty database "
                "(they delete every key they make)",
                returncode=2,
            )
        client.close()
        yield _Target(url, owned=False)
        return
    server = RedisServer()
    server.start()
    try:
        yield _Target(server.url, owned=True)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server_url(_redis_target) -> str:
    """URL of the Redis the suite runs against (db 0 of a private server by default)."""
    return _redis_target.url


@contextlib.contextmanager
def _useParams(params: dict) -> Iterator[None]:
    previous = getDefaultRedisConnectionParams()
    setDefaultRedisConnectionParams(params)
    try:
        yield
    finally:
        clearRedisPools()
        setDefaultRedisConnectionParams(previous)
        clearRedisPools()


@pytest.fixture
def real_db(_redis_target) -> Iterator[redis.Redis]:
    """A clean database on the real server; models use it by default. Yields a raw client (bytes)."""
    client = redis.Redis.from_url(_redis_target.url)
    _redis_target.clean(client)
    with _useParams({"url": _redis_target.url}):
        yield client
    _redis_target.clean(client)
    client.close()


@pytest.fixture
def own_keys_db(_redis_target) -> Iterator:
    """``own_keys_db(prefix)``: a raw client (bytes) on the session's server, models using it by default.

    Only keys starting with ``prefix`` are deleted, before the test and after it: for tests whose
    data other processes also write to that server.
    """
    clients: List[redis.Redis] = []
    prefixes: List[bytes] = []

    def clean(client: redis.Redis, prefix: bytes) -> None:
        keys = list(client.scan_iter(match=prefix + b"*", count=1000))
        if keys:
            client.unlink(*keys)

    def make(prefix: bytes) -> redis.Redis:
        client = redis.Redis.from_url(_redis_target.url)
        clean(client, prefix)
        clients.append(client)
        prefixes.append(prefix)
        return client

    with _useParams({"url": _redis_target.url}):
        yield make
    for client, prefix in zip(clients, prefixes):
        clean(client, prefix)
        client.close()


@pytest.fixture(params=["redis", "fakeredis"])
def ir_db(request, _redis_target) -> Iterator[redis.Redis]:
    """Like real_db, once on the real server and once on fakeredis."""
    if request.param == "redis":
        yield request.getfixturevalue("real_db")
        return
    fakeredis = pytest.importorskip("fakeredis")
    server = fakeredis.FakeServer()
    connectionClass = getattr(fakeredis, "FakeRedisConnection", None) or fakeredis.FakeConnection
    params = {"connection_class": connectionClass, "server": server}
    client = redis.Redis(connection_pool=redis.ConnectionPool(**params))
    with _useParams(params):
        yield client
    client.close()


class RoundTrips:
    """Round trips (packed sends) and command names seen while active."""

    def __init__(self) -> None:
        self.count = 0
        self.commands: List[str] = []


def _loadScripts() -> None:
    """SCRIPT LOAD every script of IndexedRedis on the default server (not counted)."""
    from redis.commands.core import Script

    import IndexedRedis.scripts as core
    from IndexedRedis.connection import getRedisConnection

    client = getRedisConnection()
    for value in vars(core).values():
        if isinstance(value, Script):
            client.script_load(value.script)


@pytest.fixture
def roundtrips(monkeypatch):
    """``with roundtrips() as rt: ...`` counts round trips to Redis (``rt.count``) and commands (``rt.commands``)."""
    from redis.connection import AbstractConnection

    active: List[RoundTrips] = []
    sendPacked = AbstractConnection.send_packed_command
    sendCommand = AbstractConnection.send_command
    packCommands = AbstractConnection.pack_commands

    def record(name) -> None:
        for rt in active:
            rt.commands.append(name.decode() if isinstance(name, bytes) else str(name))

    def send(self, command, check_health=True):
        for rt in active:
            rt.count += 1
        return sendPacked(self, command, check_health)

    def sendOne(self, *args, **kwargs):
        record(args[0])
        return sendCommand(self, *args, **kwargs)

    def packMany(self, commands):
        commands = list(commands)
        for cmd in commands:
            record(cmd[0])
        return packCommands(self, commands)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", send)
    monkeypatch.setattr(AbstractConnection, "send_command", sendOne)
    monkeypatch.setattr(AbstractConnection, "pack_commands", packMany)

    @contextlib.contextmanager
    def counting() -> Iterator[RoundTrips]:
        _loadScripts()  # round trips are counted in the steady state: the server has every script
        rt = RoundTrips()
        active.append(rt)
        try:
            yield rt
        finally:
            active.remove(rt)

    return counting
