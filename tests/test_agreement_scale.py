"""agreement at scale: Votes (Arrow columns merged with pyarrow's sort and group_by) numbers, sorts
and merges units as collect() does, the alpha summed a chunk of units at a time gives exactly what
the krippendorff package gives, and Votes holds a bounded number of bytes per sentence (the whole
report is pinned by tests/test_agreement_golden.py)."""

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
from annotate.dataset.votes import VoteRows, read_votes
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
@given(st.lists(st.one_of(st.text(max_size=8), st.text("ab\x00é\uffff\U0001f600", max_size=4),
                          st.text("x", min_size=60, max_size=90))))  # fmt: skip
def test_units_are_numbered_in_order_of_appearance_and_ranked_as_python_sorts_them(sids: list[str]) -> None:
    """Arrow compares UTF-8 bytes: the order of code points, Python's, NUL and astral planes included."""
    rows = VoteRows()
    for sid in sids:
        rows.task_row(sid, {}, review=False, hidden=False)
    votes = rows.votes()
    assert list(votes.sids()) == list(dict.fromkeys(sids))
    assert [votes.sid(k) for k in np.argsort(votes.ranks()).tolist()] == sorted(set(sids))


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
    (updated_at, id) counts, the later one read on a tie, whatever the form of updated_at (each
    annotation tells which it is by its claim type)."""
    base = json.loads(ROUND1.read_text(encoding="utf-8"))[0]
    tasks = []
    for i, (updated, ident) in enumerate(ages):
        task = copy.deepcopy(base)
        task["id"] = i + 1
        annotation = task["annotations"][0]
        task["annotations"] = [annotation]
        annotation["id"], annotation["updated_at"] = ident, updated
        annotation["ground_truth"] = i % 2 == 1
        types = next(r for r in annotation["result"] if r["from_name"] == "claim_types")
        types["value"]["choices"] = [f"read{i}"]
        tasks.append(task)
    rows = VoteRows()
    rows.add(views(tasks))
    votes = rows.votes()
    newest = max(range(len(ages)), key=lambda i: (ages[i], i))
    assert votes.n_units == 1 and len(votes.records(0)) == 1
    record = votes.records(0)[0]
    assert votes.type_bits[record] == 1 << votes.types[f"read{newest}"] and votes.truth[record] == newest % 2


def test_claim_type_bits_widen_when_they_do_not_fit() -> None:
    """Claim type bits are kept in 32 bits unless one needs more."""
    task = json.loads(ROUND1.read_text(encoding="utf-8"))[0]
    annotation = task["annotations"][0]
    task["annotations"] = [annotation]
    types = next(r for r in annotation["result"] if r["from_name"] == "claim_types")
    types["value"]["choices"] = [f"type{k}" for k in range(40)]
    rows = VoteRows()
    rows.add(views([task]))
    votes = rows.votes()
    assert votes.type_bits[votes.records(0)[0]] == 2**40 - 1 and votes.type_bits.typecode == "q"


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
    """20,000 sentences, 2.6 annotations each: Votes holds under 300 bytes a sentence (131 in Arrow
    columns, 189 in the hand-built store before them, 544 when it kept a str id and a str update
    time per annotation), and the report's figures take under 200 bytes a sentence at their peak
    beyond that (149; 388 when alpha held every unit's coincidences). tracemalloc does not see
    Arrow's memory pool: its bytes are added (pyarrow.total_allocated_bytes(); the pool's own
    passing peaks are not seen, benchmarks/votes_bench.py measures them)."""
    import pyarrow as pa

    n = 20_000
    _export(tmp_path / "export.json", n)
    small = read_votes(open_exports([ROUND1], project="claims", projects_dir=ROOT / "projects"))
    _report(small, small.gold())  # what the first read and report import is no sentence's
    exports = open_exports([tmp_path / "export.json"], project="claims", projects_dir=ROOT / "projects")
    tracemalloc.start()
    try:
        before, arrow = tracemalloc.get_traced_memory()[0], pa.total_allocated_bytes()
        votes = read_votes(exports)
        held, arrow_held = tracemalloc.get_traced_memory()[0] - before, pa.total_allocated_bytes() - arrow
        tracemalloc.reset_peak()
        report = _report(votes, votes.gold())
        peak = tracemalloc.get_traced_memory()[1] - before - held + pa.total_allocated_bytes() - arrow - arrow_held
    finally:
        tracemalloc.stop()
    assert votes.n_units == n and report["claim_status"]["items"] > n // 2 and arrow_held > 0
    assert (held + arrow_held) / n < 300, f"Votes holds {(held + arrow_held) / n:.0f} bytes a sentence"
    assert peak / n < 200, f"the report takes {peak / n:.0f} bytes a sentence"
