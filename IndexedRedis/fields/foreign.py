"""Links between models: IRForeignLinkField (one object) and IRForeignMultiLinkField (an ordered list).

A link is stored as the linked pk (``b'12'``), a multi link as the pks joined by commas
(``b'12,7,30'``); no link is stored as irNull. On the object the field holds a ``ForeignLink``
(or ``ForeignMultiLink``) that keeps the pk(s) and, once fetched, the object(s):

* ``obj.author`` fetches the linked object on first access (one HGETALL), then keeps it;
* ``obj.author__id`` gives the pk (a list of pks for multi links) without fetching;
* ``Model.FIELDS['author'].linkOf(obj).isFetched()`` tells whether it was fetched.

A link to an object deleted since reads as irNull; a multi link leaves deleted objects out.
Either way the stored pk(s) stay on the link (``obj.author__id``) until a new value is assigned,
so reading a link never makes the object look changed.
``foreignModel`` may be a model class, a zero-argument callable returning one (for models
defined later), or the string ``'self'`` for a link to the model the field is on.
"""

from __future__ import annotations

from typing import Any, List, Optional

from ..exceptions import InvalidValueError
from ..keys import pkOf
from .base import IRField, _short
from .null import IRNullType, irNull


class ForeignLink:
    """The value a single link holds on an object: the pk and, once fetched, the object."""

    __slots__ = ("pk", "obj", "fetched")

    def __init__(self, pk: Optional[int] = None, obj: Any = None, fetched: bool = False) -> None:
        self.pk = pk
        self.obj = obj
        self.fetched = fetched

    def isFetched(self) -> bool:
        return self.fetched

    def currentPk(self) -> Optional[int]:
        if self.obj is not None and self.obj is not irNull:
            return self.obj.getPk()
        return self.pk

    def __copy__(self) -> "ForeignLink":
        return ForeignLink(self.pk, self.obj, self.fetched)

    def __repr__(self) -> str:
        return f"ForeignLink(pk={self.currentPk()!r}, fetched={self.fetched})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ForeignLink):
            return self.currentPk() == other.currentPk()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class ForeignMultiLink:
    """The value a multi link holds: the pks in order and, once fetched, the objects."""

    __slots__ = ("pks", "objs", "fetched")

    def __init__(self, pks: Optional[List[Any]] = None, objs: Optional[List[Any]] = None, fetched: bool = False) -> None:
        self.pks = pks or []
        self.objs = objs  # list of objects or pks (not yet saved objects stay objects)
        self.fetched = fetched

    def isFetched(self) -> bool:
        return self.fetched

    def currentPks(self) -> List[Optional[int]]:
        if self.objs is not None:
            return [o.getPk() if hasattr(o, "getPk") else o for o in self.objs]
        return list(self.pks)

    def __copy__(self) -> "ForeignMultiLink":
        return ForeignMultiLink(list(self.pks), list(self.objs) if self.objs is not None else None, self.fetched)

    def __repr__(self) -> str:
        return f"ForeignMultiLink(pks={self.currentPks()!r}, fetched={self.fetched})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ForeignMultiLink):
            return self.currentPks() == other.currentPks()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def publicValue(value: Any) -> Any:
    """A link's value as asDict, diff and getUpdatedFields show it: the pk (a list of pks for a
    multi link), irNull for no link; a linked object not saved yet shows as the object itself."""
    if isinstance(value, ForeignLink):
        pk = value.currentPk()
        if pk is not None:
            return pk
        return value.obj if value.obj is not None else irNull
    if isinstance(value, ForeignMultiLink):
        items = value.objs if value.objs is not None else value.pks
        out = [o.getPk() if _isModelObject(o) and o.getPk() is not None else o for o in items]
        return out if out else irNull
    return irNull if value is None else value


def _isModelObject(value: Any) -> bool:
    from ..model import IndexedRedisModel

    return isinstance(value, IndexedRedisModel)


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


