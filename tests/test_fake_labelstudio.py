"""Unit tests of the Label Studio layer that need control of time or faults, which only the fake gives:
a batch that lands after the rerun gave up waiting, an export cut off mid-stream, the recorded
export rebuilt by the fake. The scenarios both the fake and the real server run are in
test_scenarios.py.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import InputError, LabelStudioAPIError, ServerUnreachable
from annotate.labelstudio.api import export, load
from annotate.labelstudio.api.load import PENDING_QUIET, LoadOptions, load_tasks
from annotate.labelstudio.api.projects import ensure_project, load_project, update_project
from annotate.labelstudio.api.users import add_users

from .builders import region, status
from .conftest import ROOT
from .fakes import RECORDED, ClientKilled, FakeClock, FakeLabelStudio

# The first task of the recorded snapshot: the values a server assigns, which the fake cannot copy.
RECORDED_TASK = json.loads(RECORDED.read_text())[0]
ASSIGNED = {"id", "created_at", "updated_at", "unique_id", "created_ago", "project", "task", "inner_id"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(load, "time", clock)
    return clock


@pytest.fixture
def fake() -> FakeLabelStudio:
    return FakeLabelStudio()


def _claims(fake: FakeLabelStudio, config_dir: Path) -> int:
    project_id, _ = ensure_project(fake, load_project("claims", projects_dir=ROOT / "projects"), config_dir=config_dir)
    return project_id


def _records(n: int) -> list[dict]:
    return [
        {"text": f"Sentence {i} says 3% more.", "sentence_id": f"a-{i}", "context_before": "", "context_after": ""}
        for i in range(n)
    ]


def _ids(fake: FakeLabelStudio, project_id: int) -> list[str]:
    return sorted(t.data["sentence_id"] for t in fake.tasks(project_id))


def test_the_fake_stands_for_the_real_client_method_by_method() -> None:
    """Every call the fake answers is one the real client makes, with the same parameters: a unit
    test passing against the fake means the code calls methods the client has."""
    import inspect

    from annotate.labelstudio.api.client import Client

    controls = {"annotate", "kill_client_during_next_import", "land_in_flight", "cut_export_after", "list_projects"}
    for name, method in inspect.getmembers(FakeLabelStudio, inspect.isfunction):
        if name.startswith("_") or name in controls:
            continue
        assert hasattr(Client, name), f"the fake answers {name}(), which the real client does not have"
        ours, real = inspect.signature(method).parameters, inspect.signature(getattr(Client, name)).parameters
        required = [p for p, v in real.items() if v.default is inspect.Parameter.empty]
        assert set(ours) <= set(real) and set(required) <= set(ours), f"{name}: {list(ours)} against {list(real)}"


# The recorded export, rebuilt ---------------------------------------------------------------------


def _without_assigned(value):
    if isinstance(value, dict):
        return {k: v if k == "result" else _without_assigned(v) for k, v in value.items() if k not in ASSIGNED}
    if isinstance(value, list):
        return [_without_assigned(v) for v in value]
    return value


def test_the_fake_exports_the_recorded_task_exactly(tmp_path: Path, fake: FakeLabelStudio) -> None:
    """Task 1001 of the recorded snapshot made again through the fake: everything but the ids and
    times the server assigns is equal, key order included."""
    fake.people[0].update(email="admin@example.com")
    user_2 = fake.create_user("annotator2@example.com")
    fake.people[1].update(first_name="Ann", last_name="Two")
    project_id = fake.create_project(label_config=(RECORDED.parent / "test-config.xml").read_text(), settings={})
    recorded = RECORDED_TASK
    prediction = recorded["predictions"][0]
    (task_id,) = fake.import_tasks(project_id, [{"data": recorded["data"], "predictions": [
        {k: prediction[k] for k in ("model_version", "score", "result")}]}])  # fmt: skip
    first, second = recorded["annotations"]
    fake.create_annotation(task_id, first["result"], lead_time=first["lead_time"])
    fake.annotate(task_id, second["result"], user_id=user_2)
    fake.stored[task_id]["annotations"][1]["lead_time"] = second["lead_time"]  # the UI measures it
    fake.stored[task_id]["updated_by"] = 1

    path = export.export_project(fake, project_id, project="t", out_dir=tmp_path)

    (task,) = json.loads(path.read_text())
    assert json.dumps(_without_assigned(task)) == json.dumps(_without_assigned(recorded))


# The load journal ---------------------------------------------------------------------------------


def test_a_rerun_waits_for_the_batch_in_flight_and_sends_it_no_more(
    tmp_path: Path, fake: FakeLabelStudio, clock: FakeClock
) -> None:
    project_id = _claims(fake, tmp_path / "config")
    journal = tmp_path / "journal.json"
    fake.kill_client_during_next_import(lands_after_listings=3)
    with pytest.raises(ClientKilled):
        load_tasks(fake, project_id, _records(5), LoadOptions(journal_path=journal, batch_size=2))
    assert fake.tasks(project_id) == []  # the server is still importing it (this listing is the first)

    rerun = load_tasks(fake, project_id, _records(5), LoadOptions(journal_path=journal, batch_size=2))

    assert clock.slept == 2 * 2.0  # two more listings without it, then it is there
    assert (rerun.created, rerun.present) == (3, 2)
    assert fake.calls["import_tasks"] == 1 + 2
    assert _ids(fake, project_id) == [f"a-{i}" for i in range(5)]


def test_a_batch_landing_after_the_rerun_gave_up_is_cleaned_by_the_next_run(
    tmp_path: Path, fake: FakeLabelStudio, clock: FakeClock
) -> None:
    project_id = _claims(fake, tmp_path / "config")
    journal = tmp_path / "journal.json"
    fake.kill_client_during_next_import(lands_after_listings=10**6)
    with pytest.raises(ClientKilled):
        load_tasks(fake, project_id, _records(3), LoadOptions(journal_path=journal, batch_size=2))

    rerun = load_tasks(fake, project_id, _records(3), LoadOptions(journal_path=journal, batch_size=2))
    assert PENDING_QUIET < clock.slept <= PENDING_QUIET + 4  # it waited while the task count stood still
    assert (rerun.created, rerun.present) == (3, 0)

    fake.land_in_flight()  # the server finishes the first run's batch after all
    assert _ids(fake, project_id) == ["a-0", "a-0", "a-1", "a-1", "a-2"]
    third = load_tasks(fake, project_id, _records(3), LoadOptions(journal_path=journal, batch_size=2))
    assert (third.created, third.present, third.duplicates_removed) == (0, 3, 2)
    assert _ids(fake, project_id) == ["a-0", "a-1", "a-2"]


def test_a_copy_whose_text_differs_is_not_removed(tmp_path: Path, fake: FakeLabelStudio) -> None:
    project_id = _claims(fake, tmp_path / "config")
    records = _records(2)
    fake.import_tasks(project_id, [{"data": r} for r in records])
    fake.import_tasks(project_id, [{"data": records[0] | {"text": "Another split of it."}}])
    report = load_tasks(fake, project_id, records, LoadOptions(journal_path=tmp_path / "journal.json"))
    assert report.duplicates_removed == 0
    assert _ids(fake, project_id) == ["a-0", "a-0", "a-1"]


def test_a_dry_run_sends_nothing(tmp_path: Path, fake: FakeLabelStudio) -> None:
    project_id = _claims(fake, tmp_path / "config")
    report = load_tasks(
        fake, project_id, _records(3), LoadOptions(journal_path=tmp_path / "journal.json", dry_run=True)
    )
    assert report.created == 3
    assert fake.calls["import_tasks"] == 0 and not (tmp_path / "journal.json").exists()


# Export -------------------------------------------------------------------------------------------


def test_an_interrupted_export_leaves_no_file_and_the_earlier_export_untouched(
    tmp_path: Path, fake: FakeLabelStudio
) -> None:
    project_id = _claims(fake, tmp_path / "config")
    load_tasks(fake, project_id, _records(30), LoadOptions(journal_path=tmp_path / "journal.json"))
    out = tmp_path / "exports"
    earlier = export.export_project(fake, project_id, project="claims", out_dir=out)
    before = {p.name: p.read_bytes() for p in (out / "claims").iterdir()}

    fake.cut_export_after(500)
    with pytest.raises(ServerUnreachable) as error:
        export.export_project(fake, project_id, project="claims", out_dir=out)

    assert error.value.message == f"cannot reach Label Studio at {fake.url} (RemoteProtocolError)"
    assert {p.name: p.read_bytes() for p in (out / "claims").iterdir()} == before
    assert sorted(before) == sorted([earlier.name, export.manifest_path(earlier).name])
    assert not _counting_threads()


def test_export_reads_the_project_once(tmp_path: Path, fake: FakeLabelStudio) -> None:
    """Label Studio counts the project's tasks for every read of a project (its detail view): the
    export reads it once, to find it and for the manifest's title and label config."""
    spec = load_project("claims", projects_dir=ROOT / "projects")
    _claims(fake, tmp_path / "config")
    fake.calls.clear()
    path = export.export_named_project(fake, spec, out_dir=tmp_path / "exports", config_dir=tmp_path / "config")
    assert fake.calls["get_project"] == 1 and fake.calls["export_snapshot"] == 1
    manifest = json.loads(export.manifest_path(path).read_text())
    assert manifest["project_title"] == spec.title and manifest["label_config_sha256"]


