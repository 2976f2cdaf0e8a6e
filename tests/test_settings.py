from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import AuthError, ConfigError
from annotate.labelstudio.service import settings as st


def saved(tmp_path: Path) -> Path:
    st.save_server(tmp_path, "http://127.0.0.1:8080", {"api_key": "file-key", "data_dir": "/d", "username": "u"})
    return tmp_path


def test_settings_file_is_private(tmp_path: Path) -> None:
    path = st.save_server(tmp_path / "cfg", "http://127.0.0.1:8080", {"api_key": "k", "data_dir": "/d"})
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cfg").stat().st_mode & 0o777 == 0o700


def test_precedence_option_then_environment_then_file(tmp_path: Path) -> None:
    cfg = saved(tmp_path)
    from_file = st.resolve_connection(url=None, env_url=None, env_key=None, config_dir=cfg)
    assert (from_file.url, from_file.api_key) == ("http://127.0.0.1:8080", "file-key")
    from_env = st.resolve_connection(url=None, env_url="http://h:1/", env_key="env-key", config_dir=cfg)
    assert (from_env.url, from_env.api_key) == ("http://h:1", "env-key")
    from_option = st.resolve_connection(url="http://o:2", env_url="http://h:1", env_key="env-key", config_dir=cfg)
    assert (from_option.url, from_option.api_key) == ("http://o:2", "env-key")


def test_key_never_in_repr(tmp_path: Path) -> None:
    connection = st.resolve_connection(url=None, env_url=None, env_key=None, config_dir=saved(tmp_path))
    assert "file-key" not in repr(connection) and "file-key" not in str(connection)


def test_nothing_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Label Studio server is configured"):
        st.resolve_connection(url=None, env_url=None, env_key=None, config_dir=tmp_path)


def test_url_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="no API key for http://elsewhere:9"):
        st.resolve_connection(url="http://elsewhere:9", env_url=None, env_key=None, config_dir=saved(tmp_path))


def test_restart_on_another_port_moves_the_login(tmp_path: Path) -> None:
    cfg = saved(tmp_path)
    st.save_server(cfg, "http://127.0.0.1:9000", {"api_key": "file-key", "data_dir": "/d", "username": "u"})
    data = st.read_settings(cfg)
    assert list(data["servers"]) == ["http://127.0.0.1:9000"]
    assert data["current"] == "http://127.0.0.1:9000"


def test_project_records_are_per_url(tmp_path: Path) -> None:
    st.record_project_id(tmp_path, "http://a", "claims", 3)
    st.record_project_id(tmp_path, "http://b", "claims", 7)
    assert st.recorded_project_id(tmp_path, "http://a", "claims") == 3
    assert st.recorded_project_id(tmp_path, "http://b", "claims") == 7
    assert st.recorded_project_id(tmp_path, "http://c", "claims") is None


def test_corrupt_settings_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{oops")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        st.read_settings(tmp_path)
