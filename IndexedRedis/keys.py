"""The only place that builds Redis key names.

The layout is that of IndexedRedis 6.0.3, so data written by either version is read by
the other without migration (``tests/test_keys.py`` pins it byte for byte)::

    _ir_|KEY:data:PK            hash: field name -> stored value
    _ir_|KEY:idx:FIELD:VALUE    set of pks whose FIELD stores VALUE (md5 hex of it with hashIndex)
    _ir_|KEY:sort:FIELD         sorted set of a field in SORTED_FIELDS (7 only; see sorting.py)
    _ir_|KEY:uniq:F1[+F2...]    hash of a constraint in UNIQUE_FIELDS: unique member -> pk (7 only)
    _ir_|KEY:exp                sorted set of the objects with a deadline (EXPIRE): pk -> deadline,
                                in milliseconds of the server clock (7 only; see scripts/ext.lua)
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

A write that inserts or deletes objects carries a random token; the script that runs it keeps
its reply for 30 seconds, so that the same call sent again after a lost reply (a timeout, a
dropped connection) gives the same reply instead of writing twice::

    _ir_|KEY:op:TOKEN           string, with a TTL: the reply of the write that carried TOKEN

An operation too big for one bounded step (a filtered delete or a list save of thousands of
objects, a reindex) locks the model while it runs: the generation pointer then holds
``<gen>L<token>`` and the holder keeps a lease alive (see bigops.py)::

    _ir_|KEY:lock               string, with a TTL: the token of the lock's holder

``Model.migrate()`` (see migrate.py) rebuilds the data into a new generation M after the model's
definition changed, while writers keep writing the current one N. Meanwhile the pointer holds
``<N>M<M>`` and every write also adds the pks it touches to M's redo log, atomically with the
write, so that the migration copies them again before it switches to M::

    _ir_|KEY:genM:redo          set: pks written in the current generation since the migration began
    _ir_|KEY:schema  /  _ir_|KEY:genN:schema   JSON: the model definition the generation's data
                                follows (written by reset and migrate; absent for data written
                                otherwise, for example by 6.0.3)

The pointer's grammar is thus ``<gen>[M<target>][L<token>]``.

The pk counter ``_ir_|KEY:next`` is shared by all generations, so a pk is never reused.
Key names are bytes, since an index key embeds a stored value, which may be binary.

A collection owned by an object (a collection field, see ``IndexedRedis.collections.fields``)
lives beside the object's hash, in the object's generation, so ``reset`` and ``destroyModel``
find it with the model's other keys::

    _ir_|KEY:coll:FIELD:PK  /  _ir_|KEY:genN:coll:FIELD:PK    the collection of field FIELD of object PK

Stand-alone collections (``IndexedRedis.collections``) use the key the user gives as it is, so
data written by other clients can be read. Without one, a key is generated::

    _ir_|coll:TYPE:RANDOM       an auto-generated collection key (RANDOM: 16 url-safe base64 characters)
    NAME:CHILD                  ``childKey(NAME, CHILD)``: a collection belonging to the one at NAME
    NAME:unfinished             a queue's count of items put and not yet marked done (``task_done``)
    NAME:fence                  a lock's fencing counter (INCR on every acquire)

Because the words above follow ``KEY:``, a model named ``Coll:gen5`` or ``Coll:idx`` would
have keys that read as keys of the model ``Coll`` (its generation 5, or its index of a field
``data``), and maintenance of ``Coll`` would delete or misjudge them. ``keyNameProblem``
refuses such names: no ``:``-separated part of a ``KEY_NAME`` after the first may be one of
``RESERVED_WORDS`` or ``gen<digits>``. Every other name is safe: ``ownGen`` accepts only
the forms above, so ``Coll`` never takes a key of ``Coll:sub`` for its own.
"""

from __future__ import annotations

import decimal
import math
from typing import Any, Callable, Optional, Sequence, Union

PREFIX = b"_ir_|"

Value = Union[bytes, str]


_SHARED = (b"next", b"gen", b"gennext", b"gens", b"lock")

# Every word the layout puts after ``KEY:`` (or after ``KEY:genN:``); see keyNameProblem.
RESERVED_WORDS = frozenset(
    (
        "data",
        "idx",
        "keys",
        "next",
        "gen",
        "gennext",
        "ver",
        "building",
        "op",
        "lock",
        "sort",
        "coll",
        "gens",
        "idxkeys",
        "redo",
        "schema",
        "uniq",
        "exp",
    )
)

# Python refuses int <-> str conversions longer than this (sys.get_int_max_str_digits); a pk
# handed out by INCR is a signed 64-bit integer, so no real pk comes near either limit.
MAX_PK = 2**63 - 1


