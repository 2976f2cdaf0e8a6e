"""The model card `annotate train` writes beside model.json: README.md, for a person deciding
whether to use the model, and reliability.png (calibrated certainty against how often the label was
right, on the test split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CARD_FILE, PLOT_FILE = "README.md", "reliability.png"


def _scores(scores: dict[str, Any] | None) -> str:
    if not scores or scores.get("f1") is None:
        return "not measured (no labelled sentences)"
    return (f"precision {scores['precision']}, recall {scores['recall']}, F1 {scores['f1']} of claim_checkworthy on "
            f"{scores['items']} sentences ({scores['positives']} check-worthy)")  # fmt: skip


def card(meta: dict[str, Any]) -> str:
    """README.md of a model folder, from its model.json."""
    embedding = meta.get("embedding")
    features = ("hashed word 1-2-grams (TF-IDF weighted) and each sentence's vector from the embedding model "
                f"{embedding['model']} {embedding['version']} (weight {embedding['weight']})" if embedding
                else "hashed word 1-2-grams (TF-IDF weighted), no embedding model")  # fmt: skip
    calibration = meta.get("calibration")
    lines = [
        f"# {meta['model_id']}", "",
        f"A check-worthiness model made by `annotate train`: it guesses a sentence's `claim_status` "
        f"({', '.join(meta['labels'])}) from {features}, with logistic regression fitted by stochastic gradient "
        "descent.", "",
        "## Data", "",
        f"- {meta['train_sentences']} train sentences of `{meta['dataset']}`, sha256 of the rows "
        f"`{meta['train_data_sha256']}`; seed {meta['seed']}, {meta['epochs']} passes.",
        f"- claim_checkworthy is said where its probability, weighted by {meta.get('positive_weight', 1.0):g} "
        f"(the best F1 out of fold on the train sentences: {meta.get('out_of_fold_f1')}), is the highest.",
        "",
        "## Scores", "",
        f"- test split: {_scores(meta.get('test'))}.",
    ]  # fmt: skip
    for one in meta.get("eval", {}).get("files", []):
        languages = "; ".join(f"{code} {_scores(scores)}" for code, scores in one["languages"].items())
        lines.append(f"- {one['file']}: {_scores(one)}; by language: {languages}.")
    lines += ["", "## Certainty", ""]
    if calibration:
        lines.append("The `score` of a suggestion is the probability of the label shown, calibrated by Platt scaling "
                     f"on {calibration['rows']} dev sentences. How it held on the test split:")  # fmt: skip
    else:
        lines.append("The `score` of a suggestion is the classifier's probability of the label shown, not calibrated "
                     "(the dataset has fewer than 50 labelled dev sentences). On the test split:")  # fmt: skip
    table = meta.get("reliability") or []
    if table:
        lines += ["", "| certainty | sentences | mean certainty | share right |", "|---|---|---|---|"]
        lines += [f"| {b['from']:.1f}-{b['to']:.1f} | {b['rows']} | {b['predicted']:.2f} | {b['observed']:.2f} |"
                  for b in table]  # fmt: skip
        lines += ["", f"![reliability]({PLOT_FILE})"]
    else:
        lines.append("no labelled test sentences.")
    lines += [
        "", "## Do not use it for", "",
        "- deciding alone what is checked or published: it orders and pre-fills work for people, who confirm;",
        "- text unlike its train split (another genre, language or period) without scoring it there first "
        "(`annotate train ... --eval FILE`);",
        "- judging whether a claim is true: it says whether a sentence is worth checking, nothing about its truth.",
        "",
        "The model file is a pickle (joblib): load only models you made.", "",
    ]  # fmt: skip
    return "\n".join(lines)


def plot(meta: dict[str, Any], path: Path) -> Path | None:
    """reliability.png: certainty against the share right, per bin of the test split (None without one)."""
    table = meta.get("reliability") or []
    if not table:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 4), dpi=100)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    axes.plot([b["predicted"] for b in table], [b["observed"] for b in table], marker="o", label="this model")
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="certainty of the label shown", ylabel="share right (test split)",
             title="Reliability")  # fmt: skip
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path
