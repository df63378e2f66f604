"""Objects: construction, typed values, change tracking, copies, pickling, comparison, validation."""

from __future__ import annotations

import copy
import datetime
import io
import pickle
import warnings

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    InvalidFieldError,
    InvalidModelException,
    InvalidValueError,
    IRClassicField,
    IRField,
    IRPickleField,
    IRRawField,
    ObjectNotFoundError,
    irNull,
)
from tests.models import Song


def test_fields_are_strings_equal_to_their_names():
    assert Song.FIELDS["artist"] == "artist"
    assert isinstance(Song.FIELDS["year"], str)
    assert "title" in Song.FIELDS
    assert Song.FIELDS["year"].valueType is int
    with pytest.raises(KeyError):
        Song.FIELDS["nope"]


def test_new_object_defaults_and_native_types(ir_db):
    s = Song(artist="A", year="1999", price="2.5")
    assert s.getPk() is None and s._id is None
    assert s.year == 1999 and type(s.year) is int
    assert s.price == 2.5
    assert s.track == 1  # defaultValue
    assert s.title is irNull and s.tags is irNull
    assert s.hasUnsavedChanges()
    ids = s.save()
    assert type(ids) is list and len(ids) == 1
    pk = ids[0]
    assert pk == s.getPk() == s._id and isinstance(pk, int) and pk > 0
    got = Song.objects.get(pk)
    assert type(got.year) is int and got.year == 1999
    assert got.title is irNull
    assert got.track == 1


def test_all_value_types_round_trip(ir_db):
    when = datetime.datetime(2020, 2, 29, 23, 59, 58, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))
    s = Song(artist="A", title="t", year=2020, price=3.14, tags=["x", {"y": 1}], added=when, live=True)
    s.save()
    got = Song.objects.get(s.getPk())
    assert got.added == when and got.added.utcoffset() == datetime.timedelta(hours=-5)
    assert got.tags == ["x", {"y": 1}]
    assert got.live is True and got.price == 3.14


def test_change_tracking_and_partial_update(ir_db):
    s = Song(artist="A", title="t", year=1)
    s.save()
    assert not s.hasUnsavedChanges()
    assert s.getUpdatedFields() == {}
    s.title = "u"
    s.year = 2
    assert s.getUpdatedFields() == {"title": ("t", "u"), "year": (1, 2)}
    other = Song.objects.get(s.getPk())
    other.artist = "B"  # concurrent change of another field survives our save
    other.save()
    s.save()
    got = Song.objects.get(s.getPk())
    assert (got.artist, got.title, got.year) == ("B", "u", 2)
    got.tags = ["new"]
    assert got.getUpdatedFields() == {"tags": (irNull, ["new"])}


def test_in_place_mutation_of_a_list_is_seen(ir_db):
    s = Song(artist="A", tags=["a"])
    s.save()
    s.tags.append("b")
    assert s.getUpdatedFields() == {"tags": (["a"], ["a", "b"])}
    s.save()
    assert Song.objects.get(s.getPk()).tags == ["a", "b"]


def test_asDict_and_pprint(ir_db):
    s = Song(artist="A", year=3)
    s.save()
    d = s.asDict()
    assert d["artist"] == "A" and isinstance(list(d)[0], IRField)
    assert s.asDict(strKeys=True, includeMeta=True)["_id"] == s.getPk()
    assert type(list(s.asDict(strKeys=True))[0]) is str
    assert s.asDict(forStorage=True)["year"] == "3"  # text fields give str
    out = io.StringIO()
    s.pprint(stream=out)
    assert "'artist': 'A'" in out.getvalue()


def test_diff_hasSameValues_eq(ir_db):
    a, b = Song(artist="A", year=1), Song(artist="A", year=2)
    assert IndexedRedisModel.diff(a, b) == {"year": (1, 2)}
    assert Song.diff(a, b) == {"year": (1, 2)}
    assert a.diff(b) == {"year": (1, 2)}
    assert a.diff(b, includeMeta=True) == {"year": (1, 2)}
    assert not a.hasSameValues(b)
    b.year = 1
    assert a.hasSameValues(b) and a == b  # both unsaved: same pk (None) and values
    a.save()
    assert a != b
    assert a == Song.objects.get(a.getPk())


def test_copy_variants(ir_db):
    s = Song(artist="A", tags=["x"])
    s.save()
    c = s.copy()
    assert c.getPk() is None and c.tags is s.tags
    c2 = s.copy(copyPrimaryKey=True, copyValues=True)
    assert c2.getPk() == s.getPk() and c2.tags == s.tags and c2.tags is not s.tags
    c2.title = "via copy"
    c2.save()
    assert Song.objects.get(s.getPk()).title == "via copy"
    shallow, deep = copy.copy(s), copy.deepcopy(s)
    assert shallow == s and deep == s and deep.tags is not s.tags
    c.save()
    assert c.getPk() != s.getPk() and Song.objects.count() == 2


