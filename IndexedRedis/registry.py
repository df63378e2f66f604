"""The keys a model holds, found without SCANning the whole keyspace.

Every generation of a model lists its index keys in a registry set (``_ir_|KEY:idxkeys``,
``_ir_|KEY:genN:idxkeys``, see keys.py) kept by the write scripts; its data keys follow from its
pk set. ``_ir_|KEY:gens`` lists the generations that may hold keys. So reset, verify, repair,
reindex and destroyModel cost what the model holds, whatever else the database holds.

Data of the 6.0.3 layout (or written before the registry existed) has no complete registry.
``buildRegistryOp`` builds it with one SCAN of ``_ir_|KEY:*``: it first opens the registry of the
current generation (so that writers running meanwhile register the index keys they create),
then registers every index key the SCAN finds, adds the other generations it finds to
``_ir_|KEY:gens`` (registering all their keys, so they can be dropped without another SCAN) and
marks the registries complete. A registry may list a few index keys that no longer exist (never
the other way round); every reader of it allows for that.

``dropGenerationOp`` deletes one generation in batches of ``UNLINK_BATCH`` keys: the keys its
registry lists, the data keys of its pk set, then its own keys and its ``gens`` entry last, so a
drop interrupted at any point can simply be run again.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Sequence, Set

from .keys import REGISTRY_COMPLETE, REGISTRY_OPEN, KeyLayout
from .plans import Call, Op

UNLINK_BATCH = 1000
SCAN_COUNT = 1000
HEARTBEAT_TTL = 5  # seconds: a generation whose client is gone is seen as abandoned within this
HEARTBEAT_EVERY = 1.0  # seconds between two refreshes of the marker


def _any(*command: Any) -> Call:
    return Call(command=command, anyGen=True)


def _anyTransaction(commands: List[Any]) -> Call:
    return Call(pipeline=commands, transaction=True, anyGen=True)


def isComplete(layout: KeyLayout) -> Op:
    """Whether the registry of ``layout``'s generation lists every index key of it."""
    return bool((yield _any("SISMEMBER", layout.registryKey, REGISTRY_COMPLETE)))


def openMembers() -> List[bytes]:
    """The marker members of a registry that is kept and complete (a generation built from nothing)."""
    return [REGISTRY_OPEN, REGISTRY_COMPLETE]


def buildRegistryOp(base: KeyLayout, currentGen: int, report: Any = None) -> Op:
    """One SCAN of the model's keys: build the registries and ``gens`` (see the module doc).

    Returns {generation: number of keys found}. With ``report`` (a VerifyReport), data hashes of
    the current generation whose pk is not in its pk set are listed in ``report.orphanData``.
    """
    current = base.forGen(currentGen)
    known = [int(g) for g in (yield _any("SMEMBERS", base.gensKey))]
    yield _any("SADD", current.registryKey, REGISTRY_OPEN)
    found: Dict[int, int] = {}
    cursor = 0
    while True:
        cursor, keys = yield _any("SCAN", cursor, "MATCH", base.allPattern(), "COUNT", SCAN_COUNT)
        cursor = int(cursor)
        adds: Dict[int, List[bytes]] = {}
        dataPks: List[bytes] = []
        for key in keys:
            gen = base.ownGen(key)
            if gen is None:
                continue  # another model whose KEY_NAME starts with this one's
            layout = base.forGen(gen)
            if key in (base.nextKey, base.genKey, base.genNextKey, base.gensKey, base.lockKey, layout.registryKey):
                continue
            if key.startswith(base.opPrefix):
                continue  # kept write replies: not of any generation, they expire by themselves
            found[gen] = found.get(gen, 0) + 1
            if gen == currentGen:
                if key.startswith(layout.idxPrefix):
                    adds.setdefault(gen, []).append(key)
                elif key.startswith(layout.dataPrefix):
                    dataPks.append(key[len(layout.dataPrefix) :])
            elif key != layout.buildingKey:
                adds.setdefault(gen, []).append(key)  # another generation: every key, to drop it later
        if adds:
            yield _anyTransaction([("SADD", base.forGen(g).registryKey, *ks) for g, ks in adds.items()])
        if dataPks and report is not None:
            flags = yield _anyTransaction([("SISMEMBER", current.keysKey, pk) for pk in dataPks])
            report.orphanData.extend(int(pk) for pk, flag in zip(dataPks, flags) if not flag)
        if cursor == 0:
            break
    gens: Set[int] = set(found) | set(known) | {currentGen}
    others = sorted(g for g in gens if g != currentGen)
    cmds: List[Any] = [("SADD", base.forGen(g).registryKey, REGISTRY_OPEN, REGISTRY_COMPLETE) for g in sorted(gens)]
    if others:
        cmds.append(("SADD", base.gensKey, *others))
    yield _anyTransaction(cmds)
    return found


