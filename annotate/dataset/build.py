"""`annotate combine`: exports in, a dataset folder out.

Exports are validated on the way in (an error stops it; warnings are reported), merged by unit
(see collect.py), and written: from claims exports the tables, gold labels, article-grouped splits,
benchmark formats and the card; from verification exports the verdicts table, FEVER JSONL and
ClaimReview JSON-LD.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.dataset.card import VERDICT_CARD_HEAD, card_section, write_card
from annotate.dataset.collect import Collection, Sentence, gc_paused
from annotate.dataset.formats import FormatWriter, HFWriter, write_benchmark_files
from annotate.dataset.gold import gold_spans, golds
from annotate.dataset.splits import SplitPlan, assign_splits, previous_splits, write_splits
from annotate.dataset.stream import Units, read_units, units_of
from annotate.dataset.tables import (
    TABLE_COLUMNS,
    TableWriter,
    annotation_rows,
    claims_table,
    relation_rows,
    sentences_table,
    sources_table,
    table_dtypes,
)  # fmt: skip
from annotate.dataset.verdicts import load_mapping, write_verdicts
from annotate.errors import InputError, ProjectNotFound
from annotate.labelstudio.api.projects import load_project
from annotate.labelstudio.exported.exports import ExportSet, base_project
from annotate.labelstudio.exported.validate import Problem
from annotate.outputs import replace_folder
from annotate.resources import shipped_projects_dir
from annotate.vocabulary import (
    ARTICLE_ID,
    CLAIM_STATUS,
    CORPUS,
    REFERENCE_LABEL,
    SOURCE_COLUMNS,
    SOURCE_FILE,
    SPLITTER,
)  # fmt: skip

BATCH = 2000  # units whose rows are made and written together: memory stays flat, pandas stays fast


@dataclass(frozen=True)
class VerdictOptions:
    """What the verification exports need: the mapping file and mode, and who reviews."""

    mapping_path: Path
    mode: str = "strict"
    organization: dict[str, Any] = field(default_factory=dict)
    fever_rows: str = "cluster"  # one FEVER record per cluster, or per mention


def verdict_options(projects_dir: Path, mode: str, *, fever_rows: str = "cluster") -> VerdictOptions:
    """The verification project's verdict mapping and reviewing organisation: from projects_dir,
    else the project shipped with annotate."""
    try:
        spec = load_project("verification", projects_dir=projects_dir)
    except ProjectNotFound:
        spec = load_project("verification", projects_dir=shipped_projects_dir())
    return VerdictOptions(spec.folder / "verdict-mapping.json", mode, spec.settings.get("reviewing_organization") or {},
                          fever_rows)  # fmt: skip


@dataclass
class CombineReport:
    exports: list[Path]
    written: list[Path]
    warnings: list[Problem]
    replaced: list[str]
    dataset: dict[str, Any] | None = None  # counts of the claims dataset
    verdicts: dict[str, Any] | None = None  # counts of the verdict dataset

    @property
    def empty(self) -> bool:
        return self.dataset is not None and not self.dataset["rows"]["sentences"] and self.verdicts is None


class AgreementInputs:
    """What the agreement section needs, kept as the units stream past: the units that two or more
    annotators answered or that have a reference label (their annotations pruned to spans and
    choices: pairs of annotators, and the reference, are compared within a unit), and counts over
    all units for what single answers change (annotators, items, labels, agreement with gold).
    Krippendorff's alpha, the kappas and span F1 take only units with two or more answers."""

    def __init__(self, identity: bool) -> None:
        self.kept: dict[str, Sentence] = {}
        self.identity = identity
        self.annotators: set[str] = set()
        self.labels: set[str] = set()
        self.items = 0
        self.with_gold: dict[str, list[int]] = {}  # annotator -> [answers, answers matching the gold]

    def add(self, sentence: Sentence, answers: dict[str, str], gold: str | None) -> None:
        if answers:
            self.items += 1
            self.annotators.update(answers)
            self.labels.update(answers.values())
        if gold:
            for who, answer in answers.items():
                counts = self.with_gold.setdefault(who, [0, 0])
                counts[0] += 1
                counts[1] += answer == gold
        data = sentence.data
        if len(sentence.annotations) >= 2 or data.get(REFERENCE_LABEL) is not None:
            kept = {k: data[k] for k in (CORPUS, REFERENCE_LABEL) if k in data}
            pruned = {who: a.pruned() for who, a in sentence.annotations.items()}
            self.kept[sentence.sentence_id] = Sentence(sentence.sentence_id, kept, sentence.task_id, pruned,
                                                       reference_hidden=sentence.reference_hidden)  # fmt: skip

    def report(self) -> dict[str, Any]:
        from annotate.dataset.agreement import agreement_report

        report = agreement_report(Collection(self.kept, [], self.identity), {})
        status = report[CLAIM_STATUS]
        status["annotators"], status["items"] = len(self.annotators), self.items
        # A label no unit with two answers has gets no alpha (one-vs-rest: nothing to compare).
        status["alpha_per_label"] = {label: status["alpha_per_label"].get(label) for label in sorted(self.labels)}
        report["annotators"] = {who: {"items": n, "agrees_with_gold": round(hits / n, 4)}
                                for who, (n, hits) in sorted(self.with_gold.items())}  # fmt: skip
        return report


