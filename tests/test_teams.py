"""A team's server on SQLite, against the real Label Studio: status by URL, accounts that work (checked
by logging in through the login page), backup and restore, doctor."""

from __future__ import annotations

import dataclasses
import json
import tarfile
import uuid
from pathlib import Path

import pytest

from ._teams import differences, export, login, populate, run, sign_up, start_restored
from .conftest import LiveServer
from .server_helpers import fresh_config, fresh_projects

pytestmark = pytest.mark.integration


def _elsewhere(server: LiveServer, tmp_path: Path) -> dict[str, str]:
    """The environment of someone whose annotate did not start this server: URL and key by environment."""
    (tmp_path / "empty-config").mkdir(exist_ok=True)
    return server.env(tmp_path / "empty-config") | {
        "LABEL_STUDIO_URL": server.url,
        "LABEL_STUDIO_API_KEY": server.api_key,
    }


def test_status_honours_url_option_and_environment(live_server: LiveServer, tmp_path: Path) -> None:
    env = _elsewhere(live_server, tmp_path)
    by_env = run(live_server, "server", "status", "--format", "json", env=env)
    assert by_env.returncode == 0, by_env.stdout + by_env.stderr
    status = json.loads(by_env.stdout)
    assert (status["url"], status["answering"], status["key_ok"], status["backend"]) == (
        live_server.url,
        True,
        True,
        None,
    )
    env.pop("LABEL_STUDIO_URL")
    by_option = run(live_server, "server", "status", "--url", live_server.url + "/", "--format", "json", env=env)
    assert by_option.returncode == 0 and json.loads(by_option.stdout)["url"] == live_server.url
    nothing = run(live_server, "server", "status", "--url", "http://127.0.0.1:9", env=env)
    assert nothing.returncode == 1 and "answering: no" in nothing.stdout


def test_accounts_work_and_deactivated_ones_do_not(live_server: LiveServer, tmp_path: Path) -> None:
    server = dataclasses.replace(live_server, config_dir=fresh_config(live_server, tmp_path))
    projects = fresh_projects(tmp_path)
    _, email, _ = populate(server, tmp_path, projects)
    listed = {u["email"]: u for u in json.loads(run(server, "users", "list", "--format", "json").stdout)}
    assert listed[email]["annotations"] == 1 and listed[email]["last_activity"] and listed[email]["active"] is True
    again = json.loads(run(server, "users", "add", email.upper(), "--format", "json").stdout)
    assert again == [
        {"email": email, "id": listed[email]["id"], "created": False, "password": None, "invite_url": None}
    ]

    deactivated = run(server, "users", "deactivate", email)
    assert deactivated.returncode == 0, deactivated.stderr
    assert f"{email}\tdeactivated (1 annotations kept)" in deactivated.stdout
    tasks = export(server, projects, tmp_path / "exports")
    authors = {a["completed_by"]["email"] for t in tasks for a in t["annotations"]}
    assert email in authors  # their work stays in exports, under their address
    listed = {u["email"]: u for u in json.loads(run(server, "users", "list", "--format", "json").stdout)}
    assert listed[email]["active"] is False


def test_a_deactivated_user_cannot_log_in(live_server: LiveServer, tmp_path: Path) -> None:
    server = dataclasses.replace(live_server, config_dir=fresh_config(live_server, tmp_path))
    email = f"cy.{uuid.uuid4().hex[:6]}@example.org"
    password = json.loads(run(server, "users", "add", email, "--format", "json").stdout)[0]["password"]
    assert login(server.url, email, password)[1] == 302
    # Behind a TLS proxy, a server started without --public-url refuses the login (CSRF: untrusted origin).
    assert login(server.url, email, password, public_url="https://annotate.example.org")[1] == 403
    assert run(server, "users", "deactivate", email).returncode == 0
    assert login(server.url, email, password)[1] == 200


