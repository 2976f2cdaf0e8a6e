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

from . import __version__
from . import settings as st
from .errors import AnnotateError, InputError


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
server_app = _app("Run a local Label Studio server (127.0.0.1 only).")
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


def _config_dir() -> Path:
    override = os.environ.get("ANNOTATE_CONFIG_DIR")
    return Path(override) if override else st.default_config_dir()


def _connect(url: str | None) -> Any:
    from . import labelstudio

    connection = st.resolve_connection(
        url=url,
        env_url=os.environ.get("LABEL_STUDIO_URL"),
        env_key=os.environ.get("LABEL_STUDIO_API_KEY"),
        config_dir=_config_dir(),
    )
    return labelstudio.connect(connection)


def _project(name: str, projects_dir: Path | None) -> Any:
    from .projects import default_projects_dir, load_project

    return load_project(name, projects_dir=projects_dir or default_projects_dir())


def _info(message: str) -> None:
    typer.echo(message, err=True)


@contextlib.contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
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


def _emit(data: dict[str, Any], fmt: Format, text: str) -> None:
    typer.echo(json.dumps(data, indent=2) if fmt is Format.json else text)


# server ---------------------------------------------------------------------------------------
def _status_text(s: Any) -> str:
    key = {True: "works", False: "REFUSED", None: "not checked"}[s.key_ok]
    lines = [
        f"url:       {s.url}",
        f"running:   {f'yes (pid {s.pid})' if s.running else 'no'}",
        f"answering: {'yes' if s.answering else 'no'}",
        f"version:   Label Studio {s.version or 'unknown'}",
        f"api key:   {key}",
        f"data dir:  {s.data_dir}",
    ]
    if s.username:
        lines.append(f"login:     {s.username} (password in {s.settings_file})")
    return "\n".join(lines)


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1. Default: 8080.")
    ] = None,
    data_dir: DataDirOption = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the server to answer.")] = 300,
    fmt: FormatOption = Format.text,
) -> None:
    """Start Label Studio on 127.0.0.1, creating the admin user and API key on first start."""
    from . import server

    config_dir = _config_dir()
    status = server.start(
        data_dir=data_dir or server.default_data_dir(config_dir),
        port=port,
        config_dir=config_dir,
        timeout=timeout,
        progress=_info,
    )
    _emit(status.as_dict(), fmt, _status_text(status))


