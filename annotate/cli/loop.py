"""`annotate prelabel`, `train`, `promote` and `adjudicate`: the fact-checking loop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.app import (
    EmbedderOption,
    Format,
    FormatOption,
    LexicalOption,
    ProjectsDirOption,
    UrlOption,
    app,
    config_dir,
    connect,
    emit,
    info,
    project_spec,
    projects_folder,
    semantic,
)  # fmt: skip
from annotate.cli.dataset import ExportProjectOption
from annotate.loop.fusion import LEXICAL, SEMANTIC


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
    min_confidence: Annotated[
        float | None,
        typer.Option(
            "--min-confidence",
            help="Pre-fill the model's claim_status only where its calibrated certainty is at least P (0-1); "
            "the other tasks get the spans without a choice. P is part of the model version.",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    activate: Annotated[
        bool,
        typer.Option(
            "--activate/--no-activate",
            help="Make this model version the project's active one: the suggestions annotators see in "
            "Label All Tasks (Label Studio shows one version's).",
        ),
    ] = True,
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    embedder: EmbedderOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Attach predictions to tasks that lack one of the same model_version: rule-based ones (cue,
    source, claim, claim_status), or with --model a trained model's claim_status and its probability.
    Their version becomes the one annotators see unless --no-activate."""
    from annotate.loop.prelabel import predictor_for
    from annotate.loop.prelabel import prelabel as prelabel_tasks

    if order_by_uncertainty and model is None:
        raise typer.BadParameter("ordering by uncertainty needs a model's scores", param_hint="--model")
    if order_by_uncertainty and not activate:
        raise typer.BadParameter("ordering by uncertainty makes the model active", param_hint="--no-activate")
    from annotate.loop.train import uses_embedding

    similarity = semantic(embedder, False) if model is not None and uses_embedding(model) else None
    if min_confidence is not None and model is None:
        raise typer.BadParameter("a minimum confidence needs a model's certainty", param_hint="--model")
    # The model is checked before the server is asked anything.
    spec = project_spec(project, projects_dir)
    predictor = predictor_for(model, similarity, min_confidence=min_confidence, spec=spec)
    report = prelabel_tasks(connect(url), spec, config_dir=config_dir(),
                            predictor=predictor, activate=activate,
                            order_by_uncertainty=order_by_uncertainty)  # fmt: skip
    emit(report.as_dict(), fmt, report.text())


