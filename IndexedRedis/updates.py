"""Writes without a fetch: ``filter(...).update(field=value)``, ``obj.increment(field, n)`` and
``filter(...).increment(field, n)``.

An increment of one object is one incr.lua call: compare and set on the value the client
believes stored (its last fetched or saved value), so it is one round trip when nobody else
changed the field, and otherwise computed again from the value Redis reports, until it lands;
the index entry and the sorted set of the field move in the same step. Updates and increments
of the matches of a filter run holding the model's lock (bigops.py): the matches and their
current values are read page by page, then written in steps of bigops.STEP objects by save.lua,
so readers see all of them changed or none, and Redis is never held for long.
"""

from __future__ import annotations

import decimal
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import bigops, scripts
from .exceptions import ConcurrentWriteError, InvalidFieldError, InvalidValueError, ObjectNotFoundError
from .jobs import Job, Run
from .fields.null import IR_NULL_BYTES
from .keys import KeyLayout
from .plans import Call, Op, SaveEntry, UNKNOWN, fetchCall, newToken, saveEntriesOp, sortedArgs, uniqueError
from .schema import ModelSchema, getSchema

INCREMENT_ATTEMPTS = 1000  # compare-and-set tries against other writers of the same field


def _numberKind(schema: ModelSchema, name: str) -> Tuple[Any, str]:
    from .fields.numeric import IRFixedPointField

    field = schema.field(name)
    if isinstance(field, IRFixedPointField):
        return field, "fixed"
    kind = getattr(field, "_kind", None)
    if type(field).__name__ == "IRField" and kind in ("int", "float"):
        return field, kind
    raise InvalidValueError(
        f"Model {schema.modelName}: field {name!r} ({type(field).__name__}) cannot be incremented; increment works on "
        "IRField(valueType=int), IRField(valueType=float) and IRFixedPointField fields"
    )


def addStored(schema: ModelSchema, field: Any, kind: str, stored: Optional[bytes], delta: Any) -> bytes:
    """The stored form of (the number ``stored`` holds, 0 when unset) + ``delta``."""
    if isinstance(delta, bool) or not isinstance(delta, (int, float, decimal.Decimal)):
        raise InvalidValueError(f"Model {schema.modelName}: increment of {field.name!r} takes a number; got {delta!r:.60}")
    empty = stored is None or stored == IR_NULL_BYTES or stored == b""
    if kind == "int":
        if not isinstance(delta, int):
            raise InvalidValueError(
                f"Model {schema.modelName}: field {field.name!r} holds ints; increment by an int, not {delta!r}"
            )
        return b"%d" % ((0 if empty else int(stored)) + delta)  # type: ignore[arg-type]
    if kind == "float":
        return field.toStorage((0.0 if empty else float(stored)) + float(delta))  # type: ignore[arg-type]
    base = decimal.Decimal(0) if empty else decimal.Decimal(stored.decode("ascii"))  # type: ignore[union-attr]
    return field.toStorage(field.fromInput(base + decimal.Decimal(str(delta))))


def _incrementCall(schema: ModelSchema, layout: KeyLayout, field: Any, pk: int, expected: Any, new: bytes) -> Call:
    indexed = field.name in schema.indexedNames
    keys: List[Any] = [layout.data(pk), layout.verKey]
    if expected is UNKNOWN:
        exp = b"?"
    elif expected is None:
        exp = b"x"
    else:
        exp = b"v" + expected
    oldKey = layout.idx(field.name, field.storageToIndex(expected)) if indexed and isinstance(expected, bytes) else layout.keysKey
    keys += [oldKey, layout.idx(field.name, field.storageToIndex(new)) if indexed else layout.keysKey]
    args: List[Any] = [pk, field.name, exp, b"1" if indexed else b"0", new]
    sortedArgs(layout, [(f, k) for f, k in schema.sortedFields if f.name == field.name], keys, args)
    return Call(script=scripts.INCR, keys=keys, args=args, token=newToken(), pks=[pk])


def incrementOp(schema: ModelSchema, layout: KeyLayout, obj: Any, name: str, delta: Any) -> Op:
    """Increment one object's field; returns the new stored value."""
    field, kind = _numberKind(schema, name)
    pk = obj.__dict__.get("_id")
    stored = obj.__dict__.get("_ir_stored")
    partial = obj.__dict__.get("_ir_partial")
    expected: Any = UNKNOWN
    if stored is not None and (partial is None or name in partial):
        expected = stored.get(name)
    for _attempt in range(INCREMENT_ATTEMPTS):
        current = b"" if expected is UNKNOWN else expected
        new = addStored(schema, field, kind, current, delta)
        reply = yield _incrementCall(schema, layout, field, pk, expected, new)
        status = reply[0]
        if status in (b"ok", b"replay"):
            return new
        if status == b"gone":
            raise ObjectNotFoundError(
                f"Model {schema.modelName}: object pk={pk} was deleted (or it expired, or the dataset was reset); nothing "
                "was incremented"
            )
        if status == b"unique":
            probe = _Row(pk)
            probe.__dict__.update({n: obj.__dict__.get(n) for n in schema.fieldNames})
            probe.__dict__[name] = field.fromStorage(new)
            raise uniqueError(schema, probe, int(reply[1]) - 1, reply[2])
        expected = reply[1]  # None: the field is absent
    raise ConcurrentWriteError(
        f"Model {schema.modelName}: increment of {name!r} on pk={pk} gave up after {INCREMENT_ATTEMPTS} attempts; other "
        "writers kept changing it"
    )


