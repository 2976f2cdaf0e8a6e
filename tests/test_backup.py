"""Backups and doctor without a server: what PostgreSQL refuses, a damaged file, the checks' verdicts."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.labelstudio import backup, doctor
from annotate.labelstudio import settings as st


def test_what_postgresql_refuses() -> None:
    assert backup.refused_by_postgres("a\x00b", json_column=False) == "a NUL character"
    assert (
        backup.refused_by_postgres("a\ud800b", json_column=False) == "text that is not valid UTF-8 (a lone surrogate)"
    )
    assert backup.refused_by_postgres('{"text": "a\\u0000"}', json_column=True) == "a NUL character (\\u0000 in JSON)"
    assert (
        backup.refused_by_postgres('{"text": "\\ud800 x"}', json_column=True)
        == "a lone surrogate (\\ud800-\\udfff in JSON)"
    )
    assert backup.refused_by_postgres('{"text": "\\ud83d\\ude00 ok"}', json_column=True) is None  # a pair is fine
    assert backup.refused_by_postgres("literal \\u0000 in plain text", json_column=False) is None
    assert backup.refused_by_postgres(42, json_column=True) is None


def test_find_refused_names_table_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE task (id INTEGER PRIMARY KEY, data TEXT)")
        conn.executemany("INSERT INTO task VALUES (?, ?)", [(1, '{"text": "fine"}'), (7, '{"text": "NUL \\u0000"}')])
    conn.close()
    assert backup.find_refused(path) == ["task id 7 column data: a NUL character (\\u0000 in JSON)"]


def _fake_backup(path: Path, *, damage: bool = False) -> None:
    body = b"SQLite"
    digest = "0" * 64 if damage else hashlib.sha256(body).hexdigest()
    manifest = {"format": backup.FORMAT, "backend": "sqlite", "counts": {}, "files": {"database.sqlite3": digest}}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), ("database.sqlite3", body)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_damaged_backup_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    _fake_backup(tmp_path / "b.tar.gz", damage=True)
    with pytest.raises(InputError, match=r"database\.sqlite3 is missing or damaged"):
        backup.restore(tmp_path / "b.tar.gz", data_dir=tmp_path / "new", config_dir=tmp_path / "cfg")
    assert not (tmp_path / "new").exists()
    with pytest.raises(InputError, match="is not an annotate backup"):
        backup.read_manifest(Path(__file__))


def test_restore_only_into_an_empty_folder(tmp_path: Path) -> None:
    _fake_backup(tmp_path / "b.tar.gz")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("")
    with pytest.raises(InputError, match="is not empty"):
        backup.restore(tmp_path / "b.tar.gz", data_dir=tmp_path / "busy", config_dir=tmp_path / "cfg")


def test_doctor_without_a_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "label_studio.sqlite3").write_bytes(b"")
    cfg = tmp_path / "cfg"
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    last = {"path": str(tmp_path / "gone.tar.gz"), "at": old}
    st.save_server(cfg, "http://127.0.0.1:9", {"api_key": "k", "data_dir": str(data_dir), "last_backup": last})
    (cfg / "settings.json").chmod(0o644)
    report = doctor.diagnose(config_dir=cfg, url=None, api_key=None, projects_dir=tmp_path)
    status = {c.name: c.status for c in report.checks}
    assert status == {
        "server reachable": "fail", "Label Studio version": "skip", "API key": "skip", "database": "ok",
        "projects": "skip", "free disk": status["free disk"], "last backup": "warn", "settings file": "fail",
        "analytics and version check": "skip",
    }  # fmt: skip
    assert report.failed and "(the file is gone)" in next(c.detail for c in report.checks if c.name == "last backup")