_ASCII_SPACE = " \t\n\r\x0b\x0c"


def pkOf(value: Any) -> Optional[int]:
    """The primary key ``value`` stands for (an int from 0 to MAX_PK), or None when it stands for none.

    Accepted: an int (not a bool) or an object with ``__index__``; a float or Decimal without a
    fraction; a str or bytes of ASCII digits, with ASCII spaces around them. Anything else (a
    negative or too large number, nan/inf, other text such as ``'1_000'``, ``'٣'`` or
    ``'\x1c6'``, a list...) gives None: the caller raises the error that names the model.
    """
    if value.__class__ is int:
        return value if 0 <= value <= MAX_PK else None
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, bytes)):
        text = value if isinstance(value, str) else value.decode("latin-1")
        text = text.strip(_ASCII_SPACE)
        if not text or not text.isdigit() or not text.isascii() or len(text.lstrip("0")) > 19:
            return None
        pk = int(text)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        pk = int(value)
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            return None
        pk = int(value)
    else:
        try:
            pk = value.__index__()
        except Exception:
            return None
        if not isinstance(pk, int):
            return None
    return pk if 0 <= pk <= MAX_PK else None


def keyNameProblem(keyName: str) -> Optional[str]:
    """Why ``keyName`` could share keys with another model's layout, or None when it is safe.

    ``Coll:gen5:data:1`` is the data of ``Coll:gen5`` and of generation 5 of ``Coll``; so a part
    after the first ``:`` may not be a word of the layout (RESERVED_WORDS) or ``gen<digits>``.
    The first part may: nothing is stored under ``_ir_|`` alone.
    """
    parts = keyName.split(":")
    for i in range(1, len(parts)):
        part = parts[i]
        if part in RESERVED_WORDS or (part.startswith("gen") and part[3:].isdigit() and part[3:].isascii()):
            renamed = ":".join(parts[:i] + [part + "_"] + parts[i + 1 :])
            return (
                f"KEY_NAME {keyName!r} contains {':' + part!r}, a word of the key layout: its keys would look like keys "
                f"of a model named {':'.join(parts[:i])!r}, and that model's repair(), reset() or destroyModel() would "
                f"delete them. Rename that part (for example KEY_NAME = {renamed!r}); the words reserved after ':' are "
                f"{', '.join(sorted(RESERVED_WORDS))} and gen<digits>"
            )
    return None


