"""UNIQUE_FIELDS: unique values, checked on the server in the same atomic step as the write."""

from __future__ import annotations

import multiprocessing

import pytest

from IndexedRedis import (
    IndexedRedisError,
    IndexedRedisModel,
    InvalidModelException,
    InvalidQueryError,
    IRField,
    UniqueConstraintError,
    clearRedisPools,
    irNull,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.fields import IRBase64Field


class Account(IndexedRedisModel):
    FIELDS = [
        IRField("email"),
        IRField("name"),
        IRField("team"),
        IRField("seat", valueType=int),
        IRBase64Field("avatar"),
    ]
    INDEXED_FIELDS = ["name", "avatar"]
    UNIQUE_FIELDS = ["email", ("team", "seat")]
    SORTED_FIELDS = ["seat"]
    KEY_NAME = "irtest:Account"


def _hashes(db):
    return {k: db.hgetall(k) for k in db.scan_iter(match=b"_ir_|irtest:Account:uniq:*")}


def test_error_names_model_fields_value_and_holder(ir_db):
    a = Account(email="a@x.org", name="A", team="red", seat=1)
    a.save()
    b = Account(email="a@x.org", name="B", team="red", seat=2)
    before = {k: ir_db.dump(k) for k in ir_db.keys()}
    with pytest.raises(UniqueConstraintError) as info:
        b.save()
    err = info.value
    assert isinstance(err, IndexedRedisError) and isinstance(err, ValueError)
    assert err.model == "Account" and err.fields == ("email",) and err.value == ("a@x.org",) and err.holder == a._id
    text = str(err)
    assert "Account" in text and "email" in text and "a@x.org" in text and f"pk={a._id}" in text
    assert {k: ir_db.dump(k) for k in ir_db.keys()} == before  # nothing written
    assert b._id is None and Account.objects.count() == 1


def test_unique_together(ir_db):
    Account(email="a", team="red", seat=1).save()
    Account(email="b", team="red", seat=2).save()
    Account(email="c", team="blue", seat=1).save()
    with pytest.raises(UniqueConstraintError) as info:
        Account(email="d", team="red", seat=1).save()
    assert info.value.fields == ("team", "seat") and info.value.value == ("red", 1)
    assert Account.objects.count() == 3


def test_null_and_empty_values_are_not_unique(ir_db):
    Account(email=irNull, team="t").save()
    Account(email=irNull, team="t").save()
    Account(email="", team="t").save()
    Account(email="", team="t").save()
    assert Account.objects.count() == 4
    assert Account.objects.get(email="") is None


def test_update_frees_the_old_value_and_takes_the_new(ir_db):
    a = Account(email="a", team="x", seat=1)
    a.save()
    a.email = "a2"
    a.save()
    Account(email="a", team="x", seat=2).save()  # "a" is free again
    b = Account.objects.get(email="a")
    b.email = "a2"
    with pytest.raises(UniqueConstraintError):
        b.save()
    assert Account.objects.get(email="a2")._id == a._id
    a.delete()
    b.save()  # free after the delete
    assert Account.objects.get(email="a2")._id == b._id
    assert Account.objects.verify().ok


def test_list_save_is_refused_whole(ir_db):
    Account(email="held", team="x", seat=9).save()
    objs = [Account(email=f"e{i}", team="y", seat=i) for i in range(5)] + [Account(email="held", team="z", seat=1)]
    with pytest.raises(UniqueConstraintError):
        Account.saver.save(objs)
    assert Account.objects.count() == 1
    dup = [Account(email="same", team="y", seat=1), Account(email="same", team="y", seat=2)]
    with pytest.raises(UniqueConstraintError, match="same save"):
        Account.saver.save(dup)
    assert Account.objects.count() == 1 and all(o._id is None for o in objs + dup)


def test_swap_in_one_list_save(ir_db):
    a, b = Account(email="a", team="t", seat=1), Account(email="b", team="t", seat=2)
    Account.saver.save([a, b])
    a.email, b.email = "b", "a"
    a.seat, b.seat = 2, 1
    Account.saver.save([a, b])
    assert Account.objects.get(email="a")._id == b._id and Account.objects.get(email="b")._id == a._id
    assert Account.objects.get(team="t", seat=1)._id == b._id
    assert Account.objects.verify().ok


def test_bulk_update_and_increment(ir_db):
    a, b = Account(email="a", team="t", seat=1), Account(email="b", team="t", seat=2)
    Account.saver.save([a, b])
    with pytest.raises(UniqueConstraintError):
        Account.objects.filter(name=irNull).update(email="z")  # two objects, one value
    assert sorted(o.email for o in Account.objects.all()) == ["a", "b"]
    with pytest.raises(UniqueConstraintError) as info:
        a.increment("seat", 1)  # (t, 2) is b's
    assert info.value.holder == b._id
    Account.objects.filter(name=irNull).increment("seat", 10)  # 11 and 12: free, b's move frees nothing of a
    assert sorted(o.seat for o in Account.objects.all()) == [11, 12]
    assert Account.objects.get(team="t", seat=12)._id == b._id
    assert Account.objects.verify().ok


def test_get_by_unique_fields(ir_db, roundtrips):
    a = Account(email="a@x", team="t", seat=3, avatar=b"\x00png")
    a.save()
    assert Account.objects.get(email="a@x")._id == a._id
    assert Account.objects.get(team="t", seat=3)._id == a._id
    assert Account.objects.get(team="t", seat="3")._id == a._id  # converted as a filter value is
    assert Account.objects.get(email="nobody") is None
    with pytest.raises(InvalidQueryError, match="unique"):
        Account.objects.get(team="t")
    with pytest.raises(InvalidQueryError, match="unique"):
        Account.objects.get(name="x")
    if ir_db.connection_pool.connection_class.__name__.startswith("Fake"):
        return
    with roundtrips() as rt:
        Account.objects.get(email="a@x")
    assert rt.count == 1


def test_saves_with_unique_fields_are_one_round_trip(real_db, roundtrips):
    a = Account(email="a", team="t", seat=1)
    with roundtrips() as rt:
        a.save()
    assert rt.count == 1
    a.email = "b"
    with roundtrips() as rt:
        a.save()
    assert rt.count == 1
    with roundtrips() as rt:
        Account.saver.save([Account(email=f"m{i}", team="u", seat=i) for i in range(50)])
    assert rt.count == 1


def test_reset_refuses_duplicates_and_keeps_the_old_dataset(ir_db):
    Account.saver.save([Account(email="old1"), Account(email="old2")])
    with pytest.raises(UniqueConstraintError, match="reset") as info:
        Account.reset([Account(email="n1"), Account(email="n2"), Account(email="n1")])
    assert info.value.value == ("n1",)
    assert sorted(o.email for o in Account.objects.all()) == ["old1", "old2"]
    assert Account.objects.get(email="old1") is not None and Account.objects.get(email="n1") is None
    Account.reset([Account(email="n1"), Account(email="n2")])
    assert Account.objects.get(email="n1") is not None and Account.objects.get(email="old1") is None
    report = Account.objects.verify()
    assert report.ok, report


def test_verify_and_repair_unique_hashes(real_db):
    a, b = Account(email="a", team="t", seat=1), Account(email="b", team="t", seat=2)
    Account.saver.save([a, b])
    key = b"_ir_|irtest:Account:uniq:email"
    real_db.hdel(key, b"a")  # missing entry
    real_db.hset(key, b"ghost", b"999")  # stale entry
    real_db.hset(b"_ir_|irtest:Account:data:%d" % b._id, "team", "t2")  # data changed behind our back
    report = Account.objects.verify()
    assert not report.ok
    assert sorted((pk, f) for pk, f, _, _ in report.uniqueMissing) == sorted([(a._id, ("email",)), (b._id, ("team", "seat"))])
    assert sorted((f, m, pk) for f, m, pk in report.uniqueStale) == sorted(
        [(("email",), b"ghost", 999), (("team", "seat"), b"1:t1:2", b._id)]
    )
    again = Account.objects.repair()
    assert again.ok, again
    assert Account.objects.get(email="a")._id == a._id and Account.objects.get(team="t2", seat=2)._id == b._id


def test_bad_definitions():
    def model(**attrs):
        attrs.setdefault("FIELDS", [IRField("a"), IRField("b")])
        attrs.setdefault("KEY_NAME", "irtest:BadUnique")
        return type("BadUnique", (IndexedRedisModel,), attrs)

    for unique, text in (
        ("a", "list"),
        (["zz"], "not in FIELDS"),
        ([("a", "a")], "twice"),
        ([()], "non-empty"),
        (["a", "a"], "twice"),
    ):
        with pytest.raises(InvalidModelException, match=text):
            model(UNIQUE_FIELDS=unique)()


def _claim(url: str, email: str, tries: int, out) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    won = 0
    for i in range(tries):
        try:
            Account(email=f"{email}{i}", team="race", seat=None).save()
            won += 1
        except UniqueConstraintError:
            pass
    out.put(won)


def test_racing_processes_exactly_one_wins(real_db, redis_server_url):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(redis_server_url, "e", 300, out)) for _ in range(4)]
    for p in procs:
        p.start()
    wins = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert sum(wins) == 300  # every e<i> was won by exactly one process
    assert Account.objects.count() == 300
    assert sorted(o.email for o in Account.objects.all()) == sorted(f"e{i}" for i in range(300))
    assert Account.objects.verify().ok


