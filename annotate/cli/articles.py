"""`annotate split` and `annotate load`: articles to tasks, tasks into a project."""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
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
    progress_bar,
    project_spec,
)  # fmt: skip
from annotate.errors import InputError


# split ----------------------------------------------------------------------------------------
@app.command("split")
def split(
    articles: Annotated[
        list[str],
        typer.Argument(help="Article files (.txt .md .html .json .jsonl), tables of sentences (.tsv .csv: one "
                       "task per row), directories, globs, or - for stdin."),
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
    corpus: Annotated[
        str | None,
        typer.Option("--corpus", help="Tables: the corpus name; sentence_id is CORPUS:ID. Default: the file's stem."),
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="Tables: the column of row ids.")] = None,
    text_column: Annotated[str | None, typer.Option("--text-column", help="Tables: the column of texts.")] = None,
    article_column: Annotated[
        str | None, typer.Option("--article-column", help="Tables: the column that groups rows into articles.")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option("--label-column", help="Tables: the column of reference labels.")
    ] = None,
) -> None:
    """Split articles into one task per sentence or heading (JSONL), with exact offsets and stable ids.

    Tables (.tsv, .csv) are sentences already: one task per row, with the row's id (source_id),
    label (reference_label) and split (source_split, from the file name). CheckThat! and ClaimBuster
    headers are recognised; other tables name their columns with --id-column and --text-column."""
    from annotate.articles.rows import Columns
    from annotate.articles.segment import get_splitter
    from annotate.articles.tasks import split_sources

    stdin = sys.stdin.buffer.read() if "-" in articles else None
    if articles_file is None and output is not None:
        articles_file = output.with_name(f"{output.stem}.articles.jsonl")
    items = split_sources(articles, splitter=get_splitter(splitter), encoding=encoding, stdin=stdin, corpus=corpus,
                          columns=Columns(id_column, text_column, article_column, label_column))  # fmt: skip
    ok, failed, tasks = _write_split(items, output, articles_file, show_removed=show_removed)
    info(f"Split {ok} article(s) into {tasks} tasks; {failed} failed.")
    if failed:
        raise typer.Exit(1)


def _write_split(
    items: Any, output: Path | None, articles_file: Path | None, *, show_removed: bool
) -> tuple[int, int, int]:
    """Write the tasks and articles of split_sources' items; report each failed input and go on."""
    from annotate.articles.tasks import write_jsonl

    ok = failed = tasks = 0
    try:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        articles_out = articles_file.open("w", encoding="utf-8") if articles_file else None
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename}: {exc.strerror}") from None
    with out if output else contextlib.nullcontext(), articles_out or contextlib.nullcontext():
        for item in items:
            if isinstance(item, InputError):
                # Report and go on: one bad file must not cost the others.
                info(f"Error: {item.message}" + (f" ({item.hint})" if item.hint else ""))
                failed += 1
                continue
            ok += 1
            tasks += write_jsonl(item.records, out)
            if articles_out:
                record = item.article.record() | {"splitter": item.records[0]["splitter"]}
                write_jsonl([record], articles_out)
            if item.article.removed_characters:
                info(f"{item.article.path}: removed {item.article.removed_characters} characters "
                      "Label Studio cannot store")  # fmt: skip
            if show_removed:
                for r in item.removed:
                    info(f"{item.article.path}:{r.line}: removed ({r.reason}): {r.text}")
    return ok, failed, tasks


class ReferenceAs(StrEnum):
    hidden = "hidden"
    predictions = "predictions"


# load -----------------------------------------------------------------------------------------
@app.command("load")
def load(
    task_files: Annotated[list[Path], typer.Argument(help="Task files (JSONL) written by `annotate split`.")],
    project: Annotated[str, typer.Option("--project", help="Project folder name, e.g. claims.")],
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be loaded; load nothing.")] = False,
    reference_as: Annotated[
        ReferenceAs,
        typer.Option(
            "--reference-as",
            help="Reference labels of benchmark rows: hidden (kept in the task's meta, out of the annotators' sight; "
            "`annotate agreement` scores annotators against them) or predictions (shown as the active suggestions).",
        ),
    ] = ReferenceAs.hidden,
    fmt: FormatOption = Format.text,
) -> None:
    """Load tasks into a project. Idempotent: tasks already there (by sentence_id) are skipped."""
    from annotate.labelstudio.load import load_files

    with progress_bar("Loading tasks") as progress:
        report = load_files(connect(url), project_spec(project, projects_dir), task_files, config_dir=config_dir(),
                            dry_run=dry_run, progress=progress, log=info,
                            reference_as=reference_as.value)  # fmt: skip
    emit(report.as_dict(), fmt, report.text())
    if report.rejected:
        raise typer.Exit(1)
