"""A check-worthiness model: hashed word 1-2-grams, and where an embedding model is installed or
given (annotate.loop.embeddings) the sentence's vector beside them, with logistic regression fitted by stochastic
gradient descent (scikit-learn's HashingVectorizer and SGDClassifier) on a dataset's train split,
scored on its test split the way CLEF CheckThat! scores it (precision, recall and F1 of the positive
class, Yes = claim_checkworthy), and saved with the hash of its training data.

It streams: the sentences table is read in batches of rows and only the columns it needs (pyarrow
for parquet), and the classifier learns batch by batch (partial_fit), so memory does not grow with
the dataset: a million sentences train on a small machine. The hashing needs no vocabulary; the
same data, order and seed give the same model.

Vectors come from the one vector cache (annotate.loop.vectors), as e5 `query` vectors, weighted by
EMBEDDING_WEIGHT beside the n-grams; model.json records the embedding model and version, and a
model made with one is used only with the same one. Without an embedding model, train says so and
uses the n-grams alone.

The model predicts all three claim_status values, so `annotate prelabel --model` can pre-fill the
claims project's own choice; the CheckThat! scores read "claim_checkworthy or not" from it. The
hashed n-grams no training row had weigh nothing, and the probability of claim_checkworthy is
weighted by a factor chosen out of fold on the training rows (annotate.loop.decision): at 0.5 a
model said Yes to too few new sentences, below plain TF-IDF baselines outside English.
A model folder holds `model.joblib` (the fitted features and classifier), `model.json` (its id,
data hash, labels, parameters, versions, scores, calibration), `README.md` and `reliability.png`
(its model card, annotate.loop.modelcard) and `test_predictions.tsv` in the CheckThat! run format
(`id<TAB>class_label<TAB>run_id`). The joblib file is a pickle: load only models you made.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.articles.rows import is_row_file, read_rows, reference_scale, suggested_status
from annotate.errors import InputError, UsageError
from annotate.loop import calibration, decision, modelcard
from annotate.loop.embeddings import QUERY
from annotate.loop.evaluate import checkthat_scores, eval_report, prediction_names
from annotate.loop.fusion import Semantic
from annotate.outputs import replace_folder
from annotate.vocabulary import (
    CLAIM_CHECKWORTHY,
    CLAIM_STATUS,
    LANGUAGE,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SOURCE_COLUMNS,
    SOURCE_ID,
    TEXT,
)

POSITIVE = CLAIM_CHECKWORTHY
PARAMS = {"ngram_range": [1, 2], "n_features": 2**20, "text": "NFC, combining marks removed, lowercased",
          "sublinear_tf": True, "idf": True,
          "loss": "log_loss", "alpha": 1e-5, "average": True, "class_weight": "balanced",
          "updates": 500_000, "epochs": [3, 100],
          "unseen_ngrams": "weight 0", "positive_weight": f"best F1 over {decision.FOLDS} folds"}  # fmt: skip
# The vectors' weight beside the n-grams (each row of both is L2-normalised). On CheckThat! 2024
# English, train -> dev: F1 0.913 at 1, 0.910 at 2, 0.902 at 3, 0.856 without vectors
# (benchmarks/RESULTS.md); 2 was taken from the two within 0.003 of each other.
EMBEDDING_WEIGHT = 2.0
BATCH_ROWS = 20_000  # rows read, hashed and learned at a time
CACHE_ROWS = 200_000  # up to this many training rows, their hashed features are kept between epochs
COLUMNS = (SENTENCE_ID, TEXT, "gold_claim_status", "split")
MODEL_FILE, META_FILE, PREDICTIONS_FILE = "model.joblib", "model.json", "test_predictions.tsv"


def text_form(text: str) -> str:
    """A text as the n-grams read it: NFC, lowercased, without combining marks. Word tokens are runs
    of \\w, which a combining mark is not: an Arabic shadda or vowel mark inside a word cut it
    (الصحّة gave الصح), a fully vocalised word gave no token (مُحَمَّد), so spellings with and
    without marks never met. On CheckThat! 2024 task 1, train -> dev (never
    dev-test): Arabic F1 0.194 -> 0.201; Dutch 0.530 and English 0.856 unchanged."""
    return "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) != "Mn").lower()


def read_benchmark(path: Path) -> pd.DataFrame:
    """A benchmark file (CheckThat! or ClaimBuster .tsv/.csv, see articles/rows.py) as sentences with
    gold: each row's label on claim_status (CheckThat!'s No as no_claim: on its scale, the same)."""
    _sniff_table(path)
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
        "split": "train", LANGUAGE: [r[SOURCE_COLUMNS]["cells"].get(LANGUAGE) for r in corpus.records],
    })  # fmt: skip


def _sniff_table(path: Path) -> None:
    """UsageError for a file of another kind than a benchmark table, named by what it looks like."""
    takes = "--eval and a benchmark file to train on take a CheckThat! or ClaimBuster table (.tsv or .csv)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return  # read_rows says what is wrong with it
    if head[:1] in (b"[", b"{"):
        raise UsageError(
            f"{path} is JSON (an export or task records?); {takes}",
            hint="make a table with `annotate combine` (sentences.csv) or give the benchmark's own file",
        )
    if not is_row_file(str(path)):
        raise UsageError(f"{path} is not a .tsv or .csv file; {takes}")


def training_batches(path: Path, left_out: Counter[str] | None = None) -> Iterator[pd.DataFrame]:
    """A dataset folder's sentences table in batches (see sentence_batches), or a benchmark file's rows
    (all of them the train split, one batch: benchmark files are read whole), labelled rows only;
    `left_out` counts, by split, the labelled rows without a text."""
    batches = iter([read_benchmark(path)]) if path.is_file() and is_row_file(str(path)) else sentence_batches(path)
    for batch in batches:
        labelled = _labelled(batch)
        if left_out is not None:
            gold = batch[batch["gold_claim_status"].notna()]
            left_out.update(gold.loc[gold.index.difference(labelled.index), "split"].astype(str))
        yield labelled


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


def sentence_batches(dataset_dir: Path, *, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The sentences table of a dataset folder, `rows` at a time, with only the columns train needs
    (sentence_id, text, gold_claim_status, split, and source_id where there is one)."""
    for name, reader in (("sentences.parquet", _parquet), ("sentences.csv", _csv), ("sentences.jsonl", _jsonl)):
        path = dataset_dir / name
        if path.exists():
            yield from _checked(path, reader, rows)
            return
    raise InputError(f"{dataset_dir}: no sentences table (sentences.parquet, .csv or .jsonl)",
                     hint="make the dataset with `annotate combine EXPORT... -o DIR`")  # fmt: skip


