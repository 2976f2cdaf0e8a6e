"""A check-worthiness baseline: TF-IDF and logistic regression (scikit-learn) on a dataset's train
split, scored on its test split the way CLEF CheckThat! scores it (precision, recall and F1 of the
positive class, Yes = claim_checkworthy), and saved with the hash of its training data.

The model predicts all three claim_status values, so `annotate prelabel --model` can pre-fill the
claims project's own choice; the CheckThat! scores read "claim_checkworthy or not" from it.
A model folder holds `model.joblib` (the fitted pipeline), `model.json` (its id, data hash,
labels, parameters, versions and scores) and `test_predictions.tsv` in the CheckThat! run format
(`id<TAB>class_label<TAB>run_id`). The joblib file is a pickle: load only models you made.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.articles.rows import is_row_file, read_rows, reference_scale, suggested_status
from annotate.errors import InputError, UsageError
from annotate.outputs import replace_folder
from annotate.vocabulary import CLAIM_CHECKWORTHY, CLAIM_STATUS, REFERENCE_LABEL, SENTENCE_ID, SOURCE_ID, TEXT

POSITIVE = CLAIM_CHECKWORTHY
PARAMS = {"ngram_range": [1, 2], "min_df": 1, "sublinear_tf": True, "C": 1.0, "class_weight": "balanced"}
MODEL_FILE, META_FILE, PREDICTIONS_FILE = "model.joblib", "model.json", "test_predictions.tsv"
EVAL_PREDICTIONS_FILE = "eval_predictions.tsv"


def read_benchmark(path: Path) -> pd.DataFrame:
    """A benchmark file (CheckThat! or ClaimBuster .tsv/.csv, see articles/rows.py) as sentences with
    gold: each row's label on claim_status (CheckThat!'s No as no_claim: on its scale, the same)."""
    corpus = read_rows(path)
    labels = {str(r[REFERENCE_LABEL]) for r in corpus.records if r[REFERENCE_LABEL] is not None}
    scale = reference_scale(labels)
    if scale is None:
        raise InputError(f"{path}: its labels {sorted(labels)[:5]} are on no benchmark scale I know",
                         hint="CheckThat! (Yes/No, 1/0) or ClaimBuster (-1/0/1)")  # fmt: skip
    return pd.DataFrame({
        SENTENCE_ID: [r[SENTENCE_ID] for r in corpus.records], SOURCE_ID: [r[SOURCE_ID] for r in corpus.records],
        TEXT: [r[TEXT] for r in corpus.records],
        "gold_claim_status": [suggested_status(str(r[REFERENCE_LABEL]), scale[1]) for r in corpus.records],
        "split": "train",
    })  # fmt: skip


def read_training_data(path: Path) -> pd.DataFrame:
    """A dataset folder's sentences table, or a benchmark file's rows (all of them the train split)."""
    return read_benchmark(path) if path.is_file() and is_row_file(str(path)) else read_sentences(path)


def _ids(rows: pd.DataFrame) -> list[str]:
    """The ids predictions go out with: the benchmark's own where the row came from one."""
    own = rows[SOURCE_ID] if SOURCE_ID in rows.columns else [None] * len(rows)
    return [str(o) if isinstance(o, str) else str(s) for o, s in zip(own, rows[SENTENCE_ID], strict=True)]


def _write_run(path: Path, ids: list[str], predicted: list[str], run_id: str) -> None:
    """Predictions in the CheckThat! run format: id, class_label (Yes/No), run_id."""
    with path.open("w", encoding="utf-8") as out:
        out.write("id\tclass_label\trun_id\n")
        for sid, label in zip(ids, predicted, strict=True):
            out.write(f"{sid}\t{'Yes' if label == POSITIVE else 'No'}\t{run_id}\n")


def read_sentences(dataset_dir: Path) -> pd.DataFrame:
    """The sentences table of a dataset folder written by `annotate combine` (any of its formats)."""
    for name, reader in (("sentences.parquet", pd.read_parquet), ("sentences.csv", pd.read_csv),
                         ("sentences.jsonl", lambda p: pd.read_json(p, lines=True))):  # fmt: skip
        path = dataset_dir / name
        if path.exists():
            try:
                table = reader(path)
            except Exception as exc:  # pandas and pyarrow raise many kinds
                hint = "write it again with `annotate combine`"
                raise InputError(f"{path}: cannot be read ({exc})", hint=hint) from None
            missing = [c for c in (SENTENCE_ID, TEXT, "gold_claim_status", "split") if c not in table.columns]
            if missing:
                raise InputError(f"{path}: lacks the column(s) {', '.join(missing)}",
                                 hint="write it again with `annotate combine`")  # fmt: skip
            return table
    raise InputError(f"{dataset_dir}: no sentences table (sentences.parquet, .csv or .jsonl)",
                     hint="make the dataset with `annotate combine EXPORT... -o DIR`")  # fmt: skip


