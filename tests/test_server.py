"""Server control without starting Label Studio: what start refuses and what it passes on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from annotate.errors import ServerError
from annotate.labelstudio import server

from .conftest import free_port


def test_busy_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start(data_dir=tmp_path / "data", port=port, config_dir=tmp_path / "cfg")
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "cfg").exists()


def test_server_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PORT", "HOST", "USERNAME", "PASSWORD", "DEBUG", "LABEL_STUDIO_API_KEY", "HEARTEX_X"):
        monkeypatch.setenv(name, "stray")
    env = server._server_env(data_dir=tmp_path, username="u@x", password="pw", token="tok")
    for name in ("PORT", "HOST", "USERNAME", "PASSWORD", "DEBUG", "LABEL_STUDIO_API_KEY", "HEARTEX_X"):
        assert name not in env
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_USER_TOKEN"] == "tok"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"


def test_a_callers_database_settings_never_reach_label_studio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DJANGO_DB", "POSTGRE_HOST", "POSTGRE_PASSWORD", "DATABASE_NAME", "CSRF_TRUSTED_ORIGINS"):
        monkeypatch.setenv(name, "stray")
    env = server._server_env(data_dir=tmp_path, username="u@x", password="pw", token="tok")
    assert not {"DJANGO_DB", "POSTGRE_HOST", "POSTGRE_PASSWORD", "DATABASE_NAME", "CSRF_TRUSTED_ORIGINS"} & set(env)


def test_status_of_a_url_uses_that_url_and_its_key(tmp_path: Path) -> None:
    """`server status --url` (and LABEL_STUDIO_URL) report that server, not 127.0.0.1:8080."""
    status = server.status(data_dir=tmp_path / "none", config_dir=tmp_path / "cfg",
                           url="http://127.0.0.1:9/", api_key="k")  # fmt: skip
    assert (status.url, status.answering, status.key_ok, status.database) == ("http://127.0.0.1:9", False, None, None)


def test_a_conflicting_database_is_refused_before_anything_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "label_studio.sqlite3").write_bytes(b"")  # a folder from before the record: SQLite
    with pytest.raises(ServerError, match="was created with the database sqlite, not postgresql://annotate@"):
        server.start(data_dir=data, port=None, config_dir=tmp_path / "cfg", database="postgresql")


def test_stop_without_a_server(tmp_path: Path) -> None:
    stopped = server.stop(data_dir=tmp_path)
    assert (stopped.pid, stopped.database) == (None, False)


def test_status_of_a_server_that_is_not_there(tmp_path: Path) -> None:
    status = server.status(data_dir=tmp_path / "none", config_dir=tmp_path / "cfg")
    assert status.running is False and status.key_ok is None


def test_postgresql_missing_is_said_before_anything_is_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from annotate.labelstudio import database

    def missing(name: str) -> str:
        raise ServerError(f"PostgreSQL's {name} is not installed")

    monkeypatch.setattr(database, "postgres_program", missing)
    monkeypatch.setattr(server, "_label_studio_executable", lambda: "label-studio")
    with pytest.raises(ServerError, match="PostgreSQL's initdb is not installed"):
        server.start(data_dir=tmp_path / "data", port=free_port(), config_dir=tmp_path / "cfg", database="postgresql")
    assert not (tmp_path / "data").exists() and not (tmp_path / "cfg").exists()
