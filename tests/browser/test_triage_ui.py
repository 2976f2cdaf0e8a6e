"""The morning triage in Chromium: the page reads with JavaScript off at a phone's width (a past
check shown with its verdict and link), and after `triage --load` "Label All Tasks" serves the most
check-worthy sentence first, pre-filled with the model's suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.loop.train import train
from tests.browser.ui import VIEWPORT, Annotator, browser
from tests.builders import dataset
from tests.conftest import LiveServer
from tests.server_helpers import Annotate
from tests.test_triage import articles, past

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 390, "height": 844}


def test_the_triage_page_reads_on_a_phone_without_script_and_the_stream_serves_the_top_first(
    live_server: LiveServer, chromium: str, screenshots: Path, tmp_path: Path
) -> None:
    run = Annotate(live_server, tmp_path)

    claims_id = int(run("project", "create", "claims"))
    run("project", "create", "verification")
    train(dataset(tmp_path / "ds"), tmp_path / "model", seed=3)
    out = tmp_path / "triage"
    day, checks = articles(tmp_path / "in"), past(tmp_path)
    report = json.loads(run("triage", str(day), "--model", str(tmp_path / "model"), "--against", str(checks),
                            "-o", str(out), "--lexical", "--load", "--format", "json"))  # fmt: skip
    assert report["loaded"]["claims_created"] == report["unique"] and report["loaded"]["verification_created"] == 1
    rows = [json.loads(line) for line in (out / "triage.jsonl").read_text().splitlines()]

    with browser(chromium) as chrome:
        phone = chrome.new_context(viewport=PHONE, java_script_enabled=False).new_page()
        phone.goto((out / "triage.html").as_uri())
        assert phone.locator("li.row").count() == len(rows)
        first = phone.locator("li.row").first
        assert first.locator("p.text").inner_text() == rows[0]["text"]
        checked = phone.locator(".checked").first
        assert checked.is_visible() and "already checked: false by Checkers" in checked.inner_text()
        assert checked.locator("a").get_attribute("href") == "https://checkers.example/pc-1"
        assert not phone.locator("#filter").is_visible()  # the filter box is the script's; reading is not
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # no sideways scrolling on a phone
        phone.screenshot(path=str(screenshots / "triage.png"), full_page=True)

        ui = Annotator(chrome.new_page(viewport=VIEWPORT), live_server.url)
        ui.page.set_default_timeout(20_000)
        ui.log_in(*run.login())
        ui.label_all_tasks(claims_id)
        assert ui.sentence().strip() == rows[0]["text"]  # the most check-worthy first
        ui.submit()  # the suggestion confirmed as it is: one action

    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    (top,) = [t for t in json.loads(Path(exported).read_text()) if t["data"]["sentence_id"] == rows[0]["sentence_id"]]
    (annotation,) = top["annotations"]
    stored = [r["value"]["choices"] for r in annotation["result"] if r.get("from_name") == "claim_status"]
    assert stored == [[rows[0]["claim_status"]]]  # the model's claim_status was pre-filled
