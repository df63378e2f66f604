"""Deprecation messages, and the switch that turns them off and on.

``toggleDeprecatedMessages(False)`` silences the DeprecationWarnings IndexedRedis gives (for
example for plain-string entries in ``FIELDS``); ``toggleDeprecatedMessages(True)`` brings them back.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

_enabled = True


def toggleDeprecatedMessages(enabled: bool) -> None:
    """Turn IndexedRedis's deprecation warnings on (True, the default) or off (False)."""
    global _enabled
    _enabled = bool(enabled)


def deprecatedMessagesEnabled() -> bool:
    return _enabled


def deprecatedMessage(msg: str, key: Any = None, printStack: bool = False) -> None:
    """Give a DeprecationWarning with ``msg`` (unless messages are toggled off).

    ``key`` and ``printStack`` are accepted for compatibility; the warnings module already shows
    each message once per place.
    """
    if _enabled:
        warnings.warn(msg, DeprecationWarning, stacklevel=3)


def deprecated(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: calling ``func`` gives a DeprecationWarning naming it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        deprecatedMessage(f"{func.__qualname__} is deprecated")
        return func(*args, **kwargs)

    return wrapper


__all__ = ["deprecated", "deprecatedMessage", "deprecatedMessagesEnabled", "toggleDeprecatedMessages"]
