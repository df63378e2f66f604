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

from . import scripts
from .codec import decoderTable, holdsImmutableValues
from .exceptions import InvalidFieldError
from .plans import (
    Call,
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
    script,
    valueRowsToObjects,
    transaction,
)
from .readcache import ReadCache, copies

if TYPE_CHECKING:  # pragma: no cover
    from .keys import KeyLayout
    from .schema import ModelSchema

Filters = Sequence[Tuple[str, str, Any]]

READ_CHUNK = 2000  # rows per call for big results: about 10 ms of Redis time each
CHUNK_ATTEMPTS = 3  # chunked tries before one call reads the whole result


# ---------------------------------------------------------------------------- cached reads (readcache.py)
# Each sends the write counter its cached result was read at; the server answers 'unchanged' (the
# cached result is handed out, copied) or reads as usual and gives the new counter: any filters
# (fetch.lua for equals / not-equals, query.lua for ranges, IN, order and slices) and get by pk.
UNCHANGED = b"unchanged"


def _cacheKey(layout: "KeyLayout", filters: Filters, mode: str) -> Tuple[Any, ...]:
    """What identifies a read in the cache: the keys and arguments of its call (without a limit
    or a counter), so two queries that read the same are one entry."""
    call = fetchCall(layout, filters, mode)
    return (mode, len(call.keys), *call.keys, *call.args)


def cachedAllOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, cache: ReadCache, byAge: bool = False) -> Op:
    ckey = _cacheKey(layout, filters, "all")
    for attempt in range(CHUNK_ATTEMPTS + 1):
        entry = cache.lookup(layout.verKey, ckey)
        held = entry[0] if entry is not None else b""
        limit = READ_CHUNK if attempt < CHUNK_ATTEMPTS else 0
        reply = yield fetchCall(layout, filters, "all", [held], limit=limit)
        if reply[0] == UNCHANGED and entry is not None:
            cache.noteHit()
            objs = copies(schema, entry[1], holdsImmutableValues)
            break
        counter = reply[1]
        fresh = yield from _restOfRows(layout, reply[2], limit, "all", (), lambda rows: rowsToObjects(schema, rows))
        if fresh is None:
            continue
        cache.noteMiss()
        cache.store(layout.verKey, ckey, counter, fresh, len(fresh))
        objs = copies(schema, fresh, holdsImmutableValues)
        break
    else:  # pragma: no cover
        raise AssertionError("unreachable: the last attempt reads without a limit")
    if byAge:
        objs.sort(key=lambda o: o.__dict__["_id"])
    return objs


def _cachedScalarOp(layout: "KeyLayout", filters: Filters, cache: ReadCache, mode: str, convert: Callable[[Any], Any]) -> Op:
    ckey = _cacheKey(layout, filters, mode)
    entry = cache.lookup(layout.verKey, ckey)
    held = entry[0] if entry is not None else b""
    reply = yield fetchCall(layout, filters, mode, [held])
    if reply[0] == UNCHANGED and entry is not None:
        cache.noteHit()
        return entry[1]
    cache.noteMiss()
    value = convert(reply[2])
    cache.store(layout.verKey, ckey, reply[1], value, len(value) if isinstance(value, tuple) else 1)
    return value


def cachedCountOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, cache: ReadCache) -> Op:
    return (yield from _cachedScalarOp(layout, filters, cache, "count", int))


def cachedPksOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, cache: ReadCache, sortByAge: bool = False) -> Op:
    pks = yield from _cachedScalarOp(layout, filters, cache, "pks", lambda reply: tuple(int(p) for p in reply))
    out = list(pks)
    if sortByAge:
        out.sort()
    return out


