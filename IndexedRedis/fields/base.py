"""IRField: the field protocol every field type follows, and the plain typed field.

A field is a ``str`` equal to its name (so ``'name' in Model.FIELDS`` and
``dict[field]`` work as in IndexedRedis 6.0.3) that also knows how to convert values.

Public protocol (handles null and hashing once, for every type)::

    fromInput(value)   -> python value   what the user assigned, converted and checked
    toStorage(value)   -> bytes          python value -> what is written to the hash
    fromStorage(raw)   -> python value   bytes read from the hash -> python value
    toIndex(value)     -> bytes          the VALUE part of the index key (md5 hex with hashIndex)

A field type overrides only the private hooks, which never see null:
``_fromInput``, ``_toStorage``, ``_fromStorage``, and may set ``CAN_INDEX`` /
``NOT_INDEXABLE_REASON`` and override ``_definitionProblem``.
"""

from __future__ import annotations

import copy as _copy
import datetime
import hashlib
import json
import sys
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, SupportsIndex, TypeVar, Union, overload

from ..compat_str import getDefaultIREncoding
from ..exceptions import InvalidValueError
from .null import IR_NULL_BYTES, NULL_MARKER_ESCAPE_PREFIX, IRNullType, irNull

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

# The python type of a field's value, for type checkers: ``IRField[int]``. Only typing uses it.
_T = TypeVar("_T")


def _typeName(value: Any) -> str:
    return type(value).__name__


_settingsVersion = 0


def fieldSettingsVersion() -> int:
    """A number that changes whenever a setting of any field changes (see ``IRField.__setattr__``);
    tables derived from field settings (the codecs) are rebuilt when it moved."""
    return _settingsVersion


