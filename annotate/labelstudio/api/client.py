"""What annotate asks of Label Studio, as typed calls: projects, users, tasks, predictions,
annotations, exports. Every request goes through the one HTTP connection (`http.Http`), to Label
Studio 1.23's REST API.

label-studio-sdk is not used: it imports pandas and opencv (1.3-3.7 s before the first request),
has no method for four of the endpoints annotate needs (model versions, a prediction's cluster,
memberships, the sparse task listing), and its pager ends on the error of the page after the last.
The REST calls are these few, each with the path Label Studio's own API documents.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import httpx

from annotate.errors import LabelStudioAPIError
from annotate.labelstudio.api.http import DEFAULT_TIMEOUT, Http
from annotate.labelstudio.service.settings import Connection

__all__ = ["DEFAULT_TIMEOUT", "FULL_EXPORT_OPTIONS", "Client", "ProjectInfo", "TaskRef", "connect", "id_filter"]

# Snapshot options that make an export complete: full predictions and who annotated.
FULL_EXPORT_OPTIONS = {
    "predictions": {"only_id": False},
    "annotations__completed_by": {"only_id": False},
}


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    title: str
    task_number: int | None = None
    label_config: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # the fields annotate manages
    tasks_with_annotations: int | None = None


@dataclass(frozen=True)
class TaskRef:
    id: int
    data: dict[str, Any]
    annotations: int


# Project fields annotate manages, as the server names them.
PROJECT_FIELDS = (
    "title", "description", "expert_instruction", "show_instruction", "show_skip_button",
    "maximum_annotations", "sampling", "enable_empty_annotation", "model_version", "skip_queue",
)  # fmt: skip


def _project_info(p: dict[str, Any]) -> ProjectInfo:
    return ProjectInfo(
        id=int(p["id"]),
        title=p.get("title") or "",
        task_number=p.get("task_number"),
        label_config=p.get("label_config") or "",
        settings={f: p.get(f) for f in PROJECT_FIELDS},
        tasks_with_annotations=p.get("num_tasks_with_annotations"),
    )


def _when(stamp: str | None) -> str | None:
    """A server time as `str(datetime)` ("2026-11-30 12:00:00.123456+00:00"), as users list shows it."""
    if not stamp:
        return None
    try:
        return str(datetime.fromisoformat(stamp))
    except ValueError:
        return stamp


def id_filter(ranges: Sequence[tuple[int, int]], *, outside: bool = False) -> str:
    """The Data Manager query (Label Studio 1.23 data_manager/managers.py apply_filters: Number
    `in` / `not_in` take {"min", "max"}, inclusive) for tasks whose id is in one of the ranges,
    or with `outside` in none of them."""
    items = [
        {"filter": "filter:tasks:id", "operator": "not_in" if outside else "in", "type": "Number",
         "value": {"min": first, "max": last}}
        for first, last in ranges
    ]  # fmt: skip
    return json.dumps(
        {"filters": {"conjunction": "and" if outside else "or", "items": items}, "ordering": ["tasks:id"]},
        separators=(",", ":"),
    )


def task_refs(page: dict[str, Any]) -> list[TaskRef]:
    """The tasks of one page of `GET /api/tasks?include=id,data,total_annotations`."""
    return [
        TaskRef(int(t["id"]), dict(t.get("data") or {}), int(t.get("total_annotations") or 0))
        for t in page.get("tasks", [])
    ]


class Client:
    def __init__(self, connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = connection.url
        self._http = Http(connection.url, connection.api_key, timeout=timeout)

    def _call(self, method: str, path: str, what: str, **kw: Any) -> Any:
        return self._http.call(method, path, what=what, **kw)

    def whoami(self) -> str:
        return str(self._call("GET", "/api/current-user/whoami", "identify the user").get("email") or "")

    def server_time(self) -> str:
        """The server's clock (its HTTP Date header, to the second), as ISO 8601 UTC: times
        annotate writes into task data are compared with the annotations' times, which the server
        stamps, so they come from the same clock. The local clock if the server sends no Date."""
        with self._http.stream("GET", "/api/version", what="read the server's clock") as response:
            stamp = response.headers.get("date")
        try:
            moment = email.utils.parsedate_to_datetime(stamp) if stamp else None
        except (TypeError, ValueError):
            moment = None
        return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")

    # Projects ------------------------------------------------------------------------------
    def get_project(self, project_id: int) -> ProjectInfo | None:
        try:
            found = self._call("GET", f"/api/projects/{project_id}/", f"read project {project_id}")
        except LabelStudioAPIError as exc:
            if exc.status == 404:
                return None
            raise
        return _project_info(found)

    def projects_with_title(self, title: str) -> list[ProjectInfo]:
        found, page = [], 1
        while True:
            params = {"title": title, "page": page, "page_size": 100}
            listed = self._call("GET", "/api/projects/", "list projects", params=params)
            found += [_project_info(p) for p in listed.get("results") or []]
            if not listed.get("next"):
                break
            page += 1
        # The title filter is a substring match on the server: keep exact matches only.
        return [p for p in found if p.title == title]

    def create_project(self, *, label_config: str, settings: dict[str, Any]) -> int:
        what = f"create project {settings.get('title')!r}"
        return int(self._call("POST", "/api/projects/", what, json={"label_config": label_config, **settings})["id"])

    def delete_project(self, project_id: int) -> None:
        self._call("DELETE", f"/api/projects/{project_id}/", f"delete project {project_id}")

    def validate_config(self, project_id: int, label_config: str) -> str | None:
        """The server's strict check of a config against the project's annotations: None if it passes,
        else the server's message (e.g. labels still used by annotations)."""
        what = f"validate the label config of project {project_id}"
        try:
            self._call("POST", f"/api/projects/{project_id}/validate/", what, json={"label_config": label_config})
        except LabelStudioAPIError as exc:
            if exc.status == 400:
                return exc.detail
            raise
        return None

    def _patch_project(self, project_id: int, what: str, fields: dict[str, Any]) -> None:
        self._call("PATCH", f"/api/projects/{project_id}/", f"{what} of project {project_id}", json=fields)

    def update_project(self, project_id: int, *, label_config: str, settings: dict[str, Any]) -> None:
        self._call("PATCH", f"/api/projects/{project_id}/", f"update project {project_id}",
                   json={"label_config": label_config, **settings})  # fmt: skip

    def set_model_version(self, project_id: int, model_version: str, *, uncertainty_sampling: bool = False) -> None:
        """Make model_version the project's active predictions: the label stream pre-fills tasks with
        them, and with uncertainty sampling serves the lowest-scored task first (Label Studio 1.23,
        projects/functions/next_task.py). An empty version pre-fills nothing."""
        fields: dict[str, Any] = {"model_version": model_version}
        if uncertainty_sampling:
            fields["sampling"] = "Uncertainty sampling"
        self._patch_project(project_id, "set the model version", fields)

    def set_sampling(self, project_id: int, sampling: str) -> None:
        """The order "Label All Tasks" serves tasks in, as Label Studio names it ("Sequential sampling")."""
        self._patch_project(project_id, "set the sampling", {"sampling": sampling})

    def predictions(self, project_id: int) -> list[dict[str, Any]]:
        """Every prediction of the project, as the server lists them."""
        what = f"list the predictions of project {project_id}"
        return list(self._call("GET", "/api/predictions/", what, params={"project": project_id}) or [])

    def set_prediction_clusters(self, project_id: int, model_version: str, clusters: dict[int, int]) -> int:
        """Give the predictions of model_version their task's cluster (task id -> cluster): uncertainty
        sampling serves an annotator from the clusters they have solved least. Label Studio 1.23's
        bulk prediction import drops `cluster` (data_import/api.py), so each prediction whose cluster
        differs is patched. Returns how many were."""
        patched = 0
        for found in self.predictions(project_id):
            wanted = clusters.get(found.get("task"))
            if found.get("model_version") == model_version and wanted is not None and found.get("cluster") != wanted:
                what = f"set the cluster of prediction {found['id']}"
                self._call("PATCH", f"/api/predictions/{found['id']}/", what, json={"cluster": wanted})
                patched += 1
        return patched

    # Users ---------------------------------------------------------------------------------
    def users(self) -> list[dict[str, Any]]:
        return [
            {"id": u["id"], "email": u.get("email"), "first_name": u.get("first_name"),
             "last_name": u.get("last_name"), "last_activity": _when(u.get("last_activity"))}
            for u in self._call("GET", "/api/users/", "list users") or []
        ]  # fmt: skip

    def create_user(self, email: str) -> int:
        return int(
            self._call("POST", "/api/users/", f"create user {email}", json={"email": email, "username": email})["id"]
        )

    def organization_id(self) -> int:
        return int(self._call("GET", "/api/current-user/whoami", "identify the user")["active_organization"])

    def membership(self, user_id: int) -> dict[str, Any]:
        """The user's membership of our organisation, with `annotations_count` (counted by the server)."""
        org = self.organization_id()
        return self._call("GET", f"/api/organizations/{org}/memberships/{user_id}/", f"read user {user_id}")

    def invite_url(self) -> str:
        invite = self._call("GET", "/api/invite", "get the organisation's invite link")
        path = invite.get("invite_url") or f"/user/signup/?token={invite.get('token')}"
        return path if path.startswith("http") else f"{self.url}{path}"

    # Tasks ---------------------------------------------------------------------------------
    # Listing costs the server about 1 ms a task whatever is asked for (10,000: 9-11 s, with
    # `include=id` alone too); counting is one query (0.15 s). Label Studio 1.23's /api/tasks
    # (data_manager/api.py TaskListAPI) takes `include=` (drf-flex-fields' sparse fields, renamed
    # in core/settings/base.py REST_FLEX_FIELDS), `page_size` without a maximum
    # (TASK_API_PAGE_SIZE_MAX unset) and a Data Manager `query` with filters on the task id.
    LIST_PAGE = 5000

    def _task_page(self, project_id: int, page: int, page_size: int, query: str | None, what: str) -> dict[str, Any]:
        params: dict[str, Any] = {"project": project_id, "page": page, "page_size": page_size,
                                  "include": "id,data,total_annotations"}  # fmt: skip
        if query:
            params["query"] = query
        return self._call("GET", "/api/tasks/", what, params=params)

    def tasks(self, project_id: int, *, outside: Sequence[tuple[int, int]] | None = None) -> list[TaskRef]:
        """Every task of the project (id, data, how many annotations), or with `outside` only those
        whose id is in none of those (first, last) ranges."""
        query = id_filter(outside, outside=True) if outside else json.dumps({"ordering": ["tasks:id"]})
        found: list[TaskRef] = []
        page = 1
        while True:
            body = self._task_page(project_id, page, self.LIST_PAGE, query, f"list the tasks of project {project_id}")
            found += task_refs(body)
            if len(found) >= int(body.get("total", 0)) or not body.get("tasks"):
                return found
            page += 1

    def project_created_at(self, project_id: int) -> str | None:
        """When the project was created (None if there is no such project): tells it from a later
        project that got the same id, on a server whose database was reset. One light request
        (`include=`: 0.1 s where the full project takes 0.3 s at 10,000 tasks)."""
        try:
            found = self._call("GET", f"/api/projects/{project_id}/", f"read project {project_id}",
                               params={"include": "id,created_at"})  # fmt: skip
        except LabelStudioAPIError as exc:
            if exc.status == 404:
                return None
            raise
        return str(found["created_at"])

    def task_count(self, project_id: int, *, within: Sequence[tuple[int, int]] | None = None) -> int:
        """How many tasks the project has, or with `within` how many of them have an id in one of
        those (first, last) ranges. One counting query on the server."""
        what = f"count the tasks of project {project_id}"
        return int(self._task_page(project_id, 1, 1, id_filter(within) if within else None, what)["total"])

    def delete_task(self, task_id: int) -> None:
        self._call("DELETE", f"/api/tasks/{task_id}/", f"delete task {task_id}")

    def update_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        """Replace a task's data (PATCH /api/tasks/{id}/); its annotations and predictions stay."""
        self._call(
            "PATCH", f"/api/tasks/{task_id}/", f"update the data of task {task_id}", **_json_body({"data": data})
        )

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        what = f"import {len(tasks)} tasks into project {project_id}"
        answer = self._call("POST", f"/api/projects/{project_id}/import", what, params={"return_task_ids": "true"},
                            **_json_body(tasks))  # fmt: skip
        return [int(i) for i in answer.get("task_ids") or []]

    def prediction_task_ids(self, project_id: int, model_version: str) -> set[int]:
        return {int(p["task"]) for p in self.predictions(project_id) if p.get("model_version") == model_version}

    def model_versions(self, project_id: int) -> dict[str, int]:
        """The model versions the project has predictions of, with their counts (Label Studio makes
        only these, or a live ML backend's, the active one)."""
        what = f"list the model versions of project {project_id}"
        found = self._call("GET", f"/api/projects/{project_id}/model-versions/", what) or {}
        return {str(k): int(v) for k, v in found.items()}

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        if not predictions:
            return 0
        what = f"import {len(predictions)} predictions into project {project_id}"
        answer = self._call("POST", f"/api/projects/{project_id}/import/predictions", what, **_json_body(predictions))
        return int((answer or {}).get("created") or len(predictions))

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, lead_time: float | None = None) -> int:
        fields: dict[str, Any] = {"result": result}
        if lead_time is not None:
            fields["lead_time"] = lead_time
        return int(
            self._call("POST", f"/api/tasks/{task_id}/annotations/", f"annotate task {task_id}", json=fields)["id"]
        )

    # Export --------------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int:
        """Write a full JSON export (all tasks, full predictions, annotator objects) to `out`.

        A snapshot rather than the sync endpoint: it includes unannotated tasks and the options
        above. Returns the number of bytes written.
        """
        what = f"export project {project_id}"
        request = {"title": "annotate export", "serialization_options": FULL_EXPORT_OPTIONS}
        # Label Studio builds the snapshot inside this one request: 22 minutes for 1,000,000
        # tasks on SQLite here. No read timeout: it answers, or the connection drops.
        waiting = httpx.Timeout(self._http.timeout, read=None)
        snapshot = self._call("POST", f"/api/projects/{project_id}/exports/", what, json=request, timeout=waiting)
        if snapshot.get("status") not in (None, "completed"):
            raise LabelStudioAPIError(
                f"Label Studio could not make an export of project {project_id} (status {snapshot.get('status')})"
            )
        written = 0
        path = f"/api/projects/{project_id}/exports/{snapshot['id']}/download"
        with self._http.stream("GET", path, what=what, params={"exportType": "JSON"}) as response:
            for chunk in response.iter_bytes(1 << 20):
                out.write(chunk)
                written += len(chunk)
        return written


def _json_body(value: Any) -> dict[str, Any]:
    """A request body of JSON as it is, its non-ASCII characters unescaped (smaller for Arabic)."""
    return {"content": json.dumps(value, ensure_ascii=False).encode(), "headers": {"Content-Type": "application/json"}}


def connect(connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> Client:
    return Client(connection, timeout=timeout)
