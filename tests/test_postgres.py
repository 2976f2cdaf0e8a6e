"""Label Studio on PostgreSQL, against the real server: `pytest -m postgres`.

Without PostgreSQL (Debian: apt-get install postgresql) these tests fail; they never skip. Each test
starts its own servers (annotate's private PostgreSQL cluster, or SQLite where a test moves one up) and
removes their clusters afterwards.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.service import database, process
from annotate.labelstudio.service.settings import Connection

from ._teams import differences, export, login, own_server, populate, run, start_restored, stop_server
from .conftest import LiveServer
from .server_helpers import fresh_projects

pytestmark = [pytest.mark.postgres, pytest.mark.integration]
PUBLIC_URL = "https://annotate.example.org"  # as behind a TLS reverse proxy


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database.postgres_program("initdb")  # no PostgreSQL: an error here fails the tests
    server = own_server(tmp_path_factory.mktemp("pg"), "--database", "postgresql", "--public-url", PUBLIC_URL)
    try:
        yield server
    finally:
        stop_server(server)


def test_postgresql_server_runs_the_pipeline_and_backs_up_and_restores(pg_server: LiveServer, tmp_path: Path) -> None:
    status = json.loads(run(pg_server, "server", "status", "--format", "json").stdout)
    assert status["backend"] == "postgresql" and status["database"]["managed"] and status["database_running"]
    assert not (pg_server.data_dir / "label_studio.sqlite3").exists()  # no silent fallback to SQLite
    settings = json.loads((pg_server.config_dir / "settings.json").read_text())
    secret = settings["servers"][pg_server.url]["database_password"]
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert secret not in processes  # passed by environment, never on a command line
    refused = run(pg_server, "server", "start", "--data-dir", str(pg_server.data_dir), "--database", "sqlite")
    assert refused.returncode == 1 and "was created with the database postgresql://annotate@" in refused.stderr

    projects = fresh_projects(tmp_path)
    _, email, password = populate(pg_server, tmp_path, projects)  # project, tasks, predictions, an annotator
    # Behind the proxy the browser sends the public origin; Label Studio's CSRF check must trust it.
    assert login(pg_server.url, email, password, public_url=PUBLIC_URL)[1] == 302
    before = export(pg_server, projects, tmp_path / "before")  # validated too

    backup_file = tmp_path / "pg.tar.gz"
    done = run(pg_server, "server", "backup", "-o", str(backup_file), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backend"] == "postgresql" and backup_file.stat().st_mode & 0o777 == 0o600
    with tarfile.open(backup_file) as tar:
        assert "database.pgdump" in tar.getnames()

    restored_dir = tmp_path / "restored"
    restored = run(pg_server, "server", "restore", str(backup_file), "--data-dir", str(restored_dir))
    assert restored.returncode == 0, restored.stderr
    try:
        url = start_restored(pg_server, restored_dir)
        assert differences(before, export(pg_server, projects, tmp_path / "after", url=url)) == []
        stopped = run(pg_server, "server", "stop", "--data-dir", str(restored_dir))
        assert "Stopped its PostgreSQL." in stopped.stderr
        record = database.read_record(restored_dir)
        assert record is not None and record.managed and not database.cluster_running(record)
    finally:
        stop_server(pg_server, restored_dir)


def test_a_sqlite_backup_moves_up_to_postgresql(tmp_path: Path) -> None:
    sqlite_server = own_server(tmp_path / "sqlite")
    restored_dir = tmp_path / "moved"
    try:
        projects = fresh_projects(tmp_path)
        _, email, password = populate(sqlite_server, tmp_path, projects)
        client = labelstudio.connect(Connection(sqlite_server.url, sqlite_server.api_key))
        project_id = client.projects_with_title(
            json.loads((projects / "claims" / "project.json").read_text())["title"]
        )[0].id
        record = json.loads((tmp_path / "tasks.jsonl").read_text().splitlines()[0])  # what `populate` split
        (bad,) = client.import_tasks(project_id, [record | {"text": "a NUL \u0000 here", "sentence_id": "nul-1"}])

        first = tmp_path / "with-nul.tar.gz"
        assert run(sqlite_server, "server", "backup", "-o", str(first)).returncode == 0
        refused = run(sqlite_server, "server", "restore", str(first), "--data-dir", str(restored_dir),
                      "--database", "postgresql")  # fmt: skip
        assert refused.returncode == 1
        assert f"task id {bad} column data: a NUL character" in refused.stderr
        assert not restored_dir.exists()  # nothing half-restored

        client.delete_task(bad)
        before = export(sqlite_server, projects, tmp_path / "before")
        second = tmp_path / "clean.tar.gz"
        assert run(sqlite_server, "server", "backup", "-o", str(second)).returncode == 0
        moved = run(sqlite_server, "server", "restore", str(second), "--data-dir", str(restored_dir),
                    "--database", "postgresql", "--format", "json")  # fmt: skip
        assert moved.returncode == 0, moved.stderr
        assert json.loads(moved.stdout)["database"]["backend"] == "postgresql"
        url = start_restored(sqlite_server, restored_dir)
        after = export(sqlite_server, projects, tmp_path / "after", url=url)
        assert differences(before, after) == []
        # The moved server takes new work: its id sequences continue after the copied rows.
        moved_client = labelstudio.connect(Connection(url, sqlite_server.api_key))
        (new_task,) = moved_client.import_tasks(project_id, [record | {"text": "new", "sentence_id": "new-1"}])
        assert new_task > max(t["id"] for t in before)
        assert login(url, email, password)[1] == 302  # accounts and their password hashes moved too
    finally:
        stop_server(sqlite_server, restored_dir)
        stop_server(sqlite_server)


def test_workers_serve_the_team_and_a_killed_worker_is_replaced(pg_server: LiveServer) -> None:
    """On PostgreSQL the server runs under gunicorn by default; `kill -9` of a worker is repaired by
    its master without a manual step, and the server keeps answering."""
    import os
    import signal
    import time

    status = json.loads(run(pg_server, "server", "status", "--data-dir", str(pg_server.data_dir), "--format",
                            "json").stdout)  # fmt: skip  # (an earlier test made another server the current one)
    assert status["wsgi_server"] == "gunicorn" and status["workers"] >= 2 and status["threads"] == 4, status

    def workers() -> set[int]:
        return process.children(status["pid"])

    before = workers()
    assert len(before) == status["workers"]
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (len(workers()) == len(before) and victim not in workers()):
        time.sleep(0.5)
    after = workers()
    assert len(after) == len(before) and victim not in after
    client = labelstudio.connect(Connection(pg_server.url, pg_server.api_key))
    assert {client.whoami() for _ in range(8)} == {"admin@annotate.local"}  # answered, after the kill too
    access = (pg_server.data_dir / "logs" / "access.log").read_text()
    assert "/api/current-user/whoami" in access  # gunicorn's access log, in the data folder
