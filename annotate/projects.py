"""Label Studio projects as files: `projects/NAME/` holds config.xml, project.json and instructions.

A project folder is checked locally before any request reaches the server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from . import settings as st
from .errors import ConfigError, ProjectNotFound
from .resources import shipped_projects_dir

CONFIG_FILE = "config.xml"
SETTINGS_FILE = "project.json"
# Control tags whose children are the values an annotator picks.
_VALUE_TAGS = {"Labels": "Label", "Choices": "Choice"}


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    title: str
    description: str
    instructions: str
    label_config: str
    folder: Path


def default_projects_dir() -> Path:
    """./projects when run from a checkout, else the projects shipped beside the package."""
    here = Path("projects")
    return here if here.is_dir() else shipped_projects_dir()


def check_label_config(xml: str, *, source: str) -> list[str]:
    """Every problem in a label config: parse errors, duplicate names, dangling toName, empty sets."""
    try:
        root = SafeET.fromstring(xml)
    except DefusedXmlException as exc:
        return [f"{source}: forbidden XML construct ({type(exc).__name__})"]
    except SafeET.ParseError as exc:
        line, column = exc.position
        message = re.sub(r": line \d+, column \d+$", "", str(exc))
        return [f"{source}:{line}:{column}: not well-formed XML: {message}"]
    problems = []
    names: dict[str, str] = {}
    for element in root.iter():
        name = element.get("name")
        if name is None:
            continue
        if name in names:
            problems.append(f"{source}: name {name!r} is used by <{names[name]}> and <{element.tag}>")
        names[name] = element.tag
    for element in root.iter():
        for target in filter(None, (element.get("toName") or "").split(",")):
            if target not in names:
                problems.append(
                    f"{source}: <{element.tag} name={element.get('name')!r}> has toName={target!r}, "
                    f"but no tag has that name (names: {', '.join(sorted(names))})"
                )
        child = _VALUE_TAGS.get(element.tag)
        if child and not element.findall(child):
            problems.append(f"{source}: <{element.tag} name={element.get('name')!r}> has no <{child}> values")
    return problems


def load_project(name: str, *, projects_dir: Path) -> ProjectSpec:
    folder = projects_dir / name
    if not folder.is_dir():
        available = sorted(p.name for p in projects_dir.glob("*/") if (p / CONFIG_FILE).exists())
        raise ProjectNotFound(
            f"no project folder {folder}",
            hint=f"available projects: {', '.join(available) or 'none'}",
        )
    try:
        label_config = (folder / CONFIG_FILE).read_text(encoding="utf-8")
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{exc.filename}: missing from the project folder") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{folder / SETTINGS_FILE}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(settings, dict) or not isinstance(settings.get("title"), str) or not settings["title"]:
        raise ConfigError(f'{folder / SETTINGS_FILE}: needs a non-empty "title" string')
    problems = check_label_config(label_config, source=str(folder / CONFIG_FILE))
    if problems:
        raise ConfigError("invalid label config:\n" + "\n".join(problems))
    instructions = ""
    if settings.get("instructions"):
        path = folder / settings["instructions"]
        try:
            instructions = path.read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(f"{folder / SETTINGS_FILE}: instructions file {path} cannot be read") from None
    return ProjectSpec(
        name=name,
        title=settings["title"],
        description=settings.get("description", ""),
        instructions=instructions,
        label_config=label_config,
        folder=folder,
    )


class _ProjectServer(Protocol):
    url: str

    def get_project(self, project_id: int): ...
    def projects_with_title(self, title: str) -> list: ...
    def create_project(self, *, title: str, label_config: str, description: str, instructions: str) -> int: ...


def find_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> int | None:
    """The server project for spec: the local record first, then a unique title match."""
    recorded = st.recorded_project_id(config_dir, client.url, spec.name)
    if recorded is not None:
        project = client.get_project(recorded)
        if project is not None:
            return recorded
    matches = client.projects_with_title(spec.title)
    if len(matches) > 1:
        raise ConfigError(
            f"{len(matches)} projects on {client.url} have the title {spec.title!r} "
            f"(ids {', '.join(str(p.id) for p in matches)})",
            hint="delete or rename the extra ones in Label Studio",
        )
    if matches:
        st.record_project_id(config_dir, client.url, spec.name, matches[0].id)
        return matches[0].id
    return None


def ensure_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> tuple[int, bool]:
    """Create the project unless it exists. Returns (project id, created)."""
    existing = find_project(client, spec, config_dir=config_dir)
    if existing is not None:
        return existing, False
    project_id = client.create_project(
        title=spec.title, label_config=spec.label_config, description=spec.description, instructions=spec.instructions
    )
    st.record_project_id(config_dir, client.url, spec.name, project_id)
    return project_id, True


def require_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> int:
    project_id = find_project(client, spec, config_dir=config_dir)
    if project_id is None:
        raise ProjectNotFound(
            f"project {spec.name!r} ({spec.title!r}) does not exist on {client.url}",
            hint=f"create it with `annotate project create {spec.name}`",
        )
    return project_id
