"""Collection key names, pinned byte for byte."""

from __future__ import annotations

import re

from IndexedRedis.collections import RedisList, RedisLock, RedisQueue
from IndexedRedis.keys import KeyLayout, autoCollectionKey, childKey, collectionKey, lockFenceKey, queueUnfinishedKey

from .models import Playlist, Track


def test_collection_key_names():
    layout = KeyLayout("Playlist")
    assert layout.collection("tracks", 7) == b"_ir_|Playlist:coll:tracks:7"
    assert layout.forGen(3).collection("tracks", 7) == b"_ir_|Playlist:gen3:coll:tracks:7"
    assert layout.ownGen(b"_ir_|Playlist:coll:tracks:7") == 0
    assert layout.ownGen(b"_ir_|Playlist:gen3:coll:tracks:7") == 3
    assert layout.ownGen(b"_ir_|Playlist:coll:tracks:x") is None
    assert layout.ownGen(b"_ir_|Playlist:coll:tracks") is None
    assert collectionKey("User:luke") == b"User:luke" and collectionKey(b"\xff") == b"\xff"
    assert childKey("User:luke", "friends") == b"User:luke:friends"
    assert queueUnfinishedKey(b"jobs") == b"jobs:unfinished" and lockFenceKey("L") == b"L:fence"
    assert re.fullmatch(rb"_ir_\|coll:RedisList:[A-Za-z0-9_-]{16}", autoCollectionKey("RedisList"))
    assert autoCollectionKey("RedisList") != autoCollectionKey("RedisList")


def test_keys_written(real_db):
    RedisList("plain", ["a"]).append("b")
    q = RedisQueue("jobs")
    q.put("x")
    lock = RedisLock("L")
    lock.acquire()
    auto = RedisList()
    auto.append("x")
    t = Track(title="a")
    t.save()
    p = Playlist(name="p")
    p.tracks.append(t)
    p.plays.update(["x"])
    p.save()
    # (left out: Track's keys, and the kept replies of inserts, _ir_|KEY:op:TOKEN, which expire)
    found = [k for k in real_db.scan_iter() if not k.startswith(b"_ir_|irtest:colls:Track") and b":op:" not in k]
    assert sorted(found) == sorted(
        [
            b"plain",
            b"jobs",
            b"jobs:unfinished",
            b"L",
            b"L:fence",
            auto.key,
            b"_ir_|irtest:colls:Playlist:data:1",
            b"_ir_|irtest:colls:Playlist:idx:name:p",
            b"_ir_|irtest:colls:Playlist:keys",
            b"_ir_|irtest:colls:Playlist:next",
            b"_ir_|irtest:colls:Playlist:ver",
            b"_ir_|irtest:colls:Playlist:coll:tracks:1",
            b"_ir_|irtest:colls:Playlist:coll:plays:1",
        ]
    )
    assert real_db.lrange(b"plain", 0, -1) == [b"a", b"b"]
    assert real_db.lrange(b"_ir_|irtest:colls:Playlist:coll:tracks:1", 0, -1) == [b"1"]
    assert real_db.zrange(b"_ir_|irtest:colls:Playlist:coll:plays:1", 0, -1, withscores=True) == [(b"x", 1.0)]
    assert real_db.hgetall(b"_ir_|irtest:colls:Playlist:data:1") == {b"name": b"p"}  # nothing of the collections