def test_pickle(ir_db):
    s = Song(artist="A", year=5, added=datetime.datetime(2001, 1, 1))
    s.save()
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.getPk() == s.getPk()
    back.year = 6
    back.save()
    assert Song.objects.get(s.getPk()).year == 6


def test_reload(ir_db):
    s = Song(artist="A", year=1)
    s.save()
    other = Song.objects.get(s.getPk())
    other.year = 2
    other.save()
    assert s.reload() == {"year": (1, 2)}
    assert s.year == 2 and not s.hasUnsavedChanges()
    other.delete()
    with pytest.raises(KeyError):
        s.reload()
    with pytest.raises(ObjectNotFoundError):
        Song(artist="never saved").reload()


def test_delete_object(ir_db):
    s = Song(artist="A", year=1)
    s.save()
    assert s.delete() == 1
    assert s.getPk() is None
    assert Song.objects.count() == 0
    assert Song.objects.filter(artist="A").count() == 0
    assert not [k for k in ir_db.scan_iter(match=b"_ir_|irtest:Song:idx:*")]


def test_saveToExternal(real_db, redis_server_url):
    import redis

    other = redis.Redis.from_url(redis_server_url.rsplit("/", 1)[0] + "/2")
    other.flushdb()
    s = Song(artist="Ext", year=7)
    s.save()
    own = s.getPk()
    pk = s.saveToExternal(other)
    assert s.getPk() == own  # the object itself is unchanged
    assert other.hgetall(b"_ir_|irtest:Song:data:%d" % pk)[b"artist"] == b"Ext"
    assert other.smembers(b"_ir_|irtest:Song:idx:artist:Ext") == {str(pk).encode()}
    other.flushdb()


def test_unknown_kwarg_and_positional_args():
    s = Song(nope=1, artist="A")  # ignored, as 6.0.3 does
    assert s.artist == "A" and "nope" not in s.__dict__ and not hasattr(s, "nope")

    class StrictSong(Song):
        STRICT_CONSTRUCTOR = True

    with pytest.raises(InvalidFieldError, match="nope"):
        StrictSong(nope=1)
    with pytest.raises(TypeError):
        Song("A")


# ----------------------------------------------------------------------------- validation on first use
def _define(**attrs):
    return type("Broken", (IndexedRedisModel,), attrs)


@pytest.mark.parametrize(
    "attrs, message",
    [
        (dict(FIELDS=[IRField("a")]), "KEY_NAME"),
        (dict(KEY_NAME="irtest:B"), "FIELDS"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("a")], INDEXED_FIELDS=["b"]), "'b' is not in FIELDS"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("a"), IRField("a")]), "twice"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("save")]), "clashes"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("f", valueType=float)], INDEXED_FIELDS=["f"]), "IRFixedPointField"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("j", valueType=dict)], INDEXED_FIELDS=["j"]), "cannot be indexed"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRPickleField("p")], INDEXED_FIELDS=["p"]), "cannot be indexed"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRRawField("r")], INDEXED_FIELDS=["r"]), "cannot be indexed"),
        (dict(KEY_NAME="irtest:B", FIELDS=[IRField("x", valueType=5)]), "valueType"),
    ],
)
def test_invalid_models_raise_on_first_use_not_at_definition(attrs, message):
    Broken = _define(**attrs)  # defining never raises
    with pytest.raises(InvalidModelException, match=message) as info:
        Broken()
    assert "Broken" in str(info.value)
    with pytest.raises(InvalidModelException):
        Broken.objects.all()


def test_plain_string_fields_warn_and_behave_as_classic(ir_db):
    Plain = _define(KEY_NAME="irtest:Plain", FIELDS=["a", "b"], INDEXED_FIELDS=["a"])
    with pytest.warns(DeprecationWarning, match="plain strings"):
        p = Plain(a="x")
    assert p.b == ""
    assert isinstance(Plain.FIELDS["a"], IRClassicField)
    p.save()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Plain.objects.filter(a="x").first().b == ""


def test_classic_field_default_is_empty_string():
    C = _define(KEY_NAME="irtest:C", FIELDS=[IRClassicField("c")])
    assert C().c == ""


def test_wrong_type_on_assignment_names_model_and_field():
    s = Song()
    with pytest.raises(InvalidValueError) as info:
        s.year = "nineteen"
    assert "Song" in str(info.value) and "year" in str(info.value)
    with pytest.raises(ValueError):  # also a builtin ValueError, as 6.x raised
        s.year = 1.5


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
