"""Dump a model's objects to JSON Lines and load them back (``indexedredis dump`` / ``load``).

The format (version 2; version 1 is read too) is documented in docs/cli.rst. The first line
is a header::

    {"format": "indexedredis-dump", "version": 2, "model": "Song", "key_name": "app:Song",
     "count": 3, "fields": [{"name": "title", "type": "IRField(str)", "encoding": "value"}, ...]}

then one line per object: ``{"_id": 7, "title": "Ode", ...}``, keys as ``asDict(strKeys=True,
includeMeta=True)``, in pk order, and for an object with a deadline (EXPIRE) ``"_expires"``:
the deadline in seconds since the epoch (server clock). Each field's ``encoding`` says how its values are written:

* ``value``: the value itself as JSON (plain ``IRField`` of str, int, float, bool; null for
  irNull; a float that is not finite as ``NaN`` / ``Infinity``, as Python's json module writes them);
* ``text``: the stored form as a JSON string (every other field whose stored form is text:
  datetimes, JSON values, fixed-point numbers, links, custom types);
* ``base64``: the stored form, base64 (binary fields: bytes, compressed, pickled, unicode...).

With ``text`` and ``base64``, JSON null stands for the null marker (a field holding irNull).

Loading converts every value to its stored form and builds the object as a fetch would, so
what is loaded is what was stored; an object keeps its deadline (one already past is left out).

A dump is one snapshot: every pk and the server's time are read in one call, the objects page
by page, each page with the model's write counter; when a write (or a reset) came between the
first call and the last page, the dump is read again (``ATTEMPTS`` times), and then it fails
with ConcurrentWriteError, unless ``lock=True``: the whole read then holds the model's lock
(bigops.py), so readers and writers of the model wait until it is done.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple

from .exceptions import ConcurrentWriteError, IndexedRedisError, InvalidValueError
from .fields.base import IRClassicField, IRField
from .fields.null import IR_NULL_BYTES, irNull
from .progress import ProgressCallback, tracker
from .schema import getSchema

FORMAT = "indexedredis-dump"
VERSION = 2
READS = (1, 2)  # the versions a load reads
PAGE = 1000  # objects fetched per call while dumping
ATTEMPTS = 5  # reads of a whole dump before it gives up on writers that keep coming


class DumpFormatError(IndexedRedisError, ValueError):
    """A dump file that cannot be loaded into the model: another format or version, another
    model's fields, a line that is not valid JSON or a value its field cannot hold."""


def fieldEncoding(field: IRField) -> str:
    """``'value'``, ``'text'`` or ``'base64'``: how a dump writes this field's values."""
    from .schema import _PlainStringField

    if type(field) in (IRField, IRClassicField, _PlainStringField) and getattr(field, "_kind", None) in (
        "str",
        "int",
        "float",
        "bool",
    ):
        return "value"
    return "text" if field.storedIsText else "base64"


def fieldTypeName(field: IRField) -> str:
    name = type(field).__name__
    vt = getattr(field, "valueType", None)
    if type(field) is IRField:
        return f"IRField({getattr(vt, '__name__', repr(vt))})"
    return name


def header(model: type, count: int) -> Dict[str, Any]:
    schema = getSchema(model)
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": schema.modelName,
        "key_name": schema.keyName,
        "count": count,
        "fields": [{"name": f.name, "type": fieldTypeName(f), "encoding": fieldEncoding(f)} for f in schema.fields],
    }


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def encodeObject(schema: Any, encodings: List[Tuple[str, IRField, str]], obj: Any) -> Dict[str, Any]:
    d = obj.__dict__
    out: Dict[str, Any] = {"_id": d.get("_id")}
    for name, field, enc in encodings:
        value = d.get(name, irNull)
        if enc == "value":
            out[name] = None if value is irNull or value is None else value
        else:
            raw = field.toStorage(value)
            if raw == IR_NULL_BYTES:
                out[name] = None
            else:
                out[name] = _text(raw) if enc == "text" else base64.b64encode(raw).decode("ascii")
    return out


