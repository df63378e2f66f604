"""Cascade fetch: load every object reachable through links, one batch per model per level.

Cycle-safe: each (model, pk) is fetched once and shared by every link that names it.

``fetchWithLinks`` makes a fetch with ``cascadeFetch=True`` read one instant although it takes
one round trip per level: it reads the generation pointer and write counter of every model the
links can reach before the fetch and again after the last level (one MULTI/EXEC per server
each time). Every write script bumps its generation's counter and ``reset`` moves the pointer,
so equal readings mean that nothing any level read changed in between. Otherwise the whole
fetch runs again, at most ``CASCADE_ATTEMPTS`` times; if writers never pause that long, the
last result is returned as read.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Dict, List, Sequence, Tuple

from . import readplans, scripts
from .exceptions import InvalidFieldError
from .jobs import ClientOf, Job, Run
from .plans import Call, Op, storageOf
from .schema import getSchema

CASCADE_ATTEMPTS = 5


def reachableModels(model: type) -> List[type]:
    """``model`` and every model its links reach, directly or through other models."""
    found: List[type] = []
    todo = [model]
    while todo:
        m = todo.pop()
        if m in found:
            continue
        found.append(m)
        for field in getSchema(m).foreignFields:
            todo.append(field.foreignModelFor(m))
    return found


def _readCounters(models: Sequence[type]) -> Job:
    """The generation pointer and current write counter of each model, one transaction per server."""
    byPool: Dict[int, List[Any]] = {}
    for m in models:
        schema = getSchema(m)
        client = yield ClientOf(schema)
        layout = schema.layoutFor(schema.knownGeneration(client))
        byPool.setdefault(id(client.connection_pool), [schema, client, []])[2].extend([layout.genKey, layout.verKey])
    out: List[Any] = []
    for schema, client, keys in byPool.values():
        out.extend((yield Run(partial(_countersOp, keys=keys), schema, "cascade fetch", client=client)))
    return tuple(out)


def _countersOp(layout: Any, keys: List[bytes]) -> Op:
    return (yield Call(script=scripts.COUNTERS, keys=keys, args=[], anyGen=True))


def fetchWithLinks(model: type, fetch: Callable[[], Job]) -> Job:
    """Run ``fetch()`` (a job returning a list of objects, one object or None) and cascade-fetch
    the result's links, all from one instant (see the module doc)."""
    models = reachableModels(model)
    result: Any = None
    for _attempt in range(CASCADE_ATTEMPTS):
        before = yield from _readCounters(models)
        result = yield from fetch()
        objs = result if isinstance(result, list) else ([] if result is None else [result])
        if not objs:
            break  # one read, nothing linked: nothing to check
        yield from cascadeFetchObjects(objs)
        if (yield from _readCounters(models)) == before:
            break
    return result


def getMultipleJob(model: type, pks: List[Any]) -> Job:
    """The objects of ``model`` with these pks (readplans.getMultipleOp), missing ones left out."""
    schema = getSchema(model)
    return (yield Run(lambda layout: readplans.getMultipleOp(schema, layout, pks), schema, "getMultiple"))


def linkJob(obj: Any, name: str) -> Job:
    """Fetch the objects the link ``name`` of ``obj`` names and has not fetched yet (one
    getMultiple), attach them, and return the link's value as reading ``obj.<name>`` gives it."""
    owner = type(obj)
    schema = getSchema(owner)
    field: Any = schema.fieldsByName.get(str(name))
    if field is None or not getattr(field, "isForeignLink", False):
        links = [f.name for f in schema.foreignFields]
        raise InvalidFieldError(
            f"Model {schema.modelName}: aget({name!r}) reads a link field, and {name!r} is none; its link fields are {links}"
            " (read other fields as attributes: they need no I/O)"
        )
    missing = field.missingPks(obj)
    if missing:
        fm = field.foreignModelFor(owner)
        found = yield from getMultipleJob(fm, list(dict.fromkeys(missing)))
        field.attach(obj, {o.getPk(): o for o in found})
    return field.resolve(obj, obj)


