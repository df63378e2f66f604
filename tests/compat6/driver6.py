"""Runs the IndexedRedis 6.0.3 side of tests/test_compat6_data.py, in 6.0.3's own virtualenv.

Started only as ``<venv>/bin/python driver6.py`` by that test: it reads one JSON request on
stdin and writes one JSON reply on stdout. The IndexedRedis it imports is the 6.0.3 package
installed in that virtualenv (checked below); the test process never imports it.

Request: ``{"conn": {"host", "port", "db"}, "op": NAME, ...}``. Operations:

* ``write``: save the targets, then ``items`` (``{label: {field: tagged value}}``, links as
  target numbers); reply ``{"targets": [pk...], "items": {label: pk}}``.
* ``read``: every Item, field by field; reply ``{"pks": [...], "objects": {pk: {field: tagged}},
  "errors": [...]}``.
* ``filter``: ``queries`` (``[[field, tagged value], ...]``); reply ``{"results": [pks or error]}``.
* ``update``: ``changes`` (``{pk: {field: tagged}}``); reply ``{"errors": [...]}``.
* ``delete``: ``pks``; reply ``{"errors": [...]}``.

6.0.3 limits worked around here (observed by running it, on Python 3):
a bool field takes only text (``'True'``/``'False'``), and an object whose bool is set cannot be
fetched whole, so objects are read without the bool field (the test checks bools through filters).
"""

from __future__ import annotations

import json
import os
import sys

# Errors are reported by type and message only: no traceback (it would quote 6.0.3's source).
sys.tracebacklimit = 0

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import IndexedRedis  # noqa: E402  (6.0.3, from this virtualenv)

import dataset  # noqa: E402

if IndexedRedis.__version__ != "6.0.3":
    sys.exit(f"driver6.py must run with IndexedRedis 6.0.3, got {IndexedRedis.__version__} from {IndexedRedis.__file__}")

NULL = IndexedRedis.irNull
BOOL_FIELD = "b"
LINKS = ("link", "multi")


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def toInput(name: str, value):
    """A dataset value as 6.0.3 takes it."""
    if name == BOOL_FIELD and isinstance(value, bool):
        return str(value)
    return value


def encodeField(name: str, value):
    if name == "link" and value is not NULL and hasattr(value, "getPk"):
        return dataset.encodeValue(int(value.getPk()), NULL)
    if name == "multi" and isinstance(value, list):
        return dataset.encodeValue([int(v.getPk()) for v in value], NULL)
    return dataset.encodeValue(value, NULL)


def main() -> None:
    request = json.loads(sys.stdin.read())
    IndexedRedis.setDefaultRedisConnectionParams(request["conn"])
    models = dataset.defineModels(IndexedRedis)
    Target, Item = models["Target"], models["Item"]
    names = [str(f) for f in Item.FIELDS]
    readable = [n for n in names if n != BOOL_FIELD]
    op = request["op"]
    reply = {}

    if op == "write":
        targets = []
        for name in dataset.TARGETS:
            t = Target(name=name)
            t.save()
            targets.append(t)
        items = {}
        for label, tagged in request["items"].items():
            values = {k: toInput(k, dataset.decodeValue(v, NULL)) for k, v in tagged.items()}
            obj = Item(**dataset.assignments(values, targets))
            obj.save()
            items[label] = int(obj.getPk())
        reply = {"targets": [int(t.getPk()) for t in targets], "items": items}

    elif op == "read":
        objects, errors = {}, []
        pks = sorted(int(pk) for pk in Item.objects.getPrimaryKeys())
        try:
            whole = Item.objects.allOnlyFields(readable)
            if sorted(int(o.getPk()) for o in whole) != pks:
                errors.append(f"allOnlyFields gave pks {sorted(int(o.getPk()) for o in whole)}, getPrimaryKeys {pks}")
        except Exception as exc:  # reported, then read field by field to name the culprit
            errors.append(f"allOnlyFields({len(readable)} fields) raised {describe(exc)}")
        for pk in pks:
            values = {}
            for name in readable:
                try:
                    obj = Item.objects.getOnlyFields(pk, [name])
                    values[name] = encodeField(name, getattr(obj, name))
                except Exception as exc:
                    values[name] = {"t": "error", "v": describe(exc)}
            objects[str(pk)] = values
        reply = {"pks": pks, "objects": objects, "errors": errors}

    elif op == "filter":
        results = []
        for name, tagged in request["queries"]:
            try:
                value = toInput(name, dataset.decodeValue(tagged, NULL))
                results.append(sorted(int(pk) for pk in Item.objects.filter(**{name: value}).getPrimaryKeys()))
            except Exception as exc:
                results.append(describe(exc))
        reply = {"results": results}

    elif op == "update":
        errors = []
        # Link values are indexes into the targets, in pk order (as dataset.assignments takes them).
        targets = sorted(Target.objects.all(), key=lambda t: int(t.getPk()))
        for pk, tagged in request["changes"].items():
            changes = {k: toInput(k, dataset.decodeValue(v, NULL)) for k, v in tagged.items()}
            changes = dataset.assignments(changes, targets)
            try:
                obj = Item.objects.get(int(pk))
            except Exception as exc:  # a set bool: fetch without it (so it cannot be changed)
                if BOOL_FIELD in changes:
                    errors.append(f"pk {pk}: fetching it to change its bool raised {describe(exc)}")
                    continue
                try:
                    obj = Item.objects.getOnlyFields(int(pk), readable)
                except Exception as exc2:
                    errors.append(f"pk {pk}: fetching it to update it raised {describe(exc2)}")
                    continue
            for k, v in changes.items():
                setattr(obj, k, v)
            try:
                obj.save()
            except Exception as exc:
                errors.append(f"pk {pk}: save raised {describe(exc)}")
        reply = {"errors": errors}

    elif op == "delete":
        errors = []
        for pk in request["pks"]:
            try:
                Item.deleter.deleteByPk(int(pk))
            except Exception as exc:
                errors.append(f"pk {pk}: deleteByPk raised {describe(exc)}")
        reply = {"errors": errors}

    else:
        sys.exit(f"unknown op {op!r}")
    sys.stdout.write(json.dumps(reply))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:
        sys.exit(f"driver6.py: {describe(exc)}")
