"""The hand-written redis-py baseline: the fewest commands that give a user the same result.

It stores rows in the same shape as IndexedRedis (one hash per object with the same stored
bytes, one set of pks per indexed value, one set of all pks, a pk counter) under its own prefix
``irbench:base:``, and returns rows as dicts of native Python values (``int`` for ints,
``float`` for the price, the JSON list parsed, ``str`` for text), built with straightforward code.

What it leaves out, and IndexedRedis does not: no check that the data generation is still
current (IndexedRedis's readers never mix the datasets before and after a ``reset``), no check
of what Redis holds before an index is changed (IndexedRedis keeps indexes exact under
concurrent writers), no model objects or change tracking, and reads of several keys are not
taken at one instant. The ratio IndexedRedis/baseline is the price of those.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import redis

from .data import INDEXED, Row

PREFIX = b"irbench:base:"
RESET_CHUNK = 1000  # objects per pipeline while a reset writes the new dataset (as IndexedRedis's reset)
UNLINK_BATCH = 1000


def encode(row: Row) -> Dict[bytes, bytes]:
    """A row as the hash IndexedRedis stores for it (same bytes)."""
    return {
        b"artist": row["artist"].encode(),
        b"genre": row["genre"].encode(),
        b"year": b"%d" % row["year"],
        b"plays": b"%d" % row["plays"],
        b"price": b"%.2f" % row["price"],
        b"tags": json.dumps(row["tags"], ensure_ascii=False).encode(),
        b"description": row["description"].encode(),
        b"title": row["title"].encode(),
    }


def decode(pk: int, raw: Dict[bytes, bytes]) -> Row:
    """An HGETALL reply (a dict, as redis-py gives it) as a row of native values."""
    return {
        "pk": pk,
        "artist": raw[b"artist"].decode(),
        "genre": raw[b"genre"].decode(),
        "year": int(raw[b"year"]),
        "plays": int(raw[b"plays"]),
        "price": float(raw[b"price"]),
        "tags": json.loads(raw[b"tags"]),
        "description": raw[b"description"].decode(),
        "title": raw[b"title"].decode(),
    }


class Baseline:
    """Minimal redis-py code for each workload; each method's docstring lists its commands and round trips."""

    def __init__(self, client: redis.Redis, prefix: bytes = PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self.gen = 0  # the generation this client wrote last (reset writes a new one, then switches)

    # ------------------------------------------------------------------ keys
    @property
    def base(self) -> bytes:
        return self.prefix + b"g%d:" % self.gen

    def dataKey(self, pk: Any, base: Optional[bytes] = None) -> bytes:
        return (base or self.base) + b"data:" + (pk if isinstance(pk, bytes) else b"%d" % pk)

    def idxKey(self, field: str, value: Any, base: Optional[bytes] = None) -> bytes:
        if isinstance(value, int):
            value = b"%d" % value
        elif isinstance(value, str):
            value = value.encode()
        return (base or self.base) + b"idx:" + field.encode() + b":" + value

    def keysKey(self, base: Optional[bytes] = None) -> bytes:
        return (base or self.base) + b"keys"

    @property
    def nextKey(self) -> bytes:
        return self.prefix + b"next"

    @property
    def genKey(self) -> bytes:
        return self.prefix + b"gen"

    def pattern(self) -> bytes:
        """SCAN pattern of every key of the baseline."""
        return self.prefix + b"*"

    # ------------------------------------------------------------------ writes
    def _queueInsert(self, pipe: Any, base: bytes, pk: int, row: Row) -> None:
        pipe.hset(self.dataKey(pk, base), mapping=encode(row))  # type: ignore[arg-type]
        pipe.sadd(self.keysKey(base), pk)
        for field in INDEXED:
            pipe.sadd(self.idxKey(field, row[field], base), pk)

    def insert(self, rows: Sequence[Row]) -> List[int]:
        """INCRBY next N (pks), then one pipeline (no MULTI) of HSET + SADD keys + 3 SADD idx per row: 2 round trips."""
        last = int(self.client.incrby(self.nextKey, len(rows)))
        first = last - len(rows) + 1
        pipe = self.client.pipeline(transaction=False)
        base = self.base
        for i, row in enumerate(rows):
            self._queueInsert(pipe, base, first + i, row)
        pipe.execute()
        return list(range(first, last + 1))

    def updateField(self, rows: Sequence[Row], field: str) -> List[int]:
        """One pipeline of HSET data:pk FIELD value per row (non-indexed field): 1 round trip."""
        pipe = self.client.pipeline(transaction=False)
        for row in rows:
            value = row[field]
            pipe.hset(self.dataKey(row["pk"]), field, b"%d" % value if isinstance(value, int) else value.encode())
        pipe.execute()
        return [row["pk"] for row in rows]

    def updateIndexed(self, rows: Sequence[Row], field: str, old: Sequence[str]) -> List[int]:
        """One pipeline of HSET + SREM old index + SADD new index per row (text field): 1 round trip."""
        pipe = self.client.pipeline(transaction=False)
        for row, before in zip(rows, old):
            pk = row["pk"]
            pipe.hset(self.dataKey(pk), field, row[field].encode())
            pipe.srem(self.idxKey(field, before), pk)
            pipe.sadd(self.idxKey(field, row[field]), pk)
        pipe.execute()
        return [row["pk"] for row in rows]

    def deleteEq(self, field: str, value: Any) -> int:
        """Delete the objects with ``field == value`` keeping every index exact: 3 round trips.

        SMEMBERS idx; a pipeline of HMGET of the other indexed fields per pk; a pipeline of
        DEL data + SREM keys + one SREM per index set per pk.
        """
        pks = [int(p) for p in self.client.smembers(self.idxKey(field, value))]
        if not pks:
            return 0
        others = [f for f in INDEXED if f != field]
        pipe = self.client.pipeline(transaction=False)
        for pk in pks:
            pipe.hmget(self.dataKey(pk), others)
        values = pipe.execute()
        pipe = self.client.pipeline(transaction=False)
        keysKey = self.keysKey()
        dels = []  # positions of the DEL replies
        for pk, vals in zip(pks, values):
            dels.append(len(pipe))
            pipe.delete(self.dataKey(pk))
            pipe.srem(keysKey, pk)
            pipe.srem(self.idxKey(field, value), pk)
            for f, v in zip(others, vals):
                if v is not None:
                    pipe.srem(self.idxKey(f, v), pk)
        replies = pipe.execute()
        return sum(int(replies[i]) for i in dels)

    def reset(self, rows: Iterable[Row]) -> int:
        """Replace the dataset without blocking Redis, as IndexedRedis's reset does; returns the row count.

        Writes the rows into a new generation prefix (INCRBY next per chunk, then one pipeline of
        HSET + 4 SADD per row, per chunk of 1000 rows), SET the generation pointer, then deletes the
        old generation with SCAN MATCH old-prefix* COUNT 1000 + UNLINK per batch.
        Round trips: 2 per 1000 rows + 1 + (SCAN + UNLINK) per 1000 keys scanned.
        """
        oldBase = self.base
        newGen = self.gen + 1
        newBase = self.prefix + b"g%d:" % newGen
        n = 0
        chunk: List[Row] = []

        def flush() -> None:
            last = int(self.client.incrby(self.nextKey, len(chunk)))
            first = last - len(chunk) + 1
            pipe = self.client.pipeline(transaction=False)
            for i, row in enumerate(chunk):
                self._queueInsert(pipe, newBase, first + i, row)
            pipe.execute()

        for row in rows:
            chunk.append(row)
            if len(chunk) >= RESET_CHUNK:
                flush()
                n += len(chunk)
                chunk = []
        if chunk:
            flush()
            n += len(chunk)
        self.client.set(self.genKey, newGen)
        self.gen = newGen
        cursor = 0
        while True:
            cursor, keys = self.client.scan(cursor, match=oldBase + b"*", count=UNLINK_BATCH)
            if keys:
                self.client.unlink(*keys)
            if cursor == 0:
                return n

    # ------------------------------------------------------------------ reads
    def get(self, pk: int) -> Optional[Row]:
        """HGETALL data:pk and decode: 1 round trip."""
        raw = self.client.hgetall(self.dataKey(pk))
        return decode(pk, raw) if raw else None

    def rows(self, pks: Sequence[Any]) -> List[Row]:
        """One pipeline (no MULTI) of HGETALL per pk, decoded; missing objects left out: 1 round trip."""
        pipe = self.client.pipeline(transaction=False)
        for pk in pks:
            pipe.hgetall(self.dataKey(pk))
        out = []
        for pk, raw in zip(pks, pipe.execute()):
            if raw:
                out.append(decode(int(pk), raw))
        return out

    def getMultiple(self, pks: Sequence[int]) -> List[Row]:
        """Pipeline of HGETALL: 1 round trip."""
        return self.rows(pks)

    def filterEq(self, field: str, value: Any) -> List[Row]:
        """SMEMBERS idx, then a pipeline of HGETALL: 2 round trips."""
        return self.rows(list(self.client.smembers(self.idxKey(field, value))))

    def filterAnd(self, conds: Sequence[Tuple[str, Any]]) -> List[Row]:
        """SINTER of the index sets, then a pipeline of HGETALL: 2 round trips."""
        return self.rows(list(self.client.sinter([self.idxKey(f, v) for f, v in conds])))

    def filterEqNe(self, eq: Tuple[str, Any], ne: Tuple[str, Any]) -> List[Row]:
        """SDIFF idx(eq) idx(ne), then a pipeline of HGETALL: 2 round trips."""
        return self.rows(list(self.client.sdiff([self.idxKey(*eq), self.idxKey(*ne)])))

    def all(self) -> List[Row]:
        """SMEMBERS keys, then a pipeline of HGETALL: 2 round trips."""
        return self.rows(list(self.client.smembers(self.keysKey())))

    def countEq(self, field: str, value: Any) -> int:
        """SCARD idx: 1 round trip."""
        return int(self.client.scard(self.idxKey(field, value)))

    def countAnd(self, conds: Sequence[Tuple[str, Any]], sintercard: bool = True) -> int:
        """SINTERCARD of the index sets (Redis >= 7; else len(SINTER)): 1 round trip."""
        keys = [self.idxKey(f, v) for f, v in conds]
        if sintercard:
            return int(self.client.sintercard(len(keys), keys))
        return len(self.client.sinter(keys))

    def countNe(self, field: str, value: Any) -> int:
        """One pipeline of SCARD keys and SCARD idx, subtracted (every object is in its index): 1 round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.scard(self.keysKey())
        pipe.scard(self.idxKey(field, value))
        total, matching = pipe.execute()
        return int(total) - int(matching)

    # ------------------------------------------------------------------ housekeeping (never timed)
    def wipe(self) -> None:
        """Delete every key of the baseline (SCAN + UNLINK of its own prefix only)."""
        batch: List[bytes] = []
        for key in self.client.scan_iter(match=self.pattern(), count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)
        self.gen = 0


__all__ = ["Baseline", "PREFIX", "decode", "encode"]
