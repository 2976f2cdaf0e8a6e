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
import re
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException  # typer's own click: ClickException is a TyperException

from annotate import __version__
from annotate.errors import AnnotateError
from annotate.labelstudio.service import settings as st


class AnnotateGroup(TyperGroup):
    """The one place errors become exit codes: AnnotateError -> `Error: ...` (+ `Hint: ...`) and its
    exit code; any other exception -> one line naming the command and a crash log (exit 1)."""

    def invoke(self, ctx: Any) -> Any:
        _tolerant_streams()
        try:
            return super().invoke(ctx)
        except AnnotateError as exc:
            echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                echo(f"Hint: {exc.hint}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            echo("Interrupted.", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly
            with contextlib.suppress(Exception):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except (TyperException, Exit, Abort):  # usage errors and exits: typer reports them
            raise
        except Exception as exc:  # a bug: no traceback on the terminal, the details in a log file
            command = _command_name(ctx)
            log = write_crash_log(command, exc)
            where = f"details in {log}" if log else "and its crash log could not be written"
            echo(f"Error: {command} failed unexpectedly ({type(exc).__name__}); this is a bug in annotate, "
                 f"{where}", err=True)  # fmt: skip
            raise typer.Exit(1) from None


def _command_name(ctx: Any) -> str:
    names = [ctx.invoked_subcommand or ""]
    while ctx.parent is not None:
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    return " ".join(["annotate", *names]).strip()


def _tolerant_streams() -> None:
    """Text that cannot be encoded (a lone surrogate in an id read from a file) prints as an escape
    such as \\udcff instead of raising in the middle of a report."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")


def crash_dir() -> Path:
    """Where crash logs go: annotate's data folder (outside any checkout)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(st.APP)) / "crash-logs"


def _secrets() -> list[str]:
    """Values that must never reach a log: API keys and passwords from the environment and the settings file."""
    found = [v for k, v in os.environ.items() if re.search(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD", k, re.I) and v]
    with contextlib.suppress(Exception):
        for entry in st.read_settings(config_dir()).get("servers", {}).values():
            found += [str(v) for k, v in entry.items() if re.search(r"key|token|secret|password", k, re.I) and v]
    return sorted({v for v in found if len(v) >= 4}, key=len, reverse=True)


def write_crash_log(command: str, exc: BaseException) -> Path | None:
    """Write the traceback of an unexpected exception, secrets replaced by ***, to a new file in
    crash_dir(); its path, or None if it could not be written."""
    import datetime
    import traceback

    text = "".join(traceback.format_exception(exc))
    for secret in _secrets():
        text = text.replace(secret, "***")
    text = re.sub(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@'\"]+@", r"\1***@", text)  # a URL's user name and password
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    body = f"annotate {__version__}, Python {sys.version.split()[0]}\ncommand: {command}\n\n{text}"
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"crash-{stamp}-{os.getpid()}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(body)
    except OSError:
        return None
    return path


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


def cache_dir() -> Path:
    """Where the vector cache lives: ANNOTATE_CACHE_DIR, else the user's cache folder."""
    import platformdirs

    override = os.environ.get("ANNOTATE_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(st.APP))


EmbedderOption = Annotated[
    Path | None,
    typer.Option("--embedder", help="A local embedding model folder (an .onnx file and its tokenizer.json; "
                 "optional annotate-embedder.json) instead of the installed e5-small. Never downloaded."),
]  # fmt: skip
LexicalOption = Annotated[
    bool, typer.Option("--lexical", help="Words only, no text embeddings, even where an embedding model is installed.")
]


def semantic(embedder: Path | None, lexical: bool) -> Any:
    """The embedding model and vector cache a command uses, or None (lexical): said once on stderr."""
    from annotate.errors import UsageError
    from annotate.loop.embeddings import NO_MODEL, choose_embedder
    from annotate.loop.fusion import Semantic
    from annotate.loop.vectors import VectorCache

    if embedder is not None and lexical:
        raise UsageError("--embedder and --lexical: give one of them")
    found = choose_embedder(embedder, lexical=lexical)
    if found is None:
        if not lexical:
            info(NO_MODEL)
        return None
    return Semantic(found, VectorCache(cache_dir() / "vectors.sqlite"), log=info)


def connect(url: str | None) -> Any:
    from annotate.labelstudio.api import client as labelstudio

    connection = st.resolve_connection(
        url=url,
        env_url=os.environ.get("LABEL_STUDIO_URL"),
        env_key=os.environ.get("LABEL_STUDIO_API_KEY"),
        config_dir=config_dir(),
    )
    return labelstudio.connect(connection)


def projects_folder(projects_dir: Path | None) -> Path:
    from annotate.labelstudio.api.projects import default_projects_dir

    return projects_dir or default_projects_dir()


def project_spec(name: str, projects_dir: Path | None) -> Any:
    from annotate.labelstudio.api.projects import default_projects_dir, load_project

    return load_project(name, projects_dir=projects_dir or default_projects_dir())


def printable(text: str) -> str:
    """`text` with lone surrogates written as escapes (\\udcff), so that it can always be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """typer.echo that never fails on text holding lone surrogates."""
    typer.echo(printable(str(message)), err=err, nl=nl)


def info(message: str) -> None:
    echo(message, err=True)


class SafeStdout:
    """stdout as a file object, for library functions that stream what they write."""

    def write(self, text: str) -> int:
        echo(text, nl=False)
        return len(text)


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
    """The report on stdout: JSON (non-ASCII escaped, so any string prints), else the text, if any;
    never fails on a lone surrogate."""
    if fmt is Format.json:
        echo(json.dumps(data, indent=2, default=str))
    elif text:
        echo(text)
