"""A tiny profiling aid kept under its IndexedRedis 6.x module name: time how long functions take.

``@timeFunc`` records the total time and call count of a function in ``funcTimeMap``;
``getFuncTimes()`` returns them and ``printTopTimes(n)`` prints the slowest ``n``.
"""

from __future__ import annotations

import functools
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

funcTimeMap: Dict[str, List[float]] = {}  # qualified name -> [total seconds, calls]


def timeFunc(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: add each call's duration to ``funcTimeMap``."""
    name = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            entry = funcTimeMap.setdefault(name, [0.0, 0])
            entry[0] += time.perf_counter() - start
            entry[1] += 1

    return wrapper


def getFuncTimes() -> List[Tuple[str, float, int]]:
    """``[(name, total seconds, calls)]``, slowest first."""
    return sorted(((n, t, int(c)) for n, (t, c) in funcTimeMap.items()), key=lambda r: -r[1])


def printTopTimes(count: int = 10, stream: Any = None) -> None:
    """Print the ``count`` functions with the most total time."""
    out = stream or sys.stdout
    for name, total, calls in getFuncTimes()[:count]:
        out.write(f"{total:10.4f} s  {calls:8d} calls  {name}\n")


__all__ = ["funcTimeMap", "getFuncTimes", "printTopTimes", "timeFunc"]
