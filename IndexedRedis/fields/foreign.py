"""Links between models: IRForeignLinkField (one object) and IRForeignMultiLinkField (an ordered list).

A link is stored as the linked pk (``b'12'``), a multi link as the pks joined by commas
(``b'12,7,30'``); no link is stored as irNull. On the object, the instance dict holds a
*holder* for each link field: a ``ForeignLink`` (or ``ForeignMultiLink``) that keeps the pk(s)
and, once fetched, the object(s). ``object.__getattribute__(obj, 'author')`` gives the holder;
``obj.author`` gives the linked object, through the ``__getattribute__`` that the model class
gets only when it has link fields (see ``model.installAccessors``):

* ``obj.author`` fetches the linked object on first access (one HGETALL), then keeps it;
* ``obj.author__id`` gives the pk (a list of pks for multi links) without fetching;
* ``Model.FIELDS['author'].linkOf(obj)`` is the holder: ``.pk``, ``.obj``, ``isFetched()``,
  ``getObj()`` (fetches if needed).

A link to an object deleted since reads as irNull; a multi link leaves deleted objects out.
Either way the stored pk(s) stay on the link (``obj.author__id``) until a new value is assigned,
so reading a link never makes the object look changed.
``foreignModel`` may be a model class, a zero-argument callable returning one (for models
defined later), or the string ``'self'`` for a link to the model the field is on.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional

from .. import bindings
from ..exceptions import BlockingCallError, InvalidValueError
from ..keys import pkOf
from .base import IRField, _short
from .null import IRNullType, irNull


def _refuseInLoop(holder: Any, owner: Any) -> None:
    """Reading an unfetched link does a round trip: inside a running event loop that would block
    it, so it raises BlockingCallError saying what to await instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    owner = owner if owner is not None else holder.owner
    model = type(owner).__name__ if owner is not None else "the model"
    name = getattr(holder, "fieldName", None) or getattr(getattr(holder, "field", None), "name", None) or "link"
    raise BlockingCallError(
        f"Model {model}: reading the link {name!r} inside a running event loop would block it on a round trip "
        f"to Redis; use `await obj.aget({name!r})`, fetch with cascadeFetch=True, or `await obj.acascadeFetch()` first"
    )


def _isModelObject(value: Any) -> bool:
    return isinstance(value, bindings.modelBase)


