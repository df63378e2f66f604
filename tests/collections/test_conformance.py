"""Each collection against the Python built-in it mimics, operation by operation on random sequences
(hypothesis stateful testing, on the real server). Every step runs the same operation on both and
compares the return value, the exception type, and then the whole contents."""

from __future__ import annotations

import pytest

import collections
import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from IndexedRedis import IRField
from IndexedRedis.collections import RedisCounter, RedisDeque, RedisDict, RedisFloat, RedisInt, RedisList, RedisSet

# every test runs once through the sync API and once through the awaited twins
pytestmark = pytest.mark.usefixtures("api")

SETTINGS = settings(max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck))

values = st.sampled_from(["a", "b", "c", "é", "", "a b", "x:y"])
ints = st.integers(min_value=-6, max_value=6)
maybeInts = st.one_of(st.none(), ints)


def same(a, b):
    """Run a() on the collection and b() on the built-in: equal results, or the same exception type."""
    try:
        ra = a()
    except Exception as exc:  # noqa: BLE001 - compared with the built-in's
        ea = exc
    else:
        ea = None
    try:
        rb = b()
    except Exception as exc:  # noqa: BLE001
        eb = exc
    else:
        eb = None
    if eb is not None or ea is not None:
        assert type(ea) is type(eb) or (ea is not None and eb is not None and isinstance(ea, type(eb))), (ea, eb)
        return None
    assert ra == rb, (ra, rb)
    return ra


STEPS = collections.Counter()


def run(machine, real_db):
    machine.client = real_db
    before = STEPS[machine.__name__]
    run_state_machine_as_test(machine, settings=SETTINGS)
    assert STEPS[machine.__name__] - before > 100  # the machine really ran many steps


# ---------------------------------------------------------------------------- list
class ListMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.r = RedisList("conf:list", client=self.client)
        self.m = []

    @rule(v=values)
    def append(self, v):
        same(lambda: self.r.append(v), lambda: self.m.append(v))

    @rule(vs=st.lists(values, max_size=4))
    def extend(self, vs):
        same(lambda: self.r.extend(vs), lambda: self.m.extend(vs))

    @rule(i=ints, v=values)
    def insert(self, i, v):
        same(lambda: self.r.insert(i, v), lambda: self.m.insert(i, v))

    @rule(i=ints)
    def pop(self, i):
        same(lambda: self.r.pop(i), lambda: self.m.pop(i))

    @rule()
    def popLast(self):
        same(lambda: self.r.pop(), lambda: self.m.pop())

    @rule(v=values)
    def remove(self, v):
        same(lambda: self.r.remove(v), lambda: self.m.remove(v))

    @rule(i=ints)
    def getitem(self, i):
        same(lambda: self.r[i], lambda: self.m[i])

    @rule(i=ints, v=values)
    def setitem(self, i, v):
        def setR():
            self.r[i] = v

        def setM():
            self.m[i] = v

        same(setR, setM)

    @rule(i=ints)
    def delitem(self, i):
        def delR():
            del self.r[i]

        def delM():
            del self.m[i]

        same(delR, delM)

    @rule(a=maybeInts, b=maybeInts, s=st.sampled_from([None, 1, 2, -1, -2, 3]))
    def getslice(self, a, b, s):
        same(lambda: self.r[a:b:s], lambda: self.m[a:b:s])

    @rule(a=maybeInts, b=maybeInts, s=st.sampled_from([None, 1, 2, -1, -2]), vs=st.lists(values, max_size=4))
    def setslice(self, a, b, s, vs):
        def setR():
            self.r[a:b:s] = vs

        def setM():
            self.m[a:b:s] = vs

        same(setR, setM)

    @rule(a=maybeInts, b=maybeInts, s=st.sampled_from([None, 1, 2, -1, -3]))
    def delslice(self, a, b, s):
        def delR():
            del self.r[a:b:s]

        def delM():
            del self.m[a:b:s]

        same(delR, delM)

    @rule(v=values, a=ints, b=st.one_of(ints, st.just(100)))
    def index(self, v, a, b):
        same(lambda: self.r.index(v, a, b), lambda: self.m.index(v, a, b))

    @rule(v=values)
    def countAndContains(self, v):
        same(lambda: (self.r.count(v), v in self.r), lambda: (self.m.count(v), v in self.m))

    @rule()
    def reverse(self):
        same(self.r.reverse, self.m.reverse)

    @rule(rev=st.booleans(), byLen=st.booleans())
    def sort(self, rev, byLen):
        key = len if byLen else None
        same(lambda: self.r.sort(key=key, reverse=rev), lambda: self.m.sort(key=key, reverse=rev))

    @rule()
    def clear(self):
        same(self.r.clear, self.m.clear)

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert self.r.copy() == self.m
        assert len(self.r) == len(self.m)