def test_another_server_gets_an_invite_that_works(live_server: LiveServer, tmp_path: Path) -> None:
    env = _elsewhere(live_server, tmp_path)
    email = f"Bo.{uuid.uuid4().hex[:6]}@Example.org"
    added = run(live_server, "users", "add", email, "--format", "json", env=env)
    assert added.returncode == 0, added.stderr
    (user,) = json.loads(added.stdout)
    assert (user["email"], user["id"], user["created"], user["password"]) == (email.lower(), None, False, None)
    listed = json.loads(run(live_server, "users", "list", "--format", "json", env=env).stdout)
    assert email.lower() not in {u["email"] for u in listed}  # no account nobody can log into
    assert sign_up(user["invite_url"], email.lower(), "a-Long-pass-123") == 302
    assert login(live_server.url, email, "a-Long-pass-123")[1] == 302
    again = json.loads(run(live_server, "users", "add", email, "--format", "json", env=env).stdout)
    assert again[0]["created"] is False and again[0]["id"] is not None
    refused = run(live_server, "users", "deactivate", email, env=env)
    assert refused.returncode == 1 and "Label Studio's API has no way to stop a login" in refused.stderr


def test_backup_restore_gives_the_same_export_and_doctor_sees_it(live_server: LiveServer, tmp_path: Path) -> None:
    server = dataclasses.replace(live_server, config_dir=fresh_config(live_server, tmp_path))
    projects = fresh_projects(tmp_path)
    populate(server, tmp_path, projects)
    before = export(server, projects, tmp_path / "before")

    backup_file = tmp_path / "backups" / "b.tar.gz"
    done = run(
        server, "server", "backup", "--data-dir", str(server.data_dir), "-o", str(backup_file), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert backup_file.stat().st_mode & 0o777 == 0o600
    assert report["backend"] == "sqlite" and report["counts"]["annotations"] >= 1
    with tarfile.open(backup_file) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert {"database.sqlite3", "secret.env", "login.json", "manifest.json"} <= set(tar.getnames())
    assert manifest["counts"] == report["counts"] and manifest["files"] == report["files"]

    restored_dir = tmp_path / "restored"
    restored = run(server, "server", "restore", str(backup_file), "--data-dir", str(restored_dir), "--format", "json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["counts"] == manifest["counts"]
    assert run(server, "server", "restore", str(backup_file), "--data-dir", str(restored_dir)).returncode == 1
    url = start_restored(server, restored_dir)
    try:
        after = export(server, projects, tmp_path / "after", url=url)
        assert differences(before, after) == []
    finally:
        run(server, "server", "stop", "--data-dir", str(restored_dir))

    # `server start` made the restored server the current one: doctor is asked about the first by --url.
    doctor = run(server, "doctor", "--url", server.url, "--projects-dir", str(projects), "--format", "json")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert doctor.returncode == 0, doctor.stdout
    assert checks["last backup"]["status"] == "ok" and str(backup_file) in checks["last backup"]["detail"]
    assert checks["settings file"]["status"] == "ok" and checks["API key"]["status"] == "ok"
    assert checks["database"]["detail"].startswith(("SQLite", "PostgreSQL"))


@pytest.mark.integration
def test_doctor_checks_the_projects_of_a_server_it_does_not_run(live_server: LiveServer, tmp_path: Path) -> None:
    """A remote server (no data folder known here): the database is skipped, the projects are still
    checked with the key (they were skipped whenever the database check was)."""
    env = live_server.env(tmp_path / "empty-config") | {"LABEL_STUDIO_API_KEY": live_server.api_key}
    done = live_server.run("doctor", "--url", live_server.url, "--projects-dir", str(fresh_projects(tmp_path)),
                           "--format", "json", env=env)  # fmt: skip
    checks = {c["name"]: c["status"] for c in json.loads(done.stdout)["checks"]}
    assert checks["database"] == "skip" and checks["API key"] == "ok"
    assert checks["projects"] in ("ok", "warn"), done.stdout
