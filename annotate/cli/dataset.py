"""`annotate combine` and `annotate agreement`: exports to a dataset."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.app import Format, FormatOption, ProjectsDirOption, app, emit, info, projects_folder
from annotate.vocabulary import CLAIM_STATUS, CLAIM_TYPES, SENTENCE_ID, TEXT

ExportProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="The project the exports belong to. Default: the one each export's manifest names "
        "(an export downloaded from the web UI has none).",
    ),
]


class MappingMode(StrEnum):
    strict = "strict"
    lenient = "lenient"


class FeverRows(StrEnum):
    cluster = "cluster"
    mention = "mention"


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
        typer.Option("--table-format", help="Table format; repeat for several. Default: parquet and csv."),
    ] = None,
    old_formats: Annotated[
        list[TableFormat] | None,
        typer.Option("--format", hidden=True, help="Deprecated: --table-format."),
    ] = None,
    keep_identity: Annotated[
        bool, typer.Option("--keep-annotator-identity", help="Keep annotators' e-mails instead of hashed ids.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the article-grouped split.")] = 13,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="train/dev/test shares in percent, or source: the splits of the benchmark files rows came "
            "from (others by 80/10/10).",
        ),
    ] = "80/10/10",
    verdict_mapping: Annotated[
        MappingMode,
        typer.Option(
            "--verdict-mapping",
            help="strict: verdicts the mapping marks lossy are left out of FEVER; lenient: they are mapped.",
        ),
    ] = MappingMode.strict,
    fever_rows: Annotated[
        FeverRows,
        typer.Option(
            "--fever-rows",
            help="cluster: one FEVER record per claim cluster (verification task); mention: one per mention "
            "the verdict reaches (the task's own claim and the mentions the verifier confirmed).",
        ),
    ] = FeverRows.cluster,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Write the dataset even if no task is annotated (it is then empty).")
    ] = False,
    project: ExportProjectOption = None,
    projects_dir: ProjectsDirOption = None,
) -> None:
    """Validate exports, then write the dataset: from claims exports the tables (annotations,
    sentences, claims, sources, relations), gold labels, article-grouped splits and benchmark
    formats; from verification exports the verdicts table, FEVER JSONL and ClaimReview JSON-LD."""
    from annotate.dataset.build import combine as combine_exports
    from annotate.dataset.build import verdict_options
    from annotate.labelstudio.exported.exports import open_exports

    if old_formats:
        info("Warning: `combine --format` is deprecated and will be removed in the next release: use --table-format "
             "(elsewhere --format chooses the report format)")  # fmt: skip
        formats = [*(formats or []), *old_formats]
    folder = projects_folder(projects_dir)
    report = combine_exports(
        open_exports(files, project=project, projects_dir=folder), output_dir, plan=_split_plan(split, seed),
        verdict_options=verdict_options(folder, verdict_mapping.value, fever_rows=fever_rows.value),
        keep_identity=keep_identity, allow_empty=allow_empty,
        formats=tuple(f.value for f in formats or []) or ("parquet", "csv"),
    )  # fmt: skip
    for line in _combine_log(report):
        info(line)
    typer.echo("\n".join(str(p) for p in report.written))


def _split_plan(split: str, seed: int) -> Any:
    from annotate.dataset.splits import SplitPlan

    try:
        return SplitPlan.parse(split, seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--split") from None


def _combine_log(report: Any) -> list[str]:
    from annotate.dataset.card import no_gold_lines

    lines = [p.line() for p in report.warnings] + [f"Warning: {line}" for line in report.replaced]
    if report.empty:
        lines.append("Warning: the exports hold no tasks; the dataset is empty.")
    if report.dataset:
        d = report.dataset
        rows = ", ".join(f"{n} {name}" for name, n in d["rows"].items())
        lines.append(f"{len(report.exports)} export(s) -> {rows}; splits {d['split_sizes']}; gold {d['gold_rules']}.")
        lines += no_gold_lines(d)
    if report.verdicts:
        v = report.verdicts
        lines.append(
            f"{v['claims']} claim(s) in {v['clusters']} cluster(s) -> verdicts {v['verdicts']} from "
            f"{v['verdict_sources']}; FEVER {v['fever']} per {v['fever_rows']} (left out {v['fever_skipped']}); "
            f"ClaimReview {v['claimreview']} (left out {v['claimreview_skipped']}); mapping {v['mapping_version']}, "
            f"{v['mapping_mode']}."
        )
    return lines


@app.command("agreement")
def agreement(
    files: Annotated[list[Path], typer.Argument(help="Export files (full JSON), or folders of them.")],
    list_disagreements: Annotated[
        bool, typer.Option("--disagreements", help="List the sentences whose annotators disagree.")
    ] = False,
    keep_identity: Annotated[
        bool, typer.Option("--keep-annotator-identity", help="Name annotators by e-mail instead of hashed ids.")
    ] = False,
    project: ExportProjectOption = None,
    projects_dir: ProjectsDirOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Inter-annotator agreement: Krippendorff's alpha, Cohen's and Fleiss' kappa, span F1, per label."""
    from annotate.dataset.agreement import agreement_of_exports
    from annotate.labelstudio.exported.exports import open_exports

    exports = open_exports(files, project=project, projects_dir=projects_folder(projects_dir))
    report = agreement_of_exports(exports, keep_identity=keep_identity, list_disagreements=list_disagreements)
    emit(report, fmt, "\n".join(_agreement_lines(report)))


def _agreement_lines(report: dict[str, Any]) -> list[str]:
    status = report[CLAIM_STATUS]
    lines = [
        f"{CLAIM_STATUS}: Krippendorff's alpha {status['krippendorff_alpha']} ({status['items']} sentences, "
        f"{status['items_with_2_or_more']} with 2+ annotators, {status['annotators']} annotators)",
        f"  Fleiss' kappa {status['fleiss_kappa']}",
    ]
    lines += [f"  Cohen's kappa {pair}: {v['cohen_kappa']} ({v['items']} sentences)"
              for pair, v in status["cohen_kappa_pairs"].items()]  # fmt: skip
    lines += [f"  alpha {label}: {alpha}" for label, alpha in status["alpha_per_label"].items()]
    for claim_type, v in report[CLAIM_TYPES].items():
        fleiss = (v["fleiss_kappa"] or {}).get("kappa")
        lines.append(f"{CLAIM_TYPES} {claim_type}: alpha {v['krippendorff_alpha']}, Fleiss' kappa {fleiss}, "
                     f"Cohen's kappa {[p['cohen_kappa'] for p in v['cohen_kappa_pairs'].values()]}")  # fmt: skip
    lines += [f"{label} spans: exact F1 {v['exact_f1']}, overlap F1 {v['overlap_f1']}"
              for label, v in report["spans"].items()]  # fmt: skip
    lines += [f"{who}: agrees with gold on {v['agrees_with_gold']:.0%} of {v['items']} sentences"
              for who, v in report["annotators"].items()]  # fmt: skip
    reference = report.get("reference")
    if reference:
        from annotate.dataset.card import reference_visibility

        lines.append(f"reference labels ({', '.join(reference['scales'])}): {reference_visibility(reference)}")
        lines += [f"  {who} vs reference: accuracy {v['accuracy']}, Cohen's kappa {v['cohen_kappa']} "
                  f"({v['items']} sentences)" for who, v in reference["annotators"].items()]  # fmt: skip
    for item in report.get("disagreement_list", []):
        answers = ", ".join(f"{who}={answer}" for who, answer in item["answers"].items())
        lines.append(f"disagreement {item[SENTENCE_ID]}: {answers}: {item[TEXT]}")
    return lines
