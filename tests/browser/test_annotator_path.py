"""The annotator's path, end to end, in the real web UI: an annotator account logs in, opens "Label
All Tasks", sees the rule-based suggestions, marks spans with real mouse selections and hotkeys,
draws an attribution, skips one sentence and confirms a no_claim; a claim is promoted and verified;
then export -> validate -> combine, and the rows are what was entered."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pandas as pd
import pytest

from tests.browser.ui import NORMALIZED_CLAIM, VIEWPORT, Annotator, browser
from tests.conftest import LiveServer
from tests.test_integration import fresh_config, fresh_projects

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# In stream order. The rules suggest SOURCE, CUE, CLAIM and a relation for the first (the SOURCE
# after an emoji), only claim_checkworthy for the second, no_claim for the last two.
SUGGESTED = "Prices fell 🎉 by three percent in May, the minister said."
DRAWN = "After the 🎉 party the minister insists prices fell by three percent in May."
SKIPPED = "What a lovely day it was."
NO_CLAIM = "It was a quiet week in the capital."


def _record(i: int, text: str) -> dict:
    return {"text": text, "kind": "sentence", "article_id": "browser", "sentence_id": f"browser-{i}",
            "sentence_index": i, "char_start": None, "char_end": None, "title": "A browser test",
            "url": "https://example.org/browser", "source": None, "published": "",
            "context_before": "Context before the sentence.", "context_after": "Context after it.",
            "splitter": "test"}  # fmt: skip


def test_annotator_path(live_server: LiveServer, chromium: str, screenshots: Path, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str) -> str:
        if args[0] in ("project", "load", "prelabel", "export", "validate", "promote"):
            args = (*args, "--projects-dir", str(projects))
        done = live_server.run(*args, config_dir=config_dir)
        assert done.returncode == 0, f"annotate {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    claims_id = int(run("project", "create", "claims"))
    verification_id = int(run("project", "create", "verification"))
    tasks = tmp_path / "tasks.jsonl"
    texts = [SUGGESTED, DRAWN, SKIPPED, NO_CLAIM]
    tasks.write_text("".join(json.dumps(_record(i, t)) + "\n" for i, t in enumerate(texts)))
    run("load", str(tasks), "--project", "claims")
    run("prelabel", "--project", "claims")
    email = f"annotator-{uuid.uuid4().hex[:6]}@example.org"
    (user,) = json.loads(run("users", "add", email, "--format", "json"))

    with browser(chromium) as chrome:
        ui = Annotator(chrome.new_page(viewport=VIEWPORT), live_server.url)
        ui.page.set_default_timeout(15_000)
        ui.log_in(email, user["password"])
        ui.label_all_tasks(claims_id)

        # 1. The suggestion is on screen, on the right characters after the emoji.
        assert ui.sentence() == SUGGESTED
        assert ui.highlighted() == ["Prices fell 🎉 by three percent in May", "said", "the minister"]
        assert ui.font_size(".sentence .lsf-richtext__line") > ui.font_size(".ctx .lsf-richtext__line")
        ui.page.screenshot(path=str(screenshots / "claims-suggested.png"))
        # Layout: no arrow drawn over the words (nor its clipped badge); the Relations tab lists both.
        assert ui.page.evaluate("""() => [...document.querySelectorAll('.relations-overlay')]
            .every(e => getComputedStyle(e).display === 'none' || !e.getBoundingClientRect().height)""")
        assert not ui.page.locator("svg text", has_text="attributed_to").is_visible()
        ui.page.get_by_text("Relations", exact=True).first.click()
        assert "Relations (2)" in ui.page.inner_text("body")
        # The suggestion is complete: the claim's type, and the source's type on its span.
        assert {"Check-worthy claim", "Quantity"} <= set(ui.checked()) and "Named person" not in ui.checked()
        ui.click(ui.region("the minister"))
        assert "Named person" in ui.checked()
        ui.key("Escape")
        ui.click(ui.region("Prices fell"))
        ui.type_into("[name=normalized_claim]", "Prices fell by three percent in May.")
        ui.key("Enter")
        ui.key("Escape")
        ui.page.screenshot(path=str(screenshots / "claims-editor.png"))
        ui.submit()

        # 2. Drawn by hand: CLAIM and SOURCE (after the emoji), the arrow, answers.
        assert ui.sentence() == DRAWN
        claim_start = DRAWN.index("prices")
        source_start = DRAWN.index("the minister")
        ui.span("c", claim_start, claim_start + len("prices fell by three percent in May"))
        ui.span("s", source_start, source_start + len("the minister"))
        assert ui.highlighted() == ["prices fell by three percent in May", "the minister"]
        ui.relate("prices fell", "the minister")
        ui.click(ui.region("the minister"))
        ui.key("v")  # anonymous or vague
        ui.key("Escape")
        ui.click(ui.region("prices fell"))
        ui.type_into("[name=normalized_claim]", "Prices fell by 3% in May.")
        ui.key("Enter")
        ui.key("Escape")
        ui.key("2")  # claim_not_checkworthy, replacing the suggested claim_checkworthy
        assert "Quantity" in ui.checked()  # suggested with the suggested status, kept with the new one
        ui.key("6")  # and prediction
        ui.page.screenshot(path=str(screenshots / "claims-drawn.png"))
        ui.submit()

        # 3. Skipped. 4. The suggested no_claim, confirmed.
        assert ui.sentence() == SKIPPED
        ui.skip()
        assert ui.sentence() == NO_CLAIM
        ui.submit()
        # "Skip sets it aside: it comes back to you after the other sentences" (skip_queue requeue_for_me).
        assert not ui.finished() and ui.sentence() == SKIPPED

    export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    assert (
        "0 error(s), 0 warning(s)"
        in live_server.run(
            "validate",
            export,
            "--project",
            "claims",
            "--projects-dir",
            str(projects),
            "--strict",
            config_dir=config_dir,
        ).stderr
    )
    tasks_by_text = {t["data"]["text"]: t for t in json.loads(Path(export).read_text())}
    # Each annotation records the suggestion it started from (the annotations table's anchoring).
    for task in tasks_by_text.values():
        (annotation,) = task["annotations"]
        assert annotation["parent_prediction"] == task["predictions"][0]["id"]
    assert tasks_by_text[SKIPPED]["annotations"][0]["was_cancelled"] is True

    dataset = tmp_path / "dataset"
    run("combine", export, "-o", str(dataset), "--table-format", "csv")
    claims = pd.read_csv(dataset / "claims.csv", keep_default_na=False).set_index("sentence_id")
    sources = pd.read_csv(dataset / "sources.csv", keep_default_na=False).set_index("sentence_id")
    sentences = pd.read_csv(dataset / "sentences.csv", keep_default_na=False).set_index("sentence_id")
    annotations = pd.read_csv(dataset / "annotations.csv", keep_default_na=False, dtype=str)
    started_from = annotations.groupby("sentence_id").parent_prediction.unique().map(list).to_dict()
    assert started_from == {t["data"]["sentence_id"]: [str(t["predictions"][0]["id"])]
                            for t in tasks_by_text.values() if not t["annotations"][0]["was_cancelled"]}  # fmt: skip
    relations = pd.read_csv(dataset / "relations.csv", keep_default_na=False)
    row = claims.loc["browser-0"]
    assert (
        row.text,
        row.start,
        row.end,
        row.claim_types,
        row.normalized_claim,
        row.source_text,
        row.source_type,
        row.cue_text,
    ) == (
        "Prices fell 🎉 by three percent in May",
        0,
        37,
        '["quantity"]',
        "Prices fell by three percent in May.",
        "the minister",
        "named_person",
        "said",
    )
    row = claims.loc["browser-1"]
    assert (row.text, row.start, row.end, row.claim_types, row.normalized_claim) == (
        "prices fell by three percent in May",
        39,
        74,
        '["quantity", "prediction"]',
        "Prices fell by 3% in May.",
    )
    row = sources.loc["browser-1"]
    assert (row.text, row.start, row.end, row.source_type) == ("the minister", 18, 30, "anonymous_or_vague")
    drawn = relations[relations.sentence_id == "browser-1"]
    assert (list(drawn.from_region), list(drawn.to_region)) == (
        [claims.loc["browser-1"].region_id],
        [sources.loc["browser-1"].region_id],
    )
    if "relation_source" in relations.columns:  # the relation's type follows from its ends
        assert (list(drawn.relation), list(drawn.relation_source)) == (["attributed_to"], ["inferred"])
        assert claims.loc["browser-1"].source_text == "the minister"
    assert dict(sentences.gold_claim_status) == {
        "browser-0": "claim_checkworthy", "browser-1": "claim_not_checkworthy", "browser-2": "",
        "browser-3": "no_claim",
    }  # fmt: skip

    # The check-worthy claim goes to verification and gets a verdict there.
    run("promote", export, "--to", "verification")
    with browser(chromium) as chrome:
        ui = Annotator(chrome.new_page(viewport=VIEWPORT), live_server.url, unit=NORMALIZED_CLAIM)
        ui.page.set_default_timeout(15_000)
        ui.log_in(email, user["password"])
        ui.label_all_tasks(verification_id)
        shown = ui.page.inner_text(".lsf-main-content")
        for label in ("NORMALISED CLAIM", "CLAIM AS MARKED IN THE SENTENCE", "SOURCE", "SOURCE TYPE", "ARTICLE URL"):
            assert label in shown, label
        assert shown.index("Prices fell by three percent in May.") < shown.index("Prices fell 🎉 by three")
        assert shown.count(SUGGESTED) == 1  # the sentence once, in its context
        link = ui.page.locator(".lsf-main-content a[href='https://example.org/browser']")
        assert link.inner_text() == "https://example.org/browser"
        assert ui.font_size(".normalized .lsf-richtext__line") > ui.font_size(".muted .lsf-richtext__line")
        # The claim's sentence is marked in its context; an empty field reads "—", not a blank line.
        assert ui.page.locator(".lsf-main-content mark").inner_text() == SUGGESTED
        empty = ui.page.evaluate("""() => [...document.querySelectorAll('.field .lsf-richtext__line')]
            .filter(e => !e.textContent).map(e => getComputedStyle(e, '::before').content)""")
        assert empty == ['"—"'], empty  # the article's date, which these tasks do not have
        assert "Named person" in shown and "named_person" not in shown  # as the claims editor showed it
        ui.page.screenshot(path=str(screenshots / "verification-editor.png"))
        ui.key("5")  # false
        ui.key("y")  # verified
        ui.type_into("[name=justification]", "The statistics office reports a rise of 1% in May.")
        shown = ui.page.inner_text(".lsf-main-content")
        assert "submissions" not in shown and "Shift + Enter" not in shown  # typed text is stored on Submit
        ui.type_into("[name=evidence_1_url]", "https://example.org/stats")
        # A key typed while a box has the focus goes into the box (Escape does not leave it): click.
        ui.click(ui.page.locator(".slot").first.locator("label", has_text="Refutes"))
        ui.type_into("[name=evidence_1_excerpt]", "Prices rose by 1% in May.")
        ui.page.screenshot(path=str(screenshots / "verification-filled.png"))
        ui.submit(click=True)
        assert ui.finished()

    verified = run("export", "--project", "verification", "-o", str(tmp_path / "exports")).strip()
    assert "0 error(s), 0 warning(s)" in live_server.run(
        "validate", verified, "--project", "verification", "--projects-dir", str(projects), "--strict",
        config_dir=config_dir).stderr  # fmt: skip
    run("combine", export, verified, "-o", str(tmp_path / "verdicts"), "--table-format", "csv")
    (verdict,) = pd.read_csv(tmp_path / "verdicts" / "verdicts.csv", keep_default_na=False, dtype=str).itertuples()
    assert (verdict.verdict, verdict.verification_state, verdict.justification) == (
        "false",
        "verified",
        "The statistics office reports a rise of 1% in May.",
    )
    assert json.loads(verdict.evidence) == [
        {"slot": 1, "url": "https://example.org/stats", "stance": "refutes", "excerpt": "Prices rose by 1% in May."}
    ]
