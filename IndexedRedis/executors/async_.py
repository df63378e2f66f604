"""The asyncio executor: runs the same plans and jobs as ``sync.py``, awaiting redis-py's
``redis.asyncio`` client instead of blocking.

It differs from the sync executor only in awaiting I/O: the generation checks, the retry policy,
the EVALSHA arguments (with the ``NOSCRIPT`` fallback: ``SCRIPT LOAD`` then the call again),
the lock wait and the errors come from common.py; what an operation does comes from its plan.
Clients come from one pool per event loop and connection params (connection.py), so several
loops in one process (a thread with its own loop, pytest-asyncio's loop per test) never share a
connection. ``reset`` streams its chunks on one connection with one call in flight (``CallStream``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional

from redis.exceptions import NoScriptError, RedisError, ResponseError

from .. import jobs
from ..keys import KeyLayout
from ..plans import Call, Emit, Op, Pause
from ..registry import HEARTBEAT_EVERY, HEARTBEAT_TTL
from .common import (
    CONNECTION_ERRORS,
    MAX_GENERATION_RETRIES,
    ModelLocked,
    OutcomeUnknown,
    StaleGeneration,
    checkedReplies,
    commandsOf,
    giveUp,
    isNoScript,
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


async def execute(call: Call, client: Any, layout: KeyLayout) -> Any:
    """Send one call for the generation of ``layout`` and return its reply (retried as in
    sync.execute)."""
    refused(call, layout)
    attempt = 0
    while True:
        try:
            return await _send(call, client, layout)
        except CONNECTION_ERRORS as exc:
            pause = retryDecision(call, exc, attempt)
            if pause is None:
                failure = giveUp(call, exc)
                if failure is exc:
                    raise
                raise failure from exc
            await asyncio.sleep(pause)
            attempt += 1


async def _send(call: Call, client: Any, layout: KeyLayout) -> Any:
    checkGen = not call.anyGen
    if call.script is not None:
        evalsha = scriptArgs(call, layout, layout.genArg if checkGen else "*")
        if logged(call, layout, checkGen):
            return await _sendLogged(call, client, layout, evalsha)
        try:
            try:
                return await client.execute_command(*evalsha)
            except NoScriptError:
                await client.script_load(scriptFor(call, layout).script)
                return await client.execute_command(*evalsha)
        except ResponseError as exc:
            stale = staleGen(exc)
            if stale is None:
                raise
            raise stale from None
    commands = commandsOf(call)
    if not checkGen:
        if call.command is not None:
            return await client.execute_command(*call.command)
        pipe = client.pipeline(transaction=call.transaction)
        for cmd in commands:
            pipe.execute_command(*cmd)
        return await pipe.execute()
    pipe = client.pipeline(transaction=True)
    pipe.execute_command("GET", layout.genKey)
    for cmd in commands:
        pipe.execute_command(*cmd)
    return checkedReplies(call, layout, await pipe.execute())


async def _sendLogged(call: Call, client: Any, layout: KeyLayout, evalsha: tuple) -> Any:
    """A write script call made while a migration runs, as sync._sendLogged."""
    redo = redoCommand(call, layout, evalsha)
    for _attempt in range(2):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command(*redo)
        pipe.execute_command(*evalsha)
        try:
            done, reply = await pipe.execute(raise_on_error=False)
        except NoScriptError:  # pragma: no cover - redis-py raises the first error of a failed EXEC
            reply = NoScriptError("NOSCRIPT")
        if isNoScript(reply):
            await client.script_load(scriptFor(call, layout).script)
            continue
        reply = loggedReply(reply)
        if isinstance(done, ResponseError) and redo[5:-1]:  # pragma: no cover - e.g. OOM on the log alone
            await client.sadd(layout.logTo, *redo[5:-1])
        return reply
    raise ResponseError("NOSCRIPT the scripts could not be loaded")  # pragma: no cover


async def drive(op: Op, client: Any, layout: KeyLayout) -> Any:
    """Run one plan generator to completion (as sync.drive)."""
    try:
        call = next(op)
        while True:
            if isinstance(call, Pause):
                await asyncio.sleep(call.seconds)
                call = op.send(None)
                continue
            try:
                reply = await execute(call, client, layout)
            except OutcomeUnknown as unknown:
                call = op.throw(unknown)
                continue
            call = op.send(reply)
    except StopIteration as stop:
        return stop.value


async def runAsync(opFactory: Callable[[KeyLayout], Op], schema: Any, what: str, client: Optional[Any] = None) -> Any:
    """Plan and run an operation against the model's current generation (as sync.runSync)."""
    client = client if client is not None else schema.aclient()
    gen = schema.knownGeneration(client)
    try:
        tries = 0
        while tries < MAX_GENERATION_RETRIES:
            try:
                layout = schema.layoutFor(gen, schema.knownPointer(client))
                return await drive(opFactory(layout), client, layout)
            except StaleGeneration as stale:
                tries += 1
                if stale.gen != gen:
                    schema.noteDefinition(stale.gen, await client.get(schema.definitionKey(stale.gen)))
                gen = stale.gen
                schema.rememberGeneration(client, gen, stale.pointer)
            except ModelLocked as locked:
                now = await drive(waitUnlockedOp(schema.layout, locked.value, what, schema.modelName), client, schema.layout)
                if pointer(now) != gen:
                    schema.noteDefinition(pointer(now), await client.get(schema.definitionKey(pointer(now))))
                gen = pointer(now)
                schema.rememberGeneration(client, gen, now)
    except OutcomeUnknown as unknown:
        raise outcomeUnknownError(unknown, what, schema.modelName) from unknown.cause
    except RedisError as exc:
        raise redisError(exc, what, schema.modelName) from exc
    raise tooManyResets(what, schema.modelName)


