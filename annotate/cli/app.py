"""The `annotate` command line. Commands parse options, call one library function, and report.

Data goes to stdout, progress and errors to stderr. Exit codes: 0 success, 1 invalid data or a
failure, 2 usage error. AnnotateError is turned into `Error: ...` in one place (AnnotateGroup).
Modules that import the SDK or pandas are imported inside the commands that need them, so
`--help`, `split` and `validate` start fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from annotate import __version__
from annotate.errors import AnnotateError
from annotate.labelstudio import settings as st


class AnnotateGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AnnotateError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                typer.echo(f"Hint: {exc.hint}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(130) from None


def _app(help: str) -> typer.Typer:
    return typer.Typer(
        cls=AnnotateGroup,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,  # a traceback must never print the API key
        rich_markup_mode=None,
    )


app = _app("Claim and fact-check annotation: articles -> Label Studio -> validated datasets.")
server_app = _app("Run Label Studio: start, status, stop, backup, restore (127.0.0.1 unless --host).")
project_app = _app("Label Studio projects kept as files in projects/NAME/.")
users_app = _app("Annotator accounts on the Label Studio server.")
app.add_typer(server_app, name="server")
app.add_typer(project_app, name="project")
app.add_typer(users_app, name="users")


class Format(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"annotate {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Claim and fact-check annotation: articles -> Label Studio -> validated datasets."""


# Shared options -------------------------------------------------------------------------------
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Label Studio URL. Default: $LABEL_STUDIO_URL, else the server `annotate server start` saved. "
        "The key comes from $LABEL_STUDIO_API_KEY or the settings file, never from an option.",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Label Studio data folder. Default: the last started server's, "
                 "else a folder in your user data directory (never inside the checkout)."),
]  # fmt: skip
ProjectsDirOption = Annotated[
    Path | None, typer.Option("--projects-dir", help="Folder of project folders. Default: ./projects.")
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format for reports.")]


def config_dir() -> Path:
    override = os.environ.get("ANNOTATE_CONFIG_DIR")
    return Path(override) if override else st.default_config_dir()


def connect(url: str | None) -> Any:
    from annotate.labelstudio import client as labelstudio

    connection = st.resolve_connection(
        url=url,
        env_url=os.environ.get("LABEL_STUDIO_URL"),
        env_key=os.environ.get("LABEL_STUDIO_API_KEY"),
        config_dir=config_dir(),
    )
    return labelstudio.connect(connection)


def projects_folder(projects_dir: Path | None) -> Path:
    from annotate.labelstudio.projects import default_projects_dir

    return projects_dir or default_projects_dir()


def project_spec(name: str, projects_dir: Path | None) -> Any:
    from annotate.labelstudio.projects import default_projects_dir, load_project

    return load_project(name, projects_dir=projects_dir or default_projects_dir())


def info(message: str) -> None:
    typer.echo(message, err=True)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    from rich.progress import Progress

    with Progress(console=_stderr_console(), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def emit(data: Any, fmt: Format, text: str) -> None:
    """The report on stdout: JSON (non-ASCII escaped, so any string prints), else the text, if any."""
    if fmt is Format.json:
        typer.echo(json.dumps(data, indent=2))
    elif text:
        typer.echo(text)
