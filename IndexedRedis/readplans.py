"""Pure read operations: each is a generator yielding ``Call`` objects, returning decoded results.

Every fetch reads one instant: a fetch.lua call that resolves the filter and returns the rows,
or a MULTI/EXEC transaction for lookups by pk. That is one round trip, except for results of
more than ``READ_CHUNK`` objects: fetch.lua then returns every matching pk with the first
chunk of rows and the generation's write counter, and rows.lua reads the other chunks only
while that counter has not moved (every write script bumps it). So Redis is never blocked
for the whole of a huge result, the client decodes one chunk of raw replies at a time, and
the rows still all come from the instant of the first call. If writers keep moving the
counter, the read starts over, and after ``CHUNK_ATTEMPTS`` tries reads everything in one call.
"""

from __future__ import annotations

import random as _random
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple

from .codec import decoderTable
from .exceptions import InvalidFieldError
from .plans import (
    Op,
    fetchCall,
    keyed,
    objectFromDict,
    objectFromFields,
    objectFromHash,
    primaryKey,
    primaryKeys,
    rowsCall,
    rowsToObjects,
    transaction,
)

if TYPE_CHECKING:  # pragma: no cover
    from .keys import KeyLayout
    from .schema import ModelSchema

Filters = Sequence[Tuple[str, str, Any]]

READ_CHUNK = 2000  # rows per call for big results: about 10 ms of Redis time each
CHUNK_ATTEMPTS = 3  # chunked tries before one call reads the whole result


def checkFieldNames(schema: "ModelSchema", fields: Sequence[Any]) -> List[str]:
    names = [str(f) for f in fields]
    for n in names:
        if n not in schema.fieldsByName:
            raise InvalidFieldError(f"Model {schema.modelName} has no field {n!r}; its fields are {schema.fieldNames}")
    return names


def rowsOp(layout: "KeyLayout", filters: Filters, mode: str, fields: Sequence[bytes], decode: Callable[[Any], List[Any]]) -> Op:
    """Read the rows of every match ('all' or 'fields' mode) from one instant, in chunks when big.

    ``decode`` turns one reply of rows into a list; each chunk is decoded before the next is read.
    """
    for attempt in range(CHUNK_ATTEMPTS + 1):
        limit = READ_CHUNK if attempt < CHUNK_ATTEMPTS else 0
        reply = yield fetchCall(layout, filters, mode, fields, limit=limit)
        if not reply or reply[0] != b"chunked":
            return decode(reply)
        counter, pks = reply[1], reply[2]
        out = decode(reply[3])
        del reply
        for start in range(limit, len(pks), limit):
            more = yield rowsCall(layout, counter, mode, fields, pks[start : start + limit])
            if more and more[0] == b"changed":
                break
            out.extend(decode(more))
        else:
            return out
    raise AssertionError("unreachable: the last attempt reads without a limit")  # pragma: no cover


def allOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, byAge: bool = False) -> Op:
    objs = yield from rowsOp(layout, filters, "all", (), lambda rows: rowsToObjects(schema, rows))
    if byAge:
        objs.sort(key=lambda o: o.__dict__["_id"])
    return objs


def onlyFieldsOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, fields: Sequence[Any], byAge: bool = False) -> Op:
    names = checkFieldNames(schema, fields)
    if not names:
        pks = yield from pksOp(schema, layout, filters, byAge)
        return [objectFromFields(schema, pk, [], []) for pk in pks]
    objs = yield from rowsOp(
        layout,
        filters,
        "fields",
        [n.encode("utf-8") for n in names],
        lambda rows: [objectFromFields(schema, rows[i], names, rows[i + 1]) for i in range(0, len(rows), 2)],
    )
    if byAge:
        objs.sort(key=lambda o: o.__dict__["_id"])
    return objs


def firstChunkOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, chunk: int) -> Op:
    """The start of a streamed read (iterating a query): ``(objects, counter, pks left)``.

    One fetch.lua call; a result of up to ``chunk`` objects comes whole (counter None, no pks
    left), a bigger one as its first chunk plus every matching pk, from one instant.
    """
    reply = yield fetchCall(layout, filters, "all", (), limit=chunk)
    if not reply or reply[0] != b"chunked":
        return rowsToObjects(schema, reply), None, []
    return rowsToObjects(schema, reply[3]), reply[1], list(reply[2][chunk:])