def _startOp(layout: Any, seen: Dict[str, Any]) -> Any:
    """One MULTI: the write counter, every pk, the server's time (the instant of the dump)."""
    from .plans import Call

    counter, pks, now = yield Call(pipeline=[("GET", layout.verKey), ("SMEMBERS", layout.keysKey), ("TIME",)], transaction=True)
    seen.update(layout=layout, counter=counter)
    return sorted(int(pk) for pk in pks), int(now[0]) * 1000 + int(now[1]) // 1000


def _pageOp(schema: Any, layout: Any, page: List[int], seen: Dict[str, Any]) -> Any:
    """One MULTI: the write counter, the rows of ``pks`` (HMGET of every field) and, with
    EXPIRE, their deadlines; None when the counter (or the generation) is not the dump's."""
    from .plans import Call

    cmds: List[Any] = [("GET", layout.verKey)]
    cmds += [("HMGET", layout.data(pk), *schema.fieldNameBytes) for pk in page]
    if schema.expiry:
        cmds.append(("ZMSCORE", layout.expKey, *page))
    replies = yield Call(pipeline=cmds, transaction=True)
    if layout.verKey != seen["layout"].verKey or replies[0] != seen["counter"]:
        return None
    return replies[1 : 1 + len(page)], (replies[-1] if schema.expiry else None)


def _snapshotJob(schema: Any, track: Any, write: Any) -> Any:
    """The job of a dump without the lock: read everything; start over when a write came between."""
    from .jobs import Run

    for _attempt in range(ATTEMPTS):
        seen: Dict[str, Any] = {}
        pks, now = yield Run(functools.partial(_startOp, seen=seen), schema, "dump")
        lines = yield from _readPages(schema, pks, now, seen, track)
        if lines is not None:
            return write(pks, lines)
    raise ConcurrentWriteError(
        f"Model {schema.modelName}: writes kept changing the model while it was dumped ({ATTEMPTS} attempts); dump "
        "it with lock=True (CLI: dump --lock): readers and writers of the model then wait until the dump is read"
    )


def _readPages(schema: Any, pks: List[int], now: int, seen: Dict[str, Any], track: Any) -> Any:
    from .jobs import Run

    if track:
        track.start("reading", len(pks))
    lines: List[str] = []
    for i in range(0, len(pks), PAGE):
        page = pks[i : i + PAGE]
        got = yield Run(functools.partial(_pageOp, schema, page=page, seen=seen), schema, "dump")
        if got is None:
            return None
        lines.extend(_pageLines(schema, page, got[0], got[1], now))
        if track:
            track.advance(len(page))
    return lines


def _lockedOp(schema: Any, layout: Any, track: Any) -> Any:
    """The whole read as one plan, run under the model's lock (bigops.runLocked)."""
    seen: Dict[str, Any] = {}
    pks, now = yield from _startOp(layout, seen)
    if track:
        track.start("reading", len(pks))
    lines: List[str] = []
    for i in range(0, len(pks), PAGE):
        page = pks[i : i + PAGE]
        got = yield from _pageOp(schema, layout, page=page, seen=seen)
        assert got is not None, "the model's lock is held: nothing writes"
        lines.extend(_pageLines(schema, page, got[0], got[1], now))
        if track:
            track.advance(len(page))
    return pks, lines


def _pageLines(schema: Any, pks: List[int], rows: List[Any], deadlines: Any, now: int) -> List[str]:
    from .plans import valueRowsToObjects

    flat: List[Any] = []
    keep: List[Any] = []
    for n, (pk, values) in enumerate(zip(pks, rows)):
        deadline = deadlines[n] if deadlines is not None else None
        if deadline is not None and float(deadline) <= now:
            continue  # past its deadline at the instant of the dump: gone for every reader
        if all(v is None for v in values):
            continue  # pragma: no cover - listed without its hash: not in a consistent model
        flat += [pk, values]
        keep.append(deadline)
    encodings = [(f.name, f, fieldEncoding(f)) for f in schema.fields]
    out = []
    for obj, deadline in zip(valueRowsToObjects(schema, flat), keep):
        row = encodeObject(schema, encodings, obj)
        if deadline is not None:
            row["_expires"] = round(float(deadline) / 1000.0, 3)
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def dumpModel(model: type, out: IO[str], progress: Optional[ProgressCallback] = None, lock: bool = False) -> int:
    """Write every object of ``model`` to ``out`` (a text stream) in the dump format; return how many.

    The dump is one snapshot of the model (see the module doc): read again when a write came in
    between, ConcurrentWriteError after ``ATTEMPTS`` reads; ``lock=True`` holds the model's lock
    while it reads instead (readers and writers of the model wait). Nothing is written to ``out``
    before the whole snapshot is read.
    """
    from . import bigops
    from .executors.sync import runJob

    schema = getSchema(model)
    track = tracker(progress, "dump", schema.modelName)

    def write(pks: List[int], lines: List[str]) -> int:
        out.write(json.dumps(header(model, len(lines)), ensure_ascii=False) + "\n")
        for i in range(0, len(lines), PAGE):
            out.write("\n".join(lines[i : i + PAGE]) + "\n")
        if track:
            track.finish()
        return len(lines)

    if lock:
        pks, lines = runJob(bigops.runLocked(schema, lambda layout: _lockedOp(schema, layout, track), "dump"))
        return write(pks, lines)
    return runJob(_snapshotJob(schema, track, write))  # type: ignore[no-any-return]