class CallStream:
    """Script calls sent on one connection with one reply outstanding (as sync.CallStream)."""

    def __init__(self, client: Any, layout: KeyLayout) -> None:
        self.client = client
        self.layout = layout
        self.conn: Any = None
        self.pending = False
        self.last: Any = None

    async def open(self) -> "CallStream":
        self.conn = await self.client.connection_pool.get_connection()
        return self

    async def send(self, call: Call) -> None:
        assert call.script is not None and call.anyGen and not self.pending
        await self.conn.send_command(*scriptArgs(call, self.layout, "*"))
        self.last = call
        self.pending = True

    async def receive(self) -> Any:
        self.pending = False
        try:
            return await self.conn.read_response()
        except NoScriptError:
            await self.conn.send_command("SCRIPT", "LOAD", self.last.script.script)
            await self.conn.read_response()
            await self.send(self.last)
            self.pending = False
            return await self.conn.read_response()

    async def close(self, exc: Any = None) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        clean = True
        if self.pending:
            self.pending = False
            try:
                await conn.read_response()
            except BaseException:
                clean = False
        if not clean or isinstance(exc, CONNECTION_ERRORS):
            await conn.disconnect()
        await self.client.connection_pool.release(conn)


class Heartbeat:
    """registry.Heartbeat as a task of the running loop: ``SET key 1 EX ttl XX`` every second."""

    def __init__(self, client: Any, key: bytes) -> None:
        self.client = client
        self.key = key
        self.task: Optional[asyncio.Task] = None
        self._stopping: Optional[asyncio.Event] = None

    async def _run(self, stopping: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stopping.wait(), HEARTBEAT_EVERY)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await self.client.set(self.key, b"1", ex=HEARTBEAT_TTL, xx=True)
            except Exception:  # noqa: BLE001 - a missed beat only shortens the marker's life
                pass

    def start(self) -> "Heartbeat":
        self._stopping = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run(self._stopping))
        return self

    async def stop(self) -> None:
        """Stop beating. The task is told to stop, not cancelled: a beat in flight finishes, so
        its connection goes back to the pool with its reply read."""
        if self.task is not None:
            assert self._stopping is not None
            self._stopping.set()
            await self.task
            self.task = None


class _JobState:
    def __init__(self) -> None:
        self.stream: Optional[CallStream] = None

    async def endStream(self, exc: Any = None) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            await stream.close(exc)


async def _pull(source: Any, size: int) -> List[Any]:
    out: List[Any] = []
    if hasattr(source, "__anext__"):
        while len(out) < size:
            try:
                out.append(await source.__anext__())
            except StopAsyncIteration:
                break
        return out
    for item in source:
        out.append(item)
        if len(out) >= size:
            break
    return out


async def _perform(effect: Any, state: _JobState) -> Any:
    if isinstance(effect, jobs.Run):
        return await runAsync(effect.factory, effect.schema, effect.what, client=effect.client)
    if isinstance(effect, jobs.CollectionWrites):
        return [await coll._arun(op, "writing a collection field") for coll, op in effect.writes]
    if isinstance(effect, jobs.ClientOf):
        return effect.schema.aclient()
    if isinstance(effect, jobs.StreamSend):
        if state.stream is None:
            state.stream = await CallStream(effect.client, effect.layout).open()
        await state.stream.send(effect.call)
        return None
    if isinstance(effect, jobs.StreamReceive):
        assert state.stream is not None
        return await state.stream.receive()
    if isinstance(effect, jobs.StreamEnd):
        await state.endStream()
        return None
    if isinstance(effect, jobs.Pull):
        return await _pull(effect.source, effect.size)
    if isinstance(effect, jobs.HeartbeatStart):
        return Heartbeat(effect.client, effect.key).start()
    if isinstance(effect, jobs.HeartbeatStop):
        await effect.handle.stop()
        return None
    raise TypeError(f"a job yielded {effect!r}, which is no effect of IndexedRedis.jobs")


async def arunJob(job: jobs.Job) -> Any:
    """Run a job (jobs.py) to completion, awaiting its I/O; return its result."""
    state = _JobState()
    try:
        effect = next(job)
        while True:
            try:
                result = await _perform(effect, state)
            except BaseException as exc:
                if state.stream is not None and isinstance(exc, (RedisError, OSError)):
                    await state.endStream(exc)
                effect = job.throw(exc)
                continue
            effect = job.send(result)
    except StopIteration as stop:
        return stop.value
    finally:
        await state.endStream()


async def aiterJob(job: jobs.Job) -> Any:
    """Run a streaming job (one that yields ``Emit``) and hand out the items it emits, as an
    async iterator (as sync.iterJob)."""
    state = _JobState()
    try:
        effect = next(job)
        while True:
            if isinstance(effect, Emit):
                for item in effect.items:
                    yield item
                effect = job.send(None)
                continue
            try:
                result = await _perform(effect, state)
            except BaseException as exc:
                effect = job.throw(exc)
                continue
            effect = job.send(result)
    except StopIteration:
        return
    finally:
        await state.endStream()


__all__ = ["CallStream", "Heartbeat", "arunJob", "drive", "execute", "runAsync", "aiterJob"]
