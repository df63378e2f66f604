"""``irNull``: the value of a field that holds nothing.

It equals only itself (not ``''``, not ``0``, not ``None``; a link holder of no link equals it
too), is falsy, has ``len`` 0, and is stored as
``IRNullType()`` so that ``filter(field=irNull)`` finds unset values.

So a text or bytes value that *is* that text reads back as irNull, as in IndexedRedis 6.0.3. A
model with ``NULL_MARKER_ESCAPE = True`` stores such a value as ``NULL_MARKER_ESCAPE_PREFIX``
followed by it (and a value that starts with the prefix gets one more), and reads it back as
written; 6.0.3 reads those few values with the prefix.
"""

from __future__ import annotations

IR_NULL_STR = "IRNullType()"
IR_NULL_BYTES = b"IRNullType()"
IR_NULL_UNICODE = IR_NULL_STR
IR_NULL_STRINGS = (IR_NULL_STR, IR_NULL_BYTES)  # the stored null marker, as text and as bytes
NULL_MARKER_ESCAPE_PREFIX = b"\x00IRlit\x00"  # models with NULL_MARKER_ESCAPE: "the value that follows is literal"


class IRNullType:
    """The type of the ``irNull`` singleton."""

    _instance = None
    __slots__ = ()

    def __new__(cls) -> "IRNullType":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __eq__(self, other: object) -> bool:
        # Anything else decides for itself (a link holder of no link equals irNull); for
        # every other type Python then falls back to identity: not equal.
        return True if isinstance(other, IRNullType) else NotImplemented  # type: ignore[return-value]

    def __ne__(self, other: object) -> bool:
        return False if isinstance(other, IRNullType) else NotImplemented  # type: ignore[return-value]

    def __hash__(self) -> int:
        return hash(IR_NULL_STR)

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0  # an empty multi link reads as irNull: len() works on it as on an empty list

    def __repr__(self) -> str:
        return "irNull"

    def __str__(self) -> str:
        return ""

    def __reduce__(self):
        return (IRNullType, ())

    def __copy__(self) -> "IRNullType":
        return self

    def __deepcopy__(self, memo) -> "IRNullType":
        return self


irNull = IRNullType()

__all__ = [
    "NULL_MARKER_ESCAPE_PREFIX",
    "IRNullType",
    "IR_NULL_BYTES",
    "IR_NULL_STR",
    "IR_NULL_STRINGS",
    "IR_NULL_UNICODE",
    "irNull",
]
