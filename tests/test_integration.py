"""The walking skeleton against a real Label Studio: project -> load -> annotate -> export -> validate -> combine."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest

from annotate import labelstudio
from annotate.projects import load_project
from annotate.settings import Connection

from .conftest import EXAMPLE_ARTICLE, ROOT, LiveServer

pytestmark = pytest.mark.integration


def _region(rid: str, text: str, part: str, label: str) -> dict:
    start = text.index(part)
    return {
        "id": rid, "from_name": "span", "to_name": "text", "type": "labels", "origin": "manual",
        "value": {"start": start, "end": start + len(part), "text": part, "labels": [label]},
    }  # fmt: skip


def _no_secret(server: LiveServer, *results) -> None:
    for result in results:
        assert server.api_key not in result.stdout + result.stderr


def fresh_projects(tmp_path: Path) -> Path:
    """The real claims project under a title of its own, so reruns against one server start clean."""
    projects = tmp_path / "projects"
    shutil.copytree(ROOT / "projects" / "claims", projects / "claims")
    settings = json.loads((projects / "claims" / "project.json").read_text())
    settings["title"] += f" (test {uuid.uuid4().hex[:8]})"
    (projects / "claims" / "project.json").write_text(json.dumps(settings))
    return projects


def test_pipeline_end_to_end(live_server: LiveServer, tmp_path: Path) -> None:
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    projects = fresh_projects(tmp_path)

    # Its own config folder too (the server's login, no project records), for the same reason.
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    settings = json.loads((live_server.config_dir / "settings.json").read_text())
    settings.pop("projects", None)
    (config_dir / "settings.json").write_text(json.dumps(settings))

    def run(*args: str):
        if args[0] in ("project", "load", "export"):
            args = (*args, "--projects-dir", str(projects))
        return live_server.run(*args, config_dir=config_dir)

    created = run("project", "create", "claims")
    assert created.returncode == 0, created.stderr
    project_id = int(created.stdout)
    again = run("project", "create", "claims")
    assert again.returncode == 0, again.stderr
    assert int(again.stdout) == project_id
    assert "Found existing project" in again.stderr

    tasks_file = tmp_path / "tasks.jsonl"
    split = run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks_file))
    assert split.returncode == 0, split.stderr
    records = [json.loads(line) for line in tasks_file.read_text().splitlines()]

    first = run("load", str(tasks_file), "--project", "claims", "--format", "json")
    assert first.returncode == 0, first.stderr
    second = run("load", str(tasks_file), "--project", "claims", "--format", "json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["created"] == 0
    assert json.loads(second.stdout)["already_present"] == len(records)
    on_server = client.task_data(project_id)
    assert sorted(d["sentence_id"] for _, d in on_server) == sorted(r["sentence_id"] for r in records)

    # An annotation stored the way the web UI stores one.
    task_id, data = next((t, d) for t, d in on_server if "Keir Starmer said" in d["text"])
    text = data["text"]
    source = "UK Prime Minister Sir Keir Starmer"
    claim = "“excellent progress” had been made"
    client.create_annotation(
        task_id,
        [
            _region("src", text, source, "SOURCE"),
            _region("clm", text, claim, "CLAIM"),
            {
                "id": "cs",
                "from_name": "claim_status",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["claim_checkworthy"]},
            },
        ],
        lead_time=8.0,
    )

    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports"))
    assert exported.returncode == 0, exported.stderr
    export_file = Path(exported.stdout.strip())
    assert export_file.parent == tmp_path / "exports" / "claims"
    tasks = json.loads(export_file.read_text())
    assert len(tasks) == len(records)  # every task, annotated or not

    validated = run("validate", str(export_file))
    assert validated.returncode == 0, validated.stdout + validated.stderr

    combined = run("combine", str(export_file), "-o", str(tmp_path / "dataset"))
    assert combined.returncode == 0, combined.stderr
    table = pd.read_parquet(tmp_path / "dataset" / "annotations.parquet")
    sentence_id = data["sentence_id"]
    rows = table[table.sentence_id == sentence_id]
    assert set(zip(rows.label, rows.text.fillna(""), strict=True)) == {
        ("SOURCE", source),
        ("CLAIM", claim),
        ("claim_checkworthy", ""),
    }
    assert set(rows.article_id) == {records[0]["article_id"]}
    assert set(rows.annotator) == {"admin@annotate.local"}
    assert pd.read_csv(tmp_path / "dataset" / "annotations.csv").shape[0] == len(table)

    _no_secret(live_server, created, again, split, first, second, exported, validated, combined)


def test_project_create_with_two_same_titles_is_an_error(live_server: LiveServer, tmp_path: Path) -> None:
    spec = load_project("claims", projects_dir=ROOT / "projects")
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    title = "Duplicate title check"
    for _ in range(2):
        client.create_project(title=title, label_config=spec.label_config, description="", instructions="")
    projects = tmp_path / "projects"
    (projects / "dup").mkdir(parents=True)
    (projects / "dup" / "config.xml").write_text(spec.label_config)
    (projects / "dup" / "project.json").write_text(json.dumps({"title": title}))

    result = live_server.run("project", "create", "dup", "--projects-dir", str(projects))

    assert result.returncode == 1
    assert "projects on" in result.stderr and f"have the title '{title}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_key_is_a_clear_error(live_server: LiveServer) -> None:
    env = live_server.env()
    env["LABEL_STUDIO_URL"] = live_server.url
    env["LABEL_STUDIO_API_KEY"] = "not-the-key-0123456789"
    result = live_server.run("project", "create", "claims", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: Label Studio at {live_server.url} refused the API key")
    assert "Traceback" not in result.stderr and "not-the-key" not in result.stderr


def test_server_status_and_idempotent_start(live_server: LiveServer) -> None:
    status = live_server.run("server", "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["url"] == live_server.url
    assert info["version"].startswith("1.23.")
    assert info["key_ok"] is True
    assert info["running"] is True
    assert info["data_dir"] == str(live_server.data_dir)

    again = live_server.run("server", "start", "--data-dir", str(live_server.data_dir))
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    _no_secret(live_server, status, again)

    settings = live_server.config_dir / "settings.json"
    assert settings.stat().st_mode & 0o777 == 0o600


def test_start_refuses_a_busy_port(live_server: LiveServer, tmp_path: Path) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    result = live_server.run(
        "server", "start", "--port", port, "--data-dir", str(tmp_path / "other"), config_dir=tmp_path / "cfg"
    )
    assert result.returncode == 1
    assert f"Error: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not (tmp_path / "other").exists()
