"""What code and data written for IndexedRedis 6.0.3 rely on beyond the spec, item by item.

Each test is named after the behaviour; the numbers are those of the compatibility list in the
conversion guide (``conversion-guide/README.rst``). The link holder (items 20-21) has its own
module, tests/test_compat_link_holder.py.
"""

from __future__ import annotations

import bz2
import datetime
import hashlib
import lzma
import warnings
import zlib

import pytest

import IndexedRedis
from IndexedRedis import (
    IndexedRedisModel,
    InvalidFieldError,
    InvalidModelException,
    IRBase64Field,
    IRBytesField,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
    irNull,
)
from IndexedRedis.fields.FieldValueTypes import IRDatetimeValue

NULL_MD5 = hashlib.md5(b"IRNullType()").hexdigest()
EMPTY_MD5 = hashlib.md5(b"").hexdigest()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Item(IndexedRedisModel):
    FIELDS = [
        IRField("name"),
        IRField("n", valueType=int),
        IRField("flag", valueType=bool),
        IRField("when", valueType=datetime.datetime),
        IRField("anything", valueType=None),
        IRClassicField("classic"),
        IRFixedPointField("price", decimalPlaces=2),
        IRBase64Field("b64"),
        IRBytesField("byt"),
        IRUnicodeField("uni", encoding="utf-16"),
        IRCompressedField("zl"),
        IRCompressedField("bz", compressMode="bz2"),
        IRCompressedField("xz", compressMode="lzma"),
        IRRawField("raw"),
        IRPickleField("pick"),
        IRFieldChain("lyrics", [IRUnicodeField(encoding="utf-8"), IRCompressedField()]),
        IRFieldChain("b64text", [IRBase64Field(), IRField()]),
        IRFieldChain("textb64", [IRField(), IRBase64Field()]),
        IRField("hs", hashIndex=True),
    ]
    INDEXED_FIELDS = ["name", "n", "flag", "when", "price", "b64", "byt", "uni", "zl", "bz", "xz", "lyrics", "b64text", "hs"]
    KEY_NAME = "irtest:Compat6Item"


# ----------------------------------------------------------------------------- 1. save() returns a list
def test_01_save_returns_a_list_of_the_pk(ir_db):
    a = Item(name="a")
    assert a._id is None
    ids = a.save()
    assert type(ids) is list and ids == [a._id] and isinstance(a._id, int)
    assert ids[0] == a.getPk() and len(ids) == 1 and bool(ids)
    assert a.save() == ids  # nothing changed: still the list
    b, c = Item(name="b"), Item(name="c")
    both = Item.saver.save([b, c])
    assert both == [b._id, c._id]
    assert ids + both == [a._id, b._id, c._id]
    assert Item.saver.save(Item(name="d")) == [Item.objects.filter(name="d").getPrimaryKeys()[0]]


def test_01_save_returns_pk_opt_in(ir_db):
    class PkItem(Item):
        SAVE_RETURNS_PK = True

    x = PkItem(name="x")
    assert x.save() == x._id and isinstance(x._id, int)
    assert PkItem.saver.save([PkItem(name="y")]) == [x._id + 1]


# ----------------------------------------------------------------------------- 2. validatedModels
def test_02_validatedModels_clear_revalidates():
    class Later(IndexedRedisModel):
        FIELDS = [IRField("a")]
        INDEXED_FIELDS = ["a"]
        KEY_NAME = "irtest:Later"

    Later(a="x")
    assert isinstance(IndexedRedis.validatedModels, set) and Later in IndexedRedis.validatedModels
    assert Item in IndexedRedis.validatedModels or Item(name="z")
    Later.INDEXED_FIELDS = ["nope"]  # made invalid after validation
    Later(a="still fine")  # not validated again until cleared
    IndexedRedis.validatedModels.clear()
    assert Later not in IndexedRedis.validatedModels
    with pytest.raises(InvalidModelException, match="nope"):
        Later(a="y")
    with pytest.raises(InvalidModelException, match="nope"):
        Later.objects.filter(a="y")
    Later.INDEXED_FIELDS = ["a"]
    assert Later(a="ok").a == "ok" and Later in IndexedRedis.validatedModels
    # Other models keep working after a clear: they validate again on their next use.
    assert Item(name="again").name == "again" and Item in IndexedRedis.validatedModels
    IndexedRedis.validatedModels.discard(Later)
    assert Later.__dict__["_ir_schema"] is None


