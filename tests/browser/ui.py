"""Drive the Label Studio 1.23 web UI as an annotator does: Debian's chromium through Playwright's
Python API (no browser download). Used by the browser tests, the annotator benchmark and
examples/screenshot_ui.py. Every selector and gesture here was measured against 1.23.2
(../shared/notes/labelstudio-ui-1.23.md): press a label's hotkey, then drag over the words; Escape
before the next label; a relation is "Create Relation" (Alt+R) then a click on the other region.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CHROMIUM_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]  # fmt: skip
VIEWPORT = {"width": 1440, "height": 1000}
# The sentence's text (the config wraps the Text tag in View className="sentence"), and what the
# label stream shows when no task is left.
SENTENCE = ".sentence .lsf-richtext__line"
NORMALIZED_CLAIM = ".normalized .lsf-richtext__line"  # the verification project's first field
FINISHED = ".lsf-sub__result"  # "All tasks in the queue have been completed"


def chromium_path() -> str | None:
    """Debian's chromium binary (the real one, not the /usr/bin wrapper script), if installed."""
    for path in CHROMIUM_PATHS:
        if shutil.which(path):
            return path
    return None


@contextmanager
def browser(executable: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Actions:
    """What the annotator did, by kind: a benchmark's unit (typing free text is not counted)."""

    counts: Counter = field(default_factory=Counter)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        return f"{self.total} ({', '.join(f'{n} {k}' for k, n in sorted(self.counts.items()))})"


# JavaScript: the client rectangles of characters [start, end) of the text a Text tag shows. Label
# Studio splits a line into text nodes around highlights, so walk them; offsets are UTF-16 code
# units, as the DOM counts and as Label Studio stores them.
_RANGE_RECT = """([name, start, end]) => {
  const root = document.querySelector(`[data-testid="${name}"] .lsf-richtext__line`)
      || [...document.querySelectorAll('.lsf-richtext__line')].find(e => e.closest('.sentence'));
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let pos = 0, node, range = document.createRange(), begun = false;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (!begun && start < pos + len) { range.setStart(node, start - pos); begun = true; }
    if (begun && end <= pos + len) { range.setEnd(node, end - pos); break; }
    pos += len;
  }
  const rects = [...range.getClientRects()].filter(r => r.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  return {x1: first.left + 1, y1: first.top + first.height / 2, x2: last.right - 1, y2: last.top + last.height / 2};
}"""


class Annotator:
    """One logged-in browser page and what it did."""

    def __init__(self, page: Any, url: str, *, unit: str = SENTENCE) -> None:
        """`unit`: the text that tells one task from the next (the claims project's sentence)."""
        self.page, self.url, self.actions, self.unit = page, url, Actions(), unit

    # Getting in ---------------------------------------------------------------------------------
    def log_in(self, email: str, password: str) -> None:
        self.page.goto(f"{self.url}/user/login/")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def label_all_tasks(self, project_id: int) -> float:
        """Open the label stream; returns seconds until the editor shows the first sentence."""
        self.page.goto(f"{self.url}/projects/{project_id}/data")
        self.page.get_by_role("button", name="Label All Tasks").click()
        started = time.monotonic()
        self.wait_for_editor()
        loaded = time.monotonic() - started
        self.page.keyboard.press("Escape")  # the instructions modal opens first
        self.page.wait_for_timeout(300)
        return loaded

    def open_task(self, project_id: int, task_id: int) -> None:
        self.page.goto(f"{self.url}/projects/{project_id}/data?tab=&task={task_id}")
        self.wait_for_editor()

    def wait_for_editor(self) -> None:
        self.page.wait_for_selector(".lsf-richtext__line", timeout=60_000)
        self.page.wait_for_timeout(500)

    # Reading the screen -------------------------------------------------------------------------
    def sentence(self) -> str:
        return self.page.eval_on_selector(self.unit, "e => e.textContent")

    def finished(self) -> bool:
        return self.page.query_selector(FINISHED) is not None

    def highlighted(self) -> list[str]:
        texts = self.page.eval_on_selector_all(".sentence .htx-highlight", "els => els.map(e => e.innerText)")
        return sorted(t.strip() for t in texts if t.strip())

    def checked(self) -> list[str]:
        """The labels of the choices ticked on screen (checkboxes and radio buttons)."""
        texts = self.page.eval_on_selector_all(
            ".ant-checkbox-wrapper-checked, .ant-radio-wrapper-checked", "els => els.map(e => e.innerText)"
        )
        return sorted(re.sub(r"\s*\[[^\]]*\]$", "", t.strip()) for t in texts if t.strip())  # without "[4]"

    def font_size(self, selector: str) -> float:
        return float(self.page.eval_on_selector(selector, "e => getComputedStyle(e).fontSize").removesuffix("px"))

    # Doing --------------------------------------------------------------------------------------
    def key(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions.add("keys")
        self.page.wait_for_timeout(150)

    def click(self, locator: Any) -> None:
        locator.click()
        self.actions.add("clicks")
        self.page.wait_for_timeout(150)

    def drag(self, start: int, end: int) -> None:
        """Select characters [start, end) of the sentence with the mouse (a real drag)."""
        box = self.page.evaluate(_RANGE_RECT, ["text", start, end])
        mouse = self.page.mouse
        mouse.move(box["x1"], box["y1"])
        mouse.down()
        mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
        mouse.move(box["x2"], box["y2"], steps=4)
        mouse.up()
        self.actions.add("drags")
        self.page.wait_for_timeout(250)

    def span(self, hotkey: str, start: int, end: int) -> None:
        """Mark [start, end) with the label of `hotkey`: the hotkey first, then the selection, then
        Escape so that the next label hotkey does not relabel this region."""
        self.key(hotkey)
        self.drag(start, end)
        self.key("Escape")

    def region(self, text: str) -> Any:
        return self.page.locator(".sentence .htx-highlight", has_text=text).first

    def relate(self, from_text: str, to_text: str) -> None:
        """Draw a relation: click the from-region, Alt+R, click the to-region."""
        self.click(self.region(from_text))
        self.key("Alt+r")
        self.click(self.region(to_text))
        self.key("Escape")

    def type_into(self, selector: str, text: str) -> None:
        """Click a text box and type (the click is an action, the typing is not)."""
        self.click(self.page.locator(selector).first)
        self.page.keyboard.type(text)

    def submit(self, *, click: bool = False) -> float:
        """Ctrl+Enter, or a click on Submit (Ctrl+Enter does nothing while a text box has the focus);
        returns seconds until the next task is on screen or the stream says it is finished."""
        before = self.sentence()
        if click:
            self.page.locator("button[aria-label='submit'], button:has-text('Submit')").first.click()
            self.actions.add("clicks")
        else:
            self.page.keyboard.press("Control+Enter")
            self.actions.add("keys")
        return self._wait_for_change(before)

    def skip(self) -> float:
        before = self.sentence()
        self.click(self.page.get_by_role("button", name="Skip"))
        return self._wait_for_change(before)

    def _wait_for_change(self, before: str) -> float:
        """Seconds until the editor shows another sentence, or says the stream is finished."""
        started = time.monotonic()
        self.page.wait_for_function(
            """before => { const e = document.querySelector(SENTENCE);
                           return (e && e.textContent !== before) || !!document.querySelector(DONE); }"""
            .replace("SENTENCE", repr(self.unit)).replace("DONE", repr(FINISHED)),
            arg=before, timeout=30_000,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        self.page.wait_for_timeout(400)
        return elapsed


def signed_in(chrome: Any, url: str, login: tuple[str, str], *, unit: str = SENTENCE,
              timeout: float = 15_000) -> Annotator:  # fmt: skip
    """A new page of `chrome`, logged in through the login page as `login` (e-mail, password)."""
    ui = Annotator(chrome.new_page(viewport=VIEWPORT), url, unit=unit)
    ui.page.set_default_timeout(timeout)
    ui.log_in(*login)
    return ui
