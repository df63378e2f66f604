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

import weakref
from functools import partial
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Sized, Tuple

from . import scripts
from redis.exceptions import RedisError

from .exceptions import InvalidValueError, WriteOutcomeUnknownError
from .executors.common import redisError
from .executors.sync import runJob
from .jobs import ClientOf, CollectionWrites, Job, Pull, Run, StreamEnd, StreamReceive, StreamSend, runOne, withHeartbeat
from .keys import KeyLayout
from .progress import ProgressCallback, Tracker, tracker
from .plans import Call, Op, finishInserts, newEntry, saveCall
from .definition import descriptionBytes
from .registry import HEARTBEAT_TTL, abandonedGenerationsOp, dropGenerationOp, openMembers
from .schema import ModelSchema, getSchema

RESET_CHUNK = 500  # objects per build call: each script call stays around 5-10 ms of Redis time


def _anyGen(*command: Any) -> Call:
    return Call(command=command, anyGen=True)


class PkList(Sequence[int]):
    """The pks a ``reset`` gave, in input order, kept as runs of consecutive numbers: a reset of a
    million rows returns them in a few hundred bytes. Compares equal to a list of the same pks."""

    __slots__ = ("_runs", "_len")

    def __init__(self) -> None:
        self._runs: List[List[int]] = []  # [first pk, count]
        self._len = 0

    def append(self, pk: int) -> None:
        runs = self._runs
        if runs and runs[-1][0] + runs[-1][1] == pk:
            runs[-1][1] += 1
        else:
            runs.append([pk, 1])
        self._len += 1

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[int]:
        for first, count in self._runs:
            yield from range(first, first + count)

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("PkList index out of range")
        for first, count in self._runs:
            if index < count:
                return first + index
            index -= count
        raise IndexError("PkList index out of range")  # pragma: no cover

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, PkList)):
            return len(other) == self._len and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self)) if self._len <= 20 else f"PkList({self._len} pks in {len(self._runs)} runs)"


def _forget(state: Dict[int, Any], key: int, _ref: Any) -> None:
    state.pop(key, None)


class _Given:
    """The objects given to a reset that are still alive, so that their pks can be set back if the
    reset fails. Held by weak reference: an object the caller drops (a row a generator made) costs
    nothing once written, so memory does not grow with the number of rows."""

    def __init__(self) -> None:
        self._state: Dict[int, Tuple[Any, Any, Any, Any]] = {}  # id -> (ref, pk, stored, dirty) before the reset

    def add(self, obj: Any) -> None:
        d = obj.__dict__
        key = id(obj)
        state = self._state
        ref = weakref.ref(obj, partial(_forget, state, key))
        dirty = d.get("_ir_dirty")
        state[key] = (ref, d.get("_id"), d.get("_ir_stored"), set(dirty) if dirty else None)

    def restore(self) -> None:
        """Put back the pk and change tracking each live object had before the reset."""
        for ref, pk, stored, dirty in list(self._state.values()):
            obj = ref()
            if obj is None:
                continue
            d = obj.__dict__
            d["_id"] = pk
            d["_ir_stored"] = stored
            if dirty is not None:
                d["_ir_dirty"] = dirty


def resetModel(
    model: type, newObjs: Iterable[Any], chunkSize: Optional[int] = None, progress: Optional[ProgressCallback] = None
) -> PkList:
    """Replace the model's dataset with ``newObjs``; return the pks, in input order (see the module doc).

    An object given with a pk (``_id``, for example the id of its SQL row) keeps it; the others
    get new pks. A pk given twice raises InvalidValueError, and the old dataset stays.
    ``progress``: see progress.py (phase ``'writing'``, one report per chunk written; ``total``
    is ``len(newObjs)`` when it has a length, else None).
    """
    return runJob(resetJob(model, newObjs, chunkSize, progress))


def _source(schema: ModelSchema, newObjs: Any) -> Any:
    if hasattr(newObjs, "__aiter__"):
        return newObjs.__aiter__()
    try:
        return iter(newObjs)
    except TypeError:
        raise InvalidValueError(
            f"Model {schema.modelName}: reset takes an iterable of {schema.modelName} objects (a list, a generator, or "
            f"with areset an async iterable); got {type(newObjs).__name__}"
        ) from None


