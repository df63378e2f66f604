"""Models whose KEY_NAME starts with another model's KEY_NAME and ':' never touch each other's keys."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException, IRField
from IndexedRedis.keys import RESERVED_WORDS, KeyLayout
from IndexedRedis.schema import getSchema


class User(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:App:User"


class Profile(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("bio")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:App:User:Profile"


def test_ownGen_tells_this_models_keys_from_others():
    layout = KeyLayout("App:User")
    own = {
        b"_ir_|App:User:data:12": 0,
        b"_ir_|App:User:idx:name:x:y": 0,
        b"_ir_|App:User:keys": 0,
        b"_ir_|App:User:ver": 0,
        b"_ir_|App:User:next": 0,
        b"_ir_|App:User:gen": 0,
        b"_ir_|App:User:gennext": 0,
        b"_ir_|App:User:gen7:data:3": 7,
        b"_ir_|App:User:gen7:idx:name:": 7,
        b"_ir_|App:User:gen7:keys": 7,
        b"_ir_|App:User:gen7:ver": 7,
        b"_ir_|App:User:gen7:building": 7,
    }
    for key, gen in own.items():
        assert layout.ownGen(key) == gen, key
    for key in (
        b"_ir_|App:User:Profile:data:1",
        b"_ir_|App:User:Profile:keys",
        b"_ir_|App:User:Profile:gen3:keys",
        b"_ir_|App:Users:keys",
        b"_ir_|App:User:data:x",
        b"_ir_|App:User:gen7:next",
        b"_ir_|App:User:gen07:keys",
        b"_ir_|App:Userx",
    ):
        assert layout.ownGen(key) is None, key


def _profiles():
    return sorted((p.name, p.bio) for p in Profile.objects.all())


def test_reset_destroy_verify_and_repair_leave_the_longer_name_alone(ir_db):
    Profile.saver.save([Profile(name="a", bio="x"), Profile(name="b", bio="y")])
    User.saver.save([User(name="a"), User(name="b")])
    before = _profiles()
    profileKeys = sorted(k for k in ir_db.scan_iter(match=b"_ir_|irtest:App:User:Profile:*"))

    User.reset([User(name="c")])  # drops User's generation 0 by SCAN over _ir_|irtest:App:User:*
    User.reset([User(name="d")])
    assert _profiles() == before
    report = User.objects.verify()
    assert report.ok, report
    User.objects.repair()
    User.objects.reindex()
    assert [u.name for u in User.objects.all()] == ["d"]
    User.deleter.destroyModel()
    assert User.objects.count() == 0
    assert _profiles() == before
    assert sorted(k for k in ir_db.scan_iter(match=b"_ir_|irtest:App:User:Profile:*")) == profileKeys
    assert Profile.objects.verify().ok


# ---------------------------------------------------------------------------- names that collide
def _layoutKeys(layout):
    """One key of every kind the layout makes (generation 0 and a generation 3)."""
    gen3 = layout.forGen(3)
    out = [layout.nextKey, layout.genKey, layout.genNextKey]
    for lay in (layout, gen3):
        out += [lay.data(1), lay.idx("f", "v"), lay.keysKey, lay.verKey, lay.buildingKey]
    return out


def _model(keyName):
    return type("Clash", (IndexedRedisModel,), {"FIELDS": [IRField("name")], "INDEXED_FIELDS": ["name"], "KEY_NAME": keyName})


def test_the_refused_names_would_hand_their_keys_to_the_shorter_model():
    # Why the names are refused: Coll's maintenance judges keys by Coll.ownGen.
    coll = KeyLayout("Coll")
    claimed = {k: coll.ownGen(k) for k in _layoutKeys(KeyLayout("Coll:gen5"))}
    assert claimed[KeyLayout("Coll:gen5").data(1)] == 5  # Coll.repair() deleted it as an abandoned generation
    assert coll.ownGen(KeyLayout("Coll:idx").data(1)) == 0  # read as Coll's index of a field 'data': WRONGTYPE
    assert coll.ownGen(KeyLayout("Coll:idx").keysKey) is None
    for other in ("Coll:sub", "Coll:Sub:gen", "Coll:genx", "Coll:data_", "Coll:ids", "Coll:generation"):
        assert not any(coll.ownGen(k) is not None for k in _layoutKeys(KeyLayout(other))), other


@pytest.mark.parametrize(
    "keyName",
    sorted("Coll:" + w for w in RESERVED_WORDS)
    + ["Coll:gen5", "Coll:gen0", "Coll:gen5:x", "A:idx:B", "irtest:App:data", "Coll:keys:x"],
)
def test_key_names_that_could_share_keys_with_another_model_are_refused(keyName):
    model = _model(keyName)
    part = next(p for p in keyName.split(":")[1:] if p in RESERVED_WORDS or p.startswith("gen"))
    with pytest.raises(InvalidModelException) as info:
        model.validateModel()
    message = str(info.value)
    assert message.startswith("Model Clash: KEY_NAME") and repr(keyName) in message and repr(":" + part) in message
    assert "Rename" in message
    with pytest.raises(InvalidModelException):
        model(name="x")


@pytest.mark.parametrize("keyName", ["data", "gen5", "idx:x", "Coll:sub", "Coll:genx", "Coll:Data", "Coll:gen_5"])
def test_names_whose_keys_cannot_collide_are_accepted(keyName):
    assert _model(keyName).validateModel()


class Coll(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["name", "n"]
    KEY_NAME = "irtest:Coll"


class CollSub(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("data")]
    INDEXED_FIELDS = ["name", "data"]
    KEY_NAME = "irtest:Coll:sub"


def _dump(client, model):
    """Every key of the model with its type and contents (the kept replies of recent writes,
    ``_ir_|KEY:op:TOKEN``, left out: they expire by themselves)."""
    layout = getSchema(model).layout
    out = {}
    for key in client.scan_iter(match=layout.allPattern()):
        if layout.ownGen(key) is None or key.startswith(layout.opPrefix):
            continue
        kind = client.type(key)
        if kind == b"hash":
            value = client.hgetall(key)
        elif kind == b"set":
            value = client.smembers(key)
        else:
            value = client.get(key)
        out[key] = (kind, value)
    return out


@pytest.mark.parametrize("first,second", [(Coll, CollSub), (CollSub, Coll)], ids=["Coll", "Coll:sub"])
def test_maintenance_of_one_model_leaves_the_other_alone(real_db, first, second):
    # Both models have data in generation 0 and in a later generation (reset), and their names
    # share the prefix _ir_|irtest:Coll: that every SCAN pattern of the shorter one matches.
    Coll.saver.save([Coll(name="a", n=1), Coll(name="b", n=2)])
    CollSub.saver.save([CollSub(name="a", data="1"), CollSub(name="b", data="x")])
    second.reset([second(name="r1"), second(name="r2")])
    other = _dump(real_db, second)
    assert len(other) >= 5
    # A leftover of the first model for repair to reclaim: an abandoned generation 9.
    leftover = getSchema(first).layout.forGen(9).data(1)
    real_db.hset(leftover, "name", "stale")

    # (made by hand, it is in no registry: deep=True finds it with one SCAN of the model's keys)
    report = first.objects.verify(deep=True)
    assert [g for g, _ in report.leftoverGenerations] == [9]
    first.objects.repair(deep=True)
    assert not real_db.exists(leftover)
    assert first.objects.verify().ok
    first.reset([first(name="c")])
    first.reset([first(name="d")])
    assert [o.name for o in first.objects.all()] == ["d"]
    first.deleter.destroyModel()
    assert first.objects.count() == 0 and _dump(real_db, first) == {}

    assert _dump(real_db, second) == other
    assert second.objects.verify().ok
    assert sorted(o.name for o in second.objects.all()) == ["r1", "r2"]
