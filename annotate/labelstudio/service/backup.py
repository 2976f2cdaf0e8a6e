"""Back up a Label Studio data folder while it runs, and restore it into a new one.

A backup is one tar.gz file, mode 0600 (it holds password hashes and API tokens):
- `manifest.json`: format, time, source, backend, Label Studio version, row counts, sha256 of each file;
- `database.sqlite3` (SQLite's online backup API: a consistent copy while the server writes) or
  `database.pgdump` (pg_dump's custom format, taken in the same snapshot the counts are read in);
- `secret.env`: the server's `.env` with its SECRET_KEY (personal access tokens die without it);
- `login.json`: the admin login annotate uses (username, password, API key);
- `media/...`: uploaded files.

Restoring a SQLite backup into PostgreSQL is how a team moves up: the schema comes from Label
Studio's own migrations, then every row is copied. PostgreSQL refuses NUL characters and lone
surrogates, which SQLite stores: they are listed (table, row, column), never silently dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotate import __version__
from annotate.errors import InputError, ServerError, UsageError
from annotate.labelstudio.service import accounts, server
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import settings as st
from annotate.outputs import atomic_file

FORMAT = "annotate-backup/1"
# What the counts in a manifest count, by Label Studio's table names (the same on both backends).
COUNTED = {"projects": "project", "tasks": "task", "annotations": "task_completion",
           "predictions": "prediction", "users": "htx_user"}  # fmt: skip

Progress = Callable[[str], None]


@dataclass
class BackupReport:
    path: Path
    backend: str
    counts: dict[str, int]
    bytes: int
    seconds: float
    files: dict[str, str] = field(default_factory=dict)  # member -> sha256

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"path": str(self.path)}


@dataclass
class RestoreReport:
    data_dir: Path
    url: str  # where `annotate server start --data-dir DATA_DIR` will serve it
    source_backend: str
    database: db.Database
    counts: dict[str, int]
    seconds: float
    skipped_tables: list[str] = field(default_factory=list)  # in the backup, unknown to the new schema

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"data_dir": str(self.data_dir), "database": self.database.as_dict()}


def default_backup_dir() -> Path:
    return st.default_data_dir().parent / "backups"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {name: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for name, table in COUNTED.items()}


def _pg_counts(cur: Any) -> dict[str, int]:
    counts = {}
    for name, table in COUNTED.items():
        cur.execute(f'SELECT count(*) FROM "{table}"')
        counts[name] = int(cur.fetchone()[0])
    return counts


def _server_entry(data_dir: Path, config_dir: Path) -> dict[str, Any]:
    saved = st.server_entry_for_data_dir(st.read_settings(config_dir), data_dir)
    if not saved:
        raise ServerError(
            f"annotate has no server for {data_dir}",
            hint="back up the data folder of a server `annotate server start` runs (see --data-dir)",
        )
    return saved[1]


def backup(
    data_dir: Path, *, config_dir: Path, output: Path | None = None, progress: Progress = lambda _m: None
) -> BackupReport:
    """Write a backup of data_dir's server (running or not) to `output` (default: a timestamped file
    in the backups folder) and record it as the server's last backup."""
    started = time.monotonic()
    data_dir = data_dir.expanduser().resolve()
    entry = _server_entry(data_dir, config_dir)
    database = db.read_record(data_dir)
    if database is None:
        raise ServerError(f"{data_dir} holds no Label Studio database")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = (output or default_backup_dir() / f"annotate-backup-{stamp}.tar.gz").expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as tmp:
        staging = Path(tmp)
        if database.backend == "sqlite":
            progress(f"Copying {data_dir / db.SQLITE_FILE} with SQLite's online backup API")
            dump = staging / "database.sqlite3"
            source = sqlite3.connect(f"file:{data_dir / db.SQLITE_FILE}?mode=ro", uri=True)
            with sqlite3.connect(dump) as copy:
                source.backup(copy)
                counts = _sqlite_counts(copy)
            copy.close()
            source.close()
        else:
            progress(f"Dumping {database.url} with pg_dump")
            dump = staging / "database.pgdump"
            if database.managed:
                database = db.start_cluster(database) if not db.cluster_running(database) else database
            counts = _pg_dump(database, str(entry.get("database_password")), dump)
        (staging / "login.json").write_text(json.dumps({k: entry[k] for k in ("username", "password", "api_key")}))
        members: list[tuple[str, Path]] = [(dump.name, dump), ("login.json", staging / "login.json")]
        if (data_dir / ".env").exists():
            members.append(("secret.env", data_dir / ".env"))
        media = data_dir / "media"
        if media.is_dir():
            members += [(f"media/{p.relative_to(media)}", p) for p in sorted(media.rglob("*")) if p.is_file()]
        files = {name: _sha256(path) for name, path in members}
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "annotate_version": __version__,
            "label_studio_version": _label_studio_version(),
            "source": {"data_dir": str(data_dir), "database": database.url},
            "backend": database.backend,
            "counts": counts,
            "files": files,
        }
        with atomic_file(output, binary=True, mode=0o600) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)

    entry["last_backup"] = {"path": str(output), "at": manifest["created_at"], "sha256": _sha256(output)}
    saved = st.server_entry_for_data_dir(st.read_settings(config_dir), data_dir)
    st.save_server(config_dir, saved[0] if saved else "", entry, make_current=False)
    return BackupReport(output, database.backend, counts, output.stat().st_size, time.monotonic() - started, files)


