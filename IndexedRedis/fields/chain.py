"""IRFieldChain: several field types applied one after another to one value."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ..compat_str import getDefaultIREncoding
from ..exceptions import InvalidValueError
from .base import IRField
from .null import irNull


class IRFieldChain(IRField[Any]):
    """``IRFieldChain(name, [IRUnicodeField(encoding='utf-16'), IRCompressedField()], defaultValue=...)``

    On store the value passes through the links left to right (each link's stored bytes are the
    next link's input); on fetch right to left. The leftmost link defines the python type.
    ``defaultValue`` given to a link is ignored; the chain's own applies. Indexable only if
    every link is.
    """

    def __init__(
        self, name: str = "", chainedFields: Sequence[Any] = (), defaultValue: Any = irNull, hashIndex: bool = False
    ) -> None:
        links: List[Any] = []
        for link in chainedFields or ():
            if isinstance(link, type) and issubclass(link, IRField):
                link = link()
            links.append(link)
        self.chainedFields = links
        # Indexed by md5 when the last link is (Unicode, Bytes, Base64, Compressed) or when asked.
        lastHashes = bool(links) and bool(getattr(links[-1], "hashIndex", False))
        super().__init__(name, valueType=None, defaultValue=defaultValue, hashIndex=bool(hashIndex) or lastHashes)
        self.__dict__.pop("KEEPS_ASSIGNED", None)  # the first link decides what the object holds

    @property
    def storedIsText(self) -> bool:  # type: ignore[override]
        """As the last link stores: ``[IRBase64Field, IRField]`` gives str, ``[..., IRCompressedField]`` bytes."""
        last = self.chainedFields[-1] if self.chainedFields else None
        return bool(last is not None and isinstance(last, IRField) and last.storedIsText)

    def forStorageDict(self, value: Any) -> Any:
        stored = self.toStorage(value)
        return stored.decode(getDefaultIREncoding()) if self.storedIsText else stored

    def _definitionProblem(self) -> Optional[str]:
        if not self.chainedFields:
            return "IRFieldChain needs at least one field in chainedFields"
        for i, link in enumerate(self.chainedFields):
            if not isinstance(link, IRField):
                return f"chainedFields[{i}] is {link!r}, not an IRField"
            if isinstance(link, IRFieldChain):
                return f"chainedFields[{i}] is itself an IRFieldChain; list its links directly"
            if getattr(link, "isForeignLink", False):
                return f"chainedFields[{i}] is a link field; links cannot be chained"
            problem = link._definitionProblem()
            if problem:
                return f"chainedFields[{i}] ({type(link).__name__}): {problem}"
        return None

    @property
    def isIndexable(self) -> bool:
        return all(isinstance(link, IRField) and link.isIndexable for link in self.chainedFields) and bool(self.chainedFields)

    @property
    def notIndexableReason(self) -> str:
        for i, link in enumerate(self.chainedFields):
            if isinstance(link, IRField) and not link.isIndexable:
                return f"chainedFields[{i}] ({type(link).__name__}) cannot be indexed: {link.notIndexableReason}"
        return "a chain is indexable only if every link is"

    def _typeLabel(self) -> str:
        return "IRFieldChain(" + ", ".join(type(link).__name__ for link in self.chainedFields) + ")"

    def _fromInput(self, value: Any) -> Any:
        return self.chainedFields[0]._fromInput(value)

    def _toStorage(self, value: Any) -> bytes:
        data: Any = value
        for link in self.chainedFields:
            try:
                data = link._toStorage(link._fromInput(data))
            except InvalidValueError as exc:
                raise InvalidValueError(f"field {self.name!r}, link {type(link).__name__}: {exc}") from exc
        return data

    def _fromStorage(self, raw: bytes) -> Any:
        data: Any = raw
        for link in reversed(self.chainedFields):
            if isinstance(data, str):
                data = data.encode("utf-8")
            data = link._fromStorage(data)
        return data

    def compareValue(self, value: Any) -> Any:
        return self.toStorage(value)


__all__ = ["IRFieldChain"]
