"""Pure planning: filters -> script arguments, object changes -> write batches, replies -> objects.

Nothing here does I/O. Every operation is a generator that yields ``Call`` objects and
receives their replies; an executor (``executors.sync`` or ``executors.async_``) runs
the calls. So the logic of retries, conflicts and decoding exists once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Generator, Iterable, List, Optional, Sequence, Tuple

from QueryableList import FILTER_TYPES

from . import scripts
from .codec import DecoderTable, decoderTable, encoderTable
from .exceptions import (
    ConcurrentWriteError,
    InvalidModelException,
    InvalidQueryError,
    InvalidValueError,
    ObjectNotFoundError,
    UniqueConstraintError,
    WriteOutcomeUnknownError,
)
from .fields.base import _short
from .keys import MAX_PK, pkOf

if TYPE_CHECKING:  # pragma: no cover
    from .keys import KeyLayout
    from .schema import ModelSchema

CLIENT_OPERATORS = frozenset(FILTER_TYPES)  # what IRQueryableList.filter() knows after ``field__``

MAX_WRITE_ATTEMPTS = 25
UNKNOWN = object()  # expected stored value not known: the script reports the current one
ABSENT = None  # the field is not in the hash


# ---------------------------------------------------------------------------- calls
class Call:
    """One request to Redis: a script or a plain command (``pipeline`` of commands)."""

    __slots__ = (
        "script",
        "keys",
        "args",
        "command",
        "pipeline",
        "transaction",
        "anyGen",
        "token",
        "retrySafe",
        "pks",
        "genArg",
        "extArgs",
    )

    def __init__(
        self,
        script: Any = None,
        keys: Sequence[Any] = (),
        args: Sequence[Any] = (),
        command: Optional[Tuple[Any, ...]] = None,
        pipeline: Optional[List[Tuple[Any, ...]]] = None,
        transaction: bool = False,
        anyGen: bool = False,
        token: Optional[bytes] = None,
        retrySafe: bool = True,
        pks: Sequence[Any] = (),
        genArg: Optional[bytes] = None,
        extArgs: Sequence[Any] = (),
    ) -> None:
        self.script = script
        self.keys = keys
        self.args = args
        self.command = command
        self.pipeline = pipeline
        self.transaction = transaction  # pipeline as MULTI/EXEC: one round trip, one instant
        self.anyGen = anyGen  # True: not tied to the current data generation (reset, destroy)
        # save.lua / delete.lua: the token of an insert or delete (b'' for none), kept with its reply
        # by the script, so that sending the call again after a lost reply cannot write twice.
        self.token = token
        # Sending it again after a lost reply gives the same result as one success (reads, writes
        # with a token, writes that check what Redis holds); the executor retries only these.
        self.retrySafe = retrySafe
        self.pks = pks  # the pks a write concerns (None for objects without one), for error messages
        # The generation pointer's value the call expects, when not the layout's generation: the
        # locked value '<gen>L<token>' for the calls of the lock's holder (bigops.py).
        self.genArg = genArg
        # The call's own arguments to the model's extension block (scripts/ext.lua), sent only to
        # models with UNIQUE_FIELDS or EXPIRE: a deadline per saved object, the pk a keyed read is about.
        self.extArgs = extArgs

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        if self.script is not None:
            return f"Call(script, {len(self.keys)} keys, {len(self.args)} args)"
        if self.command is not None:
            return f"Call({self.command[0]!r})"
        return f"Call(pipeline of {len(self.pipeline or [])})"


class Pause:
    """Not a request: the plan asks the executor to wait ``seconds`` (``time.sleep`` or
    ``asyncio.sleep``) before it goes on; the reply is None."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Emit:
    """Not a request: a streaming job hands ``items`` to its consumer (``iterator()``, ``async
    for``; executors' iterJob / aiterJob); the reply is None."""

    __slots__ = ("items",)

    def __init__(self, items: List[Any]) -> None:
        self.items = items


Op = Generator[Any, Any, Any]  # yields Call (or Pause) objects, receives their replies


def command(*args: Any) -> Call:
    return Call(command=args)


def keyed(name: str, key: bytes, *args: Any, pk: Any = None) -> Call:
    """One read command on one key, checked against the current generation in the same step (keyed.lua).

    Replies come as Lua converts them: HGETALL gives a flat list, SMEMBERS a list. ``pk``: the
    object whose data key it reads, which reads as absent once past its deadline (EXPIRE).
    """
    return Call(script=scripts.KEYED, keys=[key], args=[name, *args], extArgs=() if pk is None else (pk,))


def transaction(commands: List[Tuple[Any, ...]]) -> Call:
    """Commands sent together in MULTI/EXEC: one round trip, replies from one instant."""
    return Call(pipeline=commands, transaction=True)


def pipeline(commands: List[Tuple[Any, ...]]) -> Call:
    """Commands sent together without MULTI: one round trip."""
    return Call(pipeline=commands, transaction=False)


def script(s: Any, keys: Sequence[Any], args: Sequence[Any]) -> Call:
    return Call(script=s, keys=keys, args=args)


# ---------------------------------------------------------------------------- filters
SERVER_OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "range", "startswith")


