"""A model's metadata, built and validated the first time the model is used.

``getSchema(Model)`` returns the ``ModelSchema``: fields by name, indexed fields, the key
layout, the precomputed codecs of the hot path, and the redis client. An invalid model raises
``InvalidModelException`` there, naming the model and the problem; defining the class never
raises, since models are defined at import time.
"""

from __future__ import annotations

import warnings
import weakref
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import redis

from . import bindings
from .connection import connectionGeneration, getAsyncRedisConnection, getRedisConnection, resolveParams
from .deprecated import deprecatedMessagesEnabled
from .exceptions import InvalidFieldError, InvalidModelException
from .fields.base import IRClassicField, IRField
from .keys import KeyLayout, keyNameProblem

if TYPE_CHECKING:  # pragma: no cover
    pass


class FieldList(list):
    """The model's FIELDS: a list of field objects that can also be indexed by name."""

    modelName = ""  # set for the FIELDS of a model class, to name it in errors

    def __getitem__(self, item: Any) -> Any:  # type: ignore[override]
        if isinstance(item, str):
            for field in self:
                if field == item:
                    return field
            owner = f"Model {self.modelName} has" if self.modelName else "There is"
            raise InvalidFieldError(f"{owner} no field named {item!r} in FIELDS; fields are {[str(f) for f in self]}")
        return list.__getitem__(self, item)

    def __contains__(self, item: object) -> bool:
        return list.__contains__(self, item)


def asFieldList(fields: Any, modelName: str = "") -> Any:
    """Wrap a FIELDS declaration so ``FIELDS['name']`` works; plain strings become IRClassicField.

    Never raises: anything odd is left for validation on first use.
    """
    if isinstance(fields, FieldList) or not isinstance(fields, (list, tuple)):
        return fields
    out = FieldList()
    out.modelName = modelName
    for f in fields:
        if isinstance(f, str) and not isinstance(f, IRField):
            out.append(_PlainStringField(f))
        else:
            out.append(f)
    return out


SHADOWABLE_METHODS = frozenset(("expire", "persist", "ttl"))


class _PlainStringField(IRClassicField):
    """A plain string given in FIELDS: behaves as IRClassicField (a deprecation warning is given on first use)."""

    def __repr__(self) -> str:
        return f"IRClassicField({self.name!r})"


