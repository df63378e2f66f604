"""``Model.objects.verify()`` and ``repair()``: find and fix index entries that disagree with data.

Both walk the model incrementally (SSCAN over the pk set, SCAN over the index keys, in
batches), so they are safe on a live server: no command blocks Redis for long. ``repair``
fixes each problem with fix_index.lua, which re-checks the stored value first, so an object
changed meanwhile by a writer (which keeps its own index entries exact) is left alone.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from . import scripts
from .keys import KeyLayout
from .plans import Op, command, script, transaction
from .schema import ModelSchema

BATCH = 500


class VerifyReport:
    """What ``verify()`` found. ``ok`` is True when there is nothing to repair."""

    def __init__(self, modelName: str) -> None:
        self.modelName = modelName
        self.objectsChecked = 0
        self.indexKeysChecked = 0
        # (index key, pk, field, stored value): the object stores the value but is not in the set
        self.missingEntries: List[Tuple[bytes, int, str, Optional[bytes]]] = []
        # (index key, pk, field or None, stored value): the set holds a pk whose data says otherwise
        self.staleEntries: List[Tuple[bytes, int, Optional[str], Optional[bytes]]] = []
        self.danglingPks: List[int] = []  # in the pk set, but no data
        self.orphanData: List[int] = []  # data hash whose pk is not in the pk set
        self.leftoverKeys: List[bytes] = []  # keys of the model that IndexedRedis does not use

    @property
    def ok(self) -> bool:
        return not (self.missingEntries or self.staleEntries or self.danglingPks or self.orphanData or self.leftoverKeys)

    @property
    def problemCount(self) -> int:
        return (
            len(self.missingEntries)
            + len(self.staleEntries)
            + len(self.danglingPks)
            + len(self.orphanData)
            + len(self.leftoverKeys)
        )

    def __bool__(self) -> bool:
        return self.ok

    def lines(self) -> List[str]:
        out = [
            f"Model {self.modelName}: checked {self.objectsChecked} objects and {self.indexKeysChecked} index keys; "
            f"{self.problemCount} problem(s)"
        ]
        for key, pk, field, _ in self.missingEntries:
            out.append(f"  missing index entry: pk {pk} not in {key!r} (field {field!r})")
        for key, pk, staleField, _ in self.staleEntries:
            out.append(
                f"  stale index entry: pk {pk} in {key!r}"
                + (f" (field {staleField!r} stores another value)" if staleField else " (not an indexed field)")
            )
        for pk in self.danglingPks:
            out.append(f"  pk {pk} is in the pk set but has no data")
        for pk in self.orphanData:
            out.append(f"  data of pk {pk} exists but the pk is not in the pk set")
        for key in self.leftoverKeys:
            out.append(f"  leftover key {key!r}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<VerifyReport {self.modelName}: {self.problemCount} problem(s)>"


def verifyOp(schema: ModelSchema, layout: KeyLayout) -> Op:
    """Walk data and indexes of one model and return a VerifyReport (several round trips, batched)."""
    report = VerifyReport(schema.modelName)
    indexed = schema.indexedFields
    names = [f.name.encode("utf-8") for f in indexed]

    # 1. Every object: its data exists, and it is in the index set of each indexed value it stores.
    cursor = 0
    while True:
        cursor, pks = yield command("SSCAN", layout.keysKey, cursor, "COUNT", BATCH)
        cursor = int(cursor)
        if pks:
            cmds: List[Tuple[Any, ...]] = []
            for pk in pks:
                cmds.append(("EXISTS", layout.data(pk)))
                if names:
                    cmds.append(("HMGET", layout.data(pk), *names))
            replies = yield transaction(cmds)
            step = 2 if names else 1
            checks: List[Tuple[bytes, int, str, Optional[bytes]]] = []
            for i, pk in enumerate(pks):
                pkInt = int(pk)
                report.objectsChecked += 1
                if not replies[i * step]:
                    report.danglingPks.append(pkInt)
                    continue
                if names:
                    for field, raw in zip(indexed, replies[i * step + 1]):
                        if raw is None:
                            continue
                        checks.append((layout.idx(field.name, field.storageToIndex(raw)), pkInt, field.name, raw))
            if checks:
                flags = yield transaction([("SISMEMBER", key, pk) for key, pk, _, _ in checks])
                for flag, check in zip(flags, checks):
                    if not flag:
                        report.missingEntries.append(check)
        if cursor == 0:
            break

    # 2. Every key of the model: index entries must match the data; data must be in the pk set.
    #    Batched per SCAN page: one transaction checks the page's data keys, one sizes its index
    #    keys, one reads the members of the small ones and one reads the values they point at.
    prefixLen = len(layout.idxPrefix)
    cursor = 0
    while True:
        cursor, keys = yield command("SCAN", cursor, "MATCH", layout.allPattern(), "COUNT", BATCH)
        cursor = int(cursor)
        dataPks: List[bytes] = []
        idxKeys: List[Tuple[bytes, Any]] = []
        for key in keys:
            if key in (layout.keysKey, layout.nextKey, layout.genKey, layout.genNextKey, layout.verKey):
                continue
            if key.startswith(layout.opPrefix):
                continue  # the kept reply of a recent write (expires by itself)
            if (
                key.startswith(layout.sortPrefix)
                and key[len(layout.sortPrefix) :].decode("utf-8", "replace") in schema.sortedKinds
            ):
                continue  # a sorted index of the model (SORTED_FIELDS)
            keyGen = layout.ownGen(key)
            if keyGen is None:
                continue  # another model whose KEY_NAME starts with this one's
            if keyGen != layout.gen:
                # Another generation: a reset in progress (its building marker lives) or leftovers.
                if keyGen == 0 or not (yield command("EXISTS", layout.forGen(keyGen).buildingKey)):
                    report.leftoverKeys.append(key)
                continue
            if key == layout.buildingKey:
                continue
            if key.startswith(layout.dataPrefix):
                pk = key[len(layout.dataPrefix) :]
                if not pk.isdigit():
                    report.leftoverKeys.append(key)
                else:
                    dataPks.append(pk)
                continue
            if key.startswith(layout.collPrefix):
                continue  # a collection owned by an object (deleted with it by delete.lua)
            if not key.startswith(layout.idxPrefix):
                report.leftoverKeys.append(key)
                continue
            report.indexKeysChecked += 1
            fieldName = key[prefixLen:].split(b":", 1)[0].decode("utf-8", "replace")
            idxField: Optional[Any] = schema.fieldsByName.get(fieldName)
            if fieldName not in schema.indexedNames:
                idxField = None  # every member is stale
            idxKeys.append((key, idxField))
        if dataPks:
            flags = yield transaction([("SISMEMBER", layout.keysKey, pk) for pk in dataPks])
            report.orphanData.extend(int(pk) for pk, flag in zip(dataPks, flags) if not flag)
        if idxKeys:
            sizes = yield transaction([("SCARD", key) for key, _ in idxKeys])
            small = [(key, field) for (key, field), n in zip(idxKeys, sizes) if int(n) <= BATCH]
            big = [(key, field) for (key, field), n in zip(idxKeys, sizes) if int(n) > BATCH]
            if small:
                memberLists = yield transaction([("SMEMBERS", key) for key, _ in small])
                yield from _checkIndexMembers(layout, report, [(k, f, m) for (k, f), m in zip(small, memberLists)])
            for key, field in big:
                sCursor = 0
                while True:
                    sCursor, members = yield command("SSCAN", key, sCursor, "COUNT", BATCH)
                    sCursor = int(sCursor)
                    yield from _checkIndexMembers(layout, report, [(key, field, members)])
                    if sCursor == 0:
                        break
        if cursor == 0:
            break
    return report


def _checkIndexMembers(layout: KeyLayout, report: VerifyReport, groups: List[Tuple[bytes, Any, Any]]) -> Op:
    """Report every member of the given index keys whose object does not store the key's value.

    ``groups``: (index key, its field or None when the field is not indexed, members).
    """
    lookups = [(key, field, pk) for key, field, members in groups if field is not None for pk in members]
    for key, field, members in groups:
        if field is None:
            report.staleEntries.extend((key, int(pk), None, None) for pk in members)
    if not lookups:
        return
    values = yield transaction([("HGET", layout.data(pk), field.name) for _, field, pk in lookups])
    for (key, field, pk), raw in zip(lookups, values):
        if raw is None or layout.idx(field.name, field.storageToIndex(raw)) != key:
            report.staleEntries.append((key, int(pk), field.name, raw))


def _fixPks(layout: KeyLayout, action: str, pks: List[int]) -> Any:
    """A fix_pks.lua call: ``action`` 'rem' or 'add' for these pks, each checked against its data key."""
    return script(scripts.FIX_PKS, [layout.keysKey, layout.verKey, *[layout.data(pk) for pk in pks]], [action, *pks])


def repairOp(schema: ModelSchema, layout: KeyLayout, report: VerifyReport) -> Op:
    """Fix what ``report`` lists. Returns the number of fixes applied (re-checked on the server)."""
    fixed = 0
    for key, pk, field, raw in report.missingEntries:
        fixed += int(
            (
                yield script(
                    scripts.FIX_INDEX,
                    [key, layout.data(pk), layout.verKey],
                    ["add", pk, field, b"v" + raw if raw is not None else b"x"],
                )
            )
        )
    for key, pk, staleField, raw in report.staleEntries:
        if staleField is None:
            fixed += int((yield command("SREM", key, pk)))
        else:
            fixed += int(
                (
                    yield script(
                        scripts.FIX_INDEX,
                        [key, layout.data(pk), layout.verKey],
                        ["rem", pk, staleField, b"v" + raw if raw is not None else b"x"],
                    )
                )
            )
    if report.danglingPks:
        fixed += int((yield _fixPks(layout, "rem", report.danglingPks)))
    if report.orphanData:
        fixed += int((yield _fixPks(layout, "add", report.orphanData)))
    for key in report.leftoverKeys:
        fixed += int((yield command("UNLINK", key)))
    return fixed


__all__ = ["VerifyReport", "repairOp", "verifyOp"]
