"""What both executors share: no I/O here.

The generation check (``StaleGeneration``, ``ModelLocked``), the retry policy for calls that fail
with a timeout or a dropped connection, the EVALSHA arguments of a script call, the wait for a
model's lock (a plan of its own, ``waitUnlockedOp``), and the errors an operation raises. The sync
executor (``sync.py``) and the asyncio one (``async_.py``) differ only in how they send a call
and wait for its reply.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import redis
from redis.exceptions import NoScriptError, ResponseError

from .. import scripts
from ..exceptions import ConcurrentWriteError, DefinitionMismatchError, RedisOperationError, WriteOutcomeUnknownError
from ..keys import KeyLayout
from ..plans import Call, Op, Pause

MAX_GENERATION_RETRIES = 10

# Retries of calls that fail with a timeout or a dropped connection (redis-py's own retries are
# switched off in connection.py, so a write is never sent twice behind our back).
RETRIES = 3  # tries after the first
BACKOFF = (0.05, 0.2, 0.5)  # seconds to wait before each retry

LOCK_WAIT_LIMIT = 600.0  # seconds a call waits for a model's lock before giving up


class StaleGeneration(Exception):
    """The model's data moved to another generation (or a migration began or ended) while an
    operation was planned; ``pointer`` is the pointer's value now."""

    def __init__(self, gen: int, pointer: Optional[bytes] = None) -> None:
        super().__init__(gen)
        self.gen = gen
        self.pointer = pointer


class ModelLocked(Exception):
    """The model is locked by an operation done in bounded steps (bigops.py); wait for it."""

    def __init__(self, value: bytes) -> None:
        super().__init__(value)
        self.value = value


class OutcomeUnknown(WriteOutcomeUnknownError):
    """A write call was sent and no try could tell whether it ran (carries the call); the
    executor turns it into the WriteOutcomeUnknownError naming the operation and the model."""

    def __init__(self, call: Call, cause: BaseException) -> None:
        super().__init__(str(cause), call.pks)
        self.call = call
        self.cause = cause