@server_app.command("status")
def server_status(data_dir: DataDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Show the server's URL, version, data folder and whether the saved API key works."""
    from . import server

    config_dir = _config_dir()
    status = server.status(data_dir=data_dir or server.default_data_dir(config_dir), config_dir=config_dir)
    _emit(status.as_dict(), fmt, _status_text(status))
    if not status.answering:
        raise typer.Exit(1)


@server_app.command("stop")
def server_stop(data_dir: DataDirOption = None) -> None:
    """Stop the Label Studio server that `annotate server start` started (no other)."""
    from . import server

    resolved = data_dir or server.default_data_dir(_config_dir())
    pid = server.stop(data_dir=resolved)
    _info(f"Stopped Label Studio (pid {pid})." if pid else f"No server started by annotate is running for {resolved}.")


# project --------------------------------------------------------------------------------------
@project_app.command("create")
def project_create(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Create the project on the server unless it exists; print its id."""
    from .projects import ensure_project

    spec = _project(name, projects_dir)
    client = _connect(url)
    project_id, created = ensure_project(client, spec, config_dir=_config_dir())
    _info(f"{'Created' if created else 'Found existing'} project {name!r} (id {project_id}) at {client.url}")
    typer.echo(project_id)


@project_app.command("update")
def project_update(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    force: Annotated[bool, typer.Option("--force", help="Apply even if it orphans existing annotations.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff; change nothing.")] = False,
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Show how the server project differs from its folder, then update it (refuses to orphan annotations)."""
    from .errors import ConfigError
    from .projects import update_project

    spec = _project(name, projects_dir)
    update = update_project(_connect(url), spec, config_dir=_config_dir(), force=force, dry_run=dry_run)
    if not update.diff:
        _info(f"Project {name!r} (id {update.project_id}) is up to date.")
        return
    typer.echo(update.diff)
    if update.orphaning and not force and not dry_run:
        raise ConfigError(
            f"updating project {name!r} would orphan existing annotations:\n" + "\n".join(update.orphaning),
            hint="keep the labels in use, or pass --force to update anyway",
        )
    _info(f"Updated project {name!r} (id {update.project_id})." if update.applied else "Dry run: nothing changed.")


@project_app.command("list")
def project_list(
    url: UrlOption = None, projects_dir: ProjectsDirOption = None, fmt: FormatOption = Format.text
) -> None:
    """The project folders, with their server ids, task counts and whether the server is in sync."""
    from .projects import default_projects_dir, project_status

    rows = project_status(_connect(url), projects_dir or default_projects_dir(), config_dir=_config_dir())
    if fmt is Format.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        where = f"id {row['id']}, {row['tasks']} tasks, {row['annotated']} annotated" if row["id"] else "not created"
        sync = "" if not row["id"] else ("in sync" if row["in_sync"] else "differs: run `annotate project update`")
        typer.echo(f"{row['name']:<16} {row['title']!r}: {where}{'; ' + sync if sync else ''}")


@project_app.command("show")
def project_show(
    name: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """One project: server id and URL, counts, settings, and whether the server matches its folder."""
    from .projects import project_status

    spec = _project(name, projects_dir)
    (row,) = project_status(_connect(url), spec.folder.parent, config_dir=_config_dir(), names=[name])
    if fmt is Format.json:
        typer.echo(json.dumps(row, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(f"{k + ':':<12} {v}" for k, v in row.items()))


# users ----------------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    emails: Annotated[list[str], typer.Argument(help="E-mail addresses of the annotators.")],
    url: UrlOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Create annotator accounts and print how each person logs in.

    On the local server `annotate server start` runs, each new account gets a random password
    (printed once, not stored). On any other server, each person signs up through the invite link.
    """
    from . import server
    from .users import add_users

    client = _connect(url)
    data_dir = server.local_data_dir(client.url, _config_dir())
    setter = (lambda email, password: server.set_password(data_dir, email, password)) if data_dir else None
    added = add_users(client, emails, set_password=setter)
    if fmt is Format.json:
        typer.echo(json.dumps([u.as_dict() for u in added], indent=2))
        return
    for user in added:
        if not user.created:
            typer.echo(f"{user.email}\talready has an account (id {user.id})")
        elif user.password:
            typer.echo(f"{user.email}\tpassword: {user.password}")
        else:
            typer.echo(f"{user.email}\tsign up at: {user.invite_url}")
    if any(u.password for u in added):
        _info(f"Give each person their password; annotate does not keep it. They log in at {client.url}")


@users_app.command("list")
def users_list(url: UrlOption = None, fmt: FormatOption = Format.text) -> None:
    """The server's users."""
    users = _connect(url).users()
    if fmt is Format.json:
        typer.echo(json.dumps(users, indent=2))
        return
    for user in users:
        typer.echo(f"{user['id']}\t{user['email']}\tlast active: {user['last_activity'] or 'never'}")


# split ----------------------------------------------------------------------------------------
@app.command("split")
def split(
    articles: Annotated[
        list[str],
        typer.Argument(help="Article files (.txt .md .html .json .jsonl), directories, globs, or - for stdin."),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write tasks here (JSONL). Default: stdout.")
    ] = None,
    articles_file: Annotated[
        Path | None,
        typer.Option(
            "--articles",
            help="Write the normalised articles here (JSONL). "
            "Default: beside --output as NAME.articles.jsonl; none when tasks go to stdout.",
        ),
    ] = None,
    splitter: Annotated[
        str, typer.Option("--splitter", help="Sentence splitter: news (default) or sentencex.")
    ] = "news",
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Decode files with this encoding instead of UTF-8/UTF-16.")
    ] = None,
    show_removed: Annotated[
        bool, typer.Option("--show-removed", help="List each boilerplate line left out, with its reason, on stderr.")
    ] = False,
) -> None:
    """Split articles into one task per sentence or heading (JSONL), with exact offsets and stable ids."""
    from .segment import get_splitter
    from .tasks import split_sources, write_jsonl

    chosen = get_splitter(splitter)
    stdin = sys.stdin.buffer.read() if "-" in articles else None
    if articles_file is None and output is not None:
        articles_file = output.with_name(f"{output.stem}.articles.jsonl")
    ok = failed = tasks = 0
    try:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        articles_out = articles_file.open("w", encoding="utf-8") if articles_file else None
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename}: {exc.strerror}") from None
    with out if output else contextlib.nullcontext(), articles_out or contextlib.nullcontext():
        for item in split_sources(articles, splitter=chosen, encoding=encoding, stdin=stdin):
            if isinstance(item, InputError):
                # Report and go on: one bad file must not cost the others.
                _info(f"Error: {item.message}" + (f" ({item.hint})" if item.hint else ""))
                failed += 1
                continue
            ok += 1
            tasks += write_jsonl(item.records, out)
            if articles_out:
                record = item.article.record() | {"splitter": item.records[0]["splitter"]}
                write_jsonl([record], articles_out)
            if item.article.removed_characters:
                _info(f"{item.article.path}: removed {item.article.removed_characters} characters "
                      "Label Studio cannot store")  # fmt: skip
            if show_removed:
                for r in item.removed:
                    _info(f"{item.article.path}:{r.line}: removed ({r.reason}): {r.text}")
    _info(f"Split {ok} article(s) into {tasks} tasks; {failed} failed.")
    if failed:
        raise typer.Exit(1)


# load -----------------------------------------------------------------------------------------
@app.command("load")
def load(
    task_files: Annotated[list[Path], typer.Argument(help="Task files (JSONL) written by `annotate split`.")],
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be loaded; load nothing.")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Load tasks into a project. Idempotent: tasks already there (by sentence_id) are skipped."""
    from .load import load_tasks
    from .projects import require_project
    from .tasks import read_tasks

    records, problems = [], []
    for path in task_files:
        good, bad = read_tasks(path)
        records += good
        problems += bad
    for line in problems:
        _info(f"Error: {line}")
    spec = _project(project, projects_dir)
    client = _connect(url)
    project_id = require_project(client, spec, config_dir=_config_dir())
    with _progress_bar("Loading tasks") as progress:
        report = load_tasks(
            client, project_id, records, journal_path=_config_dir() / "load-journal.json",
            fields=spec.data_fields(), dry_run=dry_run, progress=progress, log=_info,
        )  # fmt: skip
    for sid in report.changed:
        _info(f"Warning: task {sid} is already loaded with a different text; left unchanged")
    summary = report.as_dict() | {"rejected": len(problems), "project_id": project_id, "dry_run": dry_run}
    verb = "would create" if dry_run else "created"
    _emit(
        summary,
        fmt,
        f"{verb} {report.created}, already present {report.present}, rejected {len(problems)} "
        f"(project {project!r}, id {project_id})",
    )
    if problems:
        raise typer.Exit(1)


# prelabel -------------------------------------------------------------------------------------
@app.command("prelabel")
def prelabel(
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="A model folder from `annotate train`: predict claim_status with it instead of the rules."
        ),
    ] = None,
    order_by_uncertainty: Annotated[
        bool,
        typer.Option(
            "--order-by-uncertainty",
            help="Serve annotators the tasks the model is least sure of first (needs --model).",
        ),
    ] = False,
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Attach predictions to tasks that lack one of the same model_version: rule-based ones (cue,
    source, claim, claim_status), or with --model a trained model's claim_status and its probability."""
    from .prelabel import MODEL_VERSION, prelabel_project, rules, status_result
    from .projects import require_project

    if order_by_uncertainty and model is None:
        raise typer.BadParameter("ordering by uncertainty needs a model's scores", param_hint="--model")
    spec = _project(project, projects_dir)
    predictor, model_version = rules, MODEL_VERSION
    if model is not None:
        from .train import load_model

        loaded = load_model(model)
        model_version = loaded.model_id

        def predictor(texts: list[str]) -> list[tuple[list[dict[str, Any]], float]]:
            return [(status_result(status), p) for status, p in loaded.predict(texts)]

    client = _connect(url)
    project_id = require_project(client, spec, config_dir=_config_dir())
    added, skipped = prelabel_project(client, project_id, model_version=model_version, predictor=predictor)
    ordered = False
    if order_by_uncertainty:
        client.set_model_version(project_id, model_version, uncertainty_sampling=True)
        ordered = True
    _emit(
        {"added": added, "already_predicted": skipped, "model_version": model_version, "project_id": project_id,
         "ordered_by_uncertainty": ordered},
        fmt,
        f"added {added} predictions ({model_version}); {skipped} tasks already had one (project {project!r})"
        + ("; annotators now get the least certain tasks first" if ordered else ""),
    )  # fmt: skip


# train ----------------------------------------------------------------------------------------
@app.command("train")
def train(
    dataset_dir: Annotated[Path, typer.Argument(help="A dataset folder written by `annotate combine`.")],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Folder for the model.")] = Path("model"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the classifier.")] = 13,
    fmt: FormatOption = Format.text,
) -> None:
    """Train the check-worthiness baseline (TF-IDF + logistic regression) on the train split and score
    it on the test split as CheckThat! does (precision, recall, F1 of claim_checkworthy)."""
    from .train import train as train_model

    meta = train_model(dataset_dir, output_dir, seed=seed)
    scores = meta["test"]
    f1 = "n/a (no labelled test sentences)" if scores["f1"] is None else scores["f1"]
    _emit(meta, fmt, f"{meta['model_id']} saved in {output_dir} ({meta['train_sentences']} train sentences, "
                     f"data sha256 {meta['train_data_sha256'][:12]}); test: precision {scores['precision']}, "
                     f"recall {scores['recall']}, F1 {f1} on {scores['items']} sentences "
                     f"({scores['positives']} check-worthy)")  # fmt: skip


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
    from .export import export_project
    from .projects import require_project
    from .server import server_version

    spec = _project(project, projects_dir)
    client = _connect(url)
    project_id = require_project(client, spec, config_dir=_config_dir())
    _info(f"Exporting project {project!r} (id {project_id}) from {client.url} ...")
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
    from .validate import export_files, has_errors, rules_from_config, summary, validate_file

    spec = _project(project, projects_dir) if project else None
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
        _info(f"{len(files)} file(s): {report['errors']} error(s), {report['warnings']} warning(s)"
              + (f" ({kinds})" if kinds else "") + ".")  # fmt: skip
    if has_errors(problems, strict=strict):
        raise typer.Exit(1)


