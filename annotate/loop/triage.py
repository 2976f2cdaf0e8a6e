"""The morning triage (`annotate triage`): the day's articles split as `split` splits them, every
sentence scored by the check-worthiness model, the same sentence in several outlets made one row,
the rows ranked by check-worthiness, and the check-worthy ones matched against past checks
(match.match_texts, as `match` does): "already checked" where a check is from the safe cut, the
best others as candidates. Written to a folder as triage.html (annotate.loop.triagepage),
triage.csv and triage.jsonl.

Each sentence is embedded once: the model and the matcher go through the one vector cache (a
sentence the matcher cleans, e.g. one holding a URL, is embedded a second time as cleaned).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.articles.read import expand_sources
from annotate.articles.tasks import SplitArticle, split_sources
from annotate.errors import AnnotateError, InputError
from annotate.inputs import read_json, read_table
from annotate.loop.fusion import Semantic, language_of, settings_for
from annotate.loop.match import Match, match_texts, read_past, safe_and_candidates
from annotate.loop.triageload import Loaded, Target, load_day
from annotate.vocabulary import ARTICLE_ID, CLAIM_CHECKWORTHY, CLAIM_STATUS, SENTENCE_ID, TEXT, VERDICT

TRIAGE_FILES = ("triage.html", "triage.csv", "triage.jsonl")
COLUMNS = ("rank", SENTENCE_ID, TEXT, "checkworthiness", CLAIM_STATUS, "certainty", "outlets", "article_ids",
           "titles", "sources", "urls", "topics", "language", "already_checked", VERDICT, "organization",
           "check_date", "check_url", "check_claim", "match_score", "candidates")  # fmt: skip


@dataclass
class Row:
    """One sentence of the day (every outlet that printed it), its scores and past checks."""

    text: str
    records: list[dict[str, Any]]  # its task records, one per article, first seen first
    claim_status: str = ""
    certainty: float = 0.0
    checkworthiness: float = 0.0
    matches: tuple[Match, ...] = ()
    candidates: tuple[Match, ...] = ()
    topics: tuple[str, ...] = ()
    language: str = ""
    rank: int = 0

    @property
    def sentence_id(self) -> str:
        return str(self.records[0][SENTENCE_ID])

    @property
    def checkworthy(self) -> bool:
        return self.claim_status == CLAIM_CHECKWORTHY

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, SENTENCE_ID: self.sentence_id, TEXT: self.text,
                "checkworthiness": self.checkworthiness, CLAIM_STATUS: self.claim_status,
                "certainty": self.certainty, "outlets": len(self.records), "language": self.language,
                "topics": list(self.topics),
                "articles": [{k: r.get(k) for k in (ARTICLE_ID, SENTENCE_ID, "title", "source", "url", "published")}
                             for r in self.records],
                "already_checked": [m.as_dict() for m in self.matches],
                "candidates": [m.as_dict() for m in self.candidates]}  # fmt: skip

    def csv_row(self) -> list[Any]:
        first = self.matches[0] if self.matches else None
        check = first.check if first else None

        def joined(key: str) -> str:
            return " | ".join(str(r.get(key) or "") for r in self.records)

        return [self.rank, self.sentence_id, self.text, self.checkworthiness, self.claim_status, self.certainty,
                len(self.records), joined(ARTICLE_ID), joined("title"), joined("source"), joined("url"),
                " | ".join(self.topics), self.language, bool(first), check.verdict if check else "",
                check.organization if check else "", check.date if check else "", check.url if check else "",
                check.claim if check else "", first.score if first else "",
                " | ".join(m.check.id for m in self.candidates)]  # fmt: skip


@dataclass
class Triage:
    """What triage found: the rows ranked, the articles (id -> record and topics), what it used."""

    rows: list[Row]
    articles: dict[str, dict[str, Any]]
    model: dict[str, Any]
    against: dict[str, int]
    embedding: dict[str, str] | None
    day: str
    problems: list[InputError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    loaded: Loaded | None = None
    not_loaded: str = ""  # why --load failed

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.not_loaded)

    def counts(self) -> dict[str, int]:
        return {"articles": len(self.articles), "failed": len(self.problems),
                "sentences": sum(len(r.records) for r in self.rows), "unique": len(self.rows),
                "checkworthy": sum(r.checkworthy for r in self.rows),
                "already_checked": sum(bool(r.matches) for r in self.rows),
                "with_candidates": sum(bool(r.candidates) and not r.matches for r in self.rows)}  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, **self.counts(), "model": self.model["model_id"], "against": self.against,
                "embedding": self.embedding, "written": [str(p) for p in self.written],
                "problems": [p.message for p in self.problems],
                "loaded": self.loaded.as_dict() if self.loaded else None, "not_loaded": self.not_loaded}  # fmt: skip

    def text(self) -> str:
        c = self.counts()
        where = f" -> {self.written[0].parent}" if self.written else ""
        line = (f"{c['articles']} article(s), {c['sentences']} sentence(s) ({c['unique']} distinct), "
                f"{c['checkworthy']} check-worthy, {c['already_checked']} already checked, "
                f"{c['with_candidates']} with candidates{where}")  # fmt: skip
        if self.problems:
            line += f"; {len(self.problems)} input(s) failed"
        if self.loaded:
            line += f"\n{self.loaded.text()}"
        return line


def text_key(text: str) -> str:
    """Two sentences are one row when they are the same up to case and spacing."""
    return " ".join(text.split()).casefold()


def read_topics(path: Path) -> dict[str, list[str]]:
    """Topics and their keywords: a JSON object (topic -> list of keywords) or a .csv/.tsv table
    with columns topic and keywords (keywords separated by ';' or ','; a topic may take several rows)."""
    hint = 'a JSON object {"topic": ["keyword", ...]} or a table with columns topic, keywords'
    if path.suffix.lower() in (".csv", ".tsv"):
        table = read_table(path, expected="a topics table")
        header = [h.strip().casefold() for h in table.header]
        if "topic" not in header or "keywords" not in header:
            raise InputError(f"{path}: columns {', '.join(table.header) or 'none'}; topics need topic and keywords",
                             hint=hint)  # fmt: skip
        if table.problems:
            raise InputError("\n".join(p.message for p in table.problems), hint="fix those rows")
        found: dict[str, list[str]] = {}
        for row in table.rows:
            topic, words = row.cells[header.index("topic")].strip(), row.cells[header.index("keywords")]
            if topic:
                found.setdefault(topic, []).extend(w.strip() for w in re.split(r"[;,]", words) if w.strip())
        return found
    data = read_json(path, expected="a topics file")
    if not isinstance(data, dict) or not all(
            isinstance(v, list) and all(isinstance(w, str) for w in v) for v in data.values()):  # fmt: skip
        raise InputError(f"{path}: not an object of topics, each a list of keyword strings", hint=hint)
    return {str(k): [w.strip() for w in v if w.strip()] for k, v in data.items()}


def _article_topics(item: SplitArticle, keywords: dict[str, re.Pattern[str]]) -> tuple[str, ...]:
    """The article's own `topic` field (a string or list of strings), else the topics whose keywords it has."""
    own = item.article.metadata.get("topic")
    if isinstance(own, str) and own.strip():
        return (own.strip(),)
    if isinstance(own, list) and any(isinstance(t, str) and t.strip() for t in own):
        return tuple(t.strip() for t in own if isinstance(t, str) and t.strip())
    text = f"{item.article.title or ''}\n{item.article.text}"
    return tuple(topic for topic, pattern in keywords.items() if pattern.search(text))


