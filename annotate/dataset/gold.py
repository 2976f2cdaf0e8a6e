"""The gold policy: which answer of a unit is its gold label, and which annotation stands for it.

For claim_status (and the verification project's verdict), in order: an adjudication (`annotate
adjudicate`); else an annotation marked ground truth; else the majority of the annotators (a tie is
flagged and left without gold, never guessed); else the one annotator. The rule that decided is
kept (`gold_rule`), and who adjudicated.
"""

from __future__ import annotations

from collections import Counter

from annotate.dataset.collect import Collection, Sentence
from annotate.labelstudio.exported.views import Annotation, Span
from annotate.vocabulary import CLAIM_STATUS

Gold = dict[str, tuple[str | None, str, dict[str, int]]]  # unit -> gold_status(...)


def gold_status(
    annotations: dict[str, Annotation], answers: dict[str, str], adjudicated: str | None = None
) -> tuple[str | None, str, dict[str, int]]:
    """(gold answer, the rule that decided, the distribution of answers), from a unit's
    annotations, their answers (annotator -> answer) and an adjudicator's answer."""
    if not adjudicated and len(answers) <= 1:  # most units: one annotator or none (no Counter needed)
        for who, answer in answers.items():
            return answer, "ground_truth" if annotations[who].ground_truth else "single", {answer: 1}
        return None, "none", {}
    distribution = Counter(answers.values())
    if adjudicated:
        return adjudicated, "adjudicated", dict(distribution)
    truth = [answers[who] for who, a in annotations.items() if a.ground_truth and who in answers]
    if truth:
        return truth[-1], "ground_truth", dict(distribution)
    if not distribution:
        return None, "none", {}
    ranked = distribution.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, "tie", dict(distribution)
    return ranked[0][0], "majority" if sum(distribution.values()) > 1 else "single", dict(distribution)


def adjudicated_answer(sentence: Sentence, control: str = CLAIM_STATUS) -> str | None:
    chosen = sentence.adjudication[1].choices(control) if sentence.adjudication else []
    return chosen[0] if chosen else None


def golds(collection: Collection) -> Gold:
    status = collection.claim_status
    return {
        sid: gold_status(s.annotations, status[sid], adjudicated_answer(s)) for sid, s in collection.sentences.items()
    }


def gold_annotation(
    sentence: Sentence, answers: dict[str, str], gold: str | None, control: str = CLAIM_STATUS
) -> tuple[str, Annotation] | None:
    """(who, annotation) that stands for the gold answer of `control` (for its spans, evidence...):
    the adjudication; else the last ground-truth annotation with the gold answer (the one
    gold_status takes); else the first annotator who gave it."""
    if sentence.adjudication and adjudicated_answer(sentence, control) == gold:
        return sentence.adjudication
    agreeing = [(who, a) for who, a in sentence.annotations.items() if gold is not None and answers.get(who) == gold]
    truth = [(who, a) for who, a in agreeing if a.ground_truth]
    return truth[-1] if truth else (agreeing or [None])[0]


def gold_spans(collection: Collection, gold_by: Gold) -> dict[str, list[Span]]:
    """unit -> the spans of its gold annotation (see gold_annotation)."""
    status = collection.claim_status
    found = {}
    for sid, sentence in collection.sentences.items():
        chosen = gold_annotation(sentence, status[sid], gold_by[sid][0])
        found[sid] = [] if chosen is None else list(chosen[1].spans())
    return found
