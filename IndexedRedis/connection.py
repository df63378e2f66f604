"""Connection parameters and the redis-py connection pools models share.

Parameters are a dict: ``host``, ``port``, ``db``, ``password``, ``username``, ``ssl``,
``socket_timeout``, ``socket_connect_timeout``, ``url`` (``redis://...``, ``rediss://...``,
``unix://...``), or any other keyword ``redis.ConnectionPool`` takes (for example
``connection_class`` and ``server`` to run on fakeredis; the asyncio API takes
``async_connection_class`` instead of ``connection_class`` when both are given). When nothing was set,
``REDIS_URL`` from the environment is the default, else ``redis://127.0.0.1:6379/0``.

Replies are always bytes (``decode_responses`` is forced off): fields decode their own values.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from typing import Any, Dict, Optional, Tuple

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from .exceptions import InvalidModelException, InvalidValueError

_DEFAULT_PARAMS: Dict[str, Any] = {}
_explicit_defaults = False
_pools: Dict[Any, redis.ConnectionPool] = {}
_lock = threading.Lock()
# redis.asyncio pools belong to one event loop: loop -> {params key: (pool, client)}. A loop that
# is garbage collected takes its pools with it; aclose() closes those of the running loop.
_asyncPools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[Any, Tuple[Any, Any]]]" = weakref.WeakKeyDictionary()
_closing: set = set()  # tasks closing async pools, kept referenced until done
_generation = 0  # bumped whenever defaults or pools change, so cached clients are rebuilt

_BUILTIN_DEFAULTS = {"host": "127.0.0.1", "port": 6379, "db": 0}


def setDefaultRedisConnectionParams(params: Dict[str, Any]) -> None:
    """Set the connection parameters every model uses unless it overrides them.

    Pools built from the previous defaults are closed.
    """
    global _DEFAULT_PARAMS, _explicit_defaults, _generation
    if not isinstance(params, dict):
        raise InvalidValueError(
            f"setDefaultRedisConnectionParams takes a dict, such as {{'host': 'localhost', 'port': 6379, 'db': 0}} "
            f"or {{'url': 'redis://localhost:6379/0'}}; got {type(params).__name__} {params!r:.60}"
        )
    _DEFAULT_PARAMS = dict(params)
    _explicit_defaults = True
    clearRedisPools()


def getDefaultRedisConnectionParams() -> Dict[str, Any]:
    """Return a copy of the default connection parameters in force."""
    if _explicit_defaults:
        return dict(_DEFAULT_PARAMS)
    url = os.environ.get("REDIS_URL")
    if url:
        return {"url": url}
    return dict(_BUILTIN_DEFAULTS)


def resolveParams(modelParams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Merge a model's REDIS_CONNECTION_PARAMS over the defaults, key by key.

    A ``url`` in the model's params replaces the defaults' host/port/db/url entirely.
    """
    base = getDefaultRedisConnectionParams()
    if not modelParams:
        return base
    if "url" in modelParams:
        for key in ("host", "port", "db", "url", "unix_socket_path", "path"):
            base.pop(key, None)
    elif "url" in base:
        # Expand a URL default into its parts, so that each key the model gives (db, password,
        # username, socket_timeout...) overrides that part, as with a host/port/db default.
        base = {**_paramsFromUrl(base.pop("url")), **base}
    base.update(modelParams)
    return base


def _paramsFromUrl(url: str) -> Dict[str, Any]:
    kwargs = redis.connection.parse_url(url)
    return dict(kwargs)


def _poolKey(params: Dict[str, Any]) -> Any:
    items = []
    for k, v in sorted(params.items()):
        try:
            hash(v)
        except TypeError:
            v = repr(v)
        items.append((k, v))
    return tuple(items)


def getRedisPool(params: Optional[Dict[str, Any]] = None) -> redis.ConnectionPool:
    """Return the connection pool for these (already merged) params, shared per distinct params."""
    if params is None:
        params = getDefaultRedisConnectionParams()
    key = _poolKey(params)
    pool = _pools.get(key)
    if pool is not None:
        return pool
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _buildPool(params)
            _pools[key] = pool
    return pool


def _poolKwargs(params: Dict[str, Any]) -> Dict[str, Any]:
    kwargs = dict(params)
    kwargs["decode_responses"] = False
    # IndexedRedis retries calls itself, only where sending one again is safe (executor.py); a
    # connection that retried by itself could run a write twice.
    kwargs.pop("retry_on_timeout", None)
    kwargs.pop("retry_on_error", None)
    kwargs["retry"] = Retry(NoBackoff(), 0)
    kwargs.pop("async_connection_class", None)
    return kwargs


def _buildPool(params: Dict[str, Any]) -> redis.ConnectionPool:
    kwargs = _poolKwargs(params)
    url = kwargs.pop("url", None)
    if kwargs.pop("ssl", False):
        kwargs.setdefault("connection_class", redis.SSLConnection)
    try:
        if url is not None:
            pool = redis.ConnectionPool.from_url(url, **kwargs)
        else:
            pool = redis.ConnectionPool(**kwargs)
        # Connections are made lazily; build one (no socket is opened) so that a misspelt
        # parameter fails here, named, rather than as a TypeError inside the first command.
        pool.connection_class(**pool.connection_kwargs)
    except (TypeError, ValueError) as exc:
        raise InvalidModelException(f"Invalid Redis connection parameters {_redact(params)!r}: {exc}") from exc
    return pool