def cascadeFetchObjects(objs: Sequence[Any]) -> Job:
    """Fetch, level by level, the linked objects of ``objs`` and of the objects found, recursively."""
    cache: Dict[Tuple[str, int], Any] = {}
    seen = set()
    level: List[Any] = []
    for obj in objs:
        if id(obj) not in seen:
            seen.add(id(obj))
            level.append(obj)
            if obj.getPk() is not None:
                cache[(getSchema(type(obj)).keyName, obj.getPk())] = obj
    while level:
        wants: Dict[Any, Dict[int, None]] = {}
        for obj in level:
            owner = type(obj)
            for field in getSchema(owner).foreignFields:
                fm = field.foreignModelFor(owner)
                key = getSchema(fm).keyName
                for pk in field.missingPks(obj):
                    if (key, pk) not in cache:
                        wants.setdefault(fm, {})[pk] = None
        for fm, pks in wants.items():
            key = getSchema(fm).keyName
            for found in (yield from getMultipleJob(fm, list(pks))):
                cache[(key, found.getPk())] = found
        nextLevel: List[Any] = []
        for obj in level:
            owner = type(obj)
            for field in getSchema(owner).foreignFields:
                fm = field.foreignModelFor(owner)
                key = getSchema(fm).keyName
                field.attach(obj, _View(cache, key))
                for linked in field.linkedObjects(obj):
                    if id(linked) not in seen:
                        seen.add(id(linked))
                        nextLevel.append(linked)
        level = nextLevel


def linksThatDiffer(pairs: Sequence[Tuple[Any, Any]]) -> Job:
    """For ``reload(cascadeObjects=True)``: ``{id(obj): [link field names]}`` of the links whose
    pk(s) are the same on ``obj`` and on ``fresh`` (the same object just read) but through which
    an object in memory is reached, at any depth, that differs from what Redis holds: changed
    locally, never saved, deleted, or changed by another writer since it was read.

    The objects in memory are read again, one getMultiple per model (one round trip each);
    links that were never fetched are not followed and cost nothing.
    """
    plans: List[Tuple[Any, str, List[Any]]] = []
    reached: Dict[int, Any] = {}
    for obj, fresh in pairs:
        for field in getSchema(type(obj)).foreignFields:
            if field.compareValue(obj.__dict__.get(field.name)) != field.compareValue(fresh.__dict__.get(field.name)):
                continue  # other pks: reported anyway
            objs = _reachable(field.linkedObjects(obj), {id(obj)})
            if objs:
                plans.append((obj, field.name, objs))
                reached.update((id(o), o) for o in objs)
    if not plans:
        return {}
    wanted: Dict[Any, Dict[int, None]] = {}
    for o in reached.values():
        if o.getPk() is not None:
            wanted.setdefault(type(o), {})[o.getPk()] = None
    current: Dict[Tuple[type, int], Any] = {}
    for model, pks in wanted.items():
        for found in (yield from getMultipleJob(model, list(pks))):
            current[(model, found.getPk())] = found
    differs = {key: _differs(o, current.get((type(o), o.getPk()))) for key, o in reached.items()}
    out: Dict[int, List[str]] = {}
    for obj, name, objs in plans:
        if any(differs[id(o)] for o in objs):
            out.setdefault(id(obj), []).append(name)
    return out


def _reachable(roots: Sequence[Any], skip: set) -> List[Any]:
    """The objects in memory reachable from ``roots`` through links (roots included), never fetching."""
    seen = set(skip)
    out = []
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append(obj)
        for field in getSchema(type(obj)).foreignFields:
            todo.extend(field.linkedObjects(obj))
    return out


def _differs(obj: Any, stored: Any) -> bool:
    """True unless ``obj`` holds what ``stored`` (the same object just read; None: not in Redis) holds."""
    if stored is None:
        return True
    schema = getSchema(type(obj))
    mine = storageOf(schema, obj, strict=False)
    theirs = storageOf(schema, stored, strict=False)
    known = obj.__dict__.get("_ir_partial")
    return any(value != theirs[name] for name, value in mine.items() if known is None or name in known)


class _View:
    """``{pk: obj}`` view of the cache for one model."""

    __slots__ = ("cache", "key")

    def __init__(self, cache: Dict[Tuple[str, int], Any], key: str) -> None:
        self.cache = cache
        self.key = key

    def get(self, pk: Any, default: Any = None) -> Any:
        return self.cache.get((self.key, pk), default)

    def __getitem__(self, pk: Any) -> Any:
        return self.cache[(self.key, pk)]


__all__ = [
    "CASCADE_ATTEMPTS",
    "cascadeFetchObjects",
    "fetchWithLinks",
    "getMultipleJob",
    "linkJob",
    "linksThatDiffer",
    "reachableModels",
]
