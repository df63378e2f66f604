"""IndexedRedisModel: instance state, change tracking, copies, pickling, comparison.

Field values live in the instance ``__dict__`` under the field's name, so reading an
attribute is a plain attribute lookup. Assignment goes through ``FieldAccessor.__set__``,
which converts and checks the value. A model with link fields also gets a ``__getattribute__``
that resolves the link holders it finds under those names (and only those); models without
links keep ``object.__getattribute__``. What was last fetched or saved is kept in stored form
(``_ir_stored``), so ``getUpdatedFields`` and partial updates compare stored bytes.
"""

from __future__ import annotations

import copy as _copy
import itertools
import pprint as _pprint
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    SupportsIndex,
    Tuple,
    Type,
    TypeVar,
    cast,
)

from . import bindings
from .executors.async_ import arunJob as _arunJob
from .executors.sync import runJob as _runJob
from .exceptions import InvalidFieldError, InvalidValueError, ObjectNotFoundError
from .fields.base import IRField, _short
from .fields.null import irNull
from .schema import ModelSchema, asFieldList, getSchema

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from .persistence import IRDeleter, IRSaver
    from .query import IRQueryBuilder

_M = TypeVar("_M", bound="IndexedRedisModel")


class FieldAccessor:
    """Class attribute for one field: converts on assignment; reads hit the instance dict."""

    _ir_fieldAccessor = True
    __slots__ = ("field", "name", "modelName")

    def __init__(self, field: Any, modelName: str) -> None:
        self.field = field
        self.name = field.name
        self.modelName = modelName

    def __set__(self, obj: Any, value: Any) -> None:
        try:
            converted = self.field.fromInput(value)
        except InvalidValueError as exc:
            raise InvalidValueError(f"Model {self.modelName}: {exc}") from exc
        _assign(obj.__dict__, self.name, converted)

    def __delete__(self, obj: Any) -> None:
        _assign(obj.__dict__, self.name, self.field.getDefaultValue())


class ConvertingFieldAccessor(FieldAccessor):
    """The accessor of a field keeping values as assigned, on a model with CONVERT_ON_ASSIGN:
    the value is converted at once to what a fetch would give."""

    __slots__ = ()

    def __set__(self, obj: Any, value: Any) -> None:
        try:
            converted = self.field.normalizeAssigned(self.field.fromInput(value))
        except InvalidValueError as exc:
            raise InvalidValueError(f"Model {self.modelName}: {exc}") from exc
        _assign(obj.__dict__, self.name, converted)


def _assign(d: Dict[str, Any], name: str, value: Any) -> None:
    """Set a field value and note the name as assigned (see plans.changedStorage)."""
    d[name] = value
    dirty = d.get("_ir_dirty")
    if dirty is None:
        d["_ir_dirty"] = {name}
    else:
        dirty.add(name)


def installAccessors(model: type, schema: ModelSchema) -> None:
    """Put a FieldAccessor (or the field's own descriptor) on the class for every field, and the
    link-resolving ``__getattribute__`` on a model with link fields (only there)."""
    for field in schema.fields:
        makeAccessor = getattr(field, "makeAccessor", None)
        if makeAccessor:
            accessor = makeAccessor(schema.modelName)
        elif schema.convertOnAssign and field.KEEPS_ASSIGNED:
            accessor = ConvertingFieldAccessor(field, schema.modelName)
        else:
            accessor = FieldAccessor(field, schema.modelName)
        setattr(model, field.name, accessor)
    _installLinkReads(model, schema)


def _isLinkReads(func: Any) -> bool:
    return getattr(func, "_ir_linkReads", False)


def _plainGetattribute(model: type) -> Any:
    """The ``__getattribute__`` the model has apart from the link-resolving one (usually object's)."""
    for cls in model.__mro__:
        func = cls.__dict__.get("__getattribute__")
        if func is not None:
            return func._ir_below if _isLinkReads(func) else func
    return object.__getattribute__  # pragma: no cover - object is in every MRO


def _installLinkReads(model: type, schema: ModelSchema) -> None:
    """Install on ``model`` a ``__getattribute__`` resolving its link fields, if it has any.

    Attribute reads of a model without links stay plain (``object.__getattribute__``, or the
    model's own): a model that inherited the link-resolving one from a base with links gets
    the plain one back.
    """
    below = _plainGetattribute(model)
    if not schema.foreignFields:
        current = next(c.__dict__["__getattribute__"] for c in model.__mro__ if "__getattribute__" in c.__dict__)
        if _isLinkReads(current):
            model.__getattribute__ = below  # type: ignore[method-assign]
        return
    names = frozenset(f.name for f in schema.foreignFields)
    holderTypes = _holderTypes()

    def __getattribute__(self: Any, name: str) -> Any:
        if name in names:
            value = below(self, name)  # the holder: the accessor has no __get__, so the instance dict wins
            if value.__class__ in holderTypes:
                return value.resolve(type(self))
            return value
        return below(self, name)

    __getattribute__._ir_linkReads = True  # type: ignore[attr-defined]
    __getattribute__._ir_below = below  # type: ignore[attr-defined]
    model.__getattribute__ = __getattribute__  # type: ignore[method-assign,assignment]


