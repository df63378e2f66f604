"""The only place that builds Redis key names.

The layout is that of IndexedRedis 6.0.3, so data written by either version is read by
the other without migration (``tests/test_keys.py`` pins it byte for byte)::

    _ir_|KEY:data:PK            hash: field name -> stored value
    _ir_|KEY:idx:FIELD:VALUE    set of pks whose FIELD stores VALUE (md5 hex of it with hashIndex)
    _ir_|KEY:keys               set of every pk of the model
    _ir_|KEY:next               integer: the last pk handed out (INCR)

That layout is generation 0. ``reset`` builds the new dataset in a new generation N and then
switches to it in one step, so the data of generation N>0 lives under another base::

    _ir_|KEY:genN:data:PK       _ir_|KEY:genN:idx:FIELD:VALUE       _ir_|KEY:genN:keys

and two more keys say which generation is current and hand out generation numbers::

    _ir_|KEY:gen                the current generation (absent: 0, the 6.0.3 layout)
    _ir_|KEY:gennext            integer: the last generation handed out (INCR)
    _ir_|KEY:genN:building      present while a client works on generation N (a reset building it,
                                or dropping it once replaced): a heartbeat, a short TTL the client
                                refreshes every second, so a client that is gone is seen in seconds
    _ir_|KEY:gens               set of the generation numbers that may hold keys (reset adds N before
                                building it, the switch adds the generation it replaces, a drop
                                removes it last)

Each generation also has a registry of its index keys, so that reset, verify, repair, reindex
and destroyModel walk the model's own keys instead of SCANning the whole keyspace::

    _ir_|KEY:idxkeys  /  _ir_|KEY:genN:idxkeys   set: every index key of that generation

Its two marker members say what it holds: ``REGISTRY_OPEN`` (b"\\x00": the write scripts add each
index key they create and remove each they empty) and ``REGISTRY_COMPLETE`` (b"\\x01": every index
key of the generation is listed). A generation built by reset starts with both. Data of the 6.0.3
layout has no registry: the first pass that needs one opens it, finds the existing index keys
with one SCAN, then marks it complete (see registry.py).

Every write script also bumps a write counter of the generation it writes, so that a read split
into several calls can check that nothing changed between them (see readplans.py)::

    _ir_|KEY:ver  /  _ir_|KEY:genN:ver    integer: writes made to that generation (INCR)

The pk counter ``_ir_|KEY:next`` is shared by all generations, so a pk is never reused.
Key names are bytes, since an index key embeds a stored value, which may be binary.
"""

from __future__ import annotations

from typing import Optional, Union

PREFIX = b"_ir_|"

Value = Union[bytes, str]


_SHARED = (b"next", b"gen", b"gennext", b"gens")
_GEN_OWN = (b"keys", b"ver", b"idxkeys", b"building")  # the keys every generation may have besides data and index keys

REGISTRY_OPEN = b"\x00"  # registry member: the write scripts keep this registry up to date
REGISTRY_COMPLETE = b"\x01"  # registry member: every index key of the generation is listed


def _b(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def globEscape(value: bytes) -> bytes:
    """Escape glob characters so a SCAN MATCH pattern matches ``value`` literally."""
    out = bytearray()
    for ch in value:
        if ch in b"*?[]\\":
            out += b"\\"
        out.append(ch)
    return bytes(out)


class KeyLayout:
    """Key names of one model (one ``KEY_NAME``)."""

    __slots__ = (
        "keyName",
        "gen",
        "root",
        "base",
        "dataPrefix",
        "idxPrefix",
        "keysKey",
        "nextKey",
        "genKey",
        "genNextKey",
        "buildingKey",
        "verKey",
        "registryKey",
        "gensKey",
        "genArg",
    )

    def __init__(self, keyName: Value, gen: int = 0) -> None:
        self.keyName = _b(keyName)
        self.gen = int(gen)
        self.root = PREFIX + self.keyName + b":"
        self.base = self.root if self.gen == 0 else self.root + b"gen%d:" % self.gen
        self.dataPrefix = self.base + b"data:"
        self.idxPrefix = self.base + b"idx:"
        self.keysKey = self.base + b"keys"
        self.nextKey = self.root + b"next"
        self.genKey = self.root + b"gen"
        self.genNextKey = self.root + b"gennext"
        self.buildingKey = self.base + b"building"
        self.verKey = self.base + b"ver"
        self.registryKey = self.base + b"idxkeys"
        self.gensKey = self.root + b"gens"
        self.genArg = b"%d" % self.gen  # the generation as scripts compare it

    def forGen(self, gen: int) -> "KeyLayout":
        """The layout of another generation of the same model."""
        return self if gen == self.gen else KeyLayout(self.keyName, gen)

    def data(self, pk: Union[int, str, bytes]) -> bytes:
        """``_ir_|KEY:data:PK``: the hash holding one object's fields."""
        if isinstance(pk, int):
            return self.dataPrefix + str(pk).encode()
        return self.dataPrefix + _b(pk)

    def idxFieldPrefix(self, field: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:``: every index key of one field starts with this."""
        return self.idxPrefix + _b(field) + b":"

    def idx(self, field: Value, indexValue: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:VALUE``: the set of pks whose field stores that value."""
        return self.idxPrefix + _b(field) + b":" + _b(indexValue)

    # Patterns for SCAN (never KEYS).
    def allPattern(self) -> bytes:
        """Every key of the model, all generations."""
        return globEscape(self.root) + b"*"

    def genPattern(self) -> bytes:
        """Every key of this generation (for generation 0 this also matches the other generations' keys)."""
        return globEscape(self.base) + b"*"

    def dataPattern(self) -> bytes:
        return globEscape(self.dataPrefix) + b"*"

    def ownGen(self, key: bytes) -> Optional[int]:
        """The generation of a key of this model, or None when the key is not one of this model's.

        SCAN patterns match by prefix, so ``_ir_|App:User:*`` also matches the keys of a model
        named ``App:User:Profile``; every pass that deletes or judges keys found by SCAN asks
        this first. A key is this model's when what follows ``_ir_|KEY:`` is one of the forms
        above: ``data:<digits>``, ``idx:...``, ``keys``, ``ver``, the shared ``next``, ``gen``,
        ``gennext``, ``gens``, ``idxkeys``, ``building``, or ``genN:`` followed by ``data:<digits>``,
        ``idx:...``, ``keys``, ``ver``, ``idxkeys`` or ``building``.
        """
        if not key.startswith(self.root):
            return None
        rest = key[len(self.root) :]
        if rest in _SHARED:
            return 0
        gen = 0
        if rest.startswith(b"gen"):
            digits, sep, tail = rest[3:].partition(b":")
            if sep and digits.isdigit() and digits[:1] != b"0":
                gen, rest = int(digits), tail
        if rest in _GEN_OWN:
            return gen
        if rest.startswith(b"data:"):
            return gen if rest[5:].isdigit() else None
        if rest.startswith(b"idx:") and b":" in rest[4:]:
            return gen
        return None

    def idxPattern(self) -> bytes:
        return globEscape(self.idxPrefix) + b"*"

    def idxFieldPattern(self, field: Value) -> bytes:
        return globEscape(self.idxFieldPrefix(field)) + b"*"

    def __repr__(self) -> str:
        return f"KeyLayout({self.keyName!r}, gen={self.gen})"


__all__ = ["KeyLayout", "PREFIX", "REGISTRY_COMPLETE", "REGISTRY_OPEN", "globEscape"]
