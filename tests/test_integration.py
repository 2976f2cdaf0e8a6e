"""The walking skeleton against a real Label Studio: project -> load -> annotate -> export -> validate -> combine."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pandas as pd
import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.api.load import BATCH_SIZE
from annotate.labelstudio.api.projects import load_project
from annotate.labelstudio.service.settings import Connection

from .builders import region as _region
from .conftest import EXAMPLE_ARTICLE, ROOT, LiveServer
from .server_helpers import fresh_config, fresh_projects
from .server_helpers import login as _login

pytestmark = pytest.mark.integration


def _no_secret(server: LiveServer, *results) -> None:
    for result in results:
        assert server.api_key not in result.stdout + result.stderr


def test_pipeline_end_to_end(live_server: LiveServer, tmp_path: Path) -> None:
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    projects = fresh_projects(tmp_path)

    config_dir = fresh_config(live_server, tmp_path)  # its own project records, for the same reason

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
    on_server = client.tasks(project_id)
    assert sorted(t.data["sentence_id"] for t in on_server) == sorted(r["sentence_id"] for r in records)

    # An annotation stored the way the web UI stores one.
    task_id, data = next((t.id, t.data) for t in on_server if "Keir Starmer said" in t.data["text"])
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

    combined = run("combine", str(export_file), "-o", str(tmp_path / "dataset"), "--keep-annotator-identity")
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
    # The card's provenance: the export's sha256, its project and label config hash from its manifest.
    manifest = json.loads(export_file.with_name(export_file.stem + ".manifest.json").read_text())
    card = (tmp_path / "dataset" / "README.md").read_text()
    assert f"| `{export_file.name}` | `{manifest['sha256']}` | claims | `{manifest['label_config_sha256']}` |" in card
    # One config hash: the server's copy (the manifest's) and the folder's (project show) are the same.
    shown = json.loads(run("project", "show", "claims", "--format", "json").stdout)
    assert shown["config_sha256"] == manifest["label_config_sha256"]

    _no_secret(live_server, created, again, split, first, second, exported, validated, combined)


def test_project_create_with_two_same_titles_is_an_error(live_server: LiveServer, tmp_path: Path) -> None:
    spec = load_project("claims", projects_dir=ROOT / "projects")
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    title = "Duplicate title check"
    for _ in range(2):
        client.create_project(label_config=spec.label_config, settings={"title": title})
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


def test_projects_create_once_update_safely_and_list(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str):
        return live_server.run(*args, "--projects-dir", str(projects), config_dir=config_dir)

    ids = {}
    for name in ("claims", "verification"):
        first, second = run("project", "create", name), run("project", "create", name)
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert first.stdout == second.stdout
        ids[name] = int(first.stdout)
    listed = json.loads(run("project", "list", "--format", "json").stdout)
    assert [(r["name"], r["id"], r["in_sync"]) for r in listed] == [
        ("claims", ids["claims"], True),
        ("verification", ids["verification"], True),
    ]

    # Annotate one task with SOURCE, then try to remove SOURCE from the config.
    tasks = projects / "t.jsonl"
    assert live_server.run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks)).returncode == 0
    assert run("load", str(tasks), "--project", "claims").returncode == 0
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    task = client.tasks(ids["claims"])[4]
    text = task.data["text"]
    client.create_annotation(task.id, [_region("s", text, text.split()[0], "SOURCE")])
    config = projects / "claims" / "config.xml"
    config.write_text("\n".join(line for line in config.read_text().splitlines() if 'value="SOURCE"' not in line))

    refused = run("project", "update", "claims")
    assert refused.returncode == 1
    assert '-      <Label value="SOURCE"' in refused.stdout
    assert refused.stderr.startswith("Error: updating project 'claims' would orphan existing annotations:\n")
    assert "SOURCE (1 annotation)" in refused.stderr
    assert client.get_project(ids["claims"]).label_config.count('value="SOURCE"') == 1  # unchanged

    forced = run("project", "update", "claims", "--force")
    assert forced.returncode == 0, forced.stderr
    assert 'value="SOURCE"' not in client.get_project(ids["claims"]).label_config


def test_a_broken_config_is_reported_before_any_request(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config = projects / "claims" / "config.xml"
    config.write_text(config.read_text().replace('toName="text" perRegion', 'toName="txt" perRegion', 1))
    result = live_server.run("project", "create", "claims", "--projects-dir", str(projects))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "Error: project 'claims' is invalid:",
        f"{config}: <Choices name='source_type'> has toName='txt', but no tag has that name "
        "(names: claim_status, claim_types, context_after, context_before, normalized_claim, segmentation_issue, "
        "source_outside_sentence, source_type, span, text)",
    ]


def test_a_killed_load_reruns_to_exactly_one_task_per_sentence(live_server: LiveServer, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)
    project_id = int(live_server.run("project", "create", "claims", "--projects-dir", str(projects),
                                     config_dir=config_dir).stdout)  # fmt: skip
    # Three batches: the kill lands while the server is importing the first.
    records = [
        {"text": f"Sentence number {i} says something.", "kind": "sentence", "article_id": "bulk",
         "sentence_id": f"bulk-{i}", "sentence_index": i, "char_start": 0, "char_end": 10}
        for i in range(3 * BATCH_SIZE)
    ]  # fmt: skip
    tasks = tmp_path / "bulk.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in records))
    args = [
        sys.executable,
        "-m",
        "annotate",
        "load",
        str(tasks),
        "--project",
        "claims",
        "--projects-dir",
        str(projects),
    ]
    killed = subprocess.Popen(args, env=live_server.env(config_dir), stderr=subprocess.PIPE, text=True)
    journal = config_dir / "load-journal.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.exists() and json.loads(journal.read_text())):
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()

    rerun = live_server.run("load", str(tasks), "--project", "claims", "--projects-dir", str(projects),
                            "--format", "json", config_dir=config_dir)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert f"A previous load was interrupted with {BATCH_SIZE} tasks in flight" in rerun.stderr
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    ids = [t.data["sentence_id"] for t in client.tasks(project_id)]
    assert sorted(ids) == sorted(r["sentence_id"] for r in records)
    report = json.loads(rerun.stdout)
    assert report["created"] + report["already_present"] == len(records)


def test_prelabel_adds_predictions_once(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str):
        return live_server.run(*args, "--projects-dir", str(projects), config_dir=config_dir)

    project_id = int(run("project", "create", "claims").stdout)
    tasks = tmp_path / "t.jsonl"
    assert live_server.run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks)).returncode == 0
    assert run("load", str(tasks), "--project", "claims").returncode == 0

    first = run("prelabel", "--project", "claims", "--format", "json")
    second = run("prelabel", "--project", "claims", "--format", "json")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert json.loads(first.stdout)["added"] == 21
    assert (json.loads(second.stdout)["added"], json.loads(second.stdout)["already_predicted"]) == (0, 21)

    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    assert len(client.prediction_task_ids(project_id, "annotate-rules-2")) == 21
    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports"))
    export = json.loads(Path(exported.stdout.strip()).read_text())
    starmer = next(t for t in export if "Keir Starmer said" in t["data"]["text"])
    (prediction,) = starmer["predictions"]
    labels = {r["value"]["labels"][0]: r["value"]["text"] for r in prediction["result"] if r["type"] == "labels"}
    assert labels["SOURCE"] == "UK Prime Minister Sir Keir Starmer" and labels["CUE"] == "said"
    assert live_server.run("validate", str(exported.stdout.strip())).returncode == 0


def test_annotators_log_in_and_annotators_per_task_is_honoured(live_server: LiveServer, tmp_path: Path) -> None:
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)
    settings_file = projects / "claims" / "project.json"
    settings_file.write_text(json.dumps(json.loads(settings_file.read_text()) | {"annotators_per_task": 2}))
    tag = uuid.uuid4().hex[:6]
    emails = [f"a-{tag}@example.org", f"b-{tag}@example.org"]
    added = live_server.run("users", "add", *emails, "--format", "json", config_dir=config_dir)
    assert added.returncode == 0, added.stderr
    passwords = {u["email"]: u["password"] for u in json.loads(added.stdout)}
    again = live_server.run("users", "add", emails[0], "--format", "json", config_dir=config_dir)
    assert json.loads(again.stdout)[0]["created"] is False

    project_id = int(live_server.run("project", "create", "claims", "--projects-dir", str(projects),
                                     config_dir=config_dir).stdout)  # fmt: skip
    tasks = tmp_path / "t.jsonl"
    assert live_server.run("split", str(EXAMPLE_ARTICLE), "-o", str(tasks)).returncode == 0
    assert live_server.run("load", str(tasks), "--project", "claims", "--projects-dir", str(projects),
                           config_dir=config_dir).returncode == 0  # fmt: skip

    first, second = (_login(live_server.url, e, passwords[e]) for e in emails)
    task = first.get(f"{live_server.url}/api/projects/{project_id}/next").json()
    result = [{"from_name": "claim_status", "to_name": "text", "type": "choices",
               "value": {"choices": ["no_claim"]}}]  # fmt: skip
    done = first.post(f"{live_server.url}/api/tasks/{task['id']}/annotations/", json={"result": result})
    assert done.status_code == 201
    # With two annotators per task, the second person is given the task the first one finished.
    assert second.get(f"{live_server.url}/api/projects/{project_id}/next").json()["id"] == task["id"]


def test_an_export_cut_off_by_a_server_stop_leaves_nothing_and_a_rerun_succeeds(tmp_path: Path) -> None:
    """Needs a server of its own: it stops it in the middle of an export."""
    import subprocess
    import time

    from .conftest import ANNOTATE, free_port

    config_dir, data_dir = tmp_path / "config", tmp_path / "ls-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["ANNOTATE_CONFIG_DIR"] = str(config_dir)
    port = str(free_port())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ANNOTATE, *args], env=env, capture_output=True, text=True)

    started = run("server", "start", "--port", port, "--data-dir", str(data_dir))
    assert started.returncode == 0, started.stderr
    try:
        project_id = int(run("project", "create", "claims").stdout)
        server = json.loads((config_dir / "settings.json").read_text())
        url = server["current"]
        client = labelstudio.connect(Connection(url, server["servers"][url]["api_key"]))
        # Big enough that the export takes several seconds on this server.
        fields = {"context_before": "", "context_after": "", "title": ""}
        client.import_tasks(project_id, [{"data": {"text": f"Sentence {i}."} | fields} for i in range(10_000)])
        exports = tmp_path / "exports"
        exporting = subprocess.Popen([*ANNOTATE, "export", "--project", "claims", "-o", str(exports)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(exports.glob("claims/.*.partial")):
            time.sleep(0.05)
        assert list(exports.glob("claims/.*.partial")), "the export never started writing"
        assert run("server", "stop", "--data-dir", str(data_dir)).returncode == 0
        out, err = exporting.communicate(timeout=120)
        assert exporting.returncode == 1, (out, err)
        assert err.splitlines()[1].startswith(f"Error: cannot reach Label Studio at {url}"), err
        assert "Traceback" not in err
        assert list((exports / "claims").iterdir()) == []  # no partial file, no file under a final name

        assert run("server", "start", "--port", port, "--data-dir", str(data_dir)).returncode == 0
        rerun = run("export", "--project", "claims", "-o", str(exports))
        assert rerun.returncode == 0, rerun.stderr
        path = Path(rerun.stdout.strip())
        manifest = json.loads(path.with_name(path.stem + ".manifest.json").read_text())
        assert manifest["counts"]["tasks"] == 10_000
        assert sorted(p.name for p in (exports / "claims").iterdir()) == sorted(
            [path.name, path.stem + ".manifest.json"]
        )
        assert run("validate", str(path)).returncode == 0
    finally:
        run("server", "stop", "--data-dir", str(data_dir))


def test_checkthat_round_trip_through_label_studio(live_server: LiveServer, tmp_path: Path) -> None:
    """CheckThat! rows -> tasks -> annotated through the API with their labels -> export -> combine
    -> the same ids, texts and labels in the CheckThat! files."""
    rows = [
        ("ct-1", "The unemployment rate fell to 3.9% in May.", "Yes"),
        ("ct-2", "We will keep fighting for our families.", "No"),
        ("ct-3", "Crime has doubled since 2010, the senator said.", "Yes"),
        ("ct-4", "Thank you all for coming tonight.", "No"),
    ]
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str):
        return live_server.run(*args, config_dir=config_dir)

    project_id = int(run("project", "create", "claims", "--projects-dir", str(projects)).stdout)
    tasks = tmp_path / "checkthat.jsonl"
    tasks.write_text("".join(json.dumps({
        "text": text, "kind": "sentence", "article_id": sid, "sentence_id": sid, "sentence_index": 0,
        "char_start": 0, "char_end": len(text), "context_before": "", "context_after": "", "title": "",
    }) + "\n" for sid, text, _ in rows))  # fmt: skip
    assert run("load", str(tasks), "--project", "claims", "--projects-dir", str(projects)).returncode == 0
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    label = {"Yes": "claim_checkworthy", "No": "no_claim"}
    for task in client.tasks(project_id):
        wanted = next(lab for sid, _, lab in rows if sid == task.data["sentence_id"])
        client.create_annotation(task.id, [{"id": "cs", "from_name": "claim_status", "to_name": "text",
                                            "type": "choices", "value": {"choices": [label[wanted]]}}])  # fmt: skip
    exported = run("export", "--project", "claims", "--projects-dir", str(projects), "-o", str(tmp_path / "exports"))
    assert exported.returncode == 0, exported.stderr
    combined = run("combine", exported.stdout.strip(), "-o", str(tmp_path / "dataset"), "--split", "100/0/0")
    assert combined.returncode == 0, combined.stderr
    back = (tmp_path / "dataset" / "formats" / "checkthat_train.tsv").read_text().splitlines()
    assert back[0] == "Sentence_id\tText\tclass_label"
    # read as participants read it: a text with a comma is quoted, as in CheckThat!'s own files
    table = pd.read_csv(tmp_path / "dataset" / "formats" / "checkthat_train.tsv", sep="\t", dtype=str)
    assert sorted(table.itertuples(index=False, name=None)) == sorted(rows)
    assert '"Crime has doubled since 2010, the senator said."' in "\n".join(back)


def test_benchmark_rows_with_hidden_references_through_label_studio(live_server: LiveServer, tmp_path: Path) -> None:
    """20 CheckThat! rows -> split -> load (reference hidden: in the task's meta, not its data) ->
    annotated through the API with the reference -> export keeps the meta -> agreement scores the
    annotator against the reference and says it was hidden -> combine --split source gives the rows back."""
    rows = tmp_path / "ct_dev.tsv"
    rows.write_text("".join((ROOT / "tests" / "data" / "rows" / "CT24_checkworthy_english_dev_sample.tsv")
                            .read_text(encoding="utf-8").splitlines(keepends=True)[:21]), encoding="utf-8")  # fmt: skip
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str):
        if args[0] in ("project", "load", "export"):
            args = (*args, "--projects-dir", str(projects))
        return live_server.run(*args, config_dir=config_dir)

    project_id = int(run("project", "create", "claims").stdout)
    assert run("split", str(rows), "-o", str(tmp_path / "tasks.jsonl")).returncode == 0
    loaded = run("load", str(tmp_path / "tasks.jsonl"), "--project", "claims")
    assert loaded.returncode == 0, loaded.stderr
    assert "20 reference label(s) hidden" in loaded.stdout
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    tasks = client.tasks(project_id)
    assert len(tasks) == 20 and not any("reference_label" in t.data for t in tasks)
    reference = {r["Sentence_id"]: r["class_label"] for r in pd.read_csv(rows, sep="\t", dtype=str).to_dict("records")}
    status = {"Yes": "claim_checkworthy", "No": "claim_not_checkworthy"}
    for task in tasks:
        wanted = status[reference[task.data["source_id"]]]
        client.create_annotation(task.id, [{"id": "cs", "from_name": "claim_status", "to_name": "text",
                                            "type": "choices", "value": {"choices": [wanted]}}])  # fmt: skip
    exported = run("export", "--project", "claims", "-o", str(tmp_path / "exports"))
    assert exported.returncode == 0, exported.stderr
    path = exported.stdout.strip()
    raw = json.loads(Path(path).read_text())
    assert {t["meta"]["reference_label"] for t in raw} == {"Yes", "No"}
    agreement = run("agreement", path)
    assert agreement.returncode == 0, agreement.stderr
    assert "reference labels (CheckThat! Yes/No): the annotators could NOT see it" in agreement.stdout
    assert "vs reference: accuracy 1.0, Cohen's kappa 1.0 (20 sentences)" in agreement.stdout
    combined = run("combine", path, "-o", str(tmp_path / "dataset"), "--split", "source")
    assert combined.returncode == 0, combined.stderr
    assert (tmp_path / "dataset" / "formats" / "checkthat_dev.tsv").read_bytes() == rows.read_bytes()
    assert (tmp_path / "dataset" / "formats" / "benchmarks" / "ct_dev" / "ct_dev.tsv").read_bytes() == rows.read_bytes()


def test_benchmark_references_as_suggestions(live_server: LiveServer, tmp_path: Path) -> None:
    """load --reference-as predictions: each row gets the reference as a claim_status prediction of
    model version `reference`, the project's active one (what the label stream pre-fills)."""
    rows = tmp_path / "ct_dev.tsv"
    rows.write_text("".join((ROOT / "tests" / "data" / "rows" / "CT24_checkworthy_english_dev_sample.tsv")
                            .read_text(encoding="utf-8").splitlines(keepends=True)[:11]), encoding="utf-8")  # fmt: skip
    projects = fresh_projects(tmp_path)
    config_dir = fresh_config(live_server, tmp_path)

    def run(*args: str):
        if args[0] in ("project", "load"):
            args = (*args, "--projects-dir", str(projects))
        return live_server.run(*args, config_dir=config_dir)

    project_id = int(run("project", "create", "claims").stdout)
    assert run("split", str(rows), "-o", str(tmp_path / "tasks.jsonl")).returncode == 0
    loaded = run("load", str(tmp_path / "tasks.jsonl"), "--project", "claims", "--reference-as", "predictions")
    assert loaded.returncode == 0, loaded.stderr
    assert "10 reference label(s) predictions" in loaded.stdout
    client = labelstudio.connect(Connection(live_server.url, live_server.api_key))
    tasks = client.tasks(project_id)
    assert len(tasks) == 10 and all("reference_label" in t.data for t in tasks)
    assert client.prediction_task_ids(project_id, "reference") == {t.id for t in tasks}
    assert client.get_project(project_id).settings["model_version"] == "reference"
    wanted = {"Yes": "claim_checkworthy", "No": "no_claim"}
    for prediction in client.predictions(project_id):
        task = next(t for t in tasks if t.id == int(prediction["task"]))
        assert prediction["result"][0]["value"]["choices"] == [wanted[task.data["reference_label"]]]
