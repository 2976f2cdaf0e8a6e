"""Write a project's full JSON export to exports/<project>/<UTC timestamp>.json, atomically."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from .errors import InputError


class _ExportServer(Protocol):
    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int: ...


def export_path(out_dir: Path, project: str, *, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
    return out_dir / project / f"{stamp}.json"


def export_project(client: _ExportServer, project_id: int, *, project: str, out_dir: Path) -> Path:
    """Download the export into a temporary file beside its final name, then rename it.

    An interrupted export leaves no file under a final name, and an existing export is never
    overwritten.
    """
    final = export_path(out_dir, project)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder {final.parent}: {exc.strerror}") from None
    if final.exists():
        raise InputError(f"{final} already exists; not overwriting it")
    tmp = final.with_name(f".{final.name}.partial")
    try:
        with open(tmp, "wb") as out:
            client.export_snapshot(project_id, out)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, final)  # fails rather than overwrite if the name appeared meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    return final