def parseFilters(schema: "ModelSchema", kwargs: Dict[str, Any]) -> List[Tuple[str, str, Any]]:
    """Turn ``filter(**kwargs)`` into filter tuples, checking each field:

    ``(field, 'eq' | 'ne', index value)``, ``(field, 'in', (index values))``,
    ``(field, 'zs', (min, max))`` a score range and ``(field, 'zl', (min, max))`` a text range of
    the field's sorted set (bounds in ZRANGEBYSCORE / ZRANGEBYLEX form, see sorting.py).
    """
    out: List[Tuple[str, str, Any]] = []
    for key, value in kwargs.items():
        name, op = key, "eq"
        if "__" in key:
            name, _, op = key.rpartition("__")
            if op not in SERVER_OPS:
                raise InvalidQueryError(
                    f"Model {schema.modelName}: filter {key!r} uses operator {op!r}; the server supports equals, "
                    "__ne and __in on indexed fields, and __gt, __gte, __lt, __lte, __range (and __startswith for text) "
                    f"on fields in SORTED_FIELDS. {_capitalized(filterHint(schema, key))}"
                )
        field = schema.fieldsByName.get(name)
        if field is None:
            raise InvalidQueryError(f"Model {schema.modelName}: filter {key!r}: {filterHint(schema, key)}")
        if op in ("eq", "ne", "in"):
            out.append(_setFilter(schema, field, name, op, key, value))
        else:
            out.append(_rangeFilter(schema, field, name, op, key, value))
    return out


def _setFilter(schema: "ModelSchema", field: Any, name: str, op: str, key: str, value: Any) -> Tuple[str, str, Any]:
    if name not in schema.indexedNames:
        raise InvalidQueryError(
            f"Model {schema.modelName}: field {name!r} is not indexed, so it cannot be filtered on the server. "
            f"Indexed fields are {schema.indexedNameList}; add {name!r} to INDEXED_FIELDS (then run reindex()), "
            f"or {filterHint(schema, key)}"
        )
    try:
        if op == "in":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise InvalidValueError(f"__in takes a list of values; got {type(value).__name__} {value!r:.60}")
            return (name, op, tuple(dict.fromkeys(field.toIndex(v) for v in value)))
        return (name, op, field.toIndex(value))
    except InvalidValueError as exc:
        raise InvalidQueryError(f"Model {schema.modelName}: cannot filter {key}={_short(value)}: {exc}") from exc


def _rangeFilter(schema: "ModelSchema", field: Any, name: str, op: str, key: str, value: Any) -> Tuple[str, str, Any]:
    from . import sorting

    kind = schema.sortedKinds.get(name)
    if kind is None:
        raise InvalidQueryError(
            f"Model {schema.modelName}: filter {key!r} needs a sorted index on {name!r}; add {name!r} to SORTED_FIELDS "
            f"(then run reindex()), or {filterHint(schema, key)}"
        )
    try:
        if op == "range":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise InvalidValueError(f"__range takes (low, high); got {value!r:.60}")
            bounds = [(value[0], "gte"), (value[1], "lte")]
        elif op == "startswith":
            if kind != "l":
                raise InvalidValueError("__startswith is for text fields")
            stored = field.toStorage(field.fromInput(value))
            return (name, "zl", sorting.prefixBounds(stored))
        else:
            bounds = [(value, op)]
        lo: bytes = b"[\x01" if kind == "l" else b"(-inf"
        hi: bytes = b"[\xff" if kind == "l" else b"+inf"
        for v, o in bounds:
            stored = field.toStorage(field.fromInput(v))
            if sorting.isNull(stored):
                raise InvalidValueError("a range bound cannot be irNull")
            upper = o in ("lt", "lte")
            inclusive = o in ("gte", "lte")
            if kind == "l":
                b = sorting.lexBound(stored, inclusive, upper)
            else:
                b = sorting.scoreBound(kind, stored, inclusive)
            if upper:
                hi = b
            else:
                lo = b
        return (name, "zl" if kind == "l" else "zs", (lo, hi))
    except InvalidValueError as exc:
        raise InvalidQueryError(f"Model {schema.modelName}: cannot filter {key}={_short(value)}: {exc}") from exc


def splitFilterKey(key: str) -> Tuple[str, str]:
    """``'year__gt'`` -> ``('year', 'gt')``, ``'year'`` -> ``('year', 'eq')``: the field (or attribute)
    and the operator, split at the last ``__`` as QueryableList splits them."""
    name, sep, op = key.rpartition("__")
    return (name, op) if sep and name and op else (key, "eq")


