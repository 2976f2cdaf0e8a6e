"""Browser tests (`pytest -m browser`): the annotator's path in the real Label Studio web UI.

They need Debian's chromium (`apt-get install chromium`) and Playwright's Python API (`pip install
playwright`, never `playwright install`): missing either fails them, it never skips them. The
default `pytest` deselects them (pyproject's addopts). Screenshots go to ui-screenshots/ (git-ignored)
or $ANNOTATE_UI_SCREENSHOTS.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.ui import chromium_path
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.fail("browser tests need Debian's chromium: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("browser tests need Playwright's Python API: pip install playwright (not `playwright install`)")
    return path


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("ANNOTATE_UI_SCREENSHOTS") or ROOT / "ui-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
