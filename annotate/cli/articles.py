"""`annotate split` and `annotate load`: articles to tasks, tasks into a project."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.app import (
    Format,
    FormatOption,
    ProjectsDirOption,
    SafeStdout,
    UrlOption,
    app,
    config_dir,
    connect,
    emit,
    info,
    progress_bar,
    project_spec,
)  # fmt: skip


# split ----------------------------------------------------------------------------------------
@app.command("split")
def split(
    articles: Annotated[
        list[str],
        typer.Argument(
            help="Article files (.txt .md .html .json .jsonl), tables of sentences (.tsv .csv: one "
            "task per row), directories, globs, or - for stdin."
        ),
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
    language: Annotated[
        str,
        typer.Option(
            "--language",
            help="The articles' language (ISO 639-1, e.g. es), or auto: detected per article and recorded in each "
            "task (language, language_confidence); unclear ones are split with the English rules, with a warning.",
        ),
    ] = "auto",
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Decode files with this encoding instead of UTF-8/UTF-16.")
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            "--input-format",
            help="Read every input as text, markdown, html, json or jsonl. "
            "Default auto: by suffix; stdin is HTML when it starts like a page, else text.",
        ),
    ] = "auto",
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
    from annotate.articles.tasks import articles_path, split_to_files

    if articles_file is None and output is not None:
        articles_file = articles_path(output)
    report = split_to_files(
        articles, output=output, articles_output=articles_file, stdout=SafeStdout(), splitter=splitter,
        language=language,
        encoding=encoding, input_format=input_format, show_removed=show_removed, log=info, corpus=corpus,
        columns=Columns(id_column, text_column, article_column, label_column),
        stdin=sys.stdin.buffer.read() if "-" in articles else None,
    )  # fmt: skip
    unchanged = " (nothing written)" if output and not report.written else ""
    info(f"Split {report.articles} article(s) into {report.tasks} tasks; {report.failed} failed.{unchanged}")
    if report.failed:
        raise typer.Exit(1)


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
    from annotate.labelstudio.api.load import load_files

    with progress_bar("Loading tasks") as progress:
        report = load_files(connect(url), project_spec(project, projects_dir), task_files, config_dir=config_dir(),
                            dry_run=dry_run, progress=progress, log=info,
                            reference_as=reference_as.value)  # fmt: skip
    emit(report.as_dict(), fmt, report.text())
    if report.rejected:
        raise typer.Exit(1)
