"""Counting round trips to Redis, as ``tests/conftest.py``'s ``roundtrips`` fixture does.

redis-py sends every command, pipeline and MULTI/EXEC block with one call of
``AbstractConnection.send_packed_command``; each such call is one round trip.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from redis.connection import AbstractConnection


class RoundTripCounter:
    """While installed, ``count`` grows by one per ``send_packed_command`` call (any client, any connection)."""

    def __init__(self) -> None:
        self.count = 0
        self._original: Optional[Callable[..., Any]] = None

    def install(self) -> "RoundTripCounter":
        if self._original is not None:
            return self
        original = AbstractConnection.send_packed_command
        counter = self

        def send_packed_command(conn: Any, command: Any, check_health: bool = True) -> Any:
            counter.count += 1
            return original(conn, command, check_health)

        self._original = original
        AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            AbstractConnection.send_packed_command = self._original  # type: ignore[method-assign]
            self._original = None

    def __enter__(self) -> "RoundTripCounter":
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


__all__ = ["RoundTripCounter"]
