"""agreement at scale: the compact parts of Votes (unit ids in one buffer, ages as integers) and
the alpha summed a chunk of units at a time give exactly what the plain versions give, and Votes
holds a bounded number of bytes per sentence (the whole report is pinned by
tests/test_agreement_golden.py)."""

from __future__ import annotations

import copy
import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotate.dataset.agreement import _report, nominal_alpha
from annotate.dataset.votes import _AGE_CHARS, Votes, _Ids, _pack_age, _unpack_age, read_votes
from annotate.labelstudio.exported.exports import open_exports

from .conftest import ROOT, views

ROUND1 = Path(__file__).resolve().parent / "data" / "agreement" / "exports" / "round1.json"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 6).flatmap(lambda raters: st.lists(
        st.lists(st.integers(-1, 4), min_size=raters, max_size=raters), min_size=2, max_size=80)),
    st.sampled_from([1, 3, 4096]),
)  # fmt: skip
def test_nominal_alpha_is_krippendorffs_to_the_last_bit(units: list[list[int]], chunk: int) -> None:
    import krippendorff

    codes = np.array(units).T
    coded = (codes >= 0).sum(axis=0) >= 2
    assume(coded.any() and len(set(codes[:, coded][codes[:, coded] >= 0].tolist())) >= 2)
    theirs = krippendorff.alpha(reliability_data=np.where(codes >= 0, codes, np.nan), level_of_measurement="nominal")
    ours = nominal_alpha(codes, chunk=chunk)
    assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.text("ab\x00é", max_size=4), st.text("x", min_size=60, max_size=90))))
def test_unit_ids_are_numbered_and_sorted_as_strings(sids: list[str]) -> None:
    ids, numbers = _Ids(), {}
    for sid in sids:
        number, new = ids.number(sid)
        assert new == (sid not in numbers)
        assert numbers.setdefault(sid, number) == number and ids[number] == sid
    assert list(ids) == list(numbers)
    ranks = ids.ranks()
    assert [ids[k] for k in np.argsort(ranks)] == sorted(numbers)


def test_unit_ids_sort_in_numpy_and_in_python_alike() -> None:
    sids = [f"s{i * 7919 % 5000}-é" for i in range(5000)] + ["s1", "", "t", "s10"]
    ids = _Ids()
    for sid in sids:
        ids.number(sid)
    with_nul = _Ids()
    for sid in [*sids, "s1\x00"]:
        with_nul.number(sid)  # a NUL byte: sorted as str
    assert [ids[k] for k in np.argsort(ids.ranks())] == sorted(set(sids))
    assert [with_nul[k] for k in np.argsort(with_nul.ranks())] == sorted({*sids, "s1\x00"})


@settings(max_examples=500, deadline=None)
@given(st.text(_AGE_CHARS, max_size=30), st.text(_AGE_CHARS, max_size=30))
def test_packed_ages_sort_as_their_texts(first: str, second: str) -> None:
    a, b = _pack_age(first), _pack_age(second)
    assert a is not None and b is not None and _unpack_age(*a) == first
    assert (a < b, a == b) == (first < second, first == second)


TIMES = st.one_of(
    st.builds("2026-11-{:02d}T{:02d}:00:{:02d}.{:06d}Z".format, st.integers(1, 3), st.integers(0, 2),
              st.integers(0, 2), st.integers(0, 2)),
    st.sampled_from(["", "2026-11-02T01:00:00Z", "2026-11-02T01:00:00+00:00", "2026-11-02T01:00:00.000000+00:00",
                     "2026-11-02 01:00", "yesterday", "2026-11-02T01:00:00.000000000000000Z"]),
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TIMES, st.sampled_from([1, 2, 3, 2**31, 2**40])), min_size=1, max_size=8))
def test_the_newest_annotation_counts_as_annotation_age_orders_them(ages: list[tuple[str, int]]) -> None:
    """One annotator annotates one sentence in several tasks: the annotation with the largest
    (updated_at, id) counts, the later one read on a tie, whatever the form of updated_at."""
    base = json.loads(ROUND1.read_text(encoding="utf-8"))[0]
    tasks = []
    for i, (updated, ident) in enumerate(ages):
        task = copy.deepcopy(base)
        task["id"] = i + 1
        annotation = task["annotations"][0]
        task["annotations"] = [annotation]
        annotation["id"], annotation["updated_at"] = ident, updated
        annotation["ground_truth"] = i % 2 == 1  # tells which of two equal ages was read last
        tasks.append(task)
    votes = Votes()
    votes.add(views(tasks))
    record = votes.first[0]
    newest = max(range(len(ages)), key=lambda i: (ages[i], i))
    assert votes.n_units == 1 and votes.next[record] == -1
    assert (votes.ids[record], votes.truth[record]) == (ages[newest][1], newest % 2)


def test_columns_widen_for_values_that_do_not_fit() -> None:
    """Ids and claim type bits are kept in 32 bits until one needs more."""
    task = json.loads(ROUND1.read_text(encoding="utf-8"))[0]
    annotation = task["annotations"][0]
    task["annotations"] = [annotation]
    annotation["id"] = 2**40
    types = next(r for r in annotation["result"] if r["from_name"] == "claim_types")
    types["value"]["choices"] = [f"type{k}" for k in range(40)]
    votes = Votes()
    votes.add(views([task]))
    record = votes.first[0]
    assert votes.ids[record] == 2**40 and votes.type_bits[record] == 2**40 - 1
    assert votes.ids.typecode == votes.type_bits.typecode == "q"


def _export(path: Path, n: int) -> None:
    """n tasks: round1.json's repeated under new sentence ids (as benchmarks/scale_bench.py makes them)."""
    base = json.loads(ROUND1.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i in range(n):
            task = copy.deepcopy(base[i % len(base)])
            task["id"], task["data"]["sentence_id"] = i + 1, f"bench-{i}"
            for a, annotation in enumerate(task["annotations"]):
                annotation["id"] = i * 10 + a
            out.write(("," if i else "") + json.dumps(task))
        out.write("]")


@pytest.mark.slow
def test_votes_and_the_report_take_a_bounded_number_of_bytes_a_sentence(tmp_path: Path) -> None:
    """20,000 sentences, 2.6 annotations each: Votes holds under 300 bytes a sentence (189; it held 544
    when it kept a str id and a str update time per annotation), and the report's figures take
    under 200 bytes a sentence at their peak beyond that (142; 388 when alpha held every unit's
    coincidences)."""
    n = 20_000
    _export(tmp_path / "export.json", n)
    exports = open_exports([tmp_path / "export.json"], project="claims", projects_dir=ROOT / "projects")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        votes = read_votes(exports)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        report = _report(votes, votes.gold())
        peak = tracemalloc.get_traced_memory()[1] - before - held
    finally:
        tracemalloc.stop()
    assert votes.n_units == n and report["claim_status"]["items"] > n // 2
    assert held / n < 300, f"Votes holds {held / n:.0f} bytes a sentence"
    assert peak / n < 200, f"the report takes {peak / n:.0f} bytes a sentence"
