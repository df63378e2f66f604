"""Writes: save, delete, reset, reindex, destroy (synchronous executor).

The plans live in ``plans.py``; this module picks the objects, runs the plans and wraps errors.
Every write that touches an index is one atomic script call (save.lua, delete.lua,
replace_sets.lua) that checks what Redis holds now, so concurrent writers never leave an
index entry that disagrees with the stored data.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from . import bigops, scripts
from .exceptions import InvalidValueError
from .executors.async_ import arunJob
from .executors.sync import runJob
from .jobs import ClientOf, CollectionWrites, Job, Run
from .fields.base import _short
from .keys import REGISTRY_COMPLETE, KeyLayout
from .plans import (
    Call,
    DeleteEntry,
    Op,
    command,
    copyEntries,
    deleteEntriesFromFields,
    deleteEntry,
    deleteOp,
    fetchCall,
    keyed,
    primaryKeys,
    saveEntriesOp,
    saveEntry,
    saveOp,
    script,
    transaction,
)
from .progress import ProgressCallback, Tracker, tracker
from .registry import buildRegistryOp, dropGenerationOp, isComplete, openMembers
from .reset import resetJob, resetModel
from .schema import IndexedRedisHelper, ModelSchema, getSchema

SCAN_COUNT = 1000


# ---------------------------------------------------------------------------- helpers
def _checkObjects(schema: ModelSchema, objs: Sequence[Any], what: str) -> None:
    from .model import IndexedRedisModel

    for obj in objs:
        if not isinstance(obj, IndexedRedisModel):
            raise InvalidValueError(
                f"Model {schema.modelName}: {what} takes {schema.modelName} objects; got {type(obj).__name__} {_short(obj)}"
            )
        other = getSchema(type(obj))
        if other.keyName != schema.keyName:
            raise InvalidValueError(
                f"Model {schema.modelName}: {what} got an object of model {other.modelName}; save it through its own model"
            )


def scanOp(pattern: bytes, anyGen: bool = False) -> Op:
    """All key names matching ``pattern``, with SCAN (never KEYS)."""
    found: List[bytes] = []
    cursor = 0
    while True:
        cursor, keys = yield Call(command=("SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT), anyGen=anyGen)
        found.extend(keys)
        cursor = int(cursor)
        if cursor == 0:
            return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------- save
def saveObjects(model: type, objs: Sequence[Any], cascadeSave: bool = True, ttl: Any = None) -> List[Optional[int]]:
    """Save objects of ``model`` in one atomic step; return their pks. ``ttl``: seconds each of them
    lives from now on (EXPIRE), instead of the model's default for new objects and the deadline
    they had for the others."""
    return runJob(saveJob(model, objs, cascadeSave, ttl))


def saveJob(model: type, objs: Sequence[Any], cascadeSave: bool = True, ttl: Any = None) -> Job:
    """The job of ``saveObjects``."""
    schema = getSchema(model)
    objs = list(objs)
    _checkObjects(schema, objs, "save")
    if not objs:
        return []
    if ttl is None:
        return (yield from _saveJob(schema, objs, cascadeSave))
    from .plans import ttlMilliseconds

    ms = ttlMilliseconds(schema, ttl, "save(ttl=...)")
    for obj in objs:
        obj.__dict__["_ir_ttl"] = ms
    try:
        return (yield from _saveJob(schema, objs, cascadeSave))
    finally:
        for obj in objs:
            obj.__dict__.pop("_ir_ttl", None)


def _saveJob(schema: Any, objs: List[Any], cascadeSave: bool) -> Job:
    if schema.foreignFields:
        from .foreignsave import checkLinksSaved, saveWithLinks
        from .linkcheck import checkLinkTargets

        if cascadeSave:
            pks = yield from saveWithLinks(schema, objs)
        else:
            checkLinksSaved(schema, objs)
            yield from checkLinkTargets(schema, objs, objs)
            pks = None
    else:
        pks = None
    if pks is None:
        plain = plainUpdates(schema, objs) if bigops.STEP < len(objs) <= bigops.PLAIN_UPDATE_STEP else None
        if plain is not None:
            pks = yield Run(lambda layout: plainUpdatesOp(schema, layout, objs, plain), schema, "save")
        elif len(objs) > bigops.STEP:
            pks = yield from bigops.saveInSteps(schema, objs)
        else:
            pks = yield Run(lambda layout: saveOp(schema, layout, objs), schema, "save")
    if schema.collectionFields:
        from .collections.fields import pendingWrites

        # Collections run their plans on their own executor, of the same kind as this job's.
        gen = schema.knownGeneration((yield ClientOf(schema)))
        yield CollectionWrites(pendingWrites(schema, gen, objs))
    return pks


def plainUpdates(schema: Any, objs: List[Any]) -> Optional[List[Any]]:
    """The save entries of ``objs`` when every one is an update of fields that are not indexed,
    sorted or unique (HSETs, which save.lua checks and runs in one atomic call), else None."""
    if schema.uniqueConstraints or any(o.__dict__.get("_id") is None for o in objs):
        return None
    guarded = set(schema.indexedNameList) | set(schema.sortedKinds)
    entries = []
    for obj in objs:
        e = saveEntry(schema, obj)
        if e is not None:
            if e.mode != "U" or e.idx or guarded.intersection(e.sets):
                return None
            entries.append(e)
    return entries


def plainUpdatesOp(schema: Any, layout: Any, objs: List[Any], entries: List[Any]) -> Op:
    if entries:
        yield from saveEntriesOp(schema, layout, entries)
    return [o.__dict__.get("_id") for o in objs]


def saveToClient(model: type, obj: Any, client: Any) -> Job:
    """Save a copy of ``obj`` as a new object through ``client`` (another Redis: a ``redis.Redis``,
    or a ``redis.asyncio.Redis`` with the asyncio API)."""
    schema = getSchema(model)
    _checkObjects(schema, [obj], "saveToExternal")
    copy = obj.copy()

    def op(layout: KeyLayout) -> Op:
        return (yield from saveOp(schema, layout, [copy]))[0]

    return (yield Run(op, schema, "saveToExternal", client=client))


# ---------------------------------------------------------------------------- delete
def deleteObjects(model: type, objs: Sequence[Any]) -> int:
    """Delete these objects atomically; return how many existed. Their pks are cleared."""
    return runJob(deleteJob(model, objs))


def deleteJob(model: type, objs: Sequence[Any]) -> Job:
    """The job of ``deleteObjects``."""
    schema = getSchema(model)
    objs = list(objs)
    _checkObjects(schema, objs, "delete")
    entries = []
    for obj in objs:
        pk = obj.getPk()
        if pk is None:
            continue
        d = obj.__dict__
        entries.append(deleteEntry(schema, pk, d.get("_ir_stored"), d.get("_ir_partial")))
    n = yield from runDelete(schema, entries, "delete")
    for obj in objs:
        obj.__dict__["_id"] = None
        obj.__dict__["_ir_stored"] = None
        obj.__dict__.pop("_ir_partial", None)
    return n


def runDelete(schema: ModelSchema, entries: List[DeleteEntry], what: str) -> Job:
    """Delete planned entries atomically: in one script call, or, for more than bigops.STEP
    objects, in steps holding the model's lock (bigops.py). Returns how many existed."""
    if len(entries) > bigops.STEP:
        return (yield from bigops.deleteInSteps(schema, entries, what))
    return (yield Run(lambda layout: deleteOp(schema, layout, copyEntries(entries)), schema, what))