class ModelSchema:
    """Everything IndexedRedis derives from a model class, computed once."""

    def __init__(self, model: type) -> None:
        self.model: Any = model
        self.modelName = model.__name__
        keyName = getattr(model, "KEY_NAME", None)
        fields = getattr(model, "FIELDS", None)
        indexed = getattr(model, "INDEXED_FIELDS", None) or []
        sortedNames = getattr(model, "SORTED_FIELDS", None) or []
        self._validate(keyName, fields, indexed)
        self._validateSorted(fields, sortedNames)
        unique = self._validateUnique(fields, getattr(model, "UNIQUE_FIELDS", None) or [])
        expire = self._validateExpire(getattr(model, "EXPIRE", None), getattr(model, "EXPIRE_SWEEP", 10))

        self.keyName: str = keyName  # type: ignore[assignment]
        self.fields: List[IRField] = list(fields)  # type: ignore[arg-type]
        self.fieldsByName: Dict[str, IRField] = {f.name: f for f in self.fields}
        # UNIQUE_FIELDS: one tuple of fields per constraint; EXPIRE: expiry on (None: off), the
        # default time to live in seconds of a new object (0: none), and the sweep budget of writes.
        self.uniqueConstraints: List[Tuple[IRField, ...]] = [tuple(self.fieldsByName[n] for n in c) for c in unique]
        self.uniqueNames: List[Tuple[str, ...]] = list(unique)
        self.expiry: bool = expire is not None
        self.defaultTtl: Optional[float] = expire[0] if expire is not None and expire[0] > 0 else None
        self.expireSweep: int = expire[1] if expire is not None else 0
        self.fieldNames: List[str] = [f.name for f in self.fields]
        self.indexedFields: List[IRField] = [self.fieldsByName[str(n)] for n in indexed]
        self.indexedNames = frozenset(f.name for f in self.indexedFields)
        self.indexedNameList: List[str] = [f.name for f in self.indexedFields]
        from .sorting import kindOf

        # SORTED_FIELDS: (field, script kind code) in declaration order (see sorting.py)
        self.sortedFields: List[Tuple[IRField, str]] = [
            (self.fieldsByName[str(n)], kindOf(self.fieldsByName[str(n)]) or "") for n in sortedNames
        ]
        self.sortedKinds: Dict[str, str] = {f.name: k for f, k in self.sortedFields}
        self.foreignFields: List[Any] = [f for f in self.fields if getattr(f, "isForeignLink", False)]  # link fields
        for f in self.foreignFields:
            if f.ownerModel is None:
                f.ownerModel = model
        # Hot path: (name, name as bytes, field) for decoding hashes.
        self.byStoredName: Dict[bytes, Tuple[str, IRField]] = {f.name.encode("utf-8"): (f.name, f) for f in self.fields}
        self.decoders: List[Tuple[str, bytes, IRField]] = [(f.name, f.name.encode("utf-8"), f) for f in self.fields]
        self.fieldNameBytes: List[bytes] = [f.name.encode("utf-8") for f in self.fields]
        # Opt-in stricter behaviour (model attributes; see IndexedRedisModel).
        self.strictConstructor = bool(getattr(model, "STRICT_CONSTRUCTOR", False))
        self.saveReturnsPk = bool(getattr(model, "SAVE_RETURNS_PK", False))
        self.convertOnAssign = bool(getattr(model, "CONVERT_ON_ASSIGN", False))
        self.allowDanglingLinks = bool(getattr(model, "ALLOW_DANGLING_LINKS", False))
        self.escapeNullMarker = bool(getattr(model, "NULL_MARKER_ESCAPE", False))
        for f in self.fields:
            # A field object serves one setting: models that share one must agree (checked in _validate).
            f.__dict__["_ir_escapeNull"] = self.escapeNullMarker
            f.__dict__["_ir_escapeNullBy"] = keyName
        # Fields that keep a value as assigned (raw, valueType=None, compressed): what the object
        # held when saved is remembered for getUpdatedFields and _origData.
        self.keepsAssignedNames: List[str] = [f.name for f in self.fields if getattr(f, "KEEPS_ASSIGNED", False)]
        # Collection fields (IndexedRedis.collections.fields): class attributes, not in FIELDS, since
        # they are not stored in the object's hash; delete.lua deletes their keys with the object.
        self.collectionFields: List[Any] = ownedCollections(model)
        self.collectionNames: List[str] = [c.name for c in self.collectionFields]
        for c in self.collectionFields:
            problem = c.definitionProblem(self.fieldNames)
            if problem:
                self._fail(f"collection field {c.name!r}: {problem}")
        extBuilder = self._extBlock if (self.uniqueConstraints or self.expiry) else None
        self.layout = KeyLayout(keyName, extBuilder=extBuilder)  # type: ignore[arg-type]
        self._client: Optional[redis.Redis] = None
        self._clientGeneration = -1
        self._generations: Dict[int, int] = {}
        self._lastGeneration = 0
        self._pointers: Dict[int, bytes] = {}
        self._mismatch: Dict[int, str] = {}  # generation -> why this definition may not write it
        self._description: Optional[bytes] = None
        self._layouts: Dict[Any, KeyLayout] = {0: self.layout}
        # The client-side read cache (readcache.py): CACHE on the model, else ``ir_cache`` in the
        # connection params; one cache per Redis connection pool (a model may use several servers).
        self.cacheSize = self._validateCache(getattr(model, "CACHE", None))
        self._cacheOnModel = getattr(model, "CACHE", None) is not None  # CACHE = False also wins over ir_cache
        self._cacheSize = self.cacheSize
        self._caches: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ client-side cache
    def _validateCache(self, setting: Any) -> int:
        from .readcache import cacheSize

        # Every model can be cached: cached reads purge or check deadlines (EXPIRE) in the same
        # script as the counter check, and links are read from their own model (docs/cache.rst).
        return cacheSize(setting, self.modelName, "CACHE")

    def readCache(self, client: redis.Redis) -> Any:
        """The read cache of this model on ``client``'s server (a ``ReadCache``), or None when off."""
        if self._clientGeneration != connectionGeneration():
            self.client()  # connection settings changed: ir_cache may have too
        if not self._cacheSize:
            return None
        pool = client.connection_pool
        cache = self._caches.get(pool)
        if cache is None:
            from .readcache import ReadCache

            cache = self._caches.setdefault(pool, ReadCache(self._cacheSize))
        return cache

    # ------------------------------------------------------------------ validation
    def _fail(self, problem: str) -> None:
        raise InvalidModelException(f"Model {self.modelName}: {problem}")

    def _validate(self, keyName: Any, fields: Any, indexed: Any) -> None:
        IndexedRedisModel = bindings.modelBase
        for cls in self.model.__mro__:
            declared = cls.__dict__.get("_ir_declarationProblem")
            if declared:
                where = "" if cls is self.model else f" (in its base class {cls.__name__})"
                self._fail(f"{declared}{where}")
        if not keyName or not isinstance(keyName, str):
            self._fail(f"KEY_NAME must be a non-empty str naming the model in Redis (like a table name); got {keyName!r}")
        problem = keyNameProblem(keyName)
        if problem:
            self._fail(problem)
        if not fields or not isinstance(fields, (list, tuple)):
            self._fail(
                "FIELDS must be a non-empty list of IRField objects (or field-name strings), or the fields declared as "
                "class attributes (year: IRField[int] = IRField(valueType=int))"
            )
        if not isinstance(indexed, (list, tuple)):
            self._fail(f"INDEXED_FIELDS must be a list of field names; got {type(indexed).__name__}")
        for legacy in ("BASE64_FIELDS", "BINARY_FIELDS"):
            if getattr(self.model, legacy, None):
                self._fail(
                    f"{legacy} is no longer supported; declare those fields in FIELDS as "
                    f"{'IRBase64Field' if legacy == 'BASE64_FIELDS' else 'IRBytesField or IRRawField'}(name) instead"
                )
        seen = set()
        # Methods added in 7 may be shadowed by a field of that name (6.x models keep working; the
        # method stays reachable as IndexedRedisModel.ttl(obj) and so on).
        reserved = set(dir(IndexedRedisModel)) - SHADOWABLE_METHODS
        # Classes between the model and IndexedRedisModel (mixins, parent models) may define attributes too.
        between = [c for c in self.model.__mro__ if c is not IndexedRedisModel and c not in IndexedRedisModel.__mro__]
        plain = []
        for f in fields:
            if not isinstance(f, IRField):
                self._fail(f"FIELDS entry {f!r} is not an IRField (or a str)")
            name = f.name
            if not name:
                self._fail("a field in FIELDS has an empty name")
            if name in seen:
                self._fail(f"field {name!r} appears twice in FIELDS")
            seen.add(name)
            if "__" in name:
                self._fail(
                    f"field name {name!r} contains '__', which filters use to separate a field from an operator "
                    f"(filter({name}=...) would read as field {name.rpartition('__')[0]!r}, operator "
                    f"{name.rpartition('__')[2]!r}); rename the field, e.g. to {_singleUnderscores(name)!r}"
                )
            if name in reserved or name.startswith("_ir_") or name == "_id":
                self._fail(f"field name {name!r} clashes with an attribute of IndexedRedisModel; rename the field")
            for cls in between:
                own = cls.__dict__.get(name)
                if own is not None and not _isFieldAccessor(own) and not (isinstance(own, IRField) and own.name == name):
                    where = "the model" if cls is self.model else f"{cls.__name__} (a base class of the model)"
                    self._fail(f"field name {name!r} clashes with attribute {name!r} defined on {where}; rename one of them")
                if own is not None:
                    break
            escape = bool(getattr(self.model, "NULL_MARKER_ESCAPE", False))
            owner = f.__dict__.get("_ir_escapeNullBy")
            if owner is not None and owner != keyName and f.__dict__.get("_ir_escapeNull") != escape:
                self._fail(
                    f"field {name!r} is the same field object as in the model with KEY_NAME {owner!r}, whose "
                    f"NULL_MARKER_ESCAPE differs; give each model its own field (FIELDS = [..., field.copy(), ...])"
                )
            problem = f._definitionProblem()
            if problem:
                self._fail(f"field {name!r}: {problem}")
            if isinstance(f, _PlainStringField):
                plain.append(name)
        names = {f.name for f in fields}
        seenIdx = set()
        for n in indexed:
            if not isinstance(n, str):
                self._fail(f"INDEXED_FIELDS entry {n!r} is not a field name")
            if str(n) not in names:
                self._fail(f"indexed field {str(n)!r} is not in FIELDS; add it to FIELDS or remove it from INDEXED_FIELDS")
            if str(n) in seenIdx:
                self._fail(f"field {str(n)!r} appears twice in INDEXED_FIELDS")
            seenIdx.add(str(n))
            field = [f for f in fields if f.name == str(n)][0]
            if not field.isIndexable:
                self._fail(f"field {str(n)!r} ({type(field).__name__}) cannot be indexed: {field.notIndexableReason}")
            if ":" in str(n):
                self._fail(f"indexed field {str(n)!r} contains ':', which would make its index keys ambiguous")
        if plain and deprecatedMessagesEnabled():
            warnings.warn(
                f"Model {self.modelName}: plain strings in FIELDS ({', '.join(plain)}) are deprecated; "
                "use IRField(name) (or IRClassicField(name) to keep the '' default)",
                DeprecationWarning,
                stacklevel=4,
            )

    def _validateSorted(self, fields: Any, sortedNames: Any) -> None:
        from .sorting import checkSortable

        if not isinstance(sortedNames, (list, tuple)):
            self._fail(f"SORTED_FIELDS must be a list of field names; got {type(sortedNames).__name__}")
        seen = set()
        for n in sortedNames:
            name = str(n) if isinstance(n, str) else None
            match = [f for f in fields if f.name == name]
            if not match:
                self._fail(f"sorted field {n!r} is not in FIELDS; add it to FIELDS or remove it from SORTED_FIELDS")
            if name in seen:
                self._fail(f"field {name!r} appears twice in SORTED_FIELDS")
            seen.add(name)
            checkSortable(self.modelName, match[0])

    def _validateUnique(self, fields: Any, unique: Any) -> List[Tuple[str, ...]]:
        """UNIQUE_FIELDS as a list of tuples of field names (a name alone is a tuple of one)."""
        if not isinstance(unique, (list, tuple)):
            self._fail(f"UNIQUE_FIELDS must be a list of field names or tuples of field names; got {type(unique).__name__}")
        byName = {f.name: f for f in fields}
        out: List[Tuple[str, ...]] = []
        for entry in unique:
            names = (entry,) if isinstance(entry, str) else entry
            if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
                self._fail(f"UNIQUE_FIELDS entry {entry!r} must be a field name or a non-empty tuple of field names")
            names = tuple(str(n) for n in names)
            for n in names:
                if n not in byName:
                    self._fail(f"unique field {n!r} is not in FIELDS; add it to FIELDS or remove it from UNIQUE_FIELDS")
                if "+" in n or ":" in n:
                    self._fail(f"unique field {n!r} contains '+' or ':', which would make its unique key ambiguous")
                f = byName[n]
                if not f.isIndexable:
                    self._fail(f"field {n!r} ({type(f).__name__}) cannot be unique: {f.notIndexableReason}")
            if len(set(names)) != len(names):
                self._fail(f"UNIQUE_FIELDS entry {entry!r} names a field twice")
            if names in out:
                self._fail(f"UNIQUE_FIELDS lists {entry!r} twice")
            out.append(names)
        return out

    def _validateExpire(self, expire: Any, sweep: Any) -> Optional[Tuple[float, int]]:
        """EXPIRE and EXPIRE_SWEEP: None (no expiry), or (default time to live in seconds, sweep budget)."""
        if expire is None or expire is False:
            return None
        if isinstance(expire, bool) or not isinstance(expire, (int, float)) or not (expire >= 0) or expire == float("inf"):
            self._fail(
                f"EXPIRE must be a number of seconds (a new object's time to live), or 0 for expiry set per object "
                f"only (obj.expire(), save(ttl=...)); got {expire!r}"
            )
        if isinstance(sweep, bool) or not isinstance(sweep, int) or sweep < 0:
            self._fail(f"EXPIRE_SWEEP must be an int >= 0 (objects past their deadline each write removes); got {sweep!r}")
        return float(expire), sweep

    def uniqueHint(self) -> str:
        """The unique constraints, for error messages."""
        if not self.uniqueConstraints:
            return "the model has no UNIQUE_FIELDS"
        shown = [", ".join(f"{f.name}=..." for f in c) for c in self.uniqueConstraints]
        return "its unique constraints: " + "; ".join(f"get({s})" for s in shown)

    def _extBlock(self, layout: KeyLayout) -> Tuple[List[bytes], List[Any]]:
        """The extension block of the model's scripts for one generation (scripts/ext.lua)."""
        keys: List[bytes] = [layout.keysKey, layout.verKey, layout.registryKey, layout.expKey]
        keys += [layout.uniq([f.name for f in c]) for c in self.uniqueConstraints]
        args: List[Any] = [b"1" if self.expiry else b"0", self.expireSweep]
        args += [layout.dataPrefix, layout.idxPrefix, layout.sortPrefix, layout.collPrefix]
        args.append(len(self.indexedFields))
        for f in self.indexedFields:
            args += [f.name, b"1" if f.hashIndex else b"0"]
        args.append(len(self.sortedFields))
        for f, kind in self.sortedFields:
            args += [f.name, kind]
        args.append(len(self.collectionNames))
        args += self.collectionNames
        args.append(len(self.uniqueConstraints))
        for c in self.uniqueConstraints:
            args.append(len(c))
            args += [f.name for f in c]
        return keys, args

    # ------------------------------------------------------------------ lookups
    def field(self, name: str) -> IRField:
        try:
            return self.fieldsByName[name]
        except KeyError:
            raise InvalidFieldError(f"Model {self.modelName} has no field {name!r}; its fields are {self.fieldNames}") from None

    # ------------------------------------------------------------------ connection
    @property
    def connectionParams(self) -> Dict[str, Any]:
        return resolveParams(getattr(self.model, "REDIS_CONNECTION_PARAMS", None) or None)

    def knownGeneration(self, client: redis.Redis) -> int:
        """The data generation last seen current on this client's server (0 until told otherwise)."""
        return self._generations.get(id(client.connection_pool), 0)

    def lastSeenGeneration(self) -> int:
        """The generation last seen current by any client of this model, sync or asyncio (they
        all talk to the server of the model's params): the one an object's collection uses."""
        return self._lastGeneration

    def knownPointer(self, client: redis.Redis) -> Optional[bytes]:
        """The generation pointer's value last seen on this client's server, when it said more
        than the generation (a migration running: ``<gen>M<target>``); else None."""
        return self._pointers.get(id(client.connection_pool))

    def layoutFor(self, gen: int, pointer: Optional[bytes] = None) -> KeyLayout:
        """The key layout of generation ``gen`` (cached: every operation asks for one); with
        ``pointer`` ``<gen>M<target>``, the layout writers use while that migration runs."""
        layouts = self._layouts
        key: Any = gen if pointer is None else pointer
        layout = layouts.get(key)
        if layout is None:
            if len(layouts) > 8:
                layouts.clear()
            if pointer is None:
                layout = self.layout.forGen(gen)
                if layout is self.layout and gen in self._mismatch:
                    layout = KeyLayout(self.keyName, gen)
            else:
                layout = self.layout.forGen(gen).whileMigrating(pointer, int(pointer.split(b"M", 1)[1]))
            layout.refuse = self._mismatch.get(gen)
            layouts[key] = layout
        return layout

    def description(self) -> bytes:
        """The model's definition as reset and migrate keep it beside the data (migrate.py)."""
        if self._description is None:
            from .definition import descriptionBytes

            self._description = descriptionBytes(self)
        return self._description

    def checkDefinition(self, client: redis.Redis, gen: int) -> None:
        """Compare the definition generation ``gen``'s data follows (one GET, made when an operation
        finds the data in another generation than it knew) with this model's; writes to it are
        refused (DefinitionMismatchError) when they differ, so that a process running an old model
        definition never writes data in the old form after a migration."""
        self.noteDefinition(gen, client.get(self.definitionKey(gen)))  # type: ignore[arg-type]

    def definitionKey(self, gen: int) -> bytes:
        """The key holding the definition generation ``gen``'s data follows."""
        return self.layout.forGen(gen).schemaKey

    def noteDefinition(self, gen: int, stored: Optional[bytes]) -> None:
        """checkDefinition, given the stored definition (read by the caller: either executor)."""
        problem: Optional[str] = None
        if stored is not None and stored != self.description():
            import json

            from .definition import changesBetween, describeModel

            try:
                theirs = json.loads(stored)
            except ValueError:
                theirs = None
            changes = changesBetween(describeModel(self), theirs) if isinstance(theirs, dict) else ["unreadable"]
            if changes:
                problem = (
                    f"Model {self.modelName}: the data in Redis (generation {gen}) follows another definition of this model "
                    f"than this process's ({'; '.join(changes)}): it was migrated or reset by other code. Nothing was "
                    "written; run this process with the model code the data follows (or Model.migrate() to it)."
                )
        if problem is None:
            if self._mismatch.pop(gen, None) is not None:
                self._layouts.clear()
        elif self._mismatch.get(gen) != problem:
            self._mismatch[gen] = problem
            self._layouts.clear()
            self._layouts[0] = self.layout

    def rememberGeneration(self, client: redis.Redis, gen: int, pointer: Optional[bytes] = None) -> None:
        """Note the generation seen current on this client's server; ``pointer``: the pointer's
        value, kept when it names a migration running (``<gen>M<target>``)."""
        pool = id(client.connection_pool)
        self._generations[pool] = gen
        self._lastGeneration = gen
        if pointer is not None and b"M" in pointer:
            self._pointers[pool] = pointer
        else:
            self._pointers.pop(pool, None)

    def aclient(self) -> Any:
        """The ``redis.asyncio.Redis`` client of this model on the running event loop (one pool per
        loop and params, see connection.getAsyncRedisConnection)."""
        try:
            return getAsyncRedisConnection(self.connectionParams)
        except InvalidModelException as exc:
            raise InvalidModelException(
                f"Model {self.modelName}: {exc}. Fix setDefaultRedisConnectionParams (or REDIS_URL) or the model's "
                "REDIS_CONNECTION_PARAMS / connectAlt params"
            ) from exc

    def client(self) -> redis.Redis:
        """The redis client of this model (on the shared pool for its params), cached until pools change."""
        gen = connectionGeneration()
        if self._client is None or self._clientGeneration != gen:
            try:
                self._client = getRedisConnection(self.connectionParams)
            except InvalidModelException as exc:
                raise InvalidModelException(
                    f"Model {self.modelName}: {exc}. Fix setDefaultRedisConnectionParams (or REDIS_URL) or the model's "
                    "REDIS_CONNECTION_PARAMS / connectAlt params"
                ) from exc
            self._clientGeneration = gen
            self._cacheSize = self.cacheSize if self._cacheOnModel else self._paramCacheSize()
        return self._client

    def _paramCacheSize(self) -> int:
        """The object limit ``ir_cache`` in the connection params asks for (0: off)."""
        from .readcache import cacheSize

        return cacheSize(self.connectionParams.get("ir_cache"), self.modelName, "the connection parameter ir_cache")


