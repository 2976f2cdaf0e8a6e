"""The Label Studio layer's scenarios, each run twice: against the fake (tests/fakes.py, a unit test)
and against the real server (marked integration). The real runs are what keep the fake honest:
a behaviour the fake gets wrong fails here.

Load journal, deduplication, changed text, prelabel, project sync, export and users, through the
library functions the commands call.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import ConfigError, LabelStudioAPIError
from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api import load
from annotate.labelstudio.api.export import export_project, manifest_path
from annotate.labelstudio.api.load import LoadOptions, load_tasks
from annotate.labelstudio.api.prelabel import MODEL_VERSION, cluster, prelabel_project
from annotate.labelstudio.api.projects import ProjectSpec, ensure_project, find_project, load_project, update_project
from annotate.labelstudio.api.users import add_users
from annotate.labelstudio.exported.results import status_result
from annotate.labelstudio.service.settings import Connection, record_project_id, recorded_project_id

from .builders import region, status
from .conftest import ROOT
from .fakes import RECORDED, ClientKilled, FakeClock, FakeLabelStudio

RECORDED_TASK = json.loads(RECORDED.read_text())[0]


@dataclass
class Server:
    """One Label Studio, fake or real, with a config folder of its own and the projects it made."""

    kind: str
    client: Any
    config_dir: Path
    connection: Connection | None = None
    made: list[int] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def spec(self, name: str = "claims", **changes: Any) -> ProjectSpec:
        """A shipped project under a title of its own, so runs against one real server do not meet."""
        spec = load_project(name, projects_dir=ROOT / "projects")
        return replace(spec, title=f"{spec.title[:38]} {uuid.uuid4().hex[:8]}", **changes)

    def project(self, spec: ProjectSpec) -> int:
        project_id, _ = ensure_project(self.client, spec, config_dir=self.config_dir)
        self.made.append(project_id)
        return project_id

    def fresh_client(self) -> Any:
        """Another client process for the same server (after one was killed)."""
        return self.client if self.connection is None else labelstudio.connect(self.connection)

    def killed_during_next_import(self) -> Any:
        """A client that is killed once its next import request is on its way; the server goes on."""
        if isinstance(self.client, FakeLabelStudio):
            self.client.kill_client_during_next_import(lands_after_listings=1)
            return self.client
        return _KilledDuringImport(labelstudio.connect(self.connection), self.threads)


class _KilledDuringImport:
    """A real client whose import request is sent from a thread, while the caller dies at once."""

    def __init__(self, client: labelstudio.Client, threads: list[threading.Thread]) -> None:
        self._client, self._threads, self.url = client, threads, client.url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        thread = threading.Thread(target=self._client.import_tasks, args=(project_id, tasks))
        thread.start()
        self._threads.append(thread)
        time.sleep(0.1)  # the request is on the server
        raise ClientKilled(f"import {len(tasks)} tasks")


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.integration)])
def server(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    if request.param == "fake":
        monkeypatch.setattr(load, "time", FakeClock())  # the rerun's waiting costs no time
        yield Server("fake", FakeLabelStudio(), tmp_path / "config")
        return
    live = request.getfixturevalue("live_server")
    connection = Connection(live.url, live.api_key)
    server = Server("real", labelstudio.connect(connection), tmp_path / "config", connection)
    try:
        yield server
    finally:
        for thread in server.threads:
            thread.join(timeout=60)
        for project_id in server.made:
            server.client.delete_project(project_id)


def _records(n: int, *, prefix: str = "art") -> list[dict[str, Any]]:
    texts = [
        "The minister said unemployment fell by 3% last year.",
        "It was a sunny day.",
        "Prices will rise, according to the central bank.",
        "Thank you all for coming tonight.",
        "The mayor said the bridge cost $2 million.",
    ]
    return [
        {"text": texts[i % len(texts)] + (f" ({i})" if i >= len(texts) else ""), "kind": "sentence",
         "article_id": prefix, "sentence_id": f"{prefix}-{i * 100}", "sentence_index": i, "char_start": i * 100,
         "char_end": i * 100 + 50, "title": "A title", "context_before": "", "context_after": ""}
        for i in range(n)
    ]  # fmt: skip


def _sentence_ids(client: Any, project_id: int) -> list[str]:
    return sorted(t.data["sentence_id"] for t in client.tasks(project_id))


# Import: what the server does, and what load makes of it ------------------------------------


def test_import_keeps_duplicates_and_ignores_task_ids(server: Server) -> None:
    client = server.client
    project_id = server.project(server.spec())
    records = _records(2)
    first = client.import_tasks(project_id, [{"data": r} for r in records])
    second = client.import_tasks(project_id, [{"data": r} for r in records])
    assert len(set(first + second)) == 4  # no deduplication on import
    assert _sentence_ids(client, project_id) == sorted(2 * [r["sentence_id"] for r in records])

    other = records[0] | {"text": "Another text."}
    (new_id,) = client.import_tasks(project_id, [{"id": first[0], "data": other}])
    assert new_id not in first + second  # the id in the item is ignored
    texts = {t.id: t.data["text"] for t in client.tasks(project_id)}
    assert texts[first[0]] == records[0]["text"] and texts[new_id] == "Another text."


def test_an_import_with_one_bad_item_imports_nothing(server: Server) -> None:
    project_id = server.project(server.spec())
    good, bad = ({"data": r} for r in _records(2))
    del bad["data"]["text"]
    with pytest.raises(LabelStudioAPIError) as error:
        server.client.import_tasks(project_id, [good, bad])
    assert error.value.message.startswith(f"Label Studio at {server.client.url} could not import 2 tasks into project")
    assert error.value.message.endswith(
        f'HTTP 400: {{}}; Error at item 1: "text" key is expected in task data '
        f'[assume: item["data"] = task root with values] :: {bad!r}'
    )
    assert server.client.tasks(project_id) == []


def test_loading_twice_creates_each_task_once_and_reports_changed_text(server: Server, tmp_path: Path) -> None:
    project_id = server.project(server.spec())
    records = _records(3)
    journal = tmp_path / "journal.json"
    first = load_tasks(server.client, project_id, records, LoadOptions(journal_path=journal))
    assert (first.created, first.present, first.changed) == (3, 0, [])

    changed = [records[0] | {"text": "A corrected sentence."}, *records[1:], records[2]]
    again = load_tasks(server.client, project_id, changed, LoadOptions(journal_path=journal))
    assert again.as_dict() == {"created": 0, "already_present": 3, "changed": [records[0]["sentence_id"]],
                               "duplicates_in_input": 1, "duplicates_removed": 0}  # fmt: skip
    assert _sentence_ids(server.client, project_id) == sorted(r["sentence_id"] for r in records)
    assert {t.data["text"] for t in server.client.tasks(project_id)} == {r["text"] for r in records}  # not overwritten


def test_unannotated_copies_are_removed_and_the_annotated_copy_is_kept(server: Server, tmp_path: Path) -> None:
    """Copies as a killed run leaves them when its batch landed after the rerun had loaded it again."""
    client = server.client
    project_id = server.project(server.spec())
    records = _records(3)
    client.import_tasks(project_id, [{"data": r} for r in records])
    copies = client.import_tasks(project_id, [{"data": r} for r in records])
    text = records[0]["text"]
    client.create_annotation(copies[0], [region("s", text, "The minister", "SOURCE"), status("no_claim")])

    report = load_tasks(client, project_id, records, LoadOptions(journal_path=tmp_path / "journal.json"))

    assert (report.created, report.present, report.duplicates_removed) == (0, 3, 3)
    tasks = client.tasks(project_id)
    assert sorted(t.data["sentence_id"] for t in tasks) == sorted(r["sentence_id"] for r in records)
    kept = next(t for t in tasks if t.data["sentence_id"] == records[0]["sentence_id"])
    assert (kept.id, kept.annotations) == (copies[0], 1)  # the newer copy, because it is annotated


def test_replacing_a_tasks_data_keeps_its_annotations(server: Server, tmp_path: Path) -> None:
    """What promote does to a cluster's task when a new mention comes (PATCH /api/tasks/{id}/)."""
    client = server.client
    project_id = server.project(server.spec())
    (task_id,) = client.import_tasks(project_id, [{"data": _records(1)[0]}])
    client.create_annotation(task_id, [status("no_claim")])
    grown = _records(1)[0] | {"mentions": [{"claim_id": "a/0-1"}], "mention_options": [{"value": "a/0-1"}]}
    client.update_task_data(task_id, grown)
    (task,) = client.tasks(project_id)
    assert (task.id, task.data, task.annotations) == (task_id, grown, 1)
    path = export_project(client, project_id, project="claims", out_dir=tmp_path / "exports")
    (exported,) = json.loads(path.read_bytes())
    assert exported["data"] == grown and [a["result"] for a in exported["annotations"]] == [[status("no_claim")]]
    with pytest.raises(LabelStudioAPIError, match="404"):
        client.update_task_data(task_id + 1000, grown)


