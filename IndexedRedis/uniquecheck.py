"""UNIQUE_FIELDS for writes done in several steps (a list save or a bulk update of more than one
step, under the model's lock): every unique value the whole batch would write is checked before
the first step, so a duplicate anywhere in the batch writes nothing.

A write of one step needs none of this: save.lua checks the batch against the unique hashes in
the same atomic step. The member of an object in a constraint is built as scripts/ext.lua
builds it (uniqueMember).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from .fields.null import IR_NULL_BYTES
from .keys import KeyLayout
from .plans import Op, SaveEntry, transaction, uniqueError
from .schema import ModelSchema

BATCH = 500


def memberOf(values: Sequence[Optional[bytes]]) -> Optional[bytes]:
    """The unique member of stored ``values`` (one per field of a constraint), or None when one is
    absent, null or empty (such values are never unique)."""
    present: List[bytes] = []
    for v in values:
        if v is None or v == b"" or v == IR_NULL_BYTES:
            return None
        present.append(v)
    if len(present) == 1:
        return present[0]
    return b"".join(b"%d:" % len(v) + v for v in present)


def stepsOp(schema: ModelSchema, layout: KeyLayout, entries: Sequence[SaveEntry], steps: Any) -> Op:
    """Run ``steps()`` (a plan writing ``entries`` in several steps, the model's lock held) as one
    write for UNIQUE_FIELDS: the whole batch is checked first (a duplicate anywhere writes nothing),
    then the unique members the batch gives up are released, so that a step may take a member a
    later step gives up (as ``increment('rank', 1)`` over many objects does). Readers wait for the
    lock, so none sees the members released. Should a step fail, the unique hashes of the batch's
    objects are brought back in line with their data before the error propagates."""
    releases = yield from precheckOp(schema, layout, entries)
    if releases:
        yield transaction([("HDEL", key, member) for key, member, _ in releases])
    try:
        return (yield from steps())
    except BaseException:
        if releases:
            from . import scripts
            from .plans import script

            pks = sorted({pk for _, _, pk in releases})
            for i in range(0, len(pks), BATCH):
                yield script(scripts.UNIQUE_CHECK, [], [b"objects", b"1", *pks[i : i + BATCH]])
        raise


def precheckOp(schema: ModelSchema, layout: KeyLayout, entries: Sequence[SaveEntry]) -> Op:
    """Raise UniqueConstraintError when ``entries`` (to be written in steps, the lock held) would
    give a unique member to two objects, or one another object holds. Returns the members the
    batch gives up: (hash key, member, pk of the entry that holds it now)."""
    if not schema.uniqueConstraints or not entries:
        return []
    names = sorted({f.name for c in schema.uniqueConstraints for f in c})
    stored: Dict[int, Dict[str, Optional[bytes]]] = {}
    updates = [e for e in entries if e.mode == "U"]
    for i in range(0, len(updates), BATCH):
        chunk = updates[i : i + BATCH]
        rows = yield transaction([("HMGET", layout.data(e.pk), *names) for e in chunk])  # type: ignore[arg-type]
        for e, row in zip(chunk, rows):
            stored[e.pk] = dict(zip(names, row))  # type: ignore[index]
    # (constraint, member) -> entry index, and per U entry the members it gives up
    claimed: Dict[Tuple[int, bytes], int] = {}
    leaving: Dict[Tuple[int, bytes], int] = {}
    wanted: List[Tuple[int, int, bytes]] = []
    for i, e in enumerate(entries):
        before = stored.get(e.pk, {}) if e.mode == "U" else {}  # type: ignore[arg-type]
        for u, c in enumerate(schema.uniqueConstraints):
            if e.mode == "U" and not any(f.name in e.sets for f in c):
                continue
            new = memberOf([e.sets.get(f.name, before.get(f.name)) for f in c])
            old = memberOf([before.get(f.name) for f in c]) if e.mode == "U" else None
            if old is not None and old != new:
                leaving[(u, old)] = i
            if new is None or new == old:
                continue
            if (u, new) in claimed:
                raise uniqueError(schema, e.obj, u, None, entries[claimed[(u, new)]].obj, e.sets)
            claimed[(u, new)] = i
            wanted.append((i, u, new))
    for j in range(0, len(wanted), BATCH):
        part = wanted[j : j + BATCH]
        hashes = [layout.uniq([f.name for f in schema.uniqueConstraints[u]]) for _, u, _ in part]
        cmds: List[Tuple[Any, ...]] = [("HGET", key, m) for key, (_, _, m) in zip(hashes, part)]
        if schema.expiry:
            cmds.insert(0, ("TIME",))
        replies = yield transaction(cmds)
        holders = replies[1:] if schema.expiry else replies
        due: Dict[bytes, bool] = {}
        if schema.expiry and any(holders):
            now = int(replies[0][0]) * 1000 + int(replies[0][1]) // 1000
            held = [h for h in holders if h]
            scores = yield transaction([("ZMSCORE", layout.expKey, *held)])
            due = {h: s is not None and int(float(s)) <= now for h, s in zip(held, scores[0])}
        for (i, u, m), holder in zip(part, holders):
            e = entries[i]
            if not holder or (e.pk is not None and int(holder) == e.pk) or due.get(holder):
                continue
            if leaving.get((u, m)) is not None and entries[leaving[(u, m)]].pk == int(holder):
                continue  # its holder gives it up in this batch
            raise uniqueError(schema, e.obj, u, holder, None, e.sets)
    releases: List[Tuple[bytes, bytes, int]] = []
    gives = [((u, m), entries[i].pk) for (u, m), i in leaving.items()]
    for j in range(0, len(gives), BATCH):
        group = gives[j : j + BATCH]
        keys = [layout.uniq([f.name for f in schema.uniqueConstraints[u]]) for (u, _), _ in group]
        owners = yield transaction([("HGET", key, m) for key, ((_, m), _) in zip(keys, group)])
        for key, ((_, m), pk), owner in zip(keys, group, owners):
            if owner is not None and pk is not None and int(owner) == pk:
                releases.append((key, m, pk))
    return releases


__all__ = ["memberOf", "precheckOp", "stepsOp"]
