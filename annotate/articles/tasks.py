"""Turn split articles into Label Studio task records (one per unit), and read them back."""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from annotate.articles.boilerplate import Removed, find_boilerplate
from annotate.articles.language import AUTO, CONFIDENCE_FLOOR, ENGLISH, check_language, detect
from annotate.articles.read import (
    SUFFIXES,
    Article,
    check_encoding,
    check_input_format,
    expand_sources,
    printable,
    read_articles,
)
from annotate.articles.rows import Columns, is_row_file, read_rows
from annotate.articles.segment import Splitter, default_splitter, get_splitter, split_text
from annotate.articles.splitting_rules import load_rules, rules_languages
from annotate.errors import InputError, UsageError, unreadable
from annotate.outputs import atomic_file, refuse_overwriting_inputs
from annotate.vocabulary import (
    ARTICLE_ID,
    CHAR_END,
    CHAR_START,
    CORPUS,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SENTENCE_INDEX,
    TASK_FIELDS,
    TEXT,
)

# Every task record has these fields; `load`, validation and datasets rely on them.


def sentence_id(article_id: str, char_start: int | None) -> str:
    """Stable across machines and reruns: the article id and where the unit starts in the article.

    The article id is the record's own id or a hash of the normalised text, so any change to the
    text changes every id of a hashed article. A different splitter keeps the ids of units that
    start at the same place; a unit whose end moved keeps its id (and `load` reports its new text).
    """
    return f"{article_id}-title" if char_start is None else f"{article_id}-{char_start}"


Detected = tuple[str, float | None]  # (ISO 639-1 code, confidence of its detection, None when given)


def article_tasks(article: Article, *, splitter: Splitter | None = None, language: Detected | None = None
                  ) -> tuple[list[dict[str, Any]], list[Removed]]:  # fmt: skip
    """Task records for one article, and the boilerplate lines left out. `language`: (ISO 639-1
    code, confidence of its detection or None when given), recorded in each task."""
    splitter = splitter or default_splitter()
    removed = find_boilerplate(article.text)
    units: list[tuple[str, int | None, int | None, str]] = []
    if article.title and not article.title_in_text:
        units.append(("heading", None, None, article.title))
    for unit in split_text(article.text, splitter=splitter, skip=[r.start for r in removed]):
        # The title line of a txt/md article is a heading even when it ends with "?" or ".".
        kind = "heading" if article.title_in_text and not units else unit.kind
        units.append((kind, unit.start, unit.end, unit.text))
    name = f"{splitter.name}/{splitter.version}"
    records = []
    for index, (kind, start, end, text) in enumerate(units):
        records.append(
            {
                "text": text,
                "kind": kind,
                ARTICLE_ID: article.article_id,
                SENTENCE_ID: sentence_id(article.article_id, start),
                SENTENCE_INDEX: index,
                CHAR_START: start,
                CHAR_END: end,
                "title": article.title,
                "url": article.url,
                "source": article.source,
                "published": article.published,
                "context_before": units[index - 1][3] if index > 0 else "",
                "context_after": units[index + 1][3] if index + 1 < len(units) else "",
                "splitter": name,
            }
            | ({"language": language[0], "language_confidence": language[1]} if language else {})
        )
    return records, removed


@dataclass
class SplitArticle:
    article: Article
    records: list[dict[str, Any]]
    removed: list[Removed]
    notes: list[str] = field(default_factory=list)  # warnings about this article (its language)


class _Splitters:
    """The splitter for each article: `splitter` for English (so an English article's ids never
    depend on detection), the same kind of splitter in the article's language otherwise."""

    def __init__(self, splitter: Splitter, language: str) -> None:
        self.splitter, self.language = splitter, language
        self._made: dict[str, Splitter] = {ENGLISH: splitter}

    def choose(self, article: Article) -> tuple[Splitter, Detected, list[str]]:
        notes = []
        if self.language != AUTO:
            code, confidence = self.language, None
        else:
            code, confidence = detect(article.text)
            if confidence < CONFIDENCE_FLOOR:
                notes.append(
                    f"{article.path}: its language is unclear ({code}, {confidence:.2f} < "
                    f"{CONFIDENCE_FLOOR}); split with the English rules (give --language to choose)"
                )
                code = ENGLISH
        if code not in self._made:
            self._made[code] = get_splitter(self.splitter.name, code)
            if load_rules(code) is None:  # said once a run, with the first article in that language
                notes.append(
                    f"{article.path}: annotate has no splitting rules of its own for '{code}' (it has "
                    f"{', '.join(rules_languages())}); split with sentencex's, its rules for '{code}' where it "
                    "has them, else its fallback, which ends with English's: check a few sentences"
                )
        return self._made[code], (code, confidence), notes


