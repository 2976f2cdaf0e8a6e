"""Which database a Label Studio data folder uses, and the private PostgreSQL cluster annotate runs.

The choice is recorded in the data folder when it is created (`annotate-database.json`, no secrets)
and every later start uses it: Label Studio without `DJANGO_DB` silently opens an empty SQLite file,
which must never happen to a team's server. The database password lives in the 0600 settings file
and reaches Label Studio, pg_ctl, pg_dump and psycopg by environment, never on a command line.

What the real tools do that this module works around (see shared/notes §12):
- Debian installs PostgreSQL's programs in /usr/lib/postgresql/VERSION/bin, not on PATH;
- initdb and pg_ctl refuse to run as root: as root the cluster belongs to the `postgres` system
  user and lives under /var/lib/annotate (root's home is 0700, that user could not reach it there);
- Label Studio reads its PostgreSQL settings from POSTGRE_NAME, POSTGRE_USER, ... (no S).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from annotate.errors import ConfigError, ServerError
from annotate.labelstudio.service.settings import display_url

RECORD_FILE = "annotate-database.json"
SQLITE_FILE = "label_studio.sqlite3"
CLUSTER_USER = "annotate"  # the cluster's superuser, which Label Studio logs in as
DATABASE_NAME = "labelstudio"
SYSTEM_USER = "postgres"  # runs the cluster when annotate runs as root (Debian creates it)
ROOT_CLUSTERS = Path("/var/lib/annotate/postgresql")

# Environment names that choose Label Studio's database; never inherited from the caller.
DATABASE_ENV = ("DJANGO_DB", "DATABASE_NAME", "POSTGRE_NAME", "POSTGRE_USER", "POSTGRE_PASSWORD",
                "POSTGRE_HOST", "POSTGRE_PORT", "MYSQL_NAME", "MYSQL_USER", "MYSQL_PASSWORD",
                "MYSQL_HOST", "MYSQL_PORT")  # fmt: skip


@dataclass(frozen=True)
class Database:
    """A data folder's database. No password: that is in the settings file."""

    backend: str  # "sqlite" or "postgresql"
    managed: bool = False  # annotate runs the PostgreSQL cluster
    host: str | None = None
    port: int | None = None
    user: str | None = None
    name: str | None = None
    cluster_dir: str | None = None  # managed clusters: PGDATA is cluster_dir/data

    @property
    def url(self) -> str:
        """How to name it to a person: the backend, or postgresql://user@host:port/name."""
        if self.backend == "sqlite":
            return "sqlite"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    def describe(self) -> str:
        if self.backend == "sqlite":
            return "SQLite (label_studio.sqlite3 in the data folder)"
        cluster = f" (annotate's cluster in {self.cluster_dir})" if self.managed else ""
        return f"PostgreSQL {display_url(self.url)}{cluster}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"url": self.url}


SQLITE = Database("sqlite")


def parse_choice(text: str) -> Database:
    """`sqlite`, `postgresql` (a cluster annotate runs) or postgresql://USER@HOST:PORT/DB."""
    if text == "sqlite":
        return SQLITE
    if text in ("postgresql", "postgres"):
        return Database("postgresql", managed=True, host="127.0.0.1", user=CLUSTER_USER, name=DATABASE_NAME)
    parts = urlsplit(text)
    if parts.scheme in ("postgresql", "postgres") and parts.hostname:
        if parts.password:
            raise ConfigError(
                "a database URL must not contain the password (it would show in `ps` and shell history)",
                hint="give it in PGPASSWORD or ~/.pgpass",
            )
        name = parts.path.lstrip("/") or DATABASE_NAME
        return Database("postgresql", host=parts.hostname, port=parts.port or 5432,
                        user=unquote(parts.username or "postgres"), name=name)  # fmt: skip
    raise ConfigError(
        f"unknown database {text!r}",
        hint="use sqlite, postgresql (annotate runs a private PostgreSQL), or postgresql://USER@HOST:PORT/DB",
    )


def _same_choice(recorded: Database, requested: Database) -> bool:
    if recorded.backend != requested.backend or recorded.managed != requested.managed:
        return False
    return recorded.managed or recorded.backend == "sqlite" or recorded.url == requested.url


