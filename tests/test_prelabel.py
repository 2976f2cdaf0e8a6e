from __future__ import annotations

import pytest

from annotate.labelstudio.api.prelabel import predict


def spans(text: str) -> tuple[dict[str, str], str]:
    result, _score = predict(text)
    for r in result:
        if r["type"] == "labels":
            assert text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"]
    found = {r["value"]["labels"][0]: r["value"]["text"] for r in result if r["type"] == "labels"}
    (status,) = [r["value"]["choices"][0] for r in result if r["type"] == "choices"]
    return found, status


@pytest.mark.parametrize(
    ("text", "expected", "status"),
    [
        ("Unemployment fell by 3% last year, the minister said.",
         {"CUE": "said", "SOURCE": "the minister", "CLAIM": "Unemployment fell by 3% last year"}, "claim_checkworthy"),
        ("He noted that troop deployments would be “essential,” and the alliance a true “coalition of the willing.”",
         {"CUE": "noted", "SOURCE": "He",
          "CLAIM": "troop deployments would be “essential,” and the alliance a true “coalition of the willing.”"},
         "claim_not_checkworthy"),
        ("Drones struck an oil depot, according to a security official who spoke on condition of anonymity.",
         {"CUE": "according to", "SOURCE": "a security official who spoke on condition of anonymity",
          "CLAIM": "Drones struck an oil depot"}, "claim_not_checkworthy"),
        ("UK Prime Minister Sir Keir Starmer said talks had made progress.",
         {"CUE": "said", "SOURCE": "UK Prime Minister Sir Keir Starmer", "CLAIM": "talks had made progress"},
         "claim_not_checkworthy"),
        ("Inflation rose to 4.1 percent in March.", {}, "claim_checkworthy"),
        ("Moscow is also showing few signs of compromise.", {}, "no_claim"),
    ],
)  # fmt: skip
def test_rules(text: str, expected: dict[str, str], status: str) -> None:
    assert spans(text) == (expected, status)


def test_relations_link_the_regions() -> None:
    result, score = predict("Taxes will rise, the minister said.")
    relations = [(r["from_id"], r["to_id"], r["labels"][0]) for r in result if r["type"] == "relation"]
    assert relations == [("pclm", "psrc", "attributed_to"), ("pcue", "pclm", "cue_of")]
    assert 0 < score <= 1


@pytest.mark.parametrize("name", ["attribution_gold.jsonl", "attribution_heldout.jsonl"])
def test_the_rules_find_quote_first_attribution_and_titled_sources(name: str) -> None:
    """Hand-labelled news sentences (tests/data/attribution_*.jsonl; the held-out set was written
    after the rules were changed on the other): the SOURCE and CLAIM the rules suggest, exactly.
    Before the quote-first and title rules: SOURCE precision/recall 0.737/0.560 and 0.625/0.385,
    CLAIM 0.842/0.640 and 0.750/0.462."""
    import json

    from annotate.labelstudio.api.prelabel import _attribution

    from .conftest import ROOT

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()]
    for kind, at in (("source", 1), ("claim", 2)):
        tp = fp = fn = 0
        for row in rows:
            found = _attribution(row["text"])
            got = row["text"][found[at][0] : found[at][1]] if found else None
            tp += bool(got and got == row[kind])
            fp += bool(got and got != row[kind])
            fn += bool(row[kind] and got != row[kind])
        assert tp / max(1, tp + fp) >= 0.95 and tp / max(1, tp + fn) >= 0.95, (name, kind, tp, fp, fn)