def filterHint(schema: "ModelSchema", key: str) -> str:
    """What to do instead of the filter ``key`` (a sentence, or a few), for error messages.

    Suggests a client-side filter (``.all().filter(...)``) only when IRQueryableList would run it:
    an operator QueryableList knows, on a field of the model; through a link it suggests looking
    the linked objects up first and filtering on their pks.
    """
    name, op = splitFilterKey(key)
    head, _, rest = key.partition("__")
    link = schema.fieldsByName.get(head)
    if link is not None and getattr(link, "isForeignLink", False) and rest and rest.partition("__")[0] not in CLIENT_OPERATORS:
        return _linkHint(schema, link, rest)
    field = schema.fieldsByName.get(name)
    if field is None:
        return f"the model has no field {name!r}; its fields are {schema.fieldNames}"
    if op not in CLIENT_OPERATORS:
        return f"{op!r} is not an operator; client-side filters support {', '.join(sorted(CLIENT_OPERATORS))}"
    if getattr(field, "isForeignLink", False):
        return (
            f"filter on the client by the linked pk(s) ({name!r} is a link; on the client its value is the linked "
            f"object, obj.{name}__id its pk): .all().filter({name}__id__{op}=...)"
        )
    return f"filter on the client: .all().filter({key}=...) (after fetching the objects that match the other filters)"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _linkHint(schema: "ModelSchema", link: Any, rest: str) -> str:
    """The hint for ``link__other...=``: filters do not follow links; look the linked objects up first."""
    from .exceptions import IndexedRedisError
    from .schema import getSchema

    target = link.foreignModelFor(schema.model)
    targetName = getattr(target, "__name__", repr(target))
    otherName, otherOp = splitFilterKey(rest)
    try:
        other = getSchema(target)
    except IndexedRedisError:
        other = None
    from .fields.foreign import IRForeignMultiLinkField

    multi = isinstance(link, IRForeignMultiLinkField)
    if other is not None and otherName not in other.fieldsByName:
        return f"Filters cannot follow the link {link.name!r} to {targetName}, which has no field {otherName!r} either"
    if other is not None and otherName in other.indexedNames and otherOp in ("eq", "ne"):
        lookup = f"{targetName}.objects.filter({rest}=...).getPrimaryKeys()"
    else:
        lookup = f"[o.getPk() for o in {targetName}.objects.all().filter({rest}=...)]"
    use = f".all().filter({link.name}__id__{'containsAny' if multi else 'in'}=pks)"
    if not multi and link.name in schema.indexedNames:
        use = f"filter({link.name}=pk) for each pk (one pk: one server-side filter), or {use}"
    return (
        f"Filters cannot follow the link {link.name!r} to the fields of {targetName}. Look the {targetName} objects up "
        f"first, then filter on their pks: pks = {lookup}; then {use}"
    )


def isSimple(filters: Sequence[Tuple[str, str, Any]]) -> bool:
    """True when only equals / not-equals filters are given (fetch.lua answers them)."""
    return all(op == "eq" or op == "ne" for _, op, _ in filters)


def queryCall(
    layout: "KeyLayout", filters: Sequence[Tuple[str, str, Any]], mode: str, extra: Sequence[Any] = (), limit: int = 0
) -> Call:
    """One query.lua call (see the script) for filters with ranges, IN, order or a slice."""
    keys: List[Any] = [layout.keysKey]
    eq = [layout.idx(n, v) for n, op, v in filters if op == "eq"]
    ne = [layout.idx(n, v) for n, op, v in filters if op == "ne"]
    groups = [[layout.idx(n, x) for x in v] for n, op, v in filters if op == "in"]
    ranges = [(n, op, v) for n, op, v in filters if op in ("zs", "zl")]
    order = [v for _, op, v in filters if op == "order"]
    cut = [v for _, op, v in filters if op == "slice"]
    keys += eq + ne
    args: List[Any] = [layout.dataPrefix, mode, limit, len(eq), len(ne), len(groups)]
    args += [len(g) for g in groups]
    for g in groups:
        keys += g
    args.append(len(ranges))
    for n, op, (lo, hi) in ranges:
        keys.append(layout.sort(n))
        args += [b"s" if op == "zs" else b"l", lo, hi, n]
    if order:
        name, desc, kind = order[-1]
        keys.append(layout.sort(name))
        args += [1, b"d" if desc else b"a", b"l" if kind == "l" else b"s"]
    else:
        args += [0, b"a", b"s"]
    offset, count = cut[-1] if cut else (0, -1)
    args += [offset, count, *extra]
    keys.append(layout.verKey)
    return script(scripts.QUERY, keys, args)


def filterKeys(layout: "KeyLayout", filters: Sequence[Tuple[str, str, Any]]) -> Tuple[List[bytes], int]:
    """KEYS for fetch.lua: the all-pks set, then equals sets, then not-equals sets, then the write counter."""
    eq = [layout.idx(n, v) for n, op, v in filters if op == "eq"]
    ne = [layout.idx(n, v) for n, op, v in filters if op == "ne"]
    # Duplicate keys change nothing in SINTER/SDIFF; drop them to keep replies small.
    eq = list(dict.fromkeys(eq))
    ne = [k for k in dict.fromkeys(ne)]
    return [layout.keysKey] + eq + ne + [layout.verKey], len(eq)


def fetchCall(
    layout: "KeyLayout", filters: Sequence[Tuple[str, str, Any]], mode: str, extra: Sequence[Any] = (), limit: int = 0
) -> Call:
    """One fetch.lua call resolving ``filters`` in ``mode`` (see the script).

    ``limit`` (modes 'all' and 'fields'): above this many matches the reply is 'chunked' and
    the rest is read with ``rowsCall``; 0 reads every row in this one call.
    """
    if not isSimple(filters):
        return queryCall(layout, filters, mode, extra, limit)
    keys, nEq = filterKeys(layout, filters)
    return script(scripts.FETCH, keys, [layout.dataPrefix, nEq, mode, limit, *extra])


def rowsCall(layout: "KeyLayout", counter: bytes, mode: str, fields: Sequence[bytes], pks: Sequence[Any]) -> Call:
    """One rows.lua call: more rows of a 'chunked' fetch, only if the write counter is still ``counter``."""
    return script(scripts.ROWS, [layout.verKey, *[layout.data(pk) for pk in pks]], [counter, mode, len(fields), *fields, *pks])


