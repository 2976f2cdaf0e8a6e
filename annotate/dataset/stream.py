"""The units of large exports, read in passes so that memory does not grow with the exports.

combine needs, before it writes the first row, the split of every article, and a split depends on
the gold labels of all the article's sentences; the rows themselves need one unit at a time. So:

1. The first pass validates every task (exports.valid_tasks) and keeps a few bytes per task: a hash
   of its unit key, its article, and its gold label as if the task were the unit's only one. On
   large exports, when a second core is idle, a second process (a fresh interpreter) reads the
   exports too and validates every other block of tasks, working out their gold labels, while this
   one does the rest: validating costs more than reading, so the pass takes about 70% as long.
2. Units whose key appears in more than one task (a second round, a re-export, an adjudication)
   are merged in a second pass over the tasks of those units only, and kept whole until written.
3. The last pass reads the tasks again, without validating them a second time, and yields each
   unit where collect() would place it: a unit of one task as it is read, a merged unit at its
   first task. Exactly the units of collect(), in its order, with the same annotations counting.

Verification units (claim_id) are few and are collected in memory as before.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from annotate.articles.rows import SOURCE_SPLITS
from annotate.dataset.collect import Collection, Collector, Sentence, gc_paused, unit_key
from annotate.dataset.gold import adjudicated_answer, gold_status, golds
from annotate.dataset.splits import article_labels, source_splits
from annotate.errors import InputError
from annotate.labelstudio.exported.exports import INVALID, UNCHECKED, ExportSet, tasks_in_parts
from annotate.labelstudio.exported.rules import ProjectRules
from annotate.labelstudio.exported.validate import Problem
from annotate.labelstudio.exported.views import Task
from annotate.vocabulary import ARTICLE_ID, CHAR_START, CLAIM, CLAIM_ID, CLAIM_STATUS, SOURCE, SOURCE_SPLIT

_VERIFICATION = -2  # the gold code of a verification task: not a claims unit
_NO_GOLD = -1
_TABLE_OF_LABEL = {CLAIM: "claims", SOURCE: "sources"}


@dataclass
class Units:
    """What build_dataset writes: the units in collect()'s order (read once), with what the splits
    need before the first is written."""

    sentences: Callable[[], Iterator[Sentence]]
    article_labels: dict[str, str | None]  # article -> its most common gold label (see splits.article_labels)
    source_splits: dict[str, str]  # article -> the split its benchmark file names
    count: int  # how many units
    identity: bool = False
    replaced: list[str] = field(default_factory=list)  # complete once the units have been read
    # The tables (claims, sources) with a span in a unit without character offsets: their
    # article_start and article_end hold nulls, so are written as floats (as pandas infers them).
    offsets_missing: set[str] = field(default_factory=set)


def answers_of(sentence: Sentence) -> dict[str, str]:
    """annotator -> their claim_status answer (Collection.claim_status of one unit)."""
    found = {}
    for who, annotation in sentence.annotations.items():
        chosen = annotation.choices(CLAIM_STATUS)
        if chosen:
            found[who] = chosen[0]
    return found


def _offsets_missing(sentence: Sentence) -> set[str]:
    if isinstance(sentence.data.get(CHAR_START), int):
        return set()
    return {_TABLE_OF_LABEL[label] for a in sentence.annotations.values() for s in a.spans() for label in s.labels
            if label in _TABLE_OF_LABEL}  # fmt: skip


def units_of(collection: Collection) -> Units:
    """The units of a collection already in memory."""
    gold_by = golds(collection)
    missing: set[str] = set()
    for s in collection.sentences.values():
        missing |= _offsets_missing(s)
    return Units(lambda: iter(collection.sentences.values()), article_labels(collection, gold_by),
                 source_splits(collection), len(collection.sentences), collection.identity, collection.replaced,
                 missing)  # fmt: skip


@dataclass
class _Scan:
    hashes: array = field(default_factory=lambda: array("q"))  # per task: hash of its unit key
    articles: array = field(default_factory=lambda: array("l"))  # per task: index into names
    gold: array = field(default_factory=lambda: array("b"))  # per task: CLAIM_STATUS code, or _NO_GOLD
    missing: array = field(default_factory=lambda: array("b"))  # per task: 1 claims, 2 sources lack offsets
    names: list[str] = field(default_factory=list)  # articles
    index: dict[str, int] = field(default_factory=dict)
    source_splits: dict[str, str] = field(default_factory=dict)

    labels: list[str] = field(default_factory=list)  # gold answers by code (claim_status values are few)

    def code(self, answer: str | None) -> int:
        if answer is None:
            return _NO_GOLD
        if answer not in self.labels:
            self.labels.append(answer)
        return self.labels.index(answer)


def _gold(sentence: Sentence) -> str | None:
    return gold_status(sentence.annotations, answers_of(sentence), adjudicated_answer(sentence))[0]


def read_units(exports: ExportSet, *, keep_identity: bool = False, parallel: bool | None = None
               ) -> tuple[Units, Collection]:  # fmt: skip
    """(the claims units, the verification collection) of the exports, read in passes (see the
    module docstring). Raises ExportsInvalid, after reading every file, if any task has an error.
    `parallel`: share the first pass with a second process (default: for large exports, see
    PARALLEL_BYTES)."""
    scan, verification = _first_pass(exports, keep_identity, parallel)
    exports.check()
    repeated, count = _repeated(scan)
    merged, first = _merge(exports, scan, repeated, keep_identity) if repeated else (Collector(), {})

    votes: dict[str, Counter[str]] = {}
    missing: set[str] = set()
    where_merged = {position: sid for sid, position in first.items()}
    for i, code in enumerate(scan.gold):
        if code == _VERIFICATION:
            continue
        if repeated and scan.hashes[i] in repeated:
            sid = where_merged.get(i)
            if sid is None:
                continue
            sentence = merged.sentences[sid]
            article, gold = str(sentence.data.get(ARTICLE_ID)), _gold(sentence)
            missing |= _offsets_missing(sentence)
        else:
            article, gold = scan.names[scan.articles[i]], None if code == _NO_GOLD else scan.labels[code]
            if scan.missing[i]:
                missing |= {name for bit, name in ((1, "claims"), (2, "sources")) if scan.missing[i] & bit}
        counter = votes.get(article)
        if counter is None:
            counter = votes[article] = Counter()
        if gold:
            counter[gold] += 1
    labels = {a: (c.most_common(1)[0][0] if c else None) for a, c in votes.items()}
    units = Units(lambda: _last_pass(exports, scan, repeated, merged, first, units, keep_identity), labels,
                  scan.source_splits, count, keep_identity, [], missing)  # fmt: skip
    return units, verification.collection()


def _repeated(scan: _Scan) -> tuple[set[int], int]:
    """(the hashes of unit keys that more than one claims task has, how many units there are),
    with a few bytes per task (numpy), not a dict of a million keys."""
    import numpy as np

    hashes = np.frombuffer(scan.hashes, dtype=np.int64)[np.frombuffer(scan.gold, dtype=np.int8) != _VERIFICATION]
    values, counts = np.unique(hashes, return_counts=True)
    return {int(h) for h in values[counts > 1]}, len(values)


# A second process shares the first pass's validation when the exports are this big (and the
# machine has a second core): below it, starting the process costs more than it saves.
PARALLEL_BYTES = 64 * 1024 * 1024


def _note(scan: _Scan, task: Task, gold: str | None, missing: int) -> None:
    """A claims task's few bytes in the scan."""
    data = task.data
    scan.hashes.append(hash(unit_key(data, task.id)))
    article = str(data.get(ARTICLE_ID))
    index = scan.index.get(article)
    if index is None:
        index = scan.index[article] = len(scan.names)
        scan.names.append(article)
    scan.articles.append(index)
    scan.gold.append(scan.code(gold))
    scan.missing.append(missing)
    split = data.get(SOURCE_SPLIT)
    if split in SOURCE_SPLITS:
        scan.source_splits.setdefault(article, split)


