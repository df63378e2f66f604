"""Public names: sorted __all__, and the names code written for 6.0.3 imports."""

from __future__ import annotations

import importlib

import IndexedRedis


def test_all_is_sorted_and_resolves():
    assert list(IndexedRedis.__all__) == sorted(IndexedRedis.__all__)
    for name in IndexedRedis.__all__:
        assert getattr(IndexedRedis, name) is not None


def test_6x_import_paths():
    fields = importlib.import_module("IndexedRedis.fields")
    for name in (
        "IRField",
        "IRBase64Field",
        "IRCompressedField",
        "IRFixedPointField",
        "IRPickleField",
        "IRUnicodeField",
        "IRBytesField",
        "IRClassicField",
        "IRRawField",
        "IRForeignLinkField",
        "IRForeignMultiLinkField",
        "IRFieldChain",
        "irNull",
    ):
        assert hasattr(fields, name), name
    from IndexedRedis.fields.FieldValueTypes import IRDatetimeValue, IRJsonValue  # noqa: F401
    from IndexedRedis.compat_str import to_unicode, tobytes

    assert to_unicode(b"\xc3\xa9") == "é" and tobytes("é") == b"\xc3\xa9"
    for name in (
        "IndexedRedisModel",
        "IRQueryableList",
        "irNull",
        "setDefaultIREncoding",
        "getDefaultIREncoding",
        "setDefaultRedisConnectionParams",
        "getDefaultRedisConnectionParams",
        "InvalidModelException",
    ):
        assert hasattr(IndexedRedis, name), name


def test_exception_tree():
    from IndexedRedis import exceptions as e

    for name in e.__all__:
        assert issubclass(getattr(e, name), e.IndexedRedisError)
    assert issubclass(e.InvalidQueryError, ValueError) and issubclass(e.ObjectNotFoundError, KeyError)
