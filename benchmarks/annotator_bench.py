"""What an annotator does in the real Label Studio web UI, per kind of annotation: the UI actions
(clicks, keys, mouse drags; typing free text is not counted) and the time, from an empty editor (no
suggestion) and from a correct suggestion; first editor load and submit-to-next latency.

Needs Debian's chromium and Playwright (as `pytest -m browser`) and a server `annotate server start`
runs (or $ANNOTATE_CONFIG_DIR's). Makes two scratch projects of its own, checks through the API that
every annotation holds what the gestures were meant to make (figures for wrong annotations would be
worthless), and rewrites its section of RESULTS.md.

    .venv/bin/python benchmarks/annotator_bench.py [--model DIR --ct24 DIR [--cache FILE]]

With a model from `annotate train` (calibrated: trained on a dataset with a dev split) and the
CheckThat! 2024 English folder (dev-test.tsv), it also reports on dev-test, at several
--min-confidence P, the share of suggestions an annotator accepts unchanged and the expected actions
per sentence for its claim_status, from the actions measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_section  # noqa: E402

from annotate.labelstudio.api import client as labelstudio  # noqa: E402
from annotate.labelstudio.api.load import sanitize  # noqa: E402
from annotate.labelstudio.api.prelabel import prelabel_project  # noqa: E402
from annotate.labelstudio.api.projects import ensure_project, load_project  # noqa: E402
from annotate.labelstudio.service import settings  # noqa: E402
from tests.browser.ui import NORMALIZED_CLAIM, VIEWPORT, Actions, Annotator, browser, chromium_path  # noqa: E402

ATTRIBUTED = "Prices fell by three percent in May, the minister said."
CUED = "The minister said prices fell by three percent in May."
NO_CLAIM = "It was a quiet week in the capital."
CONFIRMED = "Exports rose by four percent in June, the ministry said."
CONFIRMED_NO_CLAIM = "What a lovely day it was."
# The rules suggest claim_checkworthy with a CLAIM span; the annotator corrects the status to
# claim_not_checkworthy, and on the other sentence redraws the CLAIM span the rules drew too long
# (the claim is the sales figure; "and beat forecasts" is another one).
WRONG_STATUS = "Imports fell by two percent in April, the ministry said."
WRONG_SPAN = "Sales rose by six percent in March and beat forecasts, the agency said."
JUSTIFICATION = "The statistics office reports a rise of 1% in May."
EVIDENCE_URL = "https://example.org/stats"
FACTCHECK_URL = "https://factcheck.example.org/prices"


def _record(i: int, text: str) -> dict:
    return {"text": text, "kind": "sentence", "article_id": "bench", "sentence_id": f"bench-{i}", "sentence_index": i,
            "char_start": None, "char_end": None, "title": "Annotator benchmark", "url": None, "source": None,
            "published": None, "context_before": "The sentence before.", "context_after": "The sentence after.",
            "splitter": "bench"}  # fmt: skip


def make_project(client, texts: list[str], *, suggest: bool) -> int:
    tmp = Path(tempfile.mkdtemp())
    spec = load_project("claims", projects_dir=ROOT / "projects")
    spec = spec.__class__(**{**spec.__dict__, "title": f"Annotator bench {uuid.uuid4().hex[:6]}",
                             "settings": {k: v for k, v in spec.settings.items() if k != "model_version"}})  # fmt: skip
    project_id, _ = ensure_project(client, spec, config_dir=tmp)
    fields = spec.data_fields()
    client.import_tasks(project_id, [{"data": sanitize(_record(i, t), fields)} for i, t in enumerate(texts)])
    if suggest:
        prelabel_project(client, project_id)
    return project_id


def make_verification_project(client) -> int:
    """A verification project with one task, made as `promote` makes them (from ATTRIBUTED's claim)."""
    from annotate.loop.match import Cluster, Mention
    from annotate.loop.promote import claim_id, mention_record
    from annotate.loop.verification import cluster_task

    tmp = Path(tempfile.mkdtemp())
    spec = load_project("verification", projects_dir=ROOT / "projects")
    spec = spec.__class__(**{**spec.__dict__, "title": f"Verification bench {uuid.uuid4().hex[:6]}"})
    project_id, _ = ensure_project(client, spec, config_dir=tmp)
    start, end = span(ATTRIBUTED, "Prices fell by three percent in May")
    record = mention_record(_record(0, ATTRIBUTED) | {"url": "https://example.org/bench"},
                            claim_id("bench-0", start, end), start, end, claim=ATTRIBUTED[start:end],
                            source_text="the minister", source_type="named_person", marked_by="bench",
                            rule="bench")  # fmt: skip
    data = cluster_task(Cluster(record["claim_id"], (Mention(record),)))
    client.import_tasks(project_id, [{"data": sanitize(data, spec.data_fields())}])
    return project_id


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def run(ui: Annotator, kind: str, steps, *, click_submit: bool = False) -> dict:
    """One annotation: the steps, then submit (Ctrl+Enter, or a click on Submit: Ctrl+Enter does
    nothing while a text box has the cursor); actions counted, time from the first action to the
    submit, and the submit-to-next latency."""
    ui.actions = Actions()
    started = time.monotonic()
    steps()
    worked = time.monotonic() - started
    latency = ui.submit(click=click_submit)
    return {"kind": kind, "actions": ui.actions.total, "by_kind": dict(ui.actions.counts),
            "seconds": round(worked, 2), "submit_to_next": round(latency, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--ct24", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/annotate-bench-vectors.sqlite"))
    args = parser.parse_args()
    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    stored = settings.read_settings(config_dir)
    entry = stored["servers"][stored["current"]]
    connection = settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir)
    client = labelstudio.connect(connection)
    empty_id = make_project(client, [ATTRIBUTED, CUED, NO_CLAIM], suggest=False)
    suggested_id = make_project(client, [CONFIRMED, CONFIRMED_NO_CLAIM, WRONG_STATUS, WRONG_SPAN], suggest=True)
    verification_id = make_verification_project(client)

    rows, loads = [], []
    with browser(chromium_path()) as chrome:
        ui = Annotator(chrome.new_page(viewport=VIEWPORT), connection.url)
        ui.page.set_default_timeout(20_000)
        ui.log_in(entry["username"], entry["password"])

        loads.append(ui.label_all_tasks(empty_id))

        def attributed() -> None:
            # Measured: a region is not selected after it is drawn, so the next label key draws the
            # next span (no Escape needed) and a per-region answer needs a click on the region first.
            ui.key("c")
            ui.drag(*span(ATTRIBUTED, "Prices fell by three percent in May"))
            ui.key("s")
            ui.drag(*span(ATTRIBUTED, "the minister"))
            ui.click(ui.region("the minister"))
            ui.key("p")  # its source type
            ui.key("Alt+r")  # from the SOURCE ...
            ui.click(ui.region("Prices fell"))  # ... to the CLAIM: the arrow is enough
            ui.key("3")
            ui.key("4")

        rows.append(run(ui, "CLAIM + SOURCE + attribution, source type, status, claim type (empty editor)", attributed))

        def cued() -> None:
            ui.key("c")
            ui.drag(*span(CUED, "prices fell by three percent in May"))
            ui.key("s")
            ui.drag(*span(CUED, "The minister"))
            ui.key("q")
            ui.drag(*span(CUED, "said"))
            ui.click(ui.region("The minister"))
            ui.key("p")
            ui.key("Alt+r")
            ui.click(ui.region("prices fell"))
            ui.click(ui.region("said"))
            ui.key("Alt+r")
            ui.click(ui.region("prices fell"))
            ui.key("3")
            ui.key("4")

        rows.append(run(ui, "… and a CUE with cue_of (empty editor)", cued))
        rows.append(run(ui, "no_claim (empty editor)", lambda: ui.key("1")))

        loads.append(ui.label_all_tasks(suggested_id))
        rows.append(run(ui, "confirm a correct suggestion: CLAIM + SOURCE + CUE, relations, status", lambda: None))
        rows.append(run(ui, "confirm a suggested no_claim", lambda: None))
        rows.append(run(ui, "fix a wrong claim_status suggestion (another status key)", lambda: ui.key("2")))

        def wrong_span() -> None:
            # Delete the suggested CLAIM (select it, Backspace: its relations go with it), draw the right one,
            # link the SOURCE and the CUE to it again.
            suggested = ui.highlighted()
            claim = next(t for t in suggested if t.startswith("Sales rose"))
            ui.click(ui.region(claim))
            ui.key("Backspace")
            ui.key("c")
            ui.drag(*span(WRONG_SPAN, "Sales rose by six percent in March"))
            ui.click(ui.region("the agency"))
            ui.key("Alt+r")
            ui.click(ui.region("Sales rose by six percent in March"))
            ui.click(ui.region("said"))
            ui.key("Alt+r")
            ui.click(ui.region("Sales rose by six percent in March"))

        rows.append(run(ui, "fix a wrong CLAIM span (delete, redraw, link the SOURCE and CUE again)", wrong_span))

        ui.unit = NORMALIZED_CLAIM
        loads.append(ui.label_all_tasks(verification_id))

        def verdict() -> None:
            ui.key("5")  # false
            ui.key("y")  # verified
            ui.type_into("[name=justification]", JUSTIFICATION)
            ui.type_into("[name=evidence_1_url]", EVIDENCE_URL)
            # A key typed while a box has the cursor goes into the box: the stance is clicked.
            ui.click(ui.page.locator(".slot").first.locator("label", has_text="Refutes"))
            ui.type_into("[name=factcheck_url]", FACTCHECK_URL)

        rows.append(run(ui, "verification: verdict, state, justification, evidence URL and stance, fact-check URL",
                        verdict, click_submit=True))  # fmt: skip

    problems = check(client, empty_id, suggested_id) + check_verification(client, verification_id)
    lines = table(rows, loads, problems)
    if args.model and args.ct24:
        lines += accepted(rows, args.model, args.ct24, args.cache)
    print("\n".join(lines))
    print(json.dumps(rows, indent=1), file=sys.stderr)
    if problems:
        raise SystemExit("\n".join(problems))
    write_section("annotator", lines)


