"""Test fixtures, on the IndexedRedis pytest plugin (IndexedRedis/pytest_plugin.py): a private
redis-server for the session, a clean database per test.

``--redis-url URL`` (or IR_TEST_REDIS_URL) runs the suite against another server instead. That
database must be empty when the session starts; between tests every key is deleted with SCAN +
UNLINK, never FLUSHDB on a server the suite did not start. ``--redis-server=PATH`` (or
IR_REDIS_SERVER) picks the binary of the private servers (e.g. a valkey-server).
"""

from __future__ import annotations

import contextlib
import os
import threading
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
def ir_db(request) -> Iterator[redis.Redis]:
    """Like real_db, once on the real server and once on fakeredis."""
    if request.param == "redis":
        yield request.getfixturevalue("real_db")
        return
    from IndexedRedis.pytest_plugin import fakeredisParams

    params = fakeredisParams()
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=params["connection_class"], server=params["server"])
    )
    with usingConnectionParams(params):
        yield client
    client.close()


@pytest.fixture
def roundtrips(indexedredis_roundtrips):
    """``with roundtrips() as rt: ...`` counts round trips to Redis (``rt.count``) and commands
    (``rt.commands``), sync and asyncio, once every script is loaded (the plugin's fixture)."""
    return indexedredis_roundtrips


# ---------------------------------------------------------------------------- sync / asyncio
_inHook: List[bool] = []  # non-empty while a hook of execute_spy (or syncInside) runs


@contextlib.contextmanager
def syncInside() -> Iterator[None]:
    """For a test's hook that runs inside an operation (a patched plan or job) and does I/O of
    its own: under ``api`` == "async" its calls go through the sync API instead of the loop,
    which is busy running the operation."""
    _inHook.append(True)
    try:
        yield
    finally:
        _inHook.pop()


# Every public operation that does I/O, by class: its awaited twin is ``a`` + name.
TWINS = {
    "IndexedRedis.query:IRQueryBuilder": (
        "all allByAge allOnlyFields allOnlyIndexedFields count exists first last random getPrimaryKeys get getMultiple "
        "getOnlyFields getMultipleOnlyFields delete update increment reindex reset compat_convertHashedIndexes verify repair "
        "purgeExpired"
    ),
    "IndexedRedis.model:IndexedRedisModel": "save delete reload cascadeFetch increment expire persist ttl",
    "IndexedRedis.persistence:IRSaver": "save saveMultiple reindex compat_convertHashedIndexes",
    "IndexedRedis.persistence:IRDeleter": "deleteOne deleteByPk deleteMultiple deleteMultipleByPks destroyModel",
    "IndexedRedis.results:IRQueryableList": "save delete reload refetch",
}
TWINS["IndexedRedis.query:IRQueryBuilder"] += " at"


def _twinClasses():
    import importlib

    for where, names in TWINS.items():
        module, _, name = where.partition(":")
        yield getattr(importlib.import_module(module), name), names.split()


def _collectionTwins():
    """(class, name, twin, plain) for every operation of every collection type: the collection
    suite run under ``api`` goes through the awaited twins too."""
    from IndexedRedis.collections.base import RedisCollection, asyncName

    classes, todo = [], [RedisCollection]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    for cls in classes:
        for name in dir(cls):
            plain = getattr(cls, name, None)
            twin = asyncName(name)
            if getattr(plain, "plan", None) is not None and twin and hasattr(cls, twin):
                yield cls, name, getattr(cls, twin), plain


HANG_AFTER = 300  # seconds an awaited twin may take in the api fixture before the test fails


@pytest.fixture(params=["sync", "async"])
def api(request, monkeypatch):
    """Runs the test once as written and once through the asyncio API: in the ``async`` run every
    sync operation listed in TWINS (and ``Model.reset``) is replaced by a call that runs its
    awaited twin on an event loop of the test, so the same test body checks both executors.
    An async twin that called blocking sync code inside the loop would fail here (the loop is
    already running)."""
    if request.param == "sync":
        yield "sync"
        return
    marker = request.node.get_closest_marker("sync_only")
    if marker is not None:
        pytest.skip(marker.args[0] if marker.args else "runs against the sync API only")
    import asyncio

    from IndexedRedis import IndexedRedisModel, aclose

    loop = asyncio.new_event_loop()
    pid, tid = os.getpid(), threading.get_ident()

    def through(twin, plain):
        def call(self, *args, **kwargs):
            if os.getpid() != pid or threading.get_ident() != tid or _inHook:
                # a forked writer process or a thread of the test, or a test's hook run inside an
                # operation (execute_spy): they use the sync API
                return plain(self, *args, **kwargs)
            task = loop.create_task(twin(self, *args, **kwargs))
            done, _ = loop.run_until_complete(asyncio.wait({task}, timeout=HANG_AFTER))
            if not done:  # a hang fails this test, with what every task of the loop was waiting for
                import sys

                for t in asyncio.all_tasks(loop):
                    t.print_stack(file=sys.stderr)
                task.cancel()
                pytest.fail(f"{twin.__name__} did not finish in {HANG_AFTER} s; the loop's task stacks are on stderr")
            return task.result()

        call.__name__ = twin.__name__
        if hasattr(plain, "plan"):
            call.plan = plain.plan  # a collection operation's plan, used by other plans
        return call

    patches = [(cls, name, getattr(cls, "a" + name), getattr(cls, name)) for cls, names in _twinClasses() for name in names]
    patches += list(_collectionTwins())
    for cls, name, twin, plain in patches:
        monkeypatch.setattr(cls, name, through(twin, plain))
    reset = through(IndexedRedisModel.areset.__func__, IndexedRedisModel.reset.__func__)
    monkeypatch.setattr(IndexedRedisModel, "reset", classmethod(reset))
    try:
        yield "async"
    finally:
        loop.run_until_complete(aclose())
        loop.close()


@pytest.fixture
def execute_spy(monkeypatch):
    """``execute_spy(before=None, after=None)`` wraps the ``execute`` of both executors (each call
    a plan yields): ``before(call)`` returns ``(times, error)``, how many times to send the call
    (0, 1, 2...) and an exception to raise afterwards instead of the reply (or None);
    ``after(call)`` runs once the call was sent. Returns a function that puts the real ones back."""
    from IndexedRedis.executors import async_, sync

    realSync, realAsync = sync.execute, async_.execute

    def hooked(fn, call):
        _inHook.append(True)
        try:
            return fn(call)
        finally:
            _inHook.pop()

    def install(before=None, after=None):
        def plan(call):
            return hooked(before, call) if before is not None else (1, None)

        def syncExecute(call, client, layout):
            times, error = plan(call)
            reply = None
            for _ in range(times):
                reply = realSync(call, client, layout)
            if after is not None:
                hooked(after, call)
            if error is not None:
                raise error
            return reply

        async def asyncExecute(call, client, layout):
            times, error = plan(call)
            reply = None
            for _ in range(times):
                reply = await realAsync(call, client, layout)
            if after is not None:
                hooked(after, call)
            if error is not None:
                raise error
            return reply

        monkeypatch.setattr(sync, "execute", syncExecute)
        monkeypatch.setattr(async_, "execute", asyncExecute)

        def restore():
            monkeypatch.setattr(sync, "execute", realSync)
            monkeypatch.setattr(async_, "execute", realAsync)

        return restore

    return install
