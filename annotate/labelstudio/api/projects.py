"""Label Studio projects as files: `projects/NAME/` holds config.xml, project.json and instructions.

A project folder is checked locally before any request reaches the server.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from annotate.errors import ConfigError, ProjectNotFound, UnknownProjectName
from annotate.labelstudio.api.translation import SOURCE_LANGUAGE, load_translation, translate_config
from annotate.labelstudio.exported.rules import ProjectRules, rules_from_config
from annotate.labelstudio.service import settings as st
from annotate.resources import schema_path, shipped_projects_dir
from annotate.vocabulary import TASK_FIELDS

if TYPE_CHECKING:
    from annotate.labelstudio.api.client import ProjectInfo

CONFIG_FILE = "config.xml"
SETTINGS_FILE = "project.json"
# Control tags whose children are the values an annotator picks.
_VALUE_TAGS = {"Labels": "Label", "Choices": "Choice"}
# A task field in a tag's value: "$text", or inside a template ("Annotate this $kind", a link's href).
_FIELD = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    title: str
    description: str
    instructions: str
    label_config: str
    folder: Path
    settings: dict[str, Any] = field(default_factory=dict)  # project.json as written

    def data_fields(self) -> list[str]:
        """The task data fields the label config shows ($text, $context_before, ...)."""
        found = {
            name
            for element in SafeET.fromstring(self.label_config).iter()
            for name in _FIELD.findall(element.get("value") or "")
        }
        return sorted(found)

    def task_fields(self) -> tuple[str, ...]:
        """The data fields every task of the project carries: project.json's task_fields, else what
        `annotate split` writes."""
        return tuple(self.settings.get("task_fields", TASK_FIELDS))

    def rules(self) -> ProjectRules:
        """What validate checks exports of this project against (labels, controls, task fields)."""
        return rules_from_config(self.label_config, self.task_fields())

    def server_settings(self) -> dict[str, Any]:
        """The project fields Label Studio stores, under its own names. The active model version
        (whose predictions the label stream shows) only when project.json names one: else it is
        whatever `annotate prelabel` last made active."""
        return {
            "title": self.title,
            "description": self.description,
            "expert_instruction": self.instructions,
            "show_instruction": bool(self.instructions),
            "show_skip_button": self.settings.get("skip_allowed", True),
            "maximum_annotations": self.settings.get("annotators_per_task", 1),
            "sampling": _SAMPLING[self.settings.get("sampling", "sequential")],
            "skip_queue": self.settings.get("skip_queue", "requeue_for_others").upper(),
        } | ({"model_version": self.settings["model_version"]} if "model_version" in self.settings else {})


_SAMPLING = {"sequential": "Sequential sampling", "uniform": "Uniform sampling", "uncertainty": "Uncertainty sampling"}


def default_projects_dir() -> Path:
    """./projects when run from a checkout, else the projects shipped beside the package."""
    here = Path("projects")
    return here if here.is_dir() else shipped_projects_dir()


def check_label_config(xml: str, *, source: str) -> list[str]:
    """Every problem in a label config: parse errors, duplicate names, dangling toName, empty sets
    (a control whose values come from the task, `value="$field"`, has none of its own)."""
    try:
        root = SafeET.fromstring(xml)
    except DefusedXmlException as exc:
        return [f"{source}: forbidden XML construct ({type(exc).__name__})"]
    except SafeET.ParseError as exc:
        line, column = exc.position
        message = re.sub(r": line \d+, column \d+$", "", str(exc))
        return [f"{source}:{line}:{column}: not well-formed XML: {message}"]
    problems = []
    if root.tag != "View":
        problems.append(f"{source}: the root tag is <{root.tag}>; Label Studio's config is one <View> holding the rest")
    names: dict[str, str] = {}
    for element in root.iter():
        name = element.get("name")
        if name is None:
            if element.get("toName") is not None:
                problems.append(f"{source}: <{element.tag} toName={element.get('toName')!r}> has no name; every "
                                "control needs one (it is the from_name of its answers)")  # fmt: skip
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
        if child and not element.findall(child) and not (element.get("value") or "").startswith("$"):
            problems.append(f"{source}: <{element.tag} name={element.get('name')!r}> has no <{child}> values")
        if child:
            values = [c.get("value") for c in element.findall(child)]
            twice = sorted({v for v in values if v is not None and values.count(v) > 1})
            if twice:
                problems.append(f"{source}: <{element.tag} name={element.get('name')!r}> has the value(s) "
                                f"{', '.join(map(repr, twice))} more than once")  # fmt: skip
    return problems


def check_settings(settings: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path("project-settings.schema.json").read_text(encoding="utf-8"))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in sorted(Draft202012Validator(schema).iter_errors(settings), key=lambda e: list(e.absolute_path))
    ]


ADJUDICATION_SUFFIX = "-adjudication"
_ADJUDICATION_NOTE = (
    "<h2>Adjudication</h2><p>The annotators of these sentences disagreed. Open each task from the task list "
    "(click its row, not Label All Tasks): the tabs above the sentence hold each annotator's version, named by "
    "a pseudonym, and Compare All shows them side by side. The editor starts from one of the versions: make it "
    "the right answer (take another version's spans and choices, or edit) and submit. Your annotation becomes "
    "the gold label of the sentence.</p>"
)


def adjudication_spec(spec: ProjectSpec) -> ProjectSpec:
    """The review project of a project (`annotate adjudicate`): the same label config, one adjudicator
    per task, named `<name>-adjudication`."""
    return replace(
        spec,
        name=spec.name + ADJUDICATION_SUFFIX,
        title=f"{spec.title} (adjudication)",
        description=f"Adjudication of disagreeing tasks of {spec.title!r}, made by `annotate adjudicate`.",
        instructions=_ADJUDICATION_NOTE + spec.instructions,
        # No annotator's version is the active model version: the label stream pre-fills none.
        settings=spec.settings | {"annotators_per_task": 1, "sampling": "sequential", "model_version": ""},
    )


def _read_config_file(path: Path) -> str:
    """A project file's text; ConfigError (located, with a fix) if it is missing, a folder or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing from the project folder") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 at byte {exc.start}", hint="save the file as UTF-8") from None


