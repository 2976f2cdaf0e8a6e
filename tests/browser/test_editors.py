"""tests/browser/editors.py's checks (examples/screenshot_ui.py runs them too): each editor opened
from the Data Manager shows the suggested spans on exactly their characters (after emoji too), the
title once, and, for review, every annotator's version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.service.settings import Connection
from tests.browser.editors import check_editors, prepare
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_editors_show_suggestions_on_their_characters(
    live_server: LiveServer, chromium: str, screenshots: Path
) -> None:
    entry = json.loads((live_server.config_dir / "settings.json").read_text())["servers"][live_server.url]
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    assert check_editors(live_server.url, entry["username"], entry["password"], chromium, screenshots,
                         **prepare(client)) == []  # fmt: skip
