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
from annotate.labelstudio.service import backup, doctor
from annotate.labelstudio.service import settings as st


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


def _database(path: Path, tasks: int = 2) -> dict[str, int]:
    """A SQLite file with Label Studio's counted tables; returns its counts."""
    with sqlite3.connect(path) as conn:
        for table in backup.COUNTED.values():
            conn.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY)')
        conn.executemany('INSERT INTO "task" (id) VALUES (?)', [(i,) for i in range(tasks)])
    conn.close()
    return {name: tasks if table == "task" else 0 for name, table in backup.COUNTED.items()}


def _fake_backup(path: Path, *, damage: bool = False, manifest: dict | None = None,
                 members: dict[str, bytes] | None = None) -> None:  # fmt: skip
    """A backup as `server backup` writes one (a small database, a login); `manifest` fields and
    `members` replace the good ones."""
    database = path.with_name(path.name + ".db")
    counts = _database(database)
    body = {"database.sqlite3": database.read_bytes(),
            "login.json": json.dumps({"username": "a@b.c", "password": "p", "api_key": "k"}).encode()}  # fmt: skip
    body |= members or {}
    files = {n: "0" * 64 if damage and n == "database.sqlite3" else hashlib.sha256(b).hexdigest()
             for n, b in body.items()}  # fmt: skip
    made = {"format": backup.FORMAT, "backend": "sqlite", "counts": counts, "files": files} | (manifest or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(made).encode()), *body.items()):
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


def test_a_good_backup_restores(tmp_path: Path) -> None:
    _fake_backup(tmp_path / "b.tar.gz")
    report = backup.restore(tmp_path / "b.tar.gz", data_dir=tmp_path / "new", config_dir=tmp_path / "cfg")
    assert report.counts["tasks"] == 2 and (tmp_path / "new" / "label_studio.sqlite3").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # the staging folder is gone


def _truncated(path: Path) -> None:
    _fake_backup(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


LOGIN = json.dumps({"username": "a@b.c", "password": "p", "api_key": "k"}).encode()
DAMAGED = [
    ("truncated", _truncated, "the file ends early (truncated)"),
    ("no files", lambda p: _fake_backup(p, manifest={"files": None}), "files is not an object"),
    ("files as a list", lambda p: _fake_backup(p, manifest={"files": ["database.sqlite3"]}), "files is not an object"),
    ("no backend", lambda p: _fake_backup(p, manifest={"backend": None}), "backend None"),
    ("counts as text", lambda p: _fake_backup(p, manifest={"counts": "many"}), "counts is not an object"),
    ("manifest not JSON", lambda p: _raw_backup(p, {"manifest.json": b"{"}), "manifest.json is not JSON"),
    ("not SQLite", lambda p: _fake_backup(p, members={"database.sqlite3": b"not a database"}),
     "database.sqlite3 is not a Label Studio SQLite database"),
    ("login not JSON", lambda p: _fake_backup(p, members={"login.json": b"{"}), "login.json is missing or not JSON"),
    ("login without a key", lambda p: _fake_backup(p, members={"login.json": b'{"username": "a"}'}),
     "login.json needs username, password and api_key"),
    ("counts disagree", lambda p: _fake_backup(p, manifest={"counts": {"tasks": 5}}), "the manifest says"),
    ("escaping member", lambda p: _fake_backup(p, members={"../evil": b"x"}), "outside the restore"),
    ("a member not listed", lambda p: _fake_backup(p, manifest={"files": {"login.json": _sha(LOGIN)}}),
     "files lists no database.sqlite3"),
]  # fmt: skip


def _raw_backup(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(("case", "make", "says"), DAMAGED, ids=[d[0] for d in DAMAGED])
def test_a_damaged_backup_says_so_and_changes_nothing(tmp_path: Path, case: str, make, says: str) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    make(tmp_path / "b.tar.gz")
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(app, ["server", "restore", str(tmp_path / "b.tar.gz"), "--data-dir",
                                      str(tmp_path / "new")], env={"ANNOTATE_CONFIG_DIR": str(cfg)})  # fmt: skip
    assert result.exit_code == 1, result.output
    assert says in result.stderr and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before and list(cfg.iterdir()) == []


def test_restore_refuses_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    _fake_backup(tmp_path / "b.tar.gz")
    (tmp_path / "file").write_text("x")
    args = ["server", "restore", str(tmp_path / "b.tar.gz"), "--data-dir", str(tmp_path / "file")]
    result = CliRunner().invoke(app, args, env={"ANNOTATE_CONFIG_DIR": str(tmp_path / "c")})
    assert result.exit_code == 2 and "is a file" in result.stderr


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
        "WSGI server": "skip", "Label Studio upgrade": "skip",
        "projects": "skip", "free disk": status["free disk"], "last backup": "warn", "settings file": "fail",
        "analytics and version check": "skip",
    }  # fmt: skip
    assert report.failed and "(the file is gone)" in next(c.detail for c in report.checks if c.name == "last backup")
