"""The one module that imports label_studio_sdk (2.x). Everything else talks to this adapter.

Every SDK or HTTP failure leaves this module as an AnnotateError with a message a user can act
on; the API key never appears in one.

The SDK is imported on first use: it imports pandas and opencv (1.3-3.7 s). The calls whose cost
grows with a project (task listing and counting, imports, exports, reading one project) go to the
REST API over plain httpx, so `annotate load` and `annotate export` never import it.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING, Any

import httpx

from annotate.errors import AuthError, ConfigError, LabelStudioAPIError, ServerUnreachable
from annotate.labelstudio.service.settings import Connection, display_url, is_personal_access_token

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

# Exports of large projects take minutes on the Django dev server (10k tasks: ~30 s).
DEFAULT_TIMEOUT = 600.0

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


def _project_info(p: Any) -> ProjectInfo:
    return ProjectInfo(
        id=int(p.id),
        title=p.title or "",
        task_number=p.task_number,
        label_config=getattr(p, "label_config", None) or "",
        settings={f: getattr(p, f, None) for f in PROJECT_FIELDS},
        tasks_with_annotations=getattr(p, "num_tasks_with_annotations", None),
    )


def _detail(exc: Any) -> str:
    body = exc.body
    if not isinstance(body, dict):
        return str(body)[:500]
    errors = body.get("validation_errors")
    if isinstance(errors, dict) and errors:
        # {"label_config": ["..."], "non_field_errors": ["..."]}: the messages are what users need.
        return "; ".join(
            str(m) for messages in errors.values() for m in (messages if isinstance(messages, list) else [messages])
        )
    return str(body.get("detail") or json.dumps(body))


class _HTTPError(Exception):
    """A REST call answered with an error status (as the SDK's ApiError: status_code, body)."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(status_code)
        self.status_code, self.body = status_code, body


def _api_error(exc: BaseException) -> _HTTPError | None:
    """exc as (status, body) if it is an HTTP error answer, from our REST calls or from the SDK
    (whose ApiError is checked for only once the SDK has been imported)."""
    if isinstance(exc, _HTTPError):
        return exc
    sdk = sys.modules.get("label_studio_sdk.core.api_error")
    if sdk is not None and isinstance(exc, sdk.ApiError):
        return _HTTPError(exc.status_code or 0, exc.body)
    return None


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


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


class Client:
    def __init__(self, connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = connection.url
        self._key, self._timeout = connection.api_key, timeout
        self._sdk: LabelStudio | None = None
        self._http: httpx.Client | None = None

    @property
    def _ls(self) -> LabelStudio:
        if self._sdk is None:
            from label_studio_sdk import LabelStudio

            self._sdk = LabelStudio(base_url=self.url, api_key=self._key, timeout=self._timeout)
        return self._sdk

    # Plain REST -------------------------------------------------------------------------------
    def _auth(self) -> str:
        # A personal access token is a JWT to exchange for a 5-minute access token (as the SDK
        # does); anything else is a legacy token.
        if not is_personal_access_token(self._key):
            return f"Token {self._key}"
        response = httpx.post(f"{self.url}/api/token/refresh/", json={"refresh": self._key}, timeout=30)
        if response.status_code != 200:
            raise _HTTPError(401, "the personal access token was refused")
        return f"Bearer {response.json()['access']}"

    def _rest(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.url,
                timeout=self._timeout,
                headers={"Authorization": self._auth()},
                verify=self.url.startswith("https:"),
            )  # no CA bundle to load for http
        return self._http

    @contextlib.contextmanager
    def _stream(self, method: str, path: str, **kw: Any) -> Iterator[httpx.Response]:
        """A REST call; an error status raises _HTTPError. An expired access token is renewed once."""
        for attempt in (1, 2):
            with self._rest().stream(method, path, **kw) as response:
                if response.status_code == 401 and attempt == 1 and is_personal_access_token(self._key):
                    self._rest().headers["Authorization"] = self._auth()
                    continue
                if response.status_code >= 400:
                    response.read()
                    try:
                        body: Any = response.json()
                    except ValueError:
                        body = response.text[:500]
                    raise _HTTPError(response.status_code, body)
                yield response
                return

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        with self._stream(method, path, **kw) as response:
            return json.loads(response.read())

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except (httpx.InvalidURL, UnicodeError) as exc:  # a host name IDNA refuses raises a UnicodeError
            raise ConfigError(f"{display_url(self.url)} is not a valid Label Studio URL ({exc})",
                              hint="give a URL such as http://127.0.0.1:8080") from None  # fmt: skip
        except httpx.TimeoutException:
            shown = display_url(self.url)
            raise ServerUnreachable(f"Label Studio at {shown} timed out while trying to {what}") from None
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach Label Studio at {display_url(self.url)} ({type(exc).__name__})",
                hint="is it running? start it with `annotate server start`",
            ) from None
        except Exception as raised:
            exc = _api_error(raised)
            if exc is None:
                raise
            if exc.status_code == 401:
                raise AuthError(
                    f"Label Studio at {display_url(self.url)} refused the API key while trying to {what}",
                    hint="check LABEL_STUDIO_API_KEY or the settings file written by `annotate server start`",
                ) from None
            detail = _detail(exc)
            if len(detail) > 600:  # a rejected import lists every item
                detail = detail[:600] + f"... ({len(detail) - 600} more characters)"
            raise LabelStudioAPIError(
                f"Label Studio at {display_url(self.url)} could not {what}: HTTP {exc.status_code}: {detail}",
                status=exc.status_code,
                detail=detail,
            ) from None

    def whoami(self) -> str:
        with self._call("identify the user"):
            return self._ls.users.whoami().email or ""

    def server_time(self) -> str:
        """The server's clock (its HTTP Date header, to the second), as ISO 8601 UTC: times
        annotate writes into task data are compared with the annotations' times, which the server
        stamps, so they come from the same clock. The local clock if the server sends no Date."""
        with self._call("read the server's clock"), self._stream("GET", "/api/version") as response:
            stamp = response.headers.get("date")
        try:
            moment = email.utils.parsedate_to_datetime(stamp) if stamp else None
        except (TypeError, ValueError):
            moment = None
        return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")

    # Projects ------------------------------------------------------------------------------
    def get_project(self, project_id: int) -> ProjectInfo | None:
        try:
            with self._call(f"read project {project_id}"):
                p = self._json("GET", f"/api/projects/{project_id}/")  # REST: no SDK import for load/export
        except LabelStudioAPIError as exc:
            if exc.status == 404:
                return None
            raise
        return _project_info(SimpleNamespace(**p))

    def projects_with_title(self, title: str) -> list[ProjectInfo]:
        with self._call("list projects"):
            found = [_project_info(p) for p in self._ls.projects.list(title=title, page_size=100)]
        # The title filter is a substring match on the server: keep exact matches only.
        return [p for p in found if p.title == title]

    def create_project(self, *, label_config: str, settings: dict[str, Any]) -> int:
        with self._call(f"create project {settings.get('title')!r}"):
            project = self._ls.projects.create(label_config=label_config, **settings)
        return int(project.id)

    def delete_project(self, project_id: int) -> None:
        with self._call(f"delete project {project_id}"):
            self._ls.projects.delete(project_id)

    def validate_config(self, project_id: int, label_config: str) -> str | None:
        """The server's strict check of a config against the project's annotations: None if it passes,
        else the server's message (e.g. labels still used by annotations)."""
        try:
            with self._call(f"validate the label config of project {project_id}"):
                self._ls.projects.validate_label_config(project_id, label_config=label_config)
        except LabelStudioAPIError as exc:
            if exc.status == 400:
                return exc.detail
            raise
        return None

    def update_project(self, project_id: int, *, label_config: str, settings: dict[str, Any]) -> None:
        with self._call(f"update project {project_id}"):
            self._ls.projects.update(project_id, label_config=label_config, **settings)

    def set_model_version(self, project_id: int, model_version: str, *, uncertainty_sampling: bool = False) -> None:
        """Make model_version the project's active predictions: the label stream pre-fills tasks with
        them, and with uncertainty sampling serves the lowest-scored task first (Label Studio 1.23,
        projects/functions/next_task.py). An empty version pre-fills nothing."""
        fields: dict[str, Any] = {"model_version": model_version}
        if uncertainty_sampling:
            fields["sampling"] = "Uncertainty sampling"
        with self._call(f"set the model version of project {project_id}"):
            self._ls.projects.update(project_id, **fields)

    def set_sampling(self, project_id: int, sampling: str) -> None:
        """The order "Label All Tasks" serves tasks in, as Label Studio names it ("Sequential sampling")."""
        with self._call(f"set the sampling of project {project_id}"):
            self._ls.projects.update(project_id, sampling=sampling)

    def set_prediction_clusters(self, project_id: int, model_version: str, clusters: dict[int, int]) -> int:
        """Give the predictions of model_version their task's cluster (task id -> cluster): uncertainty
        sampling serves an annotator from the clusters they have solved least. Label Studio 1.23's
        bulk prediction import drops `cluster` (data_import/api.py), so each prediction whose cluster
        differs is patched. Returns how many were."""
        listed = self._request("GET", "api/predictions/", f"list the predictions of project {project_id}",
                               params={"project": project_id})  # fmt: skip
        patched = 0
        for found in listed or []:
            wanted = clusters.get(found.get("task"))
            if found.get("model_version") == model_version and wanted is not None and found.get("cluster") != wanted:
                what = f"set the cluster of prediction {found['id']}"
                self._request("PATCH", f"api/predictions/{found['id']}/", what, json={"cluster": wanted})
                patched += 1
        return patched

    # Users ---------------------------------------------------------------------------------
    def users(self) -> list[dict[str, Any]]:
        with self._call("list users"):
            return [
                {"id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
                 "last_activity": str(u.last_activity) if getattr(u, "last_activity", None) else None}
                for u in self._ls.users.list()
            ]  # fmt: skip

    def create_user(self, email: str) -> int:
        with self._call(f"create user {email}"):
            return int(self._ls.users.create(email=email, username=email).id)

    def _request(self, method: str, path: str, what: str, **kw: Any) -> Any:
        """A request the SDK has no method for, through its authenticated HTTP client."""
        with self._call(what):
            response = self._ls._client_wrapper.httpx_client.request(path, method=method, **kw)
            if response.status_code >= 400:
                raise _HTTPError(response.status_code, _body(response))
        return _body(response) if response.content else None

    def organization_id(self) -> int:
        with self._call("identify the user"):
            return int(self._ls.users.whoami().active_organization)

    def membership(self, user_id: int) -> dict[str, Any]:
        """The user's membership of our organisation, with `annotations_count` (counted by the server)."""
        org = self.organization_id()
        return self._request("GET", f"api/organizations/{org}/memberships/{user_id}/", f"read user {user_id}")

    def invite_url(self) -> str:
        with self._call("get the organisation's invite link"):
            invite = self._ls.organizations.invites.get_invite_link()
        path = invite.invite_url or f"/user/signup/?token={invite.token}"
        return path if path.startswith("http") else f"{self.url}{path}"

    # Tasks ---------------------------------------------------------------------------------
    # Listing costs the server about 1 ms a task whatever is asked for (10,000: 9-11 s, with
    # `include=id` alone too); counting is one query (0.15 s). Label Studio 1.23's /api/tasks
    # (data_manager/api.py TaskListAPI) takes `include=` (drf-flex-fields' sparse fields, renamed
    # in core/settings/base.py REST_FLEX_FIELDS), `page_size` without a maximum
    # (TASK_API_PAGE_SIZE_MAX unset) and a Data Manager `query` with filters on the task id.
    LIST_PAGE = 5000

    def _task_page(self, project_id: int, page: int, page_size: int, query: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"project": project_id, "page": page, "page_size": page_size,
                                  "include": "id,data,total_annotations"}  # fmt: skip
        if query:
            params["query"] = query
        return self._json("GET", "/api/tasks/", params=params)

    def tasks(self, project_id: int, *, outside: Sequence[tuple[int, int]] | None = None) -> list[TaskRef]:
        """Every task of the project (id, data, how many annotations), or with `outside` only those
        whose id is in none of those (first, last) ranges."""
        query = id_filter(outside, outside=True) if outside else json.dumps({"ordering": ["tasks:id"]})
        found: list[TaskRef] = []
        with self._call(f"list the tasks of project {project_id}"):
            page = 1
            while True:
                body = self._task_page(project_id, page, self.LIST_PAGE, query)
                found += task_refs(body)
                if len(found) >= int(body.get("total", 0)) or not body.get("tasks"):
                    return found
                page += 1

    def project_created_at(self, project_id: int) -> str | None:
        """When the project was created (None if there is no such project): tells it from a later
        project that got the same id, on a server whose database was reset. One light request
        (`include=`: 0.1 s where the full project takes 0.3 s at 10,000 tasks)."""
        try:
            with self._call(f"read project {project_id}"):
                return str(self._json("GET", f"/api/projects/{project_id}/", params={"include": "id,created_at"})
                           ["created_at"])  # fmt: skip
        except LabelStudioAPIError as exc:
            if exc.status == 404:
                return None
            raise

    def task_count(self, project_id: int, *, within: Sequence[tuple[int, int]] | None = None) -> int:
        """How many tasks the project has, or with `within` how many of them have an id in one of
        those (first, last) ranges. One counting query on the server."""
        with self._call(f"count the tasks of project {project_id}"):
            body = self._task_page(project_id, 1, 1, id_filter(within) if within else None)
        return int(body["total"])

    def delete_task(self, task_id: int) -> None:
        with self._call(f"delete task {task_id}"):
            self._ls.tasks.delete(str(task_id))

    def update_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        """Replace a task's data (PATCH /api/tasks/{id}/); its annotations and predictions stay."""
        body = json.dumps({"data": data}, ensure_ascii=False).encode()
        with self._call(f"update the data of task {task_id}"):
            self._json("PATCH", f"/api/tasks/{task_id}/", content=body, headers={"Content-Type": "application/json"})

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        body = json.dumps(tasks, ensure_ascii=False).encode()
        with self._call(f"import {len(tasks)} tasks into project {project_id}"):
            response = self._json("POST", f"/api/projects/{project_id}/import", params={"return_task_ids": "true"},
                                  content=body, headers={"Content-Type": "application/json"})  # fmt: skip
        return [int(i) for i in response.get("task_ids") or []]

    def prediction_task_ids(self, project_id: int, model_version: str) -> set[int]:
        with self._call(f"list the predictions of project {project_id}"):
            return {
                int(p.task) for p in self._ls.predictions.list(project=project_id) if p.model_version == model_version
            }

    def model_versions(self, project_id: int) -> dict[str, int]:
        """The model versions the project has predictions of, with their counts (Label Studio makes
        only these, or a live ML backend's, the active one)."""
        with self._call(f"list the model versions of project {project_id}"):
            response = self._ls._client_wrapper.httpx_client.request(
                f"api/projects/{project_id}/model-versions/", method="GET"
            )
            response.raise_for_status()
        return {str(k): int(v) for k, v in response.json().items()}

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        if not predictions:
            return 0
        with self._call(f"import {len(predictions)} predictions into project {project_id}"):
            response = self._ls.projects.import_predictions(project_id, request=predictions)
        return int(getattr(response, "created", None) or len(predictions))

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, lead_time: float | None = None) -> int:
        with self._call(f"annotate task {task_id}"):
            annotation = self._ls.annotations.create(task_id, result=result, lead_time=lead_time)
        return int(annotation.id)

    # Export --------------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int:
        """Write a full JSON export (all tasks, full predictions, annotator objects) to `out`.

        A snapshot rather than the sync endpoint: it includes unannotated tasks and the options
        above. Returns the number of bytes written.
        """
        with self._call(f"export project {project_id}"):
            request = {"title": "annotate export", "serialization_options": FULL_EXPORT_OPTIONS}
            # Label Studio builds the snapshot inside this one request: 22 minutes for 1,000,000
            # tasks on SQLite here. No read timeout: it answers, or the connection drops.
            waiting = httpx.Timeout(self._timeout, read=None)
            snapshot = self._json("POST", f"/api/projects/{project_id}/exports/", json=request, timeout=waiting)
            if snapshot.get("status") not in (None, "completed"):
                raise LabelStudioAPIError(
                    f"Label Studio could not make an export of project {project_id} (status {snapshot.get('status')})"
                )
            written = 0
            path = f"/api/projects/{project_id}/exports/{snapshot['id']}/download"
            with self._stream("GET", path, params={"exportType": "JSON"}) as response:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    written += len(chunk)
        return written


def connect(connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> Client:
    return Client(connection, timeout=timeout)
