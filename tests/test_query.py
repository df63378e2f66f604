"""Queries: filters on the server, fetch functions, lookups by pk, delete and reindex."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidFieldError, InvalidQueryError, InvalidValueError, irNull
from tests.models import Song, songs


@pytest.fixture
def loaded(ir_db):
    objs = songs()
    Song.saver.save(objs)
    return objs


def titles(objs):
    return sorted(o.title for o in objs)


def test_filter_returns_a_new_query(loaded):
    base = Song.objects.filter(artist="Nina Simone")
    narrower = base.filter(year=1965)
    assert len(base.all()) == 3
    assert titles(narrower.all()) == ["Feeling Good", "Sinnerman"]
    inline = Song.objects.filter(artist="Björk")
    assert inline.filterInline(year=1997) is inline
    assert titles(inline.all()) == ["Jóga"]


def test_equals_not_equals_and_intersections(loaded):
    assert titles(Song.objects.filter(artist="Nina Simone", year__ne=1964).all()) == ["Feeling Good", "Sinnerman"]
    assert titles(Song.objects.filter(year__ne=1965).filter(live=True).all()) == ["Idioteque", "Mississippi Goddam"]
    assert titles(Song.objects.filter(artist="Nina Simone", year=1965, live=False).all()) == ["Feeling Good", "Sinnerman"]
    assert titles(Song.objects.filter(artist="Nina Simone", live=False, year__ne=1965).all()) == []
    assert titles(Song.objects.filter(artist__ne="Nina Simone", year__ne=2000).all()) == ["Hyperballad", "Jóga"]
    assert Song.objects.filter(artist="Nobody").all() == []
    assert Song.objects.filter(artist__eq="Björk").count() == 2


def test_fetch_functions(loaded):
    assert Song.objects.count() == 6
    assert Song.objects.filter(artist="Björk").count() == 2
    pks = [o.getPk() for o in loaded]
    assert [o.getPk() for o in Song.objects.allByAge()] == sorted(pks)
    assert Song.objects.filter(artist="Nina Simone").first().title == "Sinnerman"
    assert Song.objects.filter(artist="Nina Simone").last().title == "Mississippi Goddam"
    assert Song.objects.first().getPk() == min(pks) and Song.objects.last().getPk() == max(pks)
    assert Song.objects.filter(artist="Björk").random().artist == "Björk"
    assert Song.objects.filter(artist="Nobody").first() is None
    assert Song.objects.filter(artist="Nobody").random() is None
    assert Song.objects.getPrimaryKeys(sortByAge=True) == sorted(pks)
    assert sorted(Song.objects.filter(live=True).getPrimaryKeys()) == sorted(o.getPk() for o in loaded if o.live)
    assert Song.objects.exists(pks[0]) and not Song.objects.exists(999999)


def test_only_fields(loaded):
    objs = Song.objects.filter(artist="Björk").allOnlyFields(["title"])
    assert titles(objs) == ["Hyperballad", "Jóga"]
    assert all(o.year is irNull for o in objs)
    idx = Song.objects.filter(artist="Björk").allOnlyIndexedFields()
    assert {o.year for o in idx} == {1995, 1997} and all(o.title is irNull for o in idx)
    one = Song.objects.getOnlyFields(loaded[0].getPk(), ["year"])
    assert one.year == 1965 and one.title is irNull
    many = Song.objects.getMultipleOnlyFields([loaded[1].getPk(), 999999, loaded[0].getPk()], ["title"])
    assert [o.title for o in many] == ["Feeling Good", "Sinnerman"]
    # Saving an object fetched with only some fields writes only what changed; the rest stays.
    one.year = 1966
    one.save()
    full = Song.objects.get(loaded[0].getPk())
    assert (full.year, full.title) == (1966, "Sinnerman")
    with pytest.raises(InvalidFieldError):
        Song.objects.allOnlyFields(["nope"])


def test_get_and_getMultiple(loaded):
    a, b = loaded[0], loaded[3]
    assert Song.objects.get(a.getPk()).title == "Sinnerman"
    assert Song.objects.get(999999) is None
    assert Song.objects.get(str(a.getPk())).title == "Sinnerman"
    got = Song.objects.getMultiple([b.getPk(), 999999, a.getPk()])
    assert [o.title for o in got] == ["Jóga", "Sinnerman"]
    assert Song.objects.getMultiple([]) == []
    with pytest.raises(InvalidValueError, match="Model Song"):
        Song.objects.get("not-a-pk")


def test_filter_irnull(ir_db):
    Song(artist="A").save()
    Song(artist="B", year=3).save()
    assert [o.artist for o in Song.objects.filter(year=irNull).all()] == ["A"]
    assert [o.artist for o in Song.objects.filter(year__ne=irNull).all()] == ["B"]


def test_delete_by_filter(loaded):
    assert Song.objects.filter(artist="Nina Simone", year=1965).delete() == 2
    assert Song.objects.count() == 4
    assert Song.objects.filter(artist="Nina Simone").count() == 1
    assert Song.objects.filter(year=1965).count() == 0
    assert Song.objects.verify().ok
    assert Song.objects.delete() == 4
    assert Song.objects.count() == 0


def test_bad_filters_raise_at_filter_time(loaded):
    with pytest.raises(InvalidQueryError) as info:
        Song.objects.filter(title="Jóga")
    text = str(info.value)
    assert "'title'" in text and "not indexed" in text and "artist" in text and "Song" in text
    with pytest.raises(InvalidQueryError, match="no field 'nope'"):
        Song.objects.filter(nope=1)
    with pytest.raises(InvalidQueryError, match="needs a sorted index on 'year'; add 'year' to SORTED_FIELDS"):
        Song.objects.filter(year__gt=1990)  # ranges need SORTED_FIELDS
    with pytest.raises(InvalidQueryError, match="operator 'icontains'"):
        Song.objects.filter(title__icontains="x")
    with pytest.raises(InvalidQueryError, match="year"):
        Song.objects.filter(year="nineteen")
    with pytest.raises(ValueError):
        Song.objects.filter(title="x")


def test_reindex_after_adding_an_indexed_field(ir_db):
    Song.saver.save(songs())

    class SongByTitle(IndexedRedisModel):  # the same data, one more indexed field
        FIELDS = Song.FIELDS
        INDEXED_FIELDS = ["artist", "year", "live", "title"]
        KEY_NAME = "irtest:Song"

    assert SongByTitle.objects.filter(title="Jóga").count() == 0
    SongByTitle.objects.reindex()
    assert [o.year for o in SongByTitle.objects.filter(title="Jóga").all()] == [1997]
    assert SongByTitle.objects.verify().ok
    # back to the original model: the title index is now a leftover that verify reports
    report = Song.objects.verify()
    assert not report.ok and all(field is None for _, _, field, _ in report.staleEntries)
    Song.objects.reindex()
    assert Song.objects.verify().ok


def test_empty_model(ir_db):
    assert Song.objects.all() == []
    assert Song.objects.count() == 0
    assert Song.objects.first() is None and Song.objects.last() is None and Song.objects.random() is None
    assert Song.objects.getPrimaryKeys() == []
    assert Song.objects.delete() == 0
    assert Song.objects.verify().ok


def test_deleter_and_saver(ir_db):
    objs = songs()
    assert Song.saver.save(objs[0]) == [objs[0].getPk()]
    pks = Song.saver.save(objs[1:])
    assert pks == [o.getPk() for o in objs[1:]]
    assert Song.deleter.deleteOne(objs[0]) == 1
    assert Song.deleter.deleteByPk(pks[0]) == 1
    assert Song.deleter.deleteByPk(pks[0]) == 0
    assert Song.deleter.deleteMultiple(objs[2:4]) == 2
    assert Song.deleter.deleteMultipleByPks(pks[3:]) == 2
    assert Song.objects.count() == 0
    assert Song.objects.verify().ok
    Song.saver.save(songs())
    assert Song.deleter.destroyModel() > 0
    # every key is gone, but the kept replies of the last writes (expiring within 30 s)
    assert not [k for k in ir_db.scan_iter(match=b"_ir_|irtest:Song:*") if b":op:" not in k]


def test_count_agrees_with_all_for_every_mix_of_filters(ir_db):
    Song.saver.save(songs() + [Song(artist="Nina Simone", year=1964, live=True), Song(artist="X", year=2000)])
    artists = ["Nina Simone", "Björk", "Radiohead", "X", "nobody"]
    years = [1964, 1965, 1995, 1997, 2000, 3000]
    combos = [{}]
    combos += [{"artist": a} for a in artists] + [{"artist__ne": a} for a in artists]
    combos += [{"artist": a, "year": y} for a in artists[:3] for y in years]
    combos += [{"artist": a, "year__ne": y} for a in artists[:3] for y in years]
    combos += [{"artist__ne": a, "year__ne": y, "live__ne": True} for a in artists[:2] for y in years[:3]]
    combos += [{"artist__ne": "X", "year__ne": 1964, "live__ne": True, "artist": "Björk"}]
    combos += [{"year__ne": 1964, "artist__ne": "X"} for _ in range(1)]
    for kwargs in combos:
        q = Song.objects.filter(**kwargs)
        assert q.count() == len(q.all()) == len(q.getPrimaryKeys()), kwargs
    many = Song.objects.filter(year__ne=1, artist__ne="a").filter(year__ne=2, artist__ne="b").filter(live__ne=False)
    assert many.count() == len(many.all())  # five not-equals sets: counted from the list of pks


def test_first_and_last_skip_pks_whose_data_is_gone(ir_db):
    objs = songs()
    Song.saver.save(objs)
    pks = sorted(o._id for o in objs)
    ir_db.delete(f"_ir_|irtest:Song:data:{pks[0]}".encode(), f"_ir_|irtest:Song:data:{pks[-1]}".encode())
    assert Song.objects.first()._id == pks[1]
    assert Song.objects.last()._id == pks[-2]
    assert Song.objects.filter(artist="Nina Simone").first()._id == min(o._id for o in objs[:3] if o._id != pks[0])
    assert Song.objects.random()._id in pks[1:-1]
    assert Song.objects.filter(artist="nobody").first() is None and Song.objects.filter(artist="nobody").random() is None


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
