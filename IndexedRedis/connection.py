"""Connection parameters and the redis-py connection pools models share.

Parameters are a dict: ``host``, ``port``, ``db``, ``password``, ``username``, ``ssl``,
``socket_timeout``, ``socket_connect_timeout``, ``url`` (``redis://...``, ``rediss://...``,
``unix://...``), or any other keyword ``redis.ConnectionPool`` takes (for example
``connection_class`` and ``server`` to run on fakeredis). When nothing was set,
``REDIS_URL`` from the environment is the default, else ``redis://127.0.0.1:6379/0``.

Replies are always bytes (``decode_responses`` is forced off): fields decode their own values.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, Optional

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .exceptions import InvalidModelException, InvalidValueError

_DEFAULT_PARAMS: Dict[str, Any] = {}
_explicit_defaults = False
_pools: Dict[Any, redis.ConnectionPool] = {}
_lock = threading.Lock()
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


def _buildPool(params: Dict[str, Any]) -> redis.ConnectionPool:
    kwargs = dict(params)
    kwargs["decode_responses"] = False
    kwargs.pop("ir_cache", None)  # IndexedRedis's read cache (readcache.py), not a redis-py setting
    # IndexedRedis retries calls itself, only where sending one again is safe (executor.py); a
    # connection that retried by itself could run a write twice.
    kwargs.pop("retry_on_timeout", None)
    kwargs.pop("retry_on_error", None)
    kwargs["retry"] = Retry(NoBackoff(), 0)
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


class IRRedis(redis.Redis):
    """``redis.Redis`` with a short path for the script calls IndexedRedis sends (``EVALSHA``).

    A script reply needs no response callback, and IndexedRedis retries calls itself (the pool's
    connections have ``Retry(NoBackoff(), 0)``), so the command is sent and its reply read on a
    connection of the pool directly, leaving out redis-py's per-command retry wrapper and
    operation recording (about a fifth of the client's CPU time per call). A connection that
    fails is disconnected before the error propagates, as redis-py does; every other command,
    and every call with options, goes the usual way.
    """

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if options or args[0] != "EVALSHA" or self.connection is not None:
            return super().execute_command(*args, **options)
        pool = self.connection_pool
        conn = pool.get_connection()
        try:
            conn.send_command(*args)
            return conn.read_response()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            conn.disconnect()
            raise
        finally:
            pool.release(conn)


def getRedisConnection(params: Optional[Dict[str, Any]] = None) -> redis.Redis:
    """Return a ``redis.Redis`` client (an ``IRRedis``) on the shared pool for ``params``."""
    return IRRedis(connection_pool=getRedisPool(params))


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
    for pool in pools:
        try:
            pool.disconnect()
        except Exception:  # pragma: no cover - best effort on shutdown
            pass


__all__ = [
    "clearRedisPools",
    "connectionGeneration",
    "getDefaultRedisConnectionParams",
    "getRedisConnection",
    "getRedisPool",
    "resolveParams",
    "setDefaultRedisConnectionParams",
]