class IRField(str, Generic[_T]):
    """A named field, optionally typed with ``valueType``.

    ``IRField(name, valueType=str, defaultValue=irNull, hashIndex=False)``

    valueType may be ``str`` (default; text in the default encoding), ``int``, ``float``
    (not indexable), ``bool``, ``datetime.datetime``, ``datetime.date``, ``dict`` / ``list`` (JSON, not
    indexable), ``bytes`` (no conversion), ``None`` (bytes, no conversion), or any class that
    can be built from its stored string (``valueType(str)``) and whose ``str()`` stores it.
    """

    CAN_INDEX = True
    NOT_INDEXABLE_REASON = ""
    # True where assignment keeps the value exactly as given (fetched values are bytes); see
    # IndexedRedisModel.CONVERT_ON_ASSIGN.
    KEEPS_ASSIGNED = False
    _codecIndexable = True
    _codecReason = ""
    # Set by the model's schema when the model has NULL_MARKER_ESCAPE (see fields/null.py).
    _ir_escapeNull = False

    def __new__(cls, name: str = "", *args: Any, **kwargs: Any) -> "IRField":
        if not isinstance(name, str):
            raise InvalidValueError(f"A field name must be a str, not {_typeName(name)} ({name!r})")
        return str.__new__(cls, name)

    # What type checkers infer from valueType (``IRField[int]``); the last definition runs.
    @overload
    def __init__(self: "IRField[str]", name: str = "", *, defaultValue: Any = irNull, hashIndex: bool = False) -> None: ...
    @overload
    def __init__(
        self: "IRField[Union[str, bytes]]", name: str, valueType: None, defaultValue: Any = irNull, hashIndex: bool = False
    ) -> None: ...
    @overload
    def __init__(
        self: "IRField[Union[str, bytes]]",
        name: str = "",
        *,
        valueType: None,
        defaultValue: Any = irNull,
        hashIndex: bool = False,
    ) -> None: ...
    @overload
    def __init__(
        self: "IRField[_T]", name: str, valueType: Callable[..., _T], defaultValue: Any = irNull, hashIndex: bool = False
    ) -> None: ...
    @overload
    def __init__(
        self: "IRField[_T]",
        name: str = "",
        *,
        valueType: Callable[..., _T],
        defaultValue: Any = irNull,
        hashIndex: bool = False,
    ) -> None: ...
    @overload
    def __init__(
        self: "IRField[Any]", name: str = "", valueType: Any = str, defaultValue: Any = irNull, hashIndex: bool = False
    ) -> None: ...  # anything else the run time accepts (``valueType='str'``): Any
    def __init__(self, name: str = "", valueType: Any = str, defaultValue: Any = irNull, hashIndex: bool = False) -> None:
        self.valueType = valueType
        self.defaultValue = defaultValue
        self.hashIndex = bool(hashIndex)
        self._setupCodec()
        self._ready()

    if TYPE_CHECKING:  # pragma: no cover
        # A field declared as a model attribute reads as its value on an object. At run time the
        # model's FieldAccessor (no __get__: reads hit the instance dict) holds the class attribute.
        @overload
        def __get__(self, obj: None, owner: Any) -> Any: ...
        @overload
        def __get__(self, obj: object, owner: Any) -> _T: ...
        def __get__(self, obj: Any, owner: Any) -> Any: ...
        def __set__(self, obj: Any, value: Any) -> None: ...

    def __setattr__(self, name: str, value: Any) -> None:
        # A setting changed on a live field (``Model.FIELDS['price'].decimalPlaces = 5``) takes
        # effect at once: derived state is recomputed and the codec tables are rebuilt.
        object.__setattr__(self, name, value)
        if not name.startswith("_") and "_ir_ready" in self.__dict__:
            global _settingsVersion
            _settingsVersion += 1
            self._settingChanged(name)

    def _settingChanged(self, name: str) -> None:
        """Recompute what derives from the setting ``name`` (a field type extends this)."""
        if name == "valueType":
            self._setupCodec()

    def _ready(self) -> None:
        """Called at the end of __init__: from now on, setting changes are tracked."""
        self.__dict__["_ir_ready"] = True

    # ----------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        extra = []
        vt = getattr(self, "valueType", str)
        if vt is not str and type(self) is IRField:
            extra.append(f"valueType={getattr(vt, '__name__', vt)!r}")
        if getattr(self, "hashIndex", False):
            extra.append("hashIndex=True")
        inner = ", ".join([repr(self.name)] + extra)
        return f"{type(self).__name__}({inner})"

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (_rebuildField, (type(self), self.name, dict(self.__dict__)))

    def _stateForCopy(self) -> dict:
        """The attributes a copy of this field starts with (not what a model's schema set on it)."""
        state = dict(self.__dict__)
        state.pop("_ir_escapeNull", None)
        state.pop("_ir_escapeNullBy", None)
        return state

    def __copy__(self) -> Self:
        return _rebuildField(type(self), self.name, self._stateForCopy())

    def __deepcopy__(self, memo: dict) -> Self:
        return _rebuildField(type(self), self.name, _copy.deepcopy(self._stateForCopy(), memo))

    def copy(self) -> Self:
        """A copy of this field (same name and settings), e.g. to put in another model's FIELDS."""
        return self.__copy__()

    def copyWithName(self, name: str) -> Self:
        """Return a copy of this field under another name (used by chains)."""
        return _rebuildField(type(self), name, self._stateForCopy())

    # ----------------------------------------------------------------- indexing
    @property
    def isIndexable(self) -> bool:
        return self.CAN_INDEX and self._codecIndexable

    @property
    def notIndexableReason(self) -> str:
        return self.NOT_INDEXABLE_REASON or getattr(self, "_codecReason", "") or "this field type cannot be indexed"

    def _definitionProblem(self) -> Optional[str]:
        """Return why this field is defined wrongly, or None. Checked when the model is first used."""
        return self._definitionProblemOfType()

    # ----------------------------------------------------------------- defaults
    def getDefaultValue(self) -> Any:
        """The value of this field on a new object (a fresh copy for mutable defaults)."""
        default = self.defaultValue
        if default is irNull or default is None:
            return irNull
        if isinstance(default, (list, dict, set, bytearray)):
            default = _copy.deepcopy(default)
        return self.fromInput(default)

    # ----------------------------------------------------------------- public protocol
    def fromInput(self, value: Any) -> Any:
        """Convert a value given by the user (assignment, constructor, filter) to the field's type."""
        if value is None or value.__class__ is IRNullType:
            return irNull
        try:
            return self._fromInput(value)
        except InvalidValueError as exc:
            if repr(self.name) in str(exc):
                raise
            raise InvalidValueError(f"field {self.name!r} ({self._typeLabel()}): {exc}") from exc
        except (ValueError, TypeError, ArithmeticError, UnicodeError) as exc:
            raise InvalidValueError(
                f"field {self.name!r} ({self._typeLabel()}) cannot hold {_typeName(value)} value {_short(value)}: {exc}"
            ) from exc

    def toStorage(self, value: Any) -> bytes:
        """The bytes written to Redis for an already converted value."""
        if value is irNull or value is None:
            return IR_NULL_BYTES
        try:
            out = self._toStorage(value)
        except InvalidValueError as exc:
            if repr(self.name) in str(exc):
                raise
            raise InvalidValueError(f"field {self.name!r} ({self._typeLabel()}): {exc}") from exc
        except (ValueError, TypeError, ArithmeticError, UnicodeError) as exc:
            raise InvalidValueError(
                f"field {self.name!r} ({self._typeLabel()}) cannot store {_typeName(value)} value {_short(value)}: {exc}"
            ) from exc
        if out.__class__ is not bytes:
            out = self._storedBytes(out)
        if self._ir_escapeNull and (out == IR_NULL_BYTES or out.startswith(NULL_MARKER_ESCAPE_PREFIX)):
            return NULL_MARKER_ESCAPE_PREFIX + out  # a value, not the null marker
        return out

    def _storedBytes(self, out: Any) -> bytes:
        """Bytes for what a field type's ``_toStorage`` returned when it is not bytes (custom fields
        may return str), as Redis would store it; so change tracking compares like with like."""
        if isinstance(out, str):
            return out.encode(getDefaultIREncoding())
        if isinstance(out, (bytes, bytearray, memoryview)):
            return bytes(out)
        if isinstance(out, (int, float)) and not isinstance(out, bool):
            return repr(out).encode("ascii")
        raise InvalidValueError(
            f"field {self.name!r} ({type(self).__name__}): _toStorage returned {_typeName(out)} {_short(out)}; "
            "it must return bytes (or str)"
        )

    def fromStorage(self, raw: Any) -> Any:
        """The python value of bytes read from Redis (``None`` when missing: the default)."""
        if raw is None:
            return self.getDefaultValue()
        if raw == IR_NULL_BYTES:
            return irNull
        if raw.__class__ is str:
            raw = raw.encode(getDefaultIREncoding())
        if self._ir_escapeNull and raw.startswith(NULL_MARKER_ESCAPE_PREFIX):
            raw = raw[len(NULL_MARKER_ESCAPE_PREFIX) :]
        if not raw and getattr(self, "_kind", None) in _EMPTY_IS_NULL:
            return irNull  # an empty stored value holds no number, date or JSON: read it as unset
        try:
            return self._fromStorage(raw)
        except InvalidValueError as exc:
            if repr(self.name) in str(exc):
                raise  # already says which field and why
            raise self._unreadable(raw, exc) from exc
        except (ValueError, TypeError, ArithmeticError, UnicodeError, LookupError) as exc:
            raise self._unreadable(raw, exc) from exc

    def _unreadable(self, raw: Any, exc: BaseException) -> InvalidValueError:
        return InvalidValueError(
            f"field {self.name!r} ({self._typeLabel()}) cannot read the stored value {_short(raw)}: {exc}. "
            "Was it written with another field type? Change the field back, or rewrite the data (reset)"
        )

    # True / False: asDict(forStorage=True) shows the stored form as str / as bytes; None: by valueType.
    STORED_IS_TEXT: Optional[bool] = None

    @property
    def storedIsText(self) -> bool:
        """True when ``asDict(forStorage=True)`` gives this field's stored form as str (text
        types), False when as bytes (binary types)."""
        if self.STORED_IS_TEXT is not None:
            return self.STORED_IS_TEXT
        return getattr(self, "_kind", None) not in ("bytes", "none")

    def forStorageDict(self, value: Any) -> Any:
        """The value as ``asDict(forStorage=True)`` shows it: the stored form, as str for text
        fields and bytes for binary ones (``valueType=None``: the value as assigned)."""
        if getattr(self, "_kind", None) == "none":
            return value
        stored = self.toStorage(value)
        if self.storedIsText:
            return stored.decode("utf-8" if getattr(self, "_kind", None) == "json" else getDefaultIREncoding())
        return stored

    def normalizeAssigned(self, value: Any) -> Any:
        """What a fetch would give for an assigned value (for models with CONVERT_ON_ASSIGN)."""
        if not self.KEEPS_ASSIGNED:
            return value
        return self.fromStorage(self.toStorage(value))

    def toIndex(self, value: Any) -> bytes:
        """The VALUE part of ``_ir_|KEY:idx:FIELD:VALUE`` for a user value (converted first)."""
        return self.storageToIndex(self.toStorage(self.fromInput(value)))

    def compareValue(self, value: Any) -> Any:
        """What equality of two values of this field is judged on (the stored form)."""
        return self.toStorage(value)

    def storageToIndex(self, stored: bytes) -> bytes:
        """The index VALUE for bytes as stored in the hash."""
        if self.hashIndex:
            return hashlib.md5(stored).hexdigest().encode("ascii")
        return stored

    # ----------------------------------------------------------------- hooks (IRField's own, by valueType)
    def _typeLabel(self) -> str:
        vt = self.valueType
        return f"{type(self).__name__} of {getattr(vt, '__name__', vt)}" if type(self) is IRField else type(self).__name__

    def _setupCodec(self) -> None:
        vt = self.valueType
        self._codecIndexable = True
        self._codecReason = ""
        from .FieldValueTypes import IRDatetimeValue, IRJsonValue

        self.__dict__.pop("KEEPS_ASSIGNED", None)
        if vt is str or vt == "str":
            self.__dict__["valueType"] = str
            self._kind = "str"
        elif vt is None:
            # bytes in storage; the object keeps what was assigned (str stays str), fetches give bytes
            self._kind = "none"
            self.__dict__["KEEPS_ASSIGNED"] = True
        elif vt is bytes:
            self._kind = "bytes"
        elif vt is bool:
            self._kind = "bool"
        elif vt is int:
            self._kind = "int"
        elif vt is float:
            self._kind = "float"
            self._codecIndexable = False
            self._codecReason = (
                "a float's text form differs between platforms and after arithmetic, so equal values could land in "
                "different index keys; use IRFixedPointField to index numbers with decimals"
            )
        elif vt is datetime.datetime or vt is IRDatetimeValue:
            self._kind = "datetime"
        elif vt is datetime.date:
            self._kind = "date"
        elif vt in (set, frozenset):
            self._kind = "invalid"
            self._invalidReason = (
                f"valueType {vt.__name__} has no order to store; use list (JSON), or a custom type built from a str"
            )
        elif vt in (dict, list, tuple) or vt is IRJsonValue:
            self._kind = "json"
            self._codecIndexable = False
            self._codecReason = (
                "JSON values (dict/list) have no single canonical stored form to index; index a scalar field instead"
            )
        elif isinstance(vt, type):
            self._kind = "custom"
        else:
            self._kind = "invalid"

    def _definitionProblemOfType(self) -> Optional[str]:
        if getattr(self, "_kind", None) == "invalid":
            if getattr(self, "_invalidReason", None):
                return self._invalidReason
            return (
                f"valueType {self.valueType!r} is not a type; use str, int, float, bool, datetime, dict, list, bytes, "
                "or a class built from a str"
            )
        return None

    def _fromInput(self, value: Any) -> Any:
        kind = self._kind
        if kind == "str":
            if isinstance(value, str):
                return value if type(value) is str else str.__str__(value)
            if isinstance(value, (bytes, bytearray)):
                return bytes(value).decode(getDefaultIREncoding())
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            if isinstance(value, bool):
                return str(value)
            raise InvalidValueError(
                f"field {self.name!r} holds text; got {_typeName(value)} {_short(value)}. "
                "Convert it to str, or give the field a valueType"
            )
        if kind == "int":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int):
                return checkIntDigits(self.name, int(value))
            if isinstance(value, float):
                if not value.is_integer():
                    raise InvalidValueError(f"field {self.name!r} holds int; {value!r} has a fraction")
                return checkIntDigits(self.name, int(value))
            if isinstance(value, (str, bytes)):
                return int(value)
            raise InvalidValueError(f"field {self.name!r} holds int; got {_typeName(value)} {_short(value)}")
        if kind == "float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, (str, bytes)):
                return float(value)
            raise InvalidValueError(f"field {self.name!r} holds float; got {_typeName(value)} {_short(value)}")
        if kind == "bool":
            return _toBool(self.name, value)
        if kind == "datetime":
            from .FieldValueTypes import parseDatetime

            if isinstance(value, datetime.datetime):
                return value
            if isinstance(value, (str, bytes)):
                return parseDatetime(value)
            raise InvalidValueError(f"field {self.name!r} holds datetime; got {_typeName(value)} {_short(value)}")
        if kind == "date":
            if isinstance(value, datetime.datetime):
                raise InvalidValueError(
                    f"field {self.name!r} holds a date; got datetime {_short(value)}. Give value.date(), "
                    "or use valueType=datetime.datetime"
                )
            if isinstance(value, datetime.date):
                return value
            if isinstance(value, (str, bytes)):
                return _parseDate(self.name, value)
            raise InvalidValueError(f"field {self.name!r} holds a date; got {_typeName(value)} {_short(value)}")
        if kind == "json":
            if isinstance(value, (str, bytes)):
                value = json.loads(value)
            if self.valueType is tuple and isinstance(value, (list, tuple)):
                return tuple(value)
            if self.valueType in (dict, list, tuple) and not isinstance(value, self.valueType):
                raise InvalidValueError(
                    f"field {self.name!r} holds {self.valueType.__name__}; got {_typeName(value)} {_short(value)}"
                )
            return value
        if kind == "none":
            if isinstance(value, (str, bytes, bytearray, memoryview)):
                return value
            raise InvalidValueError(f"field {self.name!r} holds bytes or str; got {_typeName(value)} {_short(value)}")
        if kind == "bytes":
            if isinstance(value, bytes):
                return value
            if isinstance(value, (bytearray, memoryview)):
                return bytes(value)
            if isinstance(value, str):
                raise InvalidValueError(
                    f"field {self.name!r} holds bytes and has no encoding; got str {_short(value)}. "
                    "Encode it first, or use IRBytesField(name, encoding='utf-8')"
                )
            raise InvalidValueError(f"field {self.name!r} holds bytes; got {_typeName(value)} {_short(value)}")
        # custom
        vt = self.valueType
        if isinstance(value, vt):
            return value
        if isinstance(value, bytes):
            value = value.decode(getDefaultIREncoding())
        return vt(value)

    def _toStorage(self, value: Any) -> bytes:
        kind = self._kind
        if kind == "str":
            return (
                value.encode(getDefaultIREncoding())
                if isinstance(value, str)
                else self._fromInput(value).encode(getDefaultIREncoding())
            )
        if kind == "int":
            return str(int(value)).encode("ascii")
        if kind == "float":
            return repr(float(value)).encode("ascii")
        if kind == "bool":
            return b"True" if _toBool(self.name, value) else b"False"
        if kind == "datetime":
            from .FieldValueTypes import formatDatetime

            return formatDatetime(value)
        if kind == "date":
            return value.isoformat().encode("ascii")
        if kind == "json":
            return json.dumps(value, ensure_ascii=False).encode("utf-8")
        if kind == "bytes":
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            return self._fromInput(value)
        if kind == "none":
            return asBytes(self, value)
        return str(value).encode(getDefaultIREncoding())

    def _fromStorage(self, raw: bytes) -> Any:
        kind = self._kind
        if kind == "str":
            return raw.decode(getDefaultIREncoding())
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return _toBool(self.name, raw)
        if kind == "datetime":
            from .FieldValueTypes import parseDatetime

            return parseDatetime(raw)
        if kind == "date":
            return _parseDate(self.name, raw)
        if kind == "json":
            value = json.loads(raw.decode("utf-8"))
            return tuple(value) if self.valueType is tuple and isinstance(value, list) else value
        if kind == "bytes" or kind == "none":
            return raw
        return self.valueType(raw.decode(getDefaultIREncoding()))