def _holderTypes() -> Tuple[Any, ...]:
    from .fields.foreign import HOLDER_TYPES

    return HOLDER_TYPES


class _ClassProperty:
    """``Model.objects`` / ``Model.saver`` / ``Model.deleter``: a fresh helper bound to the class."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory

    def __get__(self, obj: Any, owner: type) -> Any:
        return self.factory(owner)


if TYPE_CHECKING:  # pragma: no cover

    class _ObjectsProperty:
        """What type checkers see of ``Model.objects``: a query on that very model class."""

        def __get__(self, obj: Any, owner: Type[_M]) -> "IRQueryBuilder[_M]": ...

    class _SaverProperty:
        def __get__(self, obj: Any, owner: Type[_M]) -> "IRSaver": ...

    class _DeleterProperty:
        def __get__(self, obj: Any, owner: Type[_M]) -> "IRDeleter": ...


class _Hybrid:
    """A method usable on the class (``Model.diff(a, b)``) and on an instance (``a.diff(b)``)."""

    def __init__(self, func: Any) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: type) -> Any:
        func = self.func
        if obj is None:
            return func

        def bound(*args: Any, **kwargs: Any) -> Any:
            # ``a.diff(x, y)`` (6.x called it as a static method) or ``a.diff(b[, includeMeta])``.
            if len(args) >= 2 and isinstance(args[0], IndexedRedisModel) and isinstance(args[1], IndexedRedisModel):
                return func(*args, **kwargs)
            return func(obj, *args, **kwargs)

        return bound


_queryBuilder: Any = None


def _objects(model: type) -> Any:
    global _queryBuilder
    if _queryBuilder is None:
        from .query import IRQueryBuilder

        _queryBuilder = IRQueryBuilder
    getSchema(model)  # a bad model raises InvalidModelException here, as on its first object
    return _queryBuilder(model)


def _saver(model: type) -> Any:
    from .persistence import IRSaver

    getSchema(model)
    return IRSaver(model)


def _deleter(model: type) -> Any:
    from .persistence import IRDeleter

    getSchema(model)
    return IRDeleter(model)


_copyCounter = itertools.count(1)


class IndexedRedisModel:
    """Base class of every model.

    Class attributes: ``FIELDS`` (IRField objects or names), ``INDEXED_FIELDS`` (names),
    ``KEY_NAME`` (the model's name in Redis), optional ``REDIS_CONNECTION_PARAMS``. Instead of
    ``FIELDS``, each field may be a class attribute (``year: IRField[int] = IRField(valueType=int)``,
    named by the attribute); ``FIELDS`` is then filled from them, after a base model's fields.

    Opt-in stricter behaviour (each False by default, as in IndexedRedis 6.0.3; set them on a
    model, or on a base class of your models):

    * ``STRICT_CONSTRUCTOR``: an unknown keyword argument to the constructor raises
      InvalidFieldError (by default it is ignored).
    * ``SAVE_RETURNS_PK``: ``obj.save()`` returns the pk itself (by default a list ``[pk]``).
    * ``CONVERT_ON_ASSIGN``: fields that keep a value as assigned (IRCompressedField, IRRawField,
      ``IRField(valueType=None)``) convert it at once to the type a fetch gives (bytes).

    * ``NULL_MARKER_ESCAPE``: a value whose stored form is the null marker text ``IRNullType()``
      (a str or bytes value) is stored escaped and reads back as itself, not as irNull (see
      fields/null.py; IndexedRedis 6.0.3 reads such values with the escape prefix).

    ``ALLOW_DANGLING_LINKS = True`` lets a save write a link to a pk that the linked model does
    not hold (by default such a save raises InvalidValueError and writes nothing).
    """

    FIELDS: Any = []
    INDEXED_FIELDS: Any = []
    KEY_NAME: Optional[str] = None
    REDIS_CONNECTION_PARAMS: Dict[str, Any] = {}
    STRICT_CONSTRUCTOR: bool = False
    SAVE_RETURNS_PK: bool = False
    CONVERT_ON_ASSIGN: bool = False
    ALLOW_DANGLING_LINKS: bool = False
    NULL_MARKER_ESCAPE: bool = False

    _ir_schema: Any = None  # the ModelSchema, built on first use
    _ir_declarationProblem: Optional[str] = None  # what is wrong with the field declarations (see _collectDeclaredFields)

    if TYPE_CHECKING:  # pragma: no cover
        objects: _ObjectsProperty
        saver: _SaverProperty
        deleter: _DeleterProperty
    else:
        objects = _ClassProperty(_objects)
        saver = _ClassProperty(_saver)
        deleter = _ClassProperty(_deleter)

    if TYPE_CHECKING:  # pragma: no cover
        # Fields listed in FIELDS (6.x style) are not attributes type checkers know: reading one
        # gives Any (``__getattr__`` below), and so may assigning one. Declared fields are typed.
        def __setattr__(self, name: str, value: Any) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "FIELDS" in cls.__dict__:
            cls.FIELDS = asFieldList(cls.__dict__["FIELDS"], cls.__name__)
            problem = _mixedDeclarations(cls)
        else:
            problem = _collectDeclaredFields(cls)
        cls._ir_declarationProblem = problem  # raised as InvalidModelException on first use
        cls._ir_schema = None  # built on first use

    # ------------------------------------------------------------------ construction
    def __init__(self, /, *args: Any, **kwargs: Any) -> None:
        schema = getSchema(type(self))
        if args:
            raise InvalidValueError(
                f"Model {schema.modelName}: field values are given as keyword arguments, such as "
                f"{schema.modelName}({schema.fieldNames[0]}=...); got {len(args)} positional argument(s)"
            )
        d = self.__dict__
        d["_id"] = None
        d["_ir_stored"] = None
        pk = kwargs.pop("_id", None)
        convert = schema.convertOnAssign
        for name, _, field in schema.decoders:
            if name in kwargs:
                try:
                    value = field.fromInput(kwargs.pop(name))
                    d[name] = field.normalizeAssigned(value) if convert else value
                except InvalidValueError as exc:
                    raise InvalidValueError(f"Model {schema.modelName}: {exc}") from exc
            else:
                d[name] = field.getDefaultValue()
        if kwargs and schema.strictConstructor:
            unknown = ", ".join(sorted(kwargs))
            raise InvalidFieldError(
                f"Model {schema.modelName} has no field(s) {unknown}; its fields are {schema.fieldNames} "
                "(STRICT_CONSTRUCTOR is set on the model)"
            )
        for field in schema.foreignFields:
            try:
                field.checkOwner(self)
            except InvalidValueError as exc:
                raise InvalidValueError(f"Model {schema.modelName}: {exc}") from exc
        if pk is not None:
            d["_id"] = _checkPk(schema.modelName, pk)

    @classmethod
    def _ir_getSchema(cls) -> ModelSchema:
        return getSchema(cls)

    # ------------------------------------------------------------------ primary key
    def getPk(self) -> Optional[int]:
        """The primary key, or None before the first save."""
        return self.__dict__.get("_id")

    # ------------------------------------------------------------------ persistence
    def save(self, cascadeSave: bool = True, ttl: Any = None) -> Any:
        """Save this object (insert or update only the changed fields) in one atomic step.

        Returns a list holding its pk (``[7]``), or the pk itself on a model with ``SAVE_RETURNS_PK``.
        Linked objects saved along (``cascadeSave``) are not in the list. ``ttl`` (models with
        ``EXPIRE``): the object lives that many seconds from now; without it a new object gets the
        model's ``EXPIRE`` and an existing one keeps its deadline.
        """
        return _runJob(self._saveJob(cascadeSave, ttl))

    async def asave(self, cascadeSave: bool = True, ttl: Any = None) -> Any:
        """``save()``, awaited."""
        return await _arunJob(self._saveJob(cascadeSave, ttl))

    def _saveJob(self, cascadeSave: bool, ttl: Any) -> Any:
        from .persistence import saveJob

        pks = yield from saveJob(type(self), [self], cascadeSave=cascadeSave, ttl=ttl)
        return pks[0] if getSchema(type(self)).saveReturnsPk else pks

    def expire(self, seconds: Any) -> bool:
        """Give this saved object a deadline ``seconds`` from now (models with ``EXPIRE``), without
        saving its fields. Returns False when it no longer exists (deleted, or expired)."""
        from .expiry import setDeadline

        return _runJob(setDeadline(self, seconds))

    async def aexpire(self, seconds: Any) -> bool:
        """``expire()``, awaited."""
        from .expiry import setDeadline

        return await _arunJob(setDeadline(self, seconds))

    def persist(self) -> bool:
        """Remove this object's deadline (models with ``EXPIRE``): it lives until deleted. Returns
        False when it no longer exists."""
        from .expiry import setDeadline

        return _runJob(setDeadline(self, None))

    async def apersist(self) -> bool:
        """``persist()``, awaited."""
        from .expiry import setDeadline

        return await _arunJob(setDeadline(self, None))

    def ttl(self) -> Optional[float]:
        """Seconds this object has left (models with ``EXPIRE``), None when it has no deadline, 0.0
        when it no longer exists (deleted, or expired)."""
        from .expiry import timeToLive

        return _runJob(timeToLive(self))

    async def attl(self) -> Optional[float]:
        """``ttl()``, awaited."""
        from .expiry import timeToLive

        return await _arunJob(timeToLive(self))

    def increment(self, name: str, delta: Any = 1) -> Any:
        """Add ``delta`` to the number field ``name`` on the server, atomically (compare and set,
        with its index entry and sorted set); returns the new value, which the object now holds.
        Two processes incrementing the same field n times each add exactly 2n."""
        from .updates import incrementObject

        return _runJob(incrementObject(self, name, delta))

    async def aincrement(self, name: str, delta: Any = 1) -> Any:
        """``increment()``, awaited."""
        from .updates import incrementObject

        return await _arunJob(incrementObject(self, name, delta))

    def delete(self) -> int:
        """Delete this object from Redis with its index entries. Returns 1 if it existed, else 0."""
        from .persistence import deleteJob

        return _runJob(deleteJob(type(self), [self]))

    async def adelete(self) -> int:
        """``delete()``, awaited."""
        from .persistence import deleteJob

        return await _arunJob(deleteJob(type(self), [self]))

    async def aget(self, name: str) -> Any:
        """The value of field ``name``, fetching first what a link field has not fetched yet (one
        getMultiple, awaited): the awaitable way to read a link in async code, where reading
        ``obj.link`` unfetched raises BlockingCallError instead of blocking the event loop.
        Other fields are returned as they are (no I/O)."""
        schema = getSchema(type(self))
        field = schema.fieldsByName.get(str(name))
        if field is None:
            raise InvalidFieldError(f"Model {schema.modelName} has no field {name!r}; its fields are {schema.fieldNames}")
        if not getattr(field, "isForeignLink", False):
            return getattr(self, str(name))
        from .foreignfetch import linkJob

        return await _arunJob(linkJob(self, name))

    def reload(self, cascadeObjects: bool = True) -> Dict[str, Tuple[Any, Any]]:
        """Fetch the current values from Redis, apply them, and return ``{field: (old, new)}`` of what changed.

        Links show as holders (``old.pk``, ``new.pk``), and a link whose pk(s) changed is always
        reported. Links that were never fetched are not fetched. ``cascadeObjects``: the linked
        objects in memory (at any depth) are read again too, in one batch per model; a link
        through which one of them differs from what Redis holds (a local edit, or a change
        saved elsewhere) is reported, ``old.getObj()`` being the object in memory, and is
        replaced by ``new`` (``new.getObj()`` fetches it afresh). With False, a link whose pk(s)
        did not change keeps the linked objects in memory as they are. Raises
        ObjectNotFoundError (a KeyError) if the object is not saved or no longer exists.
        """
        return _runJob(self._reloadJob(cascadeObjects))

    async def areload(self, cascadeObjects: bool = True) -> Dict[str, Tuple[Any, Any]]:
        """``reload()``, awaited."""
        return await _arunJob(self._reloadJob(cascadeObjects))

    def _reloadJob(self, cascadeObjects: bool) -> Any:
        from . import readplans
        from .foreignfetch import linksThatDiffer
        from .jobs import Run

        schema = getSchema(type(self))
        pk = self.getPk()
        if pk is None:
            raise ObjectNotFoundError(f"Model {schema.modelName}: cannot reload an object that was never saved")
        fresh = yield Run(lambda layout: readplans.getOp(schema, layout, pk), schema, "get")
        if fresh is None:
            raise ObjectNotFoundError(f"Model {schema.modelName}: object pk={pk} no longer exists in Redis")
        differing: Dict[int, List[str]] = {}
        if cascadeObjects and schema.foreignFields:
            differing = yield from linksThatDiffer([(self, fresh)])
        return applyFetched(schema, self, fresh, cascadeObjects, differing.get(id(self), ()))

    def saveToExternal(self, redisCon: Any) -> int:
        """Save a copy of this object as a new object on another Redis (a ``redis.Redis`` client).

        The object itself is unchanged. Returns the pk the copy got there.
        """
        from .persistence import saveToClient

        return _runJob(saveToClient(type(self), self, redisCon))

    async def asaveToExternal(self, redisCon: Any) -> int:
        """``saveToExternal()`` with a ``redis.asyncio.Redis`` client, awaited."""
        from .persistence import saveToClient

        return await _arunJob(saveToClient(type(self), self, redisCon))

    # ------------------------------------------------------------------ changes
    def getUpdatedFields(self, cascadeObjects: bool = False) -> Dict[str, Tuple[Any, Any]]:
        """``{field: (old value, new value)}`` for fields changed since the last fetch or save.

        Links show as holders (``old.pk``, ``new.pk``; ``getObj()`` fetches), as ``reload`` gives them;
        nothing is fetched. ``cascadeObjects``: also list a link field whose linked object (in
        memory) has unsaved changes itself, recursively, even though the link's pk is the same.
        """
        from .plans import changedStorage

        schema = getSchema(type(self))
        changed = changedStorage(schema, self, strict=False)
        stored = self.__dict__.get("_ir_stored")
        saved = self.getPk() is not None and stored is not None
        out = {}
        savedValues = self.__dict__.get("_ir_savedValues") or {}
        for name in changed:
            field = schema.fieldsByName[name]
            if saved:
                old = savedValues[name] if name in savedValues else field.fromStorage(stored.get(name))  # type: ignore[union-attr]
            else:
                old = field.getDefaultValue()
                if field.compareValue(old) == field.compareValue(self.__dict__[name]):
                    continue
            out[name] = (_reported(field, old, self), _reported(field, self.__dict__[name], self))
        if cascadeObjects:
            for field in schema.foreignFields:
                if field.name in out:
                    continue
                if _anyUnsaved(field.linkedObjects(self), {id(self)}, True):
                    current = _reported(field, self.__dict__[field.name], self)
                    old = field.fromStorage(stored.get(field.name)) if saved else field.getDefaultValue()  # type: ignore[union-attr]
                    out[field.name] = (_reported(field, old, self), current)
        return out

    def cascadeFetch(self) -> None:
        """Fetch now every object reachable through this object's links, recursively.

        One batch per linked model per level; objects already fetched are not fetched again, and
        cycles end. Afterwards reading any link needs no round trip.
        """
        from .foreignfetch import cascadeFetchObjects

        _runJob(cascadeFetchObjects([self]))

    async def acascadeFetch(self) -> None:
        """``cascadeFetch()``, awaited."""
        from .foreignfetch import cascadeFetchObjects

        await _arunJob(cascadeFetchObjects([self]))

    def hasUnsavedChanges(self, cascadeObjects: bool = True) -> bool:
        """True if the object was never saved or has changed since its last fetch or save.

        ``cascadeObjects``: also True when a linked object in memory has unsaved changes.
        """
        return _anyUnsaved([self], set(), cascadeObjects)

    def hasSameValues(self, other: Any, cascadeObject: bool = True) -> bool:
        """True if ``other`` is of the same model and every field holds the same value.

        Links compare by pk; with ``cascadeObject`` the linked objects in memory are compared too
        (recursively, cycles included), and linked objects not saved yet compare by their values
        (without it, only the very same object matches one that is not saved).
        """
        seen = set()
        todo = [(self, other)]
        while todo:
            a, b = todo.pop()
            if (id(a), id(b)) in seen:
                continue
            seen.add((id(a), id(b)))
            if not isinstance(a, IndexedRedisModel) or not isinstance(b, IndexedRedisModel):
                return False
            schema = getSchema(type(a))
            if schema.keyName != getSchema(type(b)).keyName:
                return False
            for name, _, field in schema.decoders:
                va, vb = a.__dict__.get(name, irNull), b.__dict__.get(name, irNull)
                if getattr(field, "isForeignLink", False):
                    pairs = _linkPairs(va, vb)
                    if pairs is None:
                        return False
                    for la, lb in pairs:
                        if cascadeObject:
                            todo.append((la, lb))
                        elif la is not lb and la.getPk() is None:
                            return False
                elif field.compareValue(va) != field.compareValue(vb):
                    return False
        return True

    @_Hybrid
    def diff(firstObj: Any, otherObj: Any, includeMeta: bool = False) -> Dict[str, Tuple[Any, Any]]:
        """``{field: (first's value, other's value)}`` for every field whose values differ.

        ``includeMeta`` also compares the primary keys (under ``'_id'``).
        Usable as ``Model.diff(a, b)`` or ``a.diff(b)``.
        """
        if not isinstance(firstObj, IndexedRedisModel) or not isinstance(otherObj, IndexedRedisModel):
            raise InvalidValueError("diff compares two IndexedRedisModel objects")
        schemaA = getSchema(type(firstObj))
        schemaB = getSchema(type(otherObj))
        if schemaA.keyName != schemaB.keyName:
            raise InvalidValueError(f"diff compares objects of one model; got {schemaA.modelName} and {schemaB.modelName}")
        out = {}
        for name, _, field in schemaA.decoders:
            a = firstObj.__dict__.get(name, irNull)
            b = otherObj.__dict__.get(name, irNull)
            if field.compareValue(a) != field.compareValue(b):
                out[name] = (_public(field, a), _public(field, b))
        if includeMeta and firstObj.getPk() != otherObj.getPk():
            out["_id"] = (firstObj.getPk(), otherObj.getPk())
        return out

    # ------------------------------------------------------------------ dicts and printing
    def asDict(self, includeMeta: bool = False, forStorage: bool = False, strKeys: bool = False) -> Dict[Any, Any]:
        """The field values as a dict (field objects as keys, or plain str with ``strKeys``).

        ``forStorage``: values in their stored form: str for text fields (``'5'`` for an int,
        ``'1.50'`` for a fixed-point), bytes for binary ones (base64, compressed, bytes, unicode,
        pickled); IRRawField and ``IRField(valueType=None)`` give the value as assigned.
        ``includeMeta``: add ``'_id'``.
        """
        schema = getSchema(type(self))
        out: Dict[Any, Any] = {}
        for field in schema.fields:
            value = self.__dict__.get(field.name, irNull)
            if forStorage:
                value = field.forStorageDict(value)
            elif getattr(field, "isForeignLink", False):
                value = cast(Any, field).valueForDict(self)
            out[field.name if strKeys else field] = value
        if includeMeta:
            out["_id"] = self.getPk()
        return out

    toDict = asDict

    def pprint(self, stream: Any = None) -> None:
        """Pretty-print the object's values (to stdout by default)."""
        _pprint.pprint(self.asDict(includeMeta=True, strKeys=True), stream=stream or sys.stdout)

    def __repr__(self) -> str:
        schema = getSchema(type(self))
        parts = [f"_id={self.getPk()!r}"]
        for field in schema.fields:
            value = self.__dict__.get(field.name, irNull)
            text = cast(Any, field).reprValue(self) if getattr(field, "isForeignLink", False) else _short(value, 80)
            parts.append(f"{field.name}={text}")
        return f"<{type(self).__name__} {' '.join(parts)}>"

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexedRedisModel):
            return NotImplemented
        return self.getPk() == other.getPk() and self.hasSameValues(other)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((getSchema(type(self)).keyName, self.getPk()))

    # ------------------------------------------------------------------ copies and pickling
    def copy(self, copyPrimaryKey: bool = False, copyValues: bool = False) -> Self:
        """A new object with the same values.

        ``copyPrimaryKey``: the copy keeps the pk (saving it updates the same object).
        ``copyValues``: values are deep-copied (otherwise mutable values are shared).
        """
        new = type(self).__new__(type(self))
        d = new.__dict__
        for key, value in self.__dict__.items():
            if key.startswith("_ir_") or key == "_id":
                continue
            if copyValues:
                value = _copy.deepcopy(value)
            elif hasattr(value, "isFetched"):
                value = value.__copy__()  # a link holder: fetching through the copy must not touch the original
            d[key] = value
        d["_id"] = self.getPk() if copyPrimaryKey else None
        stored = self.__dict__.get("_ir_stored")
        d["_ir_stored"] = dict(stored) if (copyPrimaryKey and stored is not None) else None
        if copyPrimaryKey and self.__dict__.get("_ir_savedValues"):
            d["_ir_savedValues"] = dict(self.__dict__["_ir_savedValues"])
        if copyPrimaryKey and "_ir_partial" in self.__dict__:
            d["_ir_partial"] = self.__dict__["_ir_partial"]
        if copyPrimaryKey and self.__dict__.get("_ir_dirty"):
            d["_ir_dirty"] = set(self.__dict__["_ir_dirty"])  # assignments not saved yet stay pending
        return new

    def __copy__(self) -> Self:
        return self.copy(copyPrimaryKey=True, copyValues=False)

    def __deepcopy__(self, memo: Dict[int, Any]) -> Self:
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = _copy.deepcopy(value, memo)
        return new

    def __getstate__(self) -> Dict[str, Any]:
        return dict(self.__dict__)

    @property
    def _origData(self) -> Dict[str, Any]:
        """``{field name: value}`` as last saved or fetched, in Python form (defaults for an object
        never saved). A fresh dict each time: changing it changes nothing."""
        schema = getSchema(type(self))
        d = self.__dict__
        stored = d.get("_ir_stored")
        if stored is None or d.get("_id") is None:
            return {name: field.getDefaultValue() for name, _, field in schema.decoders}
        savedValues = d.get("_ir_savedValues") or {}
        out = {}
        for name, _, field in schema.decoders:
            out[name] = savedValues[name] if name in savedValues else field.fromStorage(stored.get(name))
        return out

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: ``obj.<link field>__id`` gives the linked pk(s).
        if name.endswith("__id") and not name.startswith("__"):
            field = getSchema(type(self)).fieldsByName.get(name[:-4])
            if field is not None and getattr(field, "isForeignLink", False):
                return cast(Any, field).pksOf(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # The model may not have been used yet in this process (a pickle read by a new worker):
        # its schema installs the field accessors that convert values and note assignments.
        schema = getSchema(type(self))
        self.__dict__.update(state)
        for field in schema.foreignFields:
            field.holderOf(self)  # holders are pickled without their field: bind them again

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        cls = type(self)
        alt = cls.__dict__.get("_ir_altOf")
        if alt is not None:
            return (_rebuildAlt, (alt[0], alt[1]), self.__getstate__())
        return (_rebuild, (cls,), self.__getstate__())

    # ------------------------------------------------------------------ class-level helpers
    @classmethod
    def connectAlt(cls, redisConnectionParams: Dict[str, Any]) -> Type[Self]:
        """A copy of this model class bound to another Redis (params override the defaults key by key)."""
        if not isinstance(redisConnectionParams, dict):
            raise InvalidValueError("connectAlt takes a dict of connection params, such as {'host': 'other', 'db': 1}")
        base = cls.__dict__.get("_ir_altOf", (cls, None))[0]
        params = dict(redisConnectionParams)
        attrs = {
            "REDIS_CONNECTION_PARAMS": params,
            "_ir_altOf": (base, _freeze(params)),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
        }
        return cast("Type[Self]", type(cls.__name__, (base,), attrs))

    @classmethod
    def copyModel(cls) -> Type[Self]:
        """An independent copy of this model class (same params and KEY_NAME), e.g. to change it
        without touching the original. It is named ``<Name>_Copy<N>``."""
        name = f"{cls.__name__}_Copy{next(_copyCounter)}"
        attrs: Dict[str, Any] = {"__module__": cls.__module__, "__qualname__": name}
        attrs["FIELDS"] = [_copy.copy(f) for f in cls.FIELDS or []]
        attrs["INDEXED_FIELDS"] = list(cls.INDEXED_FIELDS or [])
        return cast("Type[Self]", type(name, (cls,), attrs))

    @classmethod
    def reset(cls, newObjs: Any, progress: Any = None) -> Sequence[int]:
        """Replace the model's whole dataset with ``newObjs``, atomically. Returns the pks in input
        order (a compact sequence equal to the list of them). Objects given with a pk (``_id``,
        such as their SQL ids) keep it; the others get new pks. ``progress``: a callable receiving
        an ``IndexedRedis.progress.Progress`` after each chunk written (see that module)."""
        from .persistence import resetModel

        return resetModel(cls, newObjs, progress=progress)

    @classmethod
    def migrate(
        cls,
        progress: Any = None,
        convert: Optional[Dict[str, Callable[[Any], Any]]] = None,
        previous: Optional[type] = None,
    ) -> Any:
        """Rebuild the stored data for the model's definition as it is now (fields, types,
        INDEXED_FIELDS, SORTED_FIELDS, hashIndex...), while readers and writers keep working, then
        switch to it in one step; writes made meanwhile are kept (see docs/migrate.rst). Does
        nothing when the stored definition (kept by reset and migrate) is the current one.

        ``progress``: a callable receiving an ``IndexedRedis.progress.Progress`` after each page
        copied and at each phase (``copying``, ``catching up``, ``switching``...). ``convert`` maps a field name
        to a function from the old value to the new one; ``previous`` is the model class as it
        was, for a field whose old definition Redis cannot describe. Returns a
        ``MigrationReport`` (false when there was nothing to do). Raises MigrationError, leaving
        the data as it was, when a stored value does not fit the new definition."""
        from .migrate import migrateModel

        return migrateModel(cls, progress=progress, convert=convert, previous=previous)

    @classmethod
    async def amigrate(
        cls,
        progress: Any = None,
        convert: Optional[Dict[str, Callable[[Any], Any]]] = None,
        previous: Optional[type] = None,
    ) -> Any:
        """``migrate()``, awaited. A migration is long work on its own connections (copy,
        catch-up rounds, the switch): it runs in a worker thread, so the event loop is never
        blocked while it does."""
        import asyncio

        from .migrate import migrateModel

        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: migrateModel(cls, progress=progress, convert=convert, previous=previous)
        )

    @classmethod
    async def areset(cls, newObjs: Any) -> Sequence[int]:
        """``reset()``, awaited; ``newObjs`` may be an iterable or an async iterable (rows read from
        an async database driver, say), pulled one chunk at a time."""
        from .reset import resetJob

        return await _arunJob(resetJob(cls, newObjs))

    @classmethod
    def validateModel(cls) -> bool:
        """Build and check the model now (it is otherwise checked on first use). Raises InvalidModelException."""
        getSchema(cls)
        return True