# ----------------------------------------------------------------------------- 3. toggleDeprecatedMessages
def test_03_toggleDeprecatedMessages():
    def define():
        class Plain(IndexedRedisModel):
            FIELDS = ["a", "b"]
            KEY_NAME = "irtest:PlainStrings"

        return Plain

    with pytest.warns(DeprecationWarning, match="plain strings"):
        define()(a="1")
    IndexedRedis.toggleDeprecatedMessages(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert define()(a="1").b == ""
    finally:
        IndexedRedis.toggleDeprecatedMessages(True)
    with pytest.warns(DeprecationWarning):
        define()(a="1")


# ----------------------------------------------------------------------------- 4. unknown constructor kwargs
def test_04_unknown_constructor_kwargs_are_ignored():
    x = Item(name="a", nosuchfield=5)
    assert not hasattr(x, "nosuchfield") and "nosuchfield" not in x.__dict__
    assert "nosuchfield" not in x.asDict(strKeys=True)

    class StrictItem(Item):
        STRICT_CONSTRUCTOR = True

    with pytest.raises(InvalidFieldError, match="nosuchfield"):
        StrictItem(name="a", nosuchfield=5)
    with pytest.raises(IndexedRedis.InvalidQueryError, match="nosuchfield"):
        Item.objects.filter(nosuchfield=1)  # filter stays strict


# ----------------------------------------------------------------------------- 5. len(irNull)
def test_05_len_of_irNull():
    assert len(irNull) == 0 and irNull != "" and not irNull and irNull == irNull


# ----------------------------------------------------------------------------- 6. copyModel
def test_06_copyModel_name():
    copy1, copy2 = Item.copyModel(), Item.copyModel()
    assert copy1.__name__ != Item.__name__ and copy1.__name__.startswith("Item_Copy")
    assert copy1.__name__ != copy2.__name__
    assert copy1.KEY_NAME == Item.KEY_NAME


# ----------------------------------------------------------------------------- 7. legacy field lists
@pytest.mark.parametrize("legacy", ["BASE64_FIELDS", "BINARY_FIELDS"])
def test_07_legacy_field_lists_are_refused(legacy):
    model = type("Legacy", (IndexedRedisModel,), {"FIELDS": [IRField("a")], "KEY_NAME": "irtest:Legacy", legacy: ["a"]})
    with pytest.raises(InvalidModelException, match=legacy):
        model(a="x")
    with pytest.raises(InvalidModelException, match=legacy):
        _ = model.objects
    empty = type("LegacyEmpty", (IndexedRedisModel,), {"FIELDS": [IRField("a")], "KEY_NAME": "irtest:Legacy2", legacy: []})
    assert empty(a="x").a == "x"


# ----------------------------------------------------------------------------- 8. asDict(forStorage=True)
def test_08_asDict_for_storage_gives_str_for_text_and_bytes_for_binary():
    x = Item(
        name="a",
        n=5,
        flag=True,
        price=1.5,
        classic="c",
        hs="long text",
        b64=b"\x00\x01",
        byt=b"xy",
        uni="u",
        zl=b"zz",
        lyrics="la",
        b64text="tt",
        textb64="qq",
        raw=5,
        anything="as is",
    )
    d = x.asDict(forStorage=True, strKeys=True)
    assert d["name"] == "a" and d["n"] == "5" and d["flag"] == "True" and d["price"] == "1.50"
    assert d["classic"] == "c" and d["hs"] == "long text" and d["when"] == "IRNullType()"
    assert d["b64"] == b"AAE=" and d["byt"] == b"xy" and d["uni"] == "u".encode("utf-16")
    assert d["zl"] == zlib.compress(b"zz", 9) and d["lyrics"] == zlib.compress(b"la", 9)
    assert isinstance(d["pick"], bytes)
    assert d["b64text"] == "dHQ="  # a chain ending in a text field gives str
    assert d["textb64"] == b"cXE="  # ... ending in a binary one, bytes
    assert d["raw"] == 5 and d["anything"] == "as is"  # as assigned


# ----------------------------------------------------------------------------- 9. compressed values as assigned
def test_09_compressed_keeps_assigned_value_and_stores_level_9(ir_db):
    x = Item(name="c", zl="Goodbye", bz="Goodbye", xz=b"Goodbye")
    assert x.zl == "Goodbye" and x.bz == "Goodbye" and x.xz == b"Goodbye"
    x.zl = "Hello"
    assert x.zl == "Hello"
    x.save()
    raw = ir_db.hgetall(b"_ir_|irtest:Compat6Item:data:%d" % x._id)
    assert raw[b"zl"] == zlib.compress(b"Hello", 9) and raw[b"zl"][:2] == b"x\xda"
    assert raw[b"bz"] == bz2.compress(b"Goodbye", 9)
    assert raw[b"xz"] == lzma.compress(b"Goodbye")
    got = Item.objects.get(x._id)
    assert got.zl == b"Hello" and got.bz == b"Goodbye" and got.xz == b"Goodbye"
    assert not got.hasUnsavedChanges()
    got.zl = "Hello"  # the same data as str: no change
    assert got.getUpdatedFields() == {}


def test_09_convert_on_assign_opt_in():
    class Converting(Item):
        CONVERT_ON_ASSIGN = True

    x = Converting(zl="Goodbye", raw=5, anything="t")
    assert x.zl == b"Goodbye" and x.raw == b"5" and x.anything == b"t"
    x.zl = "Hi"
    assert x.zl == b"Hi"


# ----------------------------------------------------------------------------- 10. IRRawField
def test_10_raw_field(ir_db):
    x = Item(name="r")
    assert x.raw == "" and type(x.raw) is str
    x.raw = 5
    assert x.raw == 5
    x.raw = irNull
    assert x.raw is irNull
    x.raw = 5
    x.save()
    assert ir_db.hget(b"_ir_|irtest:Compat6Item:data:%d" % x._id, b"raw") == b"5"
    x.raw = 6
    assert x.getUpdatedFields() == {"raw": (5, 6)}  # old side: what the object held when saved
    x.save()
    got = Item.objects.get(x._id)
    assert got.raw == b"6"
    got.raw = irNull
    got.save()
    assert ir_db.hget(b"_ir_|irtest:Compat6Item:data:%d" % x._id, b"raw") == b""
    assert Item.objects.get(x._id).raw == b""


# ----------------------------------------------------------------------------- 11. valueType=None
def test_11_valueType_none_keeps_str_and_bytes(ir_db):
    x = Item(name="v", anything="text")
    assert x.anything == "text" and type(x.anything) is str
    x.save()
    assert ir_db.hget(b"_ir_|irtest:Compat6Item:data:%d" % x._id, b"anything") == b"text"
    assert Item.objects.get(x._id).anything == b"text"
    x.anything = b"\x00\xff"
    assert x.anything == b"\x00\xff"
    x.save()
    assert Item.objects.get(x._id).anything == b"\x00\xff"


# ----------------------------------------------------------------------------- 12. IRDatetimeValue(text)
def test_12_datetime_value_from_text_drops_microseconds():
    assert IRDatetimeValue("2015-05-12 12:00:00.203511") == datetime.datetime(2015, 5, 12, 12, 0, 0)
    assert IRDatetimeValue("2015-05-12 12:00:00") == datetime.datetime(2015, 5, 12, 12, 0, 0)


# ----------------------------------------------------------------------------- 13. live setting changes
def test_13_field_setting_change_takes_effect(ir_db):
    class Priced(IndexedRedisModel):
        FIELDS = [IRFixedPointField("price", decimalPlaces=2), IRCompressedField("blob")]
        INDEXED_FIELDS = ["price"]
        KEY_NAME = "irtest:Priced"

    field = Priced.FIELDS["price"]
    try:
        a = Priced(price=1.5)
        assert a.asDict(forStorage=True, strKeys=True)["price"] == "1.50"
        a.save()
        assert ir_db.hget(b"_ir_|irtest:Priced:data:1", b"price") == b"1.50"
        field.decimalPlaces = 5
        b = Priced(price=1.123456)
        assert b.asDict(forStorage=True, strKeys=True)["price"] == "1.12346"
        assert Priced.objects._get_key_for_index("price", 2.5) == "_ir_|irtest:Priced:idx:price:2.50000"
        b.save()
        assert ir_db.hget(b"_ir_|irtest:Priced:data:2", b"price") == b"1.12346"
        assert Priced.objects.filter(price=1.12346).getPrimaryKeys() == [2]
        Priced.reset([Priced(price=3)])
        assert Priced.objects.filter(price="3.00000").count() == 1
        Priced.FIELDS["blob"].compressMode = "bz2"
        c = Priced(blob=b"data")
        c.save()
        assert Priced.objects.get(c._id).blob == b"data"
        gen = Priced.objects._get_key_for_index("price", 0).split(":idx:")[0]  # the reset moved the data
        assert ir_db.hget(f"{gen}:data:{c._id}", b"blob") == bz2.compress(b"data", 9)
    finally:
        field.decimalPlaces = 2


# ----------------------------------------------------------------------------- 14. hashed indexes
def test_14_binary_types_always_index_by_md5(ir_db):
    for field in (IRBase64Field("a"), IRBytesField("a"), IRUnicodeField("a"), IRCompressedField("a")):
        assert field.hashIndex is True
    assert IRUnicodeField("a", hashIndex=False).hashIndex is True
    with pytest.raises(TypeError):
        IRBase64Field("a", hashIndex=False)
    assert IRFieldChain("c", [IRUnicodeField(), IRCompressedField()]).hashIndex is True
    assert IRFieldChain("c", [IRBase64Field(), IRField()]).hashIndex is False
    chainB64 = IRFieldChain("c", [IRField(), IRBase64Field()])
    assert chainB64.hashIndex is True

    class HasChain(IndexedRedisModel):
        FIELDS = [chainB64]
        INDEXED_FIELDS = ["c"]
        KEY_NAME = "irtest:HasChain"

    HasChain.validateModel()
    assert chainB64.hashIndex is True

    x = Item(name="h", b64=b"\x00\x01", byt=b"xy", uni="u", zl="z", lyrics="la", b64text="tt")
    x.save()
    keys = {k for k in ir_db.scan_iter(match=b"_ir_|irtest:Compat6Item:idx:*")}
    prefix = b"_ir_|irtest:Compat6Item:idx:"
    assert prefix + b"b64:" + md5(b"AAE=").encode() in keys
    assert prefix + b"byt:" + md5(b"xy").encode() in keys
    assert prefix + b"uni:" + md5("u".encode("utf-16")).encode() in keys
    assert prefix + b"zl:" + md5(zlib.compress(b"z", 9)).encode() in keys
    assert prefix + b"lyrics:" + md5(zlib.compress(b"la", 9)).encode() in keys
    assert prefix + b"b64text:dHQ=" in keys  # not hashed
    assert prefix + b"bz:" + NULL_MD5.encode() in keys  # an unset hashed field: md5 of the null marker
    for name, value in (("b64", b"\x00\x01"), ("byt", b"xy"), ("uni", "u"), ("zl", b"z"), ("lyrics", "la"), ("bz", irNull)):
        assert Item.objects.filter(**{name: value}).getPrimaryKeys() == [x._id], name


# ----------------------------------------------------------------------------- 15-19. stored bytes
def test_15_to_19_stored_bytes(ir_db):
    x = Item(
        name="s",
        when=datetime.datetime(2015, 5, 12, 12, 0, 0),
        flag=False,
        zl="",
        lyrics="",
        bz=b"",
        xz="",
    )
    x.save()
    raw = ir_db.hgetall(b"_ir_|irtest:Compat6Item:data:%d" % x._id)
    assert raw[b"raw"] == b""  # 15: unset raw
    assert raw[b"when"] == b"2015-05-12 12:00:00"  # 16: no fraction for zero microseconds
    assert raw[b"flag"] == b"False"  # 18
    assert raw[b"zl"] == raw[b"lyrics"] == raw[b"bz"] == raw[b"xz"] == b""  # 19: empty compressed
    prefix = b"_ir_|irtest:Compat6Item:idx:"
    assert ir_db.smembers(prefix + b"flag:False") == {str(x._id).encode()}
    assert ir_db.smembers(prefix + b"when:2015-05-12 12:00:00") == {str(x._id).encode()}
    assert ir_db.smembers(prefix + b"zl:" + EMPTY_MD5.encode()) == {str(x._id).encode()}
    got = Item.objects.get(x._id)
    assert got.flag is False and got.when == datetime.datetime(2015, 5, 12, 12, 0, 0)
    assert got.zl == b"" and got.lyrics == "" and got.bz == b"" and got.xz == b""
    assert Item.objects.filter(flag=False, zl="").getPrimaryKeys() == [x._id]
    with_micro = Item(name="m", when=datetime.datetime(2015, 5, 12, 12, 0, 0, 5), flag=True)
    with_micro.save()
    assert ir_db.hget(b"_ir_|irtest:Compat6Item:data:%d" % with_micro._id, b"when") == b"2015-05-12 12:00:00.000005"
    assert ir_db.hget(b"_ir_|irtest:Compat6Item:data:%d" % with_micro._id, b"flag") == b"True"


def test_19_empty_compressed_written_by_6x_reads_as_empty(ir_db):
    ir_db.hset(
        b"_ir_|irtest:Compat6Item:data:1",
        mapping={b"name": b"six", b"zl": b"", b"lyrics": b"", b"flag": b"True", b"when": b"2015-05-12 12:00:00"},
    )
    ir_db.sadd(b"_ir_|irtest:Compat6Item:keys", b"1")
    ir_db.sadd(b"_ir_|irtest:Compat6Item:idx:name:six", b"1")
    ir_db.set(b"_ir_|irtest:Compat6Item:next", b"1")
    [got] = Item.objects.filter(name="six").all()
    assert got.zl == b"" and got.lyrics == "" and got.flag is True
    assert Item.objects.get(1).when == datetime.datetime(2015, 5, 12, 12, 0, 0)


# ----------------------------------------------------------------------------- 22-23. internals
def test_22_origData(ir_db):
    x = Item(name="o", n=1, raw=5)
    x.save()
    x.n = 2
    x.raw = 7
    assert x._origData["n"] == 1 and x._origData["name"] == "o" and x._origData["raw"] == 5
    got = Item.objects.get(x._id)
    assert got._origData["n"] == 1 and got._origData["raw"] == b"5"
    x.save()
    assert x._origData["n"] == 2 and x._origData["raw"] == 7


def test_23_get_key_for_index(ir_db):
    key = Item.objects._get_key_for_index("name", "Nina")
    assert key == "_ir_|irtest:Compat6Item:idx:name:Nina" and type(key) is str
    assert Item.objects._get_key_for_index(Item.FIELDS["n"], 5) == "_ir_|irtest:Compat6Item:idx:n:5"
    assert Item.objects._get_key_for_index("hs", "long") == "_ir_|irtest:Compat6Item:idx:hs:" + md5(b"long")
    assert Item.objects._get_key_for_index("byt", b"xy") == "_ir_|irtest:Compat6Item:idx:byt:" + md5(b"xy")
    x = Item(name="Nina")
    x.save()
    assert ir_db.smembers(Item.objects._get_key_for_index("name", "Nina")) == {str(x._id).encode()}


# ----------------------------------------------------------------------------- module names
def test_6x_module_and_top_level_names():
    import importlib

    qlmod = importlib.import_module("IndexedRedis.IRQueryableList")
    assert IndexedRedis.IRQueryableList is qlmod.IRQueryableList  # the class, not the module
    from IndexedRedis.IRQueryableList import IRQueryableList  # noqa: F401
    from IndexedRedis.fields.b64 import IRBase64Field as B  # noqa: F401
    from IndexedRedis.fields.bytes_field import IRBytesField as Y  # noqa: F401
    from IndexedRedis.fields.classic import IRClassicField as C  # noqa: F401
    from IndexedRedis.fields.fixedpoint import IRFixedPointField as F  # noqa: F401
    from IndexedRedis.fields.pickle_field import IRPickleField as P  # noqa: F401
    from IndexedRedis.fields.raw import IRRawField as R  # noqa: F401
    from IndexedRedis.fields.unicode_field import IRUnicodeField as U  # noqa: F401

    for mod in ("compat_convert", "deprecated", "utils", "timed"):
        importlib.import_module("IndexedRedis." + mod)
    for name in (
        "IndexedRedisQuery",
        "IndexedRedisSave",
        "IndexedRedisDelete",
        "IndexedRedisHelper",
        "INDEXED_REDIS_PREFIX",
        "INDEXED_REDIS_VERSION",
        "IR_NULL_STR",
        "IRForeignLinkFieldBase",
        "isIndexedRedisModel",
        "toggleDeprecatedMessages",
        "validatedModels",
    ):
        assert hasattr(IndexedRedis, name), name
    assert isinstance(Item.objects, IndexedRedis.IndexedRedisQuery)
    assert isinstance(Item.objects, IndexedRedis.IndexedRedisHelper)
    assert isinstance(Item.saver, IndexedRedis.IndexedRedisSave) and isinstance(Item.deleter, IndexedRedis.IndexedRedisDelete)
    assert IndexedRedis.INDEXED_REDIS_PREFIX == "_ir_|"
    assert IndexedRedis.isIndexedRedisModel(Item) and IndexedRedis.isIndexedRedisModel(Item(name="q"))
    assert not IndexedRedis.isIndexedRedisModel(dict)
    from IndexedRedis.compat_str import isBaseStringy, isEmptyString

    assert isBaseStringy("a") and not isBaseStringy(b"a") and isEmptyString(b"") and not isEmptyString(None)
    from IndexedRedis.fields import IR_NULL_STRINGS, IRDatetimeValue as D, IRJsonValue  # noqa: F401

    assert "IRNullType()" in IR_NULL_STRINGS and b"IRNullType()" in IR_NULL_STRINGS