def deleteByPks(model: type, pks: Iterable[Any]) -> Job:
    """Delete the objects with these pks atomically; return how many existed."""
    schema = getSchema(model)
    entries = [deleteEntry(schema, pk, None) for pk in primaryKeys(schema, pks)]
    return (yield from runDelete(schema, entries, "deleteByPk"))


BIG = object()  # deleteByFiltersOp's answer when the matches may be too many for one step


def deleteByFiltersOp(schema: ModelSchema, layout: KeyLayout, filters: Sequence[Tuple[str, str, Any]]) -> Op:
    """One read, then one atomic delete; BIG when more than bigops.STEP objects may match."""
    fields = [f.name.encode("utf-8") for f in schema.indexedFields] or [schema.fields[0].name.encode("utf-8")]
    reply = yield fetchCall(layout, filters, "fieldsupto", fields, limit=bigops.STEP)
    if reply and reply[0] == b"big":
        return BIG
    if schema.indexedFields:
        entries = deleteEntriesFromFields(schema, reply)
    else:
        entries = [deleteEntry(schema, int(reply[i]), {}) for i in range(0, len(reply), 2)]
    return (yield from deleteOp(schema, layout, entries))


def deleteByFiltersJob(model: type, filters: Sequence[Tuple[str, str, Any]]) -> Job:
    """Delete every object matching ``filters``.

    No filters: a reset to an empty dataset (one O(1) switch; returns the number of objects just
    before). Few matches (at most bigops.STEP): one read, then one atomic delete. More: in steps
    holding the model's lock (bigops.py), so that no reader sees the delete half done.
    """
    schema = getSchema(model)
    if not filters:
        n = yield Run(lambda layout: _countOp(layout), schema, "delete")
        yield from resetJob(model, ())
        return n
    n = yield Run(lambda layout: deleteByFiltersOp(schema, layout, filters), schema, "delete")
    if n is BIG:
        n = yield from bigops.runLocked(schema, lambda layout: bigops.deleteMatchingOp(schema, layout, filters), "delete")
    return n


