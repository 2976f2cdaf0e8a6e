"""Server control without starting Label Studio: what start refuses and what it passes on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from annotate.errors import ServerError
from annotate.labelstudio import server


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


def test_stop_without_a_server(tmp_path: Path) -> None:
    assert server.stop(data_dir=tmp_path) is None


def test_status_of_a_server_that_is_not_there(tmp_path: Path) -> None:
    status = server.status(data_dir=tmp_path / "none", config_dir=tmp_path / "cfg")
    assert status.running is False and status.key_ok is None
