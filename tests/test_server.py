"""Server control without starting Label Studio: what start refuses and passes on, and what status reports
of a port where nothing listens and of a stand-in that answers as Label Studio does."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from annotate.errors import ServerError
from annotate.labelstudio.service import server
from annotate.labelstudio.service import settings as st

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
    env = server.server_env(data_dir=tmp_path, username="u@x", password="pw", token="tok")
    for name in ("PORT", "HOST", "USERNAME", "PASSWORD", "DEBUG", "LABEL_STUDIO_API_KEY", "HEARTEX_X"):
        assert name not in env
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_USER_TOKEN"] == "tok"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"


def test_a_callers_database_settings_never_reach_label_studio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DJANGO_DB", "POSTGRE_HOST", "POSTGRE_PASSWORD", "DATABASE_NAME", "CSRF_TRUSTED_ORIGINS"):
        monkeypatch.setenv(name, "stray")
    env = server.server_env(data_dir=tmp_path, username="u@x", password="pw", token="tok")
    assert not {"DJANGO_DB", "POSTGRE_HOST", "POSTGRE_PASSWORD", "DATABASE_NAME", "CSRF_TRUSTED_ORIGINS"} & set(env)


def test_a_conflicting_database_is_refused_before_anything_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "label_studio.sqlite3").write_bytes(b"")  # a folder from before the record: SQLite
    with pytest.raises(ServerError, match="was created with the database sqlite, not postgresql://annotate@"):
        server.start(data_dir=data, port=None, config_dir=tmp_path / "cfg", database="postgresql")


def test_stop_without_a_server(tmp_path: Path) -> None:
    stopped = server.stop(data_dir=tmp_path)
    assert (stopped.pid, stopped.database) == (None, False)


def _saved_server(tmp_path: Path, port: int, api_key: str) -> tuple[Path, Path]:
    """A settings file that records a server on `port` for a data folder of its own."""
    data_dir, config_dir = tmp_path / "data", tmp_path / "cfg"
    data_dir.mkdir()
    entry = {"api_key": api_key, "username": "admin@annotate.local", "data_dir": str(data_dir.resolve())}
    st.save_server(config_dir, server.url_for_port(port), entry)
    return data_dir, config_dir


class _LabelStudioStandIn(BaseHTTPRequestHandler):
    """Answers the three requests `server status` makes as Label Studio 1.23.2 does (note §2, §3)."""

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"status": "UP"})
        elif self.path == "/api/version":
            self._send(200, {"release": "1.23.2"})
        elif self.path == "/api/current-user/whoami":
            ok = self.headers.get("Authorization") == "Token right-key-0123456789"
            self._send(200, {"email": "admin@annotate.local"}) if ok else self._send(401, {"detail": "Invalid token."})
        else:
            self._send(404, {"detail": "Not found."})

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[int]:
    """A tiny HTTP server on a free port of 127.0.0.1; yields the port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _LabelStudioStandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_status_when_nothing_listens_on_the_saved_port(tmp_path: Path) -> None:
    port = free_port()
    data_dir, config_dir = _saved_server(tmp_path, port, "right-key-0123456789")
    status = server.status(data_dir=data_dir, config_dir=config_dir)
    assert status.url == f"http://127.0.0.1:{port}"
    assert (status.running, status.answering, status.version, status.key_ok) == (False, False, None, None)


def test_status_of_a_server_that_answers(tmp_path: Path, stand_in: int) -> None:
    data_dir, config_dir = _saved_server(tmp_path, stand_in, "right-key-0123456789")
    status = server.status(data_dir=data_dir, config_dir=config_dir)
    assert status.url == f"http://127.0.0.1:{stand_in}"
    assert (status.running, status.answering, status.version, status.key_ok) == (False, True, "1.23.2", True)
    assert status.username == "admin@annotate.local"


def test_status_reports_a_key_the_server_refuses(tmp_path: Path, stand_in: int) -> None:
    data_dir, config_dir = _saved_server(tmp_path, stand_in, "wrong-key-0123456789")
    status = server.status(data_dir=data_dir, config_dir=config_dir)
    assert (status.answering, status.key_ok) == (True, False)


def test_postgresql_missing_is_said_before_anything_is_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from annotate.labelstudio.service import database

    def missing(name: str) -> str:
        raise ServerError(f"PostgreSQL's {name} is not installed")

    monkeypatch.setattr(database, "postgres_program", missing)
    monkeypatch.setattr(server, "_label_studio_executable", lambda: "label-studio")
    with pytest.raises(ServerError, match="PostgreSQL's initdb is not installed"):
        server.start(data_dir=tmp_path / "data", port=free_port(), config_dir=tmp_path / "cfg", database="postgresql")
    assert not (tmp_path / "data").exists() and not (tmp_path / "cfg").exists()


def test_status_of_a_url_uses_that_url_and_its_key(tmp_path: Path, stand_in: int) -> None:
    """`server status --url` (and LABEL_STUDIO_URL) report that server, not 127.0.0.1:8080."""
    url = f"http://127.0.0.1:{stand_in}"
    status = server.status(data_dir=tmp_path / "none", config_dir=tmp_path / "cfg", url=url + "/",
                           api_key="right-key-0123456789")  # fmt: skip
    assert (status.url, status.answering, status.version, status.key_ok) == (url, True, "1.23.2", True)
    assert (status.running, status.database) == (False, None)  # not a server annotate runs here
    nothing = server.status(data_dir=tmp_path / "none", config_dir=tmp_path / "cfg",
                            url=f"http://127.0.0.1:{free_port()}", api_key="k")  # fmt: skip
    assert (nothing.answering, nothing.key_ok) == (False, None)
