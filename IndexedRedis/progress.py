"""Progress of long operations: ``reset``, ``reindex``, ``verify``, ``repair`` (and the CLI's ``load``).

Each of them takes ``progress=``: a callable that receives one :class:`Progress` value at
the start, after every step (a chunk of about 500 objects) and once at the end::

    def show(p):
        print(f"{p.operation} {p.model}: {p.done}/{p.total or '?'} ({p.phase})")

    Song.reset(rows, progress=show)

``total`` is None when it is not known beforehand (``reset`` of a generator). The callable runs
in the caller's thread, between two Redis calls: it should be quick. An exception it raises
aborts the operation as any other error would (``reset`` then leaves the old dataset current).
Without ``progress`` nothing is computed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Progress:
    """One report of a long operation's progress.

    ``operation``: ``'reset'``, ``'reindex'``, ``'verify'``, ``'repair'``, ``'load'``...
    ``model``: the model's class name. ``phase``: what the operation does now (``'writing'``,
    ``'checking'``, ``'fixing'``, ``'done'``...). ``done``: units done so far (objects);
    ``total``: units in all, or None when unknown. ``elapsed``: seconds since the start.
    ``finished``: True on the last report.
    """

    operation: str
    model: str
    phase: str
    done: int
    total: Optional[int]
    elapsed: float
    finished: bool = False

    @property
    def fraction(self) -> Optional[float]:
        """``done / total`` (0.0 to 1.0), or None when the total is unknown."""
        if not self.total:
            return None if self.total is None else 1.0
        return min(1.0, self.done / self.total)

    @property
    def rate(self) -> float:
        """Units per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> Optional[float]:
        """Seconds left at the rate so far, or None when it cannot be told."""
        if self.total is None or self.done <= 0 or self.elapsed <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


ProgressCallback = Callable[[Progress], None]


class Tracker:
    """Feeds a progress callable; does nothing (cheaply) when there is none."""

    __slots__ = ("callback", "operation", "model", "phase", "done", "total", "started")

    def __init__(self, callback: Optional[ProgressCallback], operation: str, model: str, total: Optional[int] = None) -> None:
        self.callback = callback
        self.operation = operation
        self.model = model
        self.phase = "starting"
        self.done = 0
        self.total = total
        self.started = time.monotonic()

    def __bool__(self) -> bool:
        return self.callback is not None

    def report(self, finished: bool = False) -> None:
        if self.callback is not None:
            self.callback(
                Progress(
                    self.operation,
                    self.model,
                    "done" if finished else self.phase,
                    self.done,
                    self.total,
                    time.monotonic() - self.started,
                    finished,
                )
            )

    def start(self, phase: str, total: Optional[int] = None, done: int = 0) -> None:
        """Begin a phase (its own count: ``done`` starts again)."""
        if self.callback is None:
            return
        self.phase = phase
        self.total = total
        self.done = done
        self.report()

    def advance(self, n: int) -> None:
        if self.callback is None:
            return
        self.done += n
        self.report()

    def finish(self) -> None:
        if self.callback is None:
            return
        if self.total is not None and self.done < self.total:
            self.done = self.total
        self.report(finished=True)


def tracker(callback: Optional[ProgressCallback], operation: str, model: str, total: Optional[int] = None) -> Tracker:
    """A Tracker for ``callback`` (checked: a non-callable raises InvalidValueError naming the operation)."""
    if callback is not None and not callable(callback):
        from .exceptions import InvalidValueError

        raise InvalidValueError(
            f"Model {model}: {operation}(progress=...) takes a callable receiving an IndexedRedis.progress.Progress; "
            f"got {type(callback).__name__} {callback!r:.60}"
        )
    return Tracker(callback, operation, model, total)


__all__ = ["Progress", "ProgressCallback", "Tracker", "tracker"]
