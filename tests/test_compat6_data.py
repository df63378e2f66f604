"""Data written by IndexedRedis 6.0.3 and by IndexedRedis 7, each read and filtered by the other.

The real ``indexedredis==6.0.3`` package is installed into a virtualenv of its own under the
session's temp dir and runs only as a subprocess (``tests/compat6/driver6.py``); this process
never imports it. Both sides build the same models (``tests/compat6/dataset.py``) and share the
session's Redis, under keys starting with ``_ir_|xver6`` (the only keys these tests delete).
Skipped when the package cannot be installed (no network and no pip cache holding it).
"""

from __future__ import annotations

import datetime
import json
import os
import pickle
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest
import redis

import IndexedRedis
from IndexedRedis import irNull
from tests.compat6 import dataset

V6_REQUIREMENT = "indexedredis==6.0.3"
# Fail fast when offline (pip retries 5 times by default); a cached wheel installs without a network.
PIP_OPTIONS = ["--disable-pip-version-check", "--retries", "1", "--timeout", "20"]
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat6", "driver6.py")
OWN_KEYS = b"_ir_|" + dataset.KEY_PREFIX.encode()
ITEM_PREFIX = b"_ir_|" + dataset.ITEM_KEY.encode() + b":"

MODELS = dataset.defineModels(IndexedRedis)
Target, Item = MODELS["Target"], MODELS["Item"]
FIELD_NAMES = [str(f) for f in Item.FIELDS]
LABELS = list(dataset.ITEMS)


# ----------------------------------------------------------------------------- 6.0.3 side


def _pipSupportsPython() -> bool:
    import pip

    major, minor = (int(x) for x in pip.__version__.split(".")[:2])
    return (major, minor) >= (22, 3)


@pytest.fixture(scope="session")
def v6_python(tmp_path_factory) -> str:
    """Path of a python whose IndexedRedis is 6.0.3 (a virtualenv under the session's temp dir)."""
    venv = tmp_path_factory.mktemp("indexedredis603") / "venv"
    # redis-py pinned to the suite's own version (6.0.3 runs with it; pip's cache likely holds it).
    packages = [V6_REQUIREMENT, f"redis=={redis.__version__}"]
    if _pipSupportsPython():
        steps = [
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", *PIP_OPTIONS, *packages],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", *PIP_OPTIONS, *packages],
        ]
    for cmd in steps:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"{V6_REQUIREMENT} could not be installed into a virtualenv ({exc}); the cross-version test needs it")
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            pytest.skip(
                f"{V6_REQUIREMENT} could not be installed into a virtualenv (offline, and not in pip's cache?): "
                f"{' '.join(cmd[:4])}... exited {done.returncode}: {lines[-1] if lines else ''}"
            )
    return str(venv / "bin" / "python")


def _conn(url: str) -> Dict[str, Any]:
    kwargs = redis.ConnectionPool.from_url(url).connection_kwargs
    conn = {"host": kwargs.get("host", "127.0.0.1"), "port": int(kwargs.get("port", 6379)), "db": int(kwargs.get("db", 0))}
    if kwargs.get("password"):
        conn["password"] = kwargs["password"]
    return conn


