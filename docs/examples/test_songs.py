"""Tests of an app's own models, on the IndexedRedis pytest plugin (pip install 'indexedredis[pytest]')."""

import pytest

from IndexedRedis import IndexedRedisModel, IRField


class Song(IndexedRedisModel):
    FIELDS = [IRField("artist"), IRField("title"), IRField("year", valueType=int)]
    INDEXED_FIELDS = ["artist", "year"]
    KEY_NAME = "Songs"


def add_song(artist, title, year):
    """The app's code under test."""
    return Song(artist=artist, title=title, year=year).save()


def test_add_and_find(indexedredis_db):
    add_song("Nina Simone", "Sinnerman", 1965)
    add_song("Nina Simone", "Mississippi Goddam", 1964)
    found = Song.objects.filter(artist="Nina Simone", year__ne=1964).all()
    assert [s.title for s in found] == ["Sinnerman"]
    # indexedredis_db is a raw redis-py client on the same database (replies are bytes)
    assert any(key.startswith(b"_ir_|Songs:") for key in indexedredis_db.scan_iter())


def test_every_test_starts_empty(indexedredis_db):
    assert Song.objects.count() == 0
    assert indexedredis_db.dbsize() == 0


def test_on_fakeredis(indexedredis_fakeredis):
    add_song("Sun Ra", "Space Is the Place", 1973)
    assert Song.objects.filter(year=1973).count() == 1


@pytest.fixture(params=["indexedredis_db", "indexedredis_fakeredis"])
def any_redis(request):
    """Run a test once on the real server and once on fakeredis."""
    return request.getfixturevalue(request.param)


def test_both_ways(any_redis):
    add_song("Can", "Vitamin C", 1972)
    assert Song.objects.filter(artist="Can").first().title == "Vitamin C"


def test_a_lookup_is_one_round_trip(indexedredis_db, indexedredis_roundtrips):
    add_song("Can", "Halleluwah", 1971)
    with indexedredis_roundtrips() as rt:
        Song.objects.filter(artist="Can", year=1971).all()
    assert rt.count == 1
