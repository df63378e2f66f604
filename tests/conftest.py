"""Test fixtures, on the IndexedRedis pytest plugin (IndexedRedis/pytest_plugin.py): a private
redis-server for the session, a clean database per test.

``--redis-url URL`` (or IR_TEST_REDIS_URL) runs the suite against another server instead. That
database must be empty when the session starts; between tests every key is deleted with SCAN +
UNLINK, never FLUSHDB on a server the suite did not start. ``--redis-server=PATH`` (or
IR_REDIS_SERVER) picks the binary of the private servers (e.g. a valkey-server).
"""

from __future__ import annotations

from typing import Iterator, List

import pytest
import redis

from hypothesis import settings as _hypothesisSettings

from IndexedRedis.pytest_plugin import IRTestServer, usingConnectionParams


# Property tests: no deadline (nothing here may depend on timing) and a fixed example sequence,
# so a run's result does not depend on the machine's speed or on chance.
_hypothesisSettings.register_profile("indexedredis", deadline=None, derandomize=True)
_hypothesisSettings.load_profile("indexedredis")


pytest_plugins = ["pytester"]


def pytest_addoption(parser):
    # The suite's own names for the plugin's --ir-redis-url / --ir-redis-server.
    parser.addoption(
        "--redis-url",
        default=None,
        help="run against this Redis (its database must be empty) instead of a private server (= --ir-redis-url)",
    )
    parser.addoption(
        "--redis-server",
        default=None,
        metavar="PATH",
        help="redis-server (or valkey-server) binary for the private servers the tests start (= --ir-redis-server)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    for ours, plugins in (("redis_url", "ir_redis_url"), ("redis_server", "ir_redis_server")):
        value = config.getoption(ours)
        if value:
            setattr(config.option, plugins, value)


@pytest.fixture(scope="session")
def _redis_target(indexedredis_server) -> IRTestServer:
    return indexedredis_server


@pytest.fixture(scope="session")
def redis_server_url(indexedredis_server) -> str:
    """URL of the Redis the suite runs against (db 0 of a private server by default)."""
    return indexedredis_server.url


@pytest.fixture
def real_db(indexedredis_db) -> redis.Redis:
    """A clean database on the real server; models use it by default. Yields a raw client (bytes)."""
    return indexedredis_db


@pytest.fixture
def own_keys_db(indexedredis_server) -> Iterator:
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
        client = redis.Redis.from_url(indexedredis_server.url)
        clean(client, prefix)
        clients.append(client)
        prefixes.append(prefix)
        return client

    with usingConnectionParams({"url": indexedredis_server.url}):
        yield make
    for client, prefix in zip(clients, prefixes):
        clean(client, prefix)
        client.close()


@pytest.fixture(params=["redis", "fakeredis"])
def ir_db(request) -> redis.Redis:
    """Like real_db, once on the real server and once on fakeredis."""
    return request.getfixturevalue("indexedredis_db" if request.param == "redis" else "indexedredis_fakeredis")


@pytest.fixture
def roundtrips(indexedredis_roundtrips):
    """``with roundtrips() as rt: ...`` counts round trips to Redis (``rt.count``) and commands (``rt.commands``)."""
    return indexedredis_roundtrips
