"""Models for the collection tests (module level, so they pickle)."""

from __future__ import annotations

from IndexedRedis import IndexedRedisModel, IRField
from IndexedRedis.collections import IRCounterField, IRDictField, IRListField, IRSetField


class Track(IndexedRedisModel):
    FIELDS = [IRField("title"), IRField("year", valueType=int)]
    INDEXED_FIELDS = ["title"]
    KEY_NAME = "irtest:colls:Track"


class Playlist(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:colls:Playlist"

    tracks = IRListField(of=Track)
    plays = IRCounterField()
    ratings = IRDictField(valueField=IRField(valueType=int))
    tags = IRSetField()