# train ----------------------------------------------------------------------------------------
@app.command("train")
def train(
    dataset_dir: Annotated[
        Path,
        typer.Argument(
            help="A dataset folder written by `annotate combine`, or a benchmark file (CheckThat! or "
            "ClaimBuster .tsv/.csv: every row trains)."
        ),
    ],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Folder for the model.")] = Path("model"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the classifier.")] = 13,
    eval_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval",
            help="Also score on this benchmark file (CheckThat! or ClaimBuster), per file and per language of "
            "its rows; give it more than once for several. Predictions go to eval_predictions.tsv in the model "
            "folder (eval_predictions-<file stem>.tsv with several).",
        ),
    ] = None,
    embedder: EmbedderOption = None,
    lexical: LexicalOption = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Train the check-worthiness model (hashed 1-2-grams and, where an embedding model is installed
    or given, each sentence's vector; logistic regression by SGD, in batches) on the train split and
    score it on the test split as CheckThat! does (precision, recall, F1 of claim_checkworthy)."""
    from annotate.loop.train import train as train_model

    meta = train_model(dataset_dir, output_dir, seed=seed, eval_files=eval_files or (),
                       semantic=semantic(embedder, lexical))  # fmt: skip
    for split, rows in sorted(meta.get("left_out_without_text", {}).items()):
        info(f"Warning: {dataset_dir}: {rows} labelled {split} row(s) have no text; left out")
    emit(meta, fmt, _train_text(meta, output_dir))


def _scores(name: str, scores: dict[str, Any]) -> str:
    f1 = f"n/a (no labelled {name} sentences)" if scores["f1"] is None else scores["f1"]
    return (f"{name}: precision {scores['precision']}, recall {scores['recall']}, F1 {f1} on {scores['items']} "
            f"sentences ({scores['positives']} check-worthy)")  # fmt: skip


def _train_text(meta: dict[str, Any], output_dir: Path) -> str:
    text = (f"{meta['model_id']} saved in {output_dir} ({meta['train_sentences']} train sentences, "
            f"data sha256 {meta['train_data_sha256'][:12]}); {_scores('test', meta['test'])}")  # fmt: skip
    if "eval" in meta:
        report = meta["eval"]
        for one in report["files"]:
            text += f"\n{one['file']}: {_scores('eval', one)}; predictions in {output_dir / one['predictions']}"
            text += "".join(f"\n  {code}: {_scores('eval', scores)}" for code, scores in one["languages"].items())
        if len(report["files"]) > 1:
            text += f"\nall {len(report['files'])} eval files: {_scores('eval', report)}"
            text += "".join(f"\n  {code}: {_scores('eval', scores)}" for code, scores in report["languages"].items())
    return text


# promote --------------------------------------------------------------------------------------
@app.command("promote")
def promote(
    files: Annotated[list[Path], typer.Argument(help="Exports of the claims project (full JSON), or folders.")],
    to: Annotated[str, typer.Option("--to", help="The verification project's folder name.")] = "verification",
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be created; create nothing.")] = False,
    matches: Annotated[
        Path | None,
        typer.Option(
            "--matches",
            help="A matches.jsonl from `annotate match`: its clusters and past checks. Default: cluster the "
            "claims here the same way (no past checks).",
        ),
    ] = None,
    project: ExportProjectOption = None,
    embedder: EmbedderOption = None,
    lexical: LexicalOption = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Make one verification task per cluster of mentions of the same claim (the CLAIM spans of
    sentences whose gold claim_status is claim_checkworthy), listing every mention. Idempotent by
    cluster: a rerun creates nothing; a new mention of a cluster is added to its task (annotations
    kept); changed claims, merged clusters and split tasks are reported, not rewritten."""
    from annotate.labelstudio.exported.exports import open_exports
    from annotate.loop.verification import promote as promote_claims

    exports = open_exports(files, project=project, projects_dir=projects_folder(projects_dir))
    similarity = semantic(embedder, lexical)
    report = promote_claims(exports, connect(url), project_spec(to, projects_dir), config_dir=config_dir(),
                            dry_run=dry_run, matches=matches, log=info, semantic=similarity)  # fmt: skip
    emit(report.as_dict(), fmt, report.text())


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
    from annotate.loop.adjudicate import adjudicate as adjudicate_project

    report = adjudicate_project(connect(url), project_spec(project, projects_dir), config_dir=config_dir(), log=info)
    emit(report.as_dict(), fmt, report.text())


# match ----------------------------------------------------------------------------------------
@app.command("match")
def match(
    files: Annotated[list[Path], typer.Argument(help="Exports of the claims project (full JSON), or folders.")],
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            help="Past fact-checks to match (repeatable): an index from `annotate index`, ClaimReview JSON-LD "
            "(.jsonld), a verification export (.json), or a table (.csv/.tsv with id, claim, verdict, organization, "
            "url; optional title, date, language).",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help=f"Similarity (0-1] from which two mentions are one claim. Default: {LEXICAL.cluster_threshold} "
            f"lexical, {SEMANTIC.cluster_threshold} fused with an embedding model (the report says which).",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write the clusters to this JSONL file.")] = None,
    project: ExportProjectOption = None,
    projects_dir: ProjectsDirOption = None,
    embedder: EmbedderOption = None,
    lexical: LexicalOption = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Group the CLAIM spans of the gold annotations into clusters of the same claim (across sentences
    and articles), and list for each claim the past checks that match it safely ("previously
    checked", with their verdict) and the best candidates below the safe cut."""
    from annotate.labelstudio.exported.exports import open_exports
    from annotate.loop.match import match as match_claims

    exports = open_exports(files, project=project, projects_dir=projects_folder(projects_dir))
    report = match_claims(exports, against or [], threshold=threshold, out=out,
                          projects_dir=projects_folder(projects_dir), semantic=semantic(embedder, lexical))  # fmt: skip
    emit(report.as_dict(), fmt, report.text())


# index ----------------------------------------------------------------------------------------
@app.command("index")
def index(
    past: Annotated[
        list[Path],
        typer.Argument(
            help="Past fact-checks: ClaimReview JSON-LD (.jsonld), verification exports (.json), tables (.csv/.tsv)."
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--output", help="The index folder (made, or updated in place).")],
    projects_dir: ProjectsDirOption = None,
    embedder: EmbedderOption = None,
    lexical: LexicalOption = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Index past fact-checks for `annotate match --against DIR`: their vectors and texts, with a
    manifest. Rerun on the same folder to add checks: only new texts are embedded, and a check whose
    id or URL comes again replaces the old entry."""
    from annotate.loop.pastindex import index_files

    report = index_files(past, out, projects_dir=projects_folder(projects_dir), semantic=semantic(embedder, lexical))
    emit(report.as_dict(), fmt, report.text())


# triage ---------------------------------------------------------------------------------------
@app.command("triage")
def triage(
    articles: Annotated[list[str], typer.Argument(help="The day's articles: files or folders, as `split` reads them.")],
    model: Annotated[Path, typer.Option("--model", help="A model folder from `annotate train`: what ranks them.")],
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            help="Past fact-checks (repeatable): an index from `annotate index`, ClaimReview JSON-LD, a "
            "verification export or a table, as `match --against` reads them.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output-dir", help="Folder for the page and tables. Default: triage/YYYY-MM-DD."),
    ] = None,
    topics: Annotated[
        Path | None,
        typer.Option(
            "--topics",
            help='Topics and keywords: JSON {"topic": ["keyword", ...]} or a .csv/.tsv with columns topic, '
            "keywords. An article's own `topic` field wins.",
        ),
    ] = None,
    match_all: Annotated[
        bool, typer.Option("--match-all", help="Match every sentence, not only those the model finds check-worthy.")
    ] = False,
    load: Annotated[
        bool,
        typer.Option(
            "--load",
            help="Also load the day's sentences, most check-worthy first, into --project with the model's "
            "suggestions, and the already-checked ones into --to as claims to verify.",
        ),
    ] = False,
    project: Annotated[str, typer.Option("--project", help="The claims project's folder (with --load).")] = "claims",
    to: Annotated[str, typer.Option("--to", help="The verification project's folder name (with --load).")] = (
        "verification"
    ),
    url: UrlOption = None,
    projects_dir: ProjectsDirOption = None,
    embedder: EmbedderOption = None,
    lexical: LexicalOption = False,
    fmt: FormatOption = Format.text,
) -> None:
    """The morning triage: split the day's articles, rank their sentences by the model's
    check-worthiness (a sentence printed by several outlets is one row), and flag those a past
    fact-check already answers, with its verdict. Writes triage.html (one self-contained page),
    triage.csv and triage.jsonl; a summary on stdout. An article that fails is reported, the rest
    triaged, and the exit status is 1."""
    import datetime

    from annotate.loop.triage import triage as triage_articles
    from annotate.loop.triageload import Target

    day = datetime.date.today().isoformat()
    target = (Target(lambda: connect(url), project_spec(project, projects_dir), project_spec(to, projects_dir),
                     config_dir()) if load else None)  # fmt: skip
    found = triage_articles(articles, model_dir=model, against=against or [], out=out or Path("triage") / day,
                            day=day, topics=topics, projects_dir=projects_folder(projects_dir),
                            semantic=semantic(embedder, lexical), match_all=match_all, load=target,
                            log=info)  # fmt: skip
    emit(found.as_dict(), fmt, found.text())
    if found.failed:
        raise typer.Exit(1)
