"""The 1-round-trip limit: every multi-object read as one hand-written Lua call on the baseline's data.

The filter is resolved and the rows are read with HMGET of the 8 fields inside one EVALSHA, and
the reply is decoded to the same row dicts as ``baseline.py`` (no field names come back, so
this is the least a Python client can transfer and decode for these results). Like the
pipeline baseline it checks nothing: no generation, no write counter, no model objects.

Reads only (writes have no comparable one-call form here); counts are one command already, so
the pipeline baseline is their limit.
"""

from __future__ import annotations

import json
from typing import Any, List, Sequence, Tuple

import redis

from .baseline import Baseline
from .rows import FIELD_NAMES, Row

# KEYS: the sets; ARGV[1]: SMEMBERS, SINTER or SDIFF; ARGV[2]: data key prefix; ARGV[3..]: fields.
# Reply: {pk1, {v1, ..., v8}, pk2, ...}, objects whose hash is gone left out.
ROWS_OF_SETS = b"""
local pks = redis.call(ARGV[1], unpack(KEYS))
local out = {}
for i = 1, #pks do
  local vals = redis.call('HMGET', ARGV[2] .. pks[i], unpack(ARGV, 3))
  if vals[1] then
    out[#out + 1] = pks[i]
    out[#out + 1] = vals
  end
end
return out
"""

# KEYS: data keys; ARGV: fields. Reply: {{v1, ..., v8}, ...} in KEYS order ({false, ...} when gone).
ROWS_OF_KEYS = b"""
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
end
return out
"""

FIELDS_BYTES = [f.encode() for f in FIELD_NAMES]


def decodeValues(pk: int, vals: Sequence[bytes]) -> Row:
    """HMGET values in ``FIELD_NAMES`` order as a row of native values (as ``baseline.decode``)."""
    artist, genre, year, plays, price, tags, description, title = vals
    return {
        "pk": pk,
        "artist": artist.decode(),
        "genre": genre.decode(),
        "year": int(year),
        "plays": int(plays),
        "price": float(price),
        "tags": json.loads(tags),
        "description": description.decode(),
        "title": title.decode(),
    }


class LuaBaseline:
    """One EVALSHA per read, on the data of a ``Baseline`` (same keys)."""

    def __init__(self, base: Baseline) -> None:
        self.base = base
        self.client: redis.Redis = base.client
        self._sets = self.client.register_script(ROWS_OF_SETS)
        self._keys = self.client.register_script(ROWS_OF_KEYS)

    def _rowsOfSets(self, command: str, keys: List[bytes]) -> List[Row]:
        reply = self._sets(keys=keys, args=[command, self.base.base + b"data:", *FIELDS_BYTES])
        return [decodeValues(int(reply[i]), reply[i + 1]) for i in range(0, len(reply), 2)]

    def getMultiple(self, pks: Sequence[int]) -> List[Row]:
        """HMGET of every pk's hash in one script: 1 round trip."""
        reply = self._keys(keys=[self.base.dataKey(pk) for pk in pks], args=FIELDS_BYTES)
        return [decodeValues(pk, vals) for pk, vals in zip(pks, reply) if vals[0] is not None]

    def filterEq(self, field: str, value: Any) -> List[Row]:
        """SMEMBERS idx + HMGET per pk in one script: 1 round trip."""
        return self._rowsOfSets("SMEMBERS", [self.base.idxKey(field, value)])

    def filterAnd(self, conds: Sequence[Tuple[str, Any]]) -> List[Row]:
        """SINTER of the index sets + HMGET per pk in one script: 1 round trip."""
        return self._rowsOfSets("SINTER", [self.base.idxKey(f, v) for f, v in conds])

    def filterEqNe(self, eq: Tuple[str, Any], ne: Tuple[str, Any]) -> List[Row]:
        """SDIFF idx(eq) idx(ne) + HMGET per pk in one script: 1 round trip."""
        return self._rowsOfSets("SDIFF", [self.base.idxKey(*eq), self.base.idxKey(*ne)])

    def all(self) -> List[Row]:
        """SMEMBERS keys + HMGET per pk in one script: 1 round trip."""
        return self._rowsOfSets("SMEMBERS", [self.base.keysKey()])


__all__ = ["LuaBaseline", "decodeValues"]
