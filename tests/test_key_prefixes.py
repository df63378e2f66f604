"""Models whose KEY_NAME starts with another model's KEY_NAME and ':' never touch each other's keys."""

from __future__ import annotations

from IndexedRedis import IndexedRedisModel, IRField
from IndexedRedis.keys import KeyLayout


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
