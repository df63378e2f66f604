"""Operations too big for one bounded step: deletes and list saves of many objects.

Redis runs one script at a time, so a delete of 500,000 objects in one script would hold every
client of that Redis for seconds. Here such an operation runs in steps of ``STEP`` objects, each
a few milliseconds of server time, while it holds the model's lock (lock.lua): every other
reader and writer of the model waits for the lock to go (executor.waitUnlocked polls, backing
off), so none sees the operation half done, and Redis keeps serving every other model and
client between the steps. The holder keeps a lease (``_ir_|KEY:lock``, ``LEASE_MS``) alive; if it
dies, the first waiter that finds the lease gone frees the model, leaving the steps done so far
in place (as a crash between two separate deletes would).

Deleting every object of a model (``Model.objects.delete()`` without filters) is instead a
``reset`` to an empty dataset: one O(1) switch, with the old keys deleted in batches.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

from . import scripts
from .jobs import Job, Run
from .keys import KeyLayout
from .plans import (
    Call,
    Op,
    copyEntries,
    deleteEntriesFromFields,
    deleteEntry,
    deleteOp,
    fetchCall,
    keyed,
    newToken,
    saveEntriesOp,
    saveEntry,
)
from .exceptions import ObjectNotFoundError
from .schema import ModelSchema

STEP = 500  # objects per step: each script call stays at a few milliseconds of Redis time
# Updates that change no indexed, sorted or unique field are HSETs only, checked by save.lua
# itself: up to this many are one script call (a few ms of Redis time), atomic without the lock.
PLAIN_UPDATE_STEP = 2000
CHECK_STEP = 5000  # pks per SMISMEMBER checking that updated objects still exist (under Lua's unpack limit of 8000)
LEASE_MS = 5000  # the lock's lease; refreshed every LEASE_MS / 5 by the holder


def _holding(op: Op, held: Dict[str, Any], layout: KeyLayout) -> Op:
    """Run ``op`` as the lock's holder: every call names the locked pointer value, and the lease
    is refreshed as it goes."""
    locked = held["value"]
    renewed = time.monotonic()
    try:
        call = next(op)
        while True:
            call.genArg = locked
            if time.monotonic() - renewed > LEASE_MS / 1000 / 5:
                yield Call(command=("PEXPIRE", layout.lockKey, LEASE_MS), genArg=locked)
                renewed = time.monotonic()
            try:
                reply = yield call
            except BaseException as exc:
                call = op.throw(exc)
                continue
            call = op.send(reply)
    except StopIteration as stop:
        return stop.value


def lockedOp(layout: KeyLayout, body: Callable[[KeyLayout], Op], held: Dict[str, Any]) -> Op:
    """Take the model's lock, run ``body``, give the lock back; ``held['value']`` names the lock
    while it is held, so the caller can give it back when the body fails."""
    token = newToken()
    held["value"] = yield Call(script=scripts.LOCK, keys=[layout.lockKey], args=[token, LEASE_MS])
    held["layout"] = layout
    result = yield from _holding(body(layout), held, layout)
    yield Call(script=scripts.UNLOCK, keys=[layout.lockKey], args=[held.pop("value"), b"0"], anyGen=True)
    return result


def runLocked(schema: ModelSchema, body: Callable[[KeyLayout], Op], what: str) -> Job:
    """Run ``body`` holding the model's lock (see the module doc)."""
    held: Dict[str, Any] = {}
    try:
        return (yield Run(lambda layout: lockedOp(layout, body, held), schema, what))
    finally:
        value = held.pop("value", None)
        if value is not None:  # the body failed: give the lock back, if it is still ours
            layout = held["layout"]
            try:
                yield Run(lambda _layout: _unlockOp(layout, value), schema, what)
            except Exception:  # pragma: no cover - the lease runs out and a waiter frees the model
                pass


def _unlockOp(layout: KeyLayout, value: bytes) -> Op:
    return (yield Call(script=scripts.UNLOCK, keys=[layout.lockKey], args=[value, b"0"], anyGen=True))


# ---------------------------------------------------------------------------- deletes
def _scanFields(schema: ModelSchema) -> List[bytes]:
    names = schema.indexedFields or schema.fields[:1]
    return [f.name.encode("utf-8") for f in names]


def deleteMatchingOp(schema: ModelSchema, layout: KeyLayout, filters: Sequence[Tuple[str, str, Any]]) -> Op:
    """Delete the matches of ``filters`` page by page (fetch.lua 'scan', then delete.lua); the
    lock is held, so the pages are stable. Returns how many were deleted."""
    fields = _scanFields(schema)
    cursor: Any = 0
    deleted = 0
    while True:
        cursor, rows = yield fetchCall(layout, filters, "scan", [cursor, STEP, *fields])
        if rows:
            if schema.indexedFields:
                entries = deleteEntriesFromFields(schema, rows)
            else:
                entries = [deleteEntry(schema, int(rows[i]), {}) for i in range(0, len(rows), 2)]
            deleted += yield from deleteOp(schema, layout, entries)
        if cursor in (0, b"0", "0"):  # fetch.lua's SSCAN cursor, or query.lua's page cursor ('z<kept>')
            return deleted


def deleteInSteps(schema: ModelSchema, entries: List[Any], what: str) -> Job:
    """Delete planned entries (many objects) in steps of STEP, holding the model's lock."""

    def body(layout: KeyLayout) -> Op:
        n = 0
        for i in range(0, len(entries), STEP):
            n += yield from deleteOp(schema, layout, copyEntries(entries[i : i + STEP]))
        return n

    return (yield from runLocked(schema, body, what))


# ---------------------------------------------------------------------------- saves
def saveInSteps(schema: ModelSchema, objs: List[Any]) -> Job:
    """Save many objects in steps of STEP, holding the model's lock: readers see all of them
    saved or none. Returns their pks."""

    def body(layout: KeyLayout) -> Op:
        # Every object is converted, and every updated object found in Redis, before the first
        # step writes: a bad value or an object deleted since it was fetched writes nothing.
        todo = [e for e in (saveEntry(schema, obj) for obj in objs) if e is not None]
        updates = [e for e in todo if e.mode == "U"]
        for i in range(0, len(updates), CHECK_STEP):
            chunk = updates[i : i + CHECK_STEP]
            present = yield keyed("SMISMEMBER", layout.keysKey, *[e.pk for e in chunk])
            for e, flag in zip(chunk, present):
                if not flag:
                    raise ObjectNotFoundError(
                        f"Model {schema.modelName}: object pk={e.pk} was deleted (or the dataset was reset) since it "
                        "was fetched; nothing was saved. Save obj.copy() to store it again as a new object."
                    )

        def steps() -> Op:
            for i in range(0, len(todo), STEP):
                yield from saveEntriesOp(schema, layout, todo[i : i + STEP])

        if schema.uniqueConstraints:
            from .uniquecheck import stepsOp

            yield from stepsOp(schema, layout, todo, steps)  # a duplicate anywhere writes nothing
        else:
            yield from steps()
        return [o.__dict__.get("_id") for o in objs]

    return (yield from runLocked(schema, body, "save"))


__all__ = ["LEASE_MS", "STEP", "deleteInSteps", "deleteMatchingOp", "lockedOp", "runLocked", "saveInSteps"]