def test_an_export_never_overwrites_one_with_the_same_name(
    tmp_path: Path, fake: FakeLabelStudio, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = _claims(fake, tmp_path / "config")
    taken = tmp_path / "exports" / "claims" / "20261130T120000.000000Z.json"
    taken.parent.mkdir(parents=True)
    taken.write_text("[]")
    monkeypatch.setattr(export, "export_path", lambda *_args, **_kw: taken)
    with pytest.raises(InputError, match="already exists; not overwriting it"):
        export.export_project(fake, project_id, project="claims", out_dir=tmp_path / "exports")
    assert taken.read_text() == "[]" and fake.calls["export_snapshot"] == 0
    assert [p.name for p in taken.parent.iterdir()] == [taken.name]


class _Trickling:
    """A server whose snapshot is the given bytes, sent in small pieces (as a slow network would)."""

    url = "http://127.0.0.1:9"

    def __init__(self, body: bytes, piece: int) -> None:
        self.body, self.piece = body, piece

    def get_project(self, project_id: int) -> None:
        return None

    def export_snapshot(self, project_id: int, out: Any) -> int:
        for i in range(0, len(self.body), self.piece):
            out.write(self.body[i : i + self.piece])
        return len(self.body)


def _counting_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "export-count"]


@pytest.mark.parametrize("piece", [1, 7, 1 << 20])
def test_an_export_is_counted_while_it_downloads(tmp_path: Path, piece: int) -> None:
    recorded = RECORDED.parent / "export_JSON.json"  # a real export: a cancelled annotation, predictions, non-ASCII
    tasks = json.loads(recorded.read_text(encoding="utf-8"))
    expected = {
        "tasks": len(tasks),
        "annotations": sum(len(t["annotations"]) for t in tasks),
        "cancelled_annotations": sum(bool(a.get("was_cancelled")) for t in tasks for a in t["annotations"]),
        "predictions": sum(len(t["predictions"]) for t in tasks),
    }
    assert expected == {"tasks": 4, "annotations": 5, "cancelled_annotations": 1, "predictions": 3}

    path = export.export_project(_Trickling(recorded.read_bytes(), piece), 1, project="t", out_dir=tmp_path)

    manifest = export.read_manifest(path)
    assert manifest["counts"] == expected
    assert path.read_bytes() == recorded.read_bytes() and manifest["bytes"] == recorded.stat().st_size
    assert not _counting_threads()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"id": 1}, {"id": 2}', ":1:22: the file ends inside the array (cut off?)"),
        (b'{"id": 1}', ":1:1: not a JSON array (a Label Studio JSON export is a list of tasks)"),
        (b"[1, 2] and more" + b" " * 3_000_000, ":1:8: unexpected data after the array"),
    ],
)
def test_an_export_that_is_not_a_complete_array_is_refused_and_leaves_no_file(
    tmp_path: Path, body: bytes, message: str
) -> None:
    with pytest.raises(InputError) as error:
        export.export_project(_Trickling(body, 1 << 20), 1, project="t", out_dir=tmp_path)
    assert error.value.message == "the export of project 1 from http://127.0.0.1:9" + message
    assert [p.name for p in (tmp_path / "t").iterdir()] == []
    assert not _counting_threads()