class _Holder:
    """What both holders share: the field they belong to and the model of the object holding them."""

    __slots__ = ("field", "owner")

    field: Any
    owner: Any

    @property
    def foreignModel(self) -> Any:
        """The linked model class."""
        if self.field is None:
            return None
        return self.field.foreignModelFor(self.owner)

    def _model(self) -> Any:
        fm = self.foreignModel
        if fm is None:
            raise InvalidValueError(
                f"{type(self).__name__} (pk={self.getPk()!r}) does not know its link field (it was unpickled on its own); "
                "read the link through the object that holds it"
            )
        return fm

    def _bind(self, field: Any, owner: Any) -> "_Holder":
        self.field = field
        if owner is not None:
            self.owner = owner
        return self

    def getPk(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    __hash__ = None  # type: ignore[assignment]


class ForeignLink(_Holder):
    """The holder of a single link: the pk and, once fetched, the object.

    * ``pk``: the linked pk (an int; None for no link, or for a linked object not saved yet);
    * ``obj``: the linked object once fetched or assigned (irNull for no link or a deleted
      target), else None;
    * ``isFetched()``: True once the object is in memory (assigned, or fetched);
    * ``getObj()``: the linked object, fetched first if needed (one round trip); irNull if none.

    A holder equals another with the same pk, and a holder of no link equals ``irNull``.
    """

    __slots__ = ("_pk", "obj", "fetched")

    def __init__(
        self, pk: Optional[int] = None, obj: Any = None, fetched: bool = False, field: Any = None, owner: Any = None
    ) -> None:
        self._pk = pk
        self.obj = obj
        self.fetched = fetched
        self.field = field
        self.owner = owner

    # ------------------------------------------------------------- reading
    @property
    def pk(self) -> Optional[int]:
        obj = self.obj
        if obj is not None and obj.__class__ is not IRNullType:
            return obj.getPk()  # an object assigned before it was saved has its pk now
        return self._pk

    def getPk(self) -> Optional[int]:
        return self.pk

    def getPks(self) -> List[Optional[int]]:
        return [] if self.isNull() else [self.pk]

    def isFetched(self) -> bool:
        return self.fetched

    def isNull(self) -> bool:
        """True when the link links to nothing (irNull)."""
        return self._pk is None and (self.obj is None or self.obj.__class__ is IRNullType)

    def getObj(self) -> Any:
        """The linked object (fetched now if it was not yet; one round trip), or irNull."""
        if not self.fetched:
            self._fetch(None)
        return self.obj

    def getObjs(self) -> List[Any]:
        obj = self.getObj()
        return [] if obj is irNull else [obj]

    def objHasUnsavedChanges(self) -> bool:
        """True if the linked object is in memory and is new or has changes not saved (never fetches)."""
        obj = self.obj
        return obj is not None and obj.__class__ is not IRNullType and obj.hasUnsavedChanges(cascadeObjects=False)

    def resolve(self, owner: Any) -> Any:
        """``obj.FIELD``: the linked object (fetched on first access) or irNull."""
        if not self.fetched:
            self._fetch(owner)
        return self.obj

    def _fetch(self, owner: Any) -> None:
        if owner is not None and self.owner is None:
            self.owner = owner
        _refuseInLoop(self, owner)
        target = self._model().objects.get(self._pk)
        self.obj = target if target is not None else irNull
        self.fetched = True

    # ------------------------------------------------------------- helpers for the field
    def items(self) -> List[Any]:
        """The linked object in memory, or the pk, as a list (empty for no link)."""
        obj = self.obj
        if obj is not None and obj.__class__ is not IRNullType:
            return [obj]
        return [] if self._pk is None else [self._pk]

    def inMemory(self) -> List[Any]:
        obj = self.obj
        return [obj] if obj is not None and obj.__class__ is not IRNullType else []

    def attach(self, found: Any) -> None:
        if not self.fetched:
            target = found.get(self._pk)
            self.obj = target if target is not None else irNull
            self.fetched = True

    def missing(self) -> List[int]:
        return [self._pk] if not self.fetched and self._pk is not None else []

    def compareKey(self) -> Any:
        pk = self.pk
        if pk is not None or self.isNull():
            return ("pk", pk)
        return ("obj", id(self.obj))

    # ------------------------------------------------------------- protocol
    def __copy__(self) -> "ForeignLink":
        return ForeignLink(self._pk, self.obj, self.fetched, self.field, self.owner)

    def __deepcopy__(self, memo: dict) -> "ForeignLink":
        import copy

        new = ForeignLink(self._pk, None, self.fetched, self.field, self.owner)
        memo[id(self)] = new
        new.obj = copy.deepcopy(self.obj, memo)
        return new

    def __reduce__(self) -> Any:
        # The field (its foreignModel may be a lambda) is not pickled: the object holding the
        # holder binds it again when it is unpickled (IndexedRedisModel.__setstate__).
        return (ForeignLink, (), (self._pk, self.obj, self.fetched))

    def __setstate__(self, state: Any) -> None:
        self._pk, self.obj, self.fetched = state
        self.field = self.owner = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ForeignLink):
            return self.compareKey() == other.compareKey()
        if other.__class__ is IRNullType:
            return self.isNull()
        if isinstance(other, int) and not isinstance(other, bool):
            return self.pk == other
        return NotImplemented

    def __bool__(self) -> bool:
        return not self.isNull()

    def __repr__(self) -> str:
        return f"ForeignLink(pk={self.pk!r}, fetched={self.fetched})"