def _collectDeclaredFields(cls: type) -> Optional[str]:
    """Fill FIELDS of a model declared with field attributes (``year: IRField[int] =
    IRField(valueType=int)``): the base class's fields, then the ones declared here in order (a
    field of the same name replaces the inherited one in place). A field given without a name
    takes the attribute's. Returns what is wrong with the declaration, or None."""
    problems: List[str] = []
    declared: List[Any] = []
    for attr, value in list(cls.__dict__.items()):
        if not isinstance(value, IRField):
            continue
        if not value.name:
            value = value.copyWithName(attr)
            setattr(cls, attr, value)
        elif value.name != attr:
            problems.append(
                f"attribute {attr!r} holds a field named {value.name!r}; leave the name out ({attr} = "
                f"{type(value).__name__}(...)) or use the same name for both"
            )
            continue
        declared.append(value)
    annotations = cls.__dict__.get("__annotations__") or {}
    for attr, hint in annotations.items():
        if attr not in cls.__dict__ and _looksLikeFieldType(hint):
            problems.append(
                f"attribute {attr!r} is annotated as a field but has no value; declare it with one, such as "
                f"{attr}: IRField[int] = IRField(valueType=int)"
            )
    if declared:
        merged = list(getattr(cls, "FIELDS", None) or [])
        for field in declared:
            at = next((i for i, f in enumerate(merged) if str(f) == field.name), None)
            if at is None:
                merged.append(field)
            else:
                merged[at] = field
        cls.FIELDS = asFieldList(merged, cls.__name__)  # type: ignore[attr-defined]
    return "; ".join(problems) or None


