"""The synchronous executor: runs the ``Call`` objects that plan generators yield, and the
effects of jobs (jobs.py), with blocking I/O on redis-py's ``redis.Redis``.

It also keeps reads and writes on the current generation of the model's data (see keys.py):
every script call gets the generation pointer as its last key and the generation the client
believes current as its last argument, and the script answers ``IRSTALE <gen>`` when they
differ; every plain command is sent inside MULTI/EXEC after a GET of the pointer. On a stale
generation the whole operation is planned again for the new generation, so one operation
always sees one generation: readers never mix the datasets before and after a ``reset``.

Redis errors become ``RedisOperationError`` naming the operation and the model, with the
redis-py exception chained. Everything but the I/O is in ``common.py``, shared with ``async_.py``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, List, Optional, cast

import redis
from redis.exceptions import NoScriptError, RedisError, ResponseError

from .. import jobs
from ..exceptions import InvalidValueError
from ..keys import KeyLayout
from ..plans import Call, Emit, Op, Pause
from ..registry import Heartbeat
from .common import (
    CONNECTION_ERRORS,
    MAX_GENERATION_RETRIES,
    RETRIES,
    ModelLocked,
    OutcomeUnknown,
    StaleGeneration,
    checkedReplies,
    commandsOf,
    giveUp,
    isNoScript,
    isWrite,
    logged,
    loggedReply,
    outcomeUnknownError,
    pointer,
    redisError,
    redoCommand,
    refused,
    retryDecision,
    scriptArgs,
    scriptFor,
    staleGen,
    tooManyResets,
    waitUnlockedOp,
)


def execute(call: Call, client: redis.Redis, layout: KeyLayout) -> Any:
    """Send one call for the generation of ``layout`` and return its reply.

    A call that fails with a timeout or a dropped connection is sent again (``RETRIES`` times,
    waiting ``BACKOFF``) when that is safe (``call.retrySafe``); a write that may have run but
    could not be confirmed raises OutcomeUnknown.
    """
    refused(call, layout)
    attempt = 0
    while True:
        try:
            return _send(call, client, layout)
        except CONNECTION_ERRORS as exc:
            pause = retryDecision(call, exc, attempt)
            if pause is None:
                failure = giveUp(call, exc)
                if failure is exc:
                    raise
                raise failure from exc
            time.sleep(pause)
            attempt += 1


def _send(call: Call, client: redis.Redis, layout: KeyLayout) -> Any:
    checkGen = not call.anyGen
    if call.script is not None:
        evalsha = scriptArgs(call, layout, layout.genArg if checkGen else "*")
        if logged(call, layout, checkGen):
            return _sendLogged(call, client, layout, evalsha)
        try:
            try:
                return client.execute_command(*evalsha)
            except NoScriptError:
                # First use on this server (or after SCRIPT FLUSH): load it, then run it once more.
                client.script_load(scriptFor(call, layout).script)
                return client.execute_command(*evalsha)
        except ResponseError as exc:
            stale = staleGen(exc)
            if stale is None:
                raise
            raise stale from None
    commands = commandsOf(call)
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
    return checkedReplies(call, layout, pipe.execute())


def _sendLogged(call: Call, client: redis.Redis, layout: KeyLayout, evalsha: tuple) -> Any:
    """A write script call made while a migration runs: MULTI, redo.lua (common.redoCommand), the
    call, EXEC: both run, or neither."""
    redo = redoCommand(call, layout, evalsha)
    for _attempt in range(2):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command(*redo)
        pipe.execute_command(*evalsha)
        try:
            done, reply = pipe.execute(raise_on_error=False)
        except NoScriptError:  # pragma: no cover - redis-py raises the first error of a failed EXEC
            reply = NoScriptError("NOSCRIPT")
        if isNoScript(reply):
            # First use of the write script on this server: it did not run (redo.lua may have
            # logged its pks: harmless, they are copied once more); load it and send the pair again.
            client.script_load(scriptFor(call, layout).script)
            continue
        reply = loggedReply(reply)
        if isinstance(done, ResponseError) and redo[5:-1]:  # pragma: no cover - e.g. OOM on the log alone
            client.sadd(cast(bytes, layout.logTo), *redo[5:-1])  # the write ran: its pks must reach the log
        return reply
    raise ResponseError("NOSCRIPT the scripts could not be loaded")  # pragma: no cover


def waitUnlocked(client: redis.Redis, base: KeyLayout, value: bytes, what: str, modelName: str) -> Optional[bytes]:
    """Wait until the model's lock is given back (common.waitUnlockedOp); the pointer's value then."""
    return drive(waitUnlockedOp(base, value, what, modelName), client, base)  # type: ignore[no-any-return]


def drive(op: Op, client: redis.Redis, layout: KeyLayout) -> Any:
    """Run one plan generator to completion; StaleGeneration propagates.

    A write whose outcome is unknown is thrown into the plan, which may note it (for example on
    the objects it saves) before it propagates.
    """
    try:
        call = next(op)
        while True:
            if isinstance(call, Pause):
                time.sleep(call.seconds)
                call = op.send(None)
                continue
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
                    schema.noteDefinition(stale.gen, client.get(schema.definitionKey(stale.gen)))
                gen = stale.gen
                schema.rememberGeneration(client, gen, stale.pointer)
            except ModelLocked as locked:
                now = drive(waitUnlockedOp(schema.layout, locked.value, what, schema.modelName), client, schema.layout)
                if pointer(now) != gen:
                    schema.noteDefinition(pointer(now), client.get(schema.definitionKey(pointer(now))))
                gen = pointer(now)
                schema.rememberGeneration(client, gen, now)
    except OutcomeUnknown as unknown:
        raise outcomeUnknownError(unknown, what, schema.modelName) from unknown.cause
    except RedisError as exc:
        raise redisError(exc, what, schema.modelName) from exc
    raise tooManyResets(what, schema.modelName)


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
        if not clean or isinstance(exc, CONNECTION_ERRORS):
            conn.disconnect()  # never hand out a connection in an unknown state
        self.client.connection_pool.release(conn)


class _JobState:
    def __init__(self) -> None:
        self.stream: Optional[CallStream] = None

    def endStream(self, exc: Any = None) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.__exit__(type(exc) if exc is not None else None, exc, None)


def _perform(effect: Any, state: _JobState) -> Any:
    if isinstance(effect, jobs.Run):
        return runSync(effect.factory, effect.schema, effect.what, client=effect.client)
    if isinstance(effect, jobs.CollectionWrites):
        return [coll._run(op, "writing a collection field") for coll, op in effect.writes]
    if isinstance(effect, jobs.ClientOf):
        return effect.schema.client()
    if isinstance(effect, jobs.StreamSend):
        if state.stream is None:
            state.stream = CallStream(effect.client, effect.layout).__enter__()
        state.stream.send(effect.call)
        return None
    if isinstance(effect, jobs.StreamReceive):
        assert state.stream is not None
        return state.stream.receive()
    if isinstance(effect, jobs.StreamEnd):
        state.endStream()
        return None
    if isinstance(effect, jobs.Pull):
        source = effect.source
        if hasattr(source, "__anext__") and not hasattr(source, "__next__"):
            raise InvalidValueError(
                "reset got an async iterable, which only the asyncio API can pull from: use await Model.areset(...)"
            )
        out: List[Any] = []
        for item in source:
            out.append(item)
            if len(out) >= effect.size:
                break
        return out
    if isinstance(effect, jobs.HeartbeatStart):
        return Heartbeat(effect.client, effect.key, create=False).__enter__()
    if isinstance(effect, jobs.HeartbeatStop):
        effect.handle.__exit__(None, None, None)
        return None
    raise TypeError(f"a job yielded {effect!r}, which is no effect of IndexedRedis.jobs")


def iterJob(job: jobs.Job) -> Iterator[Any]:
    """Run a streaming job (one that yields ``Emit``) and hand out the items it emits."""
    state = _JobState()
    try:
        effect = next(job)
        while True:
            if isinstance(effect, Emit):
                yield from effect.items
                effect = job.send(None)
                continue
            try:
                result = _perform(effect, state)
            except BaseException as exc:
                effect = job.throw(exc)
                continue
            effect = job.send(result)
    except StopIteration:
        return
    finally:
        state.endStream()


def runJob(job: jobs.Job) -> Any:
    """Run a job (jobs.py) to completion with blocking I/O; return its result."""
    state = _JobState()
    try:
        effect = next(job)
        while True:
            try:
                result = _perform(effect, state)
            except BaseException as exc:
                if state.stream is not None and isinstance(exc, (RedisError, OSError)):
                    state.endStream(exc)
                effect = job.throw(exc)
                continue
            effect = job.send(result)
    except StopIteration as stop:
        return stop.value
    finally:
        state.endStream()


__all__ = [
    "RETRIES",
    "CallStream",
    "OutcomeUnknown",
    "StaleGeneration",
    "drive",
    "execute",
    "isWrite",
    "iterJob",
    "redisError",
    "runJob",
    "runScript",
    "runSync",
    "scriptArgs",
    "waitUnlocked",
]
