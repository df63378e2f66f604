"""The synchronous executor: runs the ``Call`` objects that plan generators yield.

It also keeps reads and writes on the current generation of the model's data (see keys.py):
every script call gets the generation pointer as its last key and the generation the client
believes current as its last argument, and the script answers ``IRSTALE <gen>`` when they
differ; every plain command is sent inside MULTI/EXEC after a GET of the pointer. On a stale
generation the whole operation is planned again for the new generation, so one operation
always sees one generation: readers never mix the datasets before and after a ``reset``.

While a migration runs (pointer ``<N>M<M>``, see migrate.py), each write script call of the
current generation is sent in one MULTI/EXEC behind a redo.lua call that adds the call's pks to
the migration's redo log: both run, or neither (both check the same pointer).

Redis errors become ``RedisOperationError`` naming the operation and the model, with the
redis-py exception chained.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional, cast

import redis
from redis.exceptions import NoScriptError, RedisError, ResponseError

from .exceptions import ConcurrentWriteError, DefinitionMismatchError, RedisOperationError, WriteOutcomeUnknownError
from .keys import KeyLayout
from .plans import Call, Op

MAX_GENERATION_RETRIES = 10


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


def _pointer(value: Any) -> int:
    """The generation a pointer value (``<gen>[M<target>][L<token>]``, see keys.py) names,
    raising ModelLocked for a locked one."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = value.encode()
    if b"L" in value:
        raise ModelLocked(value)
    return int(value.split(b"M", 1)[0])


def _staleGen(exc: ResponseError) -> Optional[StaleGeneration]:
    text = str(exc)
    if text.startswith("IRSTALE "):
        raw = text.split()[1].encode()
        return StaleGeneration(_pointer(raw), raw)
    return None


# Retries of calls that fail with a timeout or a dropped connection (redis-py's own retries are
# switched off in connection.py, so a write is never sent twice behind our back).
RETRIES = 3  # tries after the first
BACKOFF = (0.05, 0.2, 0.5)  # seconds to wait before each retry


class OutcomeUnknown(WriteOutcomeUnknownError):
    """A write call was sent and no try could tell whether it ran (carries the call); runSync
    turns it into the WriteOutcomeUnknownError naming the operation and the model."""

    def __init__(self, call: Call, cause: BaseException) -> None:
        super().__init__(str(cause), call.pks)
        self.call = call
        self.cause = cause


_WRITE_COMMANDS = frozenset(
    (b"INCR", b"INCRBY", b"SET", b"DEL", b"UNLINK", b"EXPIRE", b"SADD", b"SREM", b"HSET", b"HDEL", b"RENAME", b"FLUSHDB")
)


def isWrite(call: Call) -> bool:
    """Whether the call may change data (scripts other than the read scripts, write commands)."""
    from . import scripts

    if call.script is not None:
        return call.script not in (scripts.FETCH, scripts.KEYED, scripts.ROWS, scripts.QUERY, scripts.UNIQUE_GET)
    commands = [call.command] if call.command is not None else list(call.pipeline or ())
    return any(_commandName(c) in _WRITE_COMMANDS for c in commands)


def _commandName(cmd: Any) -> bytes:
    name = cmd[0]
    return (name if isinstance(name, bytes) else str(name).encode()).upper()


def _neverSent(exc: BaseException) -> bool:
    """True when the error happened while connecting, so the call cannot have reached Redis."""
    text = str(exc)
    return "connecting to" in text or "Timeout connecting" in text or "Connection refused" in text


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
    return ("EVALSHA", call.script.sha, len(keys), *keys, *args)


def execute(call: Call, client: redis.Redis, layout: KeyLayout) -> Any:
    """Send one call for the generation of ``layout`` and return its reply.

    A call that fails with a timeout or a dropped connection is sent again (``RETRIES`` times,
    waiting ``BACKOFF``) when that is safe (``call.retrySafe``); a write that may have run but
    could not be confirmed raises OutcomeUnknown.
    """
    if layout.refuse is not None and not call.anyGen and isWrite(call):
        raise DefinitionMismatchError(layout.refuse)
    attempt = 0
    while True:
        try:
            return _send(call, client, layout)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            sent = not _neverSent(exc)
            if attempt >= RETRIES or (sent and not call.retrySafe):
                if sent and isWrite(call):
                    raise OutcomeUnknown(call, exc) from exc
                raise
            time.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            attempt += 1