def _mixedDeclarations(cls: type) -> Optional[str]:
    """With FIELDS in the class body, a field attribute must be one of its entries (``year =
    IRField('year', valueType=int)`` then ``FIELDS = [year]``): else it would not be stored."""
    listed = {id(f) for f in cls.__dict__["FIELDS"] or ()} if isinstance(cls.__dict__["FIELDS"], (list, tuple)) else set()
    extra = [attr for attr, value in cls.__dict__.items() if isinstance(value, IRField) and id(value) not in listed]
    if not extra:
        return None
    return (
        f"field attribute(s) {', '.join(map(repr, extra))} are not entries of FIELDS; declare fields one way: list "
        "every field in FIELDS, or leave FIELDS out and declare each field as a class attribute"
    )


def _looksLikeFieldType(hint: Any) -> bool:
    if isinstance(hint, str):
        head = hint.strip().split("[", 1)[0].rsplit(".", 1)[-1]
        return head.startswith("IR") and head.endswith("Field")
    origin = getattr(hint, "__origin__", hint)
    return isinstance(origin, type) and issubclass(origin, IRField)


def isIndexedRedisModel(model: Any) -> bool:
    """True for a model class or a model object (anything deriving from IndexedRedisModel)."""
    cls = model if isinstance(model, type) else type(model)
    return issubclass(cls, IndexedRedisModel)


