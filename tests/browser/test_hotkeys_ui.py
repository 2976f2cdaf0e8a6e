"""No answer stored that was not on screen: in the claims editor every control is shown whenever its
hotkeys work (claim types always, the source type whenever a span is selected), and the keys of a
control that is not on screen store nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.test_annotator_path import _record
from tests.browser.ui import browser, signed_in
from tests.conftest import LiveServer
from tests.server_helpers import Annotate

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CLAIM_TYPE_KEYS = "4567890eo"
SOURCE_TYPE_KEYS = "pgvdmw"
FIRST = "Prices fell by three percent in May, the minister said."
SECOND = "Exports rose by four percent in June, the ministry said."


def test_every_hotkey_stores_only_what_is_on_screen(live_server: LiveServer, chromium: str, tmp_path: Path) -> None:
    run = Annotate(live_server, tmp_path)

    claims_id = run.claims_with([_record(i, t) for i, t in enumerate([FIRST, SECOND])])

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login())
        ui.label_all_tasks(claims_id)

        def shown(text: str) -> bool:
            found = ui.page.locator(".lsf-choice__item, .ant-checkbox-wrapper, .ant-radio-wrapper", has_text=text)
            return found.count() > 0 and found.first.is_visible()

        # Nothing selected, no status chosen: the claim types are on screen (their keys work), the
        # source type is not, and its keys must store nothing.
        assert ui.sentence().strip() == FIRST
        assert shown("Quantity") and shown("Other") and not shown("Named person")
        for key in SOURCE_TYPE_KEYS:
            ui.key(key)
        ui.key("2")  # claim_not_checkworthy
        ui.key("4")  # a claim type, chosen where it is shown
        ui.submit()

        # A CLAIM selected: the source type is on screen too (with a line saying it is for SOURCE
        # spans), so every key that works here stores only what can be seen.
        assert ui.sentence().strip() == SECOND
        ui.key("c")
        ui.drag(SECOND.index("Exports"), SECOND.index(", the"))
        ui.click(ui.region("Exports rose"))
        assert shown("Named person") and shown("Quantity")
        ui.key("3")
        ui.submit()

    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    stored = {t["data"]["text"]: t["annotations"][0]["result"] for t in json.loads(Path(exported).read_text())}
    first = {r["from_name"]: r["value"].get("choices") for r in stored[FIRST] if "from_name" in r}
    assert first == {"claim_status": ["claim_not_checkworthy"], "claim_types": ["quantity"]}  # no source type
    second = [r["from_name"] for r in stored[SECOND] if r.get("from_name")]
    assert sorted(second) == ["claim_status", "span"]
