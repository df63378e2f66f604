"""The null marker text ``IRNullType()`` as a value: irNull by default (as 6.0.3), itself with NULL_MARKER_ESCAPE."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException, IRField, irNull
from IndexedRedis.fields import IRBytesField, IRClassicField, IRUnicodeField
from IndexedRedis.fields.null import NULL_MARKER_ESCAPE_PREFIX

MARKER = "IRNullType()"
PREFIX = NULL_MARKER_ESCAPE_PREFIX


def _fields():
    return [
        IRField("s"),
        IRField("b", valueType=bytes),
        IRField("n", valueType=None),
        IRClassicField("c"),
        IRUnicodeField("u"),
        IRBytesField("bb", encoding="utf-8"),
    ]


class Plain(IndexedRedisModel):
    FIELDS = _fields()
    INDEXED_FIELDS = ["s", "b", "u", "bb"]
    KEY_NAME = "irtest:NullPlain"


class Escaped(IndexedRedisModel):
    FIELDS = _fields()
    INDEXED_FIELDS = ["s", "b", "u", "bb"]
    KEY_NAME = "irtest:NullEscaped"
    NULL_MARKER_ESCAPE = True


VALUES = {"s": MARKER, "b": MARKER.encode(), "n": MARKER.encode(), "c": MARKER, "u": MARKER, "bb": MARKER.encode()}


def test_by_default_the_marker_text_reads_back_as_irNull_as_in_6(ir_db):
    obj = Plain(**VALUES)
    obj.save()
    got = Plain.objects.get(obj.getPk())
    assert all(getattr(got, name) is irNull for name in VALUES)
    assert ir_db.hget(Plain.objects._schema.layout.data(obj.getPk()), "s") == MARKER.encode()


def test_with_NULL_MARKER_ESCAPE_the_marker_text_is_a_value(ir_db):
    obj = Escaped(**VALUES)
    other = Escaped(s="x", b=PREFIX + b"starts with the prefix", u=irNull)
    Escaped.saver.save([obj, other])
    stored = ir_db.hgetall(Escaped.objects._schema.layout.data(obj.getPk()))
    assert stored[b"s"] == PREFIX + MARKER.encode() and stored[b"b"] == PREFIX + MARKER.encode()
    got = Escaped.objects.get(obj.getPk())
    assert {name: getattr(got, name) for name in VALUES} == VALUES
    assert not got.hasUnsavedChanges()
    again = Escaped.objects.get(other.getPk())
    assert again.b == PREFIX + b"starts with the prefix" and again.u is irNull
    assert ir_db.hget(Escaped.objects._schema.layout.data(other.getPk()), "b") == PREFIX + PREFIX + b"starts with the prefix"
    assert ir_db.hget(Escaped.objects._schema.layout.data(other.getPk()), "u") == MARKER.encode()  # irNull itself
    # filters tell the value from null
    assert Escaped.objects.filter(s=MARKER).getPrimaryKeys() == [obj.getPk()]
    assert Escaped.objects.filter(u=irNull).getPrimaryKeys() == [other.getPk()]
    assert Escaped.objects.filter(u=MARKER).getPrimaryKeys() == [obj.getPk()]
    assert Escaped.objects.filter(b=PREFIX + b"starts with the prefix").getPrimaryKeys() == [other.getPk()]
    assert Escaped.objects.verify().ok
    # only the marker and the prefix change how a value is stored
    plain = Escaped(s="IRNullType() and more", b=b"\x00binary")
    plain.save()
    stored = ir_db.hgetall(Escaped.objects._schema.layout.data(plain.getPk()))
    assert stored[b"s"] == b"IRNullType() and more" and stored[b"b"] == b"\x00binary"


def test_a_field_object_shared_by_models_that_disagree_is_refused():
    shared = IRField("s")

    class A(IndexedRedisModel):
        FIELDS = [shared]
        KEY_NAME = "irtest:NullA"
        NULL_MARKER_ESCAPE = True

    class B(IndexedRedisModel):
        FIELDS = [shared]
        KEY_NAME = "irtest:NullB"

    class C(IndexedRedisModel):
        FIELDS = [shared.copy()]
        KEY_NAME = "irtest:NullC"

    A.validateModel()
    with pytest.raises(InvalidModelException, match="Model B: field 's' .*NULL_MARKER_ESCAPE differs.*copy"):
        B.validateModel()
    assert C.validateModel()
    assert Escaped.copyModel().validateModel() and Escaped.connectAlt({"db": 1}).validateModel()