def _redact(params: Dict[str, Any]) -> Dict[str, Any]:
    """The params as shown in an error message: no password."""
    out = dict(params)
    if out.get("password"):
        out["password"] = "***"
    url = out.get("url")
    if isinstance(url, str) and "@" in url:
        scheme, _, rest = url.partition("://")
        out["url"] = f"{scheme}://***@{rest.rpartition('@')[2]}"
    return out


def getRedisConnection(params: Optional[Dict[str, Any]] = None) -> redis.Redis:
    """Return a ``redis.Redis`` client on the shared pool for ``params``."""
    return redis.Redis(connection_pool=getRedisPool(params))


def getAsyncRedisConnection(params: Optional[Dict[str, Any]] = None) -> Any:
    """Return a ``redis.asyncio.Redis`` client for ``params`` on the running event loop's pool
    for them: one pool per event loop and distinct params (a pool cannot serve two loops)."""
    if params is None:
        params = getDefaultRedisConnectionParams()
    loop = asyncio.get_running_loop()
    key = _poolKey(params)
    perLoop = _asyncPools.get(loop)
    if perLoop is None:
        perLoop = _asyncPools.setdefault(loop, {})
    found = perLoop.get(key)
    if found is None:
        pool = _buildAsyncPool(params)
        found = perLoop[key] = (pool, redis.asyncio.Redis(connection_pool=pool))
    return found[1]


def _buildAsyncPool(params: Dict[str, Any]) -> Any:
    from redis.asyncio.retry import Retry as AsyncRetry

    kwargs = _poolKwargs(params)
    kwargs["retry"] = AsyncRetry(NoBackoff(), 0)
    if params.get("async_connection_class") is not None:
        kwargs["connection_class"] = params["async_connection_class"]
    url = kwargs.pop("url", None)
    if kwargs.pop("ssl", False):
        kwargs.setdefault("connection_class", redis.asyncio.SSLConnection)
    cls = kwargs.get("connection_class")
    if cls is not None and not issubclass(cls, redis.asyncio.connection.AbstractConnection):
        raise InvalidModelException(
            f"Invalid Redis connection parameters {_redact(params)!r}: connection_class {cls.__name__} is a blocking "
            "connection, which the asyncio API cannot use; give a redis.asyncio connection class "
            "as async_connection_class (for fakeredis: fakeredis.aioredis.FakeAsyncRedisConnection)"
        )
    # Tasks beyond max_connections (100 unless the params say) wait for a free connection instead
    # of failing: a web app may well run more concurrent requests than that.
    kwargs.setdefault("max_connections", 100)
    try:
        if url is not None:
            pool = redis.asyncio.BlockingConnectionPool.from_url(url, **kwargs)
        else:
            pool = redis.asyncio.BlockingConnectionPool(**kwargs)
        pool.connection_class(**pool.connection_kwargs)
    except (TypeError, ValueError) as exc:
        raise InvalidModelException(f"Invalid Redis connection parameters {_redact(params)!r}: {exc}") from exc
    return pool


async def aclose() -> None:
    """Close every redis.asyncio pool of the running event loop (their connections are closed;
    the next awaited operation opens new ones). Call it before the loop ends, for example at
    the end of ``main()`` or in an application's shutdown hook."""
    pools = _asyncPools.pop(asyncio.get_running_loop(), {})
    for pool, client in pools.values():
        await client.aclose(close_connection_pool=False)
        await pool.disconnect()


def connectionGeneration() -> int:
    """A number that changes whenever defaults or pools change (for caching clients)."""
    return _generation


def clearRedisPools() -> None:
    """Disconnect and forget every pool (for example after fork, or between tests)."""
    global _generation
    with _lock:
        _generation += 1
        pools = list(_pools.values())
        _pools.clear()
    try:
        running: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    # The asyncio pools of the running loop (when called from async code) are closed on that loop
    # as soon as the caller yields; another loop's pools are left to it (its own aclose()): they
    # cannot be awaited from here, and they are keyed by params, so new params get new pools.
    perLoop = _asyncPools.pop(running, None) if running is not None else None
    for pool, _client in (perLoop or {}).values():
        task = running.create_task(pool.disconnect())  # type: ignore[union-attr]
        _closing.add(task)
        task.add_done_callback(_closing.discard)
    for pool in pools:
        try:
            pool.disconnect()
        except Exception:  # pragma: no cover - best effort on shutdown
            pass


__all__ = [
    "aclose",
    "clearRedisPools",
    "connectionGeneration",
    "getAsyncRedisConnection",
    "getDefaultRedisConnectionParams",
    "getRedisConnection",
    "getRedisPool",
    "resolveParams",
    "setDefaultRedisConnectionParams",
]
