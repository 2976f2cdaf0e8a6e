"""Export files on disk: finding them, and reading their tasks as views, validated on the way in.

Every command that reads exports (validate, combine, agreement, promote, adjudicate) reads them
here, so "valid" means one thing everywhere: a task with an error is reported and never becomes a
view; the caller decides what the collected problems mean (combine and the others stop on errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError, UsageError
from annotate.labelstudio.api.export import is_manifest, read_manifest
from annotate.labelstudio.api.projects import ADJUDICATION_SUFFIX, load_project
from annotate.labelstudio.exported.jsonstream import iter_array
from annotate.labelstudio.exported.rules import ProjectRules
from annotate.labelstudio.exported.validate import Problem, has_errors, summary, validate_task
from annotate.labelstudio.exported.views import Task


def export_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The export files among paths: files as given, and the *.json in directories (not manifests)."""
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if not is_manifest(p) and not p.name.startswith("."))
            if not found:
                raise InputError(f"{path}: no export files (*.json) in this directory")
            yield from found
        else:
            yield path


def valid_tasks(path: Path, problems: list[Problem], *, rules: ProjectRules | None = None) -> Iterator[Task]:
    """The tasks of one export that have no errors, as views; every problem found is added to
    `problems` (an unreadable file adds one problem and ends the file)."""
    try:
        for index, raw in enumerate(iter_array(path)):
            found = validate_task(raw, index, file=str(path), rules=rules)
            problems += found
            if not any(p.severity == "error" for p in found):
                yield Task(raw)
    except InputError as exc:
        problems.append(Problem(str(path), "$", exc.message, "file", hint=exc.hint))


VALID, INVALID, UNCHECKED = "valid", "invalid", "unchecked"
BLOCK = 64
FILE_PROBLEM = 1 << 62  # the index under which a file's own problem (unreadable, broken JSON) is reported


def tasks_in_parts(
    path: Path, found: list[tuple[int, list[Problem]]], *, rules: ProjectRules | None = None, part: int, parts: int,
    whole: Callable[[Task], bool] = lambda _task: False,
) -> Iterator[tuple[Task | None, str]]:  # fmt: skip
    """valid_tasks, its work shared by `parts` processes that each read the whole file: process
    `part` validates every `parts`-th block of BLOCK tasks, from block `part` on (blocks rather
    than every other task, so that a pattern in the tasks is shared evenly), and process 0 also
    every task that `whole` picks (the others skip those). Yields each task as (view, VALID,
    INVALID, or UNCHECKED: left to another process); the view is None where the task is not even a
    JSON object with a data object. Problems go to `found` under their task's index; the file's own
    problem (it cannot be read or parsed) only in process 0, under FILE_PROBLEM."""
    try:
        for index, raw in enumerate(iter_array(path)):
            view = Task(raw) if type(raw) is dict and type(raw.get("data")) is dict else None
            if view is not None and whole(view):
                ours = part == 0
                if not ours:
                    continue
            else:
                ours = index // BLOCK % parts == part
            if not ours:
                yield view, UNCHECKED
                continue
            problems = validate_task(raw, index, file=str(path), rules=rules)
            if problems:
                found.append((index, problems))
            yield view, INVALID if any(p.severity == "error" for p in problems) else VALID
    except InputError as exc:
        if part == 0:
            found.append((FILE_PROBLEM, [Problem(str(path), "$", exc.message, "file", hint=exc.hint)]))


class ExportsInvalid(InputError):
    """One or more exports have errors: validate's located lines, one per problem."""

    def __init__(self, problems: list[Problem], projects: dict[Path, str] | None = None) -> None:
        errors = [p for p in problems if p.severity == "error"]
        files = sorted({p.file for p in errors})
        lines = "\n".join(p.line() for p in errors)
        named = sorted({name for path, name in (projects or {}).items() if str(path) in files})
        project = f" --project {named[0]}" if len(named) == 1 else ""  # the rules these errors were found with
        command = f"annotate validate {' '.join(files)}{project}"
        super().__init__(f"{len(errors)} error(s) in {', '.join(files)}:\n{lines}",
                         hint=f"fix them first; `{command}` lists them too")  # fmt: skip
        self.problems = problems


@dataclass
class ExportSet:
    """Export files with the project each belongs to, read as valid tasks (see valid_tasks)."""

    files: list[Path]
    projects: dict[Path, str]  # file -> project name
    rules: dict[Path, ProjectRules]
    problems: list[Problem] = field(default_factory=list)

    def tasks(self) -> Iterator[Iterator[Task]]:
        """Each file's valid tasks, in order; problems are collected as the files are read."""
        for path in self.files:
            yield valid_tasks(path, self.problems, rules=self.rules[path])

    def reread(self, files: Iterable[Path] | None = None) -> Iterator[Iterator[Task]]:
        """Each file's tasks again, as views, without validating them: for a second pass over
        exports that tasks() read in full and check() passed (every task is then valid)."""
        for path in self.files if files is None else files:
            yield (Task(raw) for raw in iter_array(path))

    def check(self) -> None:
        """Raise ExportsInvalid if anything read so far had an error."""
        if any(p.severity == "error" for p in self.problems):
            raise ExportsInvalid(self.problems, self.projects)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def base_project(name: str) -> str:
    """A review project's exports belong to the project it adjudicates."""
    return name.removesuffix(ADJUDICATION_SUFFIX)


def open_exports(paths: Iterable[Path], *, project: str | None, projects_dir: Path) -> ExportSet:
    """The export files among paths, each with its project: the one its manifest names, else
    `project`. An export without a manifest (a download from the web UI) needs `project`; an export
    of another project than `project` is refused."""
    files = list(export_files(paths))
    names: dict[Path, str] = {}
    for path in files:
        recorded = read_manifest(path).get("project")
        if not isinstance(recorded, str) and project is None:
            raise UsageError(f"{path}: no manifest says which project this export belongs to",
                             hint="name it with --project (e.g. --project claims); `annotate export` writes "
                             "a manifest beside each export")  # fmt: skip
        if isinstance(recorded, str) and project is not None and base_project(recorded) != base_project(project):
            raise InputError(f"{path} is an export of project {recorded!r}, not {project!r}",
                             hint="leave it out, or drop --project to take each export's own project")  # fmt: skip
        names[path] = recorded if isinstance(recorded, str) else str(project)
    rules = {name: load_project(name, projects_dir=projects_dir).rules() for name in sorted(set(names.values()))}
    return ExportSet(files, names, {path: rules[name] for path, name in names.items()})


@dataclass
class ValidationReport:
    files: list[Path]
    problems: list[Problem]

    def summary(self) -> dict[str, Any]:
        return summary(self.problems) | {"files": [str(f) for f in self.files]}

    def failed(self, *, strict: bool = False) -> bool:
        return has_errors(self.problems, strict=strict)

    def as_dict(self) -> dict[str, Any]:
        return self.summary() | {"problems": [p.as_dict() for p in self.problems]}


def validate_exports(paths: Iterable[Path], *, rules: ProjectRules | None = None) -> ValidationReport:
    """Check every export among paths, parseable or not, one task at a time (memory stays flat)."""
    files = list(export_files(paths))
    problems: list[Problem] = []
    for path in files:
        for _task in valid_tasks(path, problems, rules=rules):
            pass
    return ValidationReport(files, problems)
