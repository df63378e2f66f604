"""IRFixedPointField: a number with a fixed count of decimals, indexable on every platform."""

from __future__ import annotations

import decimal
import math
from typing import Any, Optional

from ..exceptions import InvalidValueError
from .base import IRField, _short
from .null import irNull


# Enough digits for every finite float with 30 decimals, so quantize never runs out of precision.
_CONTEXT = decimal.Context(prec=400)


class IRFixedPointField(IRField[float]):
    """A float stored with exactly ``decimalPlaces`` decimals (``b'12.50'`` for 2).

    Values are rounded to ``decimalPlaces`` on assignment: a float as ``round(x,
    decimalPlaces)`` rounds it (half-even on its exact binary value, so ``2.675`` gives ``2.67``),
    a str or Decimal half-even on its digits. The stored text is the same on every platform, so
    the field can be indexed and filtered with a float, a Decimal or a string.
    """

    def __init__(self, name: str = "", decimalPlaces: int = 5, defaultValue: Any = irNull, hashIndex: bool = False) -> None:
        self.decimalPlaces = decimalPlaces
        super().__init__(name, valueType=float, defaultValue=defaultValue, hashIndex=hashIndex)
        self._codecIndexable = True  # unlike a plain float: the stored text is canonical
        self._codecReason = ""
        self._settingChanged("decimalPlaces")

    def _settingChanged(self, name: str) -> None:
        super()._settingChanged(name)
        if name == "decimalPlaces":
            dp = self.decimalPlaces
            if isinstance(dp, int) and not isinstance(dp, bool) and 0 <= dp <= 30:
                self._quantum = decimal.Decimal(1).scaleb(-dp)

    def _definitionProblem(self) -> Optional[str]:
        dp = self.decimalPlaces
        if not isinstance(dp, int) or isinstance(dp, bool) or not 0 <= dp <= 30:
            return f"decimalPlaces must be an int from 0 to 30; got {dp!r}"
        return None

    def _typeLabel(self) -> str:
        return f"IRFixedPointField({self.decimalPlaces} places)"

    def _decimal(self, value: Any) -> decimal.Decimal:
        if isinstance(value, bool):
            raise InvalidValueError(f"field {self.name!r} holds a number; got bool {_short(value)}")
        if isinstance(value, bytes):
            value = value.decode("ascii")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidValueError(f"field {self.name!r} holds a finite number; got {_short(value)}")
            exact = decimal.Decimal(repr(value))
            if exact.as_tuple().exponent < -self.decimalPlaces:  # type: ignore[operator]
                # More digits than kept: round the float's exact value, as round() and '%.Nf' do.
                exact = decimal.Decimal(value)
        elif isinstance(value, (int, decimal.Decimal)):
            exact = decimal.Decimal(value)
        elif isinstance(value, str):
            try:
                exact = decimal.Decimal(value.strip())
            except decimal.InvalidOperation:
                raise InvalidValueError(f"field {self.name!r} holds a number; {_short(value)} is not one") from None
        else:
            raise InvalidValueError(f"field {self.name!r} holds a number; got {type(value).__name__} {_short(value)}")
        if not exact.is_finite():
            raise InvalidValueError(f"field {self.name!r} holds a finite number; got {_short(value)}")
        try:
            rounded = exact.quantize(self._quantum, rounding=decimal.ROUND_HALF_EVEN, context=_CONTEXT)
        except decimal.InvalidOperation:
            raise InvalidValueError(
                f"field {self.name!r}: {_short(value)} has too many digits for {self.decimalPlaces} decimal places"
            ) from None
        # -0.004 rounds to -0.00: store (and index) it as 0.00, like every other zero.
        return rounded.copy_abs() if rounded.is_zero() else rounded

    def _fromInput(self, value: Any) -> Any:
        return float(self._decimal(value))

    def _toStorage(self, value: Any) -> bytes:
        return format(self._decimal(value), "f").encode("ascii")

    def _fromStorage(self, raw: bytes) -> Any:
        return float(raw)


__all__ = ["IRFixedPointField"]