def resetJob(model: type, newObjs: Any, chunkSize: Optional[int] = None, progress: Optional[ProgressCallback] = None) -> Job:
    """The job of ``resetModel``; ``newObjs`` may be an async iterable when the asyncio executor runs it."""
    chunkSize = chunkSize or RESET_CHUNK
    schema = getSchema(model)
    track = tracker(progress, "reset", schema.modelName)
    if track:
        track.start("writing", len(newObjs) if isinstance(newObjs, Sized) else None)
    source = _source(schema, newObjs)
    client = yield ClientOf(schema)
    base = schema.layout

    def run(call: Call) -> Run:
        return Run(lambda layout: _one(call), schema, "reset", client=client)

    newGen = int((yield run(_anyGen("INCR", base.genNextKey))))
    building = base.forGen(newGen)
    given = _Given()
    pks = PkList()
    built = False  # the whole new dataset is written; only the switch is left
    try:
        start = [
            ("SET", building.buildingKey, b"1", "EX", HEARTBEAT_TTL),
            ("SADD", base.gensKey, newGen),
            ("SADD", building.registryKey, *openMembers()),
            ("SET", building.schemaKey, descriptionBytes(schema)),  # the definition the new data follows (migrate.py)
        ]
        yield run(Call(pipeline=start, transaction=True, anyGen=True))
        try:
            yield from withHeartbeat(
                client, building.buildingKey, _build(schema, client, building, source, chunkSize, given, pks, track)
            )
        except RedisError as exc:
            raise redisError(exc, "reset", schema.modelName) from exc
        swap = Call(
            script=scripts.SWAP_GENERATION, keys=[base.genKey, building.buildingKey, base.gensKey], args=[newGen], anyGen=True
        )
        built = True
        oldGen = int((yield run(swap)))
    except BaseException as exc:
        # Was generation N switched in after all (the switch ran but its reply was lost)?
        try:
            current = (yield run(_anyGen("GET", base.genKey))) or b"0"
        except Exception:
            current = None  # cannot tell: keep generation N; verify() lists it if it is a leftover
        if current == b"%d" % newGen and built:
            # The reset is done: only the old generation's number was lost with the reply. Its keys
            # are left for the next reset or repair() to reclaim.
            schema.rememberGeneration(client, newGen)
            return pks
        if current is not None and current != b"%d" % newGen:
            given.restore()
            try:
                yield from dropGenerationJob(schema, newGen, client)
            except Exception:  # pragma: no cover - the original error matters more; verify() reports leftovers
                pass
        if current is None:
            raise WriteOutcomeUnknownError(
                f"reset on model {schema.modelName}: the new dataset was built, but whether it was switched in could "
                "not be told (Redis did not answer); it is either the old dataset or the new one, never a mix. "
                "Running the reset again is safe."
            ) from exc
        raise
    schema.rememberGeneration(client, newGen)
    listed: List[int] = []
    if oldGen >= 0 and oldGen != newGen:
        yield from dropGenerationJob(schema, oldGen, client, listed=listed)
    if oldGen < 0 or set(listed) - {newGen}:
        yield from reclaimAbandonedJob(schema, client)  # generations left by resets whose client died
    if track:
        track.finish()
    return pks


def _build(
    schema: ModelSchema,
    client: Any,
    building: KeyLayout,
    source: Any,
    chunkSize: int,
    given: _Given,
    pks: PkList,
    track: Optional[Tracker] = None,
) -> Job:
    """Write the objects of ``source`` into the generation being built, one save.lua call per chunk.

    The calls go through the job's stream (one connection, one call in flight): chunk k+1 is
    converted while Redis writes chunk k. Objects get their pks once Redis has stored them; no
    object is kept once its chunk is done.
    """
    from .persistence import _checkObjects

    inFlight: Optional[List[Any]] = None

    def finish(entries: List[Any]) -> Job:
        finishInserts(schema, entries, (yield StreamReceive()))
        for e in entries:
            pks.append(e.obj.__dict__["_id"])
        if schema.collectionFields:
            from .collections.fields import pendingWrites

            # into the generation being built: readers see the collections at the switch
            yield CollectionWrites(pendingWrites(schema, building.gen, [e.obj for e in entries]))
        if track:
            track.advance(len(entries))

    try:
        while True:
            chunk = yield Pull(source, chunkSize)
            if not chunk:
                break
            _checkObjects(schema, chunk, "reset")
            entries = []
            for obj in chunk:  # converts: may raise before this chunk is sent
                pk = obj.__dict__.get("_id")
                entries.append(newEntry(schema, obj, pk))
            call = saveCall(building, entries, anyGen=True, sortedFields=schema.sortedFields)
            for obj in chunk:
                given.add(obj)
            if inFlight is not None:
                yield from finish(inFlight)
            yield StreamSend(call, building, client)
            inFlight = entries
            del chunk, entries
        if inFlight is not None:
            yield from finish(inFlight)
    finally:
        yield StreamEnd()


def _one(call: Call) -> Op:
    return (yield call)


def dropGenerationJob(schema: ModelSchema, gen: int, client: Any = None, listed: Optional[List[int]] = None) -> Job:
    """Delete every key of generation ``gen`` in batches of UNLINKs (registry.dropGenerationOp),
    under a heartbeat so that no one takes it for abandoned meanwhile; return keys deleted.
    ``listed`` receives the generations still listed in ``gens`` afterwards."""
    client = client if client is not None else (yield ClientOf(schema))
    base = schema.layout

    def op(layout: KeyLayout) -> Op:
        return (
            yield from dropGenerationOp(
                base,
                gen,
                listed,
                owned=schema.collectionNames,
                sortedNames=[f.name for f, _ in schema.sortedFields],
                uniqueNames=schema.uniqueNames,
            )
        )

    body = runOne(op, schema, "reset (dropping the old generation)", client)
    return (yield from withHeartbeat(client, base.forGen(gen).buildingKey, body))


def dropGeneration(schema: ModelSchema, gen: int, client: Any = None, listed: Optional[List[int]] = None) -> int:
    """dropGenerationJob, run by the sync executor."""
    return runJob(dropGenerationJob(schema, gen, client, listed))


def reclaimAbandonedJob(schema: ModelSchema, client: Any = None) -> Job:
    """Drop every generation listed in ``gens`` that is not current and whose marker is gone (a
    reset whose client died while building or dropping); return keys deleted."""
    client = client if client is not None else (yield ClientOf(schema))
    base = schema.layout

    def find(layout: KeyLayout) -> Op:
        return (yield from abandonedGenerationsOp(base))

    n = 0
    for gen in (yield Run(find, schema, "reset (finding abandoned generations)", client=client)):
        n += yield from dropGenerationJob(schema, gen, client)
    return n


__all__ = [
    "RESET_CHUNK",
    "PkList",
    "dropGeneration",
    "dropGenerationJob",
    "reclaimAbandonedJob",
    "resetJob",
    "resetModel",
]