def cachedGetOp(schema: "ModelSchema", layout: "KeyLayout", pk: Any, cache: ReadCache) -> Op:
    pk = primaryKey(schema, pk)
    ckey = ("get", pk)
    entry = cache.lookup(layout.verKey, ckey)
    held = entry[0] if entry is not None else b""
    reply = yield Call(script=scripts.CACHED_GET, keys=[layout.verKey, layout.data(pk)], args=[held], extArgs=(pk,))
    if reply[0] == UNCHANGED and entry is not None:
        cache.noteHit()
        obj = entry[1]
    else:
        cache.noteMiss()
        raw = reply[1]
        obj = objectFromHash(schema, pk, raw) if raw else None
        cache.store(layout.verKey, ckey, reply[0], obj, 1)
    if obj is None:
        return None
    return copies(schema, [obj], holdsImmutableValues)[0]


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
        out = yield from _restOfRows(layout, reply, limit, mode, fields, decode)
        if out is not None:
            return out
    raise AssertionError("unreachable: the last attempt reads without a limit")  # pragma: no cover


def _restOfRows(
    layout: "KeyLayout", reply: Any, limit: int, mode: str, fields: Sequence[bytes], decode: Callable[[Any], List[Any]]
) -> Op:
    """The decoded rows of a fetch reply, reading the other chunks of a 'chunked' one; None when
    the write counter moved in between (the caller starts over)."""
    if not reply or reply[0] != b"chunked":
        return decode(reply)
    counter, pks = reply[1], reply[2]
    out = decode(reply[3])
    del reply
    for start in range(limit, len(pks), limit):
        more = yield rowsCall(layout, counter, mode, fields, pks[start : start + limit])
        if more and more[0] == b"changed":
            return None
        out.extend(decode(more))
    return out


def allOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters, byAge: bool = False) -> Op:
    # HMGET of every field ('fields' mode): no field names in the reply, values decoded in field order
    objs = yield from rowsOp(layout, filters, "fields", schema.fieldNameBytes, lambda rows: valueRowsToObjects(schema, rows))
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


def sizeCount(schema: "ModelSchema", filters: Filters) -> bool:
    """Whether a count is the size of one set, or the difference of two (no filter, one equals
    or one not-equals filter, no EXPIRE): the server answers it in O(1), and the read cache would
    only add its bookkeeping to a reply that is one number."""
    return not schema.expiry and (not filters or (len(filters) == 1 and filters[0][1] in ("eq", "ne")))


def countOp(schema: "ModelSchema", layout: "KeyLayout", filters: Filters) -> Op:
    if not filters and not schema.expiry:
        return int((yield keyed("SCARD", layout.keysKey)))
    if len(filters) == 1 and filters[0][1] == "eq" and not schema.expiry:
        # one equals filter: the size of its index set (keyed.lua, a smaller script than fetch.lua)
        name, _, value = filters[0]
        return int((yield keyed("SCARD", layout.idx(name, value))))
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


def cachedGetMultipleOp(schema: "ModelSchema", layout: "KeyLayout", pks: Sequence[int], cache: ReadCache) -> Op:
    """getMultiple through the cache (cached_multi_get.lua): ``pks`` checked already."""
    if not pks:
        return []
    ckey = ("getMultiple", *pks)
    entry = cache.lookup(layout.verKey, ckey)
    held = entry[0] if entry is not None else b""
    fields = schema.fieldNameBytes
    keys = [layout.verKey, *[layout.data(pk) for pk in pks]]
    reply = yield Call(script=scripts.CACHED_MULTI_GET, keys=keys, args=[held, len(fields), *fields, *pks])
    if reply[0] == UNCHANGED and entry is not None:
        cache.noteHit()
        return copies(schema, entry[1], holdsImmutableValues)
    cache.noteMiss()
    objs = valueRowsToObjects(schema, reply[1])
    cache.store(layout.verKey, ckey, reply[0], objs, len(objs))
    return copies(schema, objs, holdsImmutableValues)


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
    if not schema.expiry:
        # one script call (multi_get.lua): the rows come back as fetch.lua's, decoded in one pass
        fields = schema.fieldNameBytes
        reply = yield script(scripts.MULTI_GET, [layout.data(pk) for pk in pks], [len(fields), *fields, *pks])
        return valueRowsToObjects(schema, reply)
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
    "sizeCount",
    "cachedAllOp",
    "cachedCountOp",
    "cachedGetMultipleOp",
    "cachedGetOp",
    "cachedPksOp",
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
