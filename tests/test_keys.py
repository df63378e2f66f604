"""The storage layout, pinned byte for byte: data written by IndexedRedis 6.x is read as is, and the other way round."""

from __future__ import annotations

import datetime

from IndexedRedis import IndexedRedisModel, IRField, irNull
from IndexedRedis.keys import REGISTRY_COMPLETE, REGISTRY_OPEN, KeyLayout, globEscape


class Track(IndexedRedisModel):
    FIELDS = [
        IRField("artist"),
        IRField("year", valueType=int),
        IRField("released", valueType=datetime.datetime),
        IRField("live", valueType=bool),
        IRField("tags", valueType=list),
        IRField("note"),
    ]
    INDEXED_FIELDS = ["artist", "year", "live"]
    KEY_NAME = "irtest:Track"


def test_key_names():
    layout = KeyLayout("Songs")
    assert layout.data(7) == b"_ir_|Songs:data:7"
    assert layout.idx("artist", "Nina Simone") == b"_ir_|Songs:idx:artist:Nina Simone"
    assert layout.keysKey == b"_ir_|Songs:keys"
    assert layout.nextKey == b"_ir_|Songs:next"
    gen = layout.forGen(4)
    assert gen.data(7) == b"_ir_|Songs:gen4:data:7"
    assert gen.idx("a", b"\xff") == b"_ir_|Songs:gen4:idx:a:\xff"
    assert gen.keysKey == b"_ir_|Songs:gen4:keys"
    assert gen.nextKey == b"_ir_|Songs:next"  # one pk counter for every generation
    assert layout.genKey == b"_ir_|Songs:gen" and layout.genNextKey == b"_ir_|Songs:gennext"
    assert layout.verKey == b"_ir_|Songs:ver" and gen.verKey == b"_ir_|Songs:gen4:ver"
    assert globEscape(b"a*b?[c]") == b"a\\*b\\?\\[c\\]"
    # index key registries, the list of generations, and the heartbeat marker
    assert layout.registryKey == b"_ir_|Songs:idxkeys" and gen.registryKey == b"_ir_|Songs:gen4:idxkeys"
    assert layout.gensKey == gen.gensKey == b"_ir_|Songs:gens"
    assert gen.buildingKey == b"_ir_|Songs:gen4:building" and layout.buildingKey == b"_ir_|Songs:building"
    assert REGISTRY_OPEN == b"\x00" and REGISTRY_COMPLETE == b"\x01"
    for key in (gen.registryKey, gen.buildingKey, gen.keysKey):
        assert layout.ownGen(key) == 4
    for key in (layout.registryKey, layout.gensKey, layout.buildingKey):
        assert layout.ownGen(key) == 0


def test_saved_object_layout_is_pinned(ir_db):
    t = Track(artist="Björk", year=1997, released=datetime.datetime(1997, 9, 22, 10, 30, 0, 123456), live=False, tags=["a", 1])
    t.save()
    pk = t.getPk()
    assert pk == 1
    assert ir_db.get(b"_ir_|irtest:Track:next") == b"1"
    assert ir_db.smembers(b"_ir_|irtest:Track:keys") == {b"1"}
    assert ir_db.hgetall(b"_ir_|irtest:Track:data:1") == {
        b"artist": "Björk".encode("utf-8"),
        b"year": b"1997",
        b"released": b"1997-09-22 10:30:00.123456",
        b"live": b"False",
        b"tags": b'["a", 1]',
        b"note": b"IRNullType()",
    }
    assert ir_db.smembers("_ir_|irtest:Track:idx:artist:Björk".encode()) == {b"1"}
    assert ir_db.smembers(b"_ir_|irtest:Track:idx:year:1997") == {b"1"}
    assert ir_db.smembers(b"_ir_|irtest:Track:idx:live:False") == {b"1"}
    found = sorted(ir_db.scan_iter(match=b"_ir_|irtest:Track:*"))
    # The kept reply of the insert, for a retry after a lost reply: expires within 30 s.
    ops = [k for k in found if k.startswith(b"_ir_|irtest:Track:op:")]
    assert len(ops) == 1 and len(ops[0]) == len(b"_ir_|irtest:Track:op:") + 24
    assert ir_db.get(ops[0]) == b"1" and 0 < ir_db.ttl(ops[0]) <= 30
    assert [k for k in found if k not in ops] == sorted(
        [
            b"_ir_|irtest:Track:next",
            b"_ir_|irtest:Track:keys",
            b"_ir_|irtest:Track:data:1",
            "_ir_|irtest:Track:idx:artist:Björk".encode(),
            b"_ir_|irtest:Track:idx:year:1997",
            b"_ir_|irtest:Track:idx:live:False",
            b"_ir_|irtest:Track:ver",  # write counter (7.x only; 6.x ignores it)
        ]
    )
    first = ir_db.get(b"_ir_|irtest:Track:ver")  # a new counter starts from the server clock (µs)
    assert first.isdigit() and int(first) > 1_600_000_000_000_000
    t.year = 1998
    t.save()
    assert int(ir_db.get(b"_ir_|irtest:Track:ver")) == int(first) + 1


def test_reads_data_written_in_the_6x_layout(ir_db):
    ir_db.hset(b"_ir_|irtest:Track:data:5", mapping={b"artist": b"Sun Ra", b"year": b"1972", b"live": b"True", b"note": b""})
    ir_db.sadd(b"_ir_|irtest:Track:keys", b"5")
    ir_db.sadd(b"_ir_|irtest:Track:idx:artist:Sun Ra", b"5")
    ir_db.sadd(b"_ir_|irtest:Track:idx:year:1972", b"5")
    ir_db.set(b"_ir_|irtest:Track:next", b"5")
    got = Track.objects.filter(artist="Sun Ra", year=1972).all()
    assert len(got) == 1
    t = got[0]
    assert (t.getPk(), t.artist, t.year, t.live, t.note) == (5, "Sun Ra", 1972, True, "")
    assert t.released is irNull and t.tags is irNull  # fields absent from the hash read as their default
    new = Track(artist="x")
    new.save()
    assert new.getPk() == 6  # the 6.x counter goes on


def test_unicode_spaces_colons_and_binary_in_index_keys(ir_db):
    t = Track(artist="a:b c\nd ✓", year=1)
    t.save()
    assert ir_db.exists("_ir_|irtest:Track:idx:artist:a:b c\nd ✓".encode())
    assert Track.objects.filter(artist="a:b c\nd ✓").getPrimaryKeys() == [t.getPk()]