def _send(call: Call, client: redis.Redis, layout: KeyLayout) -> Any:
    checkGen = not call.anyGen
    if call.script is not None:
        script = call.script
        evalsha = scriptArgs(call, layout, layout.genArg if checkGen else "*")
        if checkGen and layout.logTo is not None and isWrite(call):
            return _sendLogged(call, client, layout, evalsha)
        try:
            try:
                return client.execute_command(*evalsha)
            except NoScriptError:
                # First use on this server (or after SCRIPT FLUSH): load it, then run it once more.
                client.script_load(script.script)
                return client.execute_command(*evalsha)
        except ResponseError as exc:
            stale = _staleGen(exc)
            if stale is None:
                raise
            raise stale from None
    commands = [call.command] if call.command is not None else list(call.pipeline or ())
    if not checkGen:
        if call.command is not None:
            return client.execute_command(*call.command)
        pipe = client.pipeline(transaction=call.transaction)
        for cmd in commands:
            pipe.execute_command(*cmd)
        return pipe.execute()
    pipe = client.pipeline(transaction=True)
    pipe.execute_command("GET", layout.genKey)
    for cmd in commands:
        pipe.execute_command(*cmd)
    replies = pipe.execute()
    if call.genArg is None or replies[0] != call.genArg:
        gen = _pointer(replies[0])
        if gen != layout.gen:
            raise StaleGeneration(gen, replies[0])
    return replies[1] if call.command is not None else replies[1:]