def check(client, empty_id: int, suggested_id: int) -> list[str]:
    """The annotations must be what the gestures meant: spans, source type, a relation per arrow, status."""
    problems = []
    for project_id, expected in ((empty_id, {ATTRIBUTED: (2, 1, "claim_checkworthy"), CUED: (3, 2, "claim_checkworthy"),
                                             NO_CLAIM: (0, 0, "no_claim")}),
                                 (suggested_id, {CONFIRMED: (3, 2, "claim_checkworthy"),
                                                 CONFIRMED_NO_CLAIM: (0, 0, "no_claim"),
                                                 WRONG_STATUS: (3, 2, "claim_not_checkworthy"),
                                                 WRONG_SPAN: (3, 2, "claim_checkworthy")})):  # fmt: skip
        for task in stored_tasks(client, project_id):
            (annotation,) = task["annotations"]
            result = annotation["result"]
            spans = [r for r in result if r["type"] == "labels"]
            relations = [r for r in result if r["type"] == "relation"]
            status = [r["value"]["choices"][0] for r in result if r.get("from_name") == "claim_status"]
            got = (len(spans), len(relations), status[0] if status else None)
            labelled = sorted((r["value"]["labels"][0], r["value"]["text"]) for r in spans)
            if task["data"]["text"] == ATTRIBUTED and labelled != [("CLAIM", "Prices fell by three percent in May"),
                                                                 ("SOURCE", "the minister")]:  # fmt: skip
                problems.append(f"{task['data']['text']!r}: spans {labelled}")
            claims = [t for label, t in labelled if label == "CLAIM"]
            if task["data"]["text"] == WRONG_SPAN and claims != ["Sales rose by six percent in March"]:
                problems.append(f"{task['data']['text']!r}: CLAIM {claims}")
            if got != expected[task["data"]["text"]]:
                problems.append(f"{task['data']['text']!r}: {got}, expected {expected[task['data']['text']]}")
            types = [r["value"]["choices"] for r in result if r.get("from_name") == "source_type"]
            if task["data"]["text"] in (ATTRIBUTED, CUED) and types != [["named_person"]]:
                problems.append(f"{task['data']['text']!r}: source type {types}")
            claim_types = [r["value"]["choices"] for r in result if r.get("from_name") == "claim_types"]
            if task["data"]["text"] == CONFIRMED and (types, claim_types) != ([["named_organization"]], [["quantity"]]):
                problems.append(
                    f"{task['data']['text']!r}: confirmed with source type {types}, claim types {claim_types}"
                )
    return problems


