"""`ui_language` against the real Label Studio: a project created in Spanish is in sync with its folder,
every translated config is accepted (by the strict check that guards annotations too), switching the
language is drift that `project update` fixes, and an export holds the English stored values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api.projects import load_project
from annotate.labelstudio.service.settings import Connection

from .builders import region, status
from .conftest import LiveServer
from .server_helpers import Annotate

pytestmark = pytest.mark.integration

SENTENCE = "El ministro dijo que el paro bajó un 3% el año pasado."


def set_language(projects: Path, name: str, code: str) -> None:
    settings_file = projects / name / "project.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    settings_file.write_text(json.dumps(settings | {"ui_language": code}), encoding="utf-8")


def in_sync(run: Annotate, name: str) -> bool:
    return json.loads(run("project", "show", name, "--format", "json"))["in_sync"]


def test_a_spanish_project_has_no_drift_and_switching_language_is_drift_update_fixes(
    live_server: LiveServer, tmp_path: Path
) -> None:
    run = Annotate(live_server, tmp_path)
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    set_language(run.projects, "claims", "es")
    project_id = int(run("project", "create", "claims"))
    assert in_sync(run, "claims") is True
    again = live_server.run(
        "project", "update", "claims", "--projects-dir", str(run.projects), config_dir=run.config_dir
    )
    assert (again.returncode, again.stdout) == (0, "") and "is up to date" in again.stderr
    stored = client.get_project(project_id)
    assert '<Label value="AFIRMACIÓN" alias="CLAIM"' in stored.label_config
    assert stored.settings["expert_instruction"].startswith('<div lang="es">\n<h3>Afirmaciones en frases de noticias')

    # An annotation with the stored values, then every other language on the same project.
    records = tmp_path / "es.jsonl"
    record = {"text": SENTENCE, "kind": "sentence", "article_id": "es-1", "sentence_id": "es-1-0",
              "sentence_index": 0, "char_start": 0, "char_end": len(SENTENCE), "context_before": "",
              "context_after": "", "title": "Paro"}  # fmt: skip
    records.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    run("load", str(records), "--project", "claims")
    (task,) = client.tasks(project_id)
    claim = region("c", SENTENCE, "el paro bajó un 3% el año pasado", "CLAIM")
    client.create_annotation(
        task.id, [claim, region("s", SENTENCE, "El ministro", "SOURCE"), status("claim_checkworthy")]
    )
    # The server's strict check (the one that guards annotations) accepts every language's config;
    # two switches go through the commands: drift shown, fixed by update.
    for code in ("fr", "de", "nl"):
        set_language(run.projects, "claims", code)
        translated = load_project("claims", projects_dir=run.projects).label_config
        assert client.validate_config(project_id, translated) is None, code
    for code in ("ar", "es"):
        set_language(run.projects, "claims", code)
        assert in_sync(run, "claims") is False, code
        shown = run("project", "update", "claims")  # refused (exit 1) if Label Studio saw a stored value go
        assert 'alias="CLAIM"' in shown, code
        assert in_sync(run, "claims") is True, code

    export = Path(run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip())
    run("validate", "--project", "claims", str(export))
    (exported,) = json.loads(export.read_text(encoding="utf-8"))
    labels = sorted(label for r in exported["annotations"][0]["result"] for label in r["value"].get("labels", []))
    assert labels == ["CLAIM", "SOURCE"]


def test_every_translated_verification_config_is_accepted(live_server: LiveServer, tmp_path: Path) -> None:
    run = Annotate(live_server, tmp_path)
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    project_id = int(run("project", "create", "verification"))
    for code in ("es", "ar", "fr", "de", "nl"):
        set_language(run.projects, "verification", code)
        translated = load_project("verification", projects_dir=run.projects).label_config
        assert client.validate_config(project_id, translated) is None, code
    run("project", "update", "verification")  # the last one, Dutch, through the command
    assert in_sync(run, "verification") is True
    # The two boolean verdicts keep their value and show the translation through html.
    assert '<Choice value="true" html="' in client.get_project(project_id).label_config
