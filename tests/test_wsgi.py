"""The production server's pieces that need no server: worker counts, gunicorn's config, the
systemd unit, and what doctor says of them (`-m postgres` runs them for real)."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import UsageError
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import doctor, process, server, wsgi
from annotate.labelstudio.service.unit import systemd_unit

GB = 2**30


@pytest.mark.parametrize(("cores", "memory", "expected"),
                         [(2, 23 * GB, 2), (16, 8 * GB, 5), (1, 1 * GB, 2), (4, 64 * GB, 4)])  # fmt: skip
def test_default_workers_are_min_of_cores_and_memory_over_1_5_gb_at_least_2(cores, memory, expected) -> None:
    assert wsgi.default_workers(cores, memory) == expected


def test_default_workers_read_this_machines_memory() -> None:
    memory = wsgi.memory_bytes()
    assert memory and wsgi.default_workers(64) == max(2, min(64, int(memory / (1.5 * GB))))


def test_gunicorn_config_is_python_with_threads_timeout_and_rotated_logs(tmp_path: Path) -> None:
    path = wsgi.write_config(tmp_path, host="127.0.0.1", port=8091, workers=3)
    config = runpy.run_path(str(path))
    assert (config["bind"], config["workers"], config["threads"], config["worker_class"]) == (
        "127.0.0.1:8091",
        3,
        wsgi.THREADS,
        "gthread",
    )
    assert config["timeout"] >= 2 * 70  # twice the 100,000-task export measured (about 70 s)
    handlers = config["logconfig_dict"]["handlers"]
    assert {h["class"] for h in handlers.values()} == {"logging.handlers.RotatingFileHandler"}
    assert {Path(h["filename"]) for h in handlers.values()} == {tmp_path / "logs" / "access.log",
                                                                 tmp_path / "logs" / "error.log"}  # fmt: skip
    assert config["logconfig_dict"]["root"]["handlers"] == ["error"]  # gunicorn refuses a root without handlers
    assert wsgi.command(path)[-1] == "core.wsgi:application" and str(path) in wsgi.command(path)


def test_several_processes_on_sqlite_are_refused_and_postgresql_gets_workers_by_default() -> None:
    with pytest.raises(UsageError, match="SQLite cannot serve safely") as refused:
        server.worker_count(2, db.SQLITE)
    assert "--database postgresql" in (refused.value.hint or "")
    assert server.worker_count(None, db.SQLITE) == 0 and server.worker_count(0, db.SQLITE) == 0
    postgres = db.parse_choice("postgresql")
    assert server.worker_count(None, postgres) == wsgi.default_workers() and server.worker_count(3, postgres) == 3
    assert server.worker_count(0, postgres) == 0  # the development server, asked for


def test_the_systemd_unit_runs_the_server_in_the_foreground(tmp_path: Path) -> None:
    unit = systemd_unit(data_dir=tmp_path / "my data", config_dir=tmp_path / "config", port=8091, workers=4,
                        public_url="https://a.example.org", user="annotate")  # fmt: skip
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "server start --foreground" in start and f"'{tmp_path / 'my data'}'" in start  # quoted: a space
    assert "--workers 4" in start and "--public-url https://a.example.org" in start and "--port 8091" in start
    assert any(line.startswith("ExecStop=") and "server stop" in line for line in unit.splitlines())
    assert "User=annotate" in unit and "WantedBy=multi-user.target" in unit and "Restart=on-failure" in unit


def test_server_unit_command_prints_the_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(tmp_path / "config"))
    result = CliRunner().invoke(app, ["server", "unit", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0 and "[Service]" in result.stdout and str(tmp_path / "data") in result.stdout


def _target(tmp_path: Path) -> doctor._Target:
    from datetime import UTC, datetime

    return doctor._Target(url="http://127.0.0.1:8091", shown="http://127.0.0.1:8091", key=None,
                          entry={"data_dir": str(tmp_path)}, config_dir=tmp_path, projects_dir=tmp_path,
                          now=datetime.now(UTC))  # fmt: skip


@pytest.mark.parametrize(("serving", "status"), [
    ({"server": "development", "workers": 1, "threads": 1, "host": "0.0.0.0"}, "warn"),
    ({"server": "development", "workers": 1, "threads": 1, "host": "127.0.0.1"}, "ok"),
    ({"server": "gunicorn", "workers": 4, "threads": 4, "host": "0.0.0.0"}, "ok"),
    (None, "skip"),
])  # fmt: skip
def test_doctor_reports_the_wsgi_server_and_warns_when_the_development_server_is_exposed(
    serving, status, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "serving", lambda _data_dir: serving)
    report = doctor.DoctorReport("http://127.0.0.1:8091")
    doctor._serving(_target(tmp_path), report)
    (check,) = report.checks
    assert check.status == status
    if serving and serving["server"] == "gunicorn":
        assert "4 worker process(es) x 4 threads" in check.detail


def test_doctor_says_what_to_run_when_label_studio_was_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "installed_version", lambda: "1.23.2")
    checks = []
    for recorded in (None, "1.23.2", "1.22.0"):
        if recorded:
            (tmp_path / server.VERSION_FILE).write_text(recorded + "\n")
        report = doctor.DoctorReport("http://127.0.0.1:8091")
        doctor._upgrade(_target(tmp_path), report)
        checks += report.checks
    assert [c.status for c in checks] == ["skip", "ok", "warn"]
    assert "1.22.0" in checks[2].detail and "annotate server backup" in (checks[2].hint or "")


def test_workers_on_sqlite_is_a_usage_error_that_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(tmp_path / "config"))
    result = CliRunner().invoke(app, ["server", "start", "--data-dir", str(tmp_path / "data"), "--workers", "2"])
    assert result.exit_code == 2 and "--database postgresql" in result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "config").exists()


@pytest.mark.parametrize("own_group", [True, False])
def test_terminate_stops_a_server_whether_or_not_it_leads_its_process_group(own_group: bool) -> None:
    """`server stop` of a server started in the background (its own group) or in the foreground
    inside another group (systemd aside): both are stopped."""
    import subprocess

    from annotate.labelstudio.service import process as proc

    child = subprocess.Popen(["sleep", "60"], start_new_session=own_group)
    assert (os.getpgid(child.pid) == child.pid) is own_group
    proc.terminate(child.pid, grace=5)
    assert child.wait(timeout=5) is not None


def test_children_are_the_processes_a_process_started() -> None:
    import subprocess

    from annotate.labelstudio.service import process as proc

    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in proc.children(os.getpid()) and child.pid not in proc.children(child.pid)
    finally:
        child.kill()
        child.wait()
