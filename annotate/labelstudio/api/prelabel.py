"""Rule-based pre-annotations: attribution cues, their source and claim, and a check-worthiness guess.

They reach Label Studio as predictions, which annotators see as suggestions to accept or edit.
The rules are deliberately simple and explainable; a trained model replaces them later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Protocol

from annotate.labelstudio.api import guesses
from annotate.labelstudio.exported import results
from annotate.vocabulary import (
    ARTICLE_ID,
    ATTRIBUTED_TO,
    CLAIM,
    CLAIM_CHECKWORTHY,
    CLAIM_NOT_CHECKWORTHY,
    CLAIM_TYPES,
    CUE,
    CUE_OF,
    NO_CLAIM,
    SOURCE,
    SOURCE_TYPE,
    TEXT,
)  # fmt: skip

MODEL_VERSION = "annotate-rules-2"

_VERB_CUE = re.compile(
    r"\b(said|says|told|claimed|claims|announced|announces|stated|states|noted|notes|added|warned|argued"
    r"|insisted|reported|acknowledged|confirmed|denied|alleged)\b"
)
_ACCORDING = re.compile(r"\baccording to\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|she|they|it|we|i)\s*$", re.IGNORECASE)
_NOUN_BEFORE = re.compile(r"\b((?:the|a|an|his|her|their|its)\s+(?:[\w’'-]+\s+){0,3}[\w’'-]+)\s*$", re.IGNORECASE)
_NAME_BEFORE = re.compile(r"((?:(?:[A-Z][\w’'.-]*|of|the|for|and)\s+){0,7}[A-Z][\w’'.-]*)\s*$")
# A title in lower case before a name: "Health minister Tomas Berg", "central bank governor Ruth Meyer".
_TITLES = (
    r"(?:minister|secretary|governor|official|leader|spokesperson|spokesman|spokeswoman|president|chief"
    r"|director|mayor|chairman|chairwoman|chair|commissioner|senator|ambassador|economist|professor|analyst"
    r"|head|adviser|advisor|executive|prosecutor|judge|general|commander|officer|researcher|scientist)"
)
_TITLED_NAME_BEFORE = re.compile(
    r"((?:[A-Z][\w’'.-]*\s+|(?<![\w’'])[a-z][\w’'-]*\s+){0,3}"
    + _TITLES
    + r"\s+(?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'.-]*)\s*$"
)
# '"...," said X' and '"...," X said': a quotation first, its attribution after it.
_QUOTED_FIRST = re.compile(r"\s*([\"“‘'])(?P<claim>.+?)[,.!?]?\s*[\"”’']\s*,?\s+")
_SOURCE_AFTER_CUE = re.compile(
    r"\s*(?P<source>(?:(?:Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gen|Gov|Sir|St)\.\s+)?"
    r"(?:(?:[A-Z][\w’'.-]*|[a-z][\w’'-]*)\s+){0,5}?[A-Z][\w’'-]*(?:\.[A-Z][\w’'-]*)*|(?:the|a|an)\s+(?:[\w’'-]+\s+){0,3}?[\w’'-]+?)"
    r"(?=\s*(?:,|\.|$|\s+(?:on|in|at|of|from|during|after|before|when|while)\b))"
)
_SOURCE_AFTER = re.compile(r"\s*((?:[\w’'.-]+\s+){0,11}?[\w’'.-]+?)(?=[,.;:]|\s*$)")
_QUANTITY = re.compile(
    r"\d|%|\b(percent|per cent|million|billion|trillion|half|third|quarter|twice|doubled|tripled)\b"
    r"|\b(January|February|March|April|May|June|July|August|September|October|November|December)\b",
    re.IGNORECASE,
)
_PUNCT = ".!?;:, "
_QUOTES = {"”": "“", "’": "‘", '"': '"', "'": "'"}


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without surrounding punctuation, or a closing quote whose opening quote is outside the span."""
    openers = {v: k for k, v in _QUOTES.items() if k not in "\"'"}
    while start < end:
        first = text[start]
        if (first in _PUNCT or (first in openers and openers[first] not in text[start + 1 : end])
                or (first in "\"'" and first not in text[start + 1 : end])):  # fmt: skip
            start += 1
        else:
            break
    while end > start:
        last = text[end - 1]
        if last in _PUNCT or (last in _QUOTES and text[start:end].count(_QUOTES[last]) < (2 if last in "\"'" else 1)):
            end -= 1
        else:
            break
    return start, end