@app.command("schema")
def schema(
    project: Annotated[str, typer.Argument(help="Project folder name, e.g. claims.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Default: schemas/projects/PROJECT.schema.json.")
    ] = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Write the JSON Schema for a project's exports, generated from its label config; print its path."""
    from .validate import project_schema, rules_from_config

    spec = _project(project, projects_dir)
    path = output or Path("schemas") / "projects" / f"{project}.schema.json"
    rules = rules_from_config(spec.label_config, spec.task_fields())
    text = json.dumps(project_schema(project, rules), indent=2, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    typer.echo(path)


# promote --------------------------------------------------------------------------------------
@app.command("promote")
def promote(
    files: Annotated[list[Path], typer.Argument(help="Exports of the claims project (full JSON), or folders.")],
    to: Annotated[str, typer.Option("--to", help="The verification project's folder name.")] = "verification",
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be created; create nothing.")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Make one verification task per CLAIM span of each sentence whose gold claim_status is
    claim_checkworthy. Idempotent by claim_id: a rerun creates nothing; changed claims are reported."""
    from .load import load_tasks
    from .normalize import gc_paused
    from .projects import require_project
    from .promote import COMPARED, verification_records
    from .validate import export_files

    spec = _project(to, projects_dir)
    with gc_paused(exiting=True):
        collection = _valid_collection(list(export_files(files)))
        records = verification_records(collection.part(verification=False))
    client = _connect(url)
    project_id = require_project(client, spec, config_dir=_config_dir())
    report = load_tasks(
        client, project_id, records, journal_path=_config_dir() / "load-journal.json", fields=spec.data_fields(),
        dry_run=dry_run, log=_info, key="claim_id", compare=COMPARED,
    )  # fmt: skip
    for cid in report.changed:
        _info(f"Warning: claim {cid} is already in {to!r} with a different text, normalised claim or source; "
              "left unchanged")  # fmt: skip
    verb = "would create" if dry_run else "created"
    _emit(
        {"claims": len(records)} | report.as_dict() | {"project_id": project_id, "dry_run": dry_run},
        fmt,
        f"{len(records)} check-worthy claim(s): {verb} {report.created} verification task(s), already present "
        f"{report.present}, changed {len(report.changed)} (project {to!r}, id {project_id})",
    )


# adjudicate -----------------------------------------------------------------------------------
@app.command("adjudicate")
def adjudicate(
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Send the tasks whose annotators disagree to the review project PROJECT-adjudication (created if
    needed, same label config), each with every annotator's version as a prediction."""
    import tempfile

    from .adjudicate import review_tasks, unit_key
    from .jsonstream import iter_array
    from .load import load_tasks
    from .normalize import collect, gc_paused
    from .projects import adjudication_spec, ensure_project, require_project

    spec = _project(project, projects_dir)
    client = _connect(url)
    project_id = require_project(client, spec, config_dir=_config_dir())
    _info(f"Reading the annotations of project {project!r} (id {project_id}) ...")
    with tempfile.TemporaryDirectory(prefix="annotate-") as tmp, gc_paused(exiting=True):
        path = Path(tmp) / "export.json"
        with path.open("wb") as out:
            client.export_snapshot(project_id, out)
        records, predictions = review_tasks(collect([iter_array(path)]), project_id)
    review = adjudication_spec(spec)
    review_id, created = ensure_project(client, review, config_dir=_config_dir())
    report = load_tasks(
        client, review_id, records, journal_path=_config_dir() / "load-journal.json", fields=review.data_fields(),
        log=_info, key=unit_key(records), compare=("versions",), predictions=predictions,
    )  # fmt: skip
    # Importing predictions makes the last one's version the project's active one, which the label
    # stream would pre-fill: no annotator's version should be the default, so none is active.
    client.set_model_version(review_id, "")
    for sid in report.changed:
        _info(f"Warning: {sid} is already in review with other annotators' versions; left unchanged")
    _emit(
        {"disagreeing": len(records)} | report.as_dict()
        | {"project_id": project_id, "review_project": review.name, "review_project_id": review_id,
           "review_project_created": created},
        fmt,
        f"{len(records)} disagreeing task(s): created {report.created} review task(s), already present "
        f"{report.present} (review project {review.name!r}, id {review_id}{', new' if created else ''}; "
        f"open {client.url}/projects/{review_id})",
    )  # fmt: skip


# combine --------------------------------------------------------------------------------------
class MappingMode(StrEnum):
    strict = "strict"
    lenient = "lenient"


class TableFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


@app.command("combine")
def combine(
    files: Annotated[list[Path], typer.Argument(help="Export files (full JSON), or folders of them.")],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Folder for the dataset.")],
    formats: Annotated[
        list[TableFormat] | None,
        typer.Option("--format", help="Table format; repeat for several. Default: parquet and csv."),
    ] = None,
    keep_identity: Annotated[
        bool, typer.Option("--keep-annotator-identity", help="Keep annotators' e-mails instead of hashed ids.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the article-grouped split.")] = 13,
    split: Annotated[str, typer.Option("--split", help="train/dev/test shares in percent.")] = "80/10/10",
    verdict_mapping: Annotated[
        MappingMode,
        typer.Option(
            "--verdict-mapping",
            help="strict: verdicts the mapping marks lossy are left out of FEVER; lenient: they are mapped.",
        ),
    ] = MappingMode.strict,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Validate exports, then write the dataset: from claims exports the tables (annotations,
    sentences, claims, sources, relations), gold labels, article-grouped splits and benchmark
    formats; from verification exports the verdicts table, FEVER JSONL and ClaimReview JSON-LD."""
    from .datasets import SplitPlan
    from .normalize import gc_paused
    from .validate import export_files

    try:
        shares = tuple(float(x) / 100 for x in split.split("/"))
    except ValueError:
        shares = ()
    if len(shares) != 3 or abs(sum(shares) - 1) > 1e-6 or min(shares) < 0:
        raise typer.BadParameter("give three percentages that add up to 100, e.g. 80/10/10", param_hint="--split")
    paths = list(export_files(files))
    from .errors import ProjectNotFound
    from .resources import shipped_projects_dir

    try:  # the reviewing organisation and the verdict mapping
        verification = _project("verification", projects_dir)
    except ProjectNotFound:
        verification = _project("verification", shipped_projects_dir())
    organization = verification.settings.get("reviewing_organization") or {}
    with gc_paused(exiting=True):
        _combine(paths, output_dir, keep_identity=keep_identity, plan=SplitPlan(shares, seed),
                 formats=tuple(f.value for f in formats or []) or ("parquet", "csv"), mode=verdict_mapping.value,
                 organization=organization, mapping_path=verification.folder / "verdict-mapping.json")  # fmt: skip


def _valid_collection(paths: list[Path], *, keep_identity: bool = False) -> Any:
    """The exports' tasks, validated on the way in: warnings are shown, errors stop here."""
    from .normalize import collect
    from .validate import has_errors, validated

    problems: list = []
    collection = collect((validated(p, problems) for p in paths), keep_identity=keep_identity)
    for problem in problems:
        _info(problem.line())
    if has_errors(problems):
        bad = sorted({p.file for p in problems if p.severity == "error"})
        raise InputError(f"{', '.join(bad)}: not a valid export", hint=f"see `annotate validate {' '.join(bad)}`")
    return collection


def _combine(
    paths: list[Path], output_dir: Path, *, keep_identity: bool, plan: Any, formats: tuple[str, ...], mode: str,
    organization: dict[str, Any], mapping_path: Path,
) -> None:  # fmt: skip
    from .datasets import build_dataset
    from .verdicts import card_section, write_verdicts

    collection = _valid_collection(paths, keep_identity=keep_identity)
    if not collection.sentences:
        _info("Warning: the exports hold no tasks; the dataset is empty.")
    for line in collection.replaced:
        _info(f"Warning: {line}")
    claims, verification = collection.part(verification=False), collection.part(verification=True)
    written: list[str] = []
    if claims.sentences or not verification.sentences:
        report = build_dataset(claims, output_dir, plan=plan, formats=formats, sources=paths)
        written += report["written"]
        rows = ", ".join(f"{n} {name}" for name, n in report["rows"].items())
        _info(f"{len(paths)} export(s) -> {rows}; splits {report['split_sizes']}; gold {report['gold_rules']}.")
    if verification.sentences:
        verdicts = write_verdicts(verification, output_dir, mode=mode, organization=organization, formats=formats,
                                  mapping_path=mapping_path)  # fmt: skip
        written += verdicts["written"]
        card = output_dir / "README.md"
        head = card.read_text(encoding="utf-8") if card.exists() and claims.sentences else VERDICT_CARD_HEAD
        card.write_text(head + "\n" + "\n".join(card_section(verdicts)), encoding="utf-8")
        if not claims.sentences:
            written.append(str(card))
        _info(
            f"{verdicts['claims']} claim(s) -> verdicts {verdicts['verdicts']}; FEVER {verdicts['fever']} "
            f"(left out {verdicts['fever_skipped']}); ClaimReview {verdicts['claimreview']} "
            f"(left out {verdicts['claimreview_skipped']}); mapping {verdicts['mapping_version']}, {mode}."
        )
    for path in written:
        typer.echo(path)


VERDICT_CARD_HEAD = (
    "# Verdict dataset\n\nMade by `annotate combine` from Label Studio exports of the verification project.\n"
)


@app.command("agreement")
def agreement(
    files: Annotated[list[Path], typer.Argument(help="Export files (full JSON), or folders of them.")],
    list_disagreements: Annotated[
        bool, typer.Option("--disagreements", help="List the sentences whose annotators disagree.")
    ] = False,
    keep_identity: Annotated[
        bool, typer.Option("--keep-annotator-identity", help="Name annotators by e-mail instead of hashed ids.")
    ] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Inter-annotator agreement: Krippendorff's alpha, Cohen's and Fleiss' kappa, span F1, per label."""
    from .agreement import agreement_report, disagreements
    from .datasets import golds
    from .jsonstream import iter_array
    from .normalize import collect, gc_paused
    from .validate import export_files

    with gc_paused(exiting=True):
        collection = collect((iter_array(p) for p in export_files(files)), keep_identity=keep_identity)
        report = agreement_report(collection, {sid: g[0] for sid, g in golds(collection).items()})
        if list_disagreements:
            report["disagreement_list"] = disagreements(collection)
    if fmt is Format.json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    status = report["claim_status"]
    typer.echo(f"claim_status: Krippendorff's alpha {status['krippendorff_alpha']} ({status['items']} sentences, "
               f"{status['items_with_2_or_more']} with 2+ annotators, {status['annotators']} annotators)")  # fmt: skip
    typer.echo(f"  Fleiss' kappa {status['fleiss_kappa']}")
    for pair, values in status["cohen_kappa_pairs"].items():
        typer.echo(f"  Cohen's kappa {pair}: {values['cohen_kappa']} ({values['items']} sentences)")
    for label, alpha in status["alpha_per_label"].items():
        typer.echo(f"  alpha {label}: {alpha}")
    for claim_type, values in report["claim_types"].items():
        fleiss = (values["fleiss_kappa"] or {}).get("kappa")
        typer.echo(f"claim_types {claim_type}: alpha {values['krippendorff_alpha']}, Fleiss' kappa {fleiss}, "
                   f"Cohen's kappa {[p['cohen_kappa'] for p in values['cohen_kappa_pairs'].values()]}")  # fmt: skip
    for label, values in report["spans"].items():
        typer.echo(f"{label} spans: exact F1 {values['exact_f1']}, overlap F1 {values['overlap_f1']}")
    for who, values in report["annotators"].items():
        typer.echo(f"{who}: agrees with gold on {values['agrees_with_gold']:.0%} of {values['items']} sentences")
    for item in report.get("disagreement_list", []):
        answers = ", ".join(f"{who}={answer}" for who, answer in item["answers"].items())
        typer.echo(f"disagreement {item['sentence_id']}: {answers}: {item['text']}")


def main() -> None:
    app()