def _sendLogged(call: Call, client: redis.Redis, layout: KeyLayout, evalsha: tuple) -> Any:
    """A write script call made while a migration runs: MULTI, redo.lua adding the call's known
    pks to the redo log (``layout.logTo``), the call, EXEC. redo.lua checks the same pointer and
    planned generation as the call, so the pks are logged exactly when the write runs; it is sent
    with EVAL, so that it cannot fail with NOSCRIPT while the write beside it runs. (pks that the
    call hands out itself, new objects, are found by the migration from the pk counter.)"""
    from . import scripts

    pks = [pk for pk in call.pks if pk is not None]
    genArg = evalsha[-1]
    if layout.ext is not None:  # 'GEN|nKeys|nArgs': redo.lua gets no extension block
        genArg = genArg.rsplit(b"|", 2)[0]
    redo = ("EVAL", scripts.REDO_SOURCE, 2, layout.logTo, layout.genKey, *pks, genArg)
    for _attempt in range(2):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command(*redo)
        pipe.execute_command(*evalsha)
        try:
            logged, reply = pipe.execute(raise_on_error=False)
        except NoScriptError:  # pragma: no cover - redis-py raises the first error of a failed EXEC
            reply = NoScriptError("NOSCRIPT")
        if isinstance(reply, NoScriptError) or (isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT")):
            # First use of the write script on this server: it did not run (redo.lua may have
            # logged its pks: harmless, they are copied once more); load it and send the pair again.
            client.script_load(call.script.script)
            continue
        if isinstance(reply, ResponseError):
            stale = _staleGen(reply)
            if stale is None:
                raise reply
            raise stale
        if isinstance(logged, ResponseError) and pks:  # pragma: no cover - e.g. OOM on the log alone
            client.sadd(cast(bytes, layout.logTo), *pks)  # the write ran: its pks must reach the log
        return reply
    raise ResponseError("NOSCRIPT the scripts could not be loaded")  # pragma: no cover


def drive(op: Op, client: redis.Redis, layout: KeyLayout) -> Any:
    """Run one plan generator to completion; StaleGeneration propagates.

    A write whose outcome is unknown is thrown into the plan, which may note it (for example on
    the objects it saves) before it propagates.
    """
    try:
        call = next(op)
        while True:
            try:
                reply = execute(call, client, layout)
            except OutcomeUnknown as unknown:
                call = op.throw(unknown)
                continue
            call = op.send(reply)
    except StopIteration as stop:
        return stop.value


def runSync(opFactory: Callable[[KeyLayout], Op], schema: Any, what: str, client: Optional[redis.Redis] = None) -> Any:
    """Plan and run an operation against the model's current generation; return its result.

    ``opFactory(layout)`` returns the plan generator for a generation's key layout.
    """
    client = client if client is not None else schema.client()
    gen = schema.knownGeneration(client)
    try:
        tries = 0
        while tries < MAX_GENERATION_RETRIES:
            try:
                layout = schema.layoutFor(gen, schema.knownPointer(client))
                return drive(opFactory(layout), client, layout)
            except StaleGeneration as stale:
                tries += 1
                if stale.gen != gen:
                    schema.checkDefinition(client, stale.gen)
                gen = stale.gen
                schema.rememberGeneration(client, gen, stale.pointer)
            except ModelLocked as locked:
                pointer = waitUnlocked(client, schema.layout, locked.value, what, schema.modelName)
                if _pointer(pointer) != gen:
                    schema.checkDefinition(client, _pointer(pointer))
                gen = _pointer(pointer)
                schema.rememberGeneration(client, gen, pointer)
    except OutcomeUnknown as unknown:
        raise outcomeUnknownError(unknown, what, schema.modelName) from unknown.cause
    except RedisError as exc:
        raise redisError(exc, what, schema.modelName) from exc
    raise ConcurrentWriteError(f"{what} on model {schema.modelName}: the dataset kept being replaced (reset) while it ran; retry")


LOCK_WAIT_LIMIT = 600.0  # seconds a call waits for a model's lock before giving up


def waitUnlocked(client: redis.Redis, base: KeyLayout, value: bytes, what: str, modelName: str) -> Optional[bytes]:
    """Wait until the model's lock (generation pointer ``value``) is given back; return the
    pointer's value then (None: absent, generation 0). A lock whose holder's lease ran out (the
    holder died) is freed."""
    from . import scripts

    deadline = time.monotonic() + LOCK_WAIT_LIMIT
    pause = 0.002
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.get(base.genKey)
        pipe.exists(base.lockKey)
        current, alive = pipe.execute()
        if current != value:
            try:
                _pointer(current)
                return current
            except ModelLocked as other:
                value = other.value  # locked again, by another operation
                continue
        if not alive:
            runScript(client, scripts.UNLOCK, [base.lockKey, base.genKey], [value, b"1", "*"])
            continue
        if time.monotonic() > deadline:
            raise ConcurrentWriteError(
                f"{what} on model {modelName}: the model stayed locked by an operation done in steps (a big delete, "
                f"save or reindex) for over {LOCK_WAIT_LIMIT:.0f} s; retry later"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def runScript(client: redis.Redis, script: Any, keys: Any, args: Any) -> Any:
    """EVALSHA ``script`` directly (loading it on NOSCRIPT), outside any plan."""
    try:
        return client.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
    except NoScriptError:
        client.script_load(script.script)
        return client.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)


class CallStream:
    """Script calls sent on one connection with one reply outstanding.

    The caller prepares call k+1 while Redis runs call k, so client and server work side by
    side. Only for calls not tied to the current generation (``anyGen``: a reset building a
    new one), whose replies are checked after the next call is sent. Used as a context manager;
    on leaving it the reply of a call still in flight is awaited, and a connection in an unknown
    state is dropped rather than returned to the pool.
    """

    def __init__(self, client: redis.Redis, layout: KeyLayout) -> None:
        self.client = client
        self.layout = layout
        self.conn: Any = None
        self.pending = False
        self.last: Any = None

    def __enter__(self) -> "CallStream":
        pool = self.client.connection_pool
        try:
            self.conn = pool.get_connection()
        except TypeError:  # pragma: no cover - redis-py < 5.3 wants a command name
            self.conn = pool.get_connection("EVALSHA")
        return self

    def send(self, call: Call) -> None:
        """Send ``call``; its reply is read by the next ``receive()``."""
        assert call.script is not None and call.anyGen and not self.pending
        self.conn.send_command(*scriptArgs(call, self.layout, "*"))
        self.last = call
        self.pending = True

    def receive(self) -> Any:
        """The reply of the call sent last."""
        self.pending = False
        try:
            return self.conn.read_response()
        except NoScriptError:
            # First use of the script on this server: load it and send the call again.
            self.conn.send_command("SCRIPT", "LOAD", self.last.script.script)
            self.conn.read_response()
            self.send(self.last)
            self.pending = False
            return self.conn.read_response()

    def __exit__(self, excType: Any, exc: Any, tb: Any) -> None:
        conn, self.conn = self.conn, None
        clean = True
        if self.pending:
            # Wait for the call in flight, so that whatever the caller does next (such as deleting
            # what it wrote) happens after it on the server.
            self.pending = False
            try:
                conn.read_response()
            except Exception:
                clean = False
        if not clean or isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            conn.disconnect()  # never hand out a connection in an unknown state
        self.client.connection_pool.release(conn)


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
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        hint = (
            " Check that Redis is running and the model's connection params"
            " (setDefaultRedisConnectionParams, REDIS_URL) point at it."
        )
    text = str(exc).rstrip(".")
    return RedisOperationError(f"{what} on model {modelName} failed: {kind}: {text}.{hint}")


__all__ = [
    "CallStream",
    "OutcomeUnknown",
    "StaleGeneration",
    "drive",
    "execute",
    "isWrite",
    "redisError",
    "runSync",
    "scriptArgs",
]
