"""``Model.migrate()``: rebuild a model's data after its definition changed, while it serves.

The definition a generation's data follows is kept beside it as JSON (``_ir_|KEY:schema`` /
``_ir_|KEY:genN:schema``, written by ``reset`` and ``migrate``; see ``describeModel``). migrate
compares it with the model class as it is now; when they agree it returns at once. Otherwise:

1. A new generation M is taken and marked as being built (the heartbeat of reset.py); its
   schema key holds the new definition.
2. The pointer goes from ``N`` to ``NMM`` (migrate_pointer.lua). From then on every write of
   generation N adds the pks it touches to M's redo log (``_ir_|KEY:genM:redo``) in the same
   MULTI/EXEC as the write (executor._sendLogged), and the pk counter is read: the objects
   created later have higher pks.
3. Generation N is copied into M page by page (fetch.lua 'scan'), each object decoded with
   the old definition and written with the new one (save.lua into M): readers and writers keep
   using N meanwhile.
4. Catch-up rounds: the pks popped from the redo log, and those handed out since the last
   round, are copied again (deleted from M, then copied from N as N holds them now), until a
   round finds at most ``CATCH_UP`` pks.
5. The model's lock is taken (bigops.py: readers and writers of the model wait, for the time
   of one short round), the redo log and the new pks are drained the same way, and
   migrate_switch.lua points the pointer at M and gives the lock back, in one step.
6. Generation N is dropped in batches, as reset does.

So every write acknowledged before the switch is in M (its pks were logged when it ran, and
the object was copied after that), every read before the switch sees N and every read after it
M. If anything fails before the switch (a value the new definition refuses, Redis gone), the
pointer is set back to N and M is dropped: the data stays as it was, under the old definition.
A migration whose client died leaves the pointer at ``NMM``; the next migrate (or reset) finds
M's marker gone and takes it back to N.
"""

from __future__ import annotations

import importlib
import inspect
import json
import time
from dataclasses import dataclass, field as dataField
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, cast

from . import bigops, scripts
from .exceptions import ConcurrentWriteError, InvalidValueError, MigrationError
from redis.exceptions import RedisError

from .executors.common import ModelLocked, redisError
from .executors.common import pointer as _pointer
from .executors.sync import drive, runJob, runScript, runSync, waitUnlocked
from .fields.base import IRField
from .fields.null import irNull
from .keys import KeyLayout
from .progress import ProgressCallback, tracker
from .plans import Call, Op, deleteEntry, deleteOp, fetchCall, newEntry, objectFromDict, saveCall
from .registry import HEARTBEAT_TTL, Heartbeat, openMembers
from .schema import ModelSchema, getSchema
from .definition import SCHEMA_VERSION, _format, changesBetween, describeField, describeModel, descriptionBytes  # noqa: F401

PAGE = 500  # objects per copy step (one read of N, one write of M)
CATCH_UP = 100  # a catch-up round this small is the last one before the lock
MAX_ROUNDS = 20  # unlocked catch-up rounds before the lock is taken anyway


@dataclass
class MigrationReport:
    """What ``Model.migrate()`` did. ``changes`` is empty when there was nothing to do."""

    changes: List[str] = dataField(default_factory=list)
    objects: int = 0  # objects in the new generation at the switch
    copied: int = 0  # object copies made (the first pass and the catch-up rounds)
    caughtUp: int = 0  # pks copied again because they were written during the migration
    rounds: int = 0  # catch-up rounds, the locked one included
    lockedSeconds: float = 0.0  # how long readers and writers of the model waited for the switch
    generation: int = 0  # the generation current afterwards

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        if not self.changes:
            return "nothing to change"
        return (
            f"{'; '.join(self.changes)}: {self.objects:,} objects in generation {self.generation}, "
            f"{self.caughtUp:,} copied again in {self.rounds} catch-up rounds, "
            f"model locked {self.lockedSeconds * 1000:.1f} ms"
        )