def test_a_run_killed_mid_batch_is_rerun_without_loading_anything_twice(server: Server, tmp_path: Path) -> None:
    project_id = server.project(server.spec())
    records = _records(5)
    journal = tmp_path / "journal.json"
    with pytest.raises(ClientKilled):
        load_tasks(
            server.killed_during_next_import(), project_id, records, LoadOptions(journal_path=journal, batch_size=2)
        )
    assert json.loads(journal.read_text())  # the batch in flight is on record

    messages: list[str] = []
    rerun = load_tasks(server.fresh_client(), project_id, records, LoadOptions(journal_path=journal, batch_size=2,
                       log=messages.append))  # fmt: skip

    assert messages == ["A previous load was interrupted with 2 tasks in flight; waiting for the server to finish them"]
    assert (rerun.created, rerun.present, rerun.duplicates_removed) == (3, 2, 0)
    assert _sentence_ids(server.client, project_id) == sorted(r["sentence_id"] for r in records)
    assert json.loads(journal.read_text()) == {}


# Prelabel -------------------------------------------------------------------------------------


def test_prelabel_adds_one_prediction_per_model_version(server: Server, tmp_path: Path) -> None:
    client = server.client
    project_id = server.project(server.spec())
    load_tasks(client, project_id, _records(3), LoadOptions(journal_path=tmp_path / "journal.json"))

    assert prelabel_project(client, project_id) == (3, 0)
    assert prelabel_project(client, project_id) == (0, 3)
    assert len(client.prediction_task_ids(project_id, MODEL_VERSION)) == 3

    def model(texts: list[str]) -> list[tuple[list[dict], float]]:
        return [(status_result("no_claim"), 0.25) for _ in texts]

    assert prelabel_project(client, project_id, model_version="model-abc", predictor=model) == (3, 0)
    assert prelabel_project(client, project_id, model_version="model-abc", predictor=model) == (0, 3)