def _countOp(layout: KeyLayout) -> Op:
    return int((yield keyed("SCARD", layout.keysKey)))


def destroyModel(model: type) -> Job:
    """Delete every key of the model (all generations, indexes, counters). Returns keys deleted.

    The replies that recent inserts and deletes keep for a retry (``_ir_|KEY:op:TOKEN``) are left
    to expire by themselves (30 s): finding them would take a SCAN of the whole database.

    The generations listed in ``_ir_|KEY:gens`` and the current one are dropped through their
    key registries (registry.dropGenerationOp); when one has no complete registry (data of the
    6.0.3 layout), the model's keys are found with one SCAN instead.
    """
    schema = getSchema(model)
    base = schema.layout

    def op(layout: KeyLayout) -> Op:
        current, listed = yield Call(pipeline=[("GET", base.genKey), ("SMEMBERS", base.gensKey)], transaction=True, anyGen=True)
        gens = sorted({int((current or b"0").split(b"L")[0])} | {int(g) for g in listed})  # "<gen>L<token>": locked
        complete = yield Call(
            pipeline=[("SISMEMBER", base.forGen(g).registryKey, REGISTRY_COMPLETE) for g in gens], transaction=True, anyGen=True
        )
        n = 0
        if all(complete):
            sortedNames = [f.name for f, _ in schema.sortedFields]
            for g in gens:
                n += yield from dropGenerationOp(
                    base, g, owned=schema.collectionNames, sortedNames=sortedNames, uniqueNames=schema.uniqueNames
                )
            shared = (base.nextKey, base.genKey, base.genNextKey, base.gensKey, base.lockKey)
            return n + int((yield Call(command=("UNLINK", *shared), anyGen=True)))
        keys = [k for k in (yield from scanOp(base.allPattern(), anyGen=True)) if base.ownGen(k) is not None]
        for i in range(0, len(keys), 1000):
            n += int((yield Call(command=("UNLINK", *keys[i : i + 1000]), anyGen=True)))
        return n

    n = yield Run(op, schema, "destroyModel")
    schema.rememberGeneration((yield ClientOf(schema)), 0)
    return n


# ---------------------------------------------------------------------------- reindex
def _indexMembers(schema: ModelSchema, layout: KeyLayout, reply: Sequence[Any]) -> dict:
    """index key -> [pks] from a fetch 'fields' reply of the indexed fields."""
    members: dict = {}
    for i in range(0, len(reply), 2):
        pk = reply[i]
        for field, raw in zip(schema.indexedFields, reply[i + 1]):
            if raw is None:
                continue
            members.setdefault(layout.idx(field.name, field.storageToIndex(raw)), []).append(pk)
    return members


def reindexOp(schema: ModelSchema, layout: KeyLayout) -> Op:
    """Replace every index set of the generation: the ones its registry lists (built with one SCAN
    for data that has no registry yet) are dropped, the ones the data needs are filled."""
    if not (yield from isComplete(layout)):
        yield from buildRegistryOp(schema.layout, layout.gen)
    drop = yield command("SMEMBERS", layout.registryKey)
    drop = [k for k in drop if k.startswith(layout.idxPrefix) and layout.ownGen(k) == layout.gen]
    if schema.indexedFields:
        reply = yield fetchCall(layout, (), "fields", [f.name.encode("utf-8") for f in schema.indexedFields])
    else:
        reply = []
    members = _indexMembers(schema, layout, reply)
    keys: List[Any] = [layout.verKey] + list(drop) + list(members) + [layout.registryKey]
    args: List[Any] = [len(drop)]
    for pks in members.values():
        args.append(len(pks))
        args.extend(pks)
    return int((yield script(scripts.REPLACE_SETS, keys, args)))