def _rebuildValue(value: Any) -> Any:
    if isinstance(value, list):
        return [_rebuildValue(v) for v in value]
    if isinstance(value, dict):
        if value.get("irNull"):
            return irNull
        if "settings" in value and "class" in value:
            return rebuildField(value)
        if "class" in value:
            return _importName(value["class"])
        raise LookupError(value.get("repr", value))
    return value


def _importName(qualified: str) -> Any:
    module, _, name = qualified.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def rebuildField(desc: Dict[str, Any]) -> IRField:
    """The field a description names (its class called with the settings its constructor takes);
    LookupError/ImportError when it cannot be rebuilt."""
    cls = _importName(desc["class"])
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: _rebuildValue(v) for k, v in desc["settings"].items() if k in params}
    return cls(desc["name"], **kwargs)


# ---------------------------------------------------------------------------- converting objects
Converter = Callable[[Any], Any]


class _Plan:
    """How to turn an object stored under the old definition into one of the new model."""

    def __init__(
        self,
        schema: ModelSchema,
        old: Optional[Dict[str, Any]],
        previous: Optional[type],
        convert: Dict[str, Converter],
    ) -> None:
        self.schema = schema
        self.convert = convert
        # EXPIRE of the data as stored: its deadlines are read (objects past theirs are not copied)
        if previous is not None:
            self.oldExpiry = getSchema(previous).expiry
        else:
            self.oldExpiry = bool(old.get("expire")) if old is not None else schema.expiry
        newDesc = {d["name"]: d for d in describeModel(schema)["fields"]}
        oldFields: Dict[str, IRField] = {}
        oldDesc: Dict[str, Any] = {}
        if previous is not None:
            prev = getSchema(previous)
            oldFields = dict(prev.fieldsByName)
            oldDesc = {f.name: describeField(f) for f in prev.fields}
        elif old is not None:
            oldDesc = {d["name"]: d for d in old.get("fields", [])}
        else:
            oldFields = dict(schema.fieldsByName)  # no stored definition: the stored values are read as now
            oldDesc = dict(newDesc)
        self.readNames = [n.encode("utf-8") for n in oldDesc]
        self.same: List[str] = []  # stored values copied as they are
        self.decode: Dict[str, IRField] = {}  # old field of each field whose values are converted
        for name in schema.fieldNames:
            if name in convert:
                if name in oldDesc:
                    self.decode[name] = self._oldField(name, oldFields, oldDesc, old)
                continue
            if name not in oldDesc:
                continue  # added: new objects' default
            if _format(oldDesc[name]) == _format(newDesc[name]) and (old or {}).get("nullEscape", schema.escapeNullMarker) == (
                schema.escapeNullMarker
            ):
                self.same.append(name)
            else:
                self.decode[name] = self._oldField(name, oldFields, oldDesc, old)
        for name in convert:
            if name not in schema.fieldsByName:
                raise MigrationError(
                    f"Model {schema.modelName}: migrate(convert=...) names {name!r}, which is not a field of the model "
                    f"now; fields are {schema.fieldNames}"
                )

    def _oldField(self, name: str, oldFields: Dict[str, IRField], oldDesc: Dict[str, Any], old: Any) -> IRField:
        f = oldFields.get(name)
        if f is None:
            try:
                f = rebuildField(oldDesc[name])
            except (ImportError, LookupError, AttributeError, TypeError, ValueError) as exc:
                raise MigrationError(
                    f"Model {self.schema.modelName}: field {name!r} changed, and its previous definition "
                    f"({oldDesc[name]['class']}) cannot be rebuilt from what Redis keeps ({type(exc).__name__}: {exc}). "
                    "Pass previous=<a copy of the model class as it was> to migrate()."
                ) from exc
            f.__dict__["_ir_escapeNull"] = bool((old or {}).get("nullEscape"))
        return f

    def objectFrom(self, pk: Any, values: Sequence[Optional[bytes]]) -> Any:
        """The new model's object for one stored row (values in the order of ``readNames``)."""
        schema = self.schema
        raw = {n: v for n, v in zip(self.readNames, values) if v is not None}
        kept = {n.encode("utf-8"): raw[n.encode("utf-8")] for n in self.same if n.encode("utf-8") in raw}
        obj = objectFromDict(schema, pk, kept)
        for name, oldField in self.decode.items():
            stored = raw.get(name.encode("utf-8"))
            if stored is None and name not in self.convert:
                continue
            value = oldField.fromStorage(stored)
            try:
                if name in self.convert:
                    value = self.convert[name](value)
                setattr(obj, name, schema.fieldsByName[name].fromInput(value))
            except Exception as exc:
                raise MigrationError(
                    f"Model {schema.modelName}: object pk={int(pk)}, field {name!r}: its stored value {stored!r} "
                    f"(read as {value!r}) cannot be converted to the field as it is defined now "
                    f"({type(exc).__name__}: {exc}). Pass convert={{{name!r}: function(old value) -> new value}} to "
                    "migrate(); nothing was changed."
                ) from exc
        obj.__dict__["_ir_stored"] = None
        return obj

    @property
    def deadlines(self) -> bool:
        """Whether copying reads deadlines (the old data has them, or the new model keeps them)."""
        return self.oldExpiry or self.schema.expiry

    def ttlOf(self, now: int, score: Any) -> Any:
        """What an object with this deadline score (None: none) gets in the new generation: False
        (not copied: past its deadline), None (the new model's default: the data had no EXPIRE),
        b'p' (no deadline) or b'a<ms>' (the same deadline)."""
        if score is not None and self.oldExpiry and int(float(score)) <= now:
            return False
        if not self.schema.expiry:
            return None
        if score is None:
            return b"p" if self.oldExpiry else None
        return b"a%d" % int(float(score))

    def entries(self, rows: Sequence[Any], ttls: Optional[Dict[int, Any]] = None) -> List[Any]:
        out = []
        for i in range(0, len(rows), 2):
            pk = int(rows[i])
            ttl = ttls.get(pk) if ttls is not None else None
            if ttl is False:
                continue  # past its deadline: gone for every reader already
            obj = self.objectFrom(pk, rows[i + 1])
            if ttl is not None:
                obj.__dict__["_ir_ttl"] = ttl
            try:
                out.append(newEntry(self.schema, obj, pk))
            except InvalidValueError as exc:
                raise MigrationError(
                    f"Model {self.schema.modelName}: object pk={pk} cannot be stored under the new definition: {exc}. "
                    "Pass convert={field: function} to migrate(); nothing was changed."
                ) from exc
        return out


