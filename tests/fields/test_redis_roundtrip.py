"""Every field family through Redis: save, fetch, filter."""

from __future__ import annotations

import datetime

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException, irNull
from IndexedRedis.fields import (
    IRBase64Field,
    IRBytesField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
)


class Everything(IndexedRedisModel):
    FIELDS = [
        IRField("name"),
        IRField("when", valueType=datetime.datetime),
        IRField("flag", valueType=bool),
        IRUnicodeField("u16", encoding="utf-16"),
        IRBytesField("latin", encoding="latin-1"),
        IRRawField("raw"),
        IRBase64Field("b64"),
        IRCompressedField("zipped", compressMode="lzma"),
        IRFixedPointField("price", decimalPlaces=2),
        IRPickleField("blob"),
        IRFieldChain("lyrics", [IRUnicodeField(encoding="utf-8"), IRCompressedField()], defaultValue="No lyrics found"),
        IRField("genome", hashIndex=True),
    ]
    INDEXED_FIELDS = ["name", "when", "flag", "u16", "latin", "b64", "zipped", "price", "lyrics", "genome"]
    KEY_NAME = "irtest:Everything"


def test_every_family_round_trips_and_filters(ir_db):
    when = datetime.datetime(2022, 5, 6, 7, 8, 9, 10)
    genome = "ACGT" * 25_000
    e = Everything(
        name="n",
        when=when,
        flag=True,
        u16="ü16",
        latin="é",
        raw=bytes(range(256)),
        b64=bytes(range(256)),
        zipped=b"z" * 100_000,
        price=9.99,
        blob={"k": {1, 2}},
        lyrics="la la",
        genome=genome,
    )
    e.save()
    Everything(name="other").save()
    got = Everything.objects.get(e.getPk())
    assert got.when == when and got.flag is True and got.u16 == "ü16" and got.latin == "é".encode("latin-1")
    assert got.raw == bytes(range(256)) and got.b64 == bytes(range(256)) and got.zipped == b"z" * 100_000
    assert got.price == 9.99 and got.blob == {"k": {1, 2}} and got.lyrics == "la la" and got.genome == genome
    assert Everything.objects.get(Everything.objects.filter(name="other").first().getPk()).lyrics == "No lyrics found"
    for field, value in [
        ("when", when),
        ("flag", True),
        ("u16", "ü16"),
        ("latin", "é"),
        ("b64", bytes(range(256))),
        ("zipped", b"z" * 100_000),
        ("price", "9.99"),
        ("price", 9.99),
        ("lyrics", "la la"),
        ("genome", genome),
    ]:
        assert Everything.objects.filter(**{field: value}).getPrimaryKeys() == [e.getPk()], field
    assert ir_db.exists(b"_ir_|irtest:Everything:idx:genome:" + __import__("hashlib").md5(genome.encode()).hexdigest().encode())
    assert Everything.objects.filter(flag=irNull).count() == 1


def test_unindexable_chain_is_refused_on_first_use():
    class BadChain(IndexedRedisModel):
        FIELDS = [IRFieldChain("c", [IRUnicodeField(), IRPickleField()])]
        INDEXED_FIELDS = ["c"]
        KEY_NAME = "irtest:BadChain"

    with pytest.raises(InvalidModelException, match="BadChain.*'c'.*IRPickleField"):
        BadChain()


def test_unknown_encoding_and_mode_refused_on_first_use():
    class BadEnc(IndexedRedisModel):
        FIELDS = [IRUnicodeField("u", encoding="klingon")]
        KEY_NAME = "irtest:BadEnc"

    with pytest.raises(InvalidModelException, match="BadEnc.*'u'.*klingon"):
        BadEnc()

    class BadMode(IndexedRedisModel):
        FIELDS = [IRCompressedField("z", compressMode="rar")]
        KEY_NAME = "irtest:BadMode"

    with pytest.raises(InvalidModelException, match="BadMode.*'z'.*rar"):
        BadMode.objects.count()


class Hashy(IndexedRedisModel):
    FIELDS = [IRField("g", hashIndex=False)]
    INDEXED_FIELDS = ["g"]
    KEY_NAME = "irtest:Hashy"


class HashyHashed(IndexedRedisModel):
    FIELDS = [IRField("g", hashIndex=True)]
    INDEXED_FIELDS = ["g"]
    KEY_NAME = "irtest:Hashy"


@pytest.mark.parametrize("fetchAll", [True, False])
def test_convert_hashed_indexes_both_ways(ir_db, fetchAll):
    Hashy.saver.save([Hashy(g=f"value{i}") for i in range(30)])
    plain = sorted(ir_db.scan_iter(match=b"_ir_|irtest:Hashy:idx:*"))
    assert b"_ir_|irtest:Hashy:idx:g:value3" in plain
    HashyHashed.objects.compat_convertHashedIndexes(fetchAll=fetchAll)
    hashed = sorted(ir_db.scan_iter(match=b"_ir_|irtest:Hashy:idx:*"))
    assert len(hashed) == 30 and not any(k.endswith(b"value3") for k in hashed)
    assert HashyHashed.objects.filter(g="value3").count() == 1
    assert HashyHashed.objects.verify().ok
    Hashy.objects.compat_convertHashedIndexes(fetchAll=fetchAll)
    assert sorted(ir_db.scan_iter(match=b"_ir_|irtest:Hashy:idx:*")) == plain
    assert Hashy.objects.filter(g="value3").count() == 1
