"""The raw link holder, as 6.0.3 code reaches it: ``object.__getattribute__(obj, 'link')`` is the
holder in the instance dict, ``obj.link`` the resolved object, and change reports
(``getUpdatedFields``, ``reload``) give holders for link fields."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys

import pytest

from IndexedRedis import IndexedRedisModel, InvalidValueError, IRField, irNull
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField
from IndexedRedis.results import IRQueryableList

raw = object.__getattribute__


class Writer(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("age", valueType=int), IRForeignLinkField("mentor", "self")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:HolderWriter"


class Book(IndexedRedisModel):
    FIELDS = [
        IRField("title"),
        IRField("pages", valueType=int),
        IRForeignLinkField("author", Writer),
        IRForeignMultiLinkField("editors", Writer),
    ]
    INDEXED_FIELDS = ["title", "author"]
    KEY_NAME = "irtest:HolderBook"


class Plain(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("n", valueType=int)]
    KEY_NAME = "irtest:HolderPlain"


def _saved():
    """A saved book: author Ann (mentored by Bob), editors [Bob, Cy]."""
    bob = Writer(name="Bob", age=60)
    ann = Writer(name="Ann", age=30, mentor=bob)
    cy = Writer(name="Cy", age=40)
    book = Book(title="T", pages=100, author=ann, editors=[bob, cy])
    book.save()
    return book, ann, bob, cy


def _isHolder(value) -> bool:
    return all(hasattr(value, n) for n in ("pk", "obj", "isFetched", "getObj", "getPk", "objHasUnsavedChanges", "foreignModel"))


# ---------------------------------------------------------------------------- item 20: where the holder lives
def test_raw_value_is_the_holder_and_the_attribute_is_the_resolved_object(real_db, roundtrips):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk())
    with roundtrips() as rt:
        author = raw(got, "author")
        editors = raw(got, "editors")
    assert rt.count == 0  # reading the raw value never fetches
    assert _isHolder(author) and _isHolder(editors)
    assert author.pk == ann.getPk() and type(author.pk) is int and not author.isFetched()
    assert editors.pk == [bob.getPk(), cy.getPk()] and not editors.isFetched()
    assert Book.FIELDS["author"].linkOf(got) is author  # the same holder, in the instance dict
    assert got.__dict__["author"] is author
    with roundtrips() as rt:
        resolved = got.author
    assert rt.count == 1
    assert isinstance(resolved, Writer) and resolved.name == "Ann"
    assert raw(got, "author") is author and author.isFetched() and author.obj is resolved
    assert [w.name for w in got.editors] == ["Bob", "Cy"] and editors.isFetched()
    assert [w.name for w in editors.obj] == ["Bob", "Cy"]
    with roundtrips() as rt:
        assert got.author is resolved and got.author__id == ann.getPk()
    assert rt.count == 0


def test_only_models_with_links_override_attribute_reads(real_db):
    Plain(name="p").save()
    Plain.objects.all()
    Book(title="x")
    assert Plain.__getattribute__ is object.__getattribute__  # plain attribute reads
    assert "__getattribute__" in Book.__dict__ and Book.__getattribute__ is not object.__getattribute__
    assert "__getattribute__" in Writer.__dict__

    class LinklessChild(Book):
        FIELDS = [IRField("only")]
        INDEXED_FIELDS: list = []
        KEY_NAME = "irtest:HolderLinklessChild"

    class LinkedChild(Plain):
        FIELDS = [IRField("name"), IRForeignLinkField("friend", Writer)]
        KEY_NAME = "irtest:HolderLinkedChild"

    LinklessChild(only="x")
    assert LinklessChild.__getattribute__ is object.__getattribute__  # a model without links reads plainly again
    w = Writer(name="w")
    w.save()
    child = LinkedChild(name="c", friend=w.getPk())
    assert _isHolder(raw(child, "friend")) and child.friend.name == "w"
    assert Plain.__getattribute__ is object.__getattribute__  # the parent is not touched


def test_assignment_still_converts_values_on_models_with_links(ir_db):
    w = Writer(name="w")
    w.save()
    book = Book(title="t")
    book.author = str(w.getPk())
    assert raw(book, "author").pk == w.getPk() and not raw(book, "author").isFetched()
    book.pages = "12"
    assert book.pages == 12 and raw(book, "pages") == 12
    with pytest.raises(InvalidValueError, match="Model Book.*author"):
        book.author = "nope"
    assert raw(book, "author").pk == w.getPk()  # a refused assignment leaves the holder as it was
    book.editors = [w, w.getPk()]
    assert raw(book, "editors").pk == [w.getPk(), w.getPk()]


def test_a_user_defined_getattribute_on_a_model_with_links_is_kept(ir_db):
    class Traced(IndexedRedisModel):
        FIELDS = [IRField("name"), IRForeignLinkField("writer", Writer)]
        KEY_NAME = "irtest:HolderTraced"
        seen: list = []

        def __getattribute__(self, name):
            if name == "name":
                type(self).seen.append(name)
            return object.__getattribute__(self, name)

    w = Writer(name="w")
    w.save()
    t = Traced(name="n", writer=w.getPk())
    assert t.name == "n" and Traced.seen == ["name"]
    assert t.writer.name == "w" and _isHolder(raw(t, "writer"))


def test_a_never_set_link_is_null(ir_db):
    book = Book(title="t")
    for name in ("author", "editors"):
        value = raw(book, name)
        assert value == irNull and irNull == value and not (value != irNull)
    assert book.author is irNull
    assert not book.editors and len(book.editors) == 0
    book.save()
    got = Book.objects.get(book.getPk())
    assert raw(got, "author") == irNull and raw(got, "editors") == irNull
    assert got.author is irNull and not got.editors and len(got.editors) == 0
    got.author = None
    got.editors = irNull
    assert raw(got, "author") == irNull and raw(got, "editors") == irNull


# ---------------------------------------------------------------------------- item 20: the holders
def test_single_link_holder(real_db, roundtrips):
    w = Writer(name="w", age=1)
    book = Book(title="t", author=w)
    h = raw(book, "author")
    assert h.isFetched() and h.obj is w and h.getObj() is w and h.pk is None and h.getPk() is None
    assert h.foreignModel is Writer and h.objHasUnsavedChanges()  # w is not saved yet
    book.save()
    assert h.pk == w.getPk() and type(h.pk) is int and h.getPk() == w.getPk()
    assert not h.objHasUnsavedChanges()
    w.age = 2
    assert h.objHasUnsavedChanges()
    w.save()

    book.author = w.getPk()  # built from a pk: not fetched until first access
    h = raw(book, "author")
    assert not h.isFetched() and not h.obj and h.pk == w.getPk()
    assert not h.objHasUnsavedChanges()
    with roundtrips() as rt:
        got = h.getObj()
    assert rt.count == 1 and isinstance(got, Writer) and got.getPk() == w.getPk() and got is not w
    assert h.isFetched() and h.obj is got
    with roundtrips() as rt:
        assert h.getObj() is got and book.author is got
    assert rt.count == 0
    assert h.getPks() == [w.getPk()] and h.getObjs() == [got]


def test_multi_link_holder(real_db, roundtrips):
    a, b = Writer(name="a"), Writer(name="b")
    a.save()
    b.save()
    book = Book(title="t", editors=[a, b])
    h = raw(book, "editors")
    assert h.isFetched() and h.pk == [a.getPk(), b.getPk()] and h.obj == [a, b] and h.obj[0] is a
    assert h.getObj() == [a, b] and h.getObjs()[1] is b and h.foreignModel is Writer
    assert not h.objHasUnsavedChanges()
    b.name = "b2"
    assert h.objHasUnsavedChanges()

    book.editors = [a, b.getPk()]  # objects and pks mixed: not fetched
    h = raw(book, "editors")
    assert not h.isFetched() and h.pk == [a.getPk(), b.getPk()] and h.getPk() == h.pk
    with roundtrips() as rt:
        objs = h.getObjs()
    assert rt.count == 1 and objs[0] is a and objs[1].name == "b" and objs[1] is not b
    assert h.isFetched() and h.obj == objs

    book.editors = [b.getPk(), a.getPk()]
    h = raw(book, "editors")
    assert not h.isFetched() and h.pk == [b.getPk(), a.getPk()]
    assert [o.name for o in h.getObj()] == ["b", "a"] and h.isFetched()
    assert [o.name for o in book.editors] == ["b", "a"]


def test_holders_compare_by_pks(ir_db):
    book, ann, bob, cy = _saved()
    one, two = Book.objects.get(book.getPk()), Book.objects.get(book.getPk())
    assert two.author.name == "Ann"  # fetched on one side only
    assert raw(one, "author") == raw(two, "author") and not (raw(one, "author") != raw(two, "author"))
    assert raw(one, "editors") == raw(two, "editors")
    assert raw(one, "author") != raw(Book(title="x", author=bob), "author")
    assert raw(one, "editors") != raw(Book(title="x", editors=[cy, bob]), "editors")
    assert raw(one, "author") != irNull and irNull != raw(one, "author")
    assert raw(one, "author") == ann.getPk() and raw(one, "editors") == [bob.getPk(), cy.getPk()]
    new = Writer(name="unsaved")
    assert raw(Book(author=new), "author") != raw(Book(author=Writer(name="unsaved")), "author")
    b = Book(author=new)
    assert raw(b, "author") == Book.FIELDS["author"].linkOf(b)


# ---------------------------------------------------------------------------- items 20-21: change reports
def test_getUpdatedFields_gives_holders_and_never_fetches(real_db, roundtrips):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk())
    got.author = bob.getPk()
    got.editors = [cy.getPk()]
    with roundtrips() as rt:
        changes = got.getUpdatedFields()
        assert got.getUpdatedFields(cascadeObjects=True).keys() == changes.keys()
        got.asDict()
        got.asDict(forStorage=True)
    assert rt.count == 0
    assert set(changes) == {"author", "editors"}
    old, new = changes["author"]
    assert _isHolder(old) and _isHolder(new)
    assert (old.pk, new.pk) == (ann.getPk(), bob.getPk())
    assert not old.isFetched() and not new.isFetched() and not raw(got, "author").isFetched()
    oldEds, newEds = changes["editors"]
    assert (oldEds.pk, newEds.pk) == ([bob.getPk(), cy.getPk()], [cy.getPk()])
    assert old != new and old == raw(Book.objects.get(book.getPk()), "author")
    with roundtrips() as rt:
        assert old.getObj().name == "Ann" and new.getObj().name == "Bob"
    assert rt.count == 2
    assert got.asDict(strKeys=True)["author"] == bob.getPk()  # asDict and diff keep showing pks
    assert Book.diff(got, Book.objects.get(book.getPk()))["author"] == (bob.getPk(), ann.getPk())


def test_getUpdatedFields_of_new_objects_and_null_links(ir_db):
    w = Writer(name="w")
    book = Book(title="t", author=w, editors=[w])
    changes = book.getUpdatedFields()
    old, new = changes["author"]
    assert old == irNull and new.obj is w and new.isFetched() and new.pk is None
    assert changes["editors"][0] == irNull and changes["editors"][1].obj == [w]
    book.save()
    assert book.getUpdatedFields() == {}
    book.author = irNull
    old, new = book.getUpdatedFields()["author"]
    assert old.pk == w.getPk() and new == irNull and not new.pk


def test_getUpdatedFields_cascadeObjects_gives_holders_for_links_to_changed_objects(ir_db):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk(), cascadeFetch=True)
    got.author.mentor.age = 61  # two links away
    changes = got.getUpdatedFields(cascadeObjects=True)
    assert set(changes) == {"author", "editors"}
    old, new = changes["author"]
    assert old.pk == new.pk == ann.getPk() and new.obj is got.author and new.obj.mentor.age == 61


def test_reload_reports_changed_pks_as_holders_in_both_modes(real_db, roundtrips):
    book, ann, bob, cy = _saved()
    for cascade in (False, True):
        got = Book.objects.get(book.getPk())
        other = Book.objects.get(book.getPk())
        other.author = cy if other.author__id != cy.getPk() else ann
        other.editors = list(reversed(other.editors__id))
        other.save()
        before = raw(got, "author").pk
        with roundtrips() as rt:
            changes = got.reload(cascadeObjects=cascade)
        assert rt.count == 1  # nothing linked was in memory: nothing else is read
        assert set(changes) == {"author", "editors"}
        old, new = changes["author"]
        assert (old.pk, new.pk) == (before, other.author__id)
        assert changes["editors"][1].pk == other.editors__id == list(reversed(changes["editors"][0].pk))
        assert raw(got, "author") is new and not new.isFetched()
        assert got.author.getPk() == other.author__id


def test_reload_without_cascadeObjects_keeps_linked_objects_with_local_edits(ir_db):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk(), cascadeFetch=True)
    author, editors = got.author, got.editors
    author.name = "local edit"
    other = Book.objects.get(book.getPk())
    other.pages = 300
    other.save()
    assert got.reload(cascadeObjects=False) == {"pages": (100, 300)}
    assert got.author is author and got.author.name == "local edit" and got.editors[1] is editors[1]
    assert raw(got, "author").isFetched()


def test_reload_with_cascadeObjects_reports_links_to_objects_that_differ_from_redis(real_db, roundtrips):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk())
    author = got.author  # fetched: Ann; Ann's mentor (Bob) fetched too; editors never read
    mentor = author.mentor
    assert got.reload() == {}  # in memory, but the same as in Redis
    assert got.author is author and not raw(got, "editors").isFetched()

    mentor.age = 99  # a local edit, two links away
    with roundtrips() as rt:
        changes = got.reload()
    assert rt.count == 2  # the object, then the linked objects in memory (one model: one batch)
    assert set(changes) == {"author"}  # editors was not fetched: not compared, not reported
    old, new = changes["author"]
    assert old.pk == new.pk == ann.getPk()
    assert old.getObj() is author and old.getObj().mentor.age == 99
    assert not new.isFetched() and not raw(got, "editors").isFetched()
    with roundtrips() as rt:
        fresh = new.getObj()
    assert rt.count == 1 and fresh is not author and fresh.name == "Ann"
    assert got.author is fresh and fresh.mentor.age == 60

    # A change made elsewhere, to a linked object in memory, is reported too.
    eds = got.editors
    elsewhere = Writer.objects.get(cy.getPk())
    elsewhere.age = 41
    elsewhere.save()
    changes = got.reload()
    assert set(changes) == {"editors"}
    old, new = changes["editors"]
    assert old.pk == new.pk and old.getObj()[1] is eds[1] and old.getObj()[1].age == 40
    assert [w.age for w in new.getObjs()] == [60, 41]


def test_reload_cascadeObjects_reports_a_deleted_or_unsaved_linked_object(ir_db):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk(), cascadeFetch=True)
    got.author.mentor = Writer(name="not saved")
    assert set(got.reload()) == {"author"}
    got = Book.objects.get(book.getPk(), cascadeFetch=True)
    Writer.objects.get(cy.getPk()).delete()
    changes = got.reload()
    assert set(changes) == {"editors"} and changes["editors"][0].pk == changes["editors"][1].pk


def test_queryable_list_reload_gives_holders(ir_db):
    book, ann, bob, cy = _saved()
    got = Book.objects.all()
    other = Book.objects.get(book.getPk())
    other.author = bob
    other.save()
    (changes,) = got.reload()
    old, new = changes["author"]
    assert (old.pk, new.pk) == (ann.getPk(), bob.getPk())
    assert isinstance(got, IRQueryableList) and got[0].author.name == "Bob"
    got[0].author.age = 1  # a local edit of a linked object in memory
    assert got.reload(cascadeObjects=False) == [{}]
    (changes,) = got.reload()
    assert set(changes) == {"author"} and changes["author"][0].getObj().age == 1
    assert got[0].author.age == 60


# ---------------------------------------------------------------------------- copies and pickles
def test_copies_and_pickles_keep_holders(real_db, roundtrips):
    book, ann, bob, cy = _saved()
    got = Book.objects.get(book.getPk())
    assert got.author.name == "Ann"  # fetched; editors not
    for clone in (pickle.loads(pickle.dumps(got)), copy.deepcopy(got), got.copy(copyPrimaryKey=True), copy.copy(got)):
        a, e = raw(clone, "author"), raw(clone, "editors")
        assert _isHolder(a) and _isHolder(e)
        assert a.isFetched() and a.obj.name == "Ann" and not e.isFetched()
        assert a.foreignModel is Writer and e.foreignModel is Writer
        with roundtrips() as rt:
            assert [w.name for w in e.getObjs()] == ["Bob", "Cy"]
        assert rt.count == 1
        assert not raw(got, "editors").isFetched()  # fetching through a copy leaves the original alone
        assert clone == got and clone.author.name == "Ann"
    deep = copy.deepcopy(got)
    assert raw(deep, "author").obj is not got.author  # a deep copy copies the linked object too


CHILD = r"""
import pickle, sys
from IndexedRedis import setDefaultRedisConnectionParams
setDefaultRedisConnectionParams({"url": sys.argv[1]})
obj = pickle.loads(bytes.fromhex(sys.stdin.read()))
holder = object.__getattribute__(obj, "author")
print(type(holder).__name__, holder.pk, holder.isFetched(), obj.author.name, holder.isFetched(), obj.editors[1].name)
"""


def test_an_object_with_links_unpickled_in_a_new_process(real_db, redis_server_url):
    book, ann, bob, cy = _saved()
    data = pickle.dumps(Book.objects.get(book.getPk())).hex()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, redis_server_url], input=data, capture_output=True, text=True, cwd=root, timeout=60
    )
    assert out.returncode == 0, out.stderr
    name, pk, before, author, after, editor = out.stdout.split()
    assert (pk, before, author, after, editor) == (str(ann.getPk()), "False", "Ann", "True", "Cy")
    assert name != "Writer"
