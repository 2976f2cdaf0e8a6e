"""The claims instructions followed literally, case by case, in the real editor, with the actions
counted: a claim with its source and attribution from an empty editor (§1-§3: label key first, then
select; click the SOURCE, its type key; Alt+r and the CLAIM; the sentence's answer and claim type;
Ctrl+Enter), a no-claim sentence (§3), and a correct suggestion confirmed (How a suggestion looks:
submit it). Every annotation is checked in the export: the steps store what the instructions say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.test_annotator_path import _record
from tests.browser.ui import Actions, browser, signed_in
from tests.conftest import LiveServer
from tests.server_helpers import Annotate

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CLAIM = "Prices fell by three percent in May, the minister said."
NO_CLAIM = "It was a quiet week in the capital."
SUGGESTED = "Exports rose by four percent in June, the ministry said."


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def test_the_instructions_followed_literally_store_what_they_say(
    live_server: LiveServer, chromium: str, tmp_path: Path
) -> None:
    run = Annotate(live_server, tmp_path)
    empty_id = run.claims_with([_record(i, t) for i, t in enumerate([CLAIM, NO_CLAIM])])
    counted: dict[str, int] = {}

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login())
        ui.label_all_tasks(empty_id)

        ui.actions = Actions()
        ui.key("c")  # §1: the label's key first, then drag over the words
        ui.drag(*_span(CLAIM, "Prices fell by three percent in May"))
        ui.key("s")  # the next label's key draws the next span
        ui.drag(*_span(CLAIM, "the minister"))
        ui.click(ui.region("the minister"))  # source type: click the SOURCE span, press its key
        ui.key("p")
        ui.key("Alt+r")  # §2: straight on to its arrow, then click the other end
        ui.click(ui.region("Prices fell"))
        ui.key("3")  # §3: the answer for the sentence
        ui.key("4")  # and its claim type
        ui.submit()  # §4: Ctrl+Enter
        counted["claim, source, attribution, types"] = ui.actions.total

        ui.actions = Actions()
        ui.key("1")  # §3: No claim
        ui.submit()
        counted["no claim"] = ui.actions.total
        assert ui.finished()

    # A suggestion confirmed as the instructions say: submit it.
    run("load", str(_one(tmp_path, SUGGESTED)), "--project", "claims")
    run("prelabel", "--project", "claims")
    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login())
        ui.label_all_tasks(empty_id)
        assert ui.sentence() == SUGGESTED
        ui.actions = Actions()
        ui.submit()
        counted["confirm a suggestion"] = ui.actions.total

    assert counted == {"claim, source, attribution, types": 11, "no claim": 2, "confirm a suggestion": 1}
    export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    stored = {t["data"]["text"]: t["annotations"][0]["result"] for t in json.loads(Path(export).read_text())}
    claim = stored[CLAIM]
    spans = sorted((r["value"]["labels"][0], r["value"]["text"]) for r in claim if r["type"] == "labels")
    assert spans == [("CLAIM", "Prices fell by three percent in May"), ("SOURCE", "the minister")]
    answers = {r["from_name"]: r["value"]["choices"] for r in claim if r["type"] == "choices"}
    assert answers == {"source_type": ["named_person"], "claim_status": ["claim_checkworthy"],
                       "claim_types": ["quantity"]}  # fmt: skip
    assert [r["type"] for r in claim].count("relation") == 1
    assert [r["value"]["choices"] for r in stored[NO_CLAIM]] == [["no_claim"]]
    confirmed = {r.get("from_name"): r["value"].get("choices") for r in stored[SUGGESTED] if r["type"] == "choices"}
    assert confirmed == {"source_type": ["named_organization"], "claim_status": ["claim_checkworthy"],
                         "claim_types": ["quantity"]}  # fmt: skip


def _one(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps(_record(9, text)) + "\n")
    return path
