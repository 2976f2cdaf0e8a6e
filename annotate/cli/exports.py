"""`annotate export` and `annotate validate`: full JSON exports, checked."""

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
    info,
    project_spec,
)  # fmt: skip


# export ---------------------------------------------------------------------------------------
@app.command("export")
def export(
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Exports folder.")] = Path("exports"),
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Write the project's full JSON export to DIR/PROJECT/<UTC time>.json (and a manifest beside it);
    print its path."""
    from annotate.labelstudio.export import export_project
    from annotate.labelstudio.projects import require_project
    from annotate.labelstudio.server import server_version

    spec = project_spec(project, projects_dir)
    client = connect(url)
    project_id = require_project(client, spec, config_dir=config_dir())
    info(f"Exporting project {project!r} (id {project_id}) from {client.url} ...")
    path = export_project(
        client, project_id, project=project, out_dir=output_dir, server_version=server_version(client.url)
    )
    typer.echo(path)


# validate -------------------------------------------------------------------------------------
@app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Export files (full JSON), or folders of them.")],
    project: Annotated[
        str | None,
        typer.Option("--project", help="Also check against this project's label config and its task fields."),
    ] = None,
    projects_dir: ProjectsDirOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Check exports: JSON Schema, offsets, relations, labels; one located line per problem."""
    from annotate.labelstudio.validate import export_files, has_errors, rules_from_config, summary, validate_file

    spec = project_spec(project, projects_dir) if project else None
    rules = rules_from_config(spec.label_config, spec.task_fields()) if spec else None
    files = list(export_files(paths))
    problems = [p for path in files for p in validate_file(path, rules=rules)]
    report = summary(problems) | {"files": [str(f) for f in files]}
    if fmt is Format.json:
        typer.echo(json.dumps(report | {"problems": [p.as_dict() for p in problems]}, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            typer.echo(problem.line())
        kinds = ", ".join(f"{n} {k}" for k, n in report["by_kind"].items())
        info(f"{len(files)} file(s): {report['errors']} error(s), {report['warnings']} warning(s)"
              + (f" ({kinds})" if kinds else "") + ".")  # fmt: skip
    if has_errors(problems, strict=strict):
        raise typer.Exit(1)