class DatasetCounts:
    """The counts of the report and card, kept as the rows are written."""

    def __init__(self) -> None:
        # sentences per gold rule and per split, keys in order of first appearance: a count per
        # value, not a value per sentence (a million sentences held 130 MB of strings)
        self.rules: Counter[Any] = Counter()
        self.splits: Counter[Any] = Counter()
        self.articles: set[Any] = set()
        self.per_split: dict[str, list[Any]] = {}  # split -> [articles, sentences, with gold]
        self.gold: Counter[str] = Counter()

    def add(self, sentences: Any) -> None:
        self.rules.update(sentences["gold_rule"].tolist())
        self.splits.update(sentences["split"].tolist())
        self.articles.update(sentences[ARTICLE_ID].dropna())
        self.gold.update(sentences["gold_claim_status"].dropna())
        for split, part in sentences.groupby("split", sort=False):
            counts = self.per_split.setdefault(str(split), [set(), 0, 0])
            counts[0].update(part[ARTICLE_ID].dropna())
            counts[1] += len(part)
            counts[2] += int(part["gold_claim_status"].notna().sum())

    def gold_counts(self) -> dict[str, int]:
        from annotate.dataset.formats import LABELS

        return {label: self.gold[label] for label in LABELS}

    @staticmethod
    def _value_counts(counts: Counter[Any]) -> dict[Any, int]:
        """pandas' value_counts().to_dict() of the values counted: missing values left out, most
        frequent first, ties in order of first appearance (pandas sorts the counts stably)."""
        import pandas as pd

        return dict(sorted(((k, n) for k, n in counts.items() if not pd.isna(k)), key=lambda kv: -kv[1]))

    def report(self) -> dict[str, Any]:
        return {
            "gold_rules": self._value_counts(self.rules),
            "split_sizes": self._value_counts(self.splits),
            "splits": {
                split: {"articles": len(a), "sentences": n, "with_gold": g}
                for split, (a, n, g) in self.per_split.items()
            },
            "no_gold": {rule: self.rules[rule] for rule in ("tie", "none")},
            "articles": len(self.articles),
        }