def _inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or inside it."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def data_hash(rows: pd.DataFrame) -> str:
    """sha256 of the (sentence_id, text, label) rows, in sentence_id order: the training data's identity."""
    digest = hashlib.sha256()
    for sid, text, label in sorted(zip(rows[SENTENCE_ID].astype(str), rows[TEXT].astype(str),
                                       rows["gold_claim_status"].astype(str), strict=True)):  # fmt: skip
        digest.update(json.dumps([sid, text, label], ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def checkthat_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Precision, recall and F1 of the positive class (Yes = claim_checkworthy), as CheckThat! reports them."""
    from sklearn.metrics import precision_recall_fscore_support

    if not gold:
        return {"items": 0, "positives": 0, "precision": None, "recall": None, "f1": None}
    y_true = [g == POSITIVE for g in gold]
    y_pred = [p == POSITIVE for p in predicted]
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=True, zero_division=0)
    return {"items": len(gold), "positives": sum(y_true), "precision": round(float(p), 4),
            "recall": round(float(r), 4), "f1": round(float(f), 4)}  # fmt: skip


def _pipeline(seed: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=tuple(PARAMS["ngram_range"]), min_df=PARAMS["min_df"],
                        sublinear_tf=PARAMS["sublinear_tf"]),
        LogisticRegression(C=PARAMS["C"], class_weight=PARAMS["class_weight"], max_iter=2000, random_state=seed),
    )  # fmt: skip


def train(dataset_dir: Path, model_dir: Path, *, seed: int = 13, eval_file: Path | None = None) -> dict[str, Any]:
    """Fit on the train split of a dataset folder (or on every row of a benchmark file), score on the
    test split, and with `eval_file` on a benchmark file (its predictions in eval_predictions.tsv);
    save to model_dir; return model.json's content."""
    import joblib
    import sklearn

    if dataset_dir.is_dir() and _inside(dataset_dir, model_dir):
        raise UsageError(f"-o {model_dir} is the dataset folder or holds it; the model would replace the dataset",
                         hint="give -o a folder of its own, e.g. -o model")  # fmt: skip
    sentences = read_training_data(dataset_dir)
    evaluation = read_benchmark(eval_file) if eval_file is not None else None
    # An empty text is read back as NaN (CSV, and pandas 3 keeps NaN through astype(str)).
    sentences[TEXT] = sentences[TEXT].fillna("").astype(str)
    sentences[SENTENCE_ID] = sentences[SENTENCE_ID].fillna("").astype(str)
    labelled = sentences[sentences["gold_claim_status"].notna() & (sentences[TEXT].str.strip() != "")].copy()
    labelled["gold_claim_status"] = labelled["gold_claim_status"].astype(str)
    train_rows = labelled[labelled["split"] == "train"]
    test_rows = labelled[labelled["split"] == "test"]
    classes = sorted(set(train_rows["gold_claim_status"]))
    if len(classes) < 2:
        raise InputError(f"{dataset_dir}: the train split has {len(train_rows)} labelled sentence(s) with "
                         f"{len(classes)} claim_status value(s); a classifier needs at least two",
                         hint="annotate more articles, or combine with another --split")  # fmt: skip
    digest = data_hash(train_rows)
    model = _pipeline(seed).fit(train_rows["text"].astype(str).tolist(), train_rows["gold_claim_status"].tolist())
    model_id = (
        "annotate-tfidf-lr-"
        + hashlib.sha256(
            json.dumps({"data": digest, "params": PARAMS, "seed": seed}, sort_keys=True).encode()
        ).hexdigest()[:12]
    )
    predicted = model.predict(test_rows["text"].astype(str).tolist()).tolist() if len(test_rows) else []
    meta = {
        "model_id": model_id, "kind": "tfidf+logistic_regression", "target": CLAIM_STATUS,
        "labels": [str(c) for c in model.classes_], "positive_label": POSITIVE,
        "train_data_sha256": digest, "train_sentences": len(train_rows), "seed": seed, "params": PARAMS,
        "dataset": str(dataset_dir), "versions": {"scikit-learn": sklearn.__version__},
        "test": checkthat_scores(test_rows["gold_claim_status"].tolist(), predicted),
    }  # fmt: skip
    evaluated: list[str] = []
    if evaluation is not None:
        evaluated = model.predict(evaluation[TEXT].astype(str).tolist()).tolist() if len(evaluation) else []
        meta["eval"] = checkthat_scores(evaluation["gold_claim_status"].tolist(), evaluated) | {"file": str(eval_file)}

    def build(folder: Path) -> list[Path]:
        joblib.dump(model, folder / MODEL_FILE)
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _write_run(folder / PREDICTIONS_FILE, _ids(test_rows), predicted, model_id)
        if evaluation is not None:
            _write_run(folder / EVAL_PREDICTIONS_FILE, _ids(evaluation), evaluated, model_id)
        return [folder / MODEL_FILE, folder / META_FILE, folder / PREDICTIONS_FILE]

    # All or nothing: a failed run leaves a previous model in model_dir as it was.
    replace_folder(model_dir, build)
    return meta


@dataclass
class Model:
    """A saved model, loaded for pre-annotation."""

    meta: dict[str, Any]
    pipeline: Any

    @property
    def model_id(self) -> str:
        return str(self.meta["model_id"])

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(claim_status, probability of that label) per text."""
        if not texts:
            return []
        probabilities = self.pipeline.predict_proba(texts)
        labels = list(self.pipeline.classes_)
        return [(str(labels[row.argmax()]), round(float(row.max()), 4)) for row in probabilities]


def load_model(model_dir: Path) -> Model:
    import joblib

    meta_path, model_path = model_dir / META_FILE, model_dir / MODEL_FILE
    if not meta_path.exists() or not model_path.exists():
        raise InputError(f"{model_dir}: not a model folder (needs {META_FILE} and {MODEL_FILE})",
                         hint="make one with `annotate train DATASET_DIR -o MODEL_DIR`")  # fmt: skip
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        pipeline = joblib.load(model_path)
    except Exception as exc:  # a damaged pickle raises anything
        raise InputError(f"{model_dir}: the model cannot be loaded ({type(exc).__name__}: {exc})",
                         hint="train it again with `annotate train`") from None  # fmt: skip
    if not isinstance(meta, dict) or "model_id" not in meta or not hasattr(pipeline, "predict_proba"):
        raise InputError(f"{model_dir}: not a model written by `annotate train`")
    return Model(meta, pipeline)