class ForeignMultiLink(_Holder):
    """The holder of a multi link: the pks in order and, once fetched, the objects.

    * ``pk``: the list of linked pks, in order (None for an object not saved yet);
    * ``obj``: once fetched, the list of linked objects (deleted targets left out); before,
      one entry per pk: the object if it is in memory, else None;
    * ``isFetched()``: True once every linked object is in memory (a list assigned mixing
      objects and pks is not);
    * ``getObj()`` / ``getObjs()``: the list of linked objects, fetched first if needed.
    """

    __slots__ = ("_items", "fetched")

    def __init__(self, items: Optional[List[Any]] = None, fetched: bool = False, field: Any = None, owner: Any = None) -> None:
        self._items: List[Any] = items if items is not None else []  # per link: the object in memory, or the pk
        self.fetched = fetched
        self.field = field
        self.owner = owner

    # ------------------------------------------------------------- reading
    @property
    def pk(self) -> List[Optional[int]]:
        return [o if o.__class__ is int else o.getPk() for o in self._items]

    def getPk(self) -> List[Optional[int]]:
        return self.pk

    getPks = getPk

    @property
    def obj(self) -> List[Any]:
        if self.fetched:
            return [o for o in self._items if o.__class__ is not int]
        return [None if o.__class__ is int else o for o in self._items]

    def isFetched(self) -> bool:
        return self.fetched

    def isNull(self) -> bool:
        return not self._items

    def getObjs(self) -> List[Any]:
        """The linked objects (those not in memory are fetched now, in one round trip); deleted ones left out."""
        if not self.fetched:
            self._fetch(None)
        return [o for o in self._items if o.__class__ is not int]

    getObj = getObjs

    def objHasUnsavedChanges(self) -> bool:
        return any(o.hasUnsavedChanges(cascadeObjects=False) for o in self._items if o.__class__ is not int)

    def resolve(self, owner: Any) -> Any:
        """``obj.FIELD``: the list of linked objects (fetched on first access), or irNull if none."""
        if not self.fetched:
            self._fetch(owner)
        live = [o for o in self._items if o.__class__ is not int]
        return live if live else irNull

    def _fetch(self, owner: Any) -> None:
        if owner is not None and self.owner is None:
            self.owner = owner
        missing = self.missing()
        if missing:
            _refuseInLoop(self, owner)
        found = {o.getPk(): o for o in self._model().objects.getMultiple(missing)} if missing else {}
        self.attach(found)

    # ------------------------------------------------------------- helpers for the field
    def items(self) -> List[Any]:
        return list(self._items)

    def inMemory(self) -> List[Any]:
        return [o for o in self._items if o.__class__ is not int]

    def attach(self, found: Any) -> None:
        if not self.fetched:
            # A deleted target keeps its pk: reading leaves it out, but the link keeps what is
            # stored, so merely reading does not make the object look changed.
            self._items = [found.get(o, o) if o.__class__ is int else o for o in self._items]
            self.fetched = True

    def missing(self) -> List[int]:
        return [o for o in self._items if o.__class__ is int] if not self.fetched else []

    def compareKey(self) -> Any:
        return tuple(("pk", o) if o.__class__ is int else _objectKey(o) for o in self._items)

    # ------------------------------------------------------------- protocol
    def __copy__(self) -> "ForeignMultiLink":
        return ForeignMultiLink(list(self._items), self.fetched, self.field, self.owner)

    def __deepcopy__(self, memo: dict) -> "ForeignMultiLink":
        import copy

        new = ForeignMultiLink([], self.fetched, self.field, self.owner)
        memo[id(self)] = new
        new._items = [copy.deepcopy(o, memo) for o in self._items]
        return new

    def __reduce__(self) -> Any:
        return (ForeignMultiLink, (), (self._items, self.fetched))

    def __setstate__(self, state: Any) -> None:
        self._items, self.fetched = state
        self.field = self.owner = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ForeignMultiLink):
            return self.compareKey() == other.compareKey()
        if other.__class__ is IRNullType:
            return self.isNull()
        if isinstance(other, (list, tuple)):
            return self.pk == list(other)
        return NotImplemented

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ForeignMultiLink(pks={self.pk!r}, fetched={self.fetched})"


def _objectKey(obj: Any) -> Any:
    pk = obj.getPk()
    return ("pk", pk) if pk is not None else ("obj", id(obj))


HOLDER_TYPES = (ForeignLink, ForeignMultiLink)