def split_sources(
    sources: list[str | InputError],
    *,
    splitter: Splitter | None = None,
    encoding: str | None = None,
    stdin: bytes | None = None,
    input_format: str = "auto",
    corpus: str | None = None,
    columns: Columns | None = None,
    language: str = AUTO,
) -> Iterator[SplitArticle | InputError]:
    """Split every article the sources name; a source that fails is yielded as its error, in order
    (an InputError among the sources, from expand_sources, is passed on as it is).
    A .tsv or .csv file is a row corpus: one task per row, never re-split (rows.py).
    `language`: auto (detected per article, see annotate.articles.language) or an ISO 639-1 code."""
    splitter = splitter or default_splitter()
    splitters = _Splitters(splitter, language)
    for source in sources:
        items = [source] if isinstance(source, InputError) else expand_sources([source])
        for item in items:
            if isinstance(item, InputError):
                yield item
                continue
            if is_row_file(item):
                try:
                    rows = read_rows(Path(item), corpus=corpus, columns=columns, encoding=encoding)
                except InputError as exc:
                    yield exc
                    continue
                yield SplitArticle(rows.article(), rows.records, [])
                continue
            for article in read_articles(item, encoding=encoding, stdin=stdin, input_format=input_format):
                if isinstance(article, InputError):
                    yield article
                    continue
                chosen, detected, notes = splitters.choose(article)
                records, removed = article_tasks(article, splitter=chosen, language=detected)
                if not records:
                    yield InputError(
                        f"{article.path}: nothing to annotate (every line is boilerplate or blank)",
                        hint="--show-removed lists each line left out and why",
                    )
                    continue
                yield SplitArticle(article, records, removed, notes)


def write_jsonl(records: Iterable[dict[str, Any]], fh: Any) -> int:
    count = 0
    for record in records:
        fh.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        count += 1
    return count


@dataclass
class SplitReport:
    """What `split_to_files` did. `problems` are the inputs that failed (each counted once)."""

    articles: int = 0
    tasks: int = 0
    problems: list[InputError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.problems)


def articles_path(output: Path) -> Path:
    """Where the articles file goes by default: NAME.articles.jsonl beside the tasks file NAME.jsonl."""
    return output.with_name(f"{output.stem}.articles.jsonl")


def split_to_files(
    sources: list[str],
    *,
    output: Path | None,
    articles_output: Path | None,
    stdout: IO[str] | None = None,
    splitter: str = "news",
    encoding: str | None = None,
    input_format: str = "auto",
    stdin: bytes | None = None,
    corpus: str | None = None,
    columns: Columns | None = None,
    show_removed: bool = False,
    language: str = AUTO,
    log: Callable[[str], None] = lambda _line: None,
) -> SplitReport:
    """Split the articles the sources name into task records, written to `output` (else `stdout`),
    and the normalised articles to `articles_output` (if given). `log` receives each warning and
    error line as it happens (with `show_removed`, each boilerplate line left out too).

    A source that fails is reported through `log` ("Error: ..." lines) and counted; the others are
    still split. Files are written aside and moved into place only when at least one article was
    split: a run where every input fails leaves existing outputs byte-identical. Article ids must be
    unique: a second article with an id already used is an error naming both records (the same
    article twice, giving the same tasks, is a warning and one copy is kept).
    Tables (.tsv, .csv) give one task per row (`corpus`, `columns`: see rows.read_rows).
    UsageError for an unknown splitter, encoding or input format, or an output that is an input.
    """
    chosen = get_splitter(splitter)
    check_language(language)
    check_encoding(encoding)
    check_input_format(input_format)
    expanded = [item for source in sources for item in expand_sources([source])]
    inputs = [Path(item) for item in expanded if isinstance(item, str) and item != "-"]
    refuse_overwriting_inputs({"-o": output, "--articles": articles_output}, inputs)
    _refuse_outputs_in_input_folders({"-o": output, "--articles": articles_output}, sources)
    report = SplitReport()
    try:
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(atomic_file(output)) if output else stdout
            articles_out = stack.enter_context(atomic_file(articles_output)) if articles_output else None
            seen: dict[str, tuple[str, str]] = {}
            for item in split_sources(expanded, splitter=chosen, encoding=encoding, stdin=stdin,
                                      input_format=input_format, corpus=corpus, columns=columns,
                                      language=language):  # fmt: skip
                if isinstance(item, SplitArticle):
                    item = _unique(item, seen, log)
                if isinstance(item, InputError):
                    # Report and go on: one bad file must not cost the others.
                    log(f"Error: {item.message}" + (f" ({item.hint})" if item.hint else ""))
                    report.problems.append(item)
                elif item is not None:
                    report.articles += 1
                    report.tasks += write_jsonl(item.records, out)
                    if articles_out:
                        write_jsonl([item.article.record() | {"splitter": item.records[0]["splitter"]}], articles_out)
                    _log_removed(item, log, show_removed=show_removed)
                    _log_long(item, log)
                    for note in item.notes:
                        log(f"Warning: {note}")
            if not report.articles:
                raise _NothingSplit  # leaves the outputs as they were
    except _NothingSplit:
        return report
    report.written = [p for p in (output, articles_output) if p]
    return report


