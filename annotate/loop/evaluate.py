"""A model's scores on benchmark files (`annotate train --eval FILE`, once or more): precision,
recall and F1 of claim_checkworthy as CLEF CheckThat! reports them, for all the files' rows
together, for each file, and for each language of the rows in it and in all.

A row's language is the table's `language` column where it has one, else detected from the row's
text (annotate.articles.language, py3langid: deterministic, so the same data and seed give the same
figures); a guess below CONFIDENCE_FLOOR is `und` (undetermined, ISO 639-2). Detection looks at a
single row: a short tweet can come out as a neighbouring language (Spanish as Catalan or Galician),
so each language's figure says how many rows it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotate.articles.language import CONFIDENCE_FLOOR, detect
from annotate.vocabulary import CLAIM_CHECKWORTHY, LANGUAGE

POSITIVE = CLAIM_CHECKWORTHY
UNDETERMINED = "und"
EVAL_PREDICTIONS_FILE = "eval_predictions.tsv"


def checkthat_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Precision, recall and F1 of the positive class (Yes = claim_checkworthy), as CheckThat! reports them."""
    from sklearn.metrics import precision_recall_fscore_support

    if not gold:
        return {"items": 0, "positives": 0, "precision": None, "recall": None, "f1": None}
    y_true = [g == POSITIVE for g in gold]
    y_pred = [p == POSITIVE for p in predicted]
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=True, zero_division=0)
    return {"items": len(gold), "positives": sum(y_true), "precision": round(float(p), 4),
            "recall": round(float(r), 4), "f1": round(float(f), 4)}  # fmt: skip


def row_languages(texts: Sequence[str], given: Sequence[Any] | None = None) -> list[str]:
    """Each row's language: the given one (a table's language column) where it is a non-empty
    string, else detected from its text (UNDETERMINED below the confidence floor)."""
    found = []
    for i, text in enumerate(texts):
        own = given[i] if given is not None else None
        if isinstance(own, str) and own.strip():
            found.append(own.strip())
            continue
        code, confidence = detect(text)
        found.append(code if confidence >= CONFIDENCE_FLOOR else UNDETERMINED)
    return found


def by_language(gold: Sequence[str], predicted: Sequence[str], languages: Sequence[str]) -> dict[str, Any]:
    """The scores of each language's rows, the languages with the most rows first (then by code)."""
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for g, p, code in zip(gold, predicted, languages, strict=True):
        rows.setdefault(code, ([], []))
        rows[code][0].append(g)
        rows[code][1].append(p)
    ordered = sorted(rows.items(), key=lambda item: (-len(item[1][0]), item[0]))
    return {code: checkthat_scores(g, p) for code, (g, p) in ordered}


def prediction_names(files: Sequence[Path]) -> list[str]:
    """The predictions file of each eval file: eval_predictions.tsv for one; for several,
    eval_predictions-<its stem>.tsv (numbered when two stems are the same)."""
    if len(files) == 1:
        return [EVAL_PREDICTIONS_FILE]
    names: list[str] = []
    for path in files:
        name = f"eval_predictions-{path.stem}.tsv"
        number = 2
        while name in names:
            name, number = f"eval_predictions-{path.stem}-{number}.tsv", number + 1
        names.append(name)
    return names


def eval_report(files: Sequence[Path], rows: Sequence[Any], predicted: Sequence[Sequence[str]]) -> dict[str, Any]:
    """model.json's `eval`: the scores of all the files' rows together, `languages` (the same by
    language), and `files`, each file's own (its path, predictions file and languages). `rows` are
    the files' rows (read_benchmark), `predicted` their predicted claim_status."""
    names = prediction_names(files)
    every: tuple[list[str], list[str], list[str]] = ([], [], [])
    per_file = []
    for path, name, frame, guesses in zip(files, names, rows, predicted, strict=True):
        gold = frame["gold_claim_status"].astype(str).tolist()
        given = frame[LANGUAGE].tolist() if LANGUAGE in frame.columns else None
        languages = row_languages(frame["text"].astype(str).tolist(), given)
        per_file.append({"file": str(path), "predictions": name, **checkthat_scores(gold, guesses),
                         "languages": by_language(gold, guesses, languages)})  # fmt: skip
        for found, part in zip(every, (gold, list(guesses), languages), strict=True):
            found += part
    report = checkthat_scores(every[0], every[1])
    return report | {"languages": by_language(*every), "files": per_file,
                     "language_from": "the table's language column, else detected per row (py3langid; "
                     f"{UNDETERMINED} below {CONFIDENCE_FLOOR})"}  # fmt: skip