def read_record(data_dir: Path) -> Database | None:
    """The database recorded in data_dir; a folder from before the record holds SQLite."""
    try:
        return Database(**json.loads((data_dir / RECORD_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return SQLITE if (data_dir / SQLITE_FILE).exists() else None
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{data_dir / RECORD_FILE} cannot be read: {exc}") from None


def write_record(data_dir: Path, database: Database) -> None:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fields = {k: v for k, v in asdict(database).items() if v is not None}
    (data_dir / RECORD_FILE).write_text(json.dumps(fields, indent=2) + "\n", encoding="utf-8")


def choose(data_dir: Path, requested: str | None) -> tuple[Database, bool]:
    """The data folder's database: the recorded one, else the requested one (default SQLite).

    Returns (database, new). A request that contradicts the record is refused.
    """
    recorded = read_record(data_dir)
    wanted = parse_choice(requested) if requested else None
    if recorded is None:
        database = wanted or SQLITE
        if database.managed:
            database = replace(database, cluster_dir=str(cluster_dir_for(data_dir)))
        return database, True
    if wanted is not None and not _same_choice(recorded, wanted):
        raise ServerError(
            f"{data_dir} was created with the database {recorded.url}, not {wanted.url}",
            hint="start it without --database; to move a server to another database use "
            "`annotate server backup` and `annotate server restore --database ...` into a new data folder",
        )
    return recorded, False


def new_password() -> str:
    return secrets.token_urlsafe(24)


# Label Studio's environment -------------------------------------------------------------------
def label_studio_env(database: Database, password: str | None) -> dict[str, str]:
    """The variables that make Label Studio use `database` (and only it)."""
    if database.backend == "sqlite":
        return {"DJANGO_DB": "sqlite"}
    if password is None:
        raise ConfigError(
            f"no password for the database {database.url}",
            hint="set PGPASSWORD or add a ~/.pgpass line for it",
        )
    return {
        "DJANGO_DB": "default",  # Label Studio's name for its PostgreSQL settings
        "POSTGRE_NAME": str(database.name),
        "POSTGRE_USER": str(database.user),
        "POSTGRE_PASSWORD": password,
        "POSTGRE_HOST": str(database.host),
        "POSTGRE_PORT": str(database.port),
    }


def pgpass_password(database: Database, pgpass: Path) -> str | None:
    """The password ~/.pgpass gives for the database (libpq's format: host:port:db:user:password)."""
    try:
        lines = pgpass.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    wanted = [str(database.host), str(database.port), str(database.name), str(database.user)]
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.replace("\\:", ":").replace("\\\\", "\\") for f in re.split(r"(?<!\\):", line, maxsplit=4)]
        if len(fields) == 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted, strict=True)):
            return fields[4]
    return None


