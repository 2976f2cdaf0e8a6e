"""Files the package ships beside its code: JSON Schemas and project folders.

In a checkout (or an editable install) they are the top-level schemas/ and projects/ folders; a
wheel carries copies inside the package (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(folder: str) -> Path:
    inside = _PACKAGE / "_data" / folder
    return inside if inside.is_dir() else _PACKAGE.parent / folder


def schema_path(name: str) -> Path:
    return _shipped("schemas") / name


def shipped_projects_dir() -> Path:
    return _shipped("projects")