def test_the_snapshot_request_waits_as_long_as_label_studio_builds_it(tmp_path: Path) -> None:
    """Label Studio builds a snapshot inside the request that asks for it (22 minutes for 1,000,000
    tasks on SQLite, measured): that request has no read timeout; the other requests keep theirs."""
    import httpx

    from annotate.labelstudio.api.client import Client
    from annotate.labelstudio.service.settings import Connection

    timeouts: dict[str, Any] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts[f"{request.method} {request.url.path}"] = request.extensions["timeout"]["read"]
        if request.method == "POST":
            return httpx.Response(201, json={"id": 7, "status": "completed"})
        return httpx.Response(200, content=b"[]")

    client = Client(Connection("http://127.0.0.1:9", "legacy-token-1234"), timeout=60)
    client._http._client = httpx.Client(base_url=client.url, transport=httpx.MockTransport(answer), timeout=60)
    with (tmp_path / "out.json").open("wb") as out:
        assert client.export_snapshot(3, out) == 2
    assert timeouts == {"POST /api/projects/3/exports/": None, "GET /api/projects/3/exports/7/download": 60}


# Projects -----------------------------------------------------------------------------------------


def test_removing_relations_in_use_is_caught_here_because_the_server_does_not(
    tmp_path: Path, fake: FakeLabelStudio
) -> None:
    config_dir = tmp_path / "config"
    spec = load_project("claims", projects_dir=ROOT / "projects")
    project_id = _claims(fake, config_dir)
    (task_id,) = fake.import_tasks(project_id, [{"data": _records(1)[0]}])
    text = _records(1)[0]["text"]
    fake.create_annotation(task_id, [region("s", text, "Sentence", "SOURCE"), status("no_claim")])
    start = spec.label_config.index("<Relations")  # <Relations choice="single">
    end = spec.label_config.index("</Relations>") + len("</Relations>")
    without = spec.label_config[:start] + spec.label_config[end:]
    assert fake.validate_config(project_id, without) is None  # relations are not tracked (note §8)

    refused = update_project(fake, replace(spec, label_config=without), config_dir=config_dir)
    assert refused.orphaning == ["removes relation attributed_to, cue_of while 1 tasks have annotations"]
    assert fake.calls["update_project"] == 0