def _sortedAdds(schema: ModelSchema, layout: KeyLayout, rows: Sequence[Any], nIdx: int) -> List[Tuple[Any, ...]]:
    """ZADD commands putting the objects of a 'fields' reply in the sorted sets (sorting.py)."""
    from . import sorting

    cmds: List[Tuple[Any, ...]] = []
    for j, (field, kind) in enumerate(schema.sortedFields):
        args: List[Any] = []
        for i in range(0, len(rows), 2):
            pk, raw = rows[i], rows[i + 1][nIdx + j]
            args.append(0 if kind == "l" else sorting.score(kind, raw))
            args.append(sorting.member(kind, pk, raw))
        if args:
            cmds.append(("ZADD", layout.sort(field.name), *args))
    return cmds


def reindexStepsOp(schema: ModelSchema, layout: KeyLayout, track: Optional[Tracker] = None) -> Op:
    """Reindex in bounded steps (run holding the model's lock, see bigops.py): UNLINK the index
    keys the registry lists in batches (SSCAN), start the registry afresh, then rebuild the index
    sets, the registry and the sorted sets page by page (fetch.lua 'scan' of the pk set)."""
    if not (yield from isComplete(layout)):
        yield from buildRegistryOp(schema.layout, layout.gen)
    cursor: Any = 0
    while True:
        cursor, listed = yield command("SSCAN", layout.registryKey, cursor, "COUNT", SCAN_COUNT)
        doomed = [k for k in listed if k.startswith(layout.idxPrefix) and layout.ownGen(k) == layout.gen]
        if doomed:
            yield command("UNLINK", *doomed)
        if int(cursor) == 0:
            break
    fresh: List[Tuple[Any, ...]] = [("DEL", layout.registryKey), ("SADD", layout.registryKey, *openMembers())]
    if schema.sortedFields:
        fresh.append(("UNLINK", *[layout.sort(f.name) for f, _ in schema.sortedFields]))
    yield transaction(fresh)
    built: set = set()
    nIdx = len(schema.indexedFields)
    fields = [f.name.encode("utf-8") for f in schema.indexedFields] + [f.name.encode("utf-8") for f, _ in schema.sortedFields]
    cursor = 0
    while fields:
        cursor, rows = yield fetchCall(layout, (), "scan", [cursor, bigops.STEP, *fields])
        members = _indexMembers(schema, layout, rows)
        cmds: List[Tuple[Any, ...]] = [("SADD", key, *pks) for key, pks in members.items()]
        if members:
            cmds.append(("SADD", layout.registryKey, *members))
        cmds += _sortedAdds(schema, layout, rows, nIdx)
        if cmds:
            yield transaction(cmds)
            built.update(members)
        if track:
            track.advance(len(rows) // 2)
        if cursor in (0, b"0", "0"):
            break
    yield script(scripts.BUMP, [layout.verKey], [])  # chunked readers (after the lock) start over
    return len(built)


def reindexJob(model: type, progress: Optional[ProgressCallback] = None) -> Job:
    """Drop every index key of the model and rebuild them from the stored data; return the number
    of index sets. Up to bigops.STEP objects this is one atomic script; beyond, it runs in steps
    holding the model's lock (readers and writers of the model wait; Redis is never held long).
    ``progress``: see progress.py (phase ``'indexing'``, one report per step of objects)."""
    schema = getSchema(model)
    size = yield Run(lambda layout: _countOp(layout), schema, "reindex")
    track = tracker(progress, "reindex", schema.modelName)
    if track:
        track.start("indexing", int(size))
    if size > bigops.STEP or schema.sortedFields:  # replace_sets.lua keeps the set indexes only
        n = yield from bigops.runLocked(
            schema, lambda layout: reindexStepsOp(schema, layout, track if track else None), "reindex"
        )
    else:
        n = yield Run(lambda layout: reindexOp(schema, layout), schema, "reindex")
    if schema.uniqueConstraints:
        yield from bigops.runLocked(schema, lambda layout: rebuildUniqueOp(schema, layout), "reindex")
    if track:
        track.finish()
    return n


def rebuildUniqueOp(schema: Any, layout: KeyLayout) -> Op:
    """Build the unique hashes again from the data (UNIQUE_FIELDS added to a model with data, or
    hashes written behind IndexedRedis's back), in batches, the model's lock held. Data that holds
    a value twice raises UniqueConstraintError naming both objects, once the rest is built."""
    from .exceptions import UniqueConstraintError
    from .integrity import VerifyReport, checkExtOp

    yield Call(command=("UNLINK", *[layout.uniq(names) for names in schema.uniqueNames]))
    report = VerifyReport(schema.modelName)
    yield from checkExtOp(schema, layout, report, fix=True)
    dups = [(pk, fields, member, holder) for pk, fields, member, holder in report.uniqueMissing if holder is not None]
    if dups:
        pk, fields, member, holder = dups[0]
        raise UniqueConstraintError(
            f"Model {schema.modelName}: the stored data holds {'+'.join(fields)}={member!r} twice (pk {holder} and pk {pk}"
            f"{f', and {len(dups) - 1} more duplicate(s)' if len(dups) > 1 else ''}); the unique index names pk {holder}. "
            "Change or delete one of them, then run reindex() again.",
            model=schema.modelName,
            fields=fields,
            value=(member,),
            holder=holder,
        )
    return None


def convertHashedIndexesJob(model: type, fetchAll: bool = True, batch: int = 500) -> Job:
    """Rewrite index keys after ``hashIndex`` changed on some field.

    ``fetchAll=True`` rebuilds every index (as ``reindex``). ``fetchAll=False`` walks the pks with
    SSCAN in batches, holding the model's lock (bigops.py): for each object, both the hashed and
    the plain index entry of every indexed field are removed and the right one added, so memory
    stays bounded.
    """
    schema = getSchema(model)
    if fetchAll:
        return (yield from reindexJob(model))
    fieldNames = [f.name.encode("utf-8") for f in schema.indexedFields]

    def op(layout: KeyLayout) -> Op:
        cursor = 0
        touched = 0
        yield script(scripts.BUMP, [layout.verKey], [])  # the counter exists (from the clock) before plain INCRs
        while True:
            cursor, pks = yield command("SSCAN", layout.keysKey, cursor, "COUNT", batch)
            cursor = int(cursor)
            if pks and fieldNames:
                values = yield transaction([("HMGET", layout.data(pk), *fieldNames) for pk in pks])
                cmds: List[Tuple[Any, ...]] = []
                for pk, vals in zip(pks, values):
                    for field, raw in zip(schema.indexedFields, vals):
                        if raw is None:
                            continue
                        # Remove both forms, add the one the field uses now.
                        cmds.append(("SREM", layout.idx(field.name, raw), pk))
                        cmds.append(("SREM", layout.idx(field.name, hashlib.md5(raw).hexdigest().encode("ascii")), pk))
                        newKey = layout.idx(field.name, field.storageToIndex(raw))
                        cmds.append(("SADD", newKey, pk))
                        cmds.append(("SADD", layout.registryKey, newKey))  # the registry may list emptied keys, never miss one
                    touched += 1
                if cmds:
                    cmds.append(("INCR", layout.verKey))  # chunked readers must start over
                    yield transaction(cmds)
            if cursor == 0:
                return touched

    return (yield from bigops.runLocked(schema, op, "compat_convertHashedIndexes"))


# ---------------------------------------------------------------------------- sync entry points
def deleteByFilters(model: type, filters: Sequence[Tuple[str, str, Any]]) -> int:
    """``filter(...).delete()``: see deleteByFiltersJob."""
    return runJob(deleteByFiltersJob(model, filters))


def reindexModel(model: type, progress: Optional[ProgressCallback] = None) -> int:
    """``reindex()``: see reindexJob."""
    return runJob(reindexJob(model, progress))


def convertHashedIndexes(model: type, fetchAll: bool = True, batch: int = 500) -> int:
    """``compat_convertHashedIndexes()``: see convertHashedIndexesJob."""
    return runJob(convertHashedIndexesJob(model, fetchAll, batch))


# ---------------------------------------------------------------------------- Model.saver / Model.deleter
class IRSaver(IndexedRedisHelper):
    """``Model.saver``: saves objects of one model. Every method has an awaited twin (``asave``...)."""

    def __init__(self, model: type) -> None:
        self.model = model

    def _saveJob(self, obj: Any, cascadeSave: bool, ttl: Any) -> Job:
        if isinstance(obj, (list, tuple)):
            return (yield from saveJob(self.model, obj, cascadeSave=cascadeSave, ttl=ttl))
        pks = yield from saveJob(self.model, [obj], cascadeSave=cascadeSave, ttl=ttl)
        return pks[0] if getSchema(self.model).saveReturnsPk else pks

    def save(self, obj: Any, cascadeSave: bool = True, ttl: Any = None) -> Any:
        """Save one object or a list of objects (a list in one atomic step). Returns the list of
        pks (one object: as ``obj.save()`` returns). ``ttl``: see ``IndexedRedisModel.save``."""
        return runJob(self._saveJob(obj, cascadeSave, ttl))

    async def asave(self, obj: Any, cascadeSave: bool = True, ttl: Any = None) -> Any:
        """``save()``, awaited."""
        return await arunJob(self._saveJob(obj, cascadeSave, ttl))

    def saveMultiple(self, objs: Sequence[Any], cascadeSave: bool = True, ttl: Any = None) -> List[Optional[int]]:
        return runJob(saveJob(self.model, objs, cascadeSave=cascadeSave, ttl=ttl))

    async def asaveMultiple(self, objs: Sequence[Any], cascadeSave: bool = True, ttl: Any = None) -> List[Optional[int]]:
        """``saveMultiple()``, awaited."""
        return await arunJob(saveJob(self.model, objs, cascadeSave=cascadeSave, ttl=ttl))

    def reindex(self, objs: Any = None, progress: Optional[ProgressCallback] = None) -> int:
        return runJob(reindexJob(self.model, progress))

    async def areindex(self, objs: Any = None, progress: Optional[ProgressCallback] = None) -> int:
        """``reindex()``, awaited."""
        return await arunJob(reindexJob(self.model, progress))

    def compat_convertHashedIndexes(self, objs: Any = None, fetchAll: bool = True) -> int:
        return runJob(convertHashedIndexesJob(self.model, fetchAll=fetchAll))

    async def acompat_convertHashedIndexes(self, objs: Any = None, fetchAll: bool = True) -> int:
        """``compat_convertHashedIndexes()``, awaited."""
        return await arunJob(convertHashedIndexesJob(self.model, fetchAll=fetchAll))


class IRDeleter(IndexedRedisHelper):
    """``Model.deleter``: deletes objects of one model. Every method has an awaited twin (``adeleteOne``...)."""

    def __init__(self, model: type) -> None:
        self.model = model

    def deleteOne(self, obj: Any) -> int:
        """Delete one object; returns 1 if it existed, else 0."""
        return runJob(deleteJob(self.model, [obj]))

    async def adeleteOne(self, obj: Any) -> int:
        """``deleteOne()``, awaited."""
        return await arunJob(deleteJob(self.model, [obj]))

    def deleteByPk(self, pk: Any) -> int:
        """Delete the object with this pk; returns 1 if it existed, else 0."""
        return runJob(deleteByPks(self.model, [pk]))

    async def adeleteByPk(self, pk: Any) -> int:
        """``deleteByPk()``, awaited."""
        return await arunJob(deleteByPks(self.model, [pk]))

    def deleteMultiple(self, objs: Sequence[Any]) -> int:
        """Delete these objects in one atomic step; returns how many existed."""
        return runJob(deleteJob(self.model, objs))

    async def adeleteMultiple(self, objs: Sequence[Any]) -> int:
        """``deleteMultiple()``, awaited."""
        return await arunJob(deleteJob(self.model, objs))

    def deleteMultipleByPks(self, pks: Sequence[Any]) -> int:
        """Delete the objects with these pks in one atomic step; returns how many existed."""
        return runJob(deleteByPks(self.model, pks))

    async def adeleteMultipleByPks(self, pks: Sequence[Any]) -> int:
        """``deleteMultipleByPks()``, awaited."""
        return await arunJob(deleteByPks(self.model, pks))

    def destroyModel(self) -> int:
        """Delete every key of the model. Returns how many keys were deleted."""
        return runJob(destroyModel(self.model))

    async def adestroyModel(self) -> int:
        """``destroyModel()``, awaited."""
        return await arunJob(destroyModel(self.model))


__all__ = [
    "IRDeleter",
    "IRSaver",
    "convertHashedIndexes",
    "convertHashedIndexesJob",
    "deleteByFilters",
    "deleteByFiltersJob",
    "deleteByPks",
    "deleteJob",
    "deleteObjects",
    "destroyModel",
    "reindexJob",
    "reindexModel",
    "resetModel",
    "saveJob",
    "saveObjects",
    "saveToClient",
]