# ---------------------------------------------------------------------------- Redis steps
class _Interrupted(Exception):
    """The pointer no longer names this migration (a reset replaced the data meanwhile)."""


def _anyGen(op: Op) -> Op:
    """Run ``op`` against a generation that is not current (M, being built): no generation check."""
    try:
        call = next(op)
        while True:
            call.anyGen = True
            try:
                reply = yield call
            except BaseException as exc:  # noqa: BLE001 - handed to the plan, as the executor does
                call = op.throw(exc)
                continue
            call = op.send(reply)
    except StopIteration as stop:
        return stop.value


def _runOnM(client: Any, schema: ModelSchema, target: KeyLayout, op: Op) -> Any:
    """Run ``op`` against generation M, which is not current: its calls name M's keys and M's
    extension block (UNIQUE_FIELDS), and are not checked against the pointer."""
    try:
        return drive(_anyGen(op), client, target)
    except RedisError as exc:
        raise redisError(exc, "migrate (writing the new generation)", schema.modelName) from exc


def _writeOp(schema: ModelSchema, target: KeyLayout, entries: List[Any]) -> Op:
    for i in range(0, len(entries), PAGE):
        chunk = entries[i : i + PAGE]
        reply = yield saveCall(target, chunk, anyGen=True, sortedFields=schema.sortedFields)
        if reply[0] == b"unique":
            e = chunk[int(reply[1]) - 1]
            raise MigrationError(
                f"Model {schema.modelName}: object pk={e.pk} holds a value of UNIQUE_FIELDS that another object "
                f"holds too ({reply!r}); make the values distinct (or migrate with convert=), then migrate again. "
                "Nothing was switched."
            )
        if reply[0] not in (b"ok", b"replay"):
            raise MigrationError(f"Model {schema.modelName}: writing the new generation failed ({reply!r}); nothing was switched")