# ---------------------------------------------------------------------------- primary keys
def primaryKey(schema: "ModelSchema", value: Any) -> int:
    """``value`` as a primary key to look up: an int (or its digits as str/bytes) >= 0 (see keys.pkOf).

    Anything else (a bool, a float with a fraction, nan, a negative or too large number, other
    text) raises InvalidValueError naming the model, instead of quietly looking up some other pk.
    """
    if value.__class__ is int and 0 <= value <= MAX_PK:
        return value
    pk = pkOf(value)
    if pk is None:
        raise InvalidValueError(
            f"Model {schema.modelName}: primary keys are positive ints up to 2**63-1 (as obj.getPk() / obj._id "
            f"return); got {type(value).__name__} {_short(value)}"
        )
    return pk


def primaryKeys(schema: "ModelSchema", values: Any) -> List[int]:
    """A list of primary keys (see primaryKey); a lone str, bytes or int is refused, not iterated."""
    if isinstance(values, (str, bytes, int)) or not isinstance(values, Iterable):
        raise InvalidValueError(f"Model {schema.modelName}: expected a list of primary keys; got {_short(values)}")
    return [primaryKey(schema, v) for v in values]


# ---------------------------------------------------------------------------- replies -> objects
def objectFromHash(schema: "ModelSchema", pk: Any, flat: Sequence[bytes], table: Optional[DecoderTable] = None) -> Any:
    """Build a model object from a pk and a flat HGETALL reply (field, value, ...)."""
    it = iter(flat)
    return objectFromPairs(schema, pk, zip(it, it), table)


def objectFromDict(schema: "ModelSchema", pk: Any, raw: Dict[bytes, bytes], table: Optional[DecoderTable] = None) -> Any:
    """Build a model object from a pk and an HGETALL reply parsed as a dict."""
    return objectFromPairs(schema, pk, raw.items(), table)


def objectFromPairs(schema: "ModelSchema", pk: Any, pairs: Iterable[Tuple[bytes, bytes]], table: Optional[DecoderTable]) -> Any:
    """Build a model object from a pk and (stored field name, stored value) pairs."""
    model = schema.model
    obj = model.__new__(model)
    d = obj.__dict__
    stored: Dict[str, bytes] = {}
    if table is None:
        table = decoderTable(schema)
    for k, v in pairs:
        entry = table.get(k)
        if entry is not None:
            name, decode = entry
            stored[name] = v
            d[name] = decode(v)
    if len(stored) != len(schema.fields):
        for name, _, field in schema.decoders:
            if name not in stored:
                d[name] = field.fromStorage(None)
    d["_id"] = int(pk)
    d["_ir_stored"] = stored
    return obj


def objectFromFields(schema: "ModelSchema", pk: Any, names: Sequence[str], values: Sequence[Optional[bytes]]) -> Any:
    """Build an object holding only some fields (the others keep their defaults and count as unknown)."""
    model = schema.model
    obj = model.__new__(model)
    d = obj.__dict__
    stored: Dict[str, bytes] = {}
    for name, _, field in schema.decoders:
        d[name] = field.fromStorage(None)
    for name, raw in zip(names, values):
        field = schema.fieldsByName[name]
        d[name] = field.fromStorage(raw)
        if raw is not None:
            stored[name] = raw
    d["_id"] = int(pk)
    d["_ir_stored"] = stored
    d["_ir_partial"] = frozenset(names)
    return obj


def rowsToObjects(schema: "ModelSchema", reply: Sequence[Any]) -> List[Any]:
    """Decode fetch.lua's ``{pk, {field, value, ...}, ...}`` reply."""
    table = decoderTable(schema)
    return [objectFromHash(schema, reply[i], reply[i + 1], table) for i in range(0, len(reply), 2)]


# ---------------------------------------------------------------------------- storage of objects
UNSAVED_LINK = b"\x00unsaved link"  # stands for a link to an unsaved object when only comparing


def storageOf(schema: "ModelSchema", obj: Any, strict: bool = True) -> Dict[str, bytes]:
    """Every field of ``obj`` in its stored form.

    With ``strict=False`` (change tracking only), a link to an unsaved object reads as
    ``UNSAVED_LINK`` instead of raising.
    """
    d = obj.__dict__
    out = {}
    for name, encode, field, _ in encoderTable(schema):
        try:
            out[name] = encode(d[name])
        except InvalidValueError as exc:
            out[name] = _unstorable(schema, obj, field, exc, strict)
    return out


def changedStorage(schema: "ModelSchema", obj: Any, strict: bool = True) -> Dict[str, bytes]:
    """Fields whose stored form differs from what was last fetched or saved (all of them for a new object).

    A field whose values are immutable (text, numbers, bytes, dates) and that was not assigned
    since then (``FieldAccessor`` keeps the names in ``_ir_dirty``) cannot have changed, so it is
    not encoded again; fields that may be changed in place (JSON, pickled objects, links, custom
    types) are always encoded and compared.
    """
    d = obj.__dict__
    stored = d.get("_ir_stored")
    if stored is None or d.get("_id") is None:
        return storageOf(schema, obj, strict)
    partial = d.get("_ir_partial")
    dirty = d.get("_ir_dirty") or ()
    out = {}
    for name, encode, field, immutable in encoderTable(schema):
        if partial is not None and name not in partial:
            continue  # never fetched: leave what Redis holds alone
        if immutable and name not in dirty and name in stored:
            continue
        try:
            value = encode(d[name])
        except InvalidValueError as exc:
            value = _unstorable(schema, obj, field, exc, strict)
        if stored.get(name) != value:
            out[name] = value
    return out


