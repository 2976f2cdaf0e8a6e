"""One claim, many mentions against a real Label Studio, the whole path: claims exports -> `annotate
match --against claimreview.jsonld` -> `annotate promote --matches` makes one verification task per
cluster, showing the earlier fact-check; a verifier answers
and confirms mentions; a later export adds a mention to the task in place (the answer stays);
export -> validate -> combine gives the verdict to every confirmed mention."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.service.settings import Connection

from .conftest import LiveServer
from .server_helpers import fresh_config, fresh_projects
from .test_clusters import FIRST, _claims_export

pytestmark = pytest.mark.integration


def _choice(name: str, values: list[str]) -> dict:
    return {"from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": values}}


def _text(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "claim", "type": "textarea", "value": {"text": [value]}}


def test_one_task_per_cluster_on_a_real_server(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str) -> dict:
        done = live_server.run(*args, "--projects-dir", str(projects), config_dir=config_dir)
        assert done.returncode == 0, f"annotate {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return json.loads(done.stdout) if "--format" in args else {"stdout": done.stdout, "stderr": done.stderr}

    verification_id = int(run("project", "create", "verification")["stdout"])
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    first = _claims_export(tmp_path, FIRST, "claims-1")
    review = {"@context": "https://schema.org", "@type": "ClaimReview", "url": "https://other.example/fc/1",
              "claimReviewed": "Putin ruled out NATO troops in Ukraine", "author": {"name": "Other Fact Desk"},
              "reviewRating": {"@type": "Rating", "alternateName": "False"}}  # fmt: skip
    (tmp_path / "claimreview.jsonld").write_text(json.dumps(review))
    matches = tmp_path / "matches.jsonl"
    matched = run("match", str(first), "--against", str(tmp_path / "claimreview.jsonld"), "-o", str(matches),
                  "--format", "json")  # fmt: skip
    assert (matched["mentions"], matched["clusters"], matched["clusters_matched"]) == (4, 2, 1)
    promoted = run("promote", str(first), "--matches", str(matches), "--format", "json")
    assert (promoted["claims"], promoted["clusters"], promoted["created"]) == (4, 2, 2)
    again = run("promote", str(first), "--matches", str(matches), "--format", "json")
    assert (again["created"], again["already_present"], again["mentions_added"]) == (0, 2, 0)
    tasks = {t.data["article_id"]: t for t in client.tasks(verification_id)}
    assert set(tasks) == {"kyiv-post", "city-desk"}
    putin = tasks["kyiv-post"]
    ids = [m["claim_id"] for m in putin.data["mentions"]]
    assert [o["value"] for o in putin.data["mention_options"]] == ids[1:] and len(ids) == 3
    assert (
        putin.data["previously_checked"] == "previously checked: false by Other Fact Desk (https://other.example/fc/1)"
    )
    assert tasks["city-desk"].data["previously_checked"] == ""

    # The verifier confirms two mentions and gives the verdict once.
    result = [_choice("same_claim", ids[1:]), _choice("verdict", ["false"])]
    result += [_choice("verification_state", ["verified"])]
    result.append(_text("factcheck_url", "https://factcheck.example.org/putin"))
    client.create_annotation(putin.id, result)

    # A later export has a fourth mention: it joins the task in place, the verifier's answer stays.
    later = _claims_export(tmp_path, (*FIRST, "weekly"), "claims-2")
    grown = tmp_path / "matches-2.jsonl"
    run("match", str(later), "--against", str(tmp_path / "claimreview.jsonld"), "-o", str(grown))
    added = run("promote", str(later), "--matches", str(grown), "--format", "json")
    assert (added["created"], added["mentions_added"], added["tasks_extended"]) == (0, 1, 1)
    now = {t.id: t for t in client.tasks(verification_id)}
    assert len(now) == 2 and now[putin.id].annotations == 1
    assert [m["article_id"] for m in now[putin.id].data["mentions"]][-1] == "weekly"
    assert len(now[putin.id].data["mention_options"]) == 3

    exported = run("export", "--project", "verification", "-o", str(tmp_path / "exports"))["stdout"].strip()
    run("validate", exported, "--project", "verification")
    run("combine", exported, "-o", str(tmp_path / "ds"))
    table = pd.read_parquet(tmp_path / "ds" / "verdicts.parquet").set_index("claim_id")
    weekly = now[putin.id].data["mentions"][-1]["claim_id"]
    assert list(table.loc[[*ids, weekly], "verdict_source"]) == ["direct", "cluster_confirmed", "cluster_confirmed",
                                                                 "cluster_automatic"]  # fmt: skip
    assert set(table.loc[[*ids, weekly], "verdict"]) == {"false"}
    (review,) = json.loads((tmp_path / "ds" / "formats" / "claimreview.jsonld").read_text())
    assert [a["url"] for a in review["itemReviewed"]["appearance"]] == [
        f"https://{a}.example/story" for a in ("kyiv-post", "daily-wire", "evening-news")
    ]