def _quoted_first(text: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """'"...," said X' / '"...," X said': the quotation is the claim, X the source."""
    quoted = _QUOTED_FIRST.match(text)
    if not quoted:
        return None
    claim = _trim(text, quoted.start("claim"), quoted.end("claim"))
    rest = quoted.end()
    cue = _VERB_CUE.match(text, rest)
    if cue:
        after = _SOURCE_AFTER_CUE.match(text, cue.end())
        if after:
            return (cue.start(), cue.end()), _trim(text, after.start("source"), after.end("source")), claim
        return None
    later = _VERB_CUE.search(text, rest)
    if later and later.start() - rest <= 60:
        who = text[rest : later.start()].strip()
        if who and "," not in who:
            start = text.index(who, rest)
            return (later.start(), later.end()), (start, start + len(who)), claim
    return None


def _attribution(text: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """(cue, source, claim) spans, or None when no attribution pattern fits."""
    quoted = _quoted_first(text)
    if quoted:
        return quoted
    according = _ACCORDING.search(text)
    if according:
        after = _SOURCE_AFTER.match(text, according.end())
        if after and after.group(1).strip():
            source = (after.start(1), after.end(1))
            claim = _trim(text, 0, according.start()) if according.start() > 0 else _trim(text, after.end(), len(text))
            if claim[0] < claim[1]:
                return (according.start(), according.end()), source, claim
    for cue in _VERB_CUE.finditer(text):
        before = text[: cue.start()]
        who = (_PRONOUN.search(before) or _TITLED_NAME_BEFORE.search(before) or _NAME_BEFORE.search(before)
               or _NOUN_BEFORE.search(before))  # fmt: skip
        if not who:
            continue
        source = (who.start(1) if who.lastindex else who.start(), who.end(1) if who.lastindex else who.end())
        comma = before.rfind(",", 0, source[0])
        if comma > 0 and source[0] - comma <= 3:
            claim = _trim(text, 0, comma)  # “…,” the minister said.
        else:
            rest = cue.end()
            told = re.match(r"\s+(?:reporters|journalists|parliament|lawmakers|the \w+)(?=\s+that\b)", text[rest:])
            rest += told.end() if cue.group(1) == "told" and told else 0
            that = re.match(r"\s+that\b", text[rest:])
            claim = _trim(text, rest + (that.end() if that else 0), len(text))
        if claim[1] - claim[0] >= 3:
            return (cue.start(), cue.end()), source, claim
    return None


def _spans(text: str, found: Any) -> list[dict[str, Any]]:
    """The CUE, SOURCE and CLAIM spans, their relations, and the SOURCE's type where its words
    settle it (guesses.source_type)."""
    if not found:
        return []
    (cs, ce), (ss, se), (ls, le) = found
    kind = guesses.source_type(text[ss:se])
    return [
        results.span("pcue", CUE, cs, ce, text), results.span("psrc", SOURCE, ss, se, text),
        results.span("pclm", CLAIM, ls, le, text),
        results.relation("pclm", "psrc", ATTRIBUTED_TO), results.relation("pcue", "pclm", CUE_OF),
    ] + ([results.region_choice("psrc", SOURCE_TYPE, kind, ss, se, text)] if kind else [])  # fmt: skip


def _answers(text: str, found: Any, status: str | None) -> list[dict[str, Any]]:
    """claim_status (when given) and, for a claim, the claim types its words settle."""
    if status is None:
        return []
    answers = results.status_result(status)
    if status in (CLAIM_CHECKWORTHY, CLAIM_NOT_CHECKWORTHY):
        start, end = found[2] if found else (0, len(text))
        quoted = start > 0 and text[start - 1] in "\"“‘'"
        kinds = guesses.claim_types(text[start:end], quoted=quoted)
        answers += [results.choices(CLAIM_TYPES, kinds, region_id="ptypes")] if kinds else []
    return answers


def with_status(text: str, status: str | None) -> list[dict[str, Any]]:
    """The rules' spans and relations of a text (CUE, SOURCE, CLAIM, the source's type) with
    another's claim_status guess (none: no choice pre-filled) and the claim types that go with it:
    one suggestion with everything, so that a right one is confirmed in one action."""
    found = _attribution(text)
    return _spans(text, found) + _answers(text, found, status)


def predict(text: str) -> tuple[list[dict[str, Any]], float]:
    """The prediction result for one task text, and its score."""
    found = _attribution(text)
    quantity = bool(_QUANTITY.search(text))
    status, score = (
        (CLAIM_CHECKWORTHY, 0.7) if found and quantity
        else (CLAIM_CHECKWORTHY, 0.5) if quantity
        else (CLAIM_NOT_CHECKWORTHY, 0.5) if found
        else (NO_CLAIM, 0.4)
    )  # fmt: skip
    return _spans(text, found) + _answers(text, found, status), score


class _PredictionServer(Protocol):
    def tasks(self, project_id: int) -> list[Any]: ...
    def prediction_task_ids(self, project_id: int, model_version: str) -> set[int]: ...
    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int: ...
    def set_model_version(self, project_id: int, model_version: str, *, uncertainty_sampling: bool = False) -> None: ...
    def set_prediction_clusters(self, project_id: int, model_version: str, clusters: dict[int, int]) -> int: ...


Predictor = Callable[[list[str]], list[tuple[list[dict[str, Any]], float]]]


def rules(texts: list[str]) -> list[tuple[list[dict[str, Any]], float]]:
    return [predict(text) for text in texts]


def prelabel_project(
    client: _PredictionServer,
    project_id: int,
    *,
    model_version: str = MODEL_VERSION,
    predictor: Predictor = rules,
    batch_size: int = 1000,
    activate: bool = True,
    uncertainty_sampling: bool = False,
) -> tuple[int, int]:
    """Add a prediction to every task without one of this model_version. Returns (added, skipped).

    With `activate`, model_version becomes the project's active one: Label Studio's label stream
    ("Label All Tasks") shows only the predictions of that version, so without it annotators see no
    suggestion at all (measured, 1.23.2). `uncertainty_sampling` also serves the lowest score first.
    """
    done = client.prediction_task_ids(project_id, model_version)
    every = client.tasks(project_id)
    todo = [t for t in every if t.id not in done and isinstance(t.data.get(TEXT), str)]
    added = 0
    for start in range(0, len(todo), batch_size):
        tasks = todo[start : start + batch_size]
        guesses = predictor([t.data[TEXT] for t in tasks])
        batch = [results.prediction(task.id, result, model_version=model_version, score=score)
                 for task, (result, score) in zip(tasks, guesses, strict=True)]  # fmt: skip
        added += client.import_predictions(project_id, batch)
    if uncertainty_sampling:
        client.set_prediction_clusters(project_id, model_version, {t.id: cluster(t.data) for t in every})
    if activate or uncertainty_sampling:
        client.set_model_version(project_id, model_version, uncertainty_sampling=uncertainty_sampling)
    return added, len(done)


def cluster(data: dict[str, Any]) -> int:
    """A task's prediction cluster: its article (a stable 31-bit number of article_id, else of the
    text), so that uncertainty sampling does not serve one annotator an article's near-identical
    sentences while another gets none of them."""
    key = data.get(ARTICLE_ID)
    key = key if isinstance(key, str) and key else str(data.get(TEXT, ""))
    return int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:4], "big") >> 1