def _linkItems(value: Any) -> List[Any]:
    """The linked objects or pks a link value holds, in order."""
    return value.items() if isinstance(value, _holderTypes()) else []


def _linkPairs(va: Any, vb: Any) -> Optional[List[Tuple[Any, Any]]]:
    """None if two link values link to different things, else the (object, object) pairs to compare further."""
    ia, ib = _linkItems(va), _linkItems(vb)
    if len(ia) != len(ib):
        return None
    pairs = []
    for x, y in zip(ia, ib):
        xObj, yObj = isinstance(x, IndexedRedisModel), isinstance(y, IndexedRedisModel)
        px = x.getPk() if xObj else x
        py = y.getPk() if yObj else y
        if px != py:
            return None
        if xObj and yObj:
            pairs.append((x, y))
        elif px is None:  # an unsaved object against a pk: cannot be the same
            return None
    return pairs


def _anyUnsaved(roots: Sequence[Any], seen: set, cascadeObjects: bool) -> bool:
    """True if any of ``roots`` (or, with ``cascadeObjects``, any object linked from them in memory,
    recursively) is unsaved or changed. Objects whose id is in ``seen`` are skipped."""
    from .plans import changedStorage

    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj.getPk() is None:
            return True
        schema = getSchema(type(obj))
        if changedStorage(schema, obj, strict=False):
            return True
        if cascadeObjects:
            for field in schema.foreignFields:
                todo.extend(field.linkedObjects(obj))
    return False