def _writeM(client: Any, schema: ModelSchema, target: KeyLayout, entries: List[Any]) -> None:
    if entries:
        _runOnM(client, schema, target, _writeOp(schema, target, entries))


def _copyPks(client: Any, schema: ModelSchema, plan: _Plan, source: KeyLayout, target: KeyLayout, pks: List[int]) -> Op:
    """Copy these pks again from N (as they are now) into M: deleted from M, then written."""
    if not pks:
        return 0
    _runOnM(client, schema, target, deleteOp(schema, target, [deleteEntry(schema, pk, None) for pk in pks]))
    cmds: List[Tuple[Any, ...]] = [("SMISMEMBER", source.keysKey, *pks)]
    cmds += [("HMGET", source.data(pk), *plan.readNames) for pk in pks] if plan.readNames else []
    if plan.deadlines:
        cmds += [("TIME",), ("ZMSCORE", source.expKey, *pks)]
    replies = yield Call(pipeline=cmds, transaction=True)  # checked against the pointer: still N, migrating
    present = replies[0]
    ttls: Optional[Dict[int, Any]] = None
    if plan.deadlines:
        now = int(replies[-2][0]) * 1000 + int(replies[-2][1]) // 1000
        ttls = {pk: plan.ttlOf(now, score) for pk, score in zip(pks, replies[-1])}
    rows: List[Any] = []
    for j, pk in enumerate(pks):
        if present[j]:
            rows += [pk, replies[1 + j] if plan.readNames else []]
    _writeM(client, schema, target, plan.entries(rows, ttls))
    return len(pks)


def _takeRedo(target: KeyLayout, base: KeyLayout, lastNext: List[int]) -> Op:
    """The pks to copy again: popped from the redo log, and those handed out since the last call."""
    out: List[int] = []
    while True:
        popped = yield Call(command=("SPOP", target.redoKey, 1000), anyGen=True)
        out.extend(int(p) for p in popped or ())
        if not popped or len(popped) < 1000:
            break
    top = int((yield Call(command=("GET", base.nextKey), anyGen=True)) or 0)
    if top > lastNext[0]:
        out.extend(range(lastNext[0] + 1, top + 1))
        lastNext[0] = top
    return sorted(set(out))


# ---------------------------------------------------------------------------- migrate
def _state(schema: ModelSchema) -> Tuple[Optional[bytes], Optional[bytes], int]:
    """(pointer, stored description of the current generation, objects), waiting for a lock."""
    client = schema.client()
    base = schema.layout
    while True:
        pointer: Optional[bytes] = cast(Optional[bytes], client.get(base.genKey))
        try:
            gen = _pointer(pointer)
        except ModelLocked as locked:
            waitUnlocked(client, base, locked.value, "migrate", schema.modelName)
            continue
        layout = base.forGen(gen)
        pipe = client.pipeline(transaction=True)
        pipe.get(base.genKey)
        pipe.get(layout.schemaKey)
        pipe.scard(layout.keysKey)
        now, desc, n = pipe.execute()
        if now == pointer:
            return pointer, desc, int(n)