def _checked(path: Path, reader: Callable[[Path, int], Iterator[pd.DataFrame]], rows: int) -> Iterator[pd.DataFrame]:
    hint = "write it again with `annotate combine`"
    first = True
    try:
        for batch in reader(path, rows):
            if first:
                missing = [c for c in COLUMNS if c not in batch.columns]
                if missing:
                    raise InputError(f"{path}: lacks the column(s) {', '.join(missing)}", hint=hint)
                first = False
            yield batch[[c for c in (*COLUMNS, SOURCE_ID) if c in batch.columns]]
    except InputError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise InputError(f"{path}: cannot be read ({exc})", hint=hint) from None


def _parquet(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    names = table.schema_arrow.names
    columns = [c for c in (*COLUMNS, SOURCE_ID) if c in names]
    if len(columns) < len(COLUMNS) or table.metadata.num_rows == 0:
        yield table.schema_arrow.empty_table().select(columns).to_pandas()
    for batch in table.iter_batches(batch_size=rows, columns=columns):
        yield batch.to_pandas()


def _csv(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    with pd.read_csv(path, chunksize=rows) as chunks:
        yield from chunks


def _jsonl(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    with pd.read_json(path, lines=True, chunksize=rows) as chunks:
        yield from chunks


def _labelled(batch: pd.DataFrame) -> pd.DataFrame:
    """The rows with a gold label and a text (an empty text is read back as NaN from CSV, and pandas
    3 keeps NaN through astype(str))."""
    batch = batch.assign(**{TEXT: batch[TEXT].fillna("").astype(str),
                            SENTENCE_ID: batch[SENTENCE_ID].fillna("").astype(str)})  # fmt: skip
    labelled = batch[batch["gold_claim_status"].notna() & (batch[TEXT].str.strip() != "")]
    return labelled.assign(gold_claim_status=labelled["gold_claim_status"].astype(str))


def _inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or inside it."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _row_hash(digest: Any, rows: pd.DataFrame) -> None:
    for sid, text, label in zip(rows[SENTENCE_ID], rows[TEXT], rows["gold_claim_status"], strict=True):
        digest.update(json.dumps([sid, text, label], ensure_ascii=False).encode("utf-8") + b"\n")


def _epochs(rows: int) -> int:
    """Passes over the training rows: enough for PARAMS["updates"] updates, within PARAMS["epochs"]."""
    low, high = PARAMS["epochs"]
    return max(low, min(high, math.ceil(PARAMS["updates"] / max(rows, 1))))


def _classifier(classes: list[str], counts: Counter[str], seed: int, epochs: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    total = sum(counts.values())
    weights = {c: total / (len(classes) * counts[c]) for c in classes}  # "balanced", which partial_fit cannot do
    return SGDClassifier(loss=PARAMS["loss"], alpha=PARAMS["alpha"], average=PARAMS["average"], class_weight=weights,
                         max_iter=epochs, tol=None, random_state=seed)  # fmt: skip


class _Features:
    """Hashed word 1-2-gram counts, weighted as TfidfVectorizer(sublinear_tf=True) weighs them: the
    document frequencies are counted per hashed feature (a fixed-size array) on the first pass."""

    def __init__(self) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import HashingVectorizer

        self.hashing = HashingVectorizer(ngram_range=tuple(PARAMS["ngram_range"]), n_features=PARAMS["n_features"],
                                         alternate_sign=False, norm=None, preprocessor=text_form)  # fmt: skip
        self.df = np.zeros(PARAMS["n_features"], dtype=np.int64)
        self.documents = 0

    def count(self, texts: list[str]) -> Any:
        import numpy as np

        counts = self.hashing.transform(texts)
        self.df += np.bincount(counts.indices, minlength=len(self.df))  # a row's indices are distinct
        self.documents += counts.shape[0]
        return counts

    def weighting(self) -> Any:
        return _weighting(self.df, self.documents)


def _weighting(df: Any, documents: int) -> Any:
    """TF-IDF weights from document frequencies (smooth_idf, as scikit-learn's), 0 for the hashed
    n-grams no training row had. Those have no coefficient to add, yet with the highest idf they
    took much of a new sentence's L2 norm and pulled its probabilities towards the intercept: 55% of
    it on average for the Arabic dev rows of CheckThat! 2024 task 1 (Dutch 63%, English 19%).
    TfidfVectorizer leaves them out with its vocabulary; this does the same without one."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    weighting = TfidfTransformer(sublinear_tf=True)
    weighting.idf_ = np.where(df > 0, np.log((1 + documents) / (1 + df)) + 1, 0.0)
    weighting.n_features_in_ = len(df)
    return weighting


@dataclass
class Design:
    """The features of texts: the weighted n-grams, and the embedding vectors beside them where the
    model has an embedding (semantic: the model and cache the vectors come from)."""

    hashing: Any
    weighting: Any
    semantic: Semantic | None = None

    def join(self, weighted: Any, vectors: Any) -> Any:
        """The weighted n-grams of some texts with their embedding vectors beside them (if any)."""
        import numpy as np
        import scipy.sparse

        if self.semantic is None:
            return weighted
        dense = scipy.sparse.csr_matrix(np.asarray(vectors) * EMBEDDING_WEIGHT)
        return scipy.sparse.hstack([weighted, dense]).tocsr()

    def __call__(self, texts: list[str]) -> Any:
        vectors = self.semantic.vectors(texts, QUERY) if self.semantic is not None else None
        return self.join(self.weighting.transform(self.hashing.transform(texts)), vectors)


def train(dataset_dir: Path, model_dir: Path, *, seed: int = 13, eval_files: Sequence[Path] = (),
          semantic: Semantic | None = None) -> dict[str, Any]:  # fmt: skip
    """Fit on the train split of a dataset folder (or on every row of a benchmark file), score on the
    test split, and with `eval_files` on benchmark files, each file and language apart (evaluate.py;
    each file's predictions in its eval_predictions file); save to model_dir; return model.json's
    content. The same data, seed and eval files give the same model and figures.

    The dataset is read in batches, a few times: once to count (labels, document frequencies, the
    data hash), then up to CACHE_ROWS training rows are kept hashed and fitted in one call
    (shuffled each epoch); beyond, the classifier learns a batch at a time, the table read once per
    epoch, so memory stays that of a batch; once more to predict the test split.
    """
    if dataset_dir.is_dir() and _inside(dataset_dir, model_dir):
        raise UsageError(f"-o {model_dir} is the dataset folder or holds it; the model would replace the dataset",
                         hint="give -o a folder of its own, e.g. -o model")  # fmt: skip
    embedding = ({**semantic.model, "kind": QUERY, "weight": EMBEDDING_WEIGHT} if semantic is not None
                 else None)  # fmt: skip
    params = PARAMS | {"embedding": embedding} if embedding else PARAMS  # a model without one keeps its id
    evaluations = [read_benchmark(path) for path in eval_files]  # a bad file fails before the work
    first = _first_pass(dataset_dir, semantic)
    model, epochs = _fit(first, dataset_dir, seed, semantic, embedding)
    identity = json.dumps({"data": first.digest.hexdigest(), "params": params, "seed": seed}, sort_keys=True)
    prefix = "annotate-e5-sgd-" if semantic is not None else "annotate-hash-sgd-"
    model_id = prefix + hashlib.sha256(identity.encode()).hexdigest()[:12]
    meta, tested = _measure(model, dataset_dir, first, model_id=model_id, seed=seed, params=params, epochs=epochs)
    evaluated = [[label for label, _ in model.predict(rows[TEXT].astype(str).tolist())] for rows in evaluations]
    if evaluations:
        meta["eval"] = eval_report(eval_files, evaluations, evaluated)

    def build(folder: Path) -> list[Path]:
        import joblib

        joblib.dump(model.parts, folder / MODEL_FILE)
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _write_run(folder / PREDICTIONS_FILE, [i for i, _, _, _ in tested], [y for _, _, _, y in tested], model_id)
        for name, rows, predicted in zip(prediction_names(eval_files), evaluations, evaluated, strict=True):
            _write_run(folder / name, _ids(rows), predicted, model_id)
        (folder / modelcard.CARD_FILE).write_text(modelcard.card(meta), encoding="utf-8")
        modelcard.plot(meta, folder / modelcard.PLOT_FILE)
        return [folder / MODEL_FILE, folder / META_FILE, folder / PREDICTIONS_FILE, folder / modelcard.CARD_FILE]

    # All or nothing: a failed run leaves a previous model in model_dir as it was.
    replace_folder(model_dir, build)
    return meta


@dataclass
class _FirstPass:
    """What one read of the train split gives: label counts, the data hash (rows in table order: the
    model depends on it), document frequencies, the rows themselves while there are few, and the
    labelled rows left out for having no text."""

    counts: Counter[str]
    digest: Any
    features: _Features
    kept: list[tuple[Any, list[str], Any]] | None
    left_out: Counter[str]


def _first_pass(dataset_dir: Path, semantic: Semantic | None) -> _FirstPass:
    found = _FirstPass(Counter(), hashlib.sha256(), _Features(), [], Counter())
    for batch in training_batches(dataset_dir, found.left_out):
        rows = batch[batch["split"] == "train"]
        if not len(rows):
            continue
        labels = rows["gold_claim_status"].tolist()
        found.counts.update(labels)
        _row_hash(found.digest, rows)
        hashed = found.features.count(rows[TEXT].tolist())
        dense = semantic.vectors(rows[TEXT].tolist(), QUERY) if semantic is not None else None  # embedded once
        if found.kept is not None:
            found.kept.append((hashed, labels, dense))
            found.kept = None if sum(found.counts.values()) > CACHE_ROWS else found.kept
    classes = sorted(found.counts)
    left = found.left_out["train"]
    without = f" ({left} more labelled row(s) have no text and were left out)" if left else ""
    if len(classes) < 2:
        raise InputError(f"{dataset_dir}: the train split has {sum(found.counts.values())} labelled sentence(s) with "
                         f"{len(classes)} claim_status value(s); a classifier needs at least two{without}",
                         hint="annotate more articles, or combine with another --split")  # fmt: skip
    return found


def _fit(first: _FirstPass, dataset_dir: Path, seed: int, semantic: Semantic | None,
         embedding: dict[str, Any] | None) -> tuple[Model, int]:  # fmt: skip
    """The model fitted on the kept rows in one call, or a batch at a time for each epoch; its epochs."""
    import numpy as np
    import scipy.sparse

    classes = sorted(first.counts)
    epochs = _epochs(sum(first.counts.values()))
    weighting = first.features.weighting()
    design = Design(first.features.hashing, weighting, semantic)
    classifier = _classifier(classes, first.counts, seed, epochs)
    chosen = None  # past CACHE_ROWS the rows are not kept to fit folds on: the probabilities as they come
    if first.kept is not None:
        kept, first.kept = first.kept, None  # let it go once fitted
        labels = [y for _, ys, _ in kept for y in ys]
        hashed = scipy.sparse.vstack([x for x, _, _ in kept]).tocsr()
        dense = np.vstack([d for _, _, d in kept]) if semantic else None
        del kept
        classifier.fit(design.join(weighting.transform(hashed), dense), labels)
        chosen = _out_of_fold(hashed, np.array(labels), dense, seed=seed, semantic=semantic)
    else:
        for _ in range(epochs):
            for batch in training_batches(dataset_dir):
                rows = batch[batch["split"] == "train"]
                if len(rows):
                    classifier.partial_fit(design(rows[TEXT].tolist()), rows["gold_claim_status"].tolist(),
                                           classes=classes)  # fmt: skip
    parts = {"hashing": first.features.hashing, "weighting": weighting, "classifier": classifier}
    decided = {"positive_weight": 1.0, "out_of_fold_f1": None} | (chosen or {})
    return Model({"embedding": embedding} | decided, parts, semantic), epochs


def _out_of_fold(hashed: Any, labels: Any, dense: Any, *, seed: int, semantic: Semantic | None
                 ) -> dict[str, Any] | None:  # fmt: skip
    """The weight of claim_checkworthy's probability (annotate.loop.decision) chosen on the training
    rows, each scored by a model fitted on the other folds with their own document frequencies (so
    its n-grams are as new to it as unseen text's); None without that label, or where a label has
    fewer rows than folds."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(labels.tolist())
    if POSITIVE not in counts or min(counts.values()) < decision.FOLDS:
        return None
    classes = sorted(counts)
    scored = np.zeros((len(labels), len(classes)))
    for fitted, held in StratifiedKFold(decision.FOLDS, shuffle=True, random_state=seed).split(labels, labels):
        part = hashed[fitted]
        design = Design(None, _weighting(np.bincount(part.indices, minlength=part.shape[1]), len(fitted)), semantic)
        rows = design.join(design.weighting.transform(part), dense[fitted] if semantic else None)
        classifier = _classifier(classes, Counter(labels[fitted].tolist()), seed, _epochs(len(fitted)))
        classifier.fit(rows, labels[fitted])
        held_rows = design.join(design.weighting.transform(hashed[held]), dense[held] if semantic else None)
        scored[held] = classifier.predict_proba(held_rows)
    weight, f1 = decision.best_weight(labels == POSITIVE, scored, classes.index(POSITIVE))
    return {"positive_weight": round(weight, 6), "out_of_fold_f1": round(f1, 4)}


Prediction = tuple[str, str, float, str]  # (id, gold, certainty, predicted label)


def _measure(model: Model, dataset_dir: Path, first: _FirstPass, *, model_id: str, seed: int,
             params: dict[str, Any], epochs: int) -> tuple[dict[str, Any], list[Prediction]]:  # fmt: skip
    """model.json's content (calibrated on the dev split, never trained on; scored and its
    reliability measured on the test split) and the test split's predictions."""
    import numpy as np
    import sklearn

    held = _predictions(model, dataset_dir, "dev")
    found = calibration.fit(np.array([p for _, _, p, _ in held]), np.array([g == y for _, g, _, y in held]))
    model.meta["calibration"] = found.as_dict() if found else None
    tested = _predictions(model, dataset_dir, "test")
    gold = [g for _, g, _, _ in tested]
    predicted = [y for _, _, _, y in tested]
    classifier, embedding = model.parts["classifier"], model.meta["embedding"]
    meta = {
        "model_id": model_id,
        "kind": "hashing+embedding+sgd_logistic_regression" if embedding else "hashing+sgd_logistic_regression",
        "target": CLAIM_STATUS, "labels": [str(c) for c in classifier.classes_], "positive_label": POSITIVE,
        "train_data_sha256": first.digest.hexdigest(), "train_sentences": sum(first.counts.values()), "seed": seed,
        "left_out_without_text": dict(first.left_out),
        "params": params, "epochs": epochs, "embedding": embedding,
        "dataset": str(dataset_dir), "versions": {"scikit-learn": sklearn.__version__},
        "positive_weight": model.meta["positive_weight"], "out_of_fold_f1": model.meta["out_of_fold_f1"],
        "test": checkthat_scores(gold, predicted), "calibration": model.meta["calibration"],
        "reliability": calibration.reliability(np.array([p for _, _, p, _ in tested]),
                                               np.array([g == y for g, y in zip(gold, predicted, strict=True)])),
    }  # fmt: skip
    return meta, tested


def _predictions(model: Model, dataset_dir: Path, split: str) -> list[tuple[str, str, float, str]]:
    """(id, gold, certainty, predicted label) of every labelled row of a split."""
    found = []
    for batch in training_batches(dataset_dir):
        rows = batch[batch["split"] == split]
        if len(rows):
            guesses = model.predict(rows[TEXT].tolist())
            found += [(i, g, p, y) for i, g, (y, p) in zip(_ids(rows), rows["gold_claim_status"], guesses, strict=True)]
    return found


@dataclass
class Model:
    """A saved model, loaded for pre-annotation: its n-gram features and classifier, and the
    embedding model its vectors come from (semantic) when it was trained with one."""

    meta: dict[str, Any]
    parts: dict[str, Any]  # hashing, weighting, classifier
    semantic: Semantic | None = None

    @property
    def model_id(self) -> str:
        return str(self.meta["model_id"])

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(claim_status, certainty of that label) per text: the classifier's probability of it
        (claim_checkworthy's weighted, annotate.loop.decision), calibrated where the model has a
        calibration (annotate.loop.calibration)."""
        return [(label, certainty) for label, certainty, _ in self.assess(texts)]

    def assess(self, texts: list[str]) -> list[tuple[str, float, float]]:
        """(claim_status, certainty of that label, probability of claim_checkworthy) per text; the
        last ranks texts by check-worthiness (0 when the model has no such label)."""
        if not texts:
            return []
        design = Design(self.parts["hashing"], self.parts["weighting"],
                        self.semantic if self.meta.get("embedding") else None)  # fmt: skip
        classifier = self.parts["classifier"]
        labels = list(classifier.classes_)
        probabilities = classifier.predict_proba(design(texts))
        if POSITIVE in labels:  # a model saved before the weight has none: 1
            probabilities = decision.weighted(probabilities, labels.index(POSITIVE),
                                              float(self.meta.get("positive_weight", 1.0)))  # fmt: skip
        shown = probabilities.max(axis=1)
        if self.meta.get("calibration"):
            shown = calibration.Calibration(**self.meta["calibration"])(shown)
        positive = probabilities[:, labels.index(POSITIVE)] if POSITIVE in labels else probabilities[:, 0] * 0
        return [(str(labels[row.argmax()]), round(float(p), 4), round(float(w), 4))
                for row, p, w in zip(probabilities, shown, positive, strict=True)]  # fmt: skip


def uses_embedding(model_dir: Path) -> bool:
    """Whether the model in model_dir was trained with an embedding model (False when unreadable:
    load_model says what is wrong)."""
    try:
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and bool(meta.get("embedding"))


def load_model(model_dir: Path, *, semantic: Semantic | None = None) -> Model:
    """The model in model_dir; one trained with an embedding model needs the same model (semantic),
    else InputError before anything is predicted."""
    import joblib

    meta_path, model_path = model_dir / META_FILE, model_dir / MODEL_FILE
    if not meta_path.exists() or not model_path.exists():
        raise InputError(f"{model_dir}: not a model folder (needs {META_FILE} and {MODEL_FILE})",
                         hint="make one with `annotate train DATASET_DIR -o MODEL_DIR`")  # fmt: skip
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        parts = joblib.load(model_path)
    except Exception as exc:  # a damaged pickle raises anything
        raise InputError(f"{model_dir}: the model cannot be loaded ({type(exc).__name__}: {exc})",
                         hint="train it again with `annotate train`") from None  # fmt: skip
    if hasattr(parts, "steps"):  # a pipeline, as models were saved before embeddings
        parts = dict(zip(("hashing", "weighting", "classifier"), (step for _, step in parts.steps), strict=False))
    if (not isinstance(meta, dict) or "model_id" not in meta or not isinstance(parts, dict)
            or not hasattr(parts.get("classifier"), "predict_proba")):  # fmt: skip
        raise InputError(f"{model_dir}: not a model written by `annotate train`")
    wanted = meta.get("embedding")
    if wanted and (semantic is None or semantic.model != {"model": wanted["model"], "version": wanted["version"]}):
        have = f"{semantic.model['model']} {semantic.model['version']}" if semantic else "no embedding model"
        raise InputError(f"{model_dir}: trained with the embedding model {wanted['model']} {wanted['version']}; "
                         f"this run has {have}",
                         hint="install it (pip install 'annotate[semantic]'), give it with --embedder, or train "
                         "again with the model you have")  # fmt: skip
    return Model(meta, parts, semantic)