def test_a_settings_change_is_a_diff_and_is_applied(tmp_path: Path, fake: FakeLabelStudio) -> None:
    config_dir = tmp_path / "config"
    spec = load_project("claims", projects_dir=ROOT / "projects")
    project_id = _claims(fake, config_dir)
    two = replace(spec, settings=spec.settings | {"annotators_per_task": 2})
    dry = update_project(fake, two, config_dir=config_dir, dry_run=True)
    assert (dry.diff, dry.applied) == ("maximum_annotations: 1 -> 2", False)
    assert update_project(fake, two, config_dir=config_dir).applied is True
    assert fake.get_project(project_id).settings["maximum_annotations"] == 2


# Users --------------------------------------------------------------------------------------------


def test_on_the_local_server_each_new_person_gets_a_password_set_outside_the_api(fake: FakeLabelStudio) -> None:
    set_passwords: list[tuple[str, str]] = []
    added = add_users(
        fake, ["a@example.org", "admin@annotate.local"], set_password=lambda e, p: set_passwords.append((e, p))
    )
    assert [(u.email, u.created, u.invite_url) for u in added] == [
        ("a@example.org", True, None),
        ("admin@annotate.local", False, None),
    ]
    assert set_passwords == [("a@example.org", added[0].password)] and len(added[0].password) >= 16
    assert added[1].password is None
    assert fake.passwords == {}  # the user API never sees a password


def test_a_batch_the_server_rejected_is_not_left_in_flight(
    tmp_path: Path, fake: FakeLabelStudio, clock: FakeClock
) -> None:
    project_id = _claims(fake, tmp_path / "config")
    journal = tmp_path / "journal.json"
    bad = _records(2)
    del bad[1]["context_after"]  # Label Studio rejects the whole batch (note §9)
    with pytest.raises(LabelStudioAPIError):
        load_tasks(fake, project_id, bad, LoadOptions(journal_path=journal))
    messages: list[str] = []
    load_tasks(fake, project_id, _records(2), LoadOptions(journal_path=journal, log=messages.append))
    assert (messages, clock.slept) == ([], 0.0)