def nextChunkOp(schema: "ModelSchema", layout: "KeyLayout", counter: Optional[bytes], pks: Sequence[Any]) -> Op:
    """One more chunk of a streamed read: ``(objects, still from the first instant)``.

    While nothing was written since the first call (the write ``counter`` did not move),
    rows.lua gives the rows as they were then; after a write, or with ``counter`` None, the
    objects are read as they are now (ones deleted meanwhile left out).
    """
    if counter is not None:
        more = yield rowsCall(layout, counter, "all", (), pks)
        if not (more and more[0] == b"changed"):
            return rowsToObjects(schema, more), True
    objs = yield from getMultipleOp(schema, layout, pks)
    return objs, False


def countOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters) -> Op:
    if not filters and not schema.expiry:
        return int((yield keyed("SCARD", layout.keysKey)))
    return int((yield fetchCall(layout, filters, "count")))


def pksOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, sortByAge: bool = False) -> Op:
    if not filters and not schema.expiry:
        reply = yield keyed("SMEMBERS", layout.keysKey)
    else:
        reply = yield fetchCall(layout, filters, "pks")
    pks = [int(p) for p in reply]
    if sortByAge:
        pks.sort()
    return pks


def oneOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, mode: str) -> Op:
    extra = [repr(_random.random())] if mode == "random" else []
    reply = yield fetchCall(layout, filters, mode, extra)
    if not reply:
        return None
    return rowsToObjects(schema, reply)[0]


def getOp(schema: "ModelSchema", layout: "KeyLayout", pk: Any) -> Op:
    pk = primaryKey(schema, pk)
    raw = yield keyed("HGETALL", layout.data(pk), pk=pk)
    if not raw:
        return None
    return objectFromHash(schema, pk, raw)


def getMultipleOp(schema: "ModelSchema", layout: "KeyLayout", pks: Sequence[Any]) -> Op:
    pks = primaryKeys(schema, pks)
    if not pks:
        return []
    cmds: List[Tuple[Any, ...]] = [("HGETALL", layout.data(pk)) for pk in pks]
    replies = yield transaction(expiryChecked(schema, layout, pks, cmds))
    replies, alive = aliveOf(schema, pks, replies)
    table = decoderTable(schema)
    return [objectFromDict(schema, pk, raw, table) for pk, raw, ok in zip(pks, replies, alive) if raw and ok]


def expiryChecked(
    schema: "ModelSchema", layout: "KeyLayout", pks: Sequence[int], cmds: List[Tuple[Any, ...]]
) -> List[Tuple[Any, ...]]:
    """``cmds`` (a transaction reading objects ``pks``), with, for a model with EXPIRE, the server
    clock and the deadlines of ``pks`` read first in the same transaction."""
    if not schema.expiry:
        return cmds
    return [("TIME",), ("ZMSCORE", layout.expKey, *pks), *cmds]


def aliveOf(schema: "ModelSchema", pks: Sequence[int], replies: Sequence[Any]) -> Tuple[Sequence[Any], List[bool]]:
    """The replies of an ``expiryChecked`` transaction without its first two, and per pk whether it
    is alive: not past its deadline by the server clock of that transaction."""
    if not schema.expiry:
        return replies, [True] * len(pks)
    now = int(replies[0][0]) * 1000 + int(replies[0][1]) // 1000
    deadlines = replies[1]
    return replies[2:], [d is None or int(float(d)) > now for d in deadlines]  # whole ms: see ext.lua deadlineScore


def getOnlyFieldsOp(schema: "ModelSchema", layout: "KeyLayout", pks: Sequence[Any], fields: Sequence[Any]) -> Op:
    names = checkFieldNames(schema, fields)
    pks = primaryKeys(schema, pks)
    if not pks:
        return []
    cmds: List[Tuple[Any, ...]] = []
    for pk in pks:
        cmds.append(("EXISTS", layout.data(pk)))
        if names:
            cmds.append(("HMGET", layout.data(pk), *[n.encode("utf-8") for n in names]))
    replies, alive = aliveOf(schema, pks, (yield transaction(expiryChecked(schema, layout, pks, cmds))))
    out: List[Optional[Any]] = []
    step = 2 if names else 1
    for i, pk in enumerate(pks):
        if not replies[i * step] or not alive[i]:
            continue
        values = replies[i * step + 1] if names else []
        out.append(objectFromFields(schema, pk, names, values))
    return out


def existsOp(schema: "ModelSchema", layout: "KeyLayout", pk: Any) -> Op:
    pk = primaryKey(schema, pk)
    return bool((yield keyed("EXISTS", layout.data(pk), pk=pk)))


__all__ = [
    "CHUNK_ATTEMPTS",
    "READ_CHUNK",
    "allOp",
    "checkFieldNames",
    "countOp",
    "existsOp",
    "firstChunkOp",
    "getMultipleOp",
    "getOnlyFieldsOp",
    "getOp",
    "nextChunkOp",
    "oneOp",
    "onlyFieldsOp",
    "pksOp",
    "rowsOp",
]