def _patterns(topics: dict[str, list[str]]) -> dict[str, re.Pattern[str]]:
    return {t: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
            for t, words in topics.items() if words}  # fmt: skip


def gather(sources: Sequence[str], keywords: dict[str, re.Pattern[str]], log: Callable[[str], None]
           ) -> tuple[list[Row], dict[str, dict[str, Any]], list[InputError]]:  # fmt: skip
    """Split the articles; one Row per distinct sentence in first-seen order; problems per input."""
    rows: dict[str, Row] = {}
    articles: dict[str, dict[str, Any]] = {}
    problems: list[InputError] = []
    expanded = [item for source in sources for item in expand_sources([source])]
    for item in split_sources(expanded):
        if isinstance(item, InputError):
            log(f"Error: {item.message}" + (f" ({item.hint})" if item.hint else ""))
            problems.append(item)
            continue
        for note in item.notes:
            log(f"Warning: {note}")
        article_id = item.article.article_id
        if article_id in articles:  # the same article twice (two feeds): its sentences count once
            log(f"Warning: {item.article.path}: article {article_id} was read already; left out")
            continue
        topics = _article_topics(item, keywords)
        articles[article_id] = {**{k: v for k, v in item.article.record().items() if k not in ("text", "metadata")},
                                "topics": list(topics), "sentences": len(item.records)}  # fmt: skip
        for record in item.records:
            row = rows.setdefault(text_key(record[TEXT]), Row(record[TEXT], []))
            row.records.append(record)
            row.topics = tuple(dict.fromkeys([*row.topics, *topics]))
    return list(rows.values()), articles, problems


