"""The synchronous executor: runs the ``Call`` objects that plan generators yield.

Redis errors become ``RedisOperationError`` naming the operation and the model, with the
redis-py exception chained.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.exceptions import RedisError

from .exceptions import RedisOperationError
from .plans import Call, Op


def execute(call: Call, client: redis.Redis) -> Any:
    """Send one call and return its reply."""
    if call.script is not None:
        return call.script(keys=call.keys, args=call.args, client=client)
    if call.command is not None:
        return client.execute_command(*call.command)
    pipe = client.pipeline(transaction=call.transaction)
    for cmd in call.pipeline or ():
        pipe.execute_command(*cmd)
    return pipe.execute()


def runSync(op: Op, client: redis.Redis, what: str, modelName: str) -> Any:
    """Drive a plan generator to completion against ``client``; return its result."""
    try:
        call = next(op)
        while True:
            try:
                reply = execute(call, client)
            except RedisError as exc:
                raise redisError(exc, what, modelName) from exc
            call = op.send(reply)
    except StopIteration as stop:
        return stop.value


def redisError(exc: BaseException, what: str, modelName: str) -> RedisOperationError:
    """The IndexedRedis exception for a redis-py error during ``what`` on ``modelName``."""
    kind = type(exc).__name__
    hint = ""
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        hint = " Check that Redis is running and the model's connection params (setDefaultRedisConnectionParams, REDIS_URL) point at it."
    return RedisOperationError(f"{what} on model {modelName} failed: {kind}: {exc}.{hint}")


__all__ = ["execute", "redisError", "runSync"]