def _abandonStale(schema: ModelSchema, pointer: bytes) -> bool:
    """A pointer ``NMM`` whose migration's client is gone (M's marker expired): set it back to N.
    True when it was abandoned (or changed meanwhile), False when that migration is alive."""
    client = schema.client()
    base = schema.layout
    gen, target = (int(x) for x in pointer.split(b"M", 1))
    if client.exists(base.forGen(target).buildingKey):
        return False
    try:
        runScript(client, scripts.MIGRATE_POINTER, [base.genKey], [b"%d" % gen, pointer])
    except Exception as exc:  # noqa: BLE001 - changed meanwhile: looked at again by the caller
        if "IRSTALE" not in str(exc):
            raise
    return True


def migrateModel(
    model: type,
    progress: Optional[ProgressCallback] = None,
    convert: Optional[Dict[str, Converter]] = None,
    previous: Optional[type] = None,
) -> MigrationReport:
    """Rebuild the model's data for its definition as it is now, online (see the module doc)."""
    schema = getSchema(model)
    if schema.collectionFields:
        raise MigrationError(
            f"Model {schema.modelName}: migrate() does not move collection fields "
            f"({', '.join(schema.collectionNames)}) yet; change this model with reset() instead"
        )
    convert = dict(convert or {})
    newDesc = describeModel(schema)
    for _attempt in range(5):
        pointer, stored, total = _state(schema)
        if pointer is not None and b"M" in pointer:
            if not _abandonStale(schema, pointer):
                raise ConcurrentWriteError(
                    f"migrate on model {schema.modelName}: another migration of this model is running "
                    f"(generation pointer {pointer!r}); wait for it to finish"
                )
            continue
        old = json.loads(stored) if stored else None
        changes = changesBetween(old, newDesc)
        if not changes and not convert and previous is None:
            gen = _pointer(pointer)
            schema.rememberGeneration(schema.client(), gen)
            return MigrationReport(generation=gen)
        if not changes:
            changes = ["conversion asked for (convert= / previous=)"]
        plan = _Plan(schema, old, previous, convert)
        try:
            return _migrate(schema, plan, pointer, total, changes, progress)
        except _Interrupted:
            continue  # the data was replaced (reset) meanwhile: look again
    raise ConcurrentWriteError(f"migrate on model {schema.modelName}: the dataset kept being replaced while it ran; retry")


