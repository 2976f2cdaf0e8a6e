"""The editors opened from the Data Manager, checked and photographed in the real Label Studio web UI:
each suggested span highlighted on exactly its characters (after emoji too), the title once, the
verification screen, and every annotator's version for review. The browser suite runs these checks
(test_editors.py); examples/screenshot_ui.py runs them against the server `annotate server start`
saved and keeps the screenshots.

Uses that server (or $ANNOTATE_CONFIG_DIR's). Creates projects of its own ("UI check ..."), loads
sentences from the example article plus one with an emoji and curly quotes, pre-annotates them, and
checks that each pre-annotated span is highlighted on exactly the characters its offsets name (Label
Studio has had offset bugs around astral characters).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from annotate.articles.tasks import split_sources
from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api.load import title_above
from annotate.labelstudio.api.prelabel import predict
from annotate.labelstudio.api.projects import ensure_project, load_project
from annotate.labelstudio.service import settings
from tests.browser.ui import Annotator, browser, chromium_path

ROOT = Path(__file__).resolve().parents[2]

EMOJI_SENTENCE = "The minister said “prices fell 🎉 by 3% in May,” and the 👍 crowd cheered."


def make_projects(client) -> dict[str, int]:
    """Projects of the script's own: their records go to a scratch folder, never the user's."""
    tmp = Path(tempfile.mkdtemp())
    ids = {}
    for name in ("claims", "verification"):
        shutil.copytree(ROOT / "projects" / name, tmp / name)
        spec_file = tmp / name / "project.json"
        data = json.loads(spec_file.read_text())
        data["title"] = f"UI check {name} {uuid.uuid4().hex[:6]}"
        spec_file.write_text(json.dumps(data))
        ids[name], _ = ensure_project(client, load_project(name, projects_dir=tmp), config_dir=tmp / "records")
    review = load_project("claims-adjudication", projects_dir=tmp)
    ids["claims-adjudication"], _ = ensure_project(client, review, config_dir=tmp / "records")
    return ids


def adjudication_task(client, project_id: int, record: dict) -> tuple[int, list[str]]:
    """A review task as `annotate adjudicate` makes it: two annotators' versions as predictions."""
    result, _ = predict(record["text"])
    status = [r for r in result if r.get("from_name") == "claim_status"]
    versions = {"ann-ui-check-1": result, "ann-ui-check-2": status[:1] and [
        status[0] | {"value": {"choices": ["no_claim"]}}]}  # fmt: skip
    (task_id,) = client.import_tasks(project_id, [{"data": record | {"adjudication_of": {"project": 0, "task": 0}},
                                                   "predictions": [{"model_version": who, "result": res}
                                                                   for who, res in versions.items()]}])  # fmt: skip
    client.set_model_version(project_id, "")  # as `annotate adjudicate` leaves it: no version pre-filled
    return task_id, list(versions)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", type=Path, default=Path("ui-screenshots"))
    parser.add_argument("--chromium", default=chromium_path())
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    stored = settings.read_settings(config_dir)
    entry = stored["servers"][stored["current"]]
    connection = settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir)
    client = labelstudio.connect(connection)
    problems = check_editors(connection.url, entry["username"], entry["password"], args.chromium, args.out_dir,
                             **prepare(client))  # fmt: skip
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)


def prepare(client) -> dict:
    """The script's own projects and tasks: returns what check_editors opens."""
    ids = make_projects(client)

    (article,) = split_sources([str(ROOT / "examples" / "articles" / "paris-security-guarantees.txt")])
    records = [r for r in article.records if "said" in r["text"] or r["kind"] == "heading"][:4]
    records.append(records[0] | {"text": EMOJI_SENTENCE, "sentence_id": "emoji-1", "context_before": "",
                                 "context_after": "", "kind": "sentence"})  # fmt: skip
    task_ids = client.import_tasks(ids["claims"], [{"data": r | {"title_above": title_above(r)}} for r in records])
    client.import_predictions(
        ids["claims"],
        [{"task": t, "model_version": "ui-check", "score": s, "result": res}
         for t, r in zip(task_ids, records, strict=True) for res, s in [predict(r["text"])]],
    )  # fmt: skip
    verification_task = {
        "claim": "Russian President Vladimir Putin has ruled out any deployment of troops from NATO countries.",
        "source_text": "Vladimir Putin (named_person)", "sentence": records[1]["text"], "context": records[2]["text"],
        "title": records[0]["title"] or "", "url": "https://example.org/article",
        "normalized_claim": "Putin ruled out NATO troops in Ukraine", "source_type": "named_person",
        "published": "2026-09-04", "previously_checked": "", "mention_options": [], "previous_check_url": "",
        "source_type_label": "Named person", "context_marked": f"<mark>{html.escape(records[2]['text'])}</mark>",
    }  # fmt: skip  # Label Studio refuses a task without a field the config shows
    (verification_id,) = client.import_tasks(ids["verification"], [{"data": verification_task}])
    review_id, versions = adjudication_task(client, ids["claims-adjudication"], records[1])

    return {
        "ids": ids,
        "task_ids": task_ids,
        "records": records,
        "verification_id": verification_id,
        "review": (review_id, versions),
    }


def check_editors(url: str, email: str, password: str, chromium: str, out_dir: Path, *, ids: dict[str, int],
                  task_ids: list[int], records: list[dict], verification_id: int,
                  review: tuple[int, list[str]]) -> list[str]:  # fmt: skip
    """Open each task in the Data Manager's editor, screenshot it, and return what is wrong: a
    suggested span not highlighted on its characters, an annotator's version missing for review."""
    problems = []
    review_id, versions = review
    with browser(chromium) as chrome:
        ui = Annotator(chrome.new_page(viewport={"width": 1400, "height": 1100}), url)
        ui.log_in(email, password)
        shots = [
            ("claims", ids["claims"], task_ids[0]),
            ("claims-emoji", ids["claims"], task_ids[-1]),
            ("claims-said", ids["claims"], task_ids[1]),
            ("verification", ids["verification"], verification_id),
            ("adjudication", ids["claims-adjudication"], review_id),
        ]
        for label, project_id, task_id in shots:
            ui.open_task(project_id, task_id)
            ui.page.wait_for_timeout(1500)
            if label.startswith("claims"):
                # The prediction tab holds the pre-annotation: its highlights must cover the right text.
                record = records[task_ids.index(task_id)]
                expected = sorted(r["value"]["text"] for r in predict(record["text"])[0] if r["type"] == "labels")
                shown = ui.highlighted()
                if shown != expected:
                    problems.append(f"{label}: highlighted {shown}, expected {expected}")
                print(f"{label}: expected spans {expected}; highlighted {shown}", file=sys.stderr)
            if label == "claims":  # the headline: its title is not shown a second time above it
                title = records[0]["title"]
                times = ui.page.inner_text(".lsf-main-content").count(title)
                if times != 1:
                    problems.append(f"claims: the title {title!r} shown {times} times, expected once")
            if label == "adjudication":
                # Every annotator's version must be there for the adjudicator to pick from.
                page_text = ui.page.inner_text("body")
                missing = [v for v in versions if v not in page_text]
                if missing:
                    problems.append(f"adjudication: versions {missing} not shown")
                print(f"adjudication: versions shown: {[v for v in versions if v in page_text]}", file=sys.stderr)
            path = out_dir / f"{label}.png"
            ui.page.screenshot(path=str(path), full_page=True)
            print(path)
    return problems