def _unstorable(schema: "ModelSchema", obj: Any, field: Any, exc: InvalidValueError, strict: bool) -> bytes:
    if not strict and getattr(field, "isForeignLink", False):
        return UNSAVED_LINK
    raise InvalidValueError(f"Model {schema.modelName}, object {_label(obj)}: {exc}") from exc


def _label(obj: Any) -> str:
    pk = obj.__dict__.get("_id")
    return f"pk={pk}" if pk is not None else "(not saved)"


# ---------------------------------------------------------------------------- saving
class SaveEntry:
    """One object in a save batch: its mode, the fields to write, the index changes to make."""

    __slots__ = ("obj", "mode", "pk", "sets", "idx", "ttl")

    def __init__(
        self, obj: Any, mode: str, pk: Optional[int], sets: Dict[str, bytes], idx: List[list], ttl: Optional[bytes] = None
    ) -> None:
        self.obj = obj
        self.mode = mode  # 'N' new, 'U' update, 'C' create under pk
        self.pk = pk
        self.sets = sets  # field name -> stored bytes to HSET
        self.idx = idx  # [field, expected stored (bytes | ABSENT | UNKNOWN), new stored]
        self.ttl = ttl  # EXPIRE: None keep the deadline, b'p' none, b'a<ms>' that deadline, else ms from now


def entryTtl(schema: "ModelSchema", obj: Any, new: bool) -> Optional[bytes]:
    """The deadline a save gives ``obj`` (EXPIRE): the one asked for by ``save(ttl=...)``, else the
    model's default for a new object, else None (an update keeps the object's deadline)."""
    if not schema.expiry:
        return None
    asked = obj.__dict__.get("_ir_ttl")
    if asked is not None:
        return asked  # type: ignore[no-any-return]
    if new and schema.defaultTtl:
        return b"%d" % round(schema.defaultTtl * 1000)
    return None


def ttlMilliseconds(schema: "ModelSchema", seconds: Any, what: str) -> bytes:
    """``seconds`` (a time to live) as the milliseconds a script takes; refuses what is not one."""
    if not schema.expiry:
        raise InvalidModelException(
            f"Model {schema.modelName} has no EXPIRE, so its objects cannot expire ({what}); set EXPIRE = seconds on the "
            "model (a new object's default time to live), or EXPIRE = 0 for deadlines given per object only"
        )
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (0 < seconds < 10**11):
        raise InvalidValueError(f"Model {schema.modelName}: {what} needs a number of seconds > 0; got {seconds!r}")
    return b"%d" % max(1, round(seconds * 1000))


def saveEntry(schema: "ModelSchema", obj: Any, forceFull: bool = False) -> Optional[SaveEntry]:
    """Plan the save of one object; None when nothing changed."""
    pk = obj.__dict__.get("_id")
    if pk is None:
        return newEntry(schema, obj)
    ttl = entryTtl(schema, obj, False)
    if forceFull:
        sets = storageOf(schema, obj)
    else:
        sets = changedStorage(schema, obj)
        if not sets and ttl is None:
            return None
    if schema.sortedFields:
        checkSorted(schema, sets)
    stored = obj.__dict__.get("_ir_stored")
    idx = []
    for f, name in zip(schema.indexedFields, schema.indexedNameList):
        if name in sets:
            if stored is None:
                expected: Any = UNKNOWN
            else:
                expected = stored.get(name, ABSENT)
            idx.append([f, expected, sets[name]])
    return SaveEntry(obj, "U", pk, sets, idx, ttl)


def sortedArgs(layout: "KeyLayout", sortedFields: Sequence[Tuple[Any, str]], keys: List[Any], args: List[Any]) -> None:
    """Append what save.lua and delete.lua need to keep the sorted sets (lib.lua: sortedSpec)."""
    for field, kind in sortedFields:
        keys.append(layout.sort(field.name))
        args.append(field.name)
        args.append(kind)
    args.append(len(sortedFields))