def load_project(name: str, *, projects_dir: Path) -> ProjectSpec:
    """The project in projects_dir/name; `<name>-adjudication` is the review project of `<name>`."""
    if name.endswith(ADJUDICATION_SUFFIX) and not (projects_dir / name).is_dir():
        base = name.removesuffix(ADJUDICATION_SUFFIX)
        if (projects_dir / base).is_dir():
            return adjudication_spec(load_project(base, projects_dir=projects_dir))
    folder = projects_dir / name
    if not folder.is_dir():
        available = sorted(p.name for p in projects_dir.glob("*/") if (p / CONFIG_FILE).exists())
        raise UnknownProjectName(
            f"no project folder {folder}",
            hint=f"available projects: {', '.join(available) or 'none'}",
        )
    label_config = _read_config_file(folder / CONFIG_FILE)
    settings_text = _read_config_file(folder / SETTINGS_FILE)
    try:
        settings = json.loads(settings_text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{folder / SETTINGS_FILE}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ConfigError(f"{folder / SETTINGS_FILE}: nested too deeply to be project settings") from None
    problems = [f"{folder / SETTINGS_FILE}: {p}" for p in check_settings(settings)]
    problems += check_label_config(label_config, source=str(folder / CONFIG_FILE))
    if problems:
        raise ConfigError(f"project {name!r} is invalid:\n" + "\n".join(problems))
    instructions = ""
    if settings.get("instructions"):
        path = folder / settings["instructions"]
        try:
            instructions = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"{folder / SETTINGS_FILE}: instructions file {path} cannot be read") from None
    if settings.get("ui_language", SOURCE_LANGUAGE) != SOURCE_LANGUAGE:
        label_config, instructions = _in_language(folder, settings, label_config)
    return ProjectSpec(
        name=name,
        title=settings["title"],
        description=settings.get("description", ""),
        instructions=instructions,
        label_config=label_config,
        folder=folder,
        settings=settings,
    )


