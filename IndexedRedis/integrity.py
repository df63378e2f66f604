"""``Model.objects.verify()`` and ``repair()``: find and fix index entries that disagree with data.

Both walk what the model holds, incrementally: SSCAN over the pk set and over the generation's
index key registry (registry.py), in batches, so they are safe on a live server and cost what
the model holds, not what the database holds. Data without a complete registry (the 6.0.3
layout) gets one on the first pass, with one SCAN; ``deep=True`` does that SCAN again, to find
keys that nothing lists (orphan data, index keys written by other clients or by hand).

Every suspect is checked again at the end of the pass in one transaction, an instant at which
no write script is half done, and reported only if it still holds: a healthy model under live
writes is reported healthy. ``repair`` fixes each problem with fix_index.lua, which re-checks
the stored value first, so an object changed meanwhile by a writer is left alone.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, List, Optional, Tuple

from . import scripts, sorting
from .jobs import Job, Run
from .keys import REGISTRY_COMPLETE, KeyLayout
from .plans import Op, command, script, transaction
from .registry import abandonedGenerationsOp, buildRegistryOp, dropGenerationOp
from .schema import ModelSchema, getSchema

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
        # (generation, about how many keys): a generation that is not current and that no client works on
        self.leftoverGenerations: List[Tuple[int, int]] = []
        self.unregisteredKeys: List[bytes] = []  # index keys in use that the registry does not list
        # (pk, field, linked model name, linked pk): a link to an object that does not exist
        self.danglingLinks: List[Tuple[int, str, str, int]] = []
        # (field, pk): an object missing from the sorted set of a field of SORTED_FIELDS, or placed
        # there by another value; (field, members, objects): a sorted set holding members of no object
        self.sortedMisplaced: List[Tuple[str, int]] = []
        self.sortedExtra: List[Tuple[str, int, int]] = []
        # UNIQUE_FIELDS: (pk, fields, member, holder pk or None): the object's value is not held by it
        # in the constraint's hash (held by holder: a duplicate, which repair() cannot choose between);
        # (fields, member, pk): an entry naming an object that does not hold that value
        self.uniqueMissing: List[Tuple[int, Tuple[str, ...], bytes, Optional[int]]] = []
        self.uniqueStale: List[Tuple[Tuple[str, ...], bytes, int]] = []
        self.expiryOrphans: List[int] = []  # EXPIRE: deadlines of objects that do not exist
        self.registryBuilt = False  # this pass built the registry with a SCAN of the keyspace
        self._links: Dict[str, Dict[int, List[int]]] = {}  # field -> linked pk -> pks linking to it

    def _lists(self) -> List[list]:
        return [
            self.uniqueMissing,
            self.uniqueStale,
            self.expiryOrphans,
            self.missingEntries,
            self.staleEntries,
            self.danglingPks,
            self.orphanData,
            self.leftoverGenerations,
            self.unregisteredKeys,
            self.danglingLinks,
            self.sortedMisplaced,
            self.sortedExtra,
        ]

    @property
    def leftoverKeyCount(self) -> int:
        """About how many keys the leftover generations hold."""
        return sum(n for _, n in self.leftoverGenerations)

    @property
    def ok(self) -> bool:
        return not any(self._lists())

    @property
    def problemCount(self) -> int:
        return sum(len(x) for x in self._lists())

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
        for gen, n in self.leftoverGenerations:
            out.append(f"  leftover generation {gen} (about {n} keys): a reset that did not finish; repair() deletes it")
        for key in self.unregisteredKeys:
            out.append(f"  index key {key!r} is not in the key registry (written by another client?)")
        for pk, field, other, linked in self.danglingLinks:
            out.append(
                f"  dangling link: pk {pk}, field {field!r} links to {other} pk {linked}, which does not exist "
                "(repair() leaves links alone: save the object with another link, or delete it)"
            )
        for field, pk in self.sortedMisplaced:
            out.append(f"  sorted set of {field!r}: pk {pk} is missing or placed by another value")
        for field, members, objects in self.sortedExtra:
            out.append(f"  sorted set of {field!r} holds {members} members for {objects} objects")
        for pk, fields, member, holder in self.uniqueMissing:
            where = f"pk {holder} holds it (a duplicate: change one of them)" if holder is not None else "no object holds it"
            out.append(f"  unique {'+'.join(fields)}: pk {pk} stores {member!r}, but {where}")
        for fields, member, pk in self.uniqueStale:
            out.append(f"  unique {'+'.join(fields)}: {member!r} names pk {pk}, which does not hold it")
        for pk in self.expiryOrphans:
            out.append(f"  expiry set names pk {pk}, which does not exist")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<VerifyReport {self.modelName}: {self.problemCount} problem(s)>"


def verifyOp(schema: ModelSchema, layout: KeyLayout, deep: bool = False, track: Any = None) -> Op:
    """Walk data and indexes of one model and return a VerifyReport (several round trips, batched).

    ``track``: a progress.Tracker told of the objects checked (one SCARD more when given).

    Dangling links are looked up afterwards by ``checkLinks`` (the linked models may live elsewhere).
    """
    report = VerifyReport(schema.modelName)
    indexed = schema.indexedFields
    links = [f for f in schema.foreignFields]
    sortedFields = schema.sortedFields
    names = (
        [f.name.encode("utf-8") for f in indexed]
        + [f.name.encode("utf-8") for f in links]
        + [f.name.encode("utf-8") for f, _ in sortedFields]
    )
    base = schema.layout

    # 0. The registry: built with one SCAN when it is not complete yet, or when asked (deep).
    if deep or not (yield command("SISMEMBER", layout.registryKey, REGISTRY_COMPLETE)):
        yield from buildRegistryOp(base, layout.gen, report)
        report.registryBuilt = True

    # 1. Every object: its data exists, and it is in the index set of each indexed value it stores,
    #    and that index set is in the registry.
    if track is not None:
        track.start("checking", int((yield command("SCARD", layout.keysKey))))
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
            placed: List[Tuple[str, str, int, Optional[bytes]]] = []  # (sorted field, kind, pk, stored)
            for i, pk in enumerate(pks):
                pkInt = int(pk)
                report.objectsChecked += 1
                if not replies[i * step]:
                    report.danglingPks.append(pkInt)
                    continue
                if names:
                    values = replies[i * step + 1]
                    for field, raw in zip(indexed, values):
                        if raw is None:
                            continue
                        checks.append((layout.idx(field.name, field.storageToIndex(raw)), pkInt, field.name, raw))
                    for field, raw in zip(links, values[len(indexed) :]):
                        for linked in _linkedPks(raw):
                            report._links.setdefault(field.name, {}).setdefault(linked, []).append(pkInt)
                    for (field, kind), raw in zip(sortedFields, values[len(indexed) + len(links) :]):
                        placed.append((field.name, kind, pkInt, raw))
            if checks:
                usedKeys = list(dict.fromkeys(key for key, _, _, _ in checks))
                flags = yield transaction(
                    [("SISMEMBER", key, pk) for key, pk, _, _ in checks]
                    + [("SISMEMBER", layout.registryKey, k) for k in usedKeys]
                )
                for flag, check in zip(flags, checks):
                    if not flag:
                        report.missingEntries.append(check)
                report.unregisteredKeys.extend(k for k, flag in zip(usedKeys, flags[len(checks) :]) if not flag)
            if placed:
                scores = yield transaction([("ZSCORE", layout.sort(n), sorting.member(k, pk, raw)) for n, k, pk, raw in placed])
                for (n, k, pk, raw), got in zip(placed, scores):
                    if not _placedRight(k, raw, got):
                        report.sortedMisplaced.append((n, pk))
        if track is not None:
            track.advance(len(pks))
        if cursor == 0:
            break

    # 2. Every index key the registry lists: its members must be objects that store its value.
    #    Batched per SSCAN page: one transaction sizes the page's index keys, one reads the members
    #    of the small ones and one reads the values they point at.
    prefixLen = len(layout.idxPrefix)
    cursor = 0
    while True:
        cursor, keys = yield command("SSCAN", layout.registryKey, cursor, "COUNT", BATCH)
        cursor = int(cursor)
        idxKeys: List[Tuple[bytes, Any]] = []
        for key in keys:
            if not key.startswith(layout.idxPrefix) or base.ownGen(key) != layout.gen:
                continue  # the registry's marker members
            fieldName = key[prefixLen:].split(b":", 1)[0].decode("utf-8", "replace")
            idxField: Optional[Any] = schema.fieldsByName.get(fieldName)
            if fieldName not in schema.indexedNames:
                idxField = None  # every member is stale
            idxKeys.append((key, idxField))
        if idxKeys:
            sizes = yield transaction([("SCARD", key) for key, _ in idxKeys])
            report.indexKeysChecked += sum(1 for n in sizes if int(n))
            small = [(key, field) for (key, field), n in zip(idxKeys, sizes) if 0 < int(n) <= BATCH]
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

    # 3. Other generations: leftovers unless a client works on them (their marker lives).
    leftovers = yield from abandonedGenerationsOp(base)
    report.leftoverGenerations = sorted(leftovers.items())

    # 4. Check every suspect again, at one instant.
    if sortedFields:
        sizes = yield transaction([("SCARD", layout.keysKey)] + [("ZCARD", layout.sort(f.name)) for f, _ in sortedFields])
        for (f, _), n in zip(sortedFields, sizes[1:]):
            if int(n) > int(sizes[0]):
                report.sortedExtra.append((f.name, int(n), int(sizes[0])))
    yield from _recheck(schema, layout, report)
    if report.sortedMisplaced:
        yield from _recheckSorted(schema, layout, report)
    if layout.ext is not None:
        yield from checkExtOp(schema, layout, report, fix=False)
    return report


def checkExtOp(schema: ModelSchema, layout: KeyLayout, report: VerifyReport, fix: bool) -> Op:
    """Check (``fix``: and repair) the unique hashes and the expiry set, in batches; each batch is
    checked at one instant on the server (unique_check.lua). Returns the number of fixes."""
    flag = b"1" if fix else b"0"
    fixed = 0
    if schema.uniqueConstraints:
        cursor = 0
        while True:
            cursor, pks = yield command("SSCAN", layout.keysKey, cursor, "COUNT", BATCH)
            if pks:
                for pk, u, member, holder in (yield script(scripts.UNIQUE_CHECK, [], [b"objects", flag, *pks])):
                    fields = schema.uniqueNames[int(u) - 1]
                    report.uniqueMissing.append((int(pk), fields, member, int(holder) if holder else None))
                    fixed += 1 if fix and not holder else 0
            cursor = int(cursor)
            if cursor == 0:
                break
        for u, fields in enumerate(schema.uniqueNames, 1):
            cursor = 0
            while True:
                cursor, bad = yield script(scripts.UNIQUE_CHECK, [], [b"entries", flag, u, cursor, BATCH])
                for i in range(0, len(bad), 2):
                    report.uniqueStale.append((fields, bad[i], int(bad[i + 1])))
                    fixed += 1 if fix else 0
                cursor = int(cursor)
                if cursor == 0:
                    break
    if schema.expiry:
        cursor = 0
        while True:
            cursor, bad = yield script(scripts.UNIQUE_CHECK, [], [b"expiry", flag, cursor, BATCH])
            report.expiryOrphans.extend(int(pk) for pk in bad)
            fixed += len(bad) if fix else 0
            cursor = int(cursor)
            if cursor == 0:
                break
    return fixed


def _linkedPks(raw: Optional[bytes]) -> List[int]:
    """The pks a stored link value names (``7`` or ``7,8``; none for null or unreadable values)."""
    if not raw or raw == b"IRNullType()":
        return []
    out = []
    for part in raw.split(b","):
        if part.isdigit():
            out.append(int(part))
    return out


def _recheckSorted(schema: ModelSchema, layout: KeyLayout, report: VerifyReport) -> Op:
    """Keep the misplaced entries that still hold at one instant: the value and its place read in
    one transaction (an object changed meanwhile by a writer, which keeps its sorted sets, is dropped)."""
    kinds = schema.sortedKinds
    firstRead = yield transaction([("HGET", layout.data(pk), n) for n, pk in report.sortedMisplaced])
    cmds: List[Tuple[Any, ...]] = []
    for (n, pk), raw in zip(report.sortedMisplaced, firstRead):
        cmds += [("HGET", layout.data(pk), n), ("ZSCORE", layout.sort(n), sorting.member(kinds[n], pk, raw))]
    replies = yield transaction(cmds)
    kept = []
    for i, ((n, pk), raw) in enumerate(zip(report.sortedMisplaced, firstRead)):
        now, score = replies[2 * i], replies[2 * i + 1]
        if now == raw and not _placedRight(kinds[n], now, score):
            kept.append((n, pk))
    report.sortedMisplaced = kept


def _placedRight(kind: str, stored: Optional[bytes], score: Any) -> bool:
    """Whether a sorted set places an object as its stored value says (sorting.py)."""
    if score is None:
        return False
    if kind == "l":
        return True  # the member itself names the value
    want = sorting.score(kind, stored)
    return float(score) == (float("-inf") if want == "-inf" else float(want))


def _recheck(schema: ModelSchema, layout: KeyLayout, report: VerifyReport) -> Op:
    """Keep only the suspects that still hold at one instant (one transaction per batch).

    Write scripts are atomic, so at one instant the data and the indexes of a healthy model agree:
    a suspect seen because an object changed between two reads of the pass is dropped here.
    """
    tests: List[Tuple[str, Any, int]] = []  # (kind, suspect, number of replies)
    cmds: List[Tuple[Any, ...]] = []
    for key, pk, field, raw in report.missingEntries:
        tests.append(("missing", (key, pk, field, raw), 2))
        cmds += [("HGET", layout.data(pk), field), ("SISMEMBER", key, pk)]
    for key, pk, staleField, raw in report.staleEntries:
        tests.append(("stale", (key, pk, staleField, raw), 2))
        cmds += [("SISMEMBER", key, pk), ("HGET", layout.data(pk), staleField) if staleField else ("EXISTS", layout.data(pk))]
    for pk in report.danglingPks:
        tests.append(("dangling", pk, 2))
        cmds += [("SISMEMBER", layout.keysKey, pk), ("EXISTS", layout.data(pk))]
    for pk in report.orphanData:
        tests.append(("orphan", pk, 2))
        cmds += [("EXISTS", layout.data(pk)), ("SISMEMBER", layout.keysKey, pk)]
    for key in report.unregisteredKeys:
        tests.append(("unregistered", key, 2))
        cmds += [("EXISTS", key), ("SISMEMBER", layout.registryKey, key)]
    if not tests:
        return
    replies: List[Any] = []
    for i in range(0, len(cmds), 2 * BATCH):
        replies.extend((yield transaction(cmds[i : i + 2 * BATCH])))
    kept: Dict[str, list] = {"missing": [], "stale": [], "dangling": [], "orphan": [], "unregistered": []}
    pos = 0
    for kind, suspect, n in tests:
        a, b = replies[pos], replies[pos + 1]
        pos += n
        if kind == "missing":
            holds = a == suspect[3] and not b  # still stores that value, still not in the set
        elif kind == "stale":
            key, _, field, _ = suspect
            if field is None:
                holds = bool(a)
            else:
                holds = bool(a) and (b is None or layout.idx(field, schema.fieldsByName[field].storageToIndex(b)) != key)
        else:
            holds = bool(a) and not b
        if holds:
            kept[kind].append(suspect)
    report.missingEntries = kept["missing"]
    report.staleEntries = kept["stale"]
    report.danglingPks = kept["dangling"]
    report.orphanData = kept["orphan"]
    report.unregisteredKeys = kept["unregistered"]


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
    """Fix what ``report`` lists. Returns the number of fixes applied (re-checked on the server).

    Dangling links are left alone: which object a link should name is the application's call.
    Sorted sets that disagree with the data are rebuilt (``reindex``, in steps under the model's lock).
    """
    fixed = 0
    for key in report.unregisteredKeys:
        fixed += int((yield command("SADD", layout.registryKey, key)))
    for key, pk, field, raw in report.missingEntries:
        fixed += int(
            (
                yield script(
                    scripts.FIX_INDEX,
                    [key, layout.data(pk), layout.verKey, layout.registryKey],
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
                        [key, layout.data(pk), layout.verKey, layout.registryKey],
                        ["rem", pk, staleField, b"v" + raw if raw is not None else b"x"],
                    )
                )
            )
    if report.danglingPks:
        fixed += int((yield _fixPks(layout, "rem", report.danglingPks)))
    if report.orphanData:
        fixed += int((yield _fixPks(layout, "add", report.orphanData)))
    for gen, _ in report.leftoverGenerations:
        if gen != layout.gen:
            yield from dropGenerationOp(
                schema.layout,
                gen,
                owned=schema.collectionNames,
                sortedNames=[f.name for f, _ in schema.sortedFields],
                uniqueNames=schema.uniqueNames,
            )
            fixed += 1
    if layout.ext is not None and (report.uniqueMissing or report.uniqueStale or report.expiryOrphans):
        fixed += yield from checkExtOp(schema, layout, VerifyReport(schema.modelName), fix=True)
    return fixed


def checkLinks(schema: ModelSchema, report: VerifyReport) -> Job:
    """Fill ``report.danglingLinks`` from the links the pass collected: each linked pk is looked up in
    its model's current generation (``EXISTS`` of its data, batched), and a link found dangling is
    read again (the object's field, then the linked object) before it is reported.
    """
    found: List[Tuple[int, str, str, int]] = []
    for field in schema.foreignFields:
        refs = report._links.get(field.name)
        if not refs:
            continue
        other = getSchema(field.foreignModelFor(schema.model))
        missing = yield from _missingPks(other, sorted(refs))
        candidates = [(pk, linked) for linked in missing for pk in refs[linked]]
        if not candidates:
            continue
        # Read again: the object may have been re-linked, or the linked object saved, meanwhile.
        pks = [pk for pk, _ in candidates]
        values = yield Run(partial(_hgetOp, pks=pks, name=field.name), schema, "verify")
        still = {pk: set(_linkedPks(raw)) for pk, raw in zip(pks, values)}
        candidates = [(pk, linked) for pk, linked in candidates if linked in still[pk]]
        gone = set((yield from _missingPks(other, sorted({linked for _, linked in candidates}))))
        found.extend((pk, field.name, other.modelName, linked) for pk, linked in candidates if linked in gone)
    report.danglingLinks = sorted(found)
    report._links = {}


def _missingPks(schema: ModelSchema, pks: List[int]) -> Job:
    out: List[int] = []
    for i in range(0, len(pks), BATCH):
        batch = pks[i : i + BATCH]
        flags = yield Run(partial(_existsOp, pks=batch), schema, "verify")
        out.extend(pk for pk, flag in zip(batch, flags) if not flag)
    return out


def _existsOp(layout: KeyLayout, pks: List[int]) -> Op:
    return (yield transaction([("EXISTS", layout.data(pk)) for pk in pks]))


def _hgetOp(layout: KeyLayout, pks: List[int], name: str) -> Op:
    out: List[Any] = []
    for i in range(0, len(pks), BATCH):
        out.extend((yield transaction([("HGET", layout.data(pk), name) for pk in pks[i : i + BATCH]])))
    return out


__all__ = ["VerifyReport", "checkLinks", "repairOp", "verifyOp"]