def stored_tasks(client, project_id: int) -> list[dict]:
    """The project's tasks with their annotations, as its full export holds them."""
    snapshot = io.BytesIO()
    client.export_snapshot(project_id, snapshot)
    return json.loads(snapshot.getvalue())


def check_verification(client, project_id: int) -> list[str]:
    """The verdict task must hold what was chosen and typed."""
    (task,) = stored_tasks(client, project_id)
    (annotation,) = task["annotations"]
    got = {r["from_name"]: r["value"].get("choices") or r["value"].get("text") for r in annotation["result"]}
    expected = {"verdict": ["false"], "verification_state": ["verified"], "justification": [JUSTIFICATION],
                "evidence_1_url": [EVIDENCE_URL], "evidence_1_stance": ["refutes"],
                "factcheck_url": [FACTCHECK_URL]}  # fmt: skip
    return [f"verification task: {got}, expected {expected}"] if got != expected else []


def accepted(rows: list[dict], model_dir: Path, ct24: Path, cache: Path) -> list[str]:
    """On CheckThat! 2024 dev-test: per P, the share of sentences whose pre-filled claim_status is
    right (accepted unchanged), and the expected actions per sentence for the claim_status, from the
    actions measured above: confirm 1 suggestion, fix a wrong status, choose it in an empty editor."""
    import numpy as np
    import pandas as pd

    from annotate.loop.embeddings import E5Small
    from annotate.loop.fusion import Semantic
    from annotate.loop.train import POSITIVE, load_model, uses_embedding
    from annotate.loop.vectors import VectorCache

    def measured(kind: str) -> int:
        return next(r["actions"] for r in rows if r["kind"].startswith(kind))

    confirm, fix, empty = measured("confirm a suggested no_claim"), measured("fix a wrong claim_status"), \
        measured("no_claim (empty editor)")  # fmt: skip
    frame = pd.read_csv(ct24 / "dev-test.tsv", sep="\t", dtype=str, keep_default_na=False)
    semantic = Semantic(E5Small(), VectorCache(cache)) if uses_embedding(model_dir) else None
    model = load_model(model_dir, semantic=semantic)
    guesses = model.predict(frame["Text"].tolist())
    right = np.array([(label == POSITIVE) == (gold.strip() == "Yes") for (label, _), gold in
                      zip(guesses, frame["class_label"], strict=True)])  # fmt: skip
    certainty = np.array([p for _, p in guesses])
    lines = ["", f"Suggestions of {model.model_id} on CheckThat! 2024 dev-test ({len(frame)} sentences; its "
             f"claim_status right on {right.mean():.3f}); actions for the claim_status measured above: confirm "
             f"{confirm}, fix a wrong one {fix}, choose in an empty editor {empty}.", "",
             "| --min-confidence P | pre-filled | accepted unchanged | pre-filled and wrong | expected actions a "
             "sentence |", "|---|---|---|---|---|"]  # fmt: skip
    for p in (0.0, 0.6, 0.7, 0.8, 0.9, 0.95):
        shown = certainty >= p
        ok, wrong = (shown & right).mean(), (shown & ~right).mean()
        lines.append(f"| {p:g} | {shown.mean():.3f} | {ok:.3f} | {wrong:.3f} | "
                     f"{ok * confirm + wrong * fix + (1 - shown.mean()) * empty:.2f} |")  # fmt: skip
    lines += [
        "",
        f"A wrong pre-filled status costs {fix} action(s), an empty one {empty}: by actions alone the "
        "lowest P is cheapest. A higher P puts fewer wrong guesses in front of the annotator (their pull on "
        "the answer is not measured here) at the price of more sentences started from an empty choice.",
    ]
    return lines