def test_list_conforms(real_db):
    run(ListMachine, real_db)


# ---------------------------------------------------------------------------- deque
class DequeMachine(RuleBasedStateMachine):
    maxlen = None

    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.r = RedisDeque("conf:deque", maxlen=self.maxlen, client=self.client, valueField=IRField(valueType=int))
        self.m = collections.deque(maxlen=self.maxlen)

    @rule(v=ints)
    def append(self, v):
        same(lambda: self.r.append(v), lambda: self.m.append(v))

    @rule(v=ints)
    def appendleft(self, v):
        same(lambda: self.r.appendleft(v), lambda: self.m.appendleft(v))

    @rule(vs=st.lists(ints, max_size=4))
    def extend(self, vs):
        same(lambda: self.r.extend(vs), lambda: self.m.extend(vs))

    @rule(vs=st.lists(ints, max_size=4))
    def extendleft(self, vs):
        same(lambda: self.r.extendleft(vs), lambda: self.m.extendleft(vs))

    @rule()
    def pop(self):
        same(self.r.pop, self.m.pop)

    @rule()
    def popleft(self):
        same(self.r.popleft, self.m.popleft)

    @rule(n=st.integers(-7, 7))
    def rotate(self, n):
        same(lambda: self.r.rotate(n), lambda: self.m.rotate(n))

    @rule(i=ints, v=ints)
    def insert(self, i, v):
        same(lambda: self.r.insert(i, v), lambda: self.m.insert(i, v))

    @rule(v=ints)
    def remove(self, v):
        same(lambda: self.r.remove(v), lambda: self.m.remove(v))

    @rule(i=ints)
    def getAndDel(self, i):
        same(lambda: self.r[i], lambda: self.m[i])

        def delR():
            del self.r[i]

        def delM():
            del self.m[i]

        same(delR, delM)

    @rule()
    def reverse(self):
        same(self.r.reverse, self.m.reverse)

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert self.r.copy() == list(self.m)


class BoundedDequeMachine(DequeMachine):
    maxlen = 4


def test_deque_conforms(real_db):
    run(DequeMachine, real_db)


def test_bounded_deque_conforms(real_db):
    run(BoundedDequeMachine, real_db)


# ---------------------------------------------------------------------------- dict
class DictMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.r = RedisDict("conf:dict", client=self.client, valueField=IRField(valueType=int))
        self.m = {}

    @rule(k=values, v=ints)
    def setitem(self, k, v):
        def setR():
            self.r[k] = v

        def setM():
            self.m[k] = v

        same(setR, setM)

    @rule(k=values)
    def getitem(self, k):
        same(lambda: self.r[k], lambda: self.m[k])
        same(lambda: self.r.get(k, -99), lambda: self.m.get(k, -99))
        same(lambda: k in self.r, lambda: k in self.m)

    @rule(k=values)
    def delitem(self, k):
        def delR():
            del self.r[k]

        def delM():
            del self.m[k]

        same(delR, delM)

    @rule(k=values, withDefault=st.booleans())
    def pop(self, k, withDefault):
        if withDefault:
            same(lambda: self.r.pop(k, None), lambda: self.m.pop(k, None))
        else:
            same(lambda: self.r.pop(k), lambda: self.m.pop(k))

    @rule()
    def popitem(self):
        if not self.m:
            same(self.r.popitem, self.m.popitem)
            return
        k, v = self.r.popitem()
        assert self.m.pop(k) == v  # Redis keeps no order: any pair may come out

    @rule(k=values, v=ints)
    def setdefault(self, k, v):
        same(lambda: self.r.setdefault(k, v), lambda: self.m.setdefault(k, v))

    @rule(pairs=st.dictionaries(values, ints, max_size=3), kw=st.booleans())
    def update(self, pairs, kw):
        if kw:
            same(lambda: self.r.update(extra=1, **pairs), lambda: self.m.update(extra=1, **pairs))
        else:
            same(lambda: self.r.update(list(pairs.items())), lambda: self.m.update(list(pairs.items())))

    @rule()
    def clear(self):
        same(self.r.clear, self.m.clear)

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert self.r.copy() == self.m
        assert len(self.r) == len(self.m)
        assert sorted(self.r) == sorted(self.m)
        assert self.r == self.m