class V6:
    """Runs driver6.py with the 6.0.3 python, one subprocess per operation."""

    def __init__(self, python: str, url: str) -> None:
        self.python = python
        self.conn = _conn(url)

    def run(self, op: str, **request: Any) -> Dict[str, Any]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        # -I: no PYTHONPATH, no user site, no script dir on sys.path (the driver adds only its own dir).
        done = subprocess.run(
            [self.python, "-I", DRIVER],
            input=json.dumps({"conn": self.conn, "op": op, **request}),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, f"6.0.3 driver {op!r} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        return json.loads(done.stdout)

    def write(self, items: Dict[str, Dict[str, Any]]) -> Dict[str, int]:
        tagged = {label: {k: dataset.encodeValue(v, irNull) for k, v in values.items()} for label, values in items.items()}
        return self.run("write", items=tagged)["items"]

    def filter(self, queries: List[Tuple[str, Any]]) -> List[Any]:
        return self.run("filter", queries=[[name, dataset.encodeValue(v, irNull)] for name, v in queries])["results"]


@pytest.fixture
def xver(own_keys_db, v6_python, redis_server_url):
    client = own_keys_db(OWN_KEYS)
    return client, V6(v6_python, redis_server_url)


def _clean(client: redis.Redis) -> None:
    keys = list(client.scan_iter(match=OWN_KEYS + b"*", count=1000))
    if keys:
        client.unlink(*keys)


# ----------------------------------------------------------------------------- IndexedRedis 7 side


def write7(items: Dict[str, Dict[str, Any]], problems: List[str]) -> Dict[str, int]:
    """Save the targets and ``items`` with IndexedRedis 7; a value it refuses is left unset and reported."""
    targets = [Target(name=name) for name in dataset.TARGETS]
    for t in targets:
        t.save()
    pks = {}
    for label, values in items.items():
        obj = Item()
        for name, value in dataset.assignments(values, targets).items():
            try:
                setattr(obj, name, value)
            except Exception as exc:
                problems.append(f"IndexedRedis 7 refused {label}.{name} = {value!r}: {type(exc).__name__}: {exc}")
        obj.save()
        pks[label] = obj.getPk()
    return pks


def _plain7(name: str, value: Any) -> Any:
    """A value read by IndexedRedis 7 in the form the expectations use (links as pks)."""
    if name == "link" and hasattr(value, "getPk"):
        return value.getPk()
    if name == "multi" and isinstance(value, list) and value is not irNull:
        return [v.getPk() if hasattr(v, "getPk") else v for v in value]
    return value


def read7(problems: List[str]) -> Dict[int, Dict[str, Any]]:
    """Every Item read by IndexedRedis 7, field by field (so one unreadable value names its field)."""
    try:
        whole = Item.objects.all()
        got = sorted(o.getPk() for o in whole)
        if got != sorted(Item.objects.getPrimaryKeys()):
            problems.append(f"IndexedRedis 7 all() gave pks {got}, getPrimaryKeys {sorted(Item.objects.getPrimaryKeys())}")
    except Exception as exc:
        problems.append(f"IndexedRedis 7 Item.objects.all() raised {type(exc).__name__}: {exc}")
    out: Dict[int, Dict[str, Any]] = {}
    for pk in sorted(Item.objects.getPrimaryKeys()):
        values = {}
        for name in FIELD_NAMES:
            try:
                values[name] = _plain7(name, getattr(Item.objects.getOnlyFields(pk, [name]), name))
            except Exception as exc:
                values[name] = _Error(f"{type(exc).__name__}: {exc}")
        out[pk] = values
    return out


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Error:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"<raised {self.text}>"


# ----------------------------------------------------------------------------- expectations


def _keptBy6(name: str, value: Any) -> Any:
    """The value as 6.0.3 keeps it: it stores datetimes without microseconds."""
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    return value


def _unset(name: str) -> Any:
    return {"classic": "", "raw": b""}.get(name, irNull)


def expected7(name: str, values: Dict[str, Any], targetPks: List[int], by6: bool) -> Any:
    """What IndexedRedis 7 must read for field ``name`` of an object given ``values``."""
    if name not in values:
        return _unset(name)
    value = values[name]
    if by6:
        value = _keptBy6(name, value)
    if name == "link":
        return targetPks[value]
    if name == "multi":
        return [targetPks[n] for n in value]
    if name in ("none", "raw", "zl", "bz", "xz", "chainBF") and isinstance(value, str):
        return value.encode("utf-8")  # stored encoded, fetched as bytes
    if name == "fixed":
        return float(value)
    return value


def _same(got: Any, want: Any) -> bool:
    if want is irNull:
        return got is irNull
    if got is irNull or isinstance(got, _Error):
        return False
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (bytes, str)) and not isinstance(got, type(want)):
        return False
    return got == want


def checkReads7(problems, items: Dict[str, Dict[str, Any]], pks: Dict[str, int], targetPks, by6: bool, writer: str) -> None:
    read = read7(problems)
    if sorted(read) != sorted(pks.values()):
        problems.append(f"IndexedRedis 7 sees pks {sorted(read)}, {writer} left {sorted(pks.values())}")
    for label, values in items.items():
        pk = pks[label]
        for name in FIELD_NAMES:
            want = expected7(name, values, targetPks, by6)
            got = read.get(pk, {}).get(name, _Error("object missing"))
            if not _same(got, want):
                problems.append(
                    f"field {name!r}, object {label!r} (pk {pk}) written by {writer}: "
                    f"IndexedRedis 7 read {got!r}, expected {want!r}"
                )