def _note_verification(scan: _Scan, task: Task) -> None:
    scan.hashes.append(hash(unit_key(task.data, task.id)))
    scan.articles.append(0)
    scan.gold.append(_VERIFICATION)
    scan.missing.append(0)


def _gold_of(one: Collector, task: Task) -> tuple[str | None, int]:
    """(the gold label, the missing-offsets bits) of a claims task as if it were its unit's only one."""
    if not task.annotations():  # not annotated (half the tasks of many projects): no gold, no spans
        return None, 0
    one.sentences.clear()
    sentence = one.add(task)
    missing = _offsets_missing(sentence)
    return _gold(sentence), ("claims" in missing) | (("sources" in missing) << 1)


def _is_verification(task: Task) -> bool:
    return CLAIM_ID in task.data


def _first_pass(exports: ExportSet, keep_identity: bool, parallel: bool | None = None) -> tuple[_Scan, Collector]:
    if parallel is None:
        parallel = sum(_size(path) for path in exports.files) >= PARALLEL_BYTES and _core_free()
    if parallel:
        return _first_pass_shared(exports, keep_identity)
    scan = _Scan()
    verification = Collector(keep_identity=keep_identity)
    one = Collector(keep_identity=keep_identity)
    for tasks in exports.tasks():
        for task in tasks:
            if _is_verification(task):
                verification.add(task)
                _note_verification(scan, task)
            else:
                _note(scan, task, *_gold_of(one, task))
    return scan, verification


