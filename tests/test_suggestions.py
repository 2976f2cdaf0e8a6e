"""Against the real server: which suggestions the label stream shows (the project's active model
version), and that moving a project to the display-name configs (`value` shown, `alias` stored)
orphans nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api.projects import load_project
from annotate.labelstudio.service.settings import Connection

from .conftest import EXAMPLE_ARTICLE, ROOT, LiveServer
from .test_integration import _login, fresh_config, fresh_projects

pytestmark = pytest.mark.integration
BEFORE_ALIASES = ROOT / "tests" / "data" / "projects"


def test_prelabel_makes_its_suggestions_the_ones_the_stream_shows(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)
    settings_file = projects / "claims" / "project.json"
    settings = json.loads(settings_file.read_text())
    assert settings["model_version"] == "annotate-rules-2"
    settings_file.write_text(json.dumps(settings | {"model_version": ""}))  # start with none, as before

    def run(*args: str):
        done = live_server.run(*args, "--projects-dir", str(projects), config_dir=config_dir)
        assert done.returncode == 0, done.stderr
        return done.stdout

    project_id = int(run("project", "create", "claims"))
    tasks = tmp_path / "t.jsonl"
    assert live_server.run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks)).returncode == 0
    run("load", str(tasks), "--project", "claims")
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    saved = json.loads((config_dir / "settings.json").read_text())["servers"][live_server.url]
    admin = _login(live_server.url, saved["username"], saved["password"])

    def served() -> list:
        return admin.get(f"{live_server.url}/api/projects/{project_id}/next").json()["predictions"]

    run("prelabel", "--project", "claims", "--no-activate")
    assert client.get_project(project_id).settings["model_version"] == ""
    assert served() == []  # predictions exist, but the stream shows none
    report = json.loads(run("prelabel", "--project", "claims", "--format", "json"))
    assert (report["added"], report["active"]) == (0, True)
    assert [p["model_version"] for p in served()] == ["annotate-rules-2"]

    # project.json's model version is kept: project update sets back what someone else activated.
    settings_file.write_text(json.dumps(settings))
    (task,) = client.tasks(project_id)[:1]
    client.import_predictions(project_id, [{"task": task.id, "model_version": "another-model", "result": []}])
    client.set_model_version(project_id, "another-model")
    assert 'model_version: "another-model" -> "annotate-rules-2"' in run("project", "update", "claims", "--dry-run")
    run("project", "update", "claims")
    assert client.get_project(project_id).settings["model_version"] == "annotate-rules-2"
    assert "in sync" in run("project", "list")

    # A version with no prediction yet cannot be made active (Label Studio answers 400): update says so.
    settings_file.write_text(json.dumps(settings | {"model_version": "not-predicted-yet"}))
    updated = live_server.run("project", "update", "claims", "--projects-dir", str(projects), config_dir=config_dir)
    assert updated.returncode == 0, updated.stderr
    assert "Note: model_version 'not-predicted-yet' has no predictions yet" in updated.stderr
    assert client.get_project(project_id).settings["model_version"] == "annotate-rules-2"


def test_adjudication_projects_keep_no_model_version(tmp_path: Path) -> None:
    from annotate.labelstudio.api.projects import adjudication_spec

    review = adjudication_spec(load_project("claims", projects_dir=ROOT / "projects"))
    assert review.server_settings()["model_version"] == ""


@pytest.mark.parametrize("name", ["claims", "verification"])
def test_display_names_are_a_display_change_not_a_removal(live_server: LiveServer, tmp_path: Path, name: str) -> None:
    """A project made with the configs before display names, with an annotation using every stored
    value of one choice set, moves to today's config: nothing is orphaned, values stay as stored."""
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)
    config = projects / name / "config.xml"
    new_config = config.read_text()
    config.write_text((BEFORE_ALIASES / f"{name}-config-before-aliases.xml").read_text())

    def run(*args: str):
        return live_server.run(*args, "--projects-dir", str(projects), config_dir=config_dir)

    project_id = int(run("project", "create", name).stdout)
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    control, to_name, values = (
        ("claim_types", "text", ["quantity", "correlation_causation", "other"]) if name == "claims"
        else ("verification_state", "claim", ["needs_second_review"])
    )  # fmt: skip
    data = dict.fromkeys(load_project(name, projects_dir=projects).data_fields(), "Prices fell by 3% in May.")
    (task_id,) = client.import_tasks(project_id, [{"data": data}])
    client.create_annotation(task_id, [{"from_name": control, "to_name": to_name, "type": "choices",
                                        "value": {"choices": values}}])  # fmt: skip
    config.write_text(new_config)
    update = run("project", "update", name)
    assert update.returncode == 0, update.stdout + update.stderr
    assert client.get_project(project_id).label_config.strip() == new_config.strip()
    # Moving back to a config without one of those stored values is still refused.
    config.write_text(new_config.replace(f'alias="{values[-1]}"', f'alias="{values[-1]}_renamed"'))
    refused = run("project", "update", name)
    assert refused.returncode == 1 and values[-1] in refused.stdout + refused.stderr
