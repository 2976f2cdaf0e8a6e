"""The fact-checking loop against a real Label Studio: two annotators disagree -> adjudicate ->
the adjudicated export changes gold; promote to verification, twice; a trained model pre-labels
and orders the label stream by uncertainty."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pandas as pd
import pytest

from annotate.dataset.collect import pseudonym
from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api.prelabel import cluster, with_status
from annotate.labelstudio.service.settings import Connection

from .builders import dataset as _dataset
from .builders import region as _region
from .conftest import EXAMPLE_ARTICLE, LiveServer, write_export
from .server_helpers import fresh_config, fresh_projects
from .server_helpers import login as _login

pytestmark = pytest.mark.integration


def _status(value: str) -> dict:
    return {"id": "cs", "from_name": "claim_status", "to_name": "text", "type": "choices",
            "value": {"choices": [value]}}  # fmt: skip


def test_adjudicate_promote_and_a_trained_prelabeller(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)
    settings_file = projects / "claims" / "project.json"
    settings_file.write_text(json.dumps(json.loads(settings_file.read_text()) | {"annotators_per_task": 2}))

    def run(*args: str, projects_dir: bool = True):
        extra = ("--projects-dir", str(projects)) if projects_dir else ()
        return live_server.run(*args, *extra, config_dir=config_dir)

    claims_id = int(run("project", "create", "claims").stdout)
    verification_id = int(run("project", "create", "verification").stdout)
    tasks_file = tmp_path / "t.jsonl"
    assert live_server.run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks_file)).returncode == 0
    assert run("load", str(tasks_file), "--project", "claims").returncode == 0
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    tasks = client.tasks(claims_id)
    starmer = next(t for t in tasks if "Keir Starmer said" in t.data["text"])
    other = next(t for t in tasks if t.id != starmer.id)

    # Two annotators, logged in as themselves: they disagree on one sentence and agree on another.
    tag = uuid.uuid4().hex[:6]
    emails = [f"ann-{tag}@example.org", f"bea-{tag}@example.org"]
    added = live_server.run("users", "add", *emails, "--format", "json", config_dir=config_dir)
    passwords = {u["email"]: u["password"] for u in json.loads(added.stdout)}
    ann, bea = (_login(live_server.url, e, passwords[e]) for e in emails)
    text = starmer.data["text"]
    claim, source = "“excellent progress” had been made", "UK Prime Minister Sir Keir Starmer"
    ann_result = [_region("src", text, source, "SOURCE"), _region("clm", text, claim, "CLAIM"),
                  {"from_id": "clm", "to_id": "src", "type": "relation", "direction": "right",
                   "labels": ["attributed_to"]}, _status("claim_checkworthy")]  # fmt: skip
    for session, task_id, result in ((ann, starmer.id, ann_result), (bea, starmer.id, [_status("claim_not_checkworthy")]),
                                     (ann, other.id, [_status("no_claim")]), (bea, other.id, [_status("no_claim")])):  # fmt: skip
        posted = session.post(f"{live_server.url}/api/tasks/{task_id}/annotations/", json={"result": result})
        assert posted.status_code == 201, posted.text

    first = run("adjudicate", "--project", "claims", "--format", "json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["disagreeing"], report["created"], report["review_project_created"]) == (1, 1, True)
    again = json.loads(run("adjudicate", "--project", "claims", "--format", "json").stdout)
    assert (again["created"], again["already_present"], again["review_project_id"]) == (
        0,
        1,
        report["review_project_id"],
    )

    # The review task holds both versions as predictions, named by the annotators' pseudonyms.
    review_export = run("export", "--project", "claims-adjudication", "-o", str(tmp_path / "exports"))
    assert review_export.returncode == 0, review_export.stderr
    (review_task,) = json.loads(Path(review_export.stdout.strip()).read_text())
    assert review_task["data"]["sentence_id"] == starmer.data["sentence_id"]
    versions = {p["model_version"]: p["result"] for p in review_task["predictions"]}
    assert set(versions) == {pseudonym(e) for e in emails}
    assert {r.get("value", {}).get("text") for r in versions[pseudonym(emails[0])]} >= {claim, source}
    # The web UI's task view gets every version; the label stream favours none of them.
    shown = ann.get(f"{live_server.url}/api/tasks/{review_task['id']}").json()["predictions"]
    assert {p["model_version"] for p in shown} == set(versions)
    streamed = ann.get(f"{live_server.url}/api/projects/{report['review_project_id']}/next").json()
    assert streamed["id"] == review_task["id"] and streamed["predictions"] == []

    # Without adjudication the sentence is a tie; the adjudicator takes the first version.
    claims_export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).stdout.strip()
    tie = run("combine", claims_export, "-o", str(tmp_path / "tie"), projects_dir=False)
    assert tie.returncode == 0, tie.stderr
    sentences = pd.read_csv(tmp_path / "tie" / "sentences.csv").set_index("sentence_id")
    assert sentences.loc[starmer.data["sentence_id"], "gold_rule"] == "tie"
    client.create_annotation(review_task["id"], versions[pseudonym(emails[0])])
    adjudicated = run("export", "--project", "claims-adjudication", "-o", str(tmp_path / "exports")).stdout.strip()
    assert run("validate", adjudicated, "--project", "claims-adjudication").returncode == 0
    combined = run("combine", claims_export, adjudicated, "-o", str(tmp_path / "gold"), projects_dir=False)
    assert combined.returncode == 0, combined.stderr
    sentences = pd.read_csv(tmp_path / "gold" / "sentences.csv").set_index("sentence_id")
    row = sentences.loc[starmer.data["sentence_id"]]
    assert (row["gold_claim_status"], row["gold_rule"], row["n_annotators"]) == ("claim_checkworthy", "adjudicated", 2)
    assert row["adjudicated_by"].startswith("ann-")

    # The check-worthy claim goes to verification once, with its context.
    promoted = [run("promote", claims_export, adjudicated, "--to", "verification", "--format", "json")
                for _ in range(2)]  # fmt: skip
    assert all(p.returncode == 0 for p in promoted), promoted[0].stderr + promoted[1].stderr
    assert [json.loads(p.stdout)["created"] for p in promoted] == [1, 0]
    assert json.loads(promoted[1].stdout)["already_present"] == 1
    (verify,) = client.tasks(verification_id)
    assert verify.data["claim"] == claim and verify.data["source_text"] == source
    assert text in verify.data["context"] and verify.data["sentence"] == text
    assert verify.data["title"] and verify.data["url"] == (starmer.data.get("url") or "")
    # The adjudicator adds a normalised claim later: the claim is reported as changed, not duplicated.
    later = json.loads(Path(adjudicated).read_text())
    start, end = text.index(claim), text.index(claim) + len(claim)
    later[0]["annotations"][0]["result"].append(
        {
            "id": "clm",
            "from_name": "normalized_claim",
            "to_name": "text",
            "type": "textarea",
            "value": {"start": start, "end": end, "text": ["Talks made excellent progress"]},
        }
    )
    write_export(tmp_path / "later.json", later, "claims-adjudication")
    changed = run("promote", claims_export, str(tmp_path / "later.json"), "--format", "json")
    assert changed.returncode == 0, changed.stderr
    assert (json.loads(changed.stdout)["created"], json.loads(changed.stdout)["changed"]) == (
        0,
        [verify.data["claim_id"]],
    )
    assert "different text, normalised claim or source; left unchanged" in changed.stderr
    assert len(client.tasks(verification_id)) == 1

    # A trained model pre-labels claim_status; the label stream serves the least certain task first.
    dataset = _dataset(tmp_path / "dataset")
    trained = run("train", str(dataset), "-o", str(tmp_path / "model"), "--format", "json", projects_dir=False)
    assert trained.returncode == 0, trained.stderr
    model_id = json.loads(trained.stdout)["model_id"]
    labelled = run("prelabel", "--project", "claims", "--model", str(tmp_path / "model"), "--order-by-uncertainty",
                   "--format", "json")  # fmt: skip
    assert labelled.returncode == 0, labelled.stderr
    assert (
        json.loads(labelled.stdout)["added"] == len(tasks) and json.loads(labelled.stdout)["model_version"] == model_id
    )
    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).stdout.strip()
    assert run("validate", exported, "--project", "claims").returncode == 0
    scores = {}
    for task in json.loads(Path(exported).read_text()):
        (prediction,) = [p for p in task["predictions"] if p["model_version"] == model_id]
        # One suggestion with everything: the rules' spans and relations with the model's claim_status.
        (status,) = [r["value"]["choices"][0] for r in prediction["result"] if r.get("from_name") == "claim_status"]
        assert prediction["result"] == with_status(task["data"]["text"], status)
        assert prediction["cluster"] == cluster(task["data"])  # annotators spread over articles
        if len(task["annotations"]) < 2:  # finished tasks are not served again
            scores[task["id"]] = prediction["score"]
    saved = json.loads((config_dir / "settings.json").read_text())["servers"][live_server.url]
    admin = _login(live_server.url, saved["username"], saved["password"])
    served = admin.get(f"{live_server.url}/api/projects/{claims_id}/next").json()
    assert scores[served["id"]] == min(scores.values())
    assert [p["model_version"] for p in served["predictions"]] == [model_id]  # what the editor pre-fills
