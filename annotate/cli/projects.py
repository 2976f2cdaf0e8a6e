"""`annotate project ...` and `annotate schema`: projects kept as folders, in sync with the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.app import (
    Format,
    FormatOption,
    ProjectsDirOption,
    UrlOption,
    app,
    config_dir,
    connect,
    echo,
    info,
    project_app,
    project_spec,
)  # fmt: skip
from annotate.outputs import refuse_overwriting_inputs, write_atomic


# project --------------------------------------------------------------------------------------
@project_app.command("create")
def project_create(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Create the project on the server unless it exists; print its id."""
    from annotate.labelstudio.api.projects import ensure_project

    spec = project_spec(name, projects_dir)
    client = connect(url)
    project_id, created = ensure_project(client, spec, config_dir=config_dir())
    info(f"{'Created' if created else 'Found existing'} project {name!r} (id {project_id}) at {client.url}")
    echo(project_id)


@project_app.command("update")
def project_update(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    force: Annotated[bool, typer.Option("--force", help="Apply even if it orphans existing annotations.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff; change nothing.")] = False,
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Show how the server project differs from its folder, then update it (refuses to orphan annotations)."""
    from annotate.errors import ConfigError
    from annotate.labelstudio.api.projects import update_project

    spec = project_spec(name, projects_dir)
    update = update_project(connect(url), spec, config_dir=config_dir(), force=force, dry_run=dry_run)
    if not update.diff:
        info(f"Project {name!r} (id {update.project_id}) is up to date.")
        return
    echo(update.diff)
    if update.orphaning and not force and not dry_run:
        raise ConfigError(
            f"updating project {name!r} would orphan existing annotations:\n" + "\n".join(update.orphaning),
            hint="keep the labels in use, or pass --force to update anyway",
        )
    for note in update.notes:
        info(f"Note: {note}")
    info(f"Updated project {name!r} (id {update.project_id})." if update.applied else "Dry run: nothing changed.")


@project_app.command("list")
def project_list(
    url: UrlOption = None, projects_dir: ProjectsDirOption = None, fmt: FormatOption = Format.text
) -> None:
    """The project folders, with their server ids, task counts and whether the server is in sync."""
    from annotate.labelstudio.api.projects import default_projects_dir, project_status

    rows = project_status(connect(url), projects_dir or default_projects_dir(), config_dir=config_dir())
    if fmt is Format.json:
        echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        where = f"id {row['id']}, {row['tasks']} tasks, {row['annotated']} annotated" if row["id"] else "not created"
        sync = "" if not row["id"] else ("in sync" if row["in_sync"] else "differs: run `annotate project update`")
        echo(f"{row['name']:<16} {row['title']!r}: {where}{'; ' + sync if sync else ''}")


@project_app.command("show")
def project_show(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """One project: server id and URL, counts, settings, and whether the server matches its folder."""
    from annotate.labelstudio.api.projects import project_status

    spec = project_spec(name, projects_dir)
    (row,) = project_status(connect(url), spec.folder.parent, config_dir=config_dir(), names=[name])
    if fmt is Format.json:
        echo(json.dumps(row, indent=2, ensure_ascii=False))
    else:
        echo("\n".join(f"{k + ':':<12} {v}" for k, v in row.items()))


@app.command("schema")
def schema(
    project: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Default: schemas/projects/PROJECT.schema.json.")
    ] = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Write the JSON Schema for a project's exports, generated from its label config; print its path."""
    from annotate.labelstudio.exported.rules import rules_from_config
    from annotate.labelstudio.exported.schema import project_schema

    spec = project_spec(project, projects_dir)
    path = output or Path("schemas") / "projects" / f"{project}.schema.json"
    refuse_overwriting_inputs({"-o": path}, [p for p in spec.folder.iterdir() if p.is_file()])
    rules = rules_from_config(spec.label_config, spec.task_fields())
    text = json.dumps(project_schema(project, rules), indent=2, ensure_ascii=False)
    echo(write_atomic(path, text + "\n"))
