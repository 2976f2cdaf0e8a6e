"""A fake Label Studio for unit tests: the client protocols of annotate/labelstudio/ (load.py's
_TaskServer, prelabel.py's _PredictionServer, projects.py's _ProjectServer, export.py's
_ExportServer, users.py's _UserServer), kept in memory.

It behaves as the real Label Studio 1.23.2 was measured to, not as one would guess. Each behaviour
names its evidence: a section of /work/shared/notes/label-studio-1.23.md ("note §8"), a recorded
response in tests/data/labelstudio-1.23/, or the installed server's source. tests/test_scenarios.py
runs the same scenarios against this fake and the real server, so a difference shows as a failure.

- Import does not deduplicate: importing the same tasks twice gives two copies of each (note §8,
  "Re-importing the same 50 tasks gives 100 tasks").
- An "id" in an imported task is ignored; the server assigns ids (note §8, "{"id": 1001, ...}
  created new task 42124"), one sequence for all projects (note §7, "task id (global across
  projects)").
- An import is all or nothing: one item without a data field of an object tag rejects the whole
  batch with 400 "Error at item N: "field" key is expected in task data ..." (note §9; message from
  label_studio/tasks/validation.py; the client's rendering of it, "HTTP 400: {}; Error at item 1:
  ...", as measured for a bad second item in test_scenarios.py).
- A killed client does not cancel an import in flight: the server finishes the batch (note §12, the
  import runs inside the request; tests/test_integration.py's killed-load test). Simulated by
  `kill_client_during_next_import`: the call raises ClientKilled, the batch lands later.
- The project title filter is a substring match (`icontains`, label_studio/projects/api.py:
  `CharFilter(field_name='title', lookup_expr='icontains')`): `projects_with_title` keeps exact
  matches of it as the real client does. Projects are listed newest first (test_scenarios.py
  found that against the real server).
- Updating a project silently accepts a config without labels or choices that annotations use,
  while the strict validate endpoint refuses it with "These labels still exist in annotations or
  drafts: ..."; removing a control that annotations use is refused by both ("Created annotations
  are incompatible ..."); text areas and relations are not tracked by either (note §8, "Changing the
  config while annotations exist"; messages from label_studio/projects/models.py).
- The snapshot export holds every task, full predictions and annotator objects, with exactly the
  keys of the recorded snapshot tests/data/labelstudio-1.23/snapshot_full_predictions_example.json
  (note §7): the fake fills a copy of that recorded task, annotation and prediction with its own
  values. `result_count` counts distinct result ids as the server's Annotation.save does.
- Predictions carry model_version and score as imported (note §5, api_task_get_2001_with_prediction.json).
- Creating a user ignores any password (note §6: "`password` is silently ignored"), so
  `passwords` stays empty; new people sign up through the invite link, "/user/signup/?token=..."
  (note §6), which the client makes absolute.
- The snapshot is written as `json.dumps(tasks, ensure_ascii=False)`: one line, default separators
  (label_studio/data_export/models.py; the real download starts `[{"id": 1, "annotations": ...`).
- A missing project or task is HTTP 404 ("No Task matches the given query." for a task, measured;
  DRF's "Not found." for a project), turned into the client's errors by the real
  `http.translating` (the fake raises inside it the StatusError a real answer raises), so messages
  and error classes are the client's.

Not reproduced: paging (the protocols return whole lists), HTML sanitising of
`expert_instruction`, the server's own XML checks of a label config, timings.
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as SafeET
import httpx

from annotate.labelstudio.api.client import PROJECT_FIELDS, ProjectInfo, TaskRef
from annotate.labelstudio.api.http import StatusError, translating

RECORDED = Path(__file__).resolve().parent / "data" / "labelstudio-1.23" / "snapshot_full_predictions_example.json"
_TEMPLATE = json.loads(RECORDED.read_text(encoding="utf-8"))[0]  # a task with two annotations and a prediction
_TASK_KEYS = list(_TEMPLATE)
_ANNOTATION_TEMPLATE = _TEMPLATE["annotations"][0]
_PREDICTION_TEMPLATE = _TEMPLATE["predictions"][0]

# What a project created without these fields holds (label_studio/projects/models.py defaults).
_PROJECT_DEFAULTS = {
    "title": "", "description": "", "expert_instruction": "", "show_instruction": False,
    "show_skip_button": True, "maximum_annotations": 1, "sampling": "Sequential sampling",
    "enable_empty_annotation": True,
}  # fmt: skip


class ClientKilled(BaseException):
    """The client process was killed (SIGKILL): nothing after this point runs in it."""


class FakeClock:
    """Stands in for the `time` module of annotate.labelstudio.api.load: sleeping moves the clock on."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept = 0.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _object_fields(label_config: str) -> list[str]:
    """The data keys a task must have: `$name` of each object tag (a named tag without toName)."""
    root = SafeET.fromstring(label_config)
    return [
        e.get("value", "")[1:]
        for e in root.iter()
        if e.get("name") and not e.get("toName") and e.get("value", "").startswith("$")
    ]


