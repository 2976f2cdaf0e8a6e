"""`prelabel --order-by-uncertainty` in Chromium: "Label All Tasks" opens on the sentence the
model is least sure of, and the predictions carry their article as cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.labelstudio.api.prelabel import cluster
from annotate.loop.train import train
from tests.browser.ui import browser, signed_in
from tests.builders import dataset
from tests.conftest import LiveServer
from tests.server_helpers import Annotate
from tests.test_triage import articles

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_stream_opens_on_the_least_certain_sentence(live_server: LiveServer, chromium: str, tmp_path: Path) -> None:
    run = Annotate(live_server, tmp_path)

    claims_id = int(run("project", "create", "claims"))
    run("split", str(articles(tmp_path / "in")), "-o", str(tmp_path / "tasks.jsonl"))
    run("load", str(tmp_path / "tasks.jsonl"), "--project", "claims")
    train(dataset(tmp_path / "ds"), tmp_path / "model", seed=3)
    run("prelabel", "--project", "claims", "--model", str(tmp_path / "model"), "--order-by-uncertainty")
    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    tasks = json.loads(Path(exported).read_text())
    model_id = json.loads((tmp_path / "model" / "model.json").read_text())["model_id"]
    scores = {}
    for task in tasks:
        (prediction,) = [p for p in task["predictions"] if p["model_version"] == model_id]
        assert prediction["cluster"] == cluster(task["data"])
        scores[task["data"]["text"]] = prediction["score"]
    least = min(scores.values())

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login(), timeout=20_000)
        ui.label_all_tasks(claims_id)
        assert scores[ui.sentence().strip()] == least  # the least certain first