def _label_studio_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("label-studio")
    except PackageNotFoundError:
        return None


def _pg_dump(database: db.Database, password: str, dump: Path) -> dict[str, int]:
    """pg_dump in the snapshot the counts are read in, so the manifest counts what the dump holds."""
    with db.connect(database, password) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            counts = _pg_counts(cur)
        done = subprocess.run(
            [db.postgres_program("pg_dump"), "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             "-h", str(database.host), "-p", str(database.port), "-U", str(database.user), "-d", str(database.name),
             "-f", str(dump)],
            env=_pg_env(password), capture_output=True, text=True, check=False,
        )  # fmt: skip
        conn.rollback()
    if done.returncode != 0:
        raise ServerError("pg_dump failed: " + done.stderr.strip()[-500:])
    return counts


def _pg_env(password: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return env | {"PGPASSWORD": password}


# Restore --------------------------------------------------------------------------------------
_DAMAGED = "make a new backup, or restore another one"
_DIGEST = re.compile(r"[0-9a-f]{64}")
_DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def _damaged(path: Path, what: str) -> InputError:
    return InputError(f"{path}: the backup is damaged: {what}", hint=_DAMAGED)


def read_manifest(path: Path) -> dict[str, Any]:
    """The backup's manifest, its shape checked (InputError for anything else, a truncated file included)."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            raw = member.read() if member else None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; give the backup's .tar.gz file") from None
    except (EOFError, zlib.error):
        raise _damaged(path, "the file ends early (truncated)") from None
    except KeyError:
        raise InputError(f"{path} is not an annotate backup (it has no manifest.json)") from None
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{path} is not an annotate backup ({exc})") from None
    try:
        manifest = json.loads(raw) if raw is not None else None
    except ValueError:
        raise _damaged(path, "manifest.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path} is not an annotate backup ({FORMAT})")
    problems = []
    if manifest.get("backend") not in _DATABASE:
        problems.append(f"backend {manifest.get('backend')!r} (expected sqlite or postgresql)")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) and _DIGEST.fullmatch(v)
                                              for k, v in files.items()):  # fmt: skip
        problems.append("files is not an object of file name -> sha256")
    elif manifest.get("backend") in _DATABASE and _DATABASE[manifest["backend"]] not in files:
        problems.append(f"files lists no {_DATABASE[manifest['backend']]}")
    elif "login.json" not in files:
        problems.append("files lists no login.json")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        problems.append("counts is not an object of numbers")
    if problems:
        raise _damaged(path, "its manifest.json has " + "; ".join(problems))
    return manifest


def _extract_verified(path: Path, manifest: dict[str, Any], into: Path) -> None:
    """Extract every member the manifest lists, checking each one's name and sha256."""
    files = manifest["files"]
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                if member.name not in files or not member.isfile():
                    raise _damaged(path, f"unexpected member {member.name!r}")
                tar.extract(member, into, filter="data")
    except tarfile.FilterError as exc:
        raise _damaged(path, f"a member would be written outside the restore ({exc})") from None
    except (EOFError, zlib.error):
        raise _damaged(path, "the file ends early (truncated)") from None
    except (tarfile.TarError, OSError) as exc:
        raise _damaged(path, str(exc)) from None
    for name, digest in files.items():
        target = into / name
        if not target.is_file() or _sha256(target) != digest:
            raise _damaged(path, f"{name} is missing or damaged (sha256 differs from the manifest)")


def _read_login(path: Path, unpacked: Path) -> dict[str, Any]:
    try:
        login = json.loads((unpacked / "login.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise _damaged(path, "login.json is missing or not JSON") from None
    if not isinstance(login, dict) or not all(isinstance(login.get(k), str) for k in ("username", "password",
                                                                                       "api_key")):  # fmt: skip
        raise _damaged(path, "login.json needs username, password and api_key strings")
    return login


def _check_sqlite(path: Path, database: Path, expected: dict[str, Any]) -> None:
    """The SQLite file opens and holds the manifest's counts (before anything is created)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            counts = _sqlite_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, f"database.sqlite3 is not a Label Studio SQLite database ({exc})") from None
    if counts != expected:
        raise _damaged(path, f"its database holds {counts}, the manifest says {expected}")


def restore(
    path: Path,
    *,
    data_dir: Path,
    config_dir: Path,
    database: str | None = None,
    db_password: str | None = None,
    pgpass: Path | None = None,
    progress: Progress = lambda _m: None,
) -> RestoreReport:
    """Restore a backup into a new data folder, on the backup's backend or `database`.

    The whole backup is checked first (manifest, every member's name and checksum, the login, a
    SQLite database's counts) before anything is created; a failure after that removes the folder,
    its database cluster and its settings entry. The folder's server is then started with
    `annotate server start --data-dir DATA_DIR`.
    """
    started = time.monotonic()
    manifest = read_manifest(path)
    data_dir = data_dir.expanduser().resolve()
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"--data-dir {data_dir} is a file", hint="give a new folder to restore into")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise InputError(f"{data_dir} is not empty", hint="restore into a new data folder")
    source = manifest["backend"]
    target, _ = db.choose(data_dir, database or ("postgresql" if source == "postgresql" else "sqlite"))
    if source == "postgresql" and target.backend == "sqlite":
        raise InputError(
            "a PostgreSQL backup cannot be restored into SQLite", hint="restore it with --database postgresql"
        )
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = tempfile.TemporaryDirectory(dir=data_dir.parent, prefix=f".{data_dir.name}.restore-")
    except OSError as exc:
        raise InputError(f"cannot write beside {data_dir} ({exc.strerror or exc})") from None
    with staging as tmp:
        unpacked = Path(tmp)
        progress(f"Checking and unpacking {path}")
        _extract_verified(path, manifest, unpacked)
        login = _read_login(path, unpacked)
        if source == "sqlite":
            _check_sqlite(path, unpacked / "database.sqlite3", manifest["counts"])
        created = not data_dir.exists()
        data_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        try:
            url, counts, skipped = _restore_into(unpacked, login, manifest, data_dir, config_dir, target,
                                                 db_password=db_password, pgpass=pgpass, progress=progress)  # fmt: skip
        except BaseException:
            # Leave nothing half-restored: the folder (empty before), its cluster, its settings entry.
            if target.managed:
                db.remove_cluster(target)
            shutil.rmtree(data_dir, ignore_errors=True) if created else _empty(data_dir)
            st.forget_data_dir(config_dir, data_dir)
            raise
        finally:
            if target.managed:
                db.stop_cluster(target)
    return RestoreReport(data_dir, url, source, target, counts, time.monotonic() - started, skipped)


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


def _restore_into(unpacked: Path, login: dict[str, Any], manifest: dict[str, Any], data_dir: Path, config_dir: Path,
                  target: Any, *, db_password: str | None, pgpass: Path | None, progress: Progress
                  ) -> tuple[str, dict[str, int], list[str]]:  # fmt: skip
    """Move the checked backup into data_dir and its database into place; ServerError when the
    restored database does not hold the manifest's counts."""
    source = manifest["backend"]
    entry = login | {"data_dir": str(data_dir)}
    if target.backend == "postgresql":
        entry["database_password"] = (
            db.new_password() if target.managed
            else db_password or (db.pgpass_password(target, pgpass) if pgpass else None)
        )  # fmt: skip
    url = server.url_for_port(db.free_port())
    st.save_server(config_dir, url, entry, make_current=False)
    if (unpacked / "secret.env").exists():
        os.replace(unpacked / "secret.env", data_dir / ".env")
    if (unpacked / "media").is_dir():
        os.replace(unpacked / "media", data_dir / "media")
    skipped: list[str] = []
    if target.backend == "postgresql" and source == "sqlite":
        problems = find_refused(unpacked / "database.sqlite3")
        if problems:
            shown = "\n  ".join(problems[:50]) + (f"\n  ... {len(problems) - 50} more" if len(problems) > 50 else "")
            raise InputError(
                f"PostgreSQL refuses {len(problems)} value(s) of this SQLite backup:\n  {shown}",
                hint="fix or delete those tasks or annotations in Label Studio, back up again, restore that",
            )
    if target.backend == "sqlite":
        os.replace(unpacked / "database.sqlite3", data_dir / db.SQLITE_FILE)
        db.write_record(data_dir, target)
        with contextlib.closing(sqlite3.connect(data_dir / db.SQLITE_FILE)) as conn:
            counts = _sqlite_counts(conn)
    else:
        password = str(entry.get("database_password"))
        if target.managed:
            progress(f"Creating annotate's PostgreSQL cluster in {target.cluster_dir}")
            target = db.create_cluster(target, password)
        else:
            _require_empty(target, password)
        db.write_record(data_dir, target)
        if source == "postgresql":
            progress("Restoring the dump with pg_restore")
            _pg_restore(target, password, unpacked / "database.pgdump")
        else:
            progress("Creating Label Studio's tables in PostgreSQL (its migrations take about a minute)")
            accounts.run_django(data_dir, config_dir, _MIGRATE, what="create Label Studio's tables")
            progress("Copying every row from SQLite")
            skipped = copy_sqlite_to_postgres(unpacked / "database.sqlite3", target, password)
        with db.connect(target, password) as conn, conn.cursor() as cur:
            counts = _pg_counts(cur)
    if counts != manifest["counts"]:
        raise ServerError(f"the restored database holds {counts}, the backup's manifest says {manifest['counts']}")
    return url, counts, skipped


def _require_empty(database: db.Database, password: str) -> None:
    """A restore never writes over tables in an existing database."""
    with db.connect(database, password) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        tables = int(cur.fetchone()[0])
    if tables:
        raise InputError(f"the database {database.url} is not empty ({tables} tables)",
                         hint="restore into a new, empty database")  # fmt: skip


_MIGRATE = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
"""


def _pg_restore(database: db.Database, password: str, dump: Path) -> None:
    done = subprocess.run(
        [db.postgres_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "-h", str(database.host), "-p", str(database.port), "-U", str(database.user), "-d", str(database.name),
         str(dump)],
        env=_pg_env(password), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ServerError("pg_restore failed: " + done.stderr.strip()[-500:])


# SQLite -> PostgreSQL --------------------------------------------------------------------------
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def refused_by_postgres(value: Any, *, json_column: bool) -> str | None:
    """Why PostgreSQL would refuse this SQLite value (NUL, a lone surrogate, bytes that are not UTF-8)."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text that is not valid UTF-8 (a lone surrogate)"
    if json_column:
        if "\\u0000" in value:
            return "a NUL character (\\u0000 in JSON)"
        if _LONE_SURROGATE.search(value):
            return "a lone surrogate (\\ud800-\\udfff in JSON)"
    return None


def _looks_like_json(value: str) -> bool:
    return value[:1] in ("{", "[", '"')


def find_refused(sqlite_path: Path) -> list[str]:
    """Every value of the SQLite database PostgreSQL would refuse, as `table id N column C: why`."""
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    src.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    problems = []
    try:
        tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in (t for t in tables if not t.startswith("sqlite_")):
            columns = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
            for row in _rows(src, table, columns):
                for column, value in zip(columns, row, strict=True):
                    json_like = isinstance(value, str) and _looks_like_json(value)
                    why = refused_by_postgres(value, json_column=json_like)
                    if why:
                        key = row[columns.index("id")] if "id" in columns else "?"
                        problems.append(f"{table} id {key} column {column}: {why}")
    finally:
        src.close()
    return problems


def _rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    yield from conn.execute(f'SELECT {quoted} FROM "{table}"')


def copy_sqlite_to_postgres(sqlite_path: Path, database: db.Database, password: str) -> list[str]:
    """Copy every row of every table into PostgreSQL tables of the same schema (made by migrations).

    `find_refused` must have passed first. Returns the SQLite tables the PostgreSQL schema does not
    have (their rows are not copied; the report names them).
    """
    import psycopg

    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    src.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    try:
        with db.connect(database, password) as conn, conn.cursor() as cur:
            cur.execute(  # generated columns (full-text search vectors) are computed, not copied
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema='public' AND is_generated = 'NEVER'"
            )
            pg_columns: dict[str, dict[str, str]] = {}
            for table, column, data_type in cur.fetchall():
                pg_columns.setdefault(table, {})[column] = data_type
            tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            tables = [t for t in tables if not t.startswith("sqlite_")]
            skipped = [t for t in tables if t not in pg_columns and src.execute(f'SELECT 1 FROM "{t}"').fetchone()]
            plan = {}
            for table in (t for t in tables if t in pg_columns):
                columns = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")') if r[1] in pg_columns[table]]
                plan[table] = columns
            cur.execute("SET session_replication_role = replica")  # foreign keys are checked by the source
            cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in plan) + " RESTART IDENTITY CASCADE")
            for table, columns in plan.items():
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in _rows(src, table, columns):
                        copy.write_row(row)
            cur.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema='public' "
                "AND (column_default LIKE 'nextval%%' OR is_identity = 'YES')"
            )
            for table, column in cur.fetchall():
                if table in plan:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                        f'COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
                    )
            cur.execute("SET session_replication_role = DEFAULT")
            conn.commit()
    except psycopg.Error as exc:
        raise ServerError(f"copying into {database.url} failed: {str(exc).strip()}") from None
    finally:
        src.close()
    return skipped