# The private cluster ------------------------------------------------------------------------------
def postgres_program(name: str) -> str:
    """A PostgreSQL program: Debian's versioned folder (newest first), else PATH."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version_key(p.parent.name),
                         reverse=True):  # fmt: skip
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    raise ServerError(
        f"PostgreSQL's {name} is not installed",
        hint="install PostgreSQL (Debian/Ubuntu: apt-get install postgresql), or use --database sqlite",
    )


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)) or (0,)


def _as_root() -> bool:
    return os.geteuid() == 0


def cluster_dir_for(data_dir: Path) -> Path:
    """Inside the data folder; as root, a folder the `postgres` user owns, named after the data folder."""
    if not _as_root():
        return data_dir / "postgresql"
    return ROOT_CLUSTERS / hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]


def _run_as_owner(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                  timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    if _as_root():
        args = ["runuser", "-u", SYSTEM_USER, "--", *args]
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _owner_ids() -> tuple[int, int] | None:
    if not _as_root():
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ServerError(
            f"annotate runs as root, and PostgreSQL refuses that; the system user {SYSTEM_USER!r} that would "
            "run it does not exist",
            hint="install Debian's postgresql package (it creates that user), or run annotate as a normal user",
        ) from None
    return entry.pw_uid, entry.pw_gid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _fail(what: str, done: subprocess.CompletedProcess[str], log: Path | None = None) -> ServerError:
    tail = (done.stderr or done.stdout or "").strip().splitlines()[-5:]
    return ServerError(f"{what} failed (exit {done.returncode}): " + " | ".join(tail),
                       hint=f"PostgreSQL's log is {log}" if log else None)  # fmt: skip


def _pgdata(database: Database) -> Path:
    return Path(str(database.cluster_dir)) / "data"


def _log(database: Database) -> Path:
    return Path(str(database.cluster_dir)) / "postgresql.log"


def create_cluster(database: Database, password: str) -> Database:
    """initdb a new cluster with password login only, start it, create Label Studio's database."""
    cluster = Path(str(database.cluster_dir))
    owner = _owner_ids()
    cluster.mkdir(parents=True, exist_ok=True, mode=0o700)
    pwfile = cluster / ".pwfile"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    if owner:
        for path in (cluster, pwfile):
            os.chown(path, *owner)
    try:
        done = _run_as_owner(
            [postgres_program("initdb"), "-D", str(_pgdata(database)), "-U", CLUSTER_USER,
             "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"],
            cwd=cluster,
        )  # fmt: skip
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise _fail("initdb", done)
    database = start_cluster(database)
    created = subprocess.run(
        [postgres_program("createdb"), "-h", "127.0.0.1", "-p", str(database.port), "-U", CLUSTER_USER,
         str(database.name)],
        env=_libpq_env(password), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if created.returncode != 0:
        raise _fail("createdb", created)
    return database


def _libpq_env(password: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSWORD"] = password
    return env


def cluster_running(database: Database) -> bool:
    if not database.managed or not (_pgdata(database) / "PG_VERSION").exists():
        return False
    return _run_as_owner([postgres_program("pg_ctl"), "-D", str(_pgdata(database)), "status"]).returncode == 0


def start_cluster(database: Database) -> Database:
    """Start the cluster on 127.0.0.1 (its recorded port, or a free one if that is taken)."""
    if cluster_running(database):
        return database
    if not (_pgdata(database) / "PG_VERSION").exists():
        raise ServerError(f"annotate's PostgreSQL cluster {database.cluster_dir} is missing",
                          hint="restore the server from a backup into a new data folder")  # fmt: skip
    if database.port is None or not _port_free(database.port):
        database = replace(database, port=free_port())
    options = f"-p {database.port} -k {database.cluster_dir} -c listen_addresses=127.0.0.1"
    done = _run_as_owner(
        [postgres_program("pg_ctl"), "-D", str(_pgdata(database)), "-o", options, "-l", str(_log(database)),
         "-w", "-t", "60", "start"],
        cwd=Path(str(database.cluster_dir)),
    )  # fmt: skip
    if done.returncode != 0:
        raise _fail("starting PostgreSQL", done, _log(database))
    return database


def stop_cluster(database: Database) -> bool:
    """Stop the cluster if it runs. True if it was running."""
    if not cluster_running(database):
        return False
    done = _run_as_owner([postgres_program("pg_ctl"), "-D", str(_pgdata(database)), "-m", "fast", "-w", "stop"])
    if done.returncode != 0:
        raise _fail("stopping PostgreSQL", done, _log(database))
    return True


def remove_cluster(database: Database) -> None:
    """Stop and delete a managed cluster (used when a restore into a new folder fails, and by tests)."""
    if database.managed and database.cluster_dir:
        stop_cluster(database)
        shutil.rmtree(str(database.cluster_dir), ignore_errors=True)


def connect(database: Database, password: str) -> Any:
    """A psycopg connection (psycopg comes with Label Studio)."""
    try:
        import psycopg
    except ImportError:
        raise ServerError("psycopg is not installed", hint="pip install 'annotate[server]'") from None
    try:
        return psycopg.connect(host=database.host, port=database.port, user=database.user, dbname=database.name,
                               password=password, connect_timeout=10)  # fmt: skip
    except psycopg.Error as exc:
        raise ServerError(f"cannot connect to {database.url}: {str(exc).strip().splitlines()[0]}") from None