def readHeader(
    model: type, lines: Iterator[str], anyModel: bool = False
) -> Tuple[Dict[str, Any], List[Tuple[str, IRField, str]]]:
    """Read and check the header line; return it with (name, field, encoding) for each field it lists.
    ``anyModel``: accept a dump of a model of another name (fields are matched by name)."""
    schema = getSchema(model)
    try:
        first = next(lines)
    except StopIteration:
        raise DumpFormatError(f"Model {schema.modelName}: the dump is empty (no header line)") from None
    try:
        head = json.loads(first)
    except ValueError as exc:
        raise DumpFormatError(f"Model {schema.modelName}: line 1 of the dump is not JSON ({exc}); is it a dump file?") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise DumpFormatError(f'Model {schema.modelName}: line 1 is not an IndexedRedis dump header (no "format": {FORMAT!r})')
    if head.get("version") not in READS:
        raise DumpFormatError(
            f"Model {schema.modelName}: dump format version {head.get('version')!r}; this IndexedRedis reads versions "
            f"{', '.join(map(str, READS))}"
        )
    if head.get("model") != schema.modelName and not anyModel:
        raise DumpFormatError(
            f"Model {schema.modelName}: the dump holds model {head.get('model')!r}; load it into that model "
            "(or give --any-model to load it anyway, matching fields by name)"
        )
    return head, _encodings(schema, head)


def _encodings(schema: Any, head: Dict[str, Any]) -> List[Tuple[str, IRField, str]]:
    out = []
    unknown = []
    for spec in head.get("fields") or []:
        name, enc = spec.get("name"), spec.get("encoding")
        field = schema.fieldsByName.get(name)
        if field is None:
            unknown.append(name)
            continue
        if enc not in ("value", "text", "base64"):
            raise DumpFormatError(f"Model {schema.modelName}: field {name!r} has encoding {enc!r} in the dump header")
        out.append((name, field, enc))
    if unknown:
        raise DumpFormatError(
            f"Model {schema.modelName}: the dump has field(s) {', '.join(map(repr, unknown))} that the model does not "
            f"define (its fields: {', '.join(schema.fieldNames)}); add them to the model, or drop them from the file"
        )
    return out


def _storedPairs(schema: Any, encodings: List[Tuple[str, IRField, str]], row: Dict[str, Any], lineNo: int) -> List[Any]:
    pairs = []
    for name, field, enc in encodings:
        if name not in row:
            continue
        v = row[name]
        try:
            if enc == "value":
                raw = field.toStorage(field.fromInput(v))
            elif v is None:
                raw = IR_NULL_BYTES
            elif enc == "text":
                raw = v.encode("utf-8", "surrogateescape")
            else:
                raw = base64.b64decode(v, validate=True)
        except (InvalidValueError, ValueError, TypeError, AttributeError) as exc:
            raise DumpFormatError(
                f"Model {schema.modelName}: line {lineNo}, field {name!r}: cannot load {v!r:.60}: {exc}"
            ) from exc
        pairs.append((name.encode("utf-8"), raw))
    return pairs