def test_writes_in_several_steps_check_the_whole_batch_first(real_db, monkeypatch):
    from IndexedRedis import bigops

    monkeypatch.setattr(bigops, "STEP", 10)
    Account(email="held", team="h", seat=1).save()
    objs = [Account(email=f"s{i}", team="s", seat=i) for i in range(35)]
    objs[30].email = "held"  # in the fourth step
    with pytest.raises(UniqueConstraintError) as info:
        Account.saver.save(objs)
    assert info.value.holder == 1 and Account.objects.count() == 1
    objs[30].email = "s5"  # a duplicate across steps
    with pytest.raises(UniqueConstraintError, match="same save"):
        Account.saver.save(objs)
    assert Account.objects.count() == 1
    objs[30].email = "s30"
    Account.saver.save(objs)
    assert Account.objects.count() == 36
    with pytest.raises(UniqueConstraintError) as info:
        Account.objects.filter(name=irNull).update(email="one")
    assert info.value.value == ("one",)
    Account.objects.filter(seat__gte=0).increment("seat", 1)  # 36 objects in 4 steps, each to a free seat
    assert sorted(o.seat for o in Account.objects.all().filter(team="s")) == list(range(1, 36))
    assert Account.objects.verify().ok


def test_destroy_model_and_reset_drop_unique_and_expiry_keys(real_db):
    from tests.test_expiry import Session

    for model in (Account, Session):
        model.saver.save([model(email="a", token="a"), model(email="b", token="b")])
        model.reset([model(email="c", token="c")])
        model.saver.save([model(email="d", token="d")])
        keys = [k for k in real_db.keys(b"_ir_|" + model.KEY_NAME.encode() + b":*") if b":op:" not in k]
        assert any(b":uniq:" in k for k in keys)
        assert not any(
            b":gen" in k and b":uniq:" in k and not k.startswith(b"_ir_|%s:gen1:" % model.KEY_NAME.encode()) for k in keys
        )
        model.deleter.destroyModel()
        left = [k for k in real_db.keys(b"_ir_|" + model.KEY_NAME.encode() + b":*") if b":op:" not in k]
        assert left == []


def test_reindex_builds_the_unique_index_of_existing_data(real_db):
    class Before(IndexedRedisModel):
        FIELDS = [IRField("email"), IRField("name")]
        KEY_NAME = "irtest:Grown"

    class After(IndexedRedisModel):
        FIELDS = [IRField("email"), IRField("name")]
        UNIQUE_FIELDS = ["email"]
        KEY_NAME = "irtest:Grown"

    Before.saver.save([Before(email="a", name="1"), Before(email="b", name="2")])
    After.objects.reindex()
    assert After.objects.get(email="b").name == "2"
    with pytest.raises(UniqueConstraintError):
        After(email="a").save()
    Before(email="b", name="3").save()  # a client that does not know the constraint
    assert not After.objects.verify().ok
    with pytest.raises(UniqueConstraintError, match="twice"):
        After.objects.reindex()
    assert After.objects.get(email="a").name == "1"  # the rest is built all the same


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