def _queries(itemSets: List[Dict[str, Dict[str, Any]]], keep, fields=dataset.INDEXED) -> List[Tuple[str, Any]]:
    """One query per indexed field and distinct value held in any of ``itemSets``."""
    out: List[Tuple[str, Any]] = []
    for name in fields:
        for items in itemSets:
            for values in items.values():
                v = keep(name, values[name]) if name in values else _unset(name)
                if not any(n == name and _sameQuery(v, q) for n, q in out):
                    out.append((name, v))
    return out


def _sameQuery(a: Any, b: Any) -> bool:
    if a is irNull or b is irNull:
        return a is b
    return type(a) is type(b) and a == b


def _expectedPks(name: str, query: Any, items, pks, keep) -> List[int]:
    found = []
    for label, values in items.items():
        v = keep(name, values[name]) if name in values else _unset(name)
        if _sameQuery(v, query):
            found.append(pks[label])
    return sorted(found)


def _queryFor(name: str, value: Any, targetPks: List[int]) -> Any:
    if name == "link" and value is not irNull:
        return targetPks[value]
    if name == "multi" and value is not irNull:
        return [targetPks[n] for n in value]
    return value


def checkFilters(problems, run, items, pks, targetPks, keep, reader: str, writer: str, queries) -> None:
    """``run(queries)`` gives pks per query; each must be the objects of ``items`` holding that value."""
    results = run([(name, _queryFor(name, v, targetPks)) for name, v in queries])
    for (name, v), got in zip(queries, results):
        want = _expectedPks(name, v, items, pks, keep)
        if got != want:
            problems.append(
                f"field {name!r}: {reader} filter({name}={_queryFor(name, v, targetPks)!r}) on data written by {writer} "
                f"gave {got}, expected {want}"
            )


def filter7(queries: List[Tuple[str, Any]]) -> List[Any]:
    out = []
    for name, value in queries:
        try:
            out.append(sorted(Item.objects.filter(**{name: value}).getPrimaryKeys()))
        except Exception as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def _asIs(name: str, value: Any) -> Any:
    return value


def _report(problems: List[str]) -> str:
    return f"{len(problems)} cross-version problem(s):\n  " + "\n  ".join(problems)


# ----------------------------------------------------------------------------- 6.0.3 reads


def read6(v6: V6, problems: List[str], writer: str) -> Dict[int, Dict[str, Any]]:
    reply = v6.run("read")
    for err in reply["errors"]:
        problems.append(f"6.0.3 reading data written by {writer}: {err}")
    return {int(pk): values for pk, values in reply["objects"].items()}


