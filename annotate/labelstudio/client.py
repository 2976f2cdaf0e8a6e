"""The one module that imports label_studio_sdk (2.x). Everything else talks to this adapter.

Every SDK or HTTP failure leaves this module as an AnnotateError with a message a user can act
on; the API key never appears in one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from annotate.errors import AuthError, ConfigError, LabelStudioAPIError, ServerUnreachable
from annotate.labelstudio.settings import Connection

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
    "maximum_annotations", "sampling", "enable_empty_annotation", "model_version",
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


def _detail(exc: ApiError) -> str:
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


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


class Client:
    def __init__(self, connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = connection.url
        self._ls = LabelStudio(base_url=connection.url, api_key=connection.api_key, timeout=timeout)

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except ApiError as exc:
            if exc.status_code == 401:
                raise AuthError(
                    f"Label Studio at {self.url} refused the API key while trying to {what}",
                    hint="check LABEL_STUDIO_API_KEY or the settings file written by `annotate server start`",
                ) from None
            detail = _detail(exc)
            if len(detail) > 600:  # a rejected import lists every item
                detail = detail[:600] + f"... ({len(detail) - 600} more characters)"
            raise LabelStudioAPIError(
                f"Label Studio at {self.url} could not {what}: HTTP {exc.status_code}: {detail}"
            ) from None
        except (httpx.InvalidURL, UnicodeError) as exc:  # a host name IDNA refuses raises a UnicodeError
            raise ConfigError(f"{self.url} is not a valid Label Studio URL ({exc})",
                              hint="give a URL such as http://127.0.0.1:8080") from None  # fmt: skip
        except httpx.TimeoutException:
            raise ServerUnreachable(f"Label Studio at {self.url} timed out while trying to {what}") from None
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach Label Studio at {self.url} ({type(exc).__name__})",
                hint="is it running? start it with `annotate server start`",
            ) from None

    def whoami(self) -> str:
        with self._call("identify the user"):
            return self._ls.users.whoami().email or ""

    # Projects ------------------------------------------------------------------------------
    def get_project(self, project_id: int) -> ProjectInfo | None:
        try:
            with self._call(f"read project {project_id}"):
                p = self._ls.projects.get(project_id)
        except LabelStudioAPIError as exc:
            if "HTTP 404" in exc.message:
                return None
            raise
        return _project_info(p)

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
            if "HTTP 400" in exc.message:
                return exc.message.split("HTTP 400: ", 1)[-1]
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
                raise ApiError(status_code=response.status_code, headers=dict(response.headers), body=_body(response))
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
    def tasks(self, project_id: int) -> list[TaskRef]:
        """Every task of the project: id, data and how many annotations it has."""
        with self._call(f"list the tasks of project {project_id}"):
            return [
                TaskRef(int(t.id), dict(t.data or {}), int(getattr(t, "total_annotations", 0) or 0))
                for t in self._ls.tasks.list(project=project_id, fields="task_only", page_size=1000)
            ]

    def delete_task(self, task_id: int) -> None:
        with self._call(f"delete task {task_id}"):
            self._ls.tasks.delete(str(task_id))

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        with self._call(f"import {len(tasks)} tasks into project {project_id}"):
            response = self._ls.projects.import_tasks(project_id, request=tasks, return_task_ids=True)
        return list(response.task_ids or [])

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
            snapshot = self._ls.projects.exports.create(
                project_id, title="annotate export", serialization_options=FULL_EXPORT_OPTIONS
            )
            if snapshot.status not in (None, "completed"):
                raise LabelStudioAPIError(
                    f"Label Studio could not make an export of project {project_id} (status {snapshot.status})"
                )
            written = 0
            for chunk in self._ls.projects.exports.download(project_id, snapshot.id, export_type="JSON"):
                out.write(chunk)
                written += len(chunk)
        return written


def connect(connection: Connection, *, timeout: float = DEFAULT_TIMEOUT) -> Client:
    return Client(connection, timeout=timeout)
