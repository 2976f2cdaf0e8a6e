"""The one module that imports label_studio_sdk (2.x). Everything else talks to this adapter.

Every SDK or HTTP failure leaves this module as an AnnotateError with a message a user can act
on; the API key never appears in one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from .errors import AuthError, LabelStudioAPIError, ServerUnreachable
from .settings import Connection

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


def _detail(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        errors = body.get("validation_errors")
        if errors:
            parts.append(json.dumps(errors, ensure_ascii=False))
        return " ".join(p for p in parts if p) or json.dumps(body)[:500]
    return str(body)[:500]


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
            raise LabelStudioAPIError(
                f"Label Studio at {self.url} could not {what}: HTTP {exc.status_code}: {_detail(exc)}"
            ) from None
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
        return ProjectInfo(p.id, p.title or "", p.task_number)

    def projects_with_title(self, title: str) -> list[ProjectInfo]:
        with self._call("list projects"):
            found = [
                ProjectInfo(p.id, p.title or "", p.task_number)
                for p in self._ls.projects.list(title=title, page_size=100)
            ]
        # The title filter is a substring match on the server: keep exact matches only.
        return [p for p in found if p.title == title]

    def create_project(self, *, title: str, label_config: str, description: str, instructions: str) -> int:
        with self._call(f"create project {title!r}"):
            project = self._ls.projects.create(
                title=title,
                label_config=label_config,
                description=description,
                expert_instruction=instructions,
                show_instruction=bool(instructions),
            )
        return int(project.id)

    # Tasks ---------------------------------------------------------------------------------
    def task_data(self, project_id: int) -> list[tuple[int, dict[str, Any]]]:
        """(task id, data) for every task of the project."""
        with self._call(f"list the tasks of project {project_id}"):
            return [
                (int(task.id), dict(task.data or {}))
                for task in self._ls.tasks.list(project=project_id, fields="task_only", page_size=1000)
            ]

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        with self._call(f"import {len(tasks)} tasks into project {project_id}"):
            response = self._ls.projects.import_tasks(project_id, request=tasks, return_task_ids=True)
        return list(response.task_ids or [])

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