def baseline6(client, v6: V6, items: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """How 6.0.3 reads ``items`` when 6.0.3 wrote them itself (by label); the keys are removed after."""
    _clean(client)
    pks = v6.write(items)
    own: List[str] = []
    read = read6(v6, own, "6.0.3")
    own += [f"pk {pk} field {n!r}: {v['v']}" for pk, values in read.items() for n, v in values.items() if v["t"] == "error"]
    assert not own, f"6.0.3 cannot read its own data: {own}"
    _clean(client)
    return {label: read[pk] for label, pk in pks.items()}


def checkReads6(problems, v6, baseline, pks: Dict[str, int], writer: str) -> None:
    read = read6(v6, problems, writer)
    if sorted(read) != sorted(pks.values()):
        problems.append(f"6.0.3 sees pks {sorted(read)}, {writer} left {sorted(pks.values())}")
    for label, pk in pks.items():
        for name, want in baseline[label].items():
            got = read.get(pk, {}).get(name)
            if got != want:
                problems.append(
                    f"field {name!r}, object {label!r} (pk {pk}) written by {writer}: 6.0.3 read {got!r}, "
                    f"but reads {want!r} when 6.0.3 wrote it"
                )


# ----------------------------------------------------------------------------- the tests


def test_6_writes_7_reads_every_value_and_finds_every_object(xver):
    client, v6 = xver
    problems: List[str] = []
    pks = v6.write(dataset.ITEMS)
    targetPks = sorted(Target.objects.getPrimaryKeys())
    checkReads7(problems, dataset.ITEMS, pks, targetPks, by6=True, writer="6.0.3")
    queries = _queries([dataset.ITEMS], _keptBy6)
    checkFilters(problems, filter7, dataset.ITEMS, pks, targetPks, _keptBy6, "IndexedRedis 7", "6.0.3", queries)
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def test_7_writes_6_reads_every_value_and_finds_every_object(xver):
    client, v6 = xver
    problems: List[str] = []
    baseline = baseline6(client, v6, dataset.ITEMS)
    pks = write7(dataset.ITEMS, problems)
    targetPks = sorted(Target.objects.getPrimaryKeys())
    checkReads6(problems, v6, baseline, pks, "IndexedRedis 7")
    queries = _queries([dataset.ITEMS], _asIs)
    checkFilters(problems, v6.filter, dataset.ITEMS, pks, targetPks, _asIs, "6.0.3", "IndexedRedis 7", queries)
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def _snapshot(client) -> Dict[bytes, Any]:
    out: Dict[bytes, Any] = {}
    for key in client.scan_iter(match=OWN_KEYS + b"*", count=1000):
        kind = client.type(key)
        if kind == b"hash":
            out[key] = client.hgetall(key)
        elif kind == b"set":
            out[key] = set(client.smembers(key))
        else:
            out[key] = client.get(key)
    return out


def _pks(members) -> List[int]:
    return sorted(int(x) for x in members)


def test_both_versions_store_the_same_bytes_and_index_keys(xver):
    """Field by field, 7 stores what 6.0.3 stores, except where 6.0.3 loses data or pickles by an old protocol."""
    client, v6 = xver
    problems: List[str] = []
    pks6 = v6.write(dataset.ITEMS)
    six = _snapshot(client)
    _clean(client)
    pks7 = write7(dataset.ITEMS, problems)
    seven = _snapshot(client)
    assert pks6 == pks7, f"pks differ: 6.0.3 {pks6}, IndexedRedis 7 {pks7}"

    # Accepted differences: 7 keeps a datetime's microseconds (6.0.3 drops them), 7 pickles with
    # the current protocol (both read either), and 7 keeps write counters (":ver" keys) and the
    # replies of its inserts for a retry (":op:" keys, expiring).
    allowed: Dict[bytes, bytes] = {}  # 6.0.3 index key -> the one 7 must write instead
    for label, values in dataset.ITEMS.items():
        dt = values.get("dt")
        if isinstance(dt, datetime.datetime) and dt.microsecond:
            key = ITEM_PREFIX + b"data:%d" % pks6[label]
            want = dt.isoformat(" ").encode()
            if six[key][b"dt"] != dt.replace(microsecond=0).isoformat(" ").encode():
                problems.append(f"field 'dt': 6.0.3 stored {six[key][b'dt']!r} for {dt!r}")
            six[key][b"dt"] = want
            allowed[ITEM_PREFIX + b"idx:dt:" + dt.replace(microsecond=0).isoformat(" ").encode()] = (
                ITEM_PREFIX + b"idx:dt:" + want
            )
    for old, new in allowed.items():
        if old in six:
            six[new] = six.pop(old)

    for key in sorted(set(six) | set(seven)):
        if key.endswith(b":ver") or b":op:" in key:  # write counters and kept write replies: 7 only
            continue
        a, b = six.get(key), seven.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for field in sorted(set(a) | set(b)):
                x, y = a.get(field), b.get(field)
                if x == y:
                    continue
                if field == b"pick" and x is not None and y is not None and x != b"IRNullType()":
                    if pickle.loads(x) == pickle.loads(y):
                        continue
                problems.append(
                    f"field {field.decode()!r} in {key.decode('latin-1')}: 6.0.3 stores {x!r}, IndexedRedis 7 stores {y!r}"
                )
        elif b":idx:" in key:
            field = key.split(b":idx:", 1)[1].split(b":", 1)[0].decode()
            if a is None:
                problems.append(f"field {field!r}: index key {key!r} {_pks(b)} written only by IndexedRedis 7")
            elif b is None:
                problems.append(f"field {field!r}: index key {key!r} {_pks(a)} written only by 6.0.3")
            else:
                problems.append(f"field {field!r}: index key {key!r} holds {_pks(a)} from 6.0.3, {_pks(b)} from IndexedRedis 7")
        else:
            problems.append(f"key {key!r}: 6.0.3 {a!r}, IndexedRedis 7 {b!r}")
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def _applyUpdates7(pks: Dict[str, int], updates: Dict[str, Dict[str, Any]], problems: List[str]) -> None:
    targets = {t.getPk(): t for t in Target.objects.all()}
    ordered = [targets[pk] for pk in sorted(targets)]
    for label, changes in updates.items():
        try:
            obj = Item.objects.get(pks[label])
        except Exception as exc:
            problems.append(f"IndexedRedis 7 could not fetch {label!r} (pk {pks[label]}) to update it: {_describe(exc)}")
            continue
        for name, value in dataset.assignments(changes, ordered).items():
            try:
                setattr(obj, name, value)
            except Exception as exc:
                problems.append(f"IndexedRedis 7 refused {label}.{name} = {value!r}: {type(exc).__name__}: {exc}")
        obj.save()
    Item.deleter.deleteByPk(pks[dataset.DELETED])


def test_7_updates_and_deletes_what_6_wrote_and_6_sees_it(xver):
    client, v6 = xver
    problems: List[str] = []
    final = dataset.finalValues(dataset.UPDATES)
    baseline = baseline6(client, v6, final)
    pks = v6.write(dataset.ITEMS)
    targetPks = sorted(Target.objects.getPrimaryKeys())
    _applyUpdates7(pks, dataset.UPDATES, problems)
    left = {label: pk for label, pk in pks.items() if label != dataset.DELETED}
    checkReads6(problems, v6, baseline, left, "6.0.3, then updated by IndexedRedis 7")
    # Old and new values: each must find exactly the objects holding it now.
    queries = _queries([dataset.ITEMS, final], _asIs)
    checkFilters(problems, v6.filter, final, left, targetPks, _asIs, "6.0.3", "6.0.3, updated by IndexedRedis 7", queries)
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def test_6_updates_and_deletes_what_7_wrote_and_7_sees_it(xver):
    client, v6 = xver
    problems: List[str] = []
    pks = write7(dataset.ITEMS, problems)
    targetPks = sorted(Target.objects.getPrimaryKeys())
    updates = {label: dataset.updatesBy6(label) for label in dataset.UPDATES}
    changes = {str(pks[label]): {k: dataset.encodeValue(v, irNull) for k, v in c.items()} for label, c in updates.items()}
    for err in v6.run("update", changes=changes)["errors"]:
        problems.append(f"6.0.3 updating data written by IndexedRedis 7: {err}")
    for err in v6.run("delete", pks=[pks[dataset.DELETED]])["errors"]:
        problems.append(f"6.0.3 deleting data written by IndexedRedis 7: {err}")
    # 6.0.3 reads a datetime without its microseconds, so when it changes one that IndexedRedis 7
    # stored with them it removes the index entry of the truncated value and leaves the real one
    # behind (see the conversion guide). verify() names exactly those entries; repair() fixes them.
    report = Item.objects.verify()
    stale = sorted((key, pk) for key, pk, _field, _raw in report.staleEntries)
    micro = {
        (ITEM_PREFIX + b"idx:dt:" + v["dt"].isoformat(" ").encode(), pks[label])
        for label, v in dataset.ITEMS.items()
        if "dt" in updates.get(label, {}) and isinstance(v.get("dt"), datetime.datetime) and v["dt"].microsecond
    }
    if set(stale) != micro or report.missingEntries or report.danglingPks or report.orphanData:
        problems.append(
            f"after 6.0.3 updated data written by IndexedRedis 7, verify() found {report.lines()}, expected stale {micro}"
        )
    Item.objects.repair()
    final = dataset.finalValues(updates)
    left = {label: pk for label, pk in pks.items() if label != dataset.DELETED}
    # 6.0.3 stored the values it wrote without microseconds; what it left untouched keeps them.
    keptFinal = {}
    for label, values in final.items():
        keptFinal[label] = {k: (_keptBy6(k, v) if k in updates.get(label, {}) else v) for k, v in values.items()}
    checkReads7(problems, keptFinal, left, targetPks, by6=False, writer="IndexedRedis 7, then updated by 6.0.3")
    queries = _queries([dataset.ITEMS, keptFinal], _asIs)
    checkFilters(
        problems, filter7, keptFinal, left, targetPks, _asIs, "IndexedRedis 7", "IndexedRedis 7, updated by 6.0.3", queries
    )
    if problems:
        pytest.fail(_report(problems), pytrace=False)