def dropGenerationOp(
    base: KeyLayout,
    gen: int,
    listed: Optional[List[int]] = None,
    owned: Sequence[str] = (),
    sortedNames: Sequence[str] = (),
    uniqueNames: Sequence[Sequence[str]] = (),
) -> Op:
    """Delete every key of generation ``gen`` in batches; return how many keys were deleted.

    Sets the generation's marker first (a ``Heartbeat`` keeps it alive while this runs). Uses the
    generation's registry when it is complete, else one SCAN of ``_ir_|KEY:*`` (data of the 6.0.3
    layout). ``listed``, when given, receives the generations still listed in ``gens`` afterwards.
    ``owned``: the model's collection fields (their keys go with each object's data key);
    ``sortedNames``: its sorted fields (one sorted set each). Never call it for the current generation.
    """
    target = base.forGen(gen)
    _, complete, keysType = yield _anyTransaction(
        [
            ("SET", target.buildingKey, b"1", "EX", HEARTBEAT_TTL),
            ("SISMEMBER", target.registryKey, REGISTRY_COMPLETE),
            ("TYPE", target.keysKey),
        ]
    )
    n = 0
    if not complete:
        n = yield from _scanDropOp(base, gen)
    else:
        # The registry (index keys; every key for a generation found by SCAN) and the pk set (data
        # keys), walked side by side: one SSCAN page of each, then one UNLINK, per round trip pair.
        walks = [[target.registryKey, None, 0]]
        if keysType in (b"set", "set"):
            walks.append([target.keysKey, target.dataPrefix, 0])
        while walks:
            pages = yield Call(pipeline=[("SSCAN", k, c, "COUNT", UNLINK_BATCH) for k, _, c in walks], anyGen=True)
            doomed: List[bytes] = []
            for walk, (cursor, members) in zip(walks, pages):
                walk[2] = int(cursor)
                if walk[1] is None:
                    doomed.extend(m for m in members if base.ownGen(m) == gen)  # skips the marker members
                else:
                    doomed.extend(walk[1] + m for m in members)
                    doomed.extend(target.collection(name, m) for m in members for name in owned)
            if doomed:
                n += int((yield _any("UNLINK", *doomed)))
            walks = [w for w in walks if w[2] != 0]
    own = [
        k
        for k in (target.keysKey, target.verKey, target.registryKey, target.redoKey, target.schemaKey)
        if k not in (base.nextKey, base.genKey)
    ]
    own += [target.sort(name) for name in sortedNames]
    own += [target.expKey] + [target.uniq(names) for names in uniqueNames]  # EXPIRE, UNIQUE_FIELDS
    replies = yield _anyTransaction(
        [("UNLINK", *own), ("DEL", target.buildingKey), ("SREM", base.gensKey, gen), ("SMEMBERS", base.gensKey)]
    )
    if listed is not None:
        listed.extend(int(g) for g in replies[3])
    return n + int(replies[0])


def _scanDropOp(base: KeyLayout, gen: int) -> Op:
    target = base.forGen(gen)
    shared = {base.nextKey, base.genKey, base.genNextKey, base.gensKey, base.lockKey}
    pattern = target.genPattern() if gen else base.allPattern()
    cursor = 0
    n = 0
    while True:
        cursor, keys = yield _any("SCAN", cursor, "MATCH", pattern, "COUNT", UNLINK_BATCH)
        cursor = int(cursor)
        doomed = [k for k in keys if k not in shared and k != target.buildingKey and base.ownGen(k) == gen]
        if doomed:
            n += int((yield _any("UNLINK", *doomed)))
        if cursor == 0:
            return n


def abandonedGenerationsOp(base: KeyLayout) -> Op:
    """Generations listed in ``gens`` that are not current and whose marker is gone, read at one
    instant (such a generation can never become current): {gen: about how many keys it holds}.
    Cost: a few commands per listed generation, whatever they hold."""
    gens = sorted(int(g) for g in (yield _any("SMEMBERS", base.gensKey)))
    if not gens:
        return {}
    replies = yield _anyTransaction([("GET", base.genKey)] + [("EXISTS", base.forGen(g).buildingKey) for g in gens])
    current = int(replies[0] or 0)
    dead = [g for g, alive in zip(gens, replies[1:]) if not alive and g != current]
    if not dead:
        return {}
    cmds: List[Any] = []
    for g in dead:
        layout = base.forGen(g)
        cmds += [("SCARD", layout.registryKey), ("TYPE", layout.keysKey)]
    sizes = yield _anyTransaction(cmds)
    withPks = [g for i, g in enumerate(dead) if sizes[2 * i + 1] in (b"set", "set")]
    pkCounts = (yield _anyTransaction([("SCARD", base.forGen(g).keysKey) for g in withPks])) if withPks else []
    pks = dict(zip(withPks, (int(n) for n in pkCounts)))
    out = {}
    for i, g in enumerate(dead):
        # registry members less its markers (a generation found by SCAN lists all its keys there),
        # plus the data keys its pk set names
        out[g] = max(int(sizes[2 * i]) - 2, 0) + pks.get(g, 0)
    return out


class Heartbeat:
    """Keeps a generation's marker (``_ir_|KEY:genN:building``) alive while a client works on it.

    ``with Heartbeat(client, key, create=True):`` sets the marker with a ``HEARTBEAT_TTL`` TTL and
    a thread refreshes it every ``HEARTBEAT_EVERY`` seconds (``SET ... XX``: a marker that was
    removed meanwhile is never brought back). A client that dies stops refreshing it, so others
    see the generation as abandoned within ``HEARTBEAT_TTL`` seconds.
    """

    def __init__(self, client: Any, key: bytes, create: bool = True) -> None:
        self.client = client
        self.key = key
        self.create = create
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY):
            try:
                self.client.set(self.key, b"1", ex=HEARTBEAT_TTL, xx=True)
            except Exception:  # noqa: BLE001 - a missed beat only shortens the marker's life
                pass

    def __enter__(self) -> "Heartbeat":
        if self.create:
            self.client.set(self.key, b"1", ex=HEARTBEAT_TTL)
        self._thread = threading.Thread(target=self._run, name="IndexedRedis reset heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


__all__ = [
    "HEARTBEAT_EVERY",
    "HEARTBEAT_TTL",
    "Heartbeat",
    "abandonedGenerationsOp",
    "buildRegistryOp",
    "dropGenerationOp",
    "isComplete",
]