def saveCall(
    layout: "KeyLayout", entries: Sequence[SaveEntry], anyGen: bool = False, sortedFields: Sequence[Tuple[Any, str]] = ()
) -> Call:
    """One save.lua call for ``entries`` (``anyGen``: writing a generation that is being built).

    Field names are sent once per call and entries refer to them by position; a whole object
    is sent as its values alone, in the order of the names (see save.lua).
    """
    keys: List[Any] = [layout.keysKey, layout.nextKey, layout.verKey]
    names: List[str] = []
    position: Dict[str, int] = {}
    body: List[Any] = []
    idxPrefixes: Dict[str, bytes] = {}  # field name -> _ir_|KEY:idx:FIELD:

    def idxKey(name: str, indexValue: bytes) -> bytes:
        prefix = idxPrefixes.get(name)
        if prefix is None:
            prefix = idxPrefixes[name] = layout.idxFieldPrefix(name)
        return prefix + indexValue

    for e in entries:
        mode = e.mode
        sets = e.sets
        if mode != "N":
            keys.append(layout.data(e.pk))  # type: ignore[arg-type]
        if not names:
            names.extend(sets)
            position.update((n, i) for i, n in enumerate(names, 1))
        if len(sets) == len(names) and all(a == b for a, b in zip(sets, names)):
            body += (mode, e.pk if e.pk is not None else "", -len(sets), len(e.idx))
            body.extend(sets.values())
        else:
            body += (mode, e.pk if e.pk is not None else "", len(sets), len(e.idx))
            for name, value in sets.items():
                pos = position.get(name)
                if pos is None:
                    names.append(name)
                    pos = position[name] = len(names)
                body.append(pos)
                body.append(value)
        for field, expected, new in e.idx:
            name = str.__str__(field)
            newKey = idxKey(name, field.storageToIndex(new))
            body.append(position[name])
            if mode == "U":
                if expected is UNKNOWN:
                    body.append(b"?")
                    keys.append(newKey)
                elif expected is ABSENT:
                    body.append(b"x")
                    keys.append(newKey)
                else:
                    body.append(b"v" + expected)
                    keys.append(idxKey(name, field.storageToIndex(expected)))
            keys.append(newKey)
    keys.append(layout.registryKey)
    args: List[Any] = [layout.dataPrefix, len(entries), len(names), *names]
    args.extend(body)
    sortedArgs(layout, sortedFields, keys, args)
    inserts = [e for e in entries if e.mode != "U"]
    ttls = [b"" if e.ttl is None else e.ttl for e in entries] if any(e.ttl is not None for e in entries) else ()
    return Call(
        script=scripts.SAVE,
        extArgs=ttls,
        keys=keys,
        args=args,
        anyGen=anyGen,
        # A reset's build is never sent twice (a failed build is dropped whole): no token needed.
        token=_insertToken(inserts) if inserts and not anyGen else b"",
        pks=[e.pk for e in entries],
    )


def _insertToken(inserts: Sequence["SaveEntry"]) -> bytes:
    """The token of a save call that creates objects: a new one, or, when exactly these objects
    were in a call whose outcome is unknown (WriteOutcomeUnknownError), that call's token, so
    saving them again cannot store them twice."""
    pending = inserts[0].obj.__dict__.get("_ir_pendingWrite")
    if (
        pending is not None
        and pending[1] == len(inserts)
        and all(e.obj.__dict__.get("_ir_pendingWrite") is pending for e in inserts)
    ):
        return pending[0]
    return newToken()


def newToken() -> bytes:
    return os.urandom(12).hex().encode("ascii")


def newEntry(schema: "ModelSchema", obj: Any, pk: Optional[int] = None) -> SaveEntry:
    """Plan the insert of ``obj`` as a new object: under ``pk`` (mode C), or under a pk the script
    hands out (mode N)."""
    sets = storageOf(schema, obj)
    if schema.sortedFields:
        checkSorted(schema, sets)
    idx = [[f, ABSENT, sets[n]] for f, n in zip(schema.indexedFields, schema.indexedNameList)]
    return SaveEntry(obj, "N" if pk is None else "C", pk, sets, idx, entryTtl(schema, obj, True))


def checkSorted(schema: "ModelSchema", sets: Dict[str, bytes]) -> None:
    """Refuse values whose sorted-set score would not be exact (sorting.py)."""
    from .sorting import checkExact

    for field, kind in schema.sortedFields:
        if field.name in sets:
            checkExact(schema.modelName, field, kind, sets[field.name])


def saveOp(schema: "ModelSchema", layout: "KeyLayout", objs: Iterable[Any]) -> Op:
    """Save objects in one atomic script call; returns the list of pks, one per object.

    Retries only when other writers changed the indexed fields being written (a conflict reply).
    """
    objs = list(objs)
    todo = [e for e in (saveEntry(schema, obj) for obj in objs) if e is not None]
    if todo:
        yield from saveEntriesOp(schema, layout, todo)
    return [o.__dict__.get("_id") for o in objs]


def saveEntriesOp(schema: "ModelSchema", layout: "KeyLayout", todo: List[SaveEntry], anyGen: bool = False) -> Op:
    """Run planned save entries in one atomic script call, retrying on conflict replies."""
    for _attempt in range(MAX_WRITE_ATTEMPTS):
        call = saveCall(layout, todo, anyGen=anyGen, sortedFields=schema.sortedFields)
        try:
            reply = yield call
        except WriteOutcomeUnknownError:
            _notePending(call, todo)
            raise
        status = reply[0]
        if status == b"ok" or status == b"replay":
            stale = []
            for e, pk in zip(todo, reply[1:]):
                replayedOld = status == b"replay" and e.obj.__dict__.pop("_ir_pendingWrite", None) is not None
                _afterSave(schema, e, int(pk))
                if replayedOld:
                    stale.append(e.obj)
            if stale:
                # The write that ran was an earlier save of these objects, whose outcome was not
                # known then: write their current values over it.
                for obj in stale:
                    obj.__dict__["_ir_stored"] = None
                again = [e for e in (saveEntry(schema, obj, forceFull=True) for obj in stale) if e is not None]
                yield from saveEntriesOp(schema, layout, again, anyGen=anyGen)
            return None
        if status == b"conflict":
            for i, current in parseConflicts(reply):
                for change in todo[i].idx:
                    if change[0].name in current:
                        change[1] = current[change[0].name]
            continue
        e = todo[int(reply[1]) - 1]
        if status == b"unique":
            other = todo[int(reply[4]) - 1].obj if int(reply[4]) else None
            raise uniqueError(schema, e.obj, int(reply[2]) - 1, reply[3], other, e.sets)
        if status == b"gone":
            # Deleted meanwhile (or the dataset was replaced by reset): writing it again could
            # resurrect a row the new dataset no longer has, so the caller decides.
            raise ObjectNotFoundError(
                f"Model {schema.modelName}: object pk={e.pk} was deleted (or it expired, or the dataset was reset) since it was "
                "fetched; nothing was saved. Save obj.copy() to store it again as a new object."
            )
        elif status == b"exists":
            sets = storageOf(schema, e.obj)
            e.mode, e.sets = "U", sets
            e.idx = [[f, UNKNOWN, sets[f.name]] for f in schema.indexedFields]
        else:  # pragma: no cover - protocol error
            raise ConcurrentWriteError(f"Model {schema.modelName}: unexpected reply from save script: {reply!r}")
    raise ConcurrentWriteError(
        f"Model {schema.modelName}: save gave up after {MAX_WRITE_ATTEMPTS} attempts; other writers kept changing "
        "the same objects' indexed fields. Retry the save."
    )