def test_dict_conforms(real_db):
    run(DictMachine, real_db)


# ---------------------------------------------------------------------------- set
class SetMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.r = RedisSet("conf:set", client=self.client)
        self.other = RedisSet("conf:other", client=self.client)
        self.m = set()
        self.mo = set()

    @rule(v=values)
    def add(self, v):
        same(lambda: self.r.add(v), lambda: self.m.add(v))

    @rule(v=values)
    def addOther(self, v):
        same(lambda: self.other.add(v), lambda: self.mo.add(v))

    @rule(v=values)
    def discardRemove(self, v):
        same(lambda: self.r.discard(v), lambda: self.m.discard(v))
        same(lambda: self.r.remove(v), lambda: self.m.remove(v))

    @rule()
    def pop(self):
        if not self.m:
            same(self.r.pop, self.m.pop)
            return
        v = self.r.pop()
        self.m.remove(v)

    @rule(vs=st.sets(values, max_size=4), redisOther=st.booleans())
    def algebra(self, vs, redisOther):
        o, mo = (self.other, self.mo) if redisOther else (vs, vs)
        same(lambda: self.r | o, lambda: self.m | mo)
        same(lambda: self.r & o, lambda: self.m & mo)
        same(lambda: self.r - o, lambda: self.m - mo)
        same(lambda: self.r ^ o, lambda: self.m ^ mo)
        same(lambda: self.r.isdisjoint(o), lambda: self.m.isdisjoint(mo))
        same(lambda: self.r.issubset(o), lambda: self.m.issubset(mo))
        same(lambda: self.r.issuperset(o), lambda: self.m.issuperset(mo))
        same(lambda: self.r <= o, lambda: self.m <= mo)
        same(lambda: self.r < o, lambda: self.m < mo)

    @rule(vs=st.sets(values, max_size=4), redisOther=st.booleans(), op=st.sampled_from(["|=", "&=", "-=", "^="]))
    def inplace(self, vs, redisOther, op):
        o, mo = (self.other, self.mo) if redisOther else (vs, vs)
        if op == "|=":
            self.r |= o
            self.m |= mo
        elif op == "&=":
            self.r &= o
            self.m &= mo
        elif op == "-=":
            self.r -= o
            self.m -= mo
        else:
            self.r ^= o
            self.m ^= mo

    @rule(vs=st.sets(values, max_size=3), ws=st.sets(values, max_size=3))
    def multiUpdate(self, vs, ws):
        same(lambda: self.r.update(vs, self.other, ws), lambda: self.m.update(vs, self.mo, ws))
        same(lambda: self.r.intersection_update(self.other, vs | ws), lambda: self.m.intersection_update(self.mo, vs | ws))
        same(lambda: self.r.union(vs, self.other), lambda: self.m.union(vs, self.mo))

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert self.r.copy() == self.m and self.other.copy() == self.mo
        assert len(self.r) == len(self.m)


def test_set_conforms(real_db):
    run(SetMachine, real_db)


# ---------------------------------------------------------------------------- counter
counts = st.integers(min_value=-3, max_value=5)


class CounterMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.r = RedisCounter("conf:counter", client=self.client)
        self.m = collections.Counter()

    @rule(vs=st.lists(values, max_size=5))
    def updateIterable(self, vs):
        same(lambda: self.r.update(vs), lambda: self.m.update(vs))

    @rule(d=st.dictionaries(values, counts, max_size=3))
    def updateMapping(self, d):
        same(lambda: self.r.update(d), lambda: self.m.update(d))

    @rule(d=st.dictionaries(values, counts, max_size=3))
    def subtract(self, d):
        same(lambda: self.r.subtract(d), lambda: self.m.subtract(d))

    @rule(k=values, n=counts)
    def setitem(self, k, n):
        self.r[k] = n
        self.m[k] = n

    @rule(k=values)
    def getAndDel(self, k):
        same(lambda: self.r[k], lambda: self.m[k])
        same(lambda: k in self.r, lambda: k in self.m)
        same(lambda: self.r.__delitem__(k), lambda: self.m.__delitem__(k))

    @rule(d=st.dictionaries(values, counts, max_size=3), op=st.sampled_from(["+=", "-=", "|=", "&="]))
    def inplace(self, d, op):
        other = collections.Counter(d)
        if op == "+=":
            self.r += other
            self.m += other
        elif op == "-=":
            self.r -= other
            self.m -= other
        elif op == "|=":
            self.r |= other
            self.m |= other
        else:
            self.r &= other
            self.m &= other

    @rule(d=st.dictionaries(values, counts, max_size=3))
    def binary(self, d):
        other = collections.Counter(d)
        for op in ("__add__", "__sub__", "__or__", "__and__"):
            same(lambda op=op: getattr(self.r, op)(other), lambda op=op: getattr(self.m, op)(other))

    @rule(n=st.one_of(st.none(), st.integers(0, 4)))
    def mostCommon(self, n):
        got = self.r.most_common(n)
        want = self.m.most_common(n)
        assert [c for _, c in got] == [c for _, c in want]
        assert all(self.m[e] == c for e, c in got)

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert dict(self.r.copy()) == dict(self.m)
        assert sorted(self.r.elements()) == sorted(self.m.elements())
        assert self.r.total() == sum(self.m.values())


def test_counter_conforms(real_db):
    run(CounterMachine, real_db)


# ---------------------------------------------------------------------------- numbers
class NumberMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.client.flushdb()
        self.i = RedisInt("conf:int", client=self.client)
        self.f = RedisFloat("conf:float", client=self.client)
        self.mi = 0
        self.mf = 0.0

    @rule(n=st.integers(-1000, 1000))
    def add(self, n):
        self.i += n
        self.mi += n
        self.f += n / 8
        self.mf += n / 8

    @rule(n=st.integers(-20, 20))
    def sub(self, n):
        self.i -= n
        self.mi -= n
        self.f -= n * 0.1
        self.mf -= n * 0.1

    @rule(n=st.integers(-4, 4))
    def mul(self, n):
        self.i *= n
        self.mi *= n
        self.f *= n * 0.5
        self.mf *= n * 0.5

    @precondition(lambda self: abs(self.mi) < 2**40)
    @rule(n=st.integers(-7, 7).filter(bool))
    def floordivMod(self, n):
        self.i //= n
        self.mi //= n
        same(lambda: int(self.i) % n, lambda: self.mi % n)
        self.i %= n
        self.mi %= n

    @rule(n=st.sampled_from([2.0, 4.0, 0.5, -2.0, 0.0]))
    def truediv(self, n):
        def divR():
            self.f /= n

        def divM():
            self.mf /= n

        same(divR, divM)

    @rule(n=st.integers(-5, 5))
    def incrDecr(self, n):
        same(lambda: self.i.incr(n), lambda: self.mi + n)
        self.mi += n
        same(lambda: self.i.decr(n), lambda: self.mi - n)
        self.mi -= n

    @invariant()
    def contents(self):
        STEPS[type(self).__name__] += 1
        assert int(self.i) == self.mi and self.i == self.mi
        assert math.isfinite(float(self.f))
        assert float(self.f) == self.mf  # the same IEEE double arithmetic as Python


def test_numbers_conform(real_db):
    run(NumberMachine, real_db)
