"""Django habits on a query: iterating streams in chunks, exists() without a pk, len() refused
with a message; client-side filters convert values as server-side ones do."""

from __future__ import annotations

import datetime
import decimal

import pytest

import IndexedRedis.readplans as readplans
from IndexedRedis import InvalidQueryError, IRQueryableList, UnsizedQueryError

from tests.models import Song, songs


@pytest.fixture
def saved(ir_db):
    objs = songs()
    for i, song in enumerate(objs):
        song.added = datetime.datetime(2024, 1, 5 + 3 * i, 12, 0)
    Song.saver.save(objs)
    return objs


def test_iterating_a_query_gives_what_all_gives(saved):
    query = Song.objects.filter(artist="Nina Simone")
    assert [s.getPk() for s in query] == [s.getPk() for s in query.all()]
    assert sorted(s.title for s in Song.objects.filter(year=1965)) == ["Feeling Good", "Sinnerman"]
    assert list(Song.objects.filter(artist="nobody")) == []
    assert len(list(Song.objects)) == 6


def test_iteration_streams_in_chunks(saved, monkeypatch):
    calls = []
    realFirst, realNext = readplans.firstChunkOp, readplans.nextChunkOp

    def first(*args):
        calls.append("first")
        return (yield from realFirst(*args))

    def more(schema, layout, counter, pks):
        calls.append(len(pks))
        return (yield from realNext(schema, layout, counter, pks))

    monkeypatch.setattr(readplans, "firstChunkOp", first)
    monkeypatch.setattr(readplans, "nextChunkOp", more)
    it = Song.objects.iterator(chunkSize=4)
    head = next(it)
    assert calls == ["first"]  # only the first chunk was read so far
    rest = list(it)
    assert calls == ["first", 2]
    assert sorted(s.getPk() for s in [head] + rest) == sorted(s.getPk() for s in saved)
    calls.clear()
    assert len(list(Song.objects.iterator(chunkSize=6))) == 6 and calls == ["first"]


def test_iteration_after_a_write_reads_the_rest_as_it_is_then(saved):
    it = Song.objects.iterator(chunkSize=2)
    seen = [next(it), next(it)]
    gone = [s for s in saved if s.getPk() not in {o.getPk() for o in seen}][0]
    gone.delete()
    changed = [s for s in saved if s.getPk() not in {o.getPk() for o in seen} and s is not gone][0]
    changed.title = "changed meanwhile"
    changed.save()
    rest = list(it)
    pks = [s.getPk() for s in seen + rest]
    assert len(pks) == len(set(pks)) == 5 and gone.getPk() not in pks
    assert [s.title for s in rest if s.getPk() == changed.getPk()] == ["changed meanwhile"]


def test_iterator_checks_its_chunk_size(saved):
    for bad in (-1, 1.5, "2", True):
        with pytest.raises(InvalidQueryError, match="chunkSize"):
            Song.objects.iterator(chunkSize=bad)


def test_exists_without_a_pk_asks_the_query(saved):
    assert Song.objects.filter(artist="Björk").exists() is True
    assert Song.objects.filter(artist="Björk", year=1990).exists() is False
    assert Song.objects.exists() is True
    assert Song.objects.exists(saved[0].getPk()) is True  # 6.x: by pk, filters not applied
    assert Song.objects.filter(artist="nobody").exists(saved[0].getPk()) is True
    Song.objects.delete()
    assert Song.objects.exists() is False


def test_exists_and_small_iterations_are_one_round_trip(roundtrips, real_db):
    Song.saver.save(songs())
    Song.objects.filter(artist="Björk").count()  # scripts loaded
    list(Song.objects.filter(artist="Björk"))
    with roundtrips() as rt:
        assert Song.objects.filter(artist="Björk").exists()
    assert rt.count == 1
    with roundtrips() as rt:
        assert len(list(Song.objects.filter(artist="Björk"))) == 2
    assert rt.count == 1


def test_len_of_a_query_says_what_to_use(saved):
    query = Song.objects.filter(artist="Björk")
    with pytest.raises(UnsizedQueryError, match=r"Model Song: .*count\(\)"):
        len(query)
    assert bool(Song.objects.filter(artist="nobody")) is True  # as in 6.0.3: exists() asks the server
    with pytest.raises(TypeError):  # UnsizedQueryError is also a TypeError (and an InvalidQueryError)
        len(query)
    assert len(query.all()) == query.count() == 2
    assert len(list(query)) == 2 and len(tuple(query)) == 2 and len(sorted(query, key=lambda s: s.title)) == 2


def test_client_side_filters_convert_values_like_server_side_ones(saved):
    everything = Song.objects.all()
    after = everything.filter(added__gt="2024-01-10")
    assert sorted(s.getPk() for s in after) == sorted(s.getPk() for s in saved if s.added > datetime.datetime(2024, 1, 10))
    assert len(after) == 4
    assert len(everything.filter(year="1965")) == 2 == Song.objects.filter(year="1965").count()
    assert len(everything.filter(year__in=["1964", 1997])) == 2
    assert len(everything.filter(year__notin=["1964"])) == 5
    assert len(everything.filterOr(price__lte="1.0", live="true")) == 3
    assert len(everything.filter(price="1.29")) == 2
    assert len(everything.filter(added__isnull=False)) == 6
    assert len(everything.filter(title__contains="Good")) == 1  # text operators are left as they are
    assert len(everything.filter(tags__contains="live")) == 2


def test_client_side_filter_values_the_field_cannot_convert_are_compared_as_given(saved):
    everything = Song.objects.all()
    assert len(everything.filter(year__gt=decimal.Decimal(1990))) == 3  # int field, Decimal compares
    assert len(everything.filter(year__in=["x", "1997"])) == 1
    assert len(everything.filter(year="x")) == 0
    with pytest.raises(InvalidQueryError) as info:
        everything.filter(added__gt="not a date")  # neither a datetime nor comparable with one
    assert "Model Song" in str(info.value) and "added__gt" in str(info.value)


def test_lists_of_other_objects_are_filtered_as_they_are():
    class Plain:
        def __init__(self, year):
            self.year = year

    items = IRQueryableList([Plain(1990), Plain("1995")])
    assert [p.year for p in items.filter(year=1990)] == [1990]
    assert [p.year for p in items.filter(year="1995")] == ["1995"]