def _controls(label_config: str) -> dict[str, tuple[str, set[str], set[str]]]:
    """name -> (tag, toName targets, label or choice values) of each control tag. A value is what
    annotations store: a Choice's or Label's alias before its value (measured on the real server:
    moving annotations made with the old values to a config whose aliases keep them is accepted)."""
    root = SafeET.fromstring(label_config)
    names = {e.get("name") for e in root.iter() if e.get("name")}
    return {
        e.get("name", ""): (
            e.tag,
            {t for t in (e.get("toName") or "").split(",") if t in names},
            {c.get("alias") or c.get("value", "") for c in e if c.tag in ("Label", "Choice")},
        )
        for e in root.iter()
        if e.get("name") and e.get("toName")
    }


@dataclass
class _Project:
    id: int
    label_config: str
    settings: dict[str, Any]
    model_version: str = ""
    inner_ids: itertools.count = field(default_factory=lambda: itertools.count(1))


@dataclass
class _InFlight:
    project_id: int
    tasks: list[dict[str, Any]]
    hidden_listings: int


class FakeLabelStudio:
    """In-memory Label Studio 1.23.2 behind the methods of annotate.labelstudio.api.client.Client."""

    def __init__(self, url: str = "http://127.0.0.1:8999", *, admin: str = "admin@annotate.local") -> None:
        self.url = url
        self.projects: dict[int, _Project] = {}
        self.stored: dict[int, dict[str, Any]] = {}  # task id -> export record (without "annotations" order changes)
        self.people: list[dict[str, Any]] = [
            {"id": 1, "email": admin, "first_name": "", "last_name": "", "last_activity": None}
        ]
        self.passwords: dict[str, str] = {}  # never filled: the real user API ignores passwords
        self._project_ids, self._task_ids = itertools.count(1), itertools.count(1)
        self._annotation_ids, self._prediction_ids = itertools.count(1), itertools.count(1)
        self._user_ids = itertools.count(2)
        self._in_flight: list[_InFlight] = []
        self._kill_next_import: int | None = None
        self._cut_export_after: int | None = None
        self.calls: Counter[str] = Counter()  # method name -> how often it was called

    # Errors go through the real client's translation, so messages and classes are the client's.
    def _fail(self, what: str, status: int, body: Any) -> None:
        with translating(self.url, what):
            raise StatusError(status, body)

    def _project(self, project_id: int, what: str) -> _Project:
        if project_id not in self.projects:
            self._fail(what, 404, {"detail": "Not found."})
        return self.projects[project_id]

    # Test controls ---------------------------------------------------------------------------
    def kill_client_during_next_import(self, *, lands_after_listings: int = 1) -> None:
        """The next import_tasks raises ClientKilled once the request is on the server; the server
        goes on and the batch appears after `lands_after_listings` more task listings."""
        self._kill_next_import = lands_after_listings

    def land_in_flight(self) -> None:
        """The server finishes every import still in flight now."""
        for batch in self._in_flight:
            batch.hidden_listings = 0
        self._settle()

    def cut_export_after(self, n_bytes: int) -> None:
        """The next export's download breaks off after n_bytes (the server went away)."""
        self._cut_export_after = n_bytes

    def annotate(self, task_id: int, result: list[dict[str, Any]], *, user_id: int = 1) -> int:
        """An annotation by any user (completed_by can be set to anyone: note §6)."""
        return self._store_annotation(task_id, result, lead_time=None, user_id=user_id)

    def _settle(self) -> None:
        still = []
        for batch in self._in_flight:
            if batch.hidden_listings > 0:
                batch.hidden_listings -= 1
                still.append(batch)
            else:
                for record in batch.tasks:
                    self.stored[record["id"]] = record
        self._in_flight = still

    # Identity --------------------------------------------------------------------------------
    def whoami(self) -> str:
        return self.people[0]["email"]

    def server_time(self) -> str:
        """The real server's HTTP Date header, to the second (Client.server_time)."""
        return datetime.now(UTC).isoformat(timespec="seconds")

    # Projects --------------------------------------------------------------------------------
    def get_project(self, project_id: int) -> ProjectInfo | None:
        self.calls["get_project"] += 1
        project = self.projects.get(project_id)
        if project is None:
            return None  # the client turns the 404 into None
        tasks = [t for t in self.stored.values() if t["project"] == project_id]
        return ProjectInfo(
            id=project_id,
            title=project.settings["title"],
            task_number=len(tasks),
            label_config=project.label_config,
            settings={f: project.settings.get(f) for f in PROJECT_FIELDS},
            tasks_with_annotations=sum(1 for t in tasks if t["total_annotations"]),
        )

    def list_projects(self, title: str) -> list[ProjectInfo]:
        """GET /api/projects?title=...: a case-insensitive substring match (icontains), newest first."""
        return [
            info
            for pid, p in sorted(self.projects.items(), reverse=True)
            if title.lower() in p.settings["title"].lower() and (info := self.get_project(pid))
        ]

    def projects_with_title(self, title: str) -> list[ProjectInfo]:
        self.calls["projects_with_title"] += 1
        return [p for p in self.list_projects(title) if p.title == title]  # as Client does

    def create_project(self, *, label_config: str, settings: dict[str, Any]) -> int:
        self.calls["create_project"] += 1
        project_id = next(self._project_ids)
        self.projects[project_id] = _Project(project_id, label_config, _PROJECT_DEFAULTS | settings)
        return project_id

    def delete_project(self, project_id: int) -> None:
        self._project(project_id, f"delete project {project_id}")
        del self.projects[project_id]
        self.stored = {i: t for i, t in self.stored.items() if t["project"] != project_id}

    def _incompatible(self, project_id: int, label_config: str) -> str | None:
        """The check both update and validate make: results whose control, target or type is gone."""
        controls = _controls(label_config)
        types = {tag.lower() for tag, _, _ in controls.values()}
        found: Counter[str] = Counter()
        for result in self._results(project_id):
            if "from_name" not in result or result.get("type") == "textarea":
                continue  # relations are not tracked; text areas are skipped (DEV-1598)
            control = controls.get(result["from_name"])
            if control is None or result.get("to_name") not in control[1] or result.get("type") not in types:
                to_name, kind = result.get("to_name"), result.get("type")
                found[f"with from_name={result['from_name']}, to_name={to_name}, type={kind}"] += 1
        if not found:
            return None
        return "Created annotations are incompatible with provided labeling schema, we found:\n" + "\n".join(
            f"{n} {key}" for key, n in found.items()
        )

    def _labels_in_use_missing(self, project_id: int, label_config: str) -> str | None:
        """The strict check of the validate endpoint: labels and choices in use that the config lacks."""
        controls = _controls(label_config)
        used: dict[str, Counter[str]] = {}
        for result in self._results(project_id):
            kind = result.get("type")
            values = (result.get("value") or {}).get(kind)
            if "from_name" in result and kind in ("labels", "choices") and isinstance(values, list):
                used.setdefault(result["from_name"], Counter()).update(values)
        for name, counts in used.items():
            missing = [v for v in counts if v not in controls.get(name, ("", set(), set()))[2]]
            if missing:
                lines = "".join(f"{v} ({counts[v]} annotation{'s' if counts[v] > 1 else ''})\n" for v in missing)
                return (
                    f"These labels still exist in annotations or drafts:\n{lines}"
                    f'Please add labels to tag with name="{name}".'
                )
        return None

    def _results(self, project_id: int) -> list[dict[str, Any]]:
        return [
            r for t in self.stored.values() if t["project"] == project_id for a in t["annotations"] for r in a["result"]
        ]

    def validate_config(self, project_id: int, label_config: str) -> str | None:
        self._project(project_id, f"validate the label config of project {project_id}")
        return self._incompatible(project_id, label_config) or self._labels_in_use_missing(project_id, label_config)

    def update_project(self, project_id: int, *, label_config: str, settings: dict[str, Any]) -> None:
        self.calls["update_project"] += 1
        project = self._project(project_id, f"update project {project_id}")
        problem = self._incompatible(project_id, label_config)
        if problem:
            self._fail(f"update project {project_id}", 400, {"validation_errors": {"label_config": [problem]}})
        project.label_config = label_config  # labels in use may go: only logged by the server
        project.settings |= settings

    def set_model_version(self, project_id: int, model_version: str, *, uncertainty_sampling: bool = False) -> None:
        project = self._project(project_id, f"set the model version of project {project_id}")
        project.model_version = model_version
        if uncertainty_sampling:
            project.settings["sampling"] = "Uncertainty sampling"

    # Users -----------------------------------------------------------------------------------
    def users(self) -> list[dict[str, Any]]:
        return [dict(u) for u in self.people]

    def create_user(self, email: str) -> int:
        user_id = next(self._user_ids)
        self.people.append({"id": user_id, "email": email, "first_name": "", "last_name": "", "last_activity": None})
        return user_id

    def invite_url(self) -> str:
        return f"{self.url}/user/signup/?token=fake-invite-token"

    # Tasks -----------------------------------------------------------------------------------
    def tasks(self, project_id: int) -> list[TaskRef]:
        self.calls["tasks"] += 1
        self._project(project_id, f"list the tasks of project {project_id}")
        self._settle()
        return [
            TaskRef(t["id"], copy.deepcopy(t["data"]), t["total_annotations"])
            for t in sorted(self.stored.values(), key=lambda t: t["id"])
            if t["project"] == project_id
        ]

    def delete_task(self, task_id: int) -> None:
        self.calls["delete_task"] += 1
        if task_id not in self.stored:
            self._fail(f"delete task {task_id}", 404, {"detail": "No Task matches the given query."})
        del self.stored[task_id]

    def update_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        """PATCH /api/tasks/{id}/ with {"data": ...}: the data is replaced, annotations stay
        (tests/test_loop_server.py checks this against the real server)."""
        self.calls["update_task_data"] += 1
        if task_id not in self.stored:
            self._fail(f"update the data of task {task_id}", 404, {"detail": "No Task matches the given query."})
        self.stored[task_id]["data"] = copy.deepcopy(data)
        self.stored[task_id]["updated_at"] = _now()

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        self.calls["import_tasks"] += 1
        what = f"import {len(tasks)} tasks into project {project_id}"
        project = self._project(project_id, what)
        if not tasks:
            self._fail(what, 400, {"detail": "load_tasks: No tasks added"})
        required = _object_fields(project.label_config)
        for i, item in enumerate(tasks):  # all or nothing: check every item before storing any
            wrapped = "data" in item
            data = item["data"] if wrapped else item
            missing = next((f for f in required if f not in data), None)
            if missing:
                assume = 'item["data"] = task root with values]' if wrapped else "item as is = task root with values] "
                message = f'Error at item {i}: "{missing}" key is expected in task data [assume: {assume} :: {item!r}'
                # The client reads this body as "{}; Error at item 1: ..." (measured for item 1).
                self._fail(what, 400, {"validation_errors": {"data": [{}] * i + [message]}})
        records = []
        for item in tasks:
            data = item.get("data", item)
            record = self._task_record(project, copy.deepcopy(data))  # an "id" in the item is ignored
            for prediction in item.get("predictions") or []:
                record["predictions"].append(self._prediction_record(record, prediction))
            record["total_predictions"] = len(record["predictions"])
            records.append(record)
        if self._kill_next_import is not None:
            self._in_flight.append(_InFlight(project_id, records, self._kill_next_import))
            self._kill_next_import = None
            raise ClientKilled(what)
        for record in records:
            self.stored[record["id"]] = record
        return [r["id"] for r in records]

    def _task_record(self, project: _Project, data: dict[str, Any]) -> dict[str, Any]:
        record = copy.deepcopy(_TEMPLATE)
        now = _now()
        record.update(
            id=next(self._task_ids), annotations=[], drafts=[], predictions=[], data=data, meta={},
            created_at=now, updated_at=now, inner_id=next(project.inner_ids), total_annotations=0,
            cancelled_annotations=0, total_predictions=0, comment_count=0, unresolved_comment_count=0,
            last_comment_updated_at=None, project=project.id, updated_by=None, comment_authors=[],
        )  # fmt: skip
        return record

    def _prediction_record(self, task: dict[str, Any], prediction: dict[str, Any]) -> dict[str, Any]:
        record = copy.deepcopy(_PREDICTION_TEMPLATE)
        now = _now()
        record.update(
            id=next(self._prediction_ids), result=copy.deepcopy(prediction.get("result", [])),
            model_version=prediction.get("model_version", ""), created_ago="0\u00a0minutes",
            score=prediction.get("score"), cluster=None, neighbors=None, mislabeling=0.0, created_at=now,
            updated_at=now, model=None, model_run=None, task=task["id"], project=task["project"],
        )  # fmt: skip
        return record

    def prediction_task_ids(self, project_id: int, model_version: str) -> set[int]:
        self._project(project_id, f"list the predictions of project {project_id}")
        return {
            t["id"]
            for t in self.stored.values()
            if t["project"] == project_id and any(p["model_version"] == model_version for p in t["predictions"])
        }

    def set_sampling(self, project_id: int, sampling: str) -> None:
        self._project(project_id, f"set the sampling of project {project_id}").settings["sampling"] = sampling

    def set_prediction_clusters(self, project_id: int, model_version: str, clusters: dict[int, int]) -> int:
        self._project(project_id, f"list the predictions of project {project_id}")
        patched = 0
        for task in self.stored.values():
            for found in task["predictions"]:
                wanted = clusters.get(task["id"])
                if (task["project"] == project_id and found["model_version"] == model_version and wanted is not None
                        and found["cluster"] != wanted):  # fmt: skip
                    found["cluster"] = wanted
                    patched += 1
        return patched

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        self.calls["import_predictions"] += 1
        if not predictions:
            return 0
        self._project(project_id, f"import {len(predictions)} predictions into project {project_id}")
        for prediction in predictions:
            task = self.stored[prediction["task"]]
            task["predictions"].append(self._prediction_record(task, prediction))
            task["total_predictions"] = len(task["predictions"])
        return len(predictions)

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, lead_time: float | None = None) -> int:
        return self._store_annotation(task_id, result, lead_time=lead_time, user_id=1)

    def _store_annotation(
        self, task_id: int, result: list[dict[str, Any]], *, lead_time: float | None, user_id: int
    ) -> int:
        if task_id not in self.stored:
            self._fail(f"annotate task {task_id}", 404, {"detail": "Not found."})
        task = self.stored[task_id]
        user = next(u for u in self.people if u["id"] == user_id)
        record = copy.deepcopy(_ANNOTATION_TEMPLATE)
        now = _now()
        record.update(
            id=next(self._annotation_ids),
            completed_by={k: user[k] for k in ("id", "email", "first_name", "last_name")},
            result=copy.deepcopy(result), was_cancelled=False, ground_truth=False, created_at=now, updated_at=now,
            draft_created_at=None, lead_time=lead_time, prediction={},
            result_count=len({r.get("id") for r in result}), unique_id=str(uuid.uuid4()), import_id=None,
            last_action=None, bulk_created=False, task=task_id, project=task["project"], updated_by=user_id,
            parent_prediction=None, parent_annotation=None, last_created_by=None,
        )  # fmt: skip
        task["annotations"].append(record)
        task["total_annotations"] = len(task["annotations"])
        task["updated_at"], task["updated_by"] = now, user_id
        return record["id"]

    # Export ----------------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int:
        self.calls["export_snapshot"] += 1
        what = f"export project {project_id}"
        self._project(project_id, what)
        records = [
            {k: t[k] for k in _TASK_KEYS}
            for t in sorted(self.stored.values(), key=lambda t: t["id"])
            if t["project"] == project_id
        ]
        body = json.dumps(records, ensure_ascii=False).encode("utf-8")  # data_export/models.py: json.dumps
        cut, self._cut_export_after = self._cut_export_after, None
        if cut is not None:
            out.write(body[:cut])
            with translating(self.url, what):
                raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        out.write(body)
        return len(body)
