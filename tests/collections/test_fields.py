"""Collections owned by model objects: keyed by pk, deleted with the object, swapped by reset."""

from __future__ import annotations

import collections

import pytest

from IndexedRedis import IndexedRedisModel, IRField, InvalidModelException, InvalidValueError
from IndexedRedis.collections import IRListField, RedisList

from .models import Playlist, Track

# every test runs once through the sync API and once through the awaited twins
pytestmark = pytest.mark.usefixtures("api")


@pytest.fixture
def tracks(real_db):
    ts = [Track(title=f"t{i}", year=2000 + i) for i in range(4)]
    Track.saver.save(ts)
    return ts


def test_pending_contents_are_written_on_first_save(tracks):
    p = Playlist(name="road")
    assert p.tracks == [] and isinstance(p.tracks, list)
    p.tracks.extend(tracks[:2])
    p.plays.update(["a", "a", "b"])
    p.ratings = {"x": 3}
    p.tags.add("fast")
    p.save()
    assert isinstance(p.tracks, RedisList)
    fresh = Playlist.objects.get(p.getPk())
    assert [t.title for t in fresh.tracks] == ["t0", "t1"]
    assert fresh.plays.copy() == collections.Counter(a=2, b=1)
    assert fresh.ratings.copy() == {"x": 3} and fresh.tags.copy() == {"fast"}
    fresh.tracks.append(tracks[3])
    assert [t.getPk() for t in p.tracks] == [1, 2, 4]
    p.tracks = [tracks[2]]  # a saved object: replaces the contents
    assert [t.title for t in fresh.tracks] == ["t2"]


def test_delete_removes_collections_in_the_same_call(tracks, real_db, roundtrips):
    ps = [Playlist(name=f"p{i}") for i in range(3)]
    Playlist.saver.save(ps)
    for p in ps:
        p.tracks.extend(tracks)
        p.tags.add("x")
    Playlist.objects.get(1)  # scripts loaded
    ps[0].delete()  # warm delete.lua
    with roundtrips() as rt:
        ps[1].delete()
    assert rt.count == 1
    assert not real_db.exists(b"_ir_|irtest:colls:Playlist:coll:tracks:1", b"_ir_|irtest:colls:Playlist:coll:tags:2")
    assert real_db.exists(b"_ir_|irtest:colls:Playlist:coll:tracks:3")
    Playlist.objects.filter(name="p2").delete()
    assert not list(real_db.scan_iter(match=b"_ir_|irtest:colls:Playlist:coll:*"))


def test_destroy_model_removes_collections(tracks, real_db):
    p = Playlist(name="a")
    p.save()
    p.tracks.append(tracks[0])
    Playlist.deleter.destroyModel()
    assert not list(real_db.scan_iter(match=b"_ir_|irtest:colls:Playlist:*"))


def test_reset_swaps_collections_with_the_generation(tracks, real_db):
    old = Playlist(name="old")
    old.save()
    old.tracks.extend(tracks)
    new = [Playlist(name="new1"), Playlist(name="new2")]
    new[0].tracks = [tracks[1]]
    new[1].plays.update(["z"])
    Playlist.reset(new)
    keys = sorted(k for k in real_db.scan_iter(match=b"_ir_|irtest:colls:Playlist:*coll:*"))
    assert keys == [
        b"_ir_|irtest:colls:Playlist:gen1:coll:plays:%d" % new[1].getPk(),
        b"_ir_|irtest:colls:Playlist:gen1:coll:tracks:%d" % new[0].getPk(),
    ]
    got = Playlist.objects.filter(name="new1").first()
    assert [t.title for t in got.tracks] == ["t1"]
    assert Playlist.objects.filter(name="new2").first().plays["z"] == 1
    assert Playlist.objects.verify().ok  # owned collections are not leftovers
    Playlist.objects.repair()
    assert [t.title for t in got.tracks] == ["t1"]


def test_links_to_deleted_objects_read_as_none(tracks):
    p = Playlist(name="a")
    p.tracks = tracks[:3]
    p.save()
    tracks[1].delete()
    assert [t and t.title for t in p.tracks] == ["t0", None, "t2"]


def test_slice_of_links_is_two_round_trips(tracks, roundtrips):
    p = Playlist(name="a")
    p.tracks = tracks * 5
    p.save()
    lst = p.tracks
    lst[0:3]  # warm
    with roundtrips() as rt:
        got = lst[2:12]
    assert [t.getPk() for t in got] == [t.getPk() for t in (tracks * 5)[2:12]]
    assert rt.count == 2  # LRANGE, then every object in one getMultiple


def test_bad_definitions_and_values(real_db, tracks):
    class Bad(IndexedRedisModel):
        FIELDS = [IRField("a")]
        KEY_NAME = "irtest:colls:Bad"
        items = IRListField(valueField="not a field")

    with pytest.raises(InvalidModelException, match="Bad.*collection field 'items'"):
        Bad(a="x")

    class Clash(IndexedRedisModel):
        FIELDS = [IRField("items")]
        KEY_NAME = "irtest:colls:Clash"
        items = IRListField()

    with pytest.raises(InvalidModelException, match="clashes"):
        Clash(items="x")
    with pytest.raises(InvalidValueError, match="ttl"):
        IRListField(ttl=3)
    p = Playlist(name="a")
    p.save()
    with pytest.raises(InvalidValueError, match="not saved"):
        p.tracks.append(Track(title="unsaved"))
    with pytest.raises(InvalidValueError, match="links to Track"):
        p.tracks.append("t0")
