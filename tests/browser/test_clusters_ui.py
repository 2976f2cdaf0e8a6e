"""A claim cluster in the real verification editor: the verifier sees the past fact-check and every
other mention (Label Studio's dynamic choices, `same_claim`), ticks the one that states the claim,
gives the verdict with hotkeys and submits; the export validates and combine gives the verdict to
the ticked mention only."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.service.settings import Connection
from tests.browser.ui import browser, signed_in
from tests.conftest import LiveServer
from tests.server_helpers import Annotate
from tests.test_clusters import FIRST, _claims_export, _matches

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PAST = [{"id": "fc-9", "claim": "Putin ruled out NATO troops in Ukraine", "verdict": "false", "rating": "False",
         "organization": "Other Fact Desk", "url": "https://other.example/fc/9", "origin": "claimreview",
         "score": 0.91}]  # fmt: skip


def test_verifier_confirms_a_mention_in_the_editor(
    live_server: LiveServer, chromium: str, screenshots: Path, tmp_path: Path
) -> None:
    run = Annotate(live_server, tmp_path)

    project_id = int(run("project", "create", "verification"))
    export = _claims_export(tmp_path, FIRST, "claims")
    matches = _matches(tmp_path, export, [["kyiv-post", "daily-wire", "evening-news"], ["city-desk"]], PAST)
    run("promote", str(export), "--matches", str(matches))
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    (task,) = [t for t in client.tasks(project_id) if t.data["article_id"] == "kyiv-post"]
    daily, evening = task.data["mention_options"]

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login(), unit=".normalized .lsf-richtext__line")
        ui.open_task(project_id, task.id)
        shown = ui.page.eval_on_selector(".previous", "e => e.innerText").strip()
        assert shown.startswith("previously checked: false by Other Fact Desk (https://other.example/fc/9)")
        assert ui.page.locator(".previous a").get_attribute("href") == "https://other.example/fc/9"  # a link
        mentions = ui.page.eval_on_selector_all(".mentions label", "els => els.map(e => e.innerText)")
        assert [m.split("[")[0].strip() for m in mentions] == [daily["html"], evening["html"]]
        ui.page.screenshot(path=str(screenshots / "verification-cluster.png"), full_page=True)
        ui.click(ui.page.locator(".mentions label", has_text="daily-wire headline"))
        ui.key("5")  # false
        ui.key("y")  # verified
        ui.click(ui.page.locator("button:has-text('Submit')").first)
        for _ in range(60):  # until the server has the annotation
            if next(t for t in client.tasks(project_id) if t.id == task.id).annotations:
                break
            ui.page.wait_for_timeout(500)

    exported = run("export", "--project", "verification", "-o", str(tmp_path / "exports")).strip()
    (verified,) = [t for t in json.loads(Path(exported).read_text()) if t["id"] == task.id]
    (same,) = [r for r in verified["annotations"][0]["result"] if r["from_name"] == "same_claim"]
    assert same["value"]["choices"] == [daily["value"]] and same["to_name"] == "claim"
    run("validate", exported, "--project", "verification")
    run("combine", exported, "-o", str(tmp_path / "ds"))
    table = pd.read_parquet(tmp_path / "ds" / "verdicts.parquet").set_index("claim_id")
    rows = table.loc[[task.data["claim_id"], daily["value"], evening["value"]], ["verdict_source", "verdict"]]
    assert rows.fillna("-").values.tolist() == [["direct", "false"], ["cluster_confirmed", "false"],
                                                ["cluster_rejected", "-"]]  # fmt: skip