class IRForeignLinkField(IRField):
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
        from ..schema import getSchema

        if self._foreignModel == "self" and owner is None:
            return
        try:
            fm = self.foreignModelFor(owner)
        except Exception:  # a callable that cannot answer yet: the model is checked when it is first used
            return
        if not isinstance(fm, type):
            return
        if getSchema(type(value)).keyName != getSchema(fm).keyName:
            raise InvalidValueError(
                f"field {self.name!r} links to {fm.__name__} objects; got a {type(value).__name__} object. "
                f"Give a {fm.__name__} object, its pk, or irNull"
            )

    def _definitionProblem(self) -> Optional[str]:
        from ..model import IndexedRedisModel

        fm = self._foreignModel
        if fm is None:
            return "IRForeignLinkField needs foreignModel: the model class it links to (or 'self')"
        if isinstance(fm, str):
            return None if fm == "self" else f"foreignModel {fm!r}: give the model class, a callable returning it, or 'self'"
        if isinstance(fm, type) and not issubclass(fm, IndexedRedisModel):
            return f"foreignModel {fm.__name__} is not an IndexedRedisModel"
        if not isinstance(fm, type) and not callable(fm):
            return f"foreignModel {fm!r} is not a model class"
        return None

    def makeAccessor(self, modelName: str, model: Any = None) -> Any:
        return ForeignLinkAccessor(self, modelName)

    # ---------------------------------------------------------------- protocol
    def getDefaultValue(self) -> Any:
        return ForeignLink(None, irNull, True)

    def fromInput(self, value: Any) -> Any:
        if value is None or value.__class__ is IRNullType:
            return ForeignLink(None, irNull, True)
        if isinstance(value, ForeignLink):
            return value.__copy__()
        if _isModelObject(value):
            self._checkLinkedModel(value)
            return ForeignLink(value.getPk(), value, True)
        return ForeignLink(_toPk(self.name, value), None, False)

    def toStorage(self, value: Any) -> bytes:
        if not isinstance(value, ForeignLink):
            value = self.fromInput(value)
        pk = value.currentPk()
        if pk is None:
            if value.obj is irNull or value.obj is None:
                return b"IRNullType()"
            raise InvalidValueError(
                f"field {self.name!r} links to a {type(value.obj).__name__} object that is not saved yet; "
                "save it first, or save with cascadeSave=True"
            )
        return str(int(pk)).encode("ascii")

    def fromStorage(self, raw: Any) -> Any:
        if raw is None or raw == b"IRNullType()" or raw == b"":
            return ForeignLink(None, irNull, True)
        try:
            return ForeignLink(int(raw), None, False)
        except ValueError:
            raise _unreadable(self.name, raw) from None

    def toIndex(self, value: Any) -> bytes:
        return self.storageToIndex(self.toStorage(self.fromInput(value)))

    def compareValue(self, value: Any) -> Any:
        link = value if isinstance(value, ForeignLink) else self.fromInput(value)
        pk = link.currentPk()
        return ("pk", pk) if pk is not None or link.obj is irNull or link.obj is None else ("obj", id(link.obj))

    # ---------------------------------------------------------------- helpers for the model
    def checkOwner(self, obj: Any) -> None:
        """Check the objects ``obj`` now links to through this field against ``obj``'s own model
        (for ``'self'`` links, which ``fromInput`` cannot check)."""
        if self._foreignModel == "self":
            for linked in self.linkedObjects(obj):
                self._checkLinkedModel(linked, type(obj))

    def linkOf(self, obj: Any) -> ForeignLink:
        """The ForeignLink this field holds on ``obj`` (pk, object, isFetched())."""
        return obj.__dict__[self.name]

    def pksOf(self, obj: Any) -> Any:
        link = obj.__dict__.get(self.name)
        return link.currentPk() if isinstance(link, ForeignLink) else None

    def linkedObjects(self, obj: Any) -> List[Any]:
        """The linked objects already in memory (fetched or assigned), never fetching."""
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignLink) and link.obj is not None and link.obj is not irNull:
            return [link.obj]
        return []

    def missingPks(self, obj: Any) -> List[int]:
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignLink) and not link.fetched and link.pk is not None:
            return [link.pk]
        return []

    def attach(self, obj: Any, found: Any) -> None:
        """Store fetched objects (``{pk: obj}``) into the link of ``obj``."""
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignLink) and not link.fetched:
            target = found.get(link.pk)
            link.obj = target if target is not None else irNull
            link.fetched = True

    def resolve(self, obj: Any, owner: Any) -> Any:
        link = obj.__dict__.get(self.name)
        if not isinstance(link, ForeignLink):
            return irNull
        if not link.fetched:
            fm = self.foreignModelFor(owner)
            target = fm.objects.get(link.pk)
            link.obj = target if target is not None else irNull
            link.fetched = True
        return link.obj

    def reprValue(self, obj: Any) -> str:
        pk = self.pksOf(obj)
        return "irNull" if pk is None and self.linkedObjects(obj) == [] else f"<link pk={pk!r}>"

    def valueForDict(self, obj: Any) -> Any:
        return publicValue(obj.__dict__.get(self.name))