def build_dataset(
    collection: Collection,
    out_dir: Path,
    *,
    plan: SplitPlan | None = None,
    formats: tuple[str, ...] = ("parquet",),
    sources: list[Path] | None = None,
    mapping_version: str = "?",
    project: str = "claims",
    previous: Path | None = None,
) -> dict[str, Any]:
    """Write every table, the splits, the benchmark formats and the card to out_dir; return the counts.
    Articles keep the splits recorded in the dataset folder `previous` (default: out_dir)."""
    return write_dataset(units_of(collection), out_dir, plan=plan, formats=formats, sources=sources,
                         mapping_version=mapping_version, project=project, previous=previous)  # fmt: skip


def write_dataset(
    units: Units,
    out_dir: Path,
    *,
    plan: SplitPlan | None = None,
    formats: tuple[str, ...] = ("parquet",),
    sources: list[Path] | None = None,
    mapping_version: str = "?",
    project: str = "claims",
    previous: Path | None = None,
) -> dict[str, Any]:
    """build_dataset of units read one at a time: the rows of each batch of units are made with the
    functions of tables.py and appended to every file, so memory holds a batch, not the dataset."""
    plan = plan or SplitPlan()
    earlier = previous_splits(previous or out_dir)
    if plan.source:
        earlier |= units.source_splits
    splits = assign_splits(units.article_labels, plan, earlier)
    writer = _DatasetWriter(out_dir, units, splits, formats)
    for batch in _batches(units):
        writer.write(batch)
    written = [path for table in writer.tables.values() for path in table.close()]
    written.append(write_splits(out_dir, plan, splits))
    written += writer.formats_out.close() + writer.hf.close()
    written += write_benchmark_files(writer.benchmark, out_dir)
    tallies = writer.counts.report()
    report = {
        "rows": {name: table.rows for name, table in writer.tables.items()},
        "gold_rules": tallies["gold_rules"],
        "split_sizes": tallies["split_sizes"],
        "splits": tallies["splits"],
        "no_gold": tallies["no_gold"],
        "project": project,
        "split_policy": (
            "the benchmark's own splits (`--split source`), seeded for units without one"
            if plan.source
            else f"seed {plan.seed}, stratified on gold, shares {plan.ratios}"
        ),
        "replaced_annotations": units.replaced,
    }
    agreement_report = writer.agreement.report()
    card = report | {"articles": tallies["articles"], "gold_counts": writer.counts.gold_counts()}
    written += write_card(out_dir, report=card, agreement=agreement_report, sources=sources or [],
                          splitters=sorted(writer.splitters), identity=units.identity,
                          mapping_version=mapping_version, final_dir=previous or out_dir)  # fmt: skip
    return report | {"written": [str(p) for p in written], "agreement": agreement_report}


def _batches(units: Units) -> Iterator[list[Sentence]]:
    """The units in batches of BATCH. combine pauses the cyclic collector (gc_paused); what pandas
    leaves in reference cycles is freed batch by batch, so memory stays flat. What is alive before a
    batch (modules: 100,000 objects, 0.3 s a collection; what the card and agreement keep) is
    frozen, so each collection scans only what the batch made."""
    gc.freeze()
    try:
        batch: list[Sentence] = []
        for sentence in units.sentences():
            batch.append(sentence)
            if len(batch) == BATCH:
                yield batch
                batch = []
                gc.collect()
                gc.freeze()
        if batch:
            yield batch
    finally:
        gc.unfreeze()


