"""`annotate prelabel`: suggestions for annotators, from the rules or from a model `annotate train`
made. A model's suggestion is the rules' spans and relations with the model's claim_status guess,
in one model version (a right one is confirmed in one action); its probability is the score, so
Label Studio's uncertainty sampling can serve the least certain task first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.labelstudio.api.prelabel import MODEL_VERSION, Predictor, prelabel_project, rules, with_status
from annotate.labelstudio.api.projects import ProjectSpec, require_project
from annotate.loop.fusion import Semantic


@dataclass
class PrelabelReport:
    added: int
    already_predicted: int
    model_version: str
    project: str
    project_id: int
    ordered_by_uncertainty: bool
    active: bool = True  # the project's active model version: the suggestions the label stream shows

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "already_predicted": self.already_predicted, "model_version": self.model_version,
                "project_id": self.project_id, "active": self.active,
                "ordered_by_uncertainty": self.ordered_by_uncertainty}  # fmt: skip

    def text(self) -> str:
        shown = "; annotators see them as suggestions" if self.active else "; not active: annotators do not see them"
        ordered = "; annotators now get the least certain tasks first" if self.ordered_by_uncertainty else ""
        return (f"added {self.added} predictions ({self.model_version}); {self.already_predicted} tasks already had "
                f"one (project {self.project!r}){shown}{ordered}")  # fmt: skip


def model_predictor(model_dir: Path, semantic: Semantic | None = None, *, min_confidence: float | None = None,
                    spec: ProjectSpec | None = None) -> tuple[Predictor, str]:  # fmt: skip
    """(predictor, model version) of a model folder written by `annotate train` (semantic: the
    embedding model it was trained with, when it was). min_confidence: the claim_status choice is
    pre-filled only from that certainty; below it the suggestion has the spans alone, so the
    annotator chooses from a clean editor. It is part of the model version (`MODEL_ID-min0.8`): a
    run with another P adds another version's predictions, never changes these."""
    from annotate.loop.train import load_model

    loaded = load_model(model_dir, semantic=semantic)
    if spec is not None:
        check_model_fits(loaded, spec)
    floor = -1.0 if min_confidence is None else min_confidence

    def predict(texts: list[str]) -> list[tuple[list[dict[str, Any]], float]]:
        return [(with_status(text, status) if p >= floor else with_status(text, None), p)
                for text, (status, p) in zip(texts, loaded.predict(texts), strict=True)]  # fmt: skip

    version = loaded.model_id if min_confidence is None else f"{loaded.model_id}-min{min_confidence:g}"
    return predict, version


def check_model_fits(model: Any, spec: ProjectSpec) -> None:
    """InputError unless every label the model predicts is a claim_status choice of the project
    (a model trained on another project's labels is refused before any request)."""
    from annotate.errors import InputError
    from annotate.vocabulary import CLAIM_STATUS

    control = spec.rules().controls.get(CLAIM_STATUS)
    offered = control.values if control is not None else frozenset()
    unknown = sorted(set(model.meta.get("labels") or ()) - set(offered or ()))
    if control is None:
        raise InputError(f"project {spec.name!r} has no claim_status choice for {model.model_id} to pre-fill",
                         hint="pre-label the claims project (--project claims)")  # fmt: skip
    if unknown:
        raise InputError(f"{model.model_id} predicts {', '.join(unknown)}, which project {spec.name!r} does not offer "
                         f"(its claim_status choices: {', '.join(sorted(offered or ()))})",
                         hint="pre-label with a model trained on this project's labels")  # fmt: skip


def predictor_for(model_dir: Path | None, semantic: Semantic | None = None, *, min_confidence: float | None = None,
                  spec: ProjectSpec | None = None) -> tuple[Predictor, str]:  # fmt: skip
    """(predictor, model version): a trained model's (checked against the project `spec`), else
    the rules'."""
    if model_dir is None:
        return rules, MODEL_VERSION
    return model_predictor(model_dir, semantic, min_confidence=min_confidence, spec=spec)


def prelabel(
    client: Any, spec: ProjectSpec, *, config_dir: Path, predictor: tuple[Predictor, str] = (rules, MODEL_VERSION),
    order_by_uncertainty: bool = False, activate: bool = True,
) -> PrelabelReport:  # fmt: skip
    """Attach a prediction to every task of the project without one of this model version, and
    (unless not `activate`) make the version the one the label stream shows."""
    predictor, version = predictor  # type: ignore[assignment]
    project_id = require_project(client, spec, config_dir=config_dir)
    added, skipped = prelabel_project(client, project_id, model_version=version, predictor=predictor,
                                      activate=activate, uncertainty_sampling=order_by_uncertainty)  # fmt: skip
    return PrelabelReport(added, skipped, version, spec.name, project_id, order_by_uncertainty,
                          activate or order_by_uncertainty)  # fmt: skip
