"""IRQueryableList: fetched objects as a QueryableList, filterable further on the client."""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from QueryableList import QueryableListObjs

from .exceptions import IndexedRedisError, InvalidQueryError, InvalidValueError, ObjectNotFoundError
from .fields.base import _short
from .fields.null import irNull
from .plans import CLIENT_OPERATORS

_M = TypeVar("_M")  # the model class of the objects (for type checkers)


def _isNull(value: Any) -> bool:
    return value is None or value is irNull


def _notNull(value: Any) -> bool:
    return value is not None and value is not irNull


_COMPARE = {
    "lt": lambda v, ref: v < ref,
    "lte": lambda v, ref: v <= ref,
    "gt": lambda v, ref: v > ref,
    "gte": lambda v, ref: v >= ref,
}


class _UserFunctionError(Exception):
    """Carries an exception raised by a caller's customMatch function through QueryableList."""

    def __init__(self, original: BaseException) -> None:
        self.original = original


def _guarded(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        try:
            return func(value)
        except Exception as exc:
            raise _UserFunctionError(exc) from exc

    return call


def _comparison(op: str, ref: Any, key: str) -> Callable[[Any], bool]:
    compare = _COMPARE[op]

    def test(v: Any) -> bool:
        if not _notNull(v):
            return False
        try:
            return bool(compare(v, ref))
        except TypeError as exc:
            raise InvalidQueryError(
                f"client-side filter {key}={_short(ref)} cannot compare {type(ref).__name__} with the "
                f"{type(v).__name__} value {_short(v)}: {exc}. Give a value of the field's type"
            ) from None

    return test


def _containsAny(refs: Any, wanted: bool) -> Callable[[Any], bool]:
    """``containsAny`` (``wanted``) / ``notcontainsAny``: a null value, or one without ``in``, contains nothing."""

    def test(v: Any) -> bool:
        found = False
        if _notNull(v):
            try:
                found = any(ref in v for ref in refs)
            except TypeError:
                found = False
        return found if wanted else not found

    return test


def _nullAware(kwargs: Dict[str, Any], combine: Callable[[Iterable[bool]], bool]) -> Dict[str, Any]:
    """Rewrite the filters that QueryableList gets wrong for unset fields (irNull) into ``customMatch``.

    ``field__isnull=True/False`` also counts irNull as null (QueryableList only knows None), and
    ``lt``/``lte``/``gt``/``gte`` never match a null value, as in SQL (QueryableList would raise
    TypeError, or keep the null in ``filter`` and drop it in ``filterOr``); ``containsAny`` /
    ``notcontainsAny`` read a null value as containing nothing (QueryableList would raise TypeError). ``combine`` joins
    several tests of one field: ``all`` for filter, ``any`` for filterOr.
    """
    out: Dict[str, Any] = {}
    tests: Dict[str, List[Callable[[Any], bool]]] = {}
    for key, value in kwargs.items():
        fieldName, _, op = key.rpartition("__")
        if fieldName and op == "isnull" and isinstance(value, bool):
            tests.setdefault(fieldName, []).append(_isNull if value else _notNull)
        elif fieldName and op in _COMPARE:
            tests.setdefault(fieldName, []).append(_comparison(op, value, key))
        elif fieldName and op in ("containsAny", "notcontainsAny") and isinstance(value, (list, tuple, set, frozenset)):
            tests.setdefault(fieldName, []).append(_containsAny(value, op == "containsAny"))
        elif fieldName and op == "customMatch" and callable(value):
            tests.setdefault(fieldName, []).append(_guarded(value))
        else:
            out[key] = value
    for fieldName, fieldTests in tests.items():
        if len(fieldTests) == 1:
            out[fieldName + "__customMatch"] = fieldTests[0]
        else:
            out[fieldName + "__customMatch"] = lambda v, fieldTests=fieldTests: combine(t(v) for t in fieldTests)
    return out


_CONVERTED_OPS = frozenset(("eq", "ne", "lt", "lte", "gt", "gte", "in", "notin"))


def _convertible(field: Any) -> bool:
    """Fields whose filter values are converted on the client: those with server-side filters
    (indexable) and plain floats; not links (compared by pk or object) nor JSON, bytes or raw values."""
    if getattr(field, "isForeignLink", False):
        return False
    return bool(field.isIndexable) or getattr(field, "_kind", None) == "float"


def _convert(field: Any, value: Any) -> Any:
    """``value`` as the field holds it, or as given when the field cannot convert it (or it is null)."""
    if _isNull(value):
        return value
    try:
        return field.fromInput(value)
    except InvalidValueError:
        return value


def _sortKey(value: Any) -> Tuple[bool, Any]:
    """Nulls (irNull, None) first, then the values in their own order."""
    return (False, 0) if _isNull(value) else (True, value)


class IRQueryableList(QueryableListObjs, Generic[_M]):
    """A list of model objects that supports QueryableList's client-side filters
    (``filter(year__gt=2000)``, ``filterOr``, ``__in``, ``__contains``, ``sort_by``, ...)
    plus operations on all its objects at once.

    Unset fields hold irNull: ``field__isnull=True`` matches irNull as well as None, comparisons
    (``lt``, ``lte``, ``gt``, ``gte``) never match a null value, and ``sort_by`` puts nulls first.
    Lists derived from this one (filters, sorts, slices, ``+``) keep its model, even when empty.
    """

    def __init__(self, val: Iterable[_M] = (), model: "Optional[type[_M]]" = None) -> None:
        super().__init__(val)
        if model is None and isinstance(val, IRQueryableList):
            model = val.getModel()
        self.__model = model
        if model is None and len(self) > 0:
            self.__model = type(self[0])

    def _derived(self, result: Any) -> Any:
        """Give a list derived from this one the same model."""
        if isinstance(result, IRQueryableList) and result.__model is None:
            result.__model = self.getModel()
        return result

    # QueryableList builds derived lists with ``self.__class__()``, which knows no model.
    def filterAnd(self, /, **kwargs: Any) -> "IRQueryableList[_M]":
        return self._clientFilter("filter", QueryableListObjs.filterAnd, kwargs, all)

    filter = filterAnd

    def filterOr(self, /, **kwargs: Any) -> "IRQueryableList[_M]":
        return self._clientFilter("filterOr", QueryableListObjs.filterOr, kwargs, any)

    def _clientFilter(self, what: str, method: Any, kwargs: Dict[str, Any], combine: Callable[[Iterable[bool]], bool]) -> Any:
        """Run a QueryableList filter; a filter it cannot run raises InvalidQueryError (naming the
        model and what to do), an exception of a customMatch function passes through unchanged."""
        for key in kwargs:
            name, sep, op = key.rpartition("__")
            if sep and name and op not in CLIENT_OPERATORS:
                raise InvalidQueryError(self._problem(what, key, None))
        kwargs = self._converted(kwargs)
        try:
            return self._derived(method(self, **_nullAware(kwargs, combine)))
        except _UserFunctionError as wrapped:
            raise wrapped.original from None
        except InvalidQueryError as exc:
            raise InvalidQueryError(self._problem(what, None, str(exc))) from None
        except IndexedRedisError:
            raise
        except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
            # QueryableList's own checks (isnull needs a bool, split* a pair), operators that do
            # not apply to a value (ieq on an int, contains on None...), and comparisons the values
            # themselves refuse (a Decimal signalling NaN).
            raise InvalidQueryError(self._problem(what, None, f"{type(exc).__name__}: {exc}", kwargs)) from exc

    def _converted(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """The filter values converted by their field, as a server-side filter converts them
        (``added__gt='2024-01-10'`` on a datetime field compares datetimes). A value the field
        cannot convert is compared as given (``i__gt=Decimal(4)`` on an int field still works;
        one that cannot be compared raises InvalidQueryError then). Values of operators on text
        or on parts of a value (``contains``, ``ieq``...) and nulls are left as given."""
        from .model import isIndexedRedisModel
        from .schema import getSchema

        model = self.getModel()
        if model is None or not kwargs or not isIndexedRedisModel(model):
            return kwargs  # a list of other objects: QueryableList compares them as they are

        fields = getSchema(model).fieldsByName
        out = dict(kwargs)
        for key, value in kwargs.items():
            name, _, op = key.rpartition("__")
            if not name:
                name, op = key, "eq"
            field = fields.get(name)
            if field is None or op not in _CONVERTED_OPS or not _convertible(field):
                continue
            if op in ("in", "notin"):
                if isinstance(value, (list, tuple, set, frozenset)):
                    out[key] = type(value)(_convert(field, v) for v in value)
            else:
                out[key] = _convert(field, value)
        return out

    def _problem(self, what: str, key: Optional[str], detail: Optional[str], kwargs: Optional[Dict[str, Any]] = None) -> str:
        model = self.getModel()
        owner = f"Model {model.__name__}: " if model is not None else ""
        if key is not None:
            if model is not None:
                from .plans import filterHint
                from .schema import getSchema

                hint = filterHint(getSchema(model), key)
            else:
                hint = f"client-side filters support {', '.join(sorted(CLIENT_OPERATORS))}"
            return f"{owner}client-side {what}({key}=...): {hint}"
        shown = ", ".join(f"{k}={_short(v, 40)}" for k, v in (kwargs or {}).items())
        return f"{owner}client-side {what}({shown}) failed: {detail}" if shown else f"{owner}{detail}"

    def customFilter(self, filterFunc: Any) -> "IRQueryableList[_M]":
        return self._derived(super().customFilter(filterFunc))

    def sort_by(self, fieldName: str, reverse: bool = False) -> "IRQueryableList[_M]":
        getValue = self._get_item_value
        ordered = sorted(self, key=lambda item: _sortKey(getValue(item, fieldName)), reverse=reverse)
        return IRQueryableList(ordered, model=self.getModel())

    def all(self) -> "IRQueryableList[_M]":
        return self._derived(super().all())

    if TYPE_CHECKING:  # pragma: no cover
        # QueryableList has no type hints: say what a list of model objects gives.
        def __iter__(self) -> Iterator[_M]: ...
        def __len__(self) -> int: ...

    @overload
    def __getitem__(self, item: slice) -> "IRQueryableList[_M]": ...
    @overload
    def __getitem__(self, item: int) -> _M: ...
    def __getitem__(self, item: Any) -> Any:
        result = list.__getitem__(self, item)
        if isinstance(item, slice):
            return IRQueryableList(result, model=self.getModel())
        return result

    def __add__(self, other: Any) -> "IRQueryableList[_M]":
        return self._derived(super().__add__(other))

    def __sub__(self, other: Any) -> "IRQueryableList[_M]":
        return self._derived(super().__sub__(other))

    def __or__(self, other: Any) -> "IRQueryableList[_M]":
        return self._derived(super().__or__(other))

    def __and__(self, other: Any) -> "IRQueryableList[_M]":
        return self._derived(super().__and__(other))

    def __xor__(self, other: Any) -> "IRQueryableList[_M]":
        return self._derived(super().__xor__(other))

    def __copy__(self) -> "IRQueryableList[_M]":
        return self._derived(super().__copy__())

    def getModel(self) -> "Optional[type[_M]]":
        """The model of the objects in this list."""
        if self.__model is None and len(self) > 0:
            self.__model = type(self[0])
        return self.__model

    def _saveJob(self, cascadeSave: bool) -> Any:
        from .persistence import saveJob

        model: Any = self.getModel()
        if model is None or len(self) == 0:
            return []
        return (yield from saveJob(model, list(self), cascadeSave=cascadeSave))

    def save(self, cascadeSave: bool = True) -> List[Optional[int]]:
        """Save every object in the list in one atomic step (only changed fields of existing objects)."""
        from .executors.sync import runJob

        return runJob(self._saveJob(cascadeSave))

    async def asave(self, cascadeSave: bool = True) -> List[Optional[int]]:
        """``save()``, awaited."""
        from .executors.async_ import arunJob

        return await arunJob(self._saveJob(cascadeSave))

    def _deleteJob(self) -> Any:
        from .persistence import deleteJob

        model = self.getModel()
        if model is None or len(self) == 0:
            return 0
        return (yield from deleteJob(model, list(self)))

    def delete(self) -> int:
        """Delete every object in the list in one atomic step. Returns how many existed."""
        from .executors.sync import runJob

        return runJob(self._deleteJob())

    async def adelete(self) -> int:
        """``delete()``, awaited."""
        from .executors.async_ import arunJob

        return await arunJob(self._deleteJob())

    def reload(self, cascadeObjects: bool = True) -> List[Union[Dict[str, Tuple[Any, Any]], ObjectNotFoundError]]:
        """Refresh every object in place from Redis (one round trip).

        Returns, per index, ``{field: (old, new)}`` of what changed (links as holders, as
        ``obj.reload()`` gives them), or an ObjectNotFoundError (a KeyError) for an object that
        no longer exists or was never saved. ``cascadeObjects`` as for ``obj.reload()`` (the
        linked objects in memory are read again in one batch per model, for the whole list).
        """
        from .executors.sync import runJob

        return runJob(self._reloadJob(cascadeObjects))

    async def areload(self, cascadeObjects: bool = True) -> List[Union[Dict[str, Tuple[Any, Any]], ObjectNotFoundError]]:
        """``reload()``, awaited."""
        from .executors.async_ import arunJob

        return await arunJob(self._reloadJob(cascadeObjects))

    def _reloadJob(self, cascadeObjects: bool) -> Any:
        model: Any = self.getModel()
        if model is None or len(self) == 0:
            return []
        from .foreignfetch import getMultipleJob, linksThatDiffer
        from .model import applyFetched
        from .schema import getSchema

        schema = getSchema(model)
        objs: List[Any] = list(self)
        found = yield from getMultipleJob(model, [o.getPk() for o in objs if o.getPk() is not None])
        fresh = {o.getPk(): o for o in found}
        differing: Dict[int, List[str]] = {}
        if cascadeObjects and schema.foreignFields:
            differing = yield from linksThatDiffer([(o, fresh[o.getPk()]) for o in objs if o.getPk() in fresh])
        out: List[Union[Dict[str, Tuple[Any, Any]], ObjectNotFoundError]] = []
        for obj in objs:
            pk = obj.getPk()
            new = fresh.get(pk)
            if new is None:
                why = "the object was never saved" if pk is None else f"object pk={pk} no longer exists in Redis"
                out.append(ObjectNotFoundError(f"Model {schema.modelName}: cannot reload: {why}"))
                continue
            out.append(applyFetched(schema, obj, new, cascadeObjects, differing.get(id(obj), ())))
        return out

    def refetch(self) -> "IRQueryableList[_M]":
        """Fetch every object of the list again by pk; returns a new list (filters are not re-run)."""
        model: Any = self.getModel()
        if model is None or len(self) == 0:
            return IRQueryableList([], model=model)
        objs: List[Any] = list(self)
        return model.objects.getMultiple([o.getPk() for o in objs if o.getPk() is not None])

    async def arefetch(self) -> "IRQueryableList":
        """``refetch()``, awaited."""
        model: Any = self.getModel()
        if model is None or len(self) == 0:
            return IRQueryableList([], model=model)
        objs: List[Any] = list(self)
        return await model.objects.agetMultiple([o.getPk() for o in objs if o.getPk() is not None])


__all__ = ["IRQueryableList"]