def test_uncertainty_order_spreads_annotators_over_articles(server: Server, tmp_path: Path) -> None:
    client = server.client
    project_id = server.project(server.spec())
    records = _records(2, prefix="one") + _records(2, prefix="two")
    load_tasks(client, project_id, records, LoadOptions(journal_path=tmp_path / "journal.json"))
    assert prelabel_project(client, project_id, uncertainty_sampling=True) == (4, 0)
    exported = json.loads(export_project(client, project_id, project="claims", out_dir=tmp_path / "e").read_bytes())
    clusters = {t["data"]["sentence_id"]: p["cluster"] for t in exported for p in t["predictions"]}
    assert clusters["one-0"] == clusters["one-100"] != clusters["two-0"] == clusters["two-100"]
    assert clusters["one-0"] == cluster({"article_id": "one"}) and 0 <= clusters["one-0"] < 2**31


# Projects -------------------------------------------------------------------------------------


def test_a_project_is_created_once_and_found_by_record_then_by_title(server: Server, tmp_path: Path) -> None:
    client, spec = server.client, server.spec()
    project_id, created = ensure_project(client, spec, config_dir=server.config_dir)
    server.made.append(project_id)
    assert created is True
    assert ensure_project(client, spec, config_dir=server.config_dir) == (project_id, False)

    # Another machine, without the record: found by its exact title (a longer title holding it is not it).
    longer = client.create_project(label_config=spec.label_config, settings={"title": spec.title + " (old)"})
    server.made.append(longer)
    elsewhere = tmp_path / "elsewhere"
    assert find_project(client, spec, config_dir=elsewhere) == project_id
    assert recorded_project_id(elsewhere, client.url, spec.name) == project_id

    # The record wins over the title.
    record_project_id(elsewhere, client.url, spec.name, longer)
    assert find_project(client, spec, config_dir=elsewhere) == longer

    # Two projects with the title, and no record: which one is meant is not guessed.
    twin = client.create_project(label_config=spec.label_config, settings={"title": spec.title})
    server.made.append(twin)
    with pytest.raises(ConfigError) as error:
        ensure_project(client, spec, config_dir=tmp_path / "third")
    assert error.value.message == (
        f"2 projects on {client.url} have the title {spec.title!r} (ids {twin}, {project_id})"  # newest first
    )