def _refuse_outputs_in_input_folders(outputs: dict[str, Path | None], sources: list[str]) -> None:
    """An output inside a folder being split would be read as articles by the next run."""
    folders = [Path(s).resolve() for s in sources if s != "-" and Path(s).is_dir()]
    for option, path in outputs.items():
        if path is None or path.suffix.lower() not in SUFFIXES:
            continue
        for folder in folders:
            if folder in path.resolve().parents:
                raise UsageError(f"{option} {path} is inside {folder}, which is being split: the next run "
                                 "would read it as articles", hint=f"write {option} outside {folder}")  # fmt: skip


class _NothingSplit(Exception):
    pass


LONG_UNIT = 5_000  # characters: longer than any sentence an annotator can read as one


def _log_long(item: SplitArticle, log: Callable[[str], None]) -> None:
    long = [r for r in item.records if len(r["text"]) > LONG_UNIT]
    if long:
        first = long[0]
        log(f"Warning: {item.article.path}: {len(long)} task(s) over {LONG_UNIT:,} characters (first "
            f"{first[SENTENCE_ID]}, {len(first['text']):,}): no sentence end found there (a page without "
            "punctuation, or a table?); annotators would get it as one sentence")  # fmt: skip


def _log_removed(item: SplitArticle, log: Callable[[str], None], *, show_removed: bool) -> None:
    if item.article.removed_characters:
        log(f"{item.article.path}: removed {item.article.removed_characters} characters Label Studio cannot store")
    if show_removed:
        for r in item.removed:
            log(f"{item.article.path}:{r.line}: removed ({r.reason}): {r.text}")


def _unique(
    item: SplitArticle, seen: dict[str, tuple[str, str]], log: Callable[[str], None]
) -> SplitArticle | InputError | None:
    """The article, or an error when its id is taken by another article, or None for an exact repeat."""
    article = item.article
    tasks = json.dumps(item.records, sort_keys=True)
    if article.article_id not in seen:
        seen[article.article_id] = (article.path, tasks)
        return item
    first, first_tasks = seen[article.article_id]
    if tasks == first_tasks:
        log(f"Warning: {article.path}: the same article as {first} (id {article.article_id!r}); kept one copy")
        return None
    return InputError(
        f"{article.path}: article id {article.article_id!r} is already used by {first}, with other text",
        hint='give each article its own id (or leave "id" out: the id is then a hash of the text)',
    )


# What breaks a Label Studio project when loaded: lone surrogates (its task list and exports fail)
# and NUL (PostgreSQL refuses it). `split` never writes them.
_BREAKS_LABEL_STUDIO = re.compile("[\x00\ud800-\udfff]")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _NotJSON(ValueError):
    """NaN or Infinity in a task line."""


def _reject_constant(name: str) -> Any:
    raise _NotJSON(f"{name} is not valid JSON; write null or a number")


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NotJSON(f"{text} is beyond the range of a number")
    return value


