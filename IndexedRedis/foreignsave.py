"""Cascade save: save objects together with the linked objects that are new or changed.

Pks of new objects are reserved first (one INCRBY per model), so every link can be written
in the same step as its object, cycles included. Then each model's objects are saved by one
atomic save.lua call, linked models before the models that link to them, so a reader never
finds a link to an object that is not there yet.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, List

from .exceptions import InvalidValueError
from .jobs import Job, Run
from .linkcheck import checkLinkTargets
from .plans import Op, command, newEntry, saveEntriesOp, saveEntry, storageOf
from .schema import ModelSchema, getSchema


def _walk(objs: List[Any]) -> List[List[Any]]:
    """Objects reachable from ``objs`` through in-memory links, by level (roots first)."""
    seen = set()
    levels: List[List[Any]] = []
    level = []
    for o in objs:
        if id(o) not in seen:
            seen.add(id(o))
            level.append(o)
    while level:
        levels.append(level)
        nxt = []
        for obj in level:
            for field in getSchema(type(obj)).foreignFields:
                for linked in field.linkedObjects(obj):
                    if id(linked) not in seen:
                        seen.add(id(linked))
                        nxt.append(linked)
        level = nxt
    return levels


def saveWithLinks(schema: ModelSchema, objs: List[Any]) -> Job:
    """Save ``objs`` and every new or changed object they link to (recursively)."""
    levels = _walk(objs)
    # Deepest level first: linked objects are written before the objects linking to them.
    ordered: List[Any] = [o for level in reversed(levels) for o in level]
    groups: Dict[str, List[Any]] = {}
    schemas: Dict[str, ModelSchema] = {}
    for obj in ordered:
        s = getSchema(type(obj))
        groups.setdefault(s.keyName, []).append(obj)
        schemas.setdefault(s.keyName, s)

    # Values that cannot be stored fail here, before any pk is reserved or anything is written
    # (links to objects still without a pk are checked once the pks are reserved).
    for key, group in groups.items():
        for obj in group:
            storageOf(schemas[key], obj, strict=False)
    yield from checkLinkTargets(schema, ordered, ordered)  # links to pks that do not exist are refused

    reserved: List[Any] = []
    try:
        for key, group in groups.items():
            s = schemas[key]
            new = [o for o in group if o.getPk() is None]
            if not new:
                continue
            top = yield Run(partial(_reserveOp, n=len(new)), s, "save (reserving pks)")
            for i, obj in enumerate(new):
                obj.__dict__["_id"] = top - len(new) + 1 + i
                obj.__dict__["_ir_newReserved"] = True
                reserved.append(obj)
        # Every model's batch is planned before the first one is written: nothing is half-written.
        planned = []
        for key, group in groups.items():
            s = schemas[key]
            entries = []
            for obj in group:
                if obj.__dict__.get("_ir_newReserved", False):
                    entries.append(newEntry(s, obj, obj.getPk()))  # under its reserved pk
                else:
                    e = saveEntry(s, obj)
                    if e is not None:
                        entries.append(e)
            if entries:
                planned.append((s, entries))
        for s, entries in planned:
            for e in entries:
                e.obj.__dict__.pop("_ir_newReserved", None)
            yield Run(partial(saveEntriesOp, s, todo=entries), s, "save")
    except BaseException:
        for obj in reserved:
            if obj.__dict__.pop("_ir_newReserved", False) or obj.__dict__.get("_ir_stored") is None:
                obj.__dict__["_id"] = None
        raise
    return [o.getPk() for o in objs]


def _reserveOp(layout: Any, n: int) -> Op:
    return int((yield command("INCRBY", layout.nextKey, n)))


def checkLinksSaved(schema: ModelSchema, objs: List[Any]) -> None:
    """Without cascadeSave, every linked object must already have a pk."""
    for obj in objs:
        for field in schema.foreignFields:
            for linked in field.linkedObjects(obj):
                if linked.getPk() is None:
                    raise InvalidValueError(
                        f"Model {schema.modelName}: field {field.name!r} links to a {type(linked).__name__} object that is "
                        "not saved yet; save it first, or save with cascadeSave=True"
                    )


__all__ = ["checkLinksSaved", "saveWithLinks"]