def test_update_refuses_to_orphan_annotations_unless_forced(server: Server, tmp_path: Path) -> None:
    client, spec = server.client, server.spec()
    project_id = server.project(spec)
    (task_id,) = client.import_tasks(project_id, [{"data": _records(1)[0]}])
    text = _records(1)[0]["text"]
    client.create_annotation(task_id, [region("s", text, "The minister", "SOURCE"), status("no_claim")])

    without_source = replace(spec, label_config="\n".join(
        line for line in spec.label_config.splitlines() if 'value="SOURCE"' not in line))  # fmt: skip
    refused = update_project(client, without_source, config_dir=server.config_dir)
    assert refused.applied is False
    assert [line for line in refused.diff.splitlines() if line.startswith("-  ")] == [
        next(line for line in ("-" + x for x in spec.label_config.splitlines()) if 'value="SOURCE"' in line)
    ]
    assert refused.orphaning == [
        "These labels still exist in annotations or drafts:\nSOURCE (1 annotation)\n"
        'Please add labels to tag with name="span".'
    ]
    assert 'value="SOURCE"' in client.get_project(project_id).label_config

    # Label Studio's own update accepts it: --force is exactly that.
    forced = update_project(client, without_source, config_dir=server.config_dir, force=True)
    assert forced.applied is True
    assert client.get_project(project_id).label_config == without_source.label_config
    assert update_project(client, without_source, config_dir=server.config_dir).diff == ""

    # Removing a control that annotations use is refused by the server itself, even forced.
    start = without_source.label_config.index('<Choices name="claim_status"')
    end = without_source.label_config.index("</Choices>", start) + len("</Choices>")
    config = without_source.label_config
    no_status = replace(without_source, label_config=config[:start] + config[end:])
    message = (
        "Created annotations are incompatible with provided labeling schema, we found:\n"
        "1 with from_name=claim_status, to_name=text, type=choices"
    )
    assert update_project(client, no_status, config_dir=server.config_dir).orphaning == [message]
    with pytest.raises(LabelStudioAPIError) as error:
        update_project(client, no_status, config_dir=server.config_dir, force=True)
    assert error.value.message == (
        f"Label Studio at {client.url} could not update project {project_id}: HTTP 400: {message}"
    )


# Export ---------------------------------------------------------------------------------------


def test_export_is_the_full_snapshot_with_a_true_manifest(server: Server, tmp_path: Path) -> None:
    client = server.client
    project_id = server.project(server.spec())
    load_tasks(client, project_id, _records(2), LoadOptions(journal_path=tmp_path / "journal.json"))
    prelabel_project(client, project_id)
    first = min(t.id for t in client.tasks(project_id))
    client.create_annotation(first, [status("no_claim")], lead_time=4.5)

    path = export_project(client, project_id, project="claims", out_dir=tmp_path / "exports")

    tasks = json.loads(path.read_bytes())
    assert [list(t) for t in tasks] == [list(RECORDED_TASK)] * 2  # every task, the recorded keys in order
    (annotated,) = [t for t in tasks if t["annotations"]]
    (annotation,) = annotated["annotations"]
    assert list(annotation) == list(RECORDED_TASK["annotations"][0])
    assert annotation["completed_by"] == {"id": annotation["completed_by"]["id"], "email": client.whoami(),
                                          "first_name": "", "last_name": ""}  # fmt: skip
    assert (annotation["result"], annotation["lead_time"], annotation["result_count"]) == ([status("no_claim")], 4.5, 1)
    for task in tasks:
        (prediction,) = task["predictions"]
        assert list(prediction) == list(RECORDED_TASK["predictions"][0])
        assert (prediction["model_version"], prediction["task"]) == (MODEL_VERSION, task["id"])

    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["counts"] == {"tasks": 2, "annotations": 1, "cancelled_annotations": 0, "predictions": 2}
    assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["bytes"] == path.stat().st_size
    assert (manifest["project_id"], manifest["server"]) == (project_id, client.url)


# Users ----------------------------------------------------------------------------------------


def test_users_elsewhere_get_an_invite_and_no_account(server: Server) -> None:
    """Issue 14: an account made through the API can never log in, and the invite then refuses its address,
    so on a server annotate does not run, add_users makes none and hands out the invite link."""
    emails = [f"a-{uuid.uuid4().hex[:8]}@example.org", f"b-{uuid.uuid4().hex[:8]}@example.org"]
    added = add_users(server.client, emails, set_password=None)
    assert [(u.email, u.id, u.created, u.password) for u in added] == [(e, None, False, None) for e in emails]
    for user in added:
        assert user.invite_url.startswith(f"{server.client.url}/user/signup/?token=")
    assert not {u["email"] for u in server.client.users()} & set(emails)
    user_id = server.client.create_user(emails[0])  # stands in for the person signing up
    again = add_users(server.client, [emails[0].upper()], set_password=None)
    assert [(u.id, u.created) for u in again] == [(user_id, False)]
