"""Open loaded tasks of both projects in the real Label Studio web UI and take screenshots.

Needs Debian's chromium and Playwright's Python API (no browser download):

    apt-get install -y chromium && .venv/bin/pip install playwright
    .venv/bin/python examples/screenshot_ui.py --out-dir /tmp/ui

Uses the server `annotate server start` saved (or $ANNOTATE_CONFIG_DIR). Creates two projects of
its own ("UI check ..."), loads sentences from the example article plus one with an emoji and curly
quotes, pre-annotates them, and checks that each pre-annotated span is highlighted on exactly the
characters its offsets name (Label Studio has had offset bugs around astral characters).
Not part of CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotate.articles.tasks import split_sources  # noqa: E402
from annotate.labelstudio import client as labelstudio  # noqa: E402
from annotate.labelstudio import settings  # noqa: E402
from annotate.labelstudio.prelabel import predict  # noqa: E402
from annotate.labelstudio.projects import ensure_project, load_project  # noqa: E402

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
    parser.add_argument("--chromium", default="/usr/lib/chromium/chromium")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    stored = settings.read_settings(config_dir)
    entry = stored["servers"][stored["current"]]
    connection = settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir)
    client = labelstudio.connect(connection)
    ids = make_projects(client)

    (article,) = split_sources([str(ROOT / "examples" / "articles" / "paris-security-guarantees.txt")])
    records = [r for r in article.records if "said" in r["text"] or r["kind"] == "heading"][:4]
    records.append(records[0] | {"text": EMOJI_SENTENCE, "sentence_id": "emoji-1", "context_before": "",
                                 "context_after": "", "kind": "sentence"})  # fmt: skip
    task_ids = client.import_tasks(ids["claims"], [{"data": r} for r in records])
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
        "published": "2026-09-04",
    }  # fmt: skip
    (verification_id,) = client.import_tasks(ids["verification"], [{"data": verification_task}])
    review_id, versions = adjudication_task(client, ids["claims-adjudication"], records[1])

    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{connection.url}/user/login/")
        page.fill("input[name=email]", entry["username"])
        page.fill("input[name=password]", entry["password"])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        shots = [
            ("claims", ids["claims"], task_ids[0]),
            ("claims-emoji", ids["claims"], task_ids[-1]),
            ("claims-said", ids["claims"], task_ids[1]),
            ("verification", ids["verification"], verification_id),
            ("adjudication", ids["claims-adjudication"], review_id),
        ]
        for label, project_id, task_id in shots:
            page.goto(f"{connection.url}/projects/{project_id}/data?tab=&task={task_id}")
            page.wait_for_selector(".lsf-main-view, .lsf-main-content, [class*=main-view]", timeout=60000)
            page.wait_for_timeout(3000)
            if label.startswith("claims"):
                # The prediction tab holds the pre-annotation: its highlights must cover the right text.
                record = records[task_ids.index(task_id)]
                expected = sorted(r["value"]["text"] for r in predict(record["text"])[0] if r["type"] == "labels")
                shown = sorted(t.strip() for t in page.eval_on_selector_all(
                    ".htx-highlight", "els => els.map(e => e.innerText)") if t.strip())  # fmt: skip
                joined = " | ".join(shown)
                missing = [e for e in expected if e not in joined]
                if missing:
                    problems.append(f"{label}: highlighted {shown}, expected {expected}")
                print(f"{label}: expected spans {expected}; highlighted {shown}", file=sys.stderr)
            if label == "adjudication":
                # Every annotator's version must be there for the adjudicator to pick from.
                page_text = page.inner_text("body")
                missing = [v for v in versions if v not in page_text]
                if missing:
                    problems.append(f"adjudication: versions {missing} not shown")
                print(f"adjudication: versions shown: {[v for v in versions if v in page_text]}", file=sys.stderr)
            path = args.out_dir / f"{label}.png"
            page.screenshot(path=str(path), full_page=True)
            print(path)
        browser.close()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