def _in_language(folder: Path, settings: dict[str, Any], label_config: str) -> tuple[str, str]:
    """The label config and instructions in project.json's ui_language: what create, update and the
    drift check send and compare. The translated config passes the same local checks."""
    translation = load_translation(folder, settings["ui_language"], settings_file=folder / SETTINGS_FILE,
                                   instructions_file=settings.get("instructions"))  # fmt: skip
    translated = translate_config(label_config, translation)
    problems = check_label_config(translated, source=f"{folder / CONFIG_FILE} in {translation.file}")
    if problems:
        raise ConfigError(
            f"the {translation.code!r} label config of {folder.name!r} is invalid:\n" + "\n".join(problems)
        )
    return translated, translation.instructions


class _ProjectServer(Protocol):
    url: str

    def get_project(self, project_id: int): ...
    def projects_with_title(self, title: str) -> list: ...
    def create_project(self, *, label_config: str, settings: dict[str, Any]) -> int: ...
    def validate_config(self, project_id: int, label_config: str) -> str | None: ...
    def update_project(self, project_id: int, *, label_config: str, settings: dict[str, Any]) -> None: ...
    def model_versions(self, project_id: int) -> dict[str, int]: ...


def find_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> int | None:
    """The server project for spec: the local record first, then a unique title match."""
    found = _find_project(client, spec, config_dir=config_dir)
    return found if found is None or isinstance(found, int) else found.id


def _find_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> ProjectInfo | int | None:
    """find_project, with what the server said of the project when it was read by its id."""
    recorded = st.recorded_project_id(config_dir, client.url, spec.name)
    if recorded is not None:
        project = client.get_project(recorded)
        if project is not None:
            return project
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
    project_id = client.create_project(label_config=spec.label_config, settings=spec.server_settings())
    st.record_project_id(config_dir, client.url, spec.name, project_id)
    return project_id, True