def applyFetched(
    schema: ModelSchema, obj: Any, fresh: Any, cascadeObjects: bool = True, differing: Sequence[str] = ()
) -> Dict[str, Tuple[Any, Any]]:
    """Put the values of ``fresh`` (the same object just fetched) on ``obj``; return ``{field: (old, new)}``.

    Links are reported as holders. A link whose pk(s) did not change keeps what ``obj`` holds
    (the linked objects in memory), unless ``cascadeObjects`` and its name is in ``differing``
    (links through which an object in memory differs from Redis, see ``_linksThatDiffer``):
    then it is reported and replaced by the fresh, unfetched holder.
    """
    d = obj.__dict__
    changes = {}
    for name, _, field in schema.decoders:
        old = d.get(name)
        new = fresh.__dict__[name]
        same = field.compareValue(old) == field.compareValue(new)
        if getattr(field, "isForeignLink", False):
            if same and not (cascadeObjects and name in differing):
                continue
            changes[name] = (_reported(field, old, obj), _reported(field, new, obj))
        elif not same:
            changes[name] = (old, new)
        d[name] = new
    d["_ir_stored"] = fresh.__dict__["_ir_stored"]
    d.pop("_ir_savedValues", None)
    d.pop("_ir_partial", None)
    d.pop("_ir_dirty", None)  # every value now matches what is stored (links are compared anyway)
    return changes


