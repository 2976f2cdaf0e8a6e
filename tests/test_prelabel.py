from __future__ import annotations

import pytest

from annotate.labelstudio.api.prelabel import predict


def spans(text: str) -> tuple[dict[str, str], str]:
    result, _score = predict(text)
    for r in result:
        if r["type"] == "labels":
            assert text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"]
    found = {r["value"]["labels"][0]: r["value"]["text"] for r in result if r["type"] == "labels"}
    (status,) = [r["value"]["choices"][0] for r in result if r.get("from_name") == "claim_status"]
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


TYPE_SETS = ["attribution_gold.jsonl", "attribution_heldout.jsonl", "attribution_types_heldout.jsonl"]


def _types_found(text: str) -> tuple[str | None, set[str]]:
    """(source type, claim types) of the rules' suggestion for a sentence said to hold a claim."""
    from annotate.labelstudio.api.prelabel import with_status

    result = with_status(text, "claim_checkworthy")
    kinds = [r["value"]["choices"][0] for r in result if r.get("from_name") == "source_type"]
    claim_types = [set(r["value"]["choices"]) for r in result if r.get("from_name") == "claim_types"]
    return (kinds[0] if kinds else None), (claim_types[0] if claim_types else set())


@pytest.mark.parametrize(("name", "precision", "recall"), [(TYPE_SETS[0], 1.0, 1.0), (TYPE_SETS[1], 1.0, 1.0),
                                                           (TYPE_SETS[2], 1.0, 0.85)])  # fmt: skip
def test_suggested_source_types(name: str, precision: float, recall: float) -> None:
    """The SOURCE's type in a suggestion, against hand labels (tests/data/attribution_*.jsonl; the
    third set, with documents, outlets, social media and vague sources, was written before the rules
    guessed types). Before: no suggestion had a source type (recall 0). A wrong type costs the
    annotator more than an empty one, so precision is held at 1 on every set."""
    import json

    from .conftest import ROOT

    tp = fp = fn = 0
    for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        got, _ = _types_found(row["text"])
        tp += bool(got and got == row["source_type"])
        fp += bool(got and got != row["source_type"])
        fn += bool(row["source_type"] and got != row["source_type"])
    assert tp / max(1, tp + fp) >= precision and tp / max(1, tp + fn) >= recall, (tp, fp, fn)


def test_suggested_claim_types() -> None:
    """Quantity, prediction and quote, the claim types whose words settle them, on every hand-labelled
    set (the other six are left to the annotator). Measured (right/wrong/missed): quantity 33/1/0 ("since
    2015", a date, is not a quantity), prediction 18/0/0, quote 16/0/0. Before: none suggested."""
    import json

    from .conftest import ROOT

    counts = {k: [0, 0, 0] for k in ("quantity", "prediction", "quote")}
    for name in TYPE_SETS:
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if not row["claim"]:
                continue  # no claim: the suggestion would have no claim status to hang types on
            _, got = _types_found(row["text"])
            gold = set(row["claim_types"])
            for kind, c in counts.items():
                c[0] += kind in got and kind in gold
                c[1] += kind in got and kind not in gold
                c[2] += kind in gold and kind not in got
    for kind, (tp, fp, fn) in counts.items():
        assert tp / max(1, tp + fp) >= 0.95 and tp / max(1, tp + fn) >= 0.95, (kind, tp, fp, fn)


def test_no_claim_types_without_a_claim_and_no_guess_where_the_words_do_not_settle_it() -> None:
    from annotate.labelstudio.api.prelabel import with_status

    assert not [r for r in with_status("Prices will rise by 5 percent, the mayor said.", "no_claim")
                if r.get("from_name") == "claim_types"]  # fmt: skip
    assert not [r for r in with_status("Prices will rise, the panel said.", None) if r.get("type") == "choices"]
    assert _types_found("Prices will rise, Berg said.")[0] is None  # one capitalised word: a person? a firm?
