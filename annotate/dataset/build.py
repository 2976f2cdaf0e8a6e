"""`annotate combine`: exports in, a dataset folder out.

Exports are validated on the way in (an error stops it; warnings are reported), merged by unit
(see collect.py), and written: from claims exports the tables, gold labels, article-grouped splits,
benchmark formats and the card; from verification exports the verdicts table, FEVER JSONL and
ClaimReview JSON-LD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.dataset.agreement import agreement_report
from annotate.dataset.card import VERDICT_CARD_HEAD, card_section, write_card
from annotate.dataset.collect import Collection, gc_paused, read_collection
from annotate.dataset.formats import write_benchmark_files, write_formats, write_hf_layout
from annotate.dataset.gold import gold_spans, golds
from annotate.dataset.splits import SplitPlan, plan_splits, write_splits
from annotate.dataset.tables import (
    annotation_rows,
    claims_table,
    relation_rows,
    sentences_table,
    sources_table,
    write_table,
)  # fmt: skip
from annotate.dataset.verdicts import load_mapping, write_verdicts
from annotate.errors import ProjectNotFound
from annotate.labelstudio.exports import ExportSet, base_project
from annotate.labelstudio.projects import load_project
from annotate.labelstudio.validate import Problem
from annotate.outputs import replace_folder
from annotate.resources import shipped_projects_dir
from annotate.vocabulary import ARTICLE_ID, SPLITTER


def split_counts(sentences: Any) -> dict[str, dict[str, int]]:
    """split -> articles, sentences, and sentences with gold (the rows its CheckThat! file gets)."""
    counts: dict[str, dict[str, int]] = {}
    for split, part in sentences.groupby("split", sort=False) if len(sentences) else []:
        counts[str(split)] = {"articles": int(part[ARTICLE_ID].nunique()), "sentences": len(part),
                              "with_gold": int(part["gold_claim_status"].notna().sum())}  # fmt: skip
    return counts


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
    plan = plan or SplitPlan()
    gold_by = golds(collection)
    splits = plan_splits(collection, gold_by, plan, previous or out_dir)
    tables = {
        "annotations": annotation_rows(collection),
        "sentences": sentences_table(collection, splits, gold_by),
        "claims": claims_table(collection),
        "sources": sources_table(collection),
        "relations": relation_rows(collection),
    }
    written = []
    for name, table in tables.items():
        written += write_table(table, out_dir, name, formats=formats)
    written.append(write_splits(out_dir, plan, splits))
    written += write_formats(tables["sentences"], gold_spans(collection, gold_by), out_dir)
    written += write_hf_layout(tables["sentences"], out_dir)
    written += write_benchmark_files(((s.data, gold_by[sid][0]) for sid, s in collection.sentences.items()), out_dir)
    sentences = tables["sentences"]
    report = {
        "rows": {name: len(t) for name, t in tables.items()},
        "gold_rules": sentences["gold_rule"].value_counts().to_dict() if len(sentences) else {},
        "split_sizes": sentences["split"].value_counts().to_dict() if len(sentences) else {},
        "splits": split_counts(sentences),
        "no_gold": {
            rule: int((sentences["gold_rule"] == rule).sum()) if len(sentences) else 0 for rule in ("tie", "none")
        },
        "project": project,
        "split_policy": (
            "the benchmark's own splits (`--split source`), seeded for units without one"
            if plan.source
            else f"seed {plan.seed}, stratified on gold, shares {plan.ratios}"
        ),
        "replaced_annotations": collection.replaced,
    }
    agreement = agreement_report(collection, {sid: g[0] for sid, g in gold_by.items()})
    splitters = sorted({str(s.data[SPLITTER]) for s in collection.sentences.values() if s.data.get(SPLITTER)})
    written += write_card(out_dir, sentences=sentences, report=report, agreement=agreement, sources=sources or [],
                          splitters=splitters, identity=collection.identity,
                          mapping_version=mapping_version)  # fmt: skip
    return report | {"written": [str(p) for p in written], "agreement": agreement}


def combine(
    exports: ExportSet,
    out_dir: Path,
    *,
    plan: SplitPlan,
    verdict_options: VerdictOptions,
    formats: tuple[str, ...] = ("parquet", "csv"),
    keep_identity: bool = False,
) -> CombineReport:
    """Validate and collect the exports, then write the dataset (see the module docstring)."""
    with gc_paused(exiting=True):
        collection = read_collection(exports, keep_identity=keep_identity)
        report = CombineReport(exports.files, [], exports.warnings, collection.replaced)
        claims, verification = collection.part(verification=False), collection.part(verification=True)
        mapping = load_mapping(verdict_options.mapping_path)

        def build(folder: Path) -> list[Path]:
            """Every file of the dataset, written into `folder` (replace_folder puts it in place)."""
            written: list[Path] = []
            if claims.sentences or not verification.sentences:
                named = sorted({base_project(p) for p in exports.projects.values()} - {"verification"})
                report.dataset = build_dataset(claims, folder, plan=plan, formats=formats, sources=exports.files,
                                               mapping_version=mapping["version"], previous=out_dir,
                                               project=named[0] if len(named) == 1 else "claims")  # fmt: skip
                written += [Path(p) for p in report.dataset["written"]]
            if verification.sentences:
                report.verdicts = write_verdicts(verification, folder, mode=verdict_options.mode,
                                                 organization=verdict_options.organization, formats=formats,
                                                 mapping=mapping, fever_rows=verdict_options.fever_rows)  # fmt: skip
                written += [Path(p) for p in report.verdicts["written"]]
                card = folder / "README.md"
                head = card.read_text(encoding="utf-8") if claims.sentences else VERDICT_CARD_HEAD
                card.write_text(head + "\n" + "\n".join(card_section(report.verdicts)), encoding="utf-8")
                if not claims.sentences:
                    written.append(card)
            return written

        # The folder is replaced as a whole once every file is written: a failure leaves the old one.
        report.written = replace_folder(out_dir, build)
    return report
