"""The load ledger: what `annotate load` knows is loaded without listing the project, and how it
never skips a task that is missing on the server. Against a fake of our own client protocol whose
counting and listing follow Label Studio 1.23's (recorded responses in tests/data/labelstudio-1.23)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotate.labelstudio.api.client import TaskRef, id_filter, task_refs
from annotate.labelstudio.api.load import Journal, Ledger, LoadOptions, digest, id_ranges, known_tasks, load_tasks

from .conftest import SAMPLES

URL = "http://127.0.0.1:9"


class CountingServer:
    """Tasks in one project with ids that only grow (Label Studio's AUTOINCREMENT primary key),
    counted and listed by id ranges as the Data Manager's `in` / `not_in` filters do."""

    def __init__(self, created_at: str = "2026-11-30T12:00:00.000000Z") -> None:
        self.url, self.created_at = URL, created_at
        self.rows: dict[int, tuple[dict[str, Any], int]] = {}
        self.next_id = 1
        self.calls: list[str] = []

    def project_created_at(self, project_id: int) -> str | None:
        return self.created_at

    def add(self, data: dict[str, Any], annotations: int = 0) -> int:
        task_id, self.next_id = self.next_id, self.next_id + 1
        self.rows[task_id] = (data, annotations)
        return task_id

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        self.calls.append(f"import {len(tasks)}")
        return [self.add(t["data"]) for t in tasks]

    def delete_task(self, task_id: int) -> None:
        self.calls.append(f"delete {task_id}")
        del self.rows[task_id]

    def task_count(self, project_id: int, *, within: list[tuple[int, int]] | None = None) -> int:
        self.calls.append("count" if within is None else "count within")
        return sum(1 for i in self.rows if within is None or any(a <= i <= b for a, b in within))

    def tasks(self, project_id: int, *, outside: list[tuple[int, int]] | None = None) -> list[TaskRef]:
        self.calls.append("list" if outside is None else "list outside")
        return [
            TaskRef(i, data, n)
            for i, (data, n) in sorted(self.rows.items())
            if not outside or not any(a <= i <= b for a, b in outside)
        ]


def records(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"text": f"Sentence {i}.", "sentence_id": f"a-{i}"} for i in range(start, start + n)]


def load(server: CountingServer, tmp_path: Path, recs: list[dict[str, Any]], **kw: Any):
    options = LoadOptions(journal_path=tmp_path / "journal.json", ledger_dir=tmp_path / "ledgers", batch_size=4, **kw)
    return load_tasks(server, 1, recs, options)


def test_id_ranges_are_runs_of_consecutive_ids() -> None:
    assert id_ranges([7, 1, 2, 3, 5, 6, 9, 2]) == [(1, 3), (5, 7), (9, 9)]
    assert id_ranges([]) == []


def test_the_id_filter_is_the_query_label_studio_answered() -> None:
    """The recorded request is the one the real server answered with exactly the tasks in range."""
    recorded = json.loads((SAMPLES / "api_tasks_include_id_ranges.json").read_text())
    assert recorded["request"].endswith("&query=" + id_filter([(10001, 10002), (10005, 10005)]))
    assert recorded["response"]["total"] == 3
    refs = task_refs(recorded["response"])
    assert [(r.id, r.data["sentence_id"], r.annotations) for r in refs] == [
        (10001, "bench0000-0", 0),
        (10002, "bench0000-79", 0),
    ]
    outside = json.loads((SAMPLES / "api_tasks_include_outside_ranges.json").read_text())
    assert outside["request"].endswith("&query=" + id_filter([(10001, 19990)], outside=True))
    assert [t.id for t in task_refs(outside["response"])] == [19991, 19992]
    assert outside["response"]["total"] == 10


def test_a_rerun_lists_nothing_and_creates_nothing(tmp_path: Path) -> None:
    server = CountingServer()
    first = load(server, tmp_path, records(10))
    assert first.created == 10
    server.calls.clear()
    again = load(server, tmp_path, records(10))
    assert (again.created, again.present) == (0, 10)
    assert "list" not in server.calls and "list outside" not in server.calls
    assert server.calls == ["count", "count within"]


