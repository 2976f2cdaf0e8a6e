"""An Arabic sentence reads right to left in the claims editor, and a span marked on it with the
mouse stores the characters it covers (the offsets count characters, whatever the direction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.test_annotator_path import _record
from tests.browser.ui import browser, signed_in
from tests.conftest import LiveServer
from tests.server_helpers import Annotate

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ARABIC = "قال وزير الصحة إن عدد الإصابات انخفض بنسبة ثلاثة في المئة في مايو."
WORD = "الإصابات"


def test_an_arabic_sentence_reads_right_to_left_and_its_spans_keep_their_characters(
    live_server: LiveServer, chromium: str, tmp_path: Path
) -> None:
    run = Annotate(live_server, tmp_path)
    claims_id = run.claims_with([_record(0, ARABIC) | {"context_before": "", "context_after": ""}])

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login())
        ui.label_all_tasks(claims_id)
        assert ui.sentence() == ARABIC
        # The sentence reads right to left as a whole: its closing full stop is drawn at the left end,
        # left of its first word (in a left-to-right line it would follow the Arabic run on its right).
        first, stop = (ui.page.evaluate(_CHAR_X, i) for i in (0, len(ARABIC) - 1))
        assert stop < first, (first, stop)
        start = ARABIC.index(WORD)
        ui.key("c")
        ui.drag(start, start + len(WORD))
        ui.key("1")
        ui.submit()

    export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    (task,) = json.loads(Path(export).read_text())
    (span,) = [r["value"] for r in task["annotations"][0]["result"] if r["type"] == "labels"]
    assert ARABIC[span["start"] : span["end"]] == span["text"] and WORD in span["text"], span


_CHAR_X = """(i) => {
  const line = [...document.querySelectorAll('.lsf-richtext__line')].find(e => e.closest('.sentence'));
  const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
  let pos = 0, node;
  while ((node = walker.nextNode())) {
    if (i < pos + node.data.length) {
      const range = document.createRange();
      range.setStart(node, i - pos); range.setEnd(node, i - pos + 1);
      const r = range.getBoundingClientRect();
      return r.left + r.width / 2;
    }
    pos += node.data.length;
  }
  return null;
}"""
