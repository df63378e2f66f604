"""Links between models: lazy fetch, cascade fetch and save, filters, cycles, deleted targets."""

from __future__ import annotations

import copy
import pickle

import pytest

from IndexedRedis import IndexedRedisModel, IRField, InvalidModelException, InvalidValueError, irNull
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField


class Question(IndexedRedisModel):
    FIELDS = [IRField("text"), IRForeignMultiLinkField("choices", lambda: Choice)]
    INDEXED_FIELDS = ["choices"]
    KEY_NAME = "irtest:Question"


class Choice(IndexedRedisModel):
    FIELDS = [IRField("text"), IRField("votes", valueType=int, defaultValue=0), IRForeignLinkField("question", Question)]
    INDEXED_FIELDS = ["question"]
    KEY_NAME = "irtest:Choice"


class Node(IndexedRedisModel):
    FIELDS = [IRField("name"), IRForeignLinkField("parent", "self"), IRForeignLinkField("other", "self")]
    INDEXED_FIELDS = ["name", "parent"]
    KEY_NAME = "irtest:Node"


def _poll() -> Question:
    q = Question(text="Nike or Adidas?")
    q.choices = [Choice(text="Nike", question=q), Choice(text="Adidas", question=q)]
    q.save()
    return q


def test_cascade_save_writes_new_linked_objects_and_links(ir_db):
    q = _poll()
    assert q.getPk() is not None
    choices = Choice.objects.filter(question=q).all()
    assert sorted(c.text for c in choices) == ["Adidas", "Nike"]
    stored = ir_db.hget(b"_ir_|irtest:Question:data:%d" % q.getPk(), b"choices")
    assert stored == b",".join(b"%d" % c.getPk() for c in q.choices)
    assert Choice.objects.filter(question=q.getPk()).count() == 2
    assert Choice.objects.filter(question__ne=q).count() == 0
    assert Question.objects.filter(choices=q.choices).count() == 1  # full ordered list
    assert Question.objects.filter(choices=list(reversed(q.choices))).count() == 0


def test_lazy_fetch_and_id_access(ir_db):
    q = _poll()
    c = Choice.objects.getMultiple(Question.objects.get(q.getPk()).choices__id)[0]
    link = Choice.FIELDS["question"].linkOf(c)
    assert not link.isFetched()
    assert c.question__id == q.getPk()
    assert not link.isFetched()  # __id never fetches
    assert c.question.text == "Nike or Adidas?"
    assert link.isFetched()
    fetched = Question.objects.get(q.getPk())
    assert fetched.choices__id == [x.getPk() for x in q.choices]
    assert [x.text for x in fetched.choices] == ["Nike", "Adidas"]


def test_unset_link_is_irnull(ir_db):
    c = Choice(text="orphan")
    c.save()
    fresh = Choice.objects.get(c.getPk())
    assert fresh.question is irNull
    assert fresh.question__id is None
    assert Choice.objects.filter(question=irNull).getPrimaryKeys() == [c.getPk()]


def test_assign_pk_object_or_irnull(ir_db):
    q = _poll()
    c = Choice(text="by pk", question=q.getPk())
    c.save()
    assert Choice.objects.get(c.getPk()).question.getPk() == q.getPk()
    c.question = irNull
    c.save()
    assert Choice.objects.get(c.getPk()).question is irNull
    with pytest.raises(InvalidValueError, match="question"):
        c.question = "not a pk"
    with pytest.raises(InvalidValueError, match="choices"):
        Question(text="x", choices=[1.5j])


def test_cascade_save_false_refuses_unsaved_links(ir_db):
    q = Question(text="q")
    q.choices = [Choice(text="new")]
    with pytest.raises(InvalidValueError, match="not saved yet"):
        q.save(cascadeSave=False)
    assert Question.objects.count() == 0 and Choice.objects.count() == 0


def test_cascade_save_saves_changed_linked_objects(ir_db):
    q = _poll()
    q.choices[0].votes = 5
    assert q.hasUnsavedChanges()  # through the link
    assert not q.hasUnsavedChanges(cascadeObjects=False)
    q.save()
    assert Choice.objects.get(q.choices[0].getPk()).votes == 5
    q.choices[1].votes = 7
    q.save(cascadeSave=False)
    assert Choice.objects.get(q.choices[1].getPk()).votes == 0


