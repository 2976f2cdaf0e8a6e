"""The database choice of a data folder, without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import ConfigError, ServerError
from annotate.labelstudio.service import database as db


def test_choices() -> None:
    assert db.parse_choice("sqlite") == db.SQLITE
    managed = db.parse_choice("postgresql")
    assert (managed.backend, managed.managed, managed.host, managed.user) == (
        "postgresql",
        True,
        "127.0.0.1",
        "annotate",
    )
    external = db.parse_choice("postgresql://ls@db.example.org:6543/annotations")
    assert external.url == "postgresql://ls@db.example.org:6543/annotations" and not external.managed
    with pytest.raises(ConfigError, match="must not contain the password"):
        db.parse_choice("postgresql://ls:secret@db.example.org/x")
    with pytest.raises(ConfigError, match="unknown database 'mysql'"):
        db.parse_choice("mysql")


def test_the_choice_is_recorded_and_a_conflict_refused(tmp_path: Path) -> None:
    database, new = db.choose(tmp_path, "postgresql://ls@h:5432/a")
    assert new
    db.write_record(tmp_path, database)
    assert db.choose(tmp_path, None) == (database, False)
    assert db.choose(tmp_path, "postgresql://ls@h:5432/a") == (database, False)
    with pytest.raises(ServerError, match="was created with the database postgresql://ls@h:5432/a, not sqlite"):
        db.choose(tmp_path, "sqlite")
    assert "secret" not in (tmp_path / db.RECORD_FILE).read_text()


def test_default_is_sqlite_and_an_old_folder_is_sqlite(tmp_path: Path) -> None:
    assert db.choose(tmp_path / "new", None) == (db.SQLITE, True)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "label_studio.sqlite3").write_bytes(b"")
    assert db.choose(tmp_path / "old", None) == (db.SQLITE, False)


def test_label_studio_environment() -> None:
    assert db.label_studio_env(db.SQLITE, None) == {"DJANGO_DB": "sqlite"}
    env = db.label_studio_env(db.parse_choice("postgresql://ls@h:5433/a"), "pw")
    assert env == {"DJANGO_DB": "default", "POSTGRE_NAME": "a", "POSTGRE_USER": "ls", "POSTGRE_PASSWORD": "pw",
                   "POSTGRE_HOST": "h", "POSTGRE_PORT": "5433"}  # fmt: skip
    with pytest.raises(ConfigError, match="no password for the database"):
        db.label_studio_env(db.parse_choice("postgresql://ls@h/a"), None)


def test_pgpass(tmp_path: Path) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("# comment\nother:5432:a:ls:wrong\nh:*:a:ls:pa\\:ss\n")
    assert db.pgpass_password(db.parse_choice("postgresql://ls@h:5433/a"), pgpass) == "pa:ss"
    assert db.pgpass_password(db.parse_choice("postgresql://x@h:5433/a"), pgpass) is None
    assert db.pgpass_password(db.SQLITE, tmp_path / "missing") is None
