"""Open loaded tasks of both projects in the real Label Studio web UI, check them and take screenshots.

Needs Debian's chromium and Playwright's Python API (no browser download):

    apt-get install -y chromium && .venv/bin/pip install playwright
    .venv/bin/python examples/screenshot_ui.py --out-dir /tmp/ui

The checks and the driver are the browser suite's (tests/browser/editors.py, tests/browser/ui.py),
run against the server `annotate server start` saved (or $ANNOTATE_CONFIG_DIR's).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.editors import main

if __name__ == "__main__":
    main()