def test_cascade_fetch_three_levels_in_bounded_round_trips(real_db, roundtrips):
    # chain of 3 levels: 50 leaves -> 50 middles -> 50 roots, one model, self links
    roots = [Node(name=f"root{i}") for i in range(50)]
    middles = [Node(name=f"mid{i}", parent=roots[i]) for i in range(50)]
    leaves = [Node(name=f"leaf{i}", parent=middles[i]) for i in range(50)]
    Node.saver.save(leaves)
    assert Node.objects.count() == 150
    Node.objects.count()  # warm-up
    with roundtrips() as rt:
        got = Node.objects.filter(parent__ne=irNull).all(cascadeFetch=True)
    # the write counters before and after (2), 1 fetch, one batch per level (middles' parents are
    # roots; leaves' parents are middles, already in hand)
    assert rt.count <= 4, rt.commands
    byName = {n.name: n for n in got}
    with roundtrips() as rt:
        assert byName["leaf7"].parent.parent.name == "root7"
        assert byName["leaf7"].parent.parent.parent is irNull
    assert rt.count == 0


def test_cascade_save_of_1000_new_pairs_costs_bounded_round_trips(real_db, roundtrips):
    Node.objects.count()  # warm-up: scripts loaded
    Node.saver.save([Node(name="warm")])
    objs = [Node(name=f"n{i}", parent=Node(name=f"p{i}")) for i in range(1000)]
    with roundtrips() as rt:
        Node.saver.save(objs)
    assert rt.count <= 2, rt.commands  # INCRBY to reserve pks + one save script
    assert Node.objects.filter(parent__ne=irNull).count() == 1000
    assert Node.objects.verify().ok


def test_cycles_never_recurse_forever(ir_db):
    a = Node(name="a")
    b = Node(name="b", other=a)
    a.other = b
    a.parent = a
    a.save()
    assert b.getPk() is not None
    fa = Node.objects.get(a.getPk(), cascadeFetch=True)
    assert fa.other.other is fa or fa.other.other.getPk() == fa.getPk()
    assert fa.parent.getPk() == fa.getPk()
    repr(fa)
    fa.asDict()
    assert fa == Node.objects.get(a.getPk(), cascadeFetch=True)
    assert fa.hasSameValues(Node.objects.get(a.getPk(), cascadeFetch=True))
    assert not fa.hasUnsavedChanges()
    copy.deepcopy(fa)
    fa.save()


def test_deleted_link_target_reads_as_irnull_or_is_dropped(ir_db):
    q = _poll()
    first, second = q.choices
    second.delete()
    fresh = Question.objects.get(q.getPk())
    assert [c.text for c in fresh.choices] == ["Nike"]
    first_fresh = Choice.objects.get(first.getPk())
    Question.objects.get(q.getPk()).delete()
    assert first_fresh.question is irNull


def test_reload_getUpdatedFields_asDict_copy_pickle_diff(ir_db):
    q = _poll()
    c = Choice.objects.get(q.choices[0].getPk())
    other = Question(text="other")
    other.save()
    c.question = other
    old, new = c.getUpdatedFields()["question"]
    assert (old.pk, new.pk) == (q.getPk(), other.getPk())
    assert c.asDict(strKeys=True)["question"] == other.getPk()
    assert Choice.diff(c, Choice.objects.get(c.getPk())) == {"question": (other.getPk(), q.getPk())}
    old, new = c.reload()["question"]
    assert (old.pk, new.pk) == (other.getPk(), q.getPk()) and old.getObj() is other
    assert c.question.getPk() == q.getPk()
    clone = c.copy(copyPrimaryKey=True)
    assert clone == c
    restored = pickle.loads(pickle.dumps(c))
    assert restored == c and restored.question__id == q.getPk()


def test_links_across_servers_with_connectAlt(real_db, redis_server_url):
    # Choices on db 1 link to questions on db 0: a link resolves through the linked model's own connection.
    url1 = redis_server_url.rsplit("/", 1)[0] + "/1"
    AltChoice = Choice.connectAlt({"url": url1})
    AltChoice.deleter.destroyModel()  # db 1 is not cleaned between tests
    q = Question(text="cross")
    q.save()
    c = AltChoice(text="remote", question=q)
    c.save()
    assert AltChoice.objects.get(c.getPk()).question.text == "cross"
    assert Choice.objects.count() == 0  # the choice lives on db 1 only
    assert AltChoice.objects.filter(question=q).count() == 1
    AltChoice.deleter.destroyModel()


def test_invalid_foreign_model_raises_on_first_use():
    class Broken(IndexedRedisModel):
        FIELDS = [IRForeignLinkField("x", foreignModel=int)]
        KEY_NAME = "irtest:Broken"

    with pytest.raises(InvalidModelException, match="Broken"):
        Broken()


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