def ownedCollections(model: type) -> List[Any]:
    """The collection fields declared on the model class or its bases (marked ``_ir_ownsCollection``)."""
    found: Dict[str, Any] = {}
    for cls in reversed(model.__mro__):
        for name, value in cls.__dict__.items():
            if getattr(value, "_ir_ownsCollection", False):
                found[name] = value
            elif name in found:
                del found[name]  # overridden by something else further down
    return list(found.values())


def _singleUnderscores(name: str) -> str:
    while "__" in name:
        name = name.replace("__", "_")
    return name


def _isFieldAccessor(obj: Any) -> bool:
    return getattr(obj, "_ir_fieldAccessor", False)


class IndexedRedisHelper:
    """Base of the helpers bound to one model: ``Model.objects`` (IRQueryBuilder), ``Model.saver``
    (IRSaver) and ``Model.deleter`` (IRDeleter)."""

    __slots__ = ()


class ValidatedModels(set):
    """``IndexedRedis.validatedModels``: the model classes that passed validation.

    Removing a class (``validatedModels.clear()``, ``discard``, ``remove``...) drops its schema, so
    its next use (constructor or query) validates it again, with the class as it is then.
    Objects and queries already made keep working: they rebuild the schema when they need it.
    """

    def _forget(self, models: Any) -> None:
        for model in models:
            if isinstance(model, type) and model.__dict__.get("_ir_schema") is not None:
                model._ir_schema = None  # type: ignore[attr-defined]

    def clear(self) -> None:
        models = list(self)
        set.clear(self)
        self._forget(models)

    def discard(self, model: Any) -> None:
        set.discard(self, model)
        self._forget([model])

    def remove(self, model: Any) -> None:
        set.remove(self, model)
        self._forget([model])

    def pop(self) -> Any:
        model = set.pop(self)
        self._forget([model])
        return model

    def _keepOnly(self, keep: set) -> None:
        gone = [m for m in self if m not in keep]
        for m in gone:
            self.discard(m)

    def difference_update(self, *others: Any) -> None:
        for other in others:
            for m in list(other):
                self.discard(m)

    def intersection_update(self, *others: Any) -> None:
        keep = set(self).intersection(*others)
        self._keepOnly(keep)

    def symmetric_difference_update(self, other: Any) -> None:
        other = set(other)
        for m in other:
            if m in self:
                self.discard(m)
            else:
                set.add(self, m)

    def __isub__(self, other: Any) -> "ValidatedModels":  # type: ignore[override,misc]
        self.difference_update(other)
        return self

    def __iand__(self, other: Any) -> "ValidatedModels":  # type: ignore[override,misc]
        self.intersection_update(other)
        return self

    def __ixor__(self, other: Any) -> "ValidatedModels":  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self


validatedModels = ValidatedModels()


def getSchema(model: type) -> ModelSchema:
    """Return the model's schema, building (and validating) it on first use."""
    schema = model.__dict__.get("_ir_schema")
    if schema is None:
        schema = ModelSchema(model)
        assert bindings.installAccessors is not None, "IndexedRedis.model is not imported"
        bindings.installAccessors(model, schema)
        model._ir_schema = schema  # type: ignore[attr-defined]
        set.add(validatedModels, model)
    return schema


bindings.getSchema = getSchema

__all__ = ["FieldList", "IndexedRedisHelper", "ModelSchema", "ValidatedModels", "asFieldList", "getSchema", "validatedModels"]