class IRClassicField(IRField[str]):
    """A text field as plain-string fields behaved before 6.0: default ``''``, default encoding.

    ``defaultValue`` cannot be changed (it is always ``''``).
    """

    def __init__(self, name: str = "", hashIndex: bool = False, **ignored: Any) -> None:
        super().__init__(name, valueType=str, defaultValue="", hashIndex=hashIndex)

    def getDefaultValue(self) -> Any:
        return ""

    def fromStorage(self, raw: Any) -> Any:
        if raw is None:
            return ""
        return super().fromStorage(raw)


_EMPTY_IS_NULL = frozenset(("int", "float", "datetime", "date", "json"))
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off", ""}


def _toBool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise InvalidValueError(f"field {name!r} holds bool; {_short(value)} is neither 0 nor 1")
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise InvalidValueError(
        f"field {name!r} holds bool; cannot read {_typeName(value)} {_short(value)} as True/False (use 1/0 or 'true'/'false')"
    )


def checkIntDigits(name: str, value: int) -> int:
    """``value``, or InvalidValueError when it has more digits than Python writes out as text
    (``sys.get_int_max_str_digits()``, 4300 by default), so that it could never be stored."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if limit and value.bit_length() > 3 * limit:  # about 0.9 * limit digits: only then is it worth a look
        try:
            str(value)
        except ValueError:
            raise InvalidValueError(
                f"field {name!r} holds int; got {_short(value)}, more than the {limit} digits Python converts to "
                "text (sys.set_int_max_str_digits raises that limit)"
            ) from None
    return value


def _parseDate(name: str, value: Any) -> datetime.date:
    text = value.decode("ascii") if isinstance(value, bytes) else value
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(f"field {name!r} holds a date; {value!r} is not one in ISO format (YYYY-MM-DD)") from None


def asBytes(field: IRField, value: Any, encoding: Optional[str] = None) -> bytes:
    """The bytes a bytes-holding field keeps for ``value``: bytes as they are, a bytearray or
    memoryview copied, a str encoded with ``encoding`` (the default encoding when None)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode(encoding or getDefaultIREncoding())
    raise InvalidValueError(f"field {field.name!r} ({field._typeLabel()}) holds bytes; got {_typeName(value)} {_short(value)}")


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages. Never raises: an int too
    long for Python to write out (more than sys.get_int_max_str_digits() digits, also inside a
    list) or an object whose repr fails is described instead."""
    try:
        text = repr(value)
    except Exception:
        if isinstance(value, int):
            return f"<an int of about {int(abs(value).bit_length() * 0.30103) + 1} digits>"
        return f"<{_typeName(value)} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _rebuildField(cls: Any, name: str, state: dict) -> Any:
    obj: Any = str.__new__(cls, name)
    obj.__dict__.update(state)
    return obj


__all__ = ["IRClassicField", "IRField", "asBytes"]