class _DatasetWriter:
    """Every file of the dataset, appended a batch of units at a time, with the counts, agreement
    inputs, benchmark rows and splitters the card and the benchmark files need."""

    def __init__(self, out_dir: Path, units: Units, splits: dict[str, str], formats: tuple[str, ...]) -> None:
        self.units, self.splits = units, splits
        missing = units.offsets_missing
        self.tables = {name: TableWriter(out_dir, name, table_dtypes(name, offsets_missing=name in missing),
                                         formats=formats) for name in TABLE_COLUMNS}  # fmt: skip
        self.formats_out, self.hf = FormatWriter(out_dir), HFWriter(out_dir)
        self.counts, self.agreement = DatasetCounts(), AgreementInputs(units.identity)
        self.benchmark: list[tuple[Any, str | None]] = []
        self.splitters: set[str] = set()

    def write(self, batch: list[Sentence]) -> None:
        chunk = Collection({s.sentence_id: s for s in batch}, [], self.units.identity)
        gold_by = golds(chunk)
        sentences = sentences_table(chunk, self.splits, gold_by)
        for name, rows in (("annotations", annotation_rows(chunk)), ("sentences", sentences),
                           ("claims", claims_table(chunk)), ("sources", sources_table(chunk)),
                           ("relations", relation_rows(chunk))):  # fmt: skip
            self.tables[name].write(rows)
        self.formats_out.add(sentences, gold_spans(chunk, gold_by))
        self.hf.add(sentences)
        self.counts.add(sentences)
        status = chunk.claim_status
        for s in batch:
            gold = gold_by[s.sentence_id][0]
            self.agreement.add(s, status[s.sentence_id], gold)
            if isinstance(s.data.get(SOURCE_COLUMNS), Mapping) and s.data.get(SOURCE_FILE):
                self.benchmark.append((s.data, gold))
            if s.data.get(SPLITTER):
                self.splitters.add(str(s.data[SPLITTER]))


def combine(
    exports: ExportSet,
    out_dir: Path,
    *,
    plan: SplitPlan,
    verdict_options: VerdictOptions,
    formats: tuple[str, ...] = ("parquet", "csv"),
    keep_identity: bool = False,
    allow_empty: bool = False,
) -> CombineReport:
    """Validate and collect the exports, then write the dataset (see the module docstring). The
    claims units are read in passes (stream.read_units): memory does not grow with the exports.
    Exports with no annotation at all are refused (InputError, the folder left as it was) unless
    `allow_empty`: an empty dataset must never replace a dataset by accident."""
    with gc_paused(exiting=True):
        claims, verification = read_units(exports, keep_identity=keep_identity)
        report = CombineReport(exports.files, [], exports.warnings, [])
        mapping = load_mapping(verdict_options.mapping_path)

        def build(folder: Path) -> list[Path]:
            """Every file of the dataset, written into `folder` (replace_folder puts it in place)."""
            written: list[Path] = []
            if claims.count or not verification.sentences:
                named = sorted({base_project(p) for p in exports.projects.values()} - {"verification"})
                report.dataset = write_dataset(claims, folder, plan=plan, formats=formats, sources=exports.files,
                                               mapping_version=mapping["version"], previous=out_dir,
                                               project=named[0] if len(named) == 1 else "claims")  # fmt: skip
                written += [Path(p) for p in report.dataset["written"]]
            if verification.sentences:
                report.verdicts = write_verdicts(verification, folder, mode=verdict_options.mode,
                                                 organization=verdict_options.organization, formats=formats,
                                                 mapping=mapping, fever_rows=verdict_options.fever_rows)  # fmt: skip
                written += [Path(p) for p in report.verdicts["written"]]
                card = folder / "README.md"
                head = card.read_text(encoding="utf-8") if claims.count else VERDICT_CARD_HEAD
                card.write_text(head + "\n" + "\n".join(card_section(report.verdicts)), encoding="utf-8")
                if not claims.count:
                    written.append(card)
            annotated = (report.dataset or {}).get("rows", {}).get("annotations", 0) or sum(
                (report.verdicts or {}).get("verdicts", {}).values()
            )
            if not annotated and not allow_empty:
                names = ", ".join(str(p) for p in exports.files)
                raise InputError(f"{names}: no annotated task; the dataset would be empty ({out_dir} left as it is)",
                                 hint="export again once annotators have submitted, or give --allow-empty to write "
                                 "an empty dataset")  # fmt: skip
            return written

        # The folder is replaced as a whole once every file is written: a failure leaves the old one.
        report.written = replace_folder(out_dir, build)
        report.replaced = claims.replaced + verification.replaced
    return report