def _migrate(
    schema: ModelSchema,
    plan: _Plan,
    pointer: Optional[bytes],
    total: int,
    changes: List[str],
    progress: Optional[ProgressCallback],
) -> MigrationReport:
    from .reset import dropGeneration, reclaimAbandonedJob

    client = schema.client()
    base = schema.layout
    gen = _pointer(pointer)
    genArg = b"%d" % gen if pointer is not None else b"0"
    report = MigrationReport(changes=changes)
    track = tracker(progress, "migrate", schema.modelName)

    def run(op: Callable[[KeyLayout], Op], what: str = "migrate") -> Any:
        return runSync(op, schema, what, client=client)

    # This process holds the new definition: its own calls to N (reads, the lock, the switch) must
    # not be refused as writes from another definition (schema.checkDefinition).
    if schema._mismatch.pop(gen, None) is not None:
        schema._layouts.clear()
    newGen = int(client.incr(base.genNextKey))
    target = base.forGen(newGen)
    migrating = b"%dM%d" % (gen, newGen)
    pipe = client.pipeline(transaction=True)
    pipe.set(target.buildingKey, b"1", ex=HEARTBEAT_TTL)
    pipe.sadd(base.gensKey, newGen)
    pipe.sadd(target.registryKey, *openMembers())
    pipe.set(target.schemaKey, descriptionBytes(schema))
    pipe.execute()
    began = False
    switched = False
    try:
        with Heartbeat(client, target.buildingKey, create=False):
            try:
                runScript(client, scripts.MIGRATE_POINTER, [base.genKey], [migrating, genArg])
            except Exception as exc:
                if "IRSTALE" in str(exc):
                    raise _Interrupted() from exc
                raise
            began = True
            schema.rememberGeneration(client, gen, migrating)
            lastNext = [int(client.get(base.nextKey) or 0)]

            def current(layout: KeyLayout) -> None:
                if layout.gen != gen or not layout.genArg.startswith(migrating):
                    raise _Interrupted()

            # 3. the first copy, page by page
            track.start("copying", total)
            cursor: Any = 0
            while True:

                def page(layout: KeyLayout, cursor: Any = cursor) -> Op:
                    current(layout)
                    nextCursor, rows = yield fetchCall(layout, (), "scan", [cursor, PAGE, *plan.readNames])
                    ttls = None
                    if plan.deadlines and rows:
                        pks = [int(rows[i]) for i in range(0, len(rows), 2)]
                        # a deadline changed since the page was read comes with a logged write
                        # (expire/persist/save carry their pks), so the pk is copied again later
                        now_, scores = yield Call(pipeline=[("TIME",), ("ZMSCORE", layout.expKey, *pks)], transaction=True)
                        now = int(now_[0]) * 1000 + int(now_[1]) // 1000
                        ttls = {pk: plan.ttlOf(now, score) for pk, score in zip(pks, scores)}
                    entries = plan.entries(rows, ttls)
                    _writeM(client, schema, target, entries)
                    return nextCursor, len(entries)

                cursor, n = run(page)
                report.copied += n
                track.advance(n)
                if cursor in (0, b"0", "0"):
                    break

            # 4. catch-up rounds, unlocked
            def catchUp(layout: KeyLayout) -> Op:
                current(layout)
                pks = yield from _takeRedo(target, base, lastNext)
                for i in range(0, len(pks), PAGE):
                    yield from _copyPks(client, schema, plan, layout, target, pks[i : i + PAGE])
                return len(pks)

            track.start("catching up", None)
            for _ in range(MAX_ROUNDS):
                n = run(catchUp)
                track.advance(n)
                report.rounds += 1
                report.caughtUp += n
                report.copied += n
                if n <= CATCH_UP:
                    break

            # 5. the last round and the switch, holding the model's lock
            def final(layout: KeyLayout) -> Op:
                current(layout)
                n = yield from catchUp(layout)
                yield Call(
                    script=scripts.MIGRATE_SWITCH,
                    keys=[target.buildingKey, base.gensKey, base.lockKey, target.redoKey],
                    args=[newGen, gen],
                )
                return n

            track.start("switching", None, track.done)
            t0 = time.monotonic()
            try:
                n = runJob(bigops.runLocked(schema, final, "migrate"))
            finally:
                report.lockedSeconds = time.monotonic() - t0
            switched = True
            report.rounds += 1
            report.caughtUp += n
            report.copied += n
    except BaseException:
        if not switched:
            now: Optional[bytes] = None
            try:
                now = cast(Optional[bytes], client.get(base.genKey))
            except Exception:  # noqa: BLE001 - the original error matters more
                pass
            if now == b"%d" % newGen:
                switched = True  # the switch ran; its reply was lost
            else:
                if began and now is not None and now.startswith(migrating):
                    try:
                        runScript(client, scripts.MIGRATE_POINTER, [base.genKey], [genArg, now])
                    except Exception:  # noqa: BLE001 - the next migrate takes a dead migration back
                        pass
                try:
                    schema.rememberGeneration(client, gen)
                    dropGeneration(schema, newGen)
                except Exception:  # noqa: BLE001 - verify() lists leftovers; repair() drops them
                    pass
                raise
    schema.rememberGeneration(client, newGen)
    report.generation = newGen
    report.objects = int(client.scard(target.keysKey))
    track.start("dropping the old generation", None, report.objects)
    dropGeneration(schema, gen)
    runJob(reclaimAbandonedJob(schema))
    track.finish()
    return report


__all__ = [
    "MigrationError",
    "MigrationReport",
    "changesBetween",
    "describeField",
    "describeModel",
    "descriptionBytes",
    "migrateModel",
    "rebuildField",
]