def score(rows: list[Row], model: Any, checks: list[Any], check_vectors: Any, *, semantic: Semantic | None,
          match_all: bool = False) -> list[Row]:  # fmt: skip
    """Rank the rows by the model's check-worthiness (ties by first-seen order) and give the
    check-worthy ones (every one with match_all) their past checks."""
    for row, (label, certainty, worth) in zip(rows, model.assess([r.text for r in rows]), strict=True):
        row.claim_status, row.certainty, row.checkworthiness = label, certainty, worth
        row.language = language_of(row.text)
    chosen = [r for r in rows if match_all or r.checkworthy]
    settings = settings_for(semantic)
    if checks:
        found = match_texts([r.text for r in chosen], checks, settings=settings, semantic=semantic,
                            check_vectors=check_vectors)  # fmt: skip
        for row, matches in zip(chosen, found, strict=True):
            row.matches, row.candidates = safe_and_candidates(matches, settings)
    ranked = sorted(enumerate(rows), key=lambda p: (-p[1].checkworthiness, p[0]))
    for rank, (_, row) in enumerate(ranked, 1):
        row.rank = rank
    return [row for _, row in ranked]


def jsonl(rows: Sequence[Row]) -> str:
    return "".join(json.dumps(r.as_dict(), ensure_ascii=False, default=str) + "\n" for r in rows)


def csv_text(rows: Sequence[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(r.csv_row() for r in rows)
    return out.getvalue()


def triage(sources: Sequence[str], *, model_dir: Path, against: Sequence[Path] = (), out: Path, day: str,
           topics: Path | None = None, projects_dir: Path | None = None, semantic: Semantic | None = None,
           match_all: bool = False, load: Target | None = None,
           log: Callable[[str], None] = lambda _line: None) -> Triage:  # fmt: skip
    """`annotate triage`: read the model, the past checks and the topics first (a bad one fails
    before any work), then split, score, match and write the folder `out` as a whole; with `load`,
    then load the day into its projects (annotate.loop.triageload). An article that fails, or a
    load that fails (the folder is written all the same), is reported in Triage.problems."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.verdicts import load_mapping
    from annotate.labelstudio.api.projects import load_project
    from annotate.loop import triagepage
    from annotate.loop.prelabel import check_model_fits
    from annotate.loop.train import load_model
    from annotate.outputs import refuse_overwriting_inputs, replace_folder
    from annotate.resources import shipped_projects_dir

    projects_dir = projects_dir or shipped_projects_dir()
    refuse_overwriting_inputs({"-o": out}, [Path(s) for s in sources if s != "-"])
    model = load_model(model_dir, semantic=semantic)
    check_model_fits(model, load_project("claims", projects_dir=projects_dir))
    mapping = load_mapping(verdict_options(projects_dir, "strict").mapping_path)
    checks, check_vectors, counts = read_past(against, mapping, projects_dir=projects_dir, semantic=semantic)
    keywords = _patterns(read_topics(topics)) if topics is not None else {}
    rows, articles, problems = gather(sources, keywords, log)
    if not rows:
        raise InputError(f"nothing to triage: {len(problems)} input(s) failed and no article was split",
                         hint="the errors above say what is wrong with each")  # fmt: skip
    log(f"scoring {len(rows)} distinct sentence(s) with {model.model_id}")
    ranked = score(rows, model, checks, check_vectors, semantic=semantic, match_all=match_all)
    found = Triage(ranked, articles, model.meta, counts, semantic.model if semantic else None, day, problems)

    def build(folder: Path) -> list[Path]:
        (folder / "triage.jsonl").write_text(jsonl(ranked), encoding="utf-8")
        (folder / "triage.csv").write_text(csv_text(ranked), encoding="utf-8")
        (folder / "triage.html").write_text(triagepage.page(found), encoding="utf-8")
        return [folder / name for name in TRIAGE_FILES]

    found.written = replace_folder(out, build)
    if load is not None:
        try:
            found.loaded = load_day(ranked, load, version=model.model_id, log=log)
        except AnnotateError as exc:
            found.not_loaded = f"the day was not loaded ({exc}); {out} is written"
            log(f"Error: {found.not_loaded} (rerun with --load once that is fixed: what is loaded already stays)")
    return found
