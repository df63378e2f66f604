"""``Model.reset(objs)``: replace a model's whole dataset without stalling Redis.

1. A new generation number N is taken (INCR ``_ir_|KEY:gennext``); one transaction sets N's
   marker, adds N to ``_ir_|KEY:gens`` and creates N's (complete) index key registry.
2. The new objects are written into generation N's keys in chunks (one save.lua call per
   chunk, so Redis is never blocked for long); ``objs`` may be any iterable, even a generator
   reading from SQL. Readers keep reading the current generation meanwhile. A heartbeat thread
   refreshes N's marker every second (registry.Heartbeat), so a build whose client is gone is
   recognised within seconds.
3. One O(1) script points ``_ir_|KEY:gen`` at N: every reader sees the old dataset before that
   instant and the new one after it (see executor.py for how operations follow the pointer).
4. The old generation is deleted in batches (its registry and pk set list its keys), under a
   heartbeat of its own; so is every abandoned generation listed in ``gens`` (a build or a drop
   whose client died).

If producing or converting an object raises, or Redis fails during step 2, generation N is
deleted and the old dataset stays current and untouched. If the reply of step 3 is lost (the
connection failed after the switch ran), reset raises but never deletes generation N once it is
current; the old generation is then left for the next reset or ``repair()`` (``verify()`` lists it).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional

from . import scripts
from redis.exceptions import RedisError

from .executor import CallStream, redisError, runSync
from .keys import KeyLayout
from .plans import Call, Op, finishInserts, newEntry, saveCall
from .registry import HEARTBEAT_TTL, Heartbeat, abandonedGenerationsOp, dropGenerationOp, openMembers
from .schema import ModelSchema, getSchema

RESET_CHUNK = 500  # objects per build call: each script call stays around 5-10 ms of Redis time


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
        start = [
            ("SET", building.buildingKey, b"1", "EX", HEARTBEAT_TTL),
            ("SADD", base.gensKey, newGen),
            ("SADD", building.registryKey, *openMembers()),
        ]
        run(Call(pipeline=start, transaction=True, anyGen=True))
        try:
            with Heartbeat(client, building.buildingKey, create=False):
                _build(schema, client, building, newObjs, chunkSize, done)
        except RedisError as exc:
            raise redisError(exc, "reset", schema.modelName) from exc
        pks = [obj.__dict__["_id"] for obj in done]
        swap = Call(
            script=scripts.SWAP_GENERATION, keys=[base.genKey, building.buildingKey, base.gensKey], args=[newGen], anyGen=True
        )
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
    listed: List[int] = []
    if oldGen >= 0 and oldGen != newGen:
        dropGeneration(schema, oldGen, listed=listed)
    if oldGen < 0 or set(listed) - {newGen}:
        reclaimAbandoned(schema)  # generations left by resets whose client died
    return pks


def _build(
    schema: ModelSchema, client: Any, building: KeyLayout, newObjs: Iterable[Any], chunkSize: int, done: List[Any]
) -> None:
    """Write ``newObjs`` into the generation being built, one save.lua call per chunk.

    The calls go through a CallStream: chunk k+1 is converted while Redis writes chunk k.
    Objects are appended to ``done`` once Redis has stored them.
    """
    from .persistence import _checkObjects

    inFlight: Optional[List[Any]] = None
    with CallStream(client, building) as stream:
        for chunk in _chunks(newObjs, chunkSize):
            _checkObjects(schema, chunk, "reset")
            entries = [newEntry(schema, obj) for obj in chunk]  # converts: may raise before this chunk is sent
            call = saveCall(building, entries, anyGen=True)
            if inFlight is not None:
                finishInserts(schema, inFlight, stream.receive())
                done.extend(e.obj for e in inFlight)
            stream.send(call)
            inFlight = entries
        if inFlight is not None:
            finishInserts(schema, inFlight, stream.receive())
            done.extend(e.obj for e in inFlight)


def _one(call: Call) -> Op:
    return (yield call)


def dropGeneration(schema: ModelSchema, gen: int, client: Any = None, listed: Optional[List[int]] = None) -> int:
    """Delete every key of generation ``gen`` in batches of UNLINKs (registry.dropGenerationOp),
    under a heartbeat so that no one takes it for abandoned meanwhile; return keys deleted.
    ``listed`` receives the generations still listed in ``gens`` afterwards."""
    client = client if client is not None else schema.client()
    base = schema.layout

    def op(layout: KeyLayout) -> Op:
        return (yield from dropGenerationOp(base, gen, listed))

    with Heartbeat(client, base.forGen(gen).buildingKey, create=False):
        return runSync(op, schema, "reset (dropping the old generation)", client=client)


def reclaimAbandoned(schema: ModelSchema, client: Any = None) -> int:
    """Drop every generation listed in ``gens`` that is not current and whose marker is gone (a
    reset whose client died while building or dropping); return keys deleted."""
    client = client if client is not None else schema.client()
    base = schema.layout

    def find(layout: KeyLayout) -> Op:
        return (yield from abandonedGenerationsOp(base))

    n = 0
    for gen in runSync(find, schema, "reset (finding abandoned generations)", client=client):
        n += dropGeneration(schema, gen, client)
    return n


__all__ = ["RESET_CHUNK", "dropGeneration", "reclaimAbandoned", "resetModel"]
