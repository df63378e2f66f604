"""Links saved to objects that do not exist are refused: before a save writes a link field whose
value changed, the linked pks are looked up in the linked model (one round trip per linked
model, only for pks that the same save does not write itself).

The check runs just before the write, not in the same atomic step (the linked objects belong to
another model, possibly on another server): a linked object deleted in between is not noticed
(``verify()`` reports such dangling links). A model with ``ALLOW_DANGLING_LINKS = True`` skips
the check.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, Iterable, List, Set, Tuple

from .exceptions import InvalidValueError
from .jobs import Job, Run
from .fields.null import irNull
from .plans import Op, keyed
from .schema import ModelSchema, getSchema


def changedLinkPks(schema: ModelSchema, obj: Any) -> Iterable[Tuple[Any, int]]:
    """``(field, pk)`` for each pk in a link field of ``obj`` whose value changed since it was
    last fetched or saved (every link of a new object)."""
    d = obj.__dict__
    stored = d.get("_ir_stored")
    saved = d.get("_id") is not None and stored is not None
    for field in schema.foreignFields:
        if saved:
            try:
                now = field.toStorage(d.get(field.name, irNull))
            except InvalidValueError:
                now = None  # a link to an object not saved yet: saved with it (cascade) or refused later
            if now is not None and stored.get(field.name) == now:
                continue
        pks = field.pksOf(obj)
        for pk in pks if isinstance(pks, list) else [pks]:
            if pk is not None:
                yield field, pk


def checkLinkTargets(schema: ModelSchema, objs: Iterable[Any], writing: Iterable[Any]) -> Job:
    """Raise InvalidValueError if a changed link of ``objs`` names a pk that its linked model does
    not hold, leaving out the pks of ``writing`` (objects the same save writes)."""
    ownPks: Set[Tuple[str, int]] = set()
    for o in writing:
        pk = o.__dict__.get("_id")
        if pk is not None:
            ownPks.add((getSchema(type(o)).keyName, pk))
    wanted: Dict[str, Tuple[ModelSchema, Dict[int, Tuple[Any, Any, ModelSchema]]]] = {}
    for obj in objs:
        s = getSchema(type(obj))
        if s.allowDanglingLinks or not s.foreignFields:
            continue
        for field, pk in changedLinkPks(s, obj):
            target = getSchema(field.foreignModelFor(type(obj)))
            if (target.keyName, pk) in ownPks:
                continue
            wanted.setdefault(target.keyName, (target, {}))[1].setdefault(pk, (obj, field, s))
    for target, byPk in wanted.values():
        pks = list(byPk)
        present = yield Run(partial(_presentOp, target=target, pks=pks), target, "save (checking linked objects)")
        for pk, flag in zip(pks, present):
            if not flag:
                obj, field, s = byPk[pk]
                raise InvalidValueError(
                    f"Model {s.modelName}: field {field.name!r} links to {target.modelName} pk {pk}, which does not exist; "
                    f"nothing was saved. Save that {target.modelName} object first, link an existing one, or set "
                    f"ALLOW_DANGLING_LINKS = True on {s.modelName} to allow links to missing objects"
                )


def _presentOp(layout: Any, target: ModelSchema, pks: List[int]) -> Op:
    return (yield keyed("SMISMEMBER", layout.keysKey, *pks))


__all__ = ["changedLinkPks", "checkLinkTargets"]