def uniqueError(
    schema: "ModelSchema", obj: Any, u: int, holder: Any, other: Any = None, sets: Optional[Dict[str, bytes]] = None
) -> UniqueConstraintError:
    """The error of a write refused by unique constraint number ``u`` (UNIQUE_FIELDS); ``sets``: the
    stored values the write gives (for writes without the object's values, such as update())."""
    fields = schema.uniqueConstraints[u]
    names = tuple(f.name for f in fields)

    def valueOf(f: Any) -> Any:
        if sets is not None and f.name in sets:
            try:
                return f.fromStorage(sets[f.name])
            except Exception:  # pragma: no cover - shown as stored
                return sets[f.name]
        return obj.__dict__.get(f.name)

    value = tuple(valueOf(f) for f in fields)
    shown = repr(value[0]) if len(value) == 1 else repr(value)
    label = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
    if holder:
        holderPk: Any = int(holder)
        where = f"object pk={holderPk} already holds it"
        hint = f"change the value, or change or delete pk={holderPk} first"
    else:
        holderPk = None
        mine = obj.__dict__.get("_id")
        where = f"another object of the same save ({_label(other) if other is not None else 'a new object'}) takes it too"
        hint = "give each object its own value"
        if mine is not None:
            where += f" (this one is pk={mine})"
    return UniqueConstraintError(
        f"Model {schema.modelName}: {label} must be unique, and {label}={shown} is taken: {where}; nothing of this "
        f"write was stored. To go on, {hint}.",
        model=schema.modelName,
        fields=names,
        value=value,
        holder=holderPk,
    )


def _notePending(call: Call, todo: Sequence[SaveEntry]) -> None:
    """Remember on the new objects of a save whose outcome is unknown the token it carried."""
    inserts = [e for e in todo if e.mode != "U"]
    if inserts and call.token:
        pending = (call.token, len(inserts))
        for e in inserts:
            e.obj.__dict__["_ir_pendingWrite"] = pending


def parseConflicts(reply: Sequence[Any]) -> List[Tuple[int, Dict[str, Optional[bytes]]]]:
    """``{'conflict', i, n, f1, v1, ..., j, m, ...}`` -> ``[(entry index from 0, {field: current value})]``."""
    out = []
    pos = 1
    while pos < len(reply):
        index, n = int(reply[pos]) - 1, int(reply[pos + 1])
        pos += 2
        current = {}
        for _ in range(n):
            current[reply[pos].decode("utf-8")] = reply[pos + 1]
            pos += 2
        out.append((index, current))
    return out


def finishInserts(schema: "ModelSchema", entries: Sequence[SaveEntry], reply: Sequence[Any]) -> None:
    """Apply the reply of a save.lua call made only of new objects (modes N and C, into a
    generation being built): give each its pk. A pk given twice raises InvalidValueError."""
    if reply and reply[0] == b"exists":
        pk = entries[int(reply[1]) - 1].pk
        raise InvalidValueError(
            f"Model {schema.modelName}: pk {pk} is given to reset twice (or was handed out earlier in the same reset to "
            "an object given without a pk); pks given to reset must be distinct. Give every object its pk, or none"
        )
    if reply and reply[0] == b"unique":
        i, other = int(reply[1]) - 1, int(reply[4])
        err = uniqueError(schema, entries[i].obj, int(reply[2]) - 1, reply[3], entries[other - 1].obj if other else None)
        raise UniqueConstraintError(
            f"{err} The input of reset holds this value twice; the dataset was not replaced.",
            model=err.model,
            fields=err.fields,
            value=err.value,
            holder=err.holder,
        )
    if not reply or reply[0] != b"ok" or len(reply) != len(entries) + 1:
        raise ConcurrentWriteError(f"Model {schema.modelName}: unexpected reply from save script: {reply!r:.200}")
    for e, pk in zip(entries, reply[1:]):
        _afterSave(schema, e, int(pk))