def publicValue(value: Any) -> Any:
    """A link's value as asDict and diff show it: the pk (a list of pks for a multi link), irNull
    for no link; a linked object not saved yet shows as the object itself."""
    if isinstance(value, ForeignLink):
        pk = value.pk
        if pk is not None:
            return pk
        return value.obj if value.obj is not None else irNull
    if isinstance(value, ForeignMultiLink):
        out = [o if o.__class__ is int or o.getPk() is None else o.getPk() for o in value._items]
        return out if out else irNull
    return irNull if value is None else value


def _toPk(name: str, value: Any) -> int:
    pk = pkOf(value)
    if not pk:
        raise InvalidValueError(
            f"field {name!r} links to objects; give a model object, its pk (a positive int up to 2**63-1) or irNull, "
            f"not {type(value).__name__} {_short(value)}"
        )
    return pk


def _unreadable(name: str, raw: Any) -> InvalidValueError:
    return InvalidValueError(
        f"field {name!r} links to objects, but the stored value {raw!r:.60} is not a pk (or pks joined by commas). "
        "Was it written with another field type? Change the field back, or rewrite the data (reset)"
    )


def _isNullStored(raw: Any) -> bool:
    return raw is None or raw == b"IRNullType()" or raw == b""


class IRForeignLinkField(IRField[Any]):
    """A link to one object of ``foreignModel`` (or irNull). Indexable: ``filter(author=obj_or_pk)``."""

    isForeignLink = True
    isMulti = False

    def __init__(
        self,
        name: str = "",
        foreignModel: Any = None,
        defaultValue: Any = irNull,
        hashIndex: bool = False,
        foreignKey: Any = None,
    ) -> None:
        super().__init__(name, valueType=int, defaultValue=irNull, hashIndex=hashIndex)
        self._foreignModel = foreignModel if foreignModel is not None else foreignKey  # foreignKey: 6.x spelling
        self.ownerModel: Any = None  # set when the owning model's schema is built

    def _stateForCopy(self) -> dict:
        state = super()._stateForCopy()
        state["ownerModel"] = None  # a copy belongs to the model whose FIELDS it is put in
        return state

    # ---------------------------------------------------------------- the linked model
    def foreignModelFor(self, owner: Any = None) -> Any:
        fm = self._foreignModel
        if isinstance(fm, str) and fm == "self":
            return owner if owner is not None else self.ownerModel
        if isinstance(fm, type):
            return fm
        if callable(fm):
            return fm()
        return fm

    @property
    def foreignModel(self) -> Any:
        return self.foreignModelFor()

    def _checkLinkedModel(self, value: Any, owner: Any = None) -> None:
        """An object given to the link must be of the linked model (or a copy of it, e.g. connectAlt).

        A ``'self'`` link is checked only when the model holding it (``owner``) is known: one
        field object may sit in the FIELDS of several models.
        """
        if self._foreignModel == "self" and owner is None:
            return
        try:
            fm = self.foreignModelFor(owner)
        except Exception:  # a callable that cannot answer yet: the model is checked when it is first used
            return
        if not isinstance(fm, type):
            return
        if bindings.schemaOf(type(value)).keyName != bindings.schemaOf(fm).keyName:
            raise InvalidValueError(
                f"field {self.name!r} links to {fm.__name__} objects; got a {type(value).__name__} object. "
                f"Give a {fm.__name__} object, its pk, or irNull"
            )

    def _definitionProblem(self) -> Optional[str]:
        fm = self._foreignModel
        if fm is None:
            return "IRForeignLinkField needs foreignModel: the model class it links to (or 'self')"
        if isinstance(fm, str):
            return None if fm == "self" else f"foreignModel {fm!r}: give the model class, a callable returning it, or 'self'"
        if isinstance(fm, type) and not issubclass(fm, bindings.modelBase):
            return f"foreignModel {fm.__name__} is not an IndexedRedisModel"
        if not isinstance(fm, type) and not callable(fm):
            return f"foreignModel {fm!r} is not a model class"
        return None

    def makeAccessor(self, modelName: str, model: Any = None) -> Any:
        return ForeignLinkAccessor(self, modelName)

    # ---------------------------------------------------------------- protocol
    def getDefaultValue(self) -> Any:
        return ForeignLink(None, irNull, True, self)

    def fromInput(self, value: Any) -> Any:
        if value is None or value.__class__ is IRNullType:
            return ForeignLink(None, irNull, True, self)
        if isinstance(value, ForeignLink):
            return value.__copy__()._bind(self, None)
        if _isModelObject(value):
            self._checkLinkedModel(value)
            return ForeignLink(value.getPk(), value, True, self)
        return ForeignLink(_toPk(self.name, value), None, False, self)

    def toStorage(self, value: Any) -> bytes:
        if not isinstance(value, ForeignLink):
            value = self.fromInput(value)
        pk = value.pk
        if pk is None:
            if value.isNull():
                return b"IRNullType()"
            raise InvalidValueError(
                f"field {self.name!r} links to a {type(value.obj).__name__} object that is not saved yet; "
                "save it first, or save with cascadeSave=True"
            )
        return str(int(pk)).encode("ascii")

    def fromStorage(self, raw: Any) -> Any:
        return self._decode(raw, None)

    def _decode(self, raw: Any, owner: Any) -> Any:
        if _isNullStored(raw):
            return ForeignLink(None, irNull, True, self, owner)
        try:
            return ForeignLink(int(raw), None, False, self, owner)
        except ValueError:
            raise _unreadable(self.name, raw) from None

    def decoderFor(self, owner: Any) -> Callable[[Any], Any]:
        """``fromStorage`` for the objects of ``owner`` (the holders it makes know their model)."""

        def decode(raw: Any) -> Any:
            return self._decode(raw, owner)

        return decode

    def toIndex(self, value: Any) -> bytes:
        return self.storageToIndex(self.toStorage(self.fromInput(value)))

    def compareValue(self, value: Any) -> Any:
        link = value if isinstance(value, HOLDER_TYPES) else self.fromInput(value)
        return link.compareKey()

    # ---------------------------------------------------------------- helpers for the model
    def holderOf(self, obj: Any) -> Any:
        """The holder this field keeps on ``obj`` (bound to ``obj``'s model), or None."""
        holder = obj.__dict__.get(self.name)
        if isinstance(holder, HOLDER_TYPES):
            if holder.owner is None or holder.field is None:
                holder._bind(self, type(obj))
            return holder
        return None

    def bound(self, value: Any, owner: Any) -> Any:
        """``value`` as a holder of this field for an object of ``owner`` (change reports give these)."""
        if not isinstance(value, HOLDER_TYPES):
            value = self.fromInput(value)
        if value.owner is None or value.field is None:
            value._bind(self, owner)
        return value

    def checkOwner(self, obj: Any) -> None:
        """Bind the holder on ``obj`` to ``obj``'s model, and check the objects it links to against
        that model (for ``'self'`` links, which ``fromInput`` cannot check)."""
        holder = obj.__dict__.get(self.name)
        if isinstance(holder, HOLDER_TYPES):
            holder._bind(self, type(obj))
        if self._foreignModel == "self":
            for linked in self.linkedObjects(obj):
                self._checkLinkedModel(linked, type(obj))

    def linkOf(self, obj: Any) -> Any:
        """The holder this field keeps on ``obj`` (``.pk``, ``.obj``, ``isFetched()``, ``getObj()``)."""
        holder = self.holderOf(obj)
        return holder if holder is not None else obj.__dict__[self.name]

    def pksOf(self, obj: Any) -> Any:
        link = obj.__dict__.get(self.name)
        return link.pk if isinstance(link, ForeignLink) else None

    def linkedObjects(self, obj: Any) -> List[Any]:
        """The linked objects already in memory (fetched or assigned), never fetching."""
        link = obj.__dict__.get(self.name)
        return link.inMemory() if isinstance(link, HOLDER_TYPES) else []

    def missingPks(self, obj: Any) -> List[int]:
        link = obj.__dict__.get(self.name)
        return link.missing() if isinstance(link, HOLDER_TYPES) else []

    def attach(self, obj: Any, found: Any) -> None:
        """Store fetched objects (``{pk: obj}``) into the link of ``obj``."""
        link = obj.__dict__.get(self.name)
        if isinstance(link, HOLDER_TYPES):
            link.attach(found)

    def resolve(self, obj: Any, owner: Any) -> Any:
        link = obj.__dict__.get(self.name)
        if isinstance(link, HOLDER_TYPES):
            return link.resolve(owner)
        return irNull if link is None else link

    def reprValue(self, obj: Any) -> str:
        link = obj.__dict__.get(self.name)
        return "irNull" if not isinstance(link, ForeignLink) or link.isNull() else f"<link pk={link.pk!r}>"

    def valueForDict(self, obj: Any) -> Any:
        return publicValue(obj.__dict__.get(self.name))