def table(rows: list[dict], loads: list[float], problems: list[str]) -> list[str]:
    lines = [
        "## Annotating in the web UI (`benchmarks/annotator_bench.py`)",
        "",
        f"Label Studio 1.23.2 in headless Debian chromium (Playwright), viewport 1440×1000, on this 2-core machine, "
        f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} (the machine is shared); one run. "
        "Actions: clicks, keys and mouse drags (typing free text is not counted). Every annotation is checked "
        "through the API afterwards.",
        "",
        "| annotation | actions | of which | seconds of gestures | submit to next sentence (s) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(r["by_kind"].items())) or "submit only"
        lines.append(f"| {r['kind']} | {r['actions']} | {kinds} | {r['seconds']} | {r['submit_to_next']} |")
    latencies = [r["submit_to_next"] for r in rows]
    lines += [
        "",
        f'- First editor load after "Label All Tasks": {", ".join(f"{s:.1f} s" for s in loads)}.',
        f"- Submit to next sentence: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
        "(goal <= 1 s).",
        "- Goals (issue 13): CLAIM + SOURCE + attribution <= 12 actions from an empty editor (was 23), a correct "
        "suggestion confirmed in <= 2, no_claim in <= 2. Issue 29: a verification (verdict, state, justification, "
        "evidence, fact-check URL) in <= 8.",
        "- The suggestions carry the SOURCE's type and the claim types their words settle (annotate-rules-2): "
        "the correct suggestion above is confirmed with its source type and claim type, checked through the API.",
        "- The annotator's seconds here are a script's (no reading, no thinking): compare actions, not seconds.",
    ]
    if problems:
        lines.append(f"- Wrong annotations: {problems}")
    return lines


if __name__ == "__main__":
    main()
