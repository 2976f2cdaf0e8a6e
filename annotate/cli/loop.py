"""`annotate prelabel`, `train`, `promote` and `adjudicate`: the fact-checking loop."""

from __future__ import annotations

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
    project_spec,
)  # fmt: skip
from annotate.cli.dataset import _valid_collection


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
    fmt: FormatOption = Format.text,
) -> None:
    """Attach predictions to tasks that lack one of the same model_version: rule-based ones (cue,
    source, claim, claim_status), or with --model a trained model's claim_status and its probability.
    Their version becomes the one annotators see unless --no-activate."""
    from annotate.labelstudio.prelabel import MODEL_VERSION, prelabel_project, rules, status_result
    from annotate.labelstudio.projects import require_project

    if order_by_uncertainty and model is None:
        raise typer.BadParameter("ordering by uncertainty needs a model's scores", param_hint="--model")
    if order_by_uncertainty and not activate:
        raise typer.BadParameter("ordering by uncertainty makes the model active", param_hint="--no-activate")
    spec = project_spec(project, projects_dir)
    predictor, model_version = rules, MODEL_VERSION
    if model is not None:
        from annotate.loop.train import load_model

        loaded = load_model(model)
        model_version = loaded.model_id

        def predictor(texts: list[str]) -> list[tuple[list[dict[str, Any]], float]]:
            return [(status_result(status), p) for status, p in loaded.predict(texts)]

    client = connect(url)
    project_id = require_project(client, spec, config_dir=config_dir())
    added, skipped = prelabel_project(
        client, project_id, model_version=model_version, predictor=predictor, activate=activate,
        uncertainty_sampling=order_by_uncertainty,
    )  # fmt: skip
    emit(
        {"added": added, "already_predicted": skipped, "model_version": model_version, "project_id": project_id,
         "active": activate, "ordered_by_uncertainty": order_by_uncertainty},
        fmt,
        f"added {added} predictions ({model_version}); {skipped} tasks already had one (project {project!r})"
        + ("; annotators see them as suggestions" if activate else "; not active: annotators do not see them")
        + ("; annotators now get the least certain tasks first" if order_by_uncertainty else ""),
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
    from annotate.loop.train import train as train_model

    meta = train_model(dataset_dir, output_dir, seed=seed)
    scores = meta["test"]
    f1 = "n/a (no labelled test sentences)" if scores["f1"] is None else scores["f1"]
    emit(meta, fmt, f"{meta['model_id']} saved in {output_dir} ({meta['train_sentences']} train sentences, "
                     f"data sha256 {meta['train_data_sha256'][:12]}); test: precision {scores['precision']}, "
                     f"recall {scores['recall']}, F1 {f1} on {scores['items']} sentences "
                     f"({scores['positives']} check-worthy)")  # fmt: skip


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
    from annotate.dataset.collect import gc_paused
    from annotate.labelstudio.load import load_tasks
    from annotate.labelstudio.projects import require_project
    from annotate.labelstudio.validate import export_files
    from annotate.loop.promote import COMPARED, verification_records

    spec = project_spec(to, projects_dir)
    with gc_paused(exiting=True):
        collection = _valid_collection(list(export_files(files)))
        records = verification_records(collection.part(verification=False))
    client = connect(url)
    project_id = require_project(client, spec, config_dir=config_dir())
    report = load_tasks(
        client, project_id, records, journal_path=config_dir() / "load-journal.json", fields=spec.data_fields(),
        dry_run=dry_run, log=info, key="claim_id", compare=COMPARED,
    )  # fmt: skip
    for cid in report.changed:
        info(f"Warning: claim {cid} is already in {to!r} with a different text, normalised claim or source; "
              "left unchanged")  # fmt: skip
    verb = "would create" if dry_run else "created"
    emit(
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

    from annotate.dataset.collect import collect, gc_paused
    from annotate.labelstudio.jsonstream import iter_array
    from annotate.labelstudio.load import load_tasks
    from annotate.labelstudio.projects import adjudication_spec, ensure_project, require_project
    from annotate.loop.adjudicate import review_tasks, unit_key

    spec = project_spec(project, projects_dir)
    client = connect(url)
    project_id = require_project(client, spec, config_dir=config_dir())
    info(f"Reading the annotations of project {project!r} (id {project_id}) ...")
    with tempfile.TemporaryDirectory(prefix="annotate-") as tmp, gc_paused(exiting=True):
        path = Path(tmp) / "export.json"
        with path.open("wb") as out:
            client.export_snapshot(project_id, out)
        records, predictions = review_tasks(collect([iter_array(path)]), project_id)
    review = adjudication_spec(spec)
    review_id, created = ensure_project(client, review, config_dir=config_dir())
    report = load_tasks(
        client, review_id, records, journal_path=config_dir() / "load-journal.json", fields=review.data_fields(),
        log=info, key=unit_key(records), compare=("versions",), predictions=predictions,
    )  # fmt: skip
    # Importing predictions makes the last one's version the project's active one, which the label
    # stream would pre-fill: no annotator's version should be the default, so none is active.
    client.set_model_version(review_id, "")
    for sid in report.changed:
        info(f"Warning: {sid} is already in review with other annotators' versions; left unchanged")
    emit(
        {"disagreeing": len(records)} | report.as_dict()
        | {"project_id": project_id, "review_project": review.name, "review_project_id": review_id,
           "review_project_created": created},
        fmt,
        f"{len(records)} disagreeing task(s): created {report.created} review task(s), already present "
        f"{report.present} (review project {review.name!r}, id {review_id}{', new' if created else ''}; "
        f"open {client.url}/projects/{review_id})",
    )  # fmt: skip
