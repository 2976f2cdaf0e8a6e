"""Write a project's full JSON export to exports/<project>/<UTC timestamp>.json, atomically, with a
manifest beside it (<timestamp>.manifest.json) that says what the file holds and where it came from.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import IO, Any, Protocol

from annotate import __version__
from annotate.errors import InputError
from annotate.labelstudio.api.projects import config_sha256
from annotate.labelstudio.exported.jsonstream import iter_items
from annotate.outputs import write_atomic

MANIFEST_SUFFIX = ".manifest.json"


class _ExportServer(Protocol):
    url: str

    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int: ...
    def get_project(self, project_id: int) -> Any: ...


class _Tee:
    """Passes bytes to a file, hashes them, and hands them to a thread that counts the tasks in them
    (count_tasks) while the download goes on: the manifest's counts cost no second pass over the file.

    The chunks wait in a short queue, so memory stays bounded by a few chunks whatever the export's size.
    """

    def __init__(self, out: IO[bytes], name: str) -> None:
        self.out, self.sha256, self.size = out, hashlib.sha256(), 0
        self._chunks: queue.Queue[bytes] = queue.Queue(maxsize=8)
        self._counts: dict[str, int] | None = None
        self._error: BaseException | None = None
        self._closed = self._ended = False
        self._thread = threading.Thread(target=self._count, args=(name,), name="export-count", daemon=True)
        self._thread.start()

    def read(self, _size: int) -> bytes:  # the counting thread's side: the next chunk, b"" at the end
        chunk = b"" if self._ended else self._chunks.get()
        self._ended = not chunk
        return chunk

    def _count(self, name: str) -> None:
        try:
            self._counts = count_tasks(iter_items(self, name))
        except BaseException as exc:  # reported by counts(); the download goes on regardless
            self._error = exc
        finally:
            while self.read(0):  # drain, so the writer is never blocked on a full queue
                pass

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        if data:
            self._chunks.put(bytes(data))
        return self.out.write(data)

    def close(self) -> None:
        """No more bytes (also when the download failed): the counting thread finishes what it has
        (at most the few chunks in the queue) and ends."""
        if not self._closed:
            self._closed = True
            self._chunks.put(b"")
        self._thread.join()

    def counts(self) -> dict[str, int]:
        """The counts of everything written; raises what reading it as an export raised."""
        self.close()
        if self._error is not None:
            raise self._error
        assert self._counts is not None
        return self._counts


def export_path(out_dir: Path, project: str, *, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
    return out_dir / project / f"{stamp}.json"


def manifest_path(export: Path) -> Path:
    return export.with_name(export.name.removesuffix(".json") + MANIFEST_SUFFIX)


def is_manifest(path: Path) -> bool:
    return path.name.endswith(MANIFEST_SUFFIX)


def read_manifest(export: Path) -> dict[str, Any]:
    """The manifest written beside an export, or {} when there is none (a download from the web UI)
    or it cannot be read."""
    try:
        manifest = json.loads(manifest_path(export).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def count_tasks(tasks: Iterable[Any]) -> dict[str, int]:
    """Tasks, annotations, cancelled annotations and predictions of an export's tasks."""
    counts = {"tasks": 0, "annotations": 0, "cancelled_annotations": 0, "predictions": 0}
    for task in tasks:
        counts["tasks"] += 1
        if not isinstance(task, dict):
            continue
        annotations = task.get("annotations") or []
        counts["annotations"] += len(annotations)
        counts["cancelled_annotations"] += sum(1 for a in annotations if isinstance(a, dict) and a.get("was_cancelled"))
        counts["predictions"] += len(task.get("predictions") or [])
    return counts


def _version(dist: str) -> str | None:
    try:
        return dist_version(dist)
    except PackageNotFoundError:
        return None


def export_project(
    client: _ExportServer, project_id: int, *, project: str, out_dir: Path, server_version: str | None = None,
    info: Any = None,
) -> Path:  # fmt: skip
    """Download the export into a temporary file beside its final name, then link it into place.

    An interrupted export leaves no file under a final name and the previous exports untouched; an
    existing export is never overwritten.
    """
    final = export_path(out_dir, project)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder {final.parent}: {exc.strerror}") from None
    if final.exists():
        raise InputError(f"{final} already exists; not overwriting it")
    tmp = final.with_name(f".{final.name}.partial")
    info = info or client.get_project(project_id)  # for the manifest: title and label config
    try:
        with open(tmp, "wb") as out:
            writer = _Tee(out, f"the export of project {project_id} from {client.url}")
            try:
                client.export_snapshot(project_id, writer)  # type: ignore[arg-type]
            finally:
                writer.close()
            out.flush()
            os.fsync(out.fileno())  # complete on disk before it gets its final name
        manifest = {
            "file": final.name,
            "sha256": writer.sha256.hexdigest(),
            "bytes": writer.size,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "project": project,
            "project_id": project_id,
            "project_title": info.title if info else None,
            "label_config_sha256": config_sha256(info.label_config) if info else None,
            "server": client.url,
            "label_studio_version": server_version,
            "httpx_version": _version("httpx"),  # the HTTP client that fetched it
            "annotate_version": __version__,
            "counts": writer.counts(),
        }
        os.link(tmp, final)  # fails rather than overwrite if the name appeared meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    write_atomic(manifest_path(final), (json.dumps(manifest, indent=2) + "\n").encode())
    return final


def export_named_project(
    client: Any, spec: Any, *, out_dir: Path, config_dir: Path, log: Callable[[str], None] = lambda _m: None
) -> Path:
    """`annotate export`: the export of the server project of a project folder (see export_project)."""
    from annotate.labelstudio.api.projects import require_project_info
    from annotate.labelstudio.service.server import server_version

    info = require_project_info(client, spec, config_dir=config_dir)  # one read of the project, not two
    log(f"Exporting project {spec.name!r} (id {info.id}) from {client.url} ...")
    return export_project(client, info.id, project=spec.name, out_dir=out_dir,
                          server_version=server_version(client.url), info=info)  # fmt: skip