def _first_pass_shared(exports: ExportSet, keep_identity: bool) -> tuple[_Scan, Collector]:
    """The first pass with a second process validating every other block of claims tasks (and
    working out their gold) while this one does the rest: the same scan, verification units and
    problems, in the same order, as _first_pass alone."""
    import heapq
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    scan = _Scan()
    verification = Collector(keep_identity=keep_identity)
    one = Collector(keep_identity=keep_identity)
    theirs: list[int] = []  # the scan positions of the tasks the other process checks, in order
    found: list[list[tuple[int, list[Problem]]]] = []
    # A fresh interpreter (spawn: nothing of this process's state is copied), the work and its
    # answer pickled by the executor; an exception in it is raised here, by result().
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        share = pool.submit(_second_share, exports.files, [exports.rules[p] for p in exports.files], keep_identity)
        try:
            for path in exports.files:
                found.append([])
                for task, state in tasks_in_parts(path, found[-1], rules=exports.rules[path], part=0, parts=2,
                                                  whole=_is_verification):  # fmt: skip
                    if task is None or state == INVALID:
                        continue
                    if state == UNCHECKED:
                        theirs.append(len(scan.gold))
                        _note(scan, task, None, 0)  # its gold comes from the other process
                    elif _is_verification(task):
                        verification.add(task)
                        _note_verification(scan, task)
                    else:
                        _note(scan, task, *_gold_of(one, task))
            their_found, labels, golds, missing = share.result()
        except (BrokenProcessPool, MemoryError):  # the second process died (memory?): do its share here
            share.cancel()
            return _first_pass(exports, keep_identity, parallel=False)
    for mine, others in zip(found, their_found, strict=True):
        for _index, problems in heapq.merge(mine, others, key=lambda item: item[0]):
            exports.problems += problems
    if len(golds) != len(theirs):  # a task of theirs was invalid, so the exports are: nothing to fill in
        return scan, verification
    for position, gold, bits in zip(theirs, array("b", golds), array("b", missing), strict=True):
        scan.gold[position] = scan.code(None if gold == _NO_GOLD else labels[gold])
        scan.missing[position] = bits
    return scan, verification


def _second_share(files: list[Path], rules: list[ProjectRules | None], keep_identity: bool
                  ) -> tuple[list[list[tuple[int, list[Problem]]]], list[str], bytes, bytes]:  # fmt: skip
    """The other process of _first_pass_shared: (the problems of its tasks, per file; the gold
    labels, and the gold (a code) and missing-offsets bits of each of its claims tasks that the
    first process can view, in order; no golds at all if any of those tasks is invalid)."""
    one = Collector(keep_identity=keep_identity)
    found: list[list[tuple[int, list[Problem]]]] = []
    codes = _Scan()  # only its labels and gold codes
    invalid = False
    with gc_paused():
        for path, file_rules in zip(files, rules, strict=True):
            found.append([])
            for task, state in tasks_in_parts(path, found[-1], rules=file_rules, part=1, parts=2,
                                              whole=_is_verification):  # fmt: skip
                if state == UNCHECKED or task is None:
                    continue
                if state == INVALID:
                    invalid = True
                    continue
                gold, bits = _gold_of(one, task)
                codes.gold.append(codes.code(gold))
                codes.missing.append(bits)
    if invalid:
        return found, [], b"", b""
    return found, codes.labels, codes.gold.tobytes(), codes.missing.tobytes()


def _core_free() -> bool:
    """Whether a second core is idle (this process keeps one busy): a second process on a busy
    machine only slows the first pass down."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0  # (not on Windows)
    return cores > 1 and busy < cores - 0.5


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _merge(exports: ExportSet, scan: _Scan, repeated: set[int], keep_identity: bool
           ) -> tuple[Collector, dict[str, int]]:  # fmt: skip
    """The units of more than one task, merged (collect() on their tasks), with the position of
    each one's first task."""
    merged = Collector(keep_identity=keep_identity)
    first: dict[str, int] = {}
    position = -1
    for tasks in exports.reread():
        for task in tasks:
            position += 1
            if scan.gold[position] == _VERIFICATION or scan.hashes[position] not in repeated:
                continue
            first.setdefault(merged.add(task).sentence_id, position)
    return merged, first


def _last_pass(exports: ExportSet, scan: _Scan, repeated: set[int], merged: Collector, first: dict[str, int],
               units: Units, keep_identity: bool) -> Iterator[Sentence]:  # fmt: skip
    replaced: dict[str, list[str]] = {}
    for line in merged.replaced:
        replaced.setdefault(line[len("sentence ") : line.rindex(": annotation ")], []).append(line)
    one = Collector(keep_identity=keep_identity)
    position = -1
    for tasks in exports.reread():
        for task in tasks:
            position += 1
            if position >= len(scan.hashes) or hash(unit_key(task.data, task.id)) != scan.hashes[position]:
                raise InputError("an export changed while combine was reading it", hint="run combine again")
            if scan.gold[position] == _VERIFICATION:
                continue
            if scan.hashes[position] in repeated:
                sid = unit_key(task.data, task.id)
                if first.get(sid) == position:
                    units.replaced += replaced.get(sid, [])
                    yield merged.sentences.pop(sid)
                continue
            one.sentences.clear()
            one.replaced.clear()
            sentence = one.add(task)
            units.replaced += one.replaced
            yield sentence
    if position + 1 != len(scan.hashes):
        raise InputError("an export changed while combine was reading it", hint="run combine again")
