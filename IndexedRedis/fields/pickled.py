"""IRPickleField: any picklable object, pickled in storage.

Warning: unpickling runs code chosen by whoever wrote the bytes. Only read an IRPickleField
from a Redis that nobody untrusted can write to.
"""

from __future__ import annotations

import pickle
from typing import Any

from ..exceptions import InvalidValueError
from .base import IRField
from .null import irNull

PICKLE_PROTOCOL = 4  # readable by Python 3.4+


class IRPickleField(IRField[Any]):
    """Any picklable object (pickle protocol 4). Not indexable.

    Unpickling runs code: only use it with a Redis that untrusted parties cannot write to.
    """

    CAN_INDEX = False
    STORED_IS_TEXT = False
    NOT_INDEXABLE_REASON = "pickle output is not canonical (it differs between Python versions and object states)"

    def __init__(self, name: str = "", defaultValue: Any = irNull) -> None:
        super().__init__(name, valueType=object, defaultValue=defaultValue, hashIndex=False)

    def getDefaultValue(self) -> Any:
        import copy

        default = self.defaultValue
        return irNull if default is irNull or default is None else copy.deepcopy(default)

    def _fromInput(self, value: Any) -> Any:
        return value

    def _toStorage(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=PICKLE_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise InvalidValueError(f"field {self.name!r} (IRPickleField) cannot pickle {type(value).__name__}: {exc}") from exc

    def _fromStorage(self, raw: bytes) -> Any:
        return pickle.loads(raw)

    def compareValue(self, value: Any) -> Any:
        try:
            return self.toStorage(value)
        except InvalidValueError:
            return ("unpicklable", id(value))


__all__ = ["IRPickleField", "PICKLE_PROTOCOL"]