def incrementObject(obj: Any, name: str, delta: Any = 1) -> Job:
    """``obj.increment(name, delta)``: see the module doc. Returns the new value."""
    schema = getSchema(type(obj))
    if obj.__dict__.get("_id") is None:
        raise ObjectNotFoundError(f"Model {schema.modelName}: save the object before incrementing {name!r}")
    if name not in schema.fieldsByName:
        raise InvalidFieldError(f"Model {schema.modelName} has no field {name!r}; its fields are {schema.fieldNames}")
    new = yield Run(lambda layout: incrementOp(schema, layout, obj, name, delta), schema, "increment")
    field = schema.fieldsByName[name]
    d = obj.__dict__
    d[name] = field.fromStorage(new)
    if d.get("_ir_stored") is not None:
        d["_ir_stored"][name] = new
    dirty = d.get("_ir_dirty")
    if dirty:
        dirty.discard(name)
    return d[name]


# ---------------------------------------------------------------------------- on the matches of a filter
class _Row:
    """Stands for a matching object in a save entry (only its pk and change tracking)."""

    def __init__(self, pk: int) -> None:
        self._id = pk


def _matchesOp(schema: ModelSchema, layout: KeyLayout, filters: Sequence[Any], names: List[str]) -> Op:
    """Every match of ``filters`` with the stored values of ``names``, page by page."""
    fields = [n.encode("utf-8") for n in names]
    found: List[Tuple[int, List[Any]]] = []
    cursor: Any = 0
    while True:
        cursor, rows = yield fetchCall(layout, filters, "scanall", [cursor, bigops.STEP, *fields])
        for i in range(0, len(rows), 2):
            found.append((int(rows[i]), rows[i + 1]))
        if cursor in (0, b"0", "0"):
            return found


def _writeOp(schema: ModelSchema, layout: KeyLayout, entries: List[SaveEntry]) -> Op:
    def steps() -> Op:
        for i in range(0, len(entries), bigops.STEP):
            yield from saveEntriesOp(schema, layout, entries[i : i + bigops.STEP])
        return len(entries)

    if schema.uniqueConstraints and len(entries) > bigops.STEP:
        from .uniquecheck import stepsOp

        return (yield from stepsOp(schema, layout, entries, steps))  # a duplicate in any step writes nothing
    return (yield from steps())


def _entry(schema: ModelSchema, pk: int, current: Dict[str, Any], new: Dict[str, bytes]) -> Optional[SaveEntry]:
    sets = {n: v for n, v in new.items() if current.get(n) != v}
    if not sets:
        return None
    idx = [[schema.fieldsByName[n], current.get(n), v] for n, v in sets.items() if n in schema.indexedNames]
    return SaveEntry(_Row(pk), "U", pk, sets, idx)


def updateMatchingJob(model: type, filters: Sequence[Any], values: Dict[str, Any]) -> Job:
    """``filter(...).update(**values)``: set the fields of every match; returns how many changed."""
    schema = getSchema(model)
    if not values:
        return 0
    new: Dict[str, bytes] = {}
    for name, value in values.items():
        field = schema.field(name)
        if getattr(field, "isForeignLink", False):
            raise InvalidValueError(f"Model {schema.modelName}: update() does not set link fields ({name!r}); save the objects")
        try:
            new[name] = field.toStorage(field.fromInput(value))
        except InvalidValueError as exc:
            raise InvalidValueError(f"Model {schema.modelName}: {exc}") from exc
    if schema.sortedFields:
        from .plans import checkSorted

        checkSorted(schema, new)
    names = list(new)

    def body(layout: KeyLayout) -> Op:
        found = yield from _matchesOp(schema, layout, filters, names)
        entries = [e for e in (_entry(schema, pk, dict(zip(names, vals)), new) for pk, vals in found) if e is not None]
        return (yield from _writeOp(schema, layout, entries))

    return (yield from bigops.runLocked(schema, body, "update"))


def incrementMatchingJob(model: type, filters: Sequence[Any], name: str, delta: Any = 1) -> Job:
    """``filter(...).increment(name, delta)``: add to the field of every match; returns how many."""
    schema = getSchema(model)
    field, kind = _numberKind(schema, name)

    def body(layout: KeyLayout) -> Op:
        found = yield from _matchesOp(schema, layout, filters, [name])
        entries = []
        for pk, (cur,) in found:
            entry = _entry(schema, pk, {name: cur}, {name: addStored(schema, field, kind, cur, delta)})
            if entry is not None:
                entries.append(entry)
        return (yield from _writeOp(schema, layout, entries))

    return (yield from bigops.runLocked(schema, body, "increment"))


__all__ = ["INCREMENT_ATTEMPTS", "addStored", "incrementMatchingJob", "incrementObject", "updateMatchingJob"]