def _checkPk(modelName: str, pk: Any) -> int:
    """``pk`` as a primary key (a positive int, see keys.pkOf), or InvalidValueError saying so."""
    from .keys import pkOf

    value = pkOf(pk)
    if not value:
        raise InvalidValueError(
            f"Model {modelName}: _id is the primary key, a positive int up to 2**63-1 (as getPk() returns); "
            f"got {type(pk).__name__} {_short(pk)}"
        )
    return value


def _reported(field: Any, value: Any, obj: Any) -> Any:
    """A value as change reports (getUpdatedFields, reload) give it: links as holders bound to
    ``obj``'s model, other values as they are."""
    if getattr(field, "isForeignLink", False):
        return field.bound(value, type(obj))
    return value


def _public(field: Any, value: Any) -> Any:
    """A value as users see it: links as pk(s) (irNull when empty; an unsaved linked object as
    itself), other values as they are."""
    if getattr(field, "isForeignLink", False):
        from .fields.foreign import publicValue

        return publicValue(value)
    return value


def _freeze(params: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    return tuple(sorted((k, v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)) for k, v in params.items()))


def _rebuild(cls: Any) -> Any:
    return cls.__new__(cls)


_altCache: Dict[Any, Any] = {}


def _rebuildAlt(base: Any, frozen: Sequence[Tuple[str, Any]]) -> Any:
    key = (base, tuple(frozen))
    cls = _altCache.get(key)
    if cls is None:
        cls = base.connectAlt(dict(frozen))
        _altCache[key] = cls
    return cls.__new__(cls)


bindings.modelBase = IndexedRedisModel
bindings.installAccessors = installAccessors

__all__ = ["FieldAccessor", "IndexedRedisModel", "applyFetched", "installAccessors", "isIndexedRedisModel"]