def require_project(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> int:
    found = _find_project(client, spec, config_dir=config_dir)
    if found is None:
        raise _not_found(client, spec)
    return found if isinstance(found, int) else found.id


def require_project_info(client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path) -> ProjectInfo:
    """The server project for spec, as the server describes it (one read when annotate has the
    project's id on record). Raises ProjectNotFound."""
    found = _find_project(client, spec, config_dir=config_dir)
    if isinstance(found, int):
        found = client.get_project(found)
    if found is None:
        raise _not_found(client, spec)
    return found


def _not_found(client: _ProjectServer, spec: ProjectSpec) -> ProjectNotFound:
    return ProjectNotFound(
        f"project {spec.name!r} ({spec.title!r}) does not exist on {client.url}",
        hint=f"create it with `annotate project create {spec.name}`",
    )


@dataclass
class ProjectUpdate:
    project_id: int
    diff: str  # unified diff, server -> files; empty when in sync
    orphaning: list[str]  # why the change would orphan existing annotations
    applied: bool = False
    notes: list[str] = field(default_factory=list)  # what was left as it is, and why


def stored_value(element: Any) -> str:
    """What an annotation stores for a Label, Choice or Relation: its alias when it has one (Label
    Studio 1.23 shows `value` and stores `alias`), else its value."""
    return element.get("alias") or element.get("value") or ""


def _values(xml: str, tag: str, attribute: str) -> set[str]:
    if not xml:
        return set()
    elements = SafeET.fromstring(xml).iter(tag)
    return {stored_value(e) if attribute == "value" else e.get(attribute) or "" for e in elements}


def project_diff(server_config: str, server_settings: dict[str, Any], spec: ProjectSpec) -> str:
    wanted = spec.server_settings()
    lines = list(
        difflib.unified_diff(
            server_config.splitlines(), spec.label_config.splitlines(), "server/config.xml",
            f"{spec.folder / CONFIG_FILE}", lineterm="",
        )
    )  # fmt: skip
    for key, value in wanted.items():
        if key == "expert_instruction" and _html_text(server_settings.get(key)) == _html_text(value):
            continue  # Label Studio sanitises the HTML it stores (styles go): compare what a reader sees
        if server_settings.get(key) != value:
            lines.append(f"{key}: {_short(server_settings.get(key))} -> {_short(value)}")
    return "\n".join(lines)


def _html_text(html: Any) -> str:
    return " ".join(re.sub(r"<[^>]*>", " ", html or "").split())


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def update_project(
    client: _ProjectServer, spec: ProjectSpec, *, config_dir: Path, force: bool = False, dry_run: bool = False
) -> ProjectUpdate:
    """Bring the server project in line with its folder, unless that would orphan annotations.

    Label Studio's own update silently accepts removing labels that annotations use (measured), so
    the strict validate endpoint is asked first; it does not track relations or text areas, which
    are checked here.
    """
    project_id = require_project(client, spec, config_dir=config_dir)
    info = client.get_project(project_id)
    assert info is not None
    update = ProjectUpdate(project_id, project_diff(info.label_config, info.settings, spec), [])
    if not update.diff:
        return update
    if info.label_config != spec.label_config:
        message = client.validate_config(project_id, spec.label_config)
        if message:
            update.orphaning.append(message)
        if info.tasks_with_annotations:
            for tag, attribute, what in (("Relation", "value", "relation"), ("TextArea", "name", "text area")):
                gone = _values(info.label_config, tag, attribute) - _values(spec.label_config, tag, attribute)
                if gone:
                    update.orphaning.append(
                        f"removes {what} {', '.join(sorted(gone))} while {info.tasks_with_annotations} "
                        "tasks have annotations"
                    )
    if dry_run or (update.orphaning and not force):
        return update
    settings = spec.server_settings()
    wanted, current = settings.get("model_version"), info.settings.get("model_version")
    if wanted and wanted != current and wanted not in client.model_versions(project_id):
        # Label Studio refuses to activate a version it has no prediction of (HTTP 400).
        del settings["model_version"]
        update.notes.append(
            f"model_version {wanted!r} has no predictions yet, so it stays {current or 'empty'}: "
            f"run `annotate prelabel --project {spec.name}`"
        )
    client.update_project(project_id, label_config=spec.label_config, settings=settings)
    update.applied = True
    return update


def config_sha256(label_config: str) -> str:
    """The sha256 of a label config in canonical form, the same for the folder's config.xml and the
    server's copy (which Label Studio stores without the final newline): LF line ends, trailing
    whitespace removed, one final newline. For a config.xml that ends in one newline, it is the
    file's own sha256."""
    canonical = label_config.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def project_status(
    client: _ProjectServer, projects_dir: Path, *, config_dir: Path, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """One row per project folder: its server project, counts, and whether the server matches it."""
    names = names or sorted(p.parent.name for p in projects_dir.glob(f"*/{CONFIG_FILE}"))
    rows = []
    for name in names:
        spec = load_project(name, projects_dir=projects_dir)
        project_id = find_project(client, spec, config_dir=config_dir)
        info = client.get_project(project_id) if project_id is not None else None
        rows.append(
            {
                "name": name,
                "title": spec.title,
                "id": project_id,
                "url": f"{client.url}/projects/{project_id}/data" if project_id is not None else None,
                "tasks": info.task_number if info else None,
                "annotated": info.tasks_with_annotations if info else None,
                "in_sync": (not project_diff(info.label_config, info.settings, spec)) if info else None,
                "config_sha256": config_sha256(spec.label_config),
                "folder": str(spec.folder),
            }
        )
    return rows
