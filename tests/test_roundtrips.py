"""Round trips per operation, counted from what is sent to Redis (real server)."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, IRField, bigops

from tests.models import Song, songs


@pytest.fixture
def warm(real_db):
    Song.saver.save(songs())
    # load every script once, so the counts below are steady-state
    Song.objects.filter(artist="Björk").all()
    Song.objects.get(1)
    extra = Song(artist="x")
    extra.save()
    Song.objects.filter(artist="x").delete()
    return real_db


def test_single_save_is_one_round_trip(warm, roundtrips):
    s = Song(artist="A", year=1)
    with roundtrips() as rt:
        s.save()
    assert rt.count == 1 and rt.commands == ["EVALSHA"]
    s.year = 2
    with roundtrips() as rt:
        s.save()
    assert rt.count == 1
    with roundtrips() as rt:
        s.save()  # nothing changed: nothing sent
    assert rt.count == 0


def test_reads_are_one_round_trip(warm, roundtrips):
    for call in (
        lambda: Song.objects.filter(artist="Nina Simone", year__ne=1964).all(),
        lambda: Song.objects.filter(artist="Nina Simone").count(),
        lambda: Song.objects.count(),
        lambda: Song.objects.get(1),
        lambda: Song.objects.getMultiple([1, 2, 3]),
        lambda: Song.objects.filter(live=False).first(),
        lambda: Song.objects.last(),
        lambda: Song.objects.exists(2),
        lambda: Song.objects.allOnlyFields(["title"]),
    ):
        with roundtrips() as rt:
            call()
        assert rt.count == 1, rt.commands
        assert "KEYS" not in rt.commands


def test_first_and_last_do_not_transfer_every_pk(warm):
    Song.saver.save([Song(artist="many", year=i) for i in range(500)])
    from IndexedRedis import scripts
    from IndexedRedis.plans import fetchCall
    from IndexedRedis.schema import getSchema

    schema = getSchema(Song)
    call = fetchCall(schema.layout, [], "first")
    reply = scripts.FETCH(keys=[*call.keys, schema.layout.genKey], args=[*call.args, "0"], client=schema.client())
    assert len(reply) == 2  # one pk and one row, not 506 pks


def test_batch_save_of_one_step_is_one_round_trip(warm, roundtrips):
    objs = [Song(artist=f"a{i % 10}", year=i) for i in range(bigops.STEP)]
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1
    for o in objs:
        o.year += 1
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1


def test_batch_save_of_1000_takes_bounded_steps(warm, roundtrips):
    """Over one step: lock, one call per step of 500, unlock (and one existence check per 5,000
    updates), so that Redis is never held for the whole batch."""
    Song.saver.save([Song(artist="warm", year=i) for i in range(1000)])  # loads lock.lua and unlock.lua
    objs = [Song(artist=f"a{i % 10}", year=i) for i in range(1000)]
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1 + 2 + 1, rt.commands
    for o in objs:
        o.year += 1
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1 + 1 + 2 + 1, rt.commands


def test_a_big_update_of_fields_not_indexed_is_one_call(warm, roundtrips):
    """Updates of up to PLAIN_UPDATE_STEP objects that change no indexed, sorted or unique field
    are one save.lua call (atomic by itself): no lock, no steps."""
    objs = [Song(artist=f"a{i % 10}", year=i, track=1) for i in range(1500)]
    Song.saver.save(objs)
    for o in objs:
        o.track += 1
        o.tags = ["t"]
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1, rt.commands
    assert Song.objects.filter(artist="a3").all()[0].track == 2
    for o in objs:
        o.year += 1  # an indexed field: the steps under the lock again
    with roundtrips() as rt:
        Song.saver.save(objs)
    assert rt.count == 1 + 1 + 3 + 1, rt.commands
    assert Song.objects.verify().ok


def test_a_big_plain_update_of_a_deleted_object_writes_nothing(warm):
    from IndexedRedis import ObjectNotFoundError

    objs = [Song(artist="b", year=1, track=1) for _ in range(800)]
    Song.saver.save(objs)
    Song.deleter.deleteByPk(objs[600]._id)
    for o in objs:
        o.track = 5
    with pytest.raises(ObjectNotFoundError):
        Song.saver.save(objs)
    assert Song.objects.filter(artist="b").count() == 799 and all(o.track == 1 for o in Song.objects.filter(artist="b").all())


def test_filtered_delete_is_two_round_trips(warm, roundtrips):
    with roundtrips() as rt:
        assert Song.objects.filter(artist="Nina Simone").delete() == 3
    assert rt.count == 2


def test_reset_round_trips_are_bounded(warm, roundtrips):
    with roundtrips() as rt:
        Song.reset(songs() * 1)
    # INCR generation, marker, one build step, swap, then SCAN/UNLINK rounds of the old generation
    assert rt.count <= 8, rt.commands
    assert "KEYS" not in rt.commands


class PlainRead(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:PlainRead"


class UniqueRead(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    UNIQUE_FIELDS = ["name"]
    KEY_NAME = "irtest:UniqueRead"


def _evalshas(model, body):
    from IndexedRedis.schema import getSchema

    client = getSchema(model).client()
    orig, sent = client.execute_command, []

    def spy(*args, **kwargs):
        if args and args[0] == "EVALSHA":
            sent.append(args[1])
        return orig(*args, **kwargs)

    client.execute_command = spy
    try:
        body()
    finally:
        del client.execute_command
    return sent


def test_plain_models_read_one_object_with_the_plain_scripts(real_db):
    """A model without UNIQUE_FIELDS / EXPIRE sends the variant of keyed.lua without lib.lua in
    front (scripts.PLAIN): the same replies, cheaper on the server; other models the full one."""
    from IndexedRedis import scripts

    for model in (PlainRead, UniqueRead):
        obj = model(name="a")
        obj.save()

        def reads(model=model, obj=obj):
            assert model.objects.get(obj._id).name == "a" and model.objects.filter(name="a").count() == 1
            assert model.objects.get(obj._id + 1000) is None and model.objects.exists(obj._id)

        sent = _evalshas(model, reads)
        want = scripts.PLAIN[scripts.KEYED] if model is PlainRead else scripts.KEYED
        assert len(sent) == 4 and set(sent) == {want.sha}, (model, sent)
