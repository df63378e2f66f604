"""Pure planning: filters -> script arguments, object changes -> write batches, replies -> objects.

Nothing here does I/O. Every operation is a generator that yields ``Call`` objects and
receives their replies; an executor (``executor.runSync`` here, the asyncio one later) runs
the calls. So the logic of retries, conflicts and decoding exists once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Generator, Iterable, List, Optional, Sequence, Tuple

from . import scripts
from .codec import DecoderTable, decoderTable, encoderTable
from .exceptions import ConcurrentWriteError, InvalidQueryError, InvalidValueError, ObjectNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from .keys import KeyLayout
    from .schema import ModelSchema

MAX_WRITE_ATTEMPTS = 25
UNKNOWN = object()  # expected stored value not known: the script reports the current one
ABSENT = None  # the field is not in the hash


# ---------------------------------------------------------------------------- calls
class Call:
    """One request to Redis: a script or a plain command (``pipeline`` of commands)."""

    __slots__ = ("script", "keys", "args", "command", "pipeline", "transaction", "anyGen")

    def __init__(
        self,
        script: Any = None,
        keys: Sequence[Any] = (),
        args: Sequence[Any] = (),
        command: Optional[Tuple[Any, ...]] = None,
        pipeline: Optional[List[Tuple[Any, ...]]] = None,
        transaction: bool = False,
        anyGen: bool = False,
    ) -> None:
        self.script = script
        self.keys = keys
        self.args = args
        self.command = command
        self.pipeline = pipeline
        self.transaction = transaction  # pipeline as MULTI/EXEC: one round trip, one instant
        self.anyGen = anyGen  # True: not tied to the current data generation (reset, destroy)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        if self.script is not None:
            return f"Call(script, {len(self.keys)} keys, {len(self.args)} args)"
        if self.command is not None:
            return f"Call({self.command[0]!r})"
        return f"Call(pipeline of {len(self.pipeline or [])})"


Op = Generator[Call, Any, Any]


def command(*args: Any) -> Call:
    return Call(command=args)


def keyed(name: str, key: bytes, *args: Any) -> Call:
    """One read command on one key, checked against the current generation in the same step (keyed.lua).

    Replies come as Lua converts them: HGETALL gives a flat list, SMEMBERS a list.
    """
    return Call(script=scripts.KEYED, keys=[key], args=[name, *args])


def transaction(commands: List[Tuple[Any, ...]]) -> Call:
    """Commands sent together in MULTI/EXEC: one round trip, replies from one instant."""
    return Call(pipeline=commands, transaction=True)


def pipeline(commands: List[Tuple[Any, ...]]) -> Call:
    """Commands sent together without MULTI: one round trip."""
    return Call(pipeline=commands, transaction=False)


def script(s: Any, keys: Sequence[Any], args: Sequence[Any]) -> Call:
    return Call(script=s, keys=keys, args=args)


# ---------------------------------------------------------------------------- filters
def parseFilters(schema: "ModelSchema", kwargs: Dict[str, Any]) -> List[Tuple[str, str, bytes]]:
    """Turn ``filter(**kwargs)`` into ``[(field, 'eq'|'ne', index value)]``, checking each field."""
    out = []
    for key, value in kwargs.items():
        name, op = key, "eq"
        if "__" in key:
            name, _, op = key.rpartition("__")
            if op not in ("eq", "ne"):
                raise InvalidQueryError(
                    f"Model {schema.modelName}: filter {key!r} uses operator {op!r}; the server supports equals "
                    f"(field=value) and not-equals (field__ne=value). Filter further on the client: "
                    f".all().filter({key}=...)"
                )
        field = schema.fieldsByName.get(name)
        if field is None:
            raise InvalidQueryError(
                f"Model {schema.modelName} has no field {name!r} to filter on; indexed fields are {schema.indexedNameList}"
            )
        if name not in schema.indexedNames:
            raise InvalidQueryError(
                f"Model {schema.modelName}: field {name!r} is not indexed, so it cannot be filtered on the server. "
                f"Indexed fields are {schema.indexedNameList}; add {name!r} to INDEXED_FIELDS (then run reindex()), "
                f"or filter on the client: .all().filter({key}=...)"
            )
        try:
            indexValue = field.toIndex(value)
        except InvalidValueError as exc:
            raise InvalidQueryError(f"Model {schema.modelName}: cannot filter {key}={value!r}: {exc}") from exc
        out.append((name, op, indexValue))
    return out


def filterKeys(layout: "KeyLayout", filters: Sequence[Tuple[str, str, bytes]]) -> Tuple[List[bytes], int]:
    """KEYS for fetch.lua: the all-pks set, then equals sets, then not-equals sets, then the write counter."""
    eq = [layout.idx(n, v) for n, op, v in filters if op == "eq"]
    ne = [layout.idx(n, v) for n, op, v in filters if op == "ne"]
    # Duplicate keys change nothing in SINTER/SDIFF; drop them to keep replies small.
    eq = list(dict.fromkeys(eq))
    ne = [k for k in dict.fromkeys(ne)]
    return [layout.keysKey] + eq + ne + [layout.verKey], len(eq)


def fetchCall(
    layout: "KeyLayout", filters: Sequence[Tuple[str, str, bytes]], mode: str, extra: Sequence[Any] = (), limit: int = 0
) -> Call:
    """One fetch.lua call resolving ``filters`` in ``mode`` (see the script).

    ``limit`` (modes 'all' and 'fields'): above this many matches the reply is 'chunked' and
    the rest is read with ``rowsCall``; 0 reads every row in this one call.
    """
    keys, nEq = filterKeys(layout, filters)
    return script(scripts.FETCH, keys, [layout.dataPrefix, nEq, mode, limit, *extra])


def rowsCall(layout: "KeyLayout", counter: bytes, mode: str, fields: Sequence[bytes], pks: Sequence[Any]) -> Call:
    """One rows.lua call: more rows of a 'chunked' fetch, only if the write counter is still ``counter``."""
    return script(scripts.ROWS, [layout.verKey, *[layout.data(pk) for pk in pks]], [counter, mode, len(fields), *fields, *pks])


# ---------------------------------------------------------------------------- primary keys
def primaryKey(schema: "ModelSchema", value: Any) -> int:
    """``value`` as a primary key to look up: an int (or its digits as str/bytes) >= 0.

    Anything else (a bool, a float with a fraction, a negative number, other text) raises
    InvalidValueError naming the model, instead of quietly looking up some other pk.
    """
    if value.__class__ is int and value >= 0:
        return value
    pk = -1  # refused unless one of the forms below gives a pk
    if isinstance(value, int) and not isinstance(value, bool):
        pk = int(value)
    elif isinstance(value, float) and value.is_integer():
        pk = int(value)
    elif isinstance(value, (str, bytes)) and value.strip().isdigit() and value.strip().isascii():
        pk = int(value)
    if pk < 0:
        raise InvalidValueError(
            f"Model {schema.modelName}: primary keys are positive ints (as obj.getPk() / obj._id return); got {value!r:.60}"
        )
    return pk


def primaryKeys(schema: "ModelSchema", values: Any) -> List[int]:
    """A list of primary keys (see primaryKey); a lone str, bytes or int is refused, not iterated."""
    if isinstance(values, (str, bytes, int)) or not isinstance(values, Iterable):
        raise InvalidValueError(f"Model {schema.modelName}: expected a list of primary keys; got {values!r:.60}")
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

    __slots__ = ("obj", "mode", "pk", "sets", "idx")

    def __init__(self, obj: Any, mode: str, pk: Optional[int], sets: Dict[str, bytes], idx: List[list]) -> None:
        self.obj = obj
        self.mode = mode  # 'N' new, 'U' update, 'C' create under pk
        self.pk = pk
        self.sets = sets  # field name -> stored bytes to HSET
        self.idx = idx  # [field, expected stored (bytes | ABSENT | UNKNOWN), new stored]


def saveEntry(schema: "ModelSchema", obj: Any, forceFull: bool = False) -> Optional[SaveEntry]:
    """Plan the save of one object; None when nothing changed."""
    pk = obj.__dict__.get("_id")
    if pk is None:
        return newEntry(schema, obj)
    if forceFull:
        sets = storageOf(schema, obj)
    else:
        sets = changedStorage(schema, obj)
        if not sets:
            return None
    stored = obj.__dict__.get("_ir_stored")
    idx = []
    for f, name in zip(schema.indexedFields, schema.indexedNameList):
        if name in sets:
            if stored is None:
                expected: Any = UNKNOWN
            else:
                expected = stored.get(name, ABSENT)
            idx.append([f, expected, sets[name]])
    return SaveEntry(obj, "U", pk, sets, idx)


def saveCall(layout: "KeyLayout", entries: Sequence[SaveEntry], anyGen: bool = False) -> Call:
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
    return Call(script=scripts.SAVE, keys=keys, args=args, anyGen=anyGen)


def newEntry(schema: "ModelSchema", obj: Any) -> SaveEntry:
    """Plan the insert of ``obj`` as a new object (pk handed out by the script)."""
    sets = storageOf(schema, obj)
    return SaveEntry(obj, "N", None, sets, [[f, ABSENT, sets[n]] for f, n in zip(schema.indexedFields, schema.indexedNameList)])


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
        reply = yield saveCall(layout, todo, anyGen=anyGen)
        status = reply[0]
        if status == b"ok":
            for e, pk in zip(todo, reply[1:]):
                _afterSave(schema, e, int(pk))
            return None
        if status == b"conflict":
            for i, current in parseConflicts(reply):
                for change in todo[i].idx:
                    if change[0].name in current:
                        change[1] = current[change[0].name]
            continue
        e = todo[int(reply[1]) - 1]
        if status == b"gone":
            # Deleted meanwhile (or the dataset was replaced by reset): writing it again could
            # resurrect a row the new dataset no longer has, so the caller decides.
            raise ObjectNotFoundError(
                f"Model {schema.modelName}: object pk={e.pk} was deleted (or the dataset was reset) since it was "
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
    """Apply the reply of a save.lua call made only of new objects (mode N): give each its pk."""
    if not reply or reply[0] != b"ok" or len(reply) != len(entries) + 1:
        raise ConcurrentWriteError(f"Model {schema.modelName}: unexpected reply from save script: {reply!r:.200}")
    for e, pk in zip(entries, reply[1:]):
        _afterSave(schema, e, int(pk))


def _afterSave(schema: "ModelSchema", e: SaveEntry, pk: int) -> None:
    d = e.obj.__dict__
    d["_id"] = pk
    d.pop("_ir_dirty", None)
    keeps = schema.keepsAssignedNames
    if keeps:  # fields keeping values as assigned: remember what was saved (getUpdatedFields' old side)
        saved = d.get("_ir_savedValues") if e.mode == "U" else None
        saved = dict(saved) if saved else {}
        for name in keeps:
            if e.mode != "U" or name in e.sets:
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


def deleteCall(layout: "KeyLayout", entries: Sequence[DeleteEntry]) -> Call:
    keys: List[Any] = [layout.keysKey, layout.verKey]
    args: List[Any] = [len(entries)]
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
    keys.append(layout.registryKey)
    return script(scripts.DELETE, keys, args)


def deleteOp(schema: "ModelSchema", layout: "KeyLayout", entries: List[DeleteEntry]) -> Op:
    """Delete objects with their index entries atomically. Returns how many existed."""
    if not entries:
        return 0
    for _attempt in range(MAX_WRITE_ATTEMPTS):
        reply = yield deleteCall(layout, entries)
        if reply[0] == b"ok":
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
    "primaryKey",
    "primaryKeys",
    "rowsToObjects",
    "saveCall",
    "newEntry",
    "saveEntriesOp",
    "saveEntry",
    "saveOp",
    "storageOf",
]