class IRForeignMultiLinkField(IRForeignLinkField):
    """An ordered list of links to objects of ``foreignModel`` (or irNull for none).

    Indexable: a filter must give the full list, in order (objects and/or pks).
    """

    isMulti = True

    def getDefaultValue(self) -> Any:
        return ForeignMultiLink([], True, self)

    def fromInput(self, value: Any) -> Any:
        if value is None or value.__class__ is IRNullType:
            return ForeignMultiLink([], True, self)
        if isinstance(value, ForeignMultiLink):
            return value.__copy__()._bind(self, None)
        if _isModelObject(value) or isinstance(value, (int, str, bytes)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise InvalidValueError(f"field {self.name!r} links to several objects; give a list of model objects and/or pks")
        items: List[Any] = []
        allObjects = True
        for item in value:
            if _isModelObject(item):
                self._checkLinkedModel(item)
                items.append(item)
            else:
                items.append(_toPk(self.name, item))
                allObjects = False
        return ForeignMultiLink(items, allObjects, self)

    def toStorage(self, value: Any) -> bytes:
        if not isinstance(value, ForeignMultiLink):
            value = self.fromInput(value)
        pks = value.pk
        if not pks:
            return b"IRNullType()"
        for pk, item in zip(pks, value.items()):
            if pk is None:
                raise InvalidValueError(
                    f"field {self.name!r} links to a {type(item).__name__} object that is not saved yet; "
                    "save it first, or save with cascadeSave=True"
                )
        return ",".join(str(int(pk)) for pk in pks).encode("ascii")

    def _decode(self, raw: Any, owner: Any) -> Any:
        if _isNullStored(raw):
            return ForeignMultiLink([], True, self, owner)
        try:
            return ForeignMultiLink([int(p) for p in raw.split(b",")], False, self, owner)
        except ValueError:
            raise _unreadable(self.name, raw) from None

    def pksOf(self, obj: Any) -> Any:
        link = obj.__dict__.get(self.name)
        return link.pk if isinstance(link, ForeignMultiLink) else []

    def reprValue(self, obj: Any) -> str:
        pks = self.pksOf(obj)
        return "irNull" if not pks else f"<links pks={pks!r}>"


class ForeignLinkAccessor:
    """Class attribute for a link field: assigning takes objects or pks and stores a holder.

    It has no ``__get__``, so reading the attribute finds the holder in the instance dict; the
    model's ``__getattribute__`` (installed only on models with links) resolves it.
    """

    _ir_fieldAccessor = True
    __slots__ = ("field", "name", "modelName")

    def __init__(self, field: IRForeignLinkField, modelName: str) -> None:
        self.field = field
        self.name = field.name
        self.modelName = modelName

    def __set__(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        previous = d.get(self.name)
        try:
            d[self.name] = self.field.fromInput(value)
            self.field.checkOwner(obj)
        except InvalidValueError as exc:
            if previous is not None:
                d[self.name] = previous
            raise InvalidValueError(f"Model {self.modelName}: {exc}") from exc

    def __delete__(self, obj: Any) -> None:
        holder = self.field.getDefaultValue()
        obj.__dict__[self.name] = holder._bind(self.field, type(obj))


# The names IndexedRedis 6.x gave these (the holders and the base of both link field types).
ForeignLinkDataBase = _Holder
ForeignLinkData = ForeignLink
ForeignLinkMultiData = ForeignMultiLink
IRForeignLinkFieldBase = IRForeignLinkField

__all__ = [
    "ForeignLink",
    "ForeignLinkData",
    "ForeignLinkDataBase",
    "ForeignLinkMultiData",
    "ForeignMultiLink",
    "IRForeignLinkField",
    "IRForeignLinkFieldBase",
    "IRForeignMultiLinkField",
    "publicValue",
]
