"""IRCompressedField modes, including the other names of zlib mode ('gzip' as in the spec's example, 'gz', None)."""

from __future__ import annotations

import bz2
import lzma
import zlib

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException
from IndexedRedis.fields import COMPRESS_MODE_BZ2, COMPRESS_MODE_LZMA, COMPRESS_MODE_ZLIB, IRCompressedField


@pytest.mark.parametrize(
    "mode, module",
    [
        ("gzip", zlib),
        ("gz", zlib),
        ("GZIP", zlib),
        (None, zlib),
        (COMPRESS_MODE_ZLIB, zlib),
        (COMPRESS_MODE_BZ2, bz2),
        ("bzip2", bz2),
        (COMPRESS_MODE_LZMA, lzma),
        ("xz", lzma),
    ],
)
def test_modes_and_their_6x_names(mode, module):
    field = IRCompressedField("c", compressMode=mode)
    assert field._definitionProblem() is None
    assert field.getCompressMod() is module
    stored = field.toStorage(field.fromInput(b"data" * 50))
    assert module.decompress(stored) == b"data" * 50
    assert field.fromStorage(stored) == b"data" * 50


def test_spec_example_gzip_field_stores_zlib_data(ir_db):
    class Thumb(IndexedRedisModel):
        FIELDS = [IRCompressedField("thumbnail", compressMode="gzip")]
        KEY_NAME = "irtest:Thumb"

    t = Thumb(thumbnail=b"\x89PNG" * 100)
    t.save()
    raw = ir_db.hget(b"_ir_|irtest:Thumb:data:%d" % t.getPk(), b"thumbnail")
    assert zlib.decompress(raw) == b"\x89PNG" * 100
    assert Thumb.objects.get(t.getPk()).thumbnail == b"\x89PNG" * 100


def test_unknown_mode_is_refused_on_first_use_with_the_choices():
    class Rar(IndexedRedisModel):
        FIELDS = [IRCompressedField("c", compressMode="rar")]
        KEY_NAME = "irtest:Rar"

    with pytest.raises(InvalidModelException, match="Rar.*'c'.*'rar'.*zlib.*bz2.*lzma"):
        Rar()