def _bad_strings(value: Any, where: str, depth: int = 0) -> Iterator[str]:
    """JSON paths of strings holding characters Label Studio cannot store (lone surrogates, NUL, ...)."""
    if depth > 20:
        yield f"{where}: nested too deeply"
    elif isinstance(value, str):
        if _BREAKS_LABEL_STUDIO.search(value):
            yield f"{where} holds a lone surrogate or a NUL character, which Label Studio cannot store"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _bad_strings(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_strings(item, f"{where}.{printable(str(key))}", depth + 1)


def _check_record(record: Any, *, strings: bool = True) -> str | None:
    """What is wrong with a task record, or None. `strings`: look into every string (_bad_strings)."""
    if not isinstance(record, dict):
        return "a task record must be a JSON object"
    missing = [f for f in TASK_FIELDS if f not in record]
    if missing:
        return f"task record lacks {', '.join(missing)}"
    problems = []
    if not isinstance(record[TEXT], str) or not record[TEXT].strip():
        problems.append("task text must be a non-empty string")
    for key in (SENTENCE_ID, ARTICLE_ID):
        if not isinstance(record[key], str) or not record[key].strip():
            problems.append(f"{key} must be a non-empty string")
    if not _is_int(record[SENTENCE_INDEX]):
        problems.append(f"{SENTENCE_INDEX} must be an integer")
    for key in (CHAR_START, CHAR_END):
        if record[key] is not None and not _is_int(record[key]):
            problems.append(f"{key} must be an integer or null")
    if strings:
        problems += _bad_strings(record, "$")
    return "; ".join(problems) or None


# A JSON line holds a NUL or a lone surrogate only as a \u escape (JSON strings have no raw control
# characters, and a surrogate cannot be UTF-8), and nests as deep as _bad_strings stops only with
# that many brackets: a line with neither need not be walked string by string (half a pass's time).
_MAY_BREAK_LABEL_STUDIO = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def _may_hold_bad_strings(line: str) -> bool:
    return line.count("{") + line.count("[") > 20 or _MAY_BREAK_LABEL_STUDIO.search(line) is not None


def task_lines(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Each non-blank line of a JSONL task file, read one at a time: (line number, the record, None)
    for a good record, (line number, None, the located message) for a bad one. InputError for a file
    that cannot be read or is not UTF-8 (raised when the reader reaches the bad byte)."""
    try:
        with path.open("rb") as fh:
            yield from _task_lines(path, fh)
    except OSError as exc:
        raise unreadable(path, exc, expected="a JSONL task file") from None


def _task_lines(path: Path, fh: IO[bytes]) -> Iterator[tuple[int, Any, str | None]]:
    offset = 0
    # Only "\n" ends a line (a binary file's lines end there): str.splitlines() would also cut at
    # U+2028, which JSON allows in strings. A "\n" byte is never inside a UTF-8 sequence.
    for lineno, raw in enumerate(fh, 1):
        skip = len(codecs.BOM_UTF8) if lineno == 1 and raw.startswith(codecs.BOM_UTF8) else 0
        try:
            line = raw[skip:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-8 at byte {offset + skip + exc.start}",
                             hint="task files are UTF-8 JSONL; make them with `annotate split`") from None  # fmt: skip
        offset += len(raw)
        if not line.strip():
            continue
        record, problem = _parse_task(line)
        yield lineno, record, None if problem is None else f"{path}:{lineno}: {problem}"


def _parse_task(line: str) -> tuple[Any, str | None]:
    """The record on one line, or None and what is wrong with it."""
    try:
        record = json.loads(line, parse_constant=_reject_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg}, column {exc.colno})"
    except _NotJSON as exc:
        return None, str(exc)
    except RecursionError:
        return None, "nested too deeply to be a task record"
    except ValueError as exc:  # an integer of more than 4300 digits
        return None, f"not readable JSON ({exc})"
    problem = _check_record(record, strings=_may_hold_bad_strings(line))
    if problem:
        return None, f"{problem} (make task files with `annotate split`)"
    return record, None


@dataclass
class TaskFiles:
    """Task files read as a stream, twice: `scan` reads every line once and keeps only what must be
    known before loading (the bad lines' messages, how many good records, their reference labels
    per corpus); iterating reads the files again and yields the good records one at a time."""

    paths: list[Path]
    rejected: list[str] = field(default_factory=list)  # one located message per bad line, in order
    count: int = 0  # good records
    references: int = 0  # good records with a reference label
    reference_labels: dict[str, set[str]] = field(default_factory=dict)  # corpus -> labels seen
    _bad: set[tuple[int, int]] = field(default_factory=set, repr=False)  # (file index, line number)

    @classmethod
    def scan(cls, paths: Iterable[Path]) -> TaskFiles:
        """Check every line of every file. InputError for an unreadable or non-UTF-8 file."""
        found = cls(list(paths))
        for index, path in enumerate(found.paths):
            if path.suffix.lower() in (".tsv", ".csv"):
                found.rejected.append(f"{path}: a table (one sentence a row), not task records: `annotate split "
                                      f"{path} -o tasks.jsonl` makes them, then load tasks.jsonl")  # fmt: skip
                found._bad.add((index, 0))
                continue
            for lineno, record, problem in task_lines(path):
                if problem is not None:
                    found.rejected.append(problem)
                    found._bad.add((index, lineno))
                    continue
                found.count += 1
                if record.get(REFERENCE_LABEL) is not None:
                    found.references += 1
                    found.reference_labels.setdefault(str(record.get(CORPUS)), set()).add(str(record[REFERENCE_LABEL]))
        return found

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The good records, read again. InputError when a file changed since the scan."""
        for index, path in enumerate(self.paths):
            if (index, 0) in self._bad:  # a table: left out at the scan
                continue
            for lineno, record, problem in task_lines(path):
                if problem is None:
                    yield record
                elif (index, lineno) not in self._bad:
                    raise InputError(f"{problem}: {path} changed while it was being loaded",
                                     hint="load it again when it no longer changes")  # fmt: skip
