"""`annotate combine` and `annotate agreement`: exports to a dataset."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.app import (
    Format,
    FormatOption,
    ProjectsDirOption,
    app,
    info,
    project_spec,
)  # fmt: skip
from annotate.errors import InputError


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
    from annotate.dataset.collect import gc_paused
    from annotate.dataset.tables import SplitPlan
    from annotate.labelstudio.validate import export_files

    try:
        shares = tuple(float(x) / 100 for x in split.split("/"))
    except ValueError:
        shares = ()
    if len(shares) != 3 or abs(sum(shares) - 1) > 1e-6 or min(shares) < 0:
        raise typer.BadParameter("give three percentages that add up to 100, e.g. 80/10/10", param_hint="--split")
    paths = list(export_files(files))
    from annotate.errors import ProjectNotFound
    from annotate.resources import shipped_projects_dir

    try:  # the reviewing organisation and the verdict mapping
        verification = project_spec("verification", projects_dir)
    except ProjectNotFound:
        verification = project_spec("verification", shipped_projects_dir())
    organization = verification.settings.get("reviewing_organization") or {}
    with gc_paused(exiting=True):
        _combine(paths, output_dir, keep_identity=keep_identity, plan=SplitPlan(shares, seed),
                 formats=tuple(f.value for f in formats or []) or ("parquet", "csv"), mode=verdict_mapping.value,
                 organization=organization, mapping_path=verification.folder / "verdict-mapping.json")  # fmt: skip


def _valid_collection(paths: list[Path], *, keep_identity: bool = False) -> Any:
    """The exports' tasks, validated on the way in: warnings are shown, errors stop here."""
    from annotate.dataset.collect import collect
    from annotate.labelstudio.validate import has_errors, validated

    problems: list = []
    collection = collect((validated(p, problems) for p in paths), keep_identity=keep_identity)
    for problem in problems:
        info(problem.line())
    if has_errors(problems):
        bad = sorted({p.file for p in problems if p.severity == "error"})
        raise InputError(f"{', '.join(bad)}: not a valid export", hint=f"see `annotate validate {' '.join(bad)}`")
    return collection


def _combine(
    paths: list[Path], output_dir: Path, *, keep_identity: bool, plan: Any, formats: tuple[str, ...], mode: str,
    organization: dict[str, Any], mapping_path: Path,
) -> None:  # fmt: skip
    from annotate.dataset.tables import build_dataset
    from annotate.dataset.verdicts import card_section, write_verdicts

    collection = _valid_collection(paths, keep_identity=keep_identity)
    if not collection.sentences:
        info("Warning: the exports hold no tasks; the dataset is empty.")
    for line in collection.replaced:
        info(f"Warning: {line}")
    claims, verification = collection.part(verification=False), collection.part(verification=True)
    written: list[str] = []
    if claims.sentences or not verification.sentences:
        report = build_dataset(claims, output_dir, plan=plan, formats=formats, sources=paths)
        written += report["written"]
        rows = ", ".join(f"{n} {name}" for name, n in report["rows"].items())
        info(f"{len(paths)} export(s) -> {rows}; splits {report['split_sizes']}; gold {report['gold_rules']}.")
    if verification.sentences:
        verdicts = write_verdicts(verification, output_dir, mode=mode, organization=organization, formats=formats,
                                  mapping_path=mapping_path)  # fmt: skip
        written += verdicts["written"]
        card = output_dir / "README.md"
        head = card.read_text(encoding="utf-8") if card.exists() and claims.sentences else VERDICT_CARD_HEAD
        card.write_text(head + "\n" + "\n".join(card_section(verdicts)), encoding="utf-8")
        if not claims.sentences:
            written.append(str(card))
        info(
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
    from annotate.dataset.agreement import agreement_report, disagreements
    from annotate.dataset.collect import collect, gc_paused
    from annotate.dataset.tables import golds
    from annotate.labelstudio.jsonstream import iter_array
    from annotate.labelstudio.validate import export_files

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
