"""RedisQueue (``queue.Queue``) and RedisLifoQueue (``queue.LifoQueue``) on a Redis list, and
RedisLock (``threading.Lock``) on a string key with a lease.

A queue's ``get`` blocks on the server (BLPOP / BRPOP with the timeout), so any number of worker
processes can wait on one queue and each item goes to exactly one of them. ``put`` on a bounded
queue (``maxsize``) checks the size and pushes in one script; when the queue is full it waits
by polling. ``task_done`` / ``join`` count unfinished items in ``KEY:unfinished``.
"""

from __future__ import annotations

import queue as _queue
import secrets
import time
from typing import Any, Optional

from ..exceptions import InvalidValueError, LockNotOwnedError
from ..keys import lockFenceKey, queueUnfinishedKey
from ..plans import Op, command
from . import scripts
from .base import RedisCollection, Sleep, TypedCollection, operation

POLL_START = 0.002  # seconds; polls back off to POLL_MAX
POLL_MAX = 0.05


def _checkTimeout(timeout: Optional[float]) -> None:
    if timeout is not None and timeout < 0:
        raise ValueError("'timeout' must be a non-negative number")


class RedisQueue(TypedCollection):
    """A ``queue.Queue`` on a Redis list: ``RedisQueue(key=None, maxsize=0, valueField=None, of=None, ...)``.

    First in, first out: ``put`` pushes on the right, ``get`` pops from the left.
    """

    REDIS_TYPE = "list"
    _GET = ("LPOP", "BLPOP")

    def __init__(self, key: Any = None, maxsize: int = 0, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if not isinstance(maxsize, int) or isinstance(maxsize, bool):
            raise InvalidValueError(f"{self.label}: maxsize must be an int (0 or less: unbounded); got {maxsize!r}")
        self.maxsize = maxsize
        self.unfinishedKey = queueUnfinishedKey(self.key)

    def _copyArgs(self) -> dict:
        return {**super()._copyArgs(), "maxsize": self.maxsize}

    @operation
    def qsize(self) -> Op:
        """The number of items waiting (LLEN)."""
        return int((yield command("LLEN", self.key)))

    @operation
    def empty(self) -> Op:
        """True when no item waits (LLEN)."""
        return (yield from self.qsize.plan(self)) == 0

    @operation
    def full(self) -> Op:
        """True when a bounded queue holds ``maxsize`` items (LLEN)."""
        return 0 < self.maxsize <= (yield from self.qsize.plan(self))

    @operation
    def _tryPut(self, raw: bytes) -> Op:
        return bool((yield self._script(scripts.QUEUE_PUT, [self.key, self.unfinishedKey], max(self.maxsize, 0), raw)))

    @operation
    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> Op:
        """Put ``item`` in the queue (queue_put.lua). A full bounded queue waits (``block``, up to
        ``timeout`` seconds, polling with back-off) and then raises ``queue.Full``."""
        _checkTimeout(timeout)
        raw = self.codec.encode(item)
        tryPut = self._tryPut.plan
        if (yield from tryPut(self, raw)):
            return
        if not block:
            raise _queue.Full
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = POLL_START
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _queue.Full
                yield Sleep(min(delay, left))
            else:
                yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)
            if (yield from tryPut(self, raw)):
                return

    @operation
    def put_nowait(self, item: Any) -> Op:
        """``put(item, block=False)``."""
        yield from self.put.plan(self, item, block=False)

    @operation
    def get(self, block: bool = True, timeout: Optional[float] = None) -> Op:
        """Remove and return an item; with ``block`` wait on the server (BLPOP/BRPOP) up to ``timeout``
        seconds (None: forever), then raise ``queue.Empty``."""
        _checkTimeout(timeout)
        pop, bpop = self._GET
        if not block:
            raw = yield command(pop, self.key)
        else:
            reply = yield command(bpop, self.key, 0 if timeout is None else timeout)
            raw = None if reply is None else reply[1]
        if raw is None:
            raise _queue.Empty
        return (yield from self.codec.decodeOne(raw))

    @operation
    def get_nowait(self) -> Op:
        """``get(block=False)``."""
        return (yield from self.get.plan(self, block=False))

    @operation
    def task_done(self) -> Op:
        """Mark one item got earlier as processed (queue_done.lua); ValueError when called more times than items were put."""
        yield self._script(scripts.QUEUE_DONE, [self.unfinishedKey])

    @operation
    def unfinishedTasks(self) -> Op:
        """Items put and not yet marked done (GET KEY:unfinished)."""
        return int((yield command("GET", self.unfinishedKey)) or 0)

    @operation
    def join(self, timeout: Optional[float] = None) -> Op:
        """Wait until every item put was marked done (polls ``KEY:unfinished``). Returns False when
        ``timeout`` seconds passed first (``queue.Queue.join`` has no timeout; None waits forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = POLL_START
        while (yield from self.unfinishedTasks.plan(self)) > 0:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)
        return True

    @operation
    def delete(self) -> Op:
        """Delete the queue and its unfinished count (DEL of both keys)."""
        return int((yield command("DEL", self.key, self.unfinishedKey)))

    @operation
    def clear(self) -> Op:
        """Drop every waiting item and reset the unfinished count (DEL of both keys)."""
        yield command("DEL", self.key, self.unfinishedKey)


class RedisLifoQueue(RedisQueue):
    """A ``queue.LifoQueue`` on a Redis list: last in, first out (``get`` pops from the right)."""

    _GET = ("RPOP", "BRPOP")


class RedisLock(RedisCollection):
    """A ``threading.Lock`` shared by every process on the server, with a lease.

    ``RedisLock(key=None, leaseTime=10.0, ...)``. ``acquire`` sets the key to a random token of
    this holder (SET NX PX, one script that also counts ``fencingToken``); ``release`` deletes it
    only while it still holds that token. If the holder does not release it within
    ``leaseTime`` seconds the lease runs out and another holder may take it; ``extend`` renews
    it. See docs/collections.rst for what this lock guarantees and what it does not.
    """

    REDIS_TYPE = "string"

    def __init__(self, key: Any = None, leaseTime: float = 10.0, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if isinstance(leaseTime, bool) or not isinstance(leaseTime, (int, float)) or not leaseTime > 0:
            raise InvalidValueError(f"{self.label}: leaseTime is a number of seconds > 0; got {leaseTime!r}")
        self.leaseTime = leaseTime
        self.fenceKey = lockFenceKey(self.key)
        self._token: Optional[bytes] = None
        self.fencingToken: Optional[int] = None  # increases with every acquire of this lock by anyone

    def _copyArgs(self) -> dict:
        return {"leaseTime": self.leaseTime}

    @operation
    def _tryAcquire(self, token: bytes) -> Op:
        n = int((yield self._script(scripts.LOCK_ACQUIRE, [self.key, self.fenceKey], token, int(self.leaseTime * 1000))))
        return n

    @operation
    def acquire(self, blocking: bool = True, timeout: float = -1) -> Op:
        """Acquire the lock; True when acquired. ``blocking=False`` tries once; ``timeout`` seconds
        (-1: forever) bounds the wait, as ``threading.Lock.acquire``. Waiting polls the key."""
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        token = secrets.token_hex(16).encode("ascii")
        deadline = None if timeout == -1 else time.monotonic() + timeout
        delay = POLL_START
        while True:
            n = yield from self._tryAcquire.plan(self, token)
            if n:
                self._token = token
                self.fencingToken = n
                return True
            if not blocking:
                return False
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                yield Sleep(min(delay, left))
            else:
                yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    @operation
    def release(self) -> Op:
        """Release the lock (lock_release.lua). Raises LockNotOwnedError (a RuntimeError) when this
        holder does not own it: never acquired, released already, or the lease ran out."""
        token = self._token
        if token is None:
            raise LockNotOwnedError(f"{self.label}: release of a lock this holder has not acquired")
        self._token = None
        if not (yield self._script(scripts.LOCK_RELEASE, [self.key], token)):
            raise LockNotOwnedError(
                f"{self.label}: the lease ran out before release, so the lock may have had another owner since; "
                "make leaseTime longer than the work it guards, or extend() it while working"
            )

    @operation
    def extend(self, seconds: Optional[float] = None, replace: bool = False) -> Op:
        """Add ``seconds`` (default: leaseTime) to what is left of the lease, or with ``replace`` make
        the lease end ``seconds`` from now (lock_extend.lua). LockNotOwnedError when not owned."""
        token = self._token
        ms = int((self.leaseTime if seconds is None else seconds) * 1000)
        if token is None or not (yield self._script(scripts.LOCK_EXTEND, [self.key], token, ms, "set" if replace else "add")):
            raise LockNotOwnedError(
                f"{self.label}: extend of a lock this holder does not own (never acquired, or the lease ran out)"
            )

    @operation
    def locked(self) -> Op:
        """True when some holder has the lock (EXISTS)."""
        return bool((yield command("EXISTS", self.key)))

    @operation
    def owned(self) -> Op:
        """True when this holder has the lock now (GET compared with its token)."""
        return self._token is not None and (yield command("GET", self.key)) == self._token

    def __enter__(self) -> "RedisLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    async def __aenter__(self) -> "RedisLock":
        await self.aacquire()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.arelease()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"RedisLock(key={self.key!r}, leaseTime={self.leaseTime})"


__all__ = ["RedisLifoQueue", "RedisLock", "RedisQueue"]