def test_a_task_deleted_on_the_server_is_reloaded_even_when_the_count_matches(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(10))
    gone = next(i for i, (data, _) in server.rows.items() if data["sentence_id"] == "a-3")
    server.delete_task(gone)
    server.add({"text": "Someone else's task.", "sentence_id": "other-1"})  # the project's total is 10 again
    server.calls.clear()
    report = load(server, tmp_path, records(10))
    assert report.created == 1 and report.present == 9
    assert "list" in server.calls
    assert sorted(d["sentence_id"] for d, _ in server.rows.values()) == sorted(
        [f"a-{i}" for i in range(10)] + ["other-1"]
    )
    # And the ledger it rewrote is proved again without a listing.
    server.calls.clear()
    assert load(server, tmp_path, records(10)).created == 0
    assert "list" not in server.calls


def test_tasks_loaded_elsewhere_are_listed_alone_and_not_loaded_twice(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(6))
    for r in records(3, start=6):  # another machine loads three more
        server.add(r)
    server.calls.clear()
    report = load(server, tmp_path, records(12))
    assert (report.created, report.present) == (3, 9)
    assert "list outside" in server.calls and "list" not in server.calls
    assert len(server.rows) == 12


def test_a_changed_text_is_reported_from_the_ledger(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(3))
    changed = records(3)
    changed[1]["text"] = "A new text."
    report = load(server, tmp_path, changed)
    assert report.changed == ["a-1"] and report.created == 0


def test_a_reset_server_that_reuses_the_project_id_is_not_taken_for_the_same_project(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(5))
    other = CountingServer(created_at="2026-12-01T09:00:00.000000Z")  # same URL and project id, new database
    for i in range(5):
        other.add({"text": f"Different {i}.", "sentence_id": f"b-{i}"})  # the same ids 1..5
    report = load(other, tmp_path, records(5))
    assert report.created == 5
    assert "list" in other.calls


def test_a_killed_run_s_batch_is_waited_for_and_not_loaded_twice(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(4))
    # A killed run: the journal names its batch, the server imported it, the ledger never heard.
    Journal(tmp_path / "journal.json", URL, 1).begin([f"a-{i}" for i in range(4, 8)])
    for r in records(4, start=4):
        server.add(r)
    logged: list[str] = []
    report = load(server, tmp_path, records(8), log=logged.append)
    assert "A previous load was interrupted with 4 tasks in flight" in logged[0]
    assert report.created == 0 and report.present == 8
    assert len(server.rows) == 8
    assert "list" not in server.calls[: server.calls.index("list outside") + 1]


def test_duplicates_left_by_a_killed_run_are_removed_and_leave_the_ledger(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(4))
    for r in records(2):  # a killed batch that landed after its rerun had loaded the same tasks
        server.add(dict(r))
    report = load(server, tmp_path, records(4))
    assert report.duplicates_removed == 2 and len(server.rows) == 4
    ledger = Ledger(tmp_path / "ledgers", URL, 1, stamp=server.created_at, key="sentence_id", compare=("text",))
    assert sorted(ledger.read()) == sorted(server.rows)


def test_the_ledger_skips_a_cut_off_line_and_ignores_another_project(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path, URL, 1, stamp="t", key="sentence_id", compare=("text",))
    ledger.add([(1, "a-1", digest({"text": "x"}, ["text"]))])
    with ledger.path.open("a") as fh:
        fh.write('[2, "a-2"')  # a run killed mid-write
    assert list(ledger.read()) == [1]
    assert Ledger(tmp_path, URL, 1, stamp="t", key="claim_id", compare=("text",)).read() == {}
    assert Ledger(tmp_path, URL, 2, stamp="t", key="sentence_id", compare=("text",)).path != ledger.path


def test_known_tasks_reads_the_ledger_when_every_id_is_counted(tmp_path: Path) -> None:
    server = CountingServer()
    ids = [server.add(r) for r in records(3)]
    ledger = Ledger(tmp_path, URL, 1, stamp=server.created_at, key="sentence_id", compare=("text",))
    ledger.add([(i, f"a-{n}", digest(records(3)[n], ["text"])) for n, i in enumerate(ids)])
    known = known_tasks(server, 1, ledger, key="sentence_id", compare=("text",))
    assert sorted(known) == ["a-0", "a-1", "a-2"]
    assert server.calls == ["count", "count within"]


