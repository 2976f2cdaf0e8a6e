"""`annotate export` and `annotate validate`: full JSON exports, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.app import (
    Format,
    FormatOption,
    ProjectsDirOption,
    UrlOption,
    app,
    config_dir,
    connect,
    emit,
    info,
    project_spec,
)  # fmt: skip


@app.command("export")
def export(
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Exports folder.")] = Path("exports"),
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Write the project's full JSON export to DIR/PROJECT/<UTC time>.json (and a manifest beside it);
    print its path."""
    from annotate.labelstudio.api.export import export_named_project

    path = export_named_project(
        connect(url), project_spec(project, projects_dir), out_dir=output_dir, config_dir=config_dir(), log=info
    )
    typer.echo(path)


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
    from annotate.labelstudio.exported.exports import validate_exports

    report = validate_exports(paths, rules=project_spec(project, projects_dir).rules() if project else None)
    emit(report.as_dict(), fmt, "\n".join(p.line() for p in report.problems))
    info(_validation_summary(report.summary()))
    if report.failed(strict=strict):
        raise typer.Exit(1)


def _validation_summary(summary: dict[str, Any]) -> str:
    kinds = ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items())
    counts = f"{len(summary['files'])} file(s): {summary['errors']} error(s), {summary['warnings']} warning(s)"
    return counts + (f" ({kinds})" if kinds else "") + "."