def _afterSave(schema: "ModelSchema", e: SaveEntry, pk: int) -> None:
    d = e.obj.__dict__
    d["_id"] = pk
    d.pop("_ir_dirty", None)
    d.pop("_ir_pendingWrite", None)
    keeps = schema.keepsAssignedNames
    if keeps:  # fields keeping values as assigned: remember what was saved (getUpdatedFields' old side)
        saved = d.get("_ir_savedValues") if e.mode == "U" else None
        saved = dict(saved) if saved else {}
        for name in keeps:
            if (e.mode != "U" or name in e.sets) and name in d:
                saved[name] = d[name]
        d["_ir_savedValues"] = saved
    if e.mode == "U":
        stored = dict(d.get("_ir_stored") or {})
        stored.update(e.sets)
    else:
        stored = dict(e.sets)
        d.pop("_ir_partial", None)
    d["_ir_stored"] = stored


# ---------------------------------------------------------------------------- deleting
class DeleteEntry:
    __slots__ = ("pk", "idx")

    def __init__(self, pk: int, idx: List[list]) -> None:
        self.pk = pk
        self.idx = idx  # [field, expected stored (bytes | ABSENT | UNKNOWN)]


def deleteEntry(
    schema: "ModelSchema", pk: int, stored: Optional[Dict[str, bytes]] = None, known: Optional[Iterable[str]] = None
) -> DeleteEntry:
    """Plan the delete of one object from what the client last saw of it (``stored``; None: unknown).

    ``known``: the field names that were fetched, for objects fetched with only some fields.
    """
    idx = []
    for f in schema.indexedFields:
        if stored is None or (f.name not in stored and known is not None and f.name not in known):
            idx.append([f, UNKNOWN])
        else:
            idx.append([f, stored.get(f.name, ABSENT)])
    return DeleteEntry(int(pk), idx)


def copyEntries(entries: Sequence[DeleteEntry]) -> List[DeleteEntry]:
    """Fresh copies, since a run for another generation starts from the same expectations."""
    return [DeleteEntry(e.pk, [list(c) for c in e.idx]) for e in entries]


def deleteCall(
    layout: "KeyLayout", entries: Sequence[DeleteEntry], owned: Sequence[str] = (), sortedFields: Sequence[Tuple[Any, str]] = ()
) -> Call:
    """One delete.lua call; ``owned``: the names of the collection fields, whose keys go with each object."""
    keys: List[Any] = [layout.keysKey, layout.verKey]
    args: List[Any] = [len(entries), len(owned)]
    for e in entries:
        keys.append(layout.data(e.pk))
        args.append(e.pk)
        args.append(len(e.idx))
        for field, expected in e.idx:
            args.append(field.name)
            if expected is UNKNOWN:
                args.append(b"?")
                keys.append(layout.keysKey)  # placeholder: never written while unknown
            elif expected is ABSENT:
                args.append(b"x")
                keys.append(layout.keysKey)  # placeholder: skipped by the script
            else:
                args.append(b"v" + expected)
                keys.append(layout.idx(field.name, field.storageToIndex(expected)))
        keys.extend(layout.collection(name, e.pk) for name in owned)
    keys.append(layout.registryKey)
    sortedArgs(layout, sortedFields, keys, args)
    return Call(script=scripts.DELETE, keys=keys, args=args, token=newToken(), pks=[e.pk for e in entries])


def deleteOp(schema: "ModelSchema", layout: "KeyLayout", entries: List[DeleteEntry]) -> Op:
    """Delete objects with their index entries atomically. Returns how many existed."""
    if not entries:
        return 0
    for _attempt in range(MAX_WRITE_ATTEMPTS):
        reply = yield deleteCall(layout, entries, schema.collectionNames, schema.sortedFields)
        if reply[0] == b"ok" or reply[0] == b"replay":
            return int(reply[1])
        for i, current in parseConflicts(reply):
            for change in entries[i].idx:
                if change[0].name in current:
                    change[1] = current[change[0].name]
    raise ConcurrentWriteError(
        f"Model {schema.modelName}: delete gave up after {MAX_WRITE_ATTEMPTS} attempts; other writers kept changing "
        "the same objects. Retry the delete."
    )


def deleteEntriesFromFields(schema: "ModelSchema", reply: Sequence[Any]) -> List[DeleteEntry]:
    """Delete entries from a fetch 'fields' reply of the indexed fields: ``{pk, {v1, ...}, ...}``."""
    out = []
    names = schema.indexedFields
    for i in range(0, len(reply), 2):
        pk = reply[i]
        values = reply[i + 1]
        out.append(DeleteEntry(int(pk), [[f, v if v is not None else ABSENT] for f, v in zip(names, values)]))
    return out


__all__ = [
    "ABSENT",
    "Call",
    "DeleteEntry",
    "SaveEntry",
    "UNKNOWN",
    "changedStorage",
    "copyEntries",
    "deleteCall",
    "deleteEntriesFromFields",
    "deleteEntry",
    "deleteOp",
    "fetchCall",
    "finishInserts",
    "keyed",
    "rowsCall",
    "filterKeys",
    "objectFromDict",
    "objectFromFields",
    "objectFromHash",
    "parseFilters",
    "filterHint",
    "primaryKey",
    "primaryKeys",
    "splitFilterKey",
    "rowsToObjects",
    "saveCall",
    "newEntry",
    "saveEntriesOp",
    "saveEntry",
    "saveOp",
    "storageOf",
]
