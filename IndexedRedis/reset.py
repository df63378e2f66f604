"""``Model.reset(objs)``: replace a model's whole dataset without stalling Redis.

1. A new generation number N is taken (INCR ``_ir_|KEY:gennext``).
2. The new objects are written into generation N's keys in chunks (one save.lua call per
   chunk, so Redis is never blocked for long); ``objs`` may be any iterable, even a generator
   reading from SQL. Readers keep reading the current generation meanwhile.
3. One O(1) script points ``_ir_|KEY:gen`` at N: every reader sees the old dataset before that
   instant and the new one after it (see executor.py for how operations follow the pointer).
4. The old generation's keys are deleted with SCAN + UNLINK in small batches.

If producing or converting an object raises, or Redis fails during step 2, generation N is
deleted and the old dataset stays current and untouched. If the reply of step 3 is lost (the
connection failed after the switch ran), reset raises but never deletes generation N once it is
current; the old generation is then left for ``repair()`` (``verify()`` lists its keys).
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Iterator, List, Optional

from . import scripts
from redis.exceptions import RedisError

from .executor import CallStream, redisError, runSync
from .keys import KeyLayout
from .plans import Call, Op, finishInserts, newEntry, saveCall
from .schema import ModelSchema, getSchema

RESET_CHUNK = 500  # objects per build call: each script call stays around 5-10 ms of Redis time
BUILDING_TTL = 300  # seconds; refreshed while building so verify() can tell a live build from leftovers
UNLINK_BATCH = 1000


def _chunks(objs: Iterable[Any], size: int) -> Iterator[List[Any]]:
    chunk: List[Any] = []
    for obj in objs:
        chunk.append(obj)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _anyGen(*command: Any) -> Call:
    return Call(command=command, anyGen=True)


def resetModel(model: type, newObjs: Iterable[Any], chunkSize: Optional[int] = None) -> List[int]:
    """Replace the model's dataset with ``newObjs``; return the new pks (see the module doc)."""
    chunkSize = chunkSize or RESET_CHUNK
    schema = getSchema(model)
    client = schema.client()
    base = schema.layout

    def run(call: Call) -> Any:
        return runSync(lambda layout: _one(call), schema, "reset", client=client)

    newGen = int(run(_anyGen("INCR", base.genNextKey)))
    building = base.forGen(newGen)
    done: List[Any] = []
    try:
        run(_anyGen("SET", building.buildingKey, b"1", "EX", BUILDING_TTL))
        try:
            _build(schema, client, building, newObjs, chunkSize, done)
        except RedisError as exc:
            raise redisError(exc, "reset", schema.modelName) from exc
        pks = [obj.__dict__["_id"] for obj in done]
        if schema.collectionFields:
            from .collections.fields import writePending

            writePending(schema, client, newGen, done)  # into generation N: readers see it at the switch
        swap = Call(script=scripts.SWAP_GENERATION, keys=[base.genKey, building.buildingKey], args=[newGen], anyGen=True)
        oldGen = int(run(swap))
    except BaseException:
        # Was generation N switched in after all (the switch ran but its reply was lost)?
        try:
            current = run(_anyGen("GET", base.genKey)) or b"0"
        except Exception:
            current = None  # cannot tell: keep generation N; verify() lists it if it is a leftover
        if current is not None and current != b"%d" % newGen:
            for obj in done:
                obj.__dict__["_id"] = None
                obj.__dict__["_ir_stored"] = None
            try:
                dropGeneration(schema, newGen)
            except Exception:  # pragma: no cover - the original error matters more; verify() reports leftovers
                pass
        raise
    schema.rememberGeneration(client, newGen)
    if oldGen >= 0 and oldGen != newGen:
        dropGeneration(schema, oldGen)
    return pks


def _build(
    schema: ModelSchema, client: Any, building: KeyLayout, newObjs: Iterable[Any], chunkSize: int, done: List[Any]
) -> None:
    """Write ``newObjs`` into the generation being built, one save.lua call per chunk.

    The calls go through a CallStream: chunk k+1 is converted while Redis writes chunk k.
    Objects are appended to ``done`` once Redis has stored them.
    """
    from .persistence import _checkObjects

    lastTouch = time.monotonic()
    inFlight: Optional[List[Any]] = None
    with CallStream(client, building) as stream:
        for chunk in _chunks(newObjs, chunkSize):
            _checkObjects(schema, chunk, "reset")
            entries = [newEntry(schema, obj) for obj in chunk]  # converts: may raise before this chunk is sent
            call = saveCall(building, entries, anyGen=True)
            if inFlight is not None:
                finishInserts(schema, inFlight, stream.receive())
                done.extend(e.obj for e in inFlight)
            if time.monotonic() - lastTouch > BUILDING_TTL / 10:
                stream.conn.send_command("EXPIRE", building.buildingKey, BUILDING_TTL)
                stream.conn.read_response()
                lastTouch = time.monotonic()
            stream.send(call)
            inFlight = entries
        if inFlight is not None:
            finishInserts(schema, inFlight, stream.receive())
            done.extend(e.obj for e in inFlight)


def _one(call: Call) -> Op:
    return (yield call)


def dropGeneration(schema: ModelSchema, gen: int) -> int:
    """Delete every key of generation ``gen`` with SCAN + UNLINK in batches; return keys deleted."""
    base = schema.layout
    target = base.forGen(gen)
    shared = {base.nextKey, base.genKey, base.genNextKey}
    pattern = target.genPattern() if gen else base.allPattern()

    def op(layout: KeyLayout) -> Op:
        cursor = 0
        n = 0
        while True:
            cursor, keys = yield _anyGen("SCAN", cursor, "MATCH", pattern, "COUNT", UNLINK_BATCH)
            cursor = int(cursor)
            doomed = [k for k in keys if k not in shared and base.ownGen(k) == gen]
            if doomed:
                n += int((yield _anyGen("UNLINK", *doomed)))
            if cursor == 0:
                return n

    return runSync(op, schema, "reset (dropping the old generation)")


__all__ = ["RESET_CHUNK", "dropGeneration", "resetModel"]