class IRForeignMultiLinkField(IRForeignLinkField):
    """An ordered list of links to objects of ``foreignModel`` (or irNull for none).

    Indexable: a filter must give the full list, in order (objects and/or pks).
    """

    isMulti = True

    def getDefaultValue(self) -> Any:
        return ForeignMultiLink([], [], True)

    def makeAccessor(self, modelName: str, model: Any = None) -> Any:
        return ForeignLinkAccessor(self, modelName)

    def fromInput(self, value: Any) -> Any:
        if value is None or value.__class__ is IRNullType:
            return ForeignMultiLink([], [], True)
        if isinstance(value, ForeignMultiLink):
            return value.__copy__()
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
        if allObjects:
            return ForeignMultiLink([o.getPk() for o in items], items, True)
        return ForeignMultiLink([i.getPk() if _isModelObject(i) else i for i in items], items, False)

    def toStorage(self, value: Any) -> bytes:
        if not isinstance(value, ForeignMultiLink):
            value = self.fromInput(value)
        pks = value.currentPks()
        if not pks:
            return b"IRNullType()"
        for pk, item in zip(pks, value.objs if value.objs is not None else pks):
            if pk is None:
                raise InvalidValueError(
                    f"field {self.name!r} links to a {type(item).__name__} object that is not saved yet; "
                    "save it first, or save with cascadeSave=True"
                )
        return ",".join(str(int(pk)) for pk in pks).encode("ascii")

    def fromStorage(self, raw: Any) -> Any:
        if raw is None or raw == b"IRNullType()" or raw == b"":
            return ForeignMultiLink([], [], True)
        try:
            return ForeignMultiLink([int(p) for p in raw.split(b",")], None, False)
        except ValueError:
            raise _unreadable(self.name, raw) from None

    def compareValue(self, value: Any) -> Any:
        link = value if isinstance(value, ForeignMultiLink) else self.fromInput(value)
        items = link.objs if link.objs is not None else link.pks
        return tuple(
            ("pk", o.getPk())
            if _isModelObject(o) and o.getPk() is not None
            else ("obj", id(o))
            if _isModelObject(o)
            else ("pk", o)
            for o in items
        )

    def pksOf(self, obj: Any) -> Any:
        link = obj.__dict__.get(self.name)
        return link.currentPks() if isinstance(link, ForeignMultiLink) else []

    def linkedObjects(self, obj: Any) -> List[Any]:
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignMultiLink) and link.objs:
            return [o for o in link.objs if _isModelObject(o)]
        return []

    def missingPks(self, obj: Any) -> List[int]:
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignMultiLink) and not link.fetched:
            if link.objs is None:
                return list(link.pks)
            return [o for o in link.objs if not _isModelObject(o)]
        return []

    def attach(self, obj: Any, found: Any) -> None:
        link = obj.__dict__.get(self.name)
        if isinstance(link, ForeignMultiLink) and not link.fetched:
            items = link.objs if link.objs is not None else link.pks
            objs: List[Any] = []
            for item in items:
                if _isModelObject(item):
                    objs.append(item)
                elif found.get(item) is not None:
                    objs.append(found[item])
                else:
                    # Deleted since: reading leaves it out, but the link keeps its pk as stored, so
                    # merely reading does not make the object look changed (as for a single link).
                    objs.append(item)
            link.objs = objs
            link.fetched = True

    def resolve(self, obj: Any, owner: Any) -> Any:
        link = obj.__dict__.get(self.name)
        if not isinstance(link, ForeignMultiLink):
            return irNull
        if not link.fetched:
            fm = self.foreignModelFor(owner)
            missing = self.missingPks(obj)
            found = {o.getPk(): o for o in fm.objects.getMultiple(missing)} if missing else {}
            self.attach(obj, found)
        live = [o for o in link.objs or () if _isModelObject(o)]
        return live if live else irNull

    def reprValue(self, obj: Any) -> str:
        pks = self.pksOf(obj)
        return "irNull" if not pks else f"<links pks={pks!r}>"

    def valueForDict(self, obj: Any) -> Any:
        return publicValue(obj.__dict__.get(self.name))


class ForeignLinkAccessor:
    """Class attribute for a link field: reading fetches lazily, assigning takes objects or pks."""

    _ir_fieldAccessor = True
    __slots__ = ("field", "name", "modelName")

    def __init__(self, field: IRForeignLinkField, modelName: str) -> None:
        self.field = field
        self.name = field.name
        self.modelName = modelName

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self.field
        return self.field.resolve(obj, type(obj))

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
        obj.__dict__[self.name] = self.field.getDefaultValue()


__all__ = ["ForeignLink", "ForeignMultiLink", "IRForeignLinkField", "IRForeignMultiLinkField", "publicValue"]
