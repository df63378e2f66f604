"""Code with deliberate type errors: mypy must report exactly the ones marked ``# error: CODE``
(tests/typing/test_mypy.py). Only tests/test_declared_fields.py imports it, for PlainAnnotation."""

from __future__ import annotations

from typing import Type

from IndexedRedis import IndexedRedisModel, IRField


class Song(IndexedRedisModel):
    KEY_NAME = "irtest:typing:SongErrors"
    INDEXED_FIELDS = ["year"]

    title: IRField[str] = IRField()
    year: IRField[int] = IRField(valueType=int)


def label(song: Song) -> str:
    return song.title + song.year  # error: operator


def yearOf(pk: int) -> int:
    return Song.objects.get(pk).year  # error: union-attr


def titleLength(song: Song) -> int:
    return song.year.upper()  # error: attr-defined


def notAModel() -> Type[int]:
    return Song.copyModel()  # error: return-value


class PlainAnnotation(IndexedRedisModel):
    """Runs (the field fills FIELDS), but the annotation must be the field type, IRField[int]."""

    KEY_NAME = "irtest:typing:PlainAnnotation"
    year: int = IRField(valueType=int)  # error: assignment