def test_an_empty_project_on_a_reset_server_starts_a_new_ledger(tmp_path: Path) -> None:
    server = CountingServer()
    load(server, tmp_path, records(3))
    other = CountingServer(created_at="2026-12-01T09:00:00.000000Z")
    assert load(other, tmp_path, records(3)).created == 3
    other.calls.clear()
    assert load(other, tmp_path, records(3)).created == 0
    assert other.calls == ["count", "count within"]


@pytest.mark.integration
def test_a_rerun_creates_nothing_and_a_task_deleted_on_the_server_is_reloaded(live_server, tmp_path: Path) -> None:
    from annotate.labelstudio.api import client as labelstudio
    from annotate.labelstudio.api.load import sanitize
    from annotate.labelstudio.api.projects import load_project
    from annotate.labelstudio.service.settings import Connection

    from .test_integration import fresh_config, fresh_projects

    projects, config_dir = fresh_projects(tmp_path), fresh_config(live_server, tmp_path)
    created = live_server.run("project", "create", "claims", "--projects-dir", str(projects), config_dir=config_dir)
    project_id = int(created.stdout)
    tasks = tmp_path / "tasks.jsonl"
    full = [r | {"kind": "sentence", "article_id": "a", "sentence_index": i, "char_start": 0, "char_end": 5}
            for i, r in enumerate(records(12))]  # fmt: skip
    tasks.write_text("".join(json.dumps(r) + "\n" for r in full))

    def run() -> dict:
        done = live_server.run("load", str(tasks), "--project", "claims", "--projects-dir", str(projects),
                               "--format", "json", config_dir=config_dir)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert live_server.api_key not in done.stdout + done.stderr
        return json.loads(done.stdout)

    assert run()["created"] == 12
    assert (run()["created"], run()["already_present"]) == (0, 12)
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    on_server = {t.data["sentence_id"]: t.id for t in client.tasks(project_id)}
    client.delete_task(on_server["a-5"])
    # Someone else's task keeps the project's count at 12: the count alone would not tell.
    other = sanitize(full[0] | {"text": "Another task.", "sentence_id": "other-1"},
                     load_project("claims", projects_dir=projects).data_fields())  # fmt: skip
    client.import_tasks(project_id, [{"data": other}])
    report = run()
    assert (report["created"], report["already_present"]) == (1, 11)
    ids = sorted(t.data["sentence_id"] for t in client.tasks(project_id))
    assert ids == sorted([f"a-{i}" for i in range(12)] + ["other-1"])
    assert run()["created"] == 0


def test_the_client_module_does_not_import_the_sdk() -> None:
    """load and export talk REST; the SDK (and the pandas it imports) loads only for other calls."""
    import subprocess
    import sys

    code = "import sys, annotate.labelstudio.api.client, annotate.labelstudio.api.load\n" \
           "import annotate.labelstudio.api.export\n" \
           "print('label_studio_sdk' in sys.modules, 'pandas' in sys.modules)"  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    assert done.stdout.split() == ["False", "False"]


def test_the_title_shows_once_above_a_headline_and_the_sentence_after_it() -> None:
    from annotate.labelstudio.api.load import sanitize

    fields = ["text", "title", "title_above", "context_before"]
    headline = {"text": "Pledges boost hope", "title": "Pledges boost hope", "context_before": ""}
    after = {"text": "Allies agreed.", "title": "Pledges boost hope", "context_before": "Pledges boost hope"}
    later = {"text": "Leaders met.", "title": "Pledges boost hope", "context_before": "Allies agreed."}
    assert [sanitize(r, fields)["title_above"] for r in (headline, after, later)] == ["", "", "Pledges boost hope"]
    assert sanitize(later | {"title": None}, fields)["title_above"] == ""
    assert sanitize(later | {"title_above": "kept"}, fields)["title_above"] == "kept"
    assert "title_above" not in sanitize(later, ["text", "title"])  # only for a project that shows it
