"""Links as 6.0.3 code uses them: obj.cascadeFetch(), cascadeObjects on reload/getUpdatedFields,
deleted targets, and cascade saves that write all or nothing."""

from __future__ import annotations

import copy

import pytest

from IndexedRedis import IndexedRedisModel, InvalidValueError, IRField, irNull
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField


class Writer(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("age", valueType=int), IRForeignLinkField("mentor", "self")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:Writer"


class Book(IndexedRedisModel):
    FIELDS = [
        IRField("title"),
        IRField("pages", valueType=int),
        IRForeignLinkField("author", Writer),
        IRForeignMultiLinkField("editors", Writer),
    ]
    INDEXED_FIELDS = ["title", "author"]
    KEY_NAME = "irtest:Book"


def _library():
    mentor = Writer(name="Mentor")
    author = Writer(name="Author", mentor=mentor)
    mentor.mentor = author  # a cycle
    book = Book(title="T", author=author, editors=[mentor, Writer(name="Ed")])
    book.save()
    return book


def test_obj_cascadeFetch_loads_every_link_then_reads_need_no_round_trip(real_db, roundtrips):
    book = _library()
    fetched = Book.objects.get(book.getPk())
    with roundtrips() as rt:
        assert fetched.cascadeFetch() is None
    assert 1 <= rt.count <= 3, rt.commands  # one batch per level: author+editors, then the mentor
    with roundtrips() as rt:
        assert fetched.author.mentor.name == "Mentor"
        assert fetched.author.mentor.mentor.name == "Author"
        assert [e.name for e in fetched.editors] == ["Mentor", "Ed"]
    assert rt.count == 0


def test_getUpdatedFields_with_cascadeObjects_lists_links_to_changed_objects(ir_db):
    book = _library()
    fetched = Book.objects.get(book.getPk(), cascadeFetch=True)
    fetched.author.mentor.age = 70  # two links away, through a cycle
    assert fetched.getUpdatedFields() == {}
    changes = fetched.getUpdatedFields(cascadeObjects=True)
    assert set(changes) == {"author", "editors"}  # links as holders: (old, new), the same pk(s)
    assert [h.pk for h in changes["author"]] == [book.author.getPk()] * 2
    assert [h.pk for h in changes["editors"]] == [book.editors__id] * 2
    fetched.title = "New"
    assert fetched.getUpdatedFields(cascadeObjects=True)["title"] == ("T", "New")
    fetched.save()
    assert fetched.getUpdatedFields(cascadeObjects=True) == {}


def test_a_cycle_back_to_the_object_itself_does_not_count_as_a_linked_change(ir_db):
    a = Writer(name="a")
    b = Writer(name="b", mentor=a)
    a.mentor = b
    a.save()
    a.name = "changed"
    assert a.getUpdatedFields(cascadeObjects=True) == {"name": ("a", "changed")}


def test_reload_without_cascadeObjects_keeps_linked_objects_in_memory(ir_db):
    book = _library()
    fetched = Book.objects.get(book.getPk(), cascadeFetch=True)
    author = fetched.author
    author.name = "local edit"
    Writer.objects.get(author.getPk()).save()  # nothing changed in Redis
    other = Book.objects.get(book.getPk())
    other.pages = 300
    other.save()
    assert fetched.reload(cascadeObjects=False) == {"pages": (irNull, 300)}
    assert fetched.author is author and fetched.author.name == "local edit"
    # With cascadeObjects the edited author differs from Redis: reported through both links that
    # reach it (editors reaches it through the mentor cycle), and read again from Redis.
    changes = fetched.reload()
    assert set(changes) == {"author", "editors"}
    assert changes["author"][0].getObj() is author and changes["author"][1].pk == author.getPk()
    assert fetched.author is not author and fetched.author.name == "Author"
    assert fetched.reload() == {}


def test_reload_reports_a_changed_link_as_holders(ir_db):
    book = _library()
    fetched = Book.objects.get(book.getPk())
    newAuthor = Writer(name="New")
    newAuthor.save()
    other = Book.objects.get(book.getPk())
    other.author = newAuthor
    other.save()
    old, new = fetched.reload(cascadeObjects=False)["author"]
    assert (old.pk, new.pk) == (book.author.getPk(), newAuthor.getPk())
    assert fetched.author.name == "New"


def test_reading_links_to_deleted_objects_does_not_make_the_object_look_changed(ir_db):
    book = _library()
    editorPks = book.editors__id
    book.editors[1].delete()
    book.author.delete()
    fetched = Book.objects.get(book.getPk())
    assert fetched.author is irNull
    assert [e.name for e in fetched.editors] == ["Mentor"]
    assert not fetched.hasUnsavedChanges()
    assert fetched.getUpdatedFields() == {}
    again = Book.objects.get(book.getPk(), cascadeFetch=True)
    assert again.author is irNull and [e.name for e in again.editors] == ["Mentor"]
    assert not again.hasUnsavedChanges()
    # Assigning what is read drops the dead link explicitly.
    assert fetched.editors__id == editorPks  # as stored, until something else is assigned
    fetched.editors = fetched.editors
    old, new = fetched.getUpdatedFields()["editors"]
    assert (old.pk, new.pk) == (editorPks, editorPks[:1])


def test_all_linked_objects_deleted_reads_as_irnull(ir_db):
    book = Book(title="solo", editors=[Writer(name="only")])
    book.save()
    book.editors[0].delete()
    assert Book.objects.get(book.getPk()).editors is irNull


def test_cascade_save_with_a_bad_value_writes_nothing(ir_db):
    book = Book(title="T", author=Writer(name="new author"), editors=[Writer(name="new editor")])
    book.__dict__["pages"] = object()  # slipped past assignment checks
    with pytest.raises(InvalidValueError, match="Book.*pages") as info:
        book.save()
    assert "pk=" not in str(info.value)  # the object was not saved: no pk to name
    assert book.getPk() is None and book.author.getPk() is None and book.editors[0].getPk() is None
    assert Writer.objects.count() == 0 and Book.objects.count() == 0
    assert not [k for k in ir_db.scan_iter(match=b"_ir_|irtest:*:data:*")]


def test_cascade_save_with_a_bad_value_in_a_linked_object_writes_nothing(ir_db):
    author = Writer(name="new author")
    author.__dict__["age"] = "old"  # slipped past assignment checks
    book = Book(title="T", author=author)
    with pytest.raises(InvalidValueError, match="Writer.*age"):
        book.save()
    assert Writer.objects.count() == 0 and Book.objects.count() == 0


def test_linking_an_object_of_another_model_is_refused(ir_db):
    with pytest.raises(InvalidValueError, match=r"Book.*'author'.*Writer.*got a Book"):
        Book(title="x", author=Book(title="not a writer"))
    b = Book(title="x")
    with pytest.raises(InvalidValueError, match=r"'editors'.*Writer.*got a Book"):
        b.editors = [Writer(name="ok"), Book(title="not a writer")]
    assert b.editors is irNull  # unchanged
    w = Writer(name="self links take the same model")
    w.mentor = Writer(name="m")
    with pytest.raises(InvalidValueError, match="'mentor'"):
        w.mentor = Book(title="no")


def test_asDict_shows_links_as_pks_and_unsaved_linked_objects_as_objects(ir_db):
    saved = Writer(name="saved")
    saved.save()
    new = Writer(name="new")
    book = Book(title="t", author=new, editors=[saved, new])
    d = book.asDict(strKeys=True)
    assert d["author"] is new and d["editors"] == [saved.getPk(), new]
    assert Book.diff(book, Book(title="t")) == {"author": (new, irNull), "editors": ([saved.getPk(), new], irNull)}
    book.save()
    d = book.asDict(strKeys=True)
    assert d["author"] == new.getPk() and d["editors"] == [saved.getPk(), new.getPk()]
    assert Book(title="none").asDict(strKeys=True)["author"] is irNull
    assert Book(title="none").asDict(strKeys=True)["editors"] is irNull


def test_equality_of_unsaved_objects_compares_unsaved_linked_objects_by_value():
    a = Writer(name="a")
    b = Writer(name="b", mentor=a)
    a.mentor = b  # an unsaved cycle
    twin = copy.deepcopy(a)
    assert twin is not a and twin.mentor is not b
    assert twin == a and a.hasSameValues(twin)
    assert not a.hasSameValues(twin, cascadeObject=False)  # unsaved links: only the very same object matches
    twin.mentor.name = "changed"
    assert twin != a
    assert Book(title="t", editors=[a]) == Book(title="t", editors=[copy.deepcopy(a)])
    assert Book(title="t", editors=[a]) != Book(title="t", editors=[a, a])
    assert Book(title="t", author=a) != Book(title="t", author=Writer(name="other"))


def test_equality_of_saved_objects_with_links(ir_db):
    book = _library()
    one, two = Book.objects.get(book.getPk()), Book.objects.get(book.getPk(), cascadeFetch=True)
    assert one == two and two == one  # a fetched link and an unfetched one with the same pk
    two.author.name = "edited in memory"
    assert not two.hasSameValues(Book.objects.get(book.getPk(), cascadeFetch=True))
    assert two.hasSameValues(Book.objects.get(book.getPk(), cascadeFetch=True), cascadeObject=False)


def test_a_copied_self_link_field_links_to_the_model_it_is_copied_into(ir_db):
    Writer()  # Writer's fields now belong to Writer

    class Editor(IndexedRedisModel):
        FIELDS = [IRField("name"), Writer.FIELDS["mentor"].copy()]
        KEY_NAME = "irtest:Editor"

    boss = Editor(name="boss")
    e = Editor(name="e", mentor=boss)
    e.save()
    assert Editor.objects.get(e.getPk()).mentor.name == "boss"
    with pytest.raises(InvalidValueError, match="Editor"):
        e.mentor = Writer(name="a writer")
    assert type(Writer.FIELDS["name"].copy()) is IRField and Writer.FIELDS["name"].copy() == "name"


def test_self_link_shared_by_a_parent_and_a_child_model_links_each_to_its_own_model(ir_db):
    class Folder(IndexedRedisModel):
        FIELDS = [IRField("name"), IRForeignLinkField("parent", "self")]
        INDEXED_FIELDS = ["parent"]
        KEY_NAME = "irtest:Folder"

    Folder(name="root").save()  # the field object now belongs to Folder first

    class SharedFolder(Folder):
        FIELDS = Folder.FIELDS + [IRField("owner")]  # the same field objects
        KEY_NAME = "irtest:SharedFolder"

    top = SharedFolder(name="top")
    sub = SharedFolder(name="sub", parent=top)
    sub.save()
    assert SharedFolder.objects.filter(parent=top).getPrimaryKeys() == [sub.getPk()]
    assert SharedFolder.objects.get(sub.getPk()).parent.name == "top"
    with pytest.raises(InvalidValueError, match="SharedFolder"):
        SharedFolder(name="bad", parent=Folder(name="a plain folder"))
    with pytest.raises(InvalidValueError, match="SharedFolder"):
        sub.parent = Folder(name="a plain folder")
    assert sub.parent is top  # a refused assignment changes nothing
    Folder(name="f", parent=Folder(name="g")).save()


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