# the keys every generation may have besides data and index keys
_GEN_OWN = (b"keys", b"ver", b"idxkeys", b"building", b"exp", b"redo", b"schema")

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
        "extBuilder",
        "ext",
        "uniqPrefix",
        "expKey",
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
        "opPrefix",
        "lockKey",
        "collPrefix",
        "sortPrefix",
        "redoKey",
        "schemaKey",
        "logTo",
        "refuse",
    )

    def __init__(self, keyName: Value, gen: int = 0, extBuilder: Optional[Callable[[KeyLayout], Any]] = None) -> None:
        self.keyName = _b(keyName)
        self.gen = int(gen)
        self.extBuilder = extBuilder
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
        self.opPrefix = self.root + b"op:"
        self.lockKey = self.root + b"lock"
        self.collPrefix = self.base + b"coll:"
        self.sortPrefix = self.base + b"sort:"
        self.uniqPrefix = self.base + b"uniq:"
        self.expKey = self.base + b"exp"
        # The extension block of the model's scripts (UNIQUE_FIELDS, EXPIRE): (keys, args) or None
        # (see executor.scriptArgs and scripts/ext.lua).
        self.ext: Any = extBuilder(self) if extBuilder is not None else None
        self.redoKey = self.base + b"redo"
        self.schemaKey = self.base + b"schema"
        self.logTo: Optional[bytes] = None  # while a migration runs: the redo log every write adds its pks to
        self.refuse: Optional[str] = None  # why writes to this generation are refused (another definition's data)

    def whileMigrating(self, pointer: bytes, target: int) -> "KeyLayout":
        """This generation's layout while a migration into generation ``target`` runs: the
        pointer then holds ``pointer`` (``<gen>M<target>``), which scripts compare, and writes
        log their pks into the target's redo log (``_ir_|KEY:genM:redo``)."""
        layout = KeyLayout(self.keyName, self.gen, self.extBuilder)
        layout.genArg = pointer
        layout.logTo = self.forGen(target).redoKey
        return layout

    def forGen(self, gen: int) -> "KeyLayout":
        """The layout of another generation of the same model."""
        return self if gen == self.gen else KeyLayout(self.keyName, gen, self.extBuilder)

    def data(self, pk: Union[int, str, bytes]) -> bytes:
        """``_ir_|KEY:data:PK``: the hash holding one object's fields."""
        if isinstance(pk, int):
            return self.dataPrefix + str(pk).encode()
        return self.dataPrefix + _b(pk)

    def collection(self, field: Value, pk: Union[int, str, bytes]) -> bytes:
        """``_ir_|KEY:coll:FIELD:PK``: the collection field FIELD of object PK owns (in this generation)."""
        return self.collPrefix + _b(field) + b":" + (str(pk).encode() if isinstance(pk, int) else _b(pk))

    def idxFieldPrefix(self, field: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:``: every index key of one field starts with this."""
        return self.idxPrefix + _b(field) + b":"

    def idx(self, field: Value, indexValue: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:VALUE``: the set of pks whose field stores that value."""
        return self.idxPrefix + _b(field) + b":" + _b(indexValue)

    def sort(self, field: Value) -> bytes:
        """``_ir_|KEY:sort:FIELD``: the sorted set of a field in SORTED_FIELDS."""
        return self.sortPrefix + _b(field)

    def uniq(self, fields: Sequence[Value]) -> bytes:
        """``_ir_|KEY:uniq:F1[+F2...]``: the hash of a unique constraint (UNIQUE_FIELDS): member -> pk."""
        return self.uniqPrefix + b"+".join(_b(f) for f in fields)

    def op(self, token: Value) -> bytes:
        """``_ir_|KEY:op:TOKEN``: the kept reply of the write that carried TOKEN (a placeholder
        naming no token when ``token`` is empty)."""
        return self.opPrefix + _b(token)

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
        above: ``data:<digits>``, ``idx:...``, ``coll:FIELD:<digits>``, ``sort:FIELD``, ``uniq:FIELDS``,
        ``keys``, ``ver``, ``idxkeys``, ``exp``, ``redo``, ``schema``, the shared ``next``, ``gen``, ``gennext``, ``gens``,
        ``lock``, ``op:TOKEN``, or ``genN:`` followed by ``data:<digits>``, ``idx:...``,
        ``coll:FIELD:<digits>``, ``sort:FIELD``, ``uniq:FIELDS``, ``keys``, ``ver``, ``idxkeys``,
        ``exp``, ``redo``, ``schema`` or ``building``.
        """
        if not key.startswith(self.root):
            return None
        rest = key[len(self.root) :]
        if rest in _SHARED:
            return 0
        if rest.startswith(b"op:"):
            return 0 if rest[3:].isalnum() else None  # kept write replies: shared, counted with generation 0
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
        if rest.startswith(b"coll:"):
            field, sep, pk = rest[5:].partition(b":")
            return gen if field and sep and pk.isdigit() else None
        if rest.startswith((b"sort:", b"uniq:")) and len(rest) > 5:
            return gen
        return None

    def idxPattern(self) -> bytes:
        return globEscape(self.idxPrefix) + b"*"

    def idxFieldPattern(self, field: Value) -> bytes:
        return globEscape(self.idxFieldPrefix(field)) + b"*"

    def __repr__(self) -> str:
        return f"KeyLayout({self.keyName!r}, gen={self.gen})"


# ---------------------------------------------------------------------------- stand-alone collections
COLLECTION_PREFIX = PREFIX + b"coll:"


def collectionKey(key: Value) -> bytes:
    """The Redis key of a stand-alone collection given ``key`` by the user: the key itself, as bytes."""
    return _b(key)


def autoCollectionKey(typeName: str) -> bytes:
    """``_ir_|coll:TYPE:RANDOM``: a new key for a collection created without one (96 random bits)."""
    import base64
    import os

    return COLLECTION_PREFIX + _b(typeName) + b":" + base64.urlsafe_b64encode(os.urandom(12))


def childKey(parent: Value, name: Value) -> bytes:
    """``PARENT:NAME``: the key of a collection that belongs to the one at ``parent``."""
    return _b(parent) + b":" + _b(name)


def queueUnfinishedKey(key: Value) -> bytes:
    """``KEY:unfinished``: how many items of the queue at ``key`` were put and not yet marked done."""
    return _b(key) + b":unfinished"


def lockFenceKey(key: Value) -> bytes:
    """``KEY:fence``: the fencing counter of the lock at ``key``, incremented on every acquire."""
    return _b(key) + b":fence"


__all__ = [
    "COLLECTION_PREFIX",
    "MAX_PK",
    "PREFIX",
    "REGISTRY_COMPLETE",
    "REGISTRY_OPEN",
    "RESERVED_WORDS",
    "KeyLayout",
    "autoCollectionKey",
    "childKey",
    "collectionKey",
    "globEscape",
    "keyNameProblem",
    "lockFenceKey",
    "pkOf",
    "queueUnfinishedKey",
]
