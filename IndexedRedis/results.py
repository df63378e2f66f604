"""IRQueryableList: fetched objects as a QueryableList, filterable further on the client."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from QueryableList import QueryableListObjs

from .exceptions import ObjectNotFoundError


class IRQueryableList(QueryableListObjs):
    """A list of model objects that supports QueryableList's client-side filters
    (``filter(year__gt=2000)``, ``filterOr``, ``__in``, ``__contains``, ``sort_by``, ...)
    plus operations on all its objects at once.
    """

    def __init__(self, val: Iterable[Any] = (), model: Optional[type] = None) -> None:
        super().__init__(val)
        self.__model = model
        if model is None and len(self) > 0:
            self.__model = type(self[0])

    def getModel(self) -> Optional[type]:
        """The model of the objects in this list."""
        if self.__model is None and len(self) > 0:
            self.__model = type(self[0])
        return self.__model

    def save(self, cascadeSave: bool = True) -> List[Optional[int]]:
        """Save every object in the list in one atomic step (only changed fields of existing objects)."""
        model = self.getModel()
        if model is None or len(self) == 0:
            return []
        from .persistence import saveObjects

        return saveObjects(model, list(self), cascadeSave=cascadeSave)

    def delete(self) -> int:
        """Delete every object in the list in one atomic step. Returns how many existed."""
        model = self.getModel()
        if model is None or len(self) == 0:
            return 0
        from .persistence import deleteObjects

        return deleteObjects(model, list(self))

    def reload(self, cascadeObjects: bool = True) -> List[Union[Dict[str, Tuple[Any, Any]], ObjectNotFoundError]]:
        """Refresh every object in place from Redis (one round trip).

        Returns, per index, ``{field: (old, new)}`` of what changed, or an ObjectNotFoundError
        (a KeyError) for an object that no longer exists.
        """
        model = self.getModel()
        if model is None or len(self) == 0:
            return []
        from .schema import getSchema

        schema = getSchema(model)
        fresh = {o.getPk(): o for o in model.objects.getMultiple([o.getPk() for o in self if o.getPk() is not None])}
        out: List[Union[Dict[str, Tuple[Any, Any]], ObjectNotFoundError]] = []
        for obj in self:
            new = fresh.get(obj.getPk())
            if new is None:
                out.append(ObjectNotFoundError(f"Model {schema.modelName}: object pk={obj.getPk()} no longer exists in Redis"))
                continue
            changes = {}
            for name, _, field in schema.decoders:
                old = obj.__dict__.get(name)
                if field.compareValue(old) != field.compareValue(new.__dict__[name]):
                    changes[name] = (old, new.__dict__[name])
                obj.__dict__[name] = new.__dict__[name]
            obj.__dict__["_ir_stored"] = new.__dict__["_ir_stored"]
            obj.__dict__.pop("_ir_partial", None)
            out.append(changes)
        return out

    def refetch(self) -> "IRQueryableList":
        """Fetch every object of the list again by pk; returns a new list (filters are not re-run)."""
        model = self.getModel()
        if model is None or len(self) == 0:
            return IRQueryableList([], model=model)
        return model.objects.getMultiple([o.getPk() for o in self if o.getPk() is not None])


__all__ = ["IRQueryableList"]