def readObjects(model: type, lines: Iterator[str], keepPks: bool = True, anyModel: bool = False) -> Iterator[Any]:
    """The objects of a dump (header first), built as a fetch builds them. ``keepPks``: with the
    dump's pks (for reset), else as new objects (for save). An object with ``"_expires"`` keeps
    that deadline (on a model with EXPIRE); one whose deadline has passed is left out."""
    import time

    from .plans import objectFromPairs

    schema = getSchema(model)
    _, encodings = readHeader(model, lines, anyModel)
    lineNo = 1
    for line in lines:
        lineNo += 1
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DumpFormatError(f"Model {schema.modelName}: line {lineNo} is not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise DumpFormatError(f"Model {schema.modelName}: line {lineNo} is not a JSON object")
        pk = row.get("_id")
        expires = row.get("_expires")
        if expires is not None and schema.expiry:
            if isinstance(expires, bool) or not isinstance(expires, (int, float)):
                raise DumpFormatError(
                    f"Model {schema.modelName}: line {lineNo}: _expires is a number of seconds; got {expires!r:.60}"
                )
            if expires <= time.time():
                continue  # its deadline passed since the dump
        obj = objectFromPairs(
            schema, pk if isinstance(pk, int) and keepPks else 0, _storedPairs(schema, encodings, row, lineNo), None
        )
        d = obj.__dict__
        if not keepPks or not isinstance(pk, int):
            d["_id"] = None
        d["_ir_stored"] = None
        if expires is not None and schema.expiry:
            d["_ir_ttl"] = b"a%d" % int(expires * 1000)  # that deadline (plans.entryTtl)
        yield obj


class _Peek:
    """Lines of a stream, with the header's ``count`` readable before the header is consumed."""

    def __init__(self, it: Iterator[str]) -> None:
        self._it = it
        self._first: Optional[str] = next(it, None)

    def count(self) -> Optional[int]:
        try:
            n = json.loads(self._first or "").get("count")
        except (ValueError, AttributeError):
            return None
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None

    def __iter__(self) -> "_Peek":
        return self

    def __next__(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
            return line
        return next(self._it)


class _Counted:
    """An iterable with the length the dump header announces (only reset's progress reads it)."""

    def __init__(self, it: Iterator[Any], n: int) -> None:
        self._it, self._n = it, n

    def __iter__(self) -> Iterator[Any]:
        return self._it

    def __len__(self) -> int:
        return self._n


def loadModel(
    model: type,
    stream: IO[str],
    mode: str = "reset",
    progress: Optional[ProgressCallback] = None,
    batch: int = 500,
    anyModel: bool = False,
) -> int:
    """Load a dump into ``model``; return the number of objects loaded.

    ``mode='reset'``: the dump replaces the dataset in one atomic switch (``Model.reset``), objects
    keep their pks. ``mode='save'``: the objects are saved as new objects (new pks), ``batch`` per
    call, beside the existing data. A bad line raises DumpFormatError naming it; with reset
    nothing of the dump is then visible, with save the batches before it are stored.
    """
    schema = getSchema(model)
    if mode not in ("reset", "save"):
        raise InvalidValueError(f"Model {schema.modelName}: load mode is 'reset' or 'save', not {mode!r}")
    lines = _Peek(iter(stream))
    count = lines.count()
    if mode == "reset":
        objs = readObjects(model, lines, anyModel=anyModel)
        src: Any = _Counted(objs, count) if count is not None else objs
        return len(model.reset(src, progress=progress))  # type: ignore[attr-defined]
    track = tracker(progress, "load", schema.modelName)
    objs = readObjects(model, lines, keepPks=False, anyModel=anyModel)
    n = 0
    chunk: List[Any] = []
    if track:
        track.start("saving", count)
    for obj in objs:
        chunk.append(obj)
        if len(chunk) >= batch:
            model.saver.saveMultiple(chunk)  # type: ignore[attr-defined]
            n += len(chunk)
            track.advance(len(chunk))
            chunk = []
    if chunk:
        model.saver.saveMultiple(chunk)  # type: ignore[attr-defined]
        n += len(chunk)
        track.advance(len(chunk))
    track.finish()
    return n


__all__ = ["FORMAT", "VERSION", "DumpFormatError", "dumpModel", "fieldEncoding", "header", "loadModel", "readObjects"]