def pointer(value: Any) -> int:
    """The generation a pointer value (``<gen>[M<target>][L<token>]``, see keys.py) names,
    raising ModelLocked for a locked one."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = value.encode()
    if b"L" in value:
        raise ModelLocked(value)
    return int(value.split(b"M", 1)[0])


_pointer = pointer  # the name migrate.py imports


def staleGen(exc: ResponseError) -> Optional[StaleGeneration]:
    """The StaleGeneration an ``IRSTALE <pointer>`` script error stands for, or None for any other error."""
    text = str(exc)
    if text.startswith("IRSTALE "):
        raw = text.split()[1].encode()
        return StaleGeneration(pointer(raw), raw)
    return None


def refused(call: Call, layout: KeyLayout) -> None:
    """Raise DefinitionMismatchError for a write through a layout whose data follows another
    definition of the model (schema.checkDefinition)."""
    if layout.refuse is not None and not call.anyGen and isWrite(call):
        raise DefinitionMismatchError(layout.refuse)


def logged(call: Call, layout: KeyLayout, checkGen: bool) -> bool:
    """Whether a script call goes with a redo.lua call (a write while a migration runs)."""
    return checkGen and layout.logTo is not None and isWrite(call)


def redoCommand(call: Call, layout: KeyLayout, evalsha: tuple) -> tuple:
    """The redo.lua call sent in the same MULTI/EXEC as a write script call while a migration runs:
    it adds the call's known pks to the redo log (``layout.logTo``) and checks the same pointer and
    planned generation, so the pks are logged exactly when the write runs. Sent with EVAL, so that
    it cannot fail with NOSCRIPT while the write beside it runs (pks the call hands out itself, new
    objects, are found by the migration from the pk counter)."""
    pks = [pk for pk in call.pks if pk is not None]
    genArg = evalsha[-1]
    if layout.ext is not None:  # 'GEN|nKeys|nArgs': redo.lua gets no extension block
        genArg = genArg.rsplit(b"|", 2)[0]
    return ("EVAL", scripts.REDO_SOURCE, 2, layout.logTo, layout.genKey, *pks, genArg)


def isNoScript(reply: Any) -> bool:
    return isinstance(reply, NoScriptError) or (isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT"))


def loggedReply(reply: Any) -> Any:
    """The reply of a logged write (raising its error, or StaleGeneration)."""
    if isinstance(reply, ResponseError):
        stale = staleGen(reply)
        if stale is None:
            raise reply
        raise stale
    return reply


_WRITE_COMMANDS = frozenset(
    (b"INCR", b"INCRBY", b"SET", b"DEL", b"UNLINK", b"EXPIRE", b"SADD", b"SREM", b"HSET", b"HDEL", b"RENAME", b"FLUSHDB")
)


def isWrite(call: Call) -> bool:
    """Whether the call may change data (scripts other than the read scripts, write commands)."""
    if call.script is not None:
        return call.script not in (
            scripts.FETCH,
            scripts.KEYED,
            scripts.ROWS,
            scripts.QUERY,
            scripts.UNIQUE_GET,
            scripts.CACHED_GET,
            scripts.CACHED_MULTI_GET,
            scripts.MULTI_GET,
        )
    commands = [call.command] if call.command is not None else list(call.pipeline or ())
    return any(_commandName(c) in _WRITE_COMMANDS for c in commands)


def _commandName(cmd: Any) -> bytes:
    name = cmd[0]
    return (name if isinstance(name, bytes) else str(name).encode()).upper()


def neverSent(exc: BaseException) -> bool:
    """True when the error happened while connecting, so the call cannot have reached Redis."""
    text = str(exc)
    return "connecting to" in text or "Timeout connecting" in text or "Connection refused" in text


CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def retryDecision(call: Call, exc: BaseException, attempt: int) -> Optional[float]:
    """After a connection error on try ``attempt`` (0 first): the pause before sending ``call``
    again, or None to give up (then ``giveUp`` says what to raise)."""
    sent = not neverSent(exc)
    if attempt >= RETRIES or (sent and not call.retrySafe):
        return None
    return BACKOFF[min(attempt, len(BACKOFF) - 1)]


def giveUp(call: Call, exc: BaseException) -> BaseException:
    """What a call that failed for good raises: OutcomeUnknown for a write that may have run."""
    if not neverSent(exc) and isWrite(call):
        return OutcomeUnknown(call, exc)
    return exc


def scriptFor(call: Call, layout: KeyLayout) -> Any:
    """The script a call runs: its own, or for a model without an extension block (no
    UNIQUE_FIELDS / EXPIRE) the plain variant of it when there is one (scripts.PLAIN)."""
    if layout.ext is None:
        plain = scripts.PLAIN.get(call.script)
        if plain is not None:
            return plain
    return call.script


def scriptArgs(call: Call, layout: KeyLayout, genArg: Any) -> tuple:
    """The EVALSHA command of a script call: its keys, the token key (save/delete), the generation
    pointer; its args, the token flag, the planned generation."""
    keys = list(call.keys)
    args = list(call.args)
    if call.token is not None:
        keys.append(layout.op(call.token))
        args.append(b"1" if call.token else b"0")
    keys.append(layout.genKey)
    gen = call.genArg if call.genArg is not None and genArg != "*" else genArg
    ext = layout.ext
    if ext is not None:
        # UNIQUE_FIELDS / EXPIRE: the model's extension block before the generation pointer, and
        # its size in the planned generation's argument (lib.lua takes it off again).
        extKeys, extArgs = ext
        keys[-1:-1] = extKeys
        args.extend(extArgs)
        args.extend(call.extArgs)
        gen = (gen.encode() if isinstance(gen, str) else gen) + b"|%d|%d" % (len(extKeys), len(extArgs) + len(call.extArgs))
    args.append(gen)
    return ("EVALSHA", scriptFor(call, layout).sha, len(keys), *keys, *args)


def commandsOf(call: Call) -> list:
    """The plain commands of a command or pipeline call."""
    return [call.command] if call.command is not None else list(call.pipeline or ())


def checkedReplies(call: Call, layout: KeyLayout, replies: list) -> Any:
    """The reply of a generation-checked command call, sent as MULTI/EXEC after ``GET`` of the
    generation pointer (``replies[0]``); StaleGeneration if the pointer moved."""
    if call.genArg is None or replies[0] != call.genArg:
        gen = pointer(replies[0])
        if gen != layout.gen:
            raise StaleGeneration(gen, replies[0])
    return replies[1] if call.command is not None else replies[1:]


def waitUnlockedOp(base: KeyLayout, value: bytes, what: str, modelName: str) -> Op:
    """Wait until the model's lock (generation pointer ``value``) is given back; return the
    pointer's value then (None: absent, generation 0). A lock whose holder's lease ran out (the holder died) is freed.
    Yields ``Pause`` between two looks; every call is outside the generation check."""
    deadline = time.monotonic() + LOCK_WAIT_LIMIT
    pause = 0.002
    while True:
        current, alive = yield Call(pipeline=[("GET", base.genKey), ("EXISTS", base.lockKey)], transaction=True, anyGen=True)
        if current != value:
            try:
                pointer(current)
                return current
            except ModelLocked as other:
                value = other.value  # locked again, by another operation
                continue
        if not alive:
            yield Call(script=scripts.UNLOCK, keys=[base.lockKey], args=[value, b"1"], anyGen=True)
            continue
        if time.monotonic() > deadline:
            raise ConcurrentWriteError(
                f"{what} on model {modelName}: the model stayed locked by an operation done in steps (a big delete, "
                f"save or reindex) for over {LOCK_WAIT_LIMIT:.0f} s; retry later"
            )
        yield Pause(pause)
        pause = min(pause * 2, 0.05)


def outcomeUnknownError(unknown: OutcomeUnknown, what: str, modelName: str) -> WriteOutcomeUnknownError:
    """The error for a write that may or may not have run."""
    pks = list(unknown.call.pks)
    known = [pk for pk in pks if pk is not None]
    which = f"pks {known}" if known else ""
    new = len(pks) - len(known)
    if new:
        which += (" and " if which else "") + f"{new} new object(s)"
    return WriteOutcomeUnknownError(
        f"{what} on model {modelName}: the write was sent ({which or 'no objects'}) but Redis did not answer after "
        f"{RETRIES + 1} tries ({type(unknown.cause).__name__}: {unknown.cause}); it may or may not have been written. "
        "Saving or deleting the same objects again is safe: new objects keep the token of this write and are never "
        "stored twice.",
        pks,
    )


def redisError(exc: BaseException, what: str, modelName: str) -> RedisOperationError:
    """The IndexedRedis exception for a redis-py error during ``what`` on ``modelName``."""
    kind = type(exc).__name__
    hint = ""
    if isinstance(exc, CONNECTION_ERRORS):
        hint = (
            " Check that Redis is running and the model's connection params"
            " (setDefaultRedisConnectionParams, REDIS_URL) point at it."
        )
    text = str(exc).rstrip(".")
    return RedisOperationError(f"{what} on model {modelName} failed: {kind}: {text}.{hint}")


def tooManyResets(what: str, modelName: str) -> ConcurrentWriteError:
    return ConcurrentWriteError(f"{what} on model {modelName}: the dataset kept being replaced (reset) while it ran; retry")


__all__ = [
    "BACKOFF",
    "CONNECTION_ERRORS",
    "LOCK_WAIT_LIMIT",
    "MAX_GENERATION_RETRIES",
    "RETRIES",
    "ModelLocked",
    "OutcomeUnknown",
    "StaleGeneration",
    "checkedReplies",
    "commandsOf",
    "giveUp",
    "isNoScript",
    "isWrite",
    "logged",
    "loggedReply",
    "outcomeUnknownError",
    "pointer",
    "redisError",
    "redoCommand",
    "refused",
    "retryDecision",
    "scriptArgs",
    "staleGen",
    "tooManyResets",
    "waitUnlockedOp",
]
