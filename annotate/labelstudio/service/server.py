"""Run a local Label Studio server: start, status, stop.

Talks to the server over plain HTTP for health and version checks only, so none of this needs the
SDK. What the real server does that this module guards against (see shared/notes):
- it binds 0.0.0.0 unless told otherwise, and moves silently to the next port when its port is busy;
- it reads bare environment variables (PORT, HOST, USERNAME, PASSWORD, DEBUG, ...) as settings;
- legacy token auth only works if enabled when the organisation is first created;
- `label-studio --version` starts a server, so the version comes from /api/version.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from annotate.errors import AnnotateError, ServerError, UsageError
from annotate.labelstudio.api.http import Http
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import process, wsgi
from annotate.labelstudio.service import settings as st

DEFAULT_PORT = 8080
ADMIN_USERNAME = "admin@annotate.local"

# Bare names Label Studio's get_env() falls back to after LABEL_STUDIO_<name> and HEARTEX_<name>.
_STRAY_ENV = ("PORT", "HOST", "USERNAME", "PASSWORD", "USER_TOKEN", "DEBUG", "DATA_DIR", "BASE_DATA_DIR",
              "CSRF_TRUSTED_ORIGINS")  # fmt: skip

Progress = Callable[[str], None]


@dataclass
class ServerStatus:
    url: str
    data_dir: Path
    running: bool  # a server started by annotate for this data dir is alive
    pid: int | None
    answering: bool  # something answers /health at url
    version: str | None
    key_ok: bool | None  # None: no key to check
    username: str | None
    settings_file: Path
    database: db.Database | None = None  # None: not known (a server annotate did not start here)
    database_running: bool | None = None  # annotate's own PostgreSQL cluster runs
    serving: dict[str, Any] | None = None  # how the running server serves (see serving())

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.database.backend if self.database else None,
            "database": self.database.as_dict() if self.database else None,
            "database_running": self.database_running,
            "url": self.url,
            "data_dir": str(self.data_dir),
            "running": self.running,
            "pid": self.pid,
            "answering": self.answering,
            "version": self.version,
            "key_ok": self.key_ok,
            "username": self.username,
            "settings_file": str(self.settings_file),
            "wsgi_server": self.serving["server"] if self.serving else None,
            "workers": self.serving["workers"] if self.serving else None,
            "threads": self.serving["threads"] if self.serving else None,
        }


def url_for_port(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port. Label Studio's own check is a connect; the bind also catches
    a listener that does not accept. SO_REUSEADDR as the server sets it: connections of a server
    stopped a moment ago (TIME_WAIT) do not make the port busy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def is_answering(url: str) -> bool:
    try:
        with Http(url, timeout=3) as http, http.stream("GET", "/health", what="check its health", auth=False) as answer:
            return b"UP" in answer.read()
    except AnnotateError:
        return False


def server_version(url: str) -> str | None:
    try:
        with Http(url, timeout=10) as http:
            found = http.call("GET", "/api/version", what="read its version", auth=False)
    except AnnotateError:
        return None
    return found.get("release") if isinstance(found, dict) else None


def key_works(url: str, api_key: str) -> bool:
    try:
        with Http(url, api_key, timeout=10) as http:
            http.call("GET", "/api/current-user/whoami", what="identify the user")
    except AnnotateError:
        return False
    return True


def _label_studio_executable() -> str:
    beside = Path(sys.executable).parent / "label-studio"
    if beside.exists():
        return str(beside)
    found = shutil.which("label-studio")
    if found:
        return found
    raise ServerError(
        "Label Studio is not installed in this environment",
        hint="install it with: pip install 'annotate[server]'",
    )


def server_env(*, data_dir: Path, username: str, password: str, token: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LABEL_STUDIO_", "HEARTEX_")) and k not in _STRAY_ENV and k not in db.DATABASE_ENV
    }
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            # Secrets go by environment: command-line flags would show in `ps`.
            "LABEL_STUDIO_USERNAME": username,
            "LABEL_STUDIO_PASSWORD": password,
            "LABEL_STUDIO_USER_TOKEN": token,
            # Only honoured when the organisation is created, i.e. on the first start.
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        }
    )
    return env


def _saved_port(url: str) -> int | None:
    """The port of a URL saved in the settings file (None if it names none or is damaged)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).port
    except ValueError:
        return None


def start(
    *,
    data_dir: Path,
    port: int | None,
    config_dir: Path,
    database: str | None = None,
    db_password: str | None = None,
    pgpass: Path | None = None,
    host: str | None = None,
    public_url: str | None = None,
    timeout: float = 300.0,
    workers: int | None = None,
    foreground: bool = False,
    progress: Progress = lambda _msg: None,
) -> ServerStatus:
    """Start Label Studio for data_dir on 127.0.0.1:port (or `host`) and wait until it answers.

    `workers`: Label Studio under gunicorn with that many processes (wsgi.py); 0 the development
    server; None the default: min(cores, memory / 1.5 GB), at least 2, on PostgreSQL, the development
    server on SQLite (one writer at a time: several processes are refused there). `foreground`: run
    in this process (for systemd: `annotate server unit`) instead of in the background.

    `database` (sqlite, postgresql, postgresql://USER@HOST:PORT/DB) is recorded when the data folder
    is created; later starts use the record and refuse a different choice. A managed PostgreSQL
    cluster is created or started first. `db_password` (from PGPASSWORD) or `pgpass` give an
    existing PostgreSQL server's password. A no-op when annotate's server for data_dir is running.
    """
    data_dir = data_dir.expanduser().resolve()
    if data_dir.exists() and not data_dir.is_dir():
        raise ServerError(f"--data-dir {data_dir} is a file, not a folder",
                          hint="give a folder for Label Studio's data")  # fmt: skip
    saved = st.server_entry_for_data_dir(st.read_settings(config_dir), data_dir)
    chosen, new = db.choose(data_dir, database)
    workers = worker_count(workers, chosen)
    if already := _already_running(data_dir, port, config_dir, progress):
        return already
    port = _free_port(port, saved)
    executable = _label_studio_executable()
    url = url_for_port(port)
    entry = _admin_entry(saved, new, data_dir)
    if chosen.managed:
        db.postgres_program("initdb")  # not installed: say so before anything is written
    password = _database_password(chosen, entry, db_password=db_password, pgpass=pgpass)
    st.save_server(config_dir, url, entry)  # before the start: a failed first start still knows its logins
    if chosen.managed:
        progress(("Creating" if new else "Starting") + f" annotate's PostgreSQL cluster in {chosen.cluster_dir}")
        chosen = db.create_cluster(chosen, str(password)) if new else db.start_cluster(chosen)
    db.write_record(data_dir, chosen)
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ServerError(f"cannot make the data folder {data_dir}: {exc.strerror}") from None
    env = server_env(data_dir=data_dir, username=entry["username"], password=entry["password"], token=entry["api_key"])
    env |= db.label_studio_env(chosen, password) | _public_env(public_url)
    _warn_if_exposed(host, workers, progress)
    launch = _Launch(data_dir, url, port, host or "127.0.0.1", public_url, workers, chosen)
    args, env = launch.command(executable, env, timeout=timeout, progress=progress)
    if foreground:
        launch.become(args, env, progress)
    process_ = launch.spawn(args, env, progress)
    launch.wait_until_answering(process_, timeout)
    return _ready(data_dir, config_dir, chosen, url, progress)


def _already_running(data_dir: Path, port: int | None, config_dir: Path, progress: Progress) -> ServerStatus | None:
    """The running server's status when annotate's server for data_dir runs (on `port` if given)."""
    already = process.running_pid(data_dir)
    if not already:
        return None
    pid, running_port = already
    if port is not None and port != running_port:
        raise ServerError(f"the server for {data_dir} is already running on port {running_port}, not {port}",
                          hint="stop it first with `annotate server stop`")  # fmt: skip
    progress(f"Label Studio is already running at {url_for_port(running_port)} (pid {pid})")
    return status(data_dir=data_dir, config_dir=config_dir)


def _free_port(port: int | None, saved: tuple[str, dict[str, Any]] | None) -> int:
    """The port asked for, else the one saved for this data folder, else 8080; refused when busy."""
    if port is None:
        port = (_saved_port(saved[0]) if saved else None) or DEFAULT_PORT
    if not port_is_free(port):
        raise ServerError(f"port {port} on 127.0.0.1 is already in use by another program",
                          hint="pick a free port with --port (Label Studio itself would silently move to another "
                          "port)")  # fmt: skip
    return port


def _admin_entry(saved: tuple[str, dict[str, Any]] | None, new: bool, data_dir: Path) -> dict[str, Any]:
    """The admin login and API key: the saved ones, or new ones for a new data folder."""
    if saved:
        return dict(saved[1])
    if not new:
        raise ServerError(f"{data_dir} holds a Label Studio database whose admin login annotate does not know",
                          hint="use another --data-dir, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for that "
                          "server")  # fmt: skip
    return {"username": ADMIN_USERNAME, "password": secrets.token_urlsafe(18), "api_key": secrets.token_hex(20),
            "data_dir": str(data_dir)}  # fmt: skip


def _public_env(public_url: str | None) -> dict[str, str]:
    """Links in e-mails and the UI, and the origin the browser's CSRF check sees behind a proxy."""
    if not public_url:
        return {}
    return {"LABEL_STUDIO_HOST": public_url.rstrip("/"), "CSRF_TRUSTED_ORIGINS": _origin(public_url)}


def _warn_if_exposed(host: str | None, workers: int, progress: Progress) -> None:
    if host and not is_loopback(host):
        progress(f"Warning: listening on {host}: Label Studio speaks plain HTTP, so logins and annotations "
                 "cross the network unencrypted; put a TLS reverse proxy in front (`annotate server proxy-config`, "
                 "docs/teams.md)")  # fmt: skip
        if not workers:
            progress("Warning: the development server serves the network: one process, not for a team "
                     "(use --database postgresql, which runs worker processes)")  # fmt: skip


@dataclass
class _Launch:
    """One start of the server process: its command, in the background or in this process, and the
    wait until it answers."""

    data_dir: Path
    url: str
    port: int
    host: str
    public_url: str | None
    workers: int
    database: db.Database

    @property
    def log_path(self) -> Path:
        return self.data_dir / process.LOG_FILE

    @property
    def how(self) -> str:
        workers = f"{self.workers} gunicorn worker(s) x {wsgi.THREADS} threads"
        return workers if self.workers else "the development server"

    def command(self, executable: str, env: dict[str, str], *, timeout: float,
                progress: Progress) -> tuple[list[str], dict[str, str]]:  # fmt: skip
        """gunicorn with the data folder's config (after Label Studio's init), or `label-studio start`."""
        if self.workers:
            _initialize(executable, self.data_dir, env, self.log_path, timeout=timeout, progress=progress)
            config = wsgi.write_config(self.data_dir, host=self.host, port=self.port, workers=self.workers)
            return wsgi.command(config), env | {"DJANGO_SETTINGS_MODULE": wsgi.SETTINGS_MODULE}
        return [executable, "start", "--no-browser", "--internal-host", self.host, "--port", str(self.port),
                "--data-dir", str(self.data_dir)], env  # fmt: skip

    def _record(self, pid: int) -> None:
        record = {"pid": pid, "port": self.port, "url": self.url, "started_at": time.time(), "host": self.host,
                  "public_url": self.public_url, "server": "gunicorn" if self.workers else "development",
                  "workers": self.workers or 1, "threads": wsgi.THREADS if self.workers else 1}  # fmt: skip
        (self.data_dir / process.PID_FILE).write_text(json.dumps(record), encoding="utf-8")

    def become(self, args: list[str], env: dict[str, str], progress: Progress) -> NoReturn:
        """This process becomes the server (systemd watches it), in its own process group, which
        `server stop` stops as a whole."""
        progress(f"Label Studio at {self.url} in the foreground ({self.how}; data in {self.data_dir}; database "
                 f"{self.database.url})")  # fmt: skip
        self._record(os.getpid())
        write_version(self.data_dir)
        os.chdir(self.data_dir)
        with contextlib.suppress(OSError):  # already a session leader under systemd
            os.setsid()
        os.execve(args[0], args, env)

    def spawn(self, args: list[str], env: dict[str, str], progress: Progress) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            spawned = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.data_dir,
            )  # fmt: skip
        self._record(spawned.pid)
        progress(f"Starting Label Studio at {self.url} ({self.how}; data in {self.data_dir}; database "
                 f"{self.database.url}; log in {self.log_path})")  # fmt: skip
        return spawned

    def wait_until_answering(self, spawned: subprocess.Popen[bytes], timeout: float) -> None:
        """Until /health answers; an exit, a port taken meanwhile or the timeout is an error."""
        deadline = time.monotonic() + timeout
        while not is_answering(self.url):
            if spawned.poll() is not None:
                self._abandon()
                raise ServerError(f"Label Studio exited with code {spawned.returncode} while starting; last log "
                                  "lines:\n" + process.log_tail(self.log_path),
                                  hint=f"the full log is {self.log_path}")  # fmt: skip
            if f"Port {self.port} is in use" in process.log_tail(self.log_path, 50):
                process.terminate(spawned.pid)
                self._abandon()
                raise ServerError(f"port {self.port} was taken while Label Studio started",
                                  hint="choose another --port")  # fmt: skip
            if time.monotonic() > deadline:
                raise ServerError(
                    f"Label Studio did not answer at {self.url} within {timeout:.0f} s (a first start takes about "
                    "60 s)",
                    hint=f"it is still starting (pid {spawned.pid}): check `annotate server status`, "
                    f"or its log {self.log_path}; raise --timeout on slow machines",
                )
            time.sleep(1.0)

    def _abandon(self) -> None:
        (self.data_dir / process.PID_FILE).unlink(missing_ok=True)
        db.stop_cluster(self.database)


def _ready(data_dir: Path, config_dir: Path, chosen: db.Database, url: str, progress: Progress) -> ServerStatus:
    """The started server's status, once it is known to serve the recorded database with the saved key."""
    if chosen.backend == "postgresql" and (data_dir / db.SQLITE_FILE).exists():
        # Label Studio fell back to SQLite: a team would annotate into a file nobody backs up.
        stop(data_dir=data_dir)
        raise ServerError(f"Label Studio opened {data_dir / db.SQLITE_FILE} instead of {chosen.url}; stopped it")
    result = status(data_dir=data_dir, config_dir=config_dir)
    if not result.key_ok:
        raise ServerError(
            f"Label Studio is running at {url} but refuses the saved API key",
            hint=f"its data dir {data_dir} was probably created outside annotate; use a new --data-dir",
        )
    write_version(data_dir)
    progress(f"Label Studio {result.version} is ready at {url}")
    return result


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def worker_count(workers: int | None, database: db.Database) -> int:
    """The gunicorn processes to run (0: the development server): see start()."""
    if workers is None:
        return wsgi.default_workers() if database.backend == "postgresql" and wsgi.gunicorn_installed() else 0
    if workers and database.backend == "sqlite":
        raise UsageError(
            "--workers runs several Label Studio processes, which SQLite cannot serve safely (one writer at a time: "
            "annotators' submissions would wait and fail with 'database is locked')",
            hint="use PostgreSQL for a team (--database postgresql runs annotate's own; an existing SQLite folder "
            "moves with `annotate server backup` then `annotate server restore FILE --data-dir NEW --database "
            "postgresql`), or leave out --workers for one person",
        )
    if workers and not wsgi.gunicorn_installed():
        raise ServerError("--workers needs gunicorn, which is not installed", hint="pip install 'annotate[server]'")
    return workers


def _initialize(executable: str, data_dir: Path, env: dict[str, str], log_path: Path, *, timeout: float,
                progress: Progress) -> None:  # fmt: skip
    """What `label-studio start` does before it serves: the database's migrations, the admin user
    and its API key (from env), the organisation. gunicorn only serves."""
    progress(f"Preparing Label Studio's database in {data_dir} (migrations, the admin user)")
    with open(log_path, "ab") as log:
        try:
            done = subprocess.run(
                [executable, "init", "--data-dir", str(data_dir), "--enable-legacy-api-token", "--quiet"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=data_dir,
                timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ServerError(f"preparing Label Studio's database took over {timeout:.0f} s",
                              hint=f"see its log {log_path}; raise --timeout on slow machines") from None  # fmt: skip
    if done.returncode:
        raise ServerError(f"Label Studio could not prepare its database (exit {done.returncode}); last log lines:\n"
                          + process.log_tail(log_path), hint=f"the full log is {log_path}")  # fmt: skip


VERSION_FILE = "label-studio-version"  # the Label Studio that last served this data folder


def installed_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("label-studio")
    except ImportError:  # PackageNotFoundError: not installed
        return None


def write_version(data_dir: Path) -> None:
    found = installed_version()
    if found:
        (data_dir / VERSION_FILE).write_text(found + "\n", encoding="utf-8")


def recorded_version(data_dir: Path) -> str | None:
    """The Label Studio that last served data_dir (its database is migrated to it), or None."""
    try:
        return (data_dir / VERSION_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServerError(f"--public-url must be an http(s) URL, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _database_password(
    database: db.Database, entry: dict[str, Any], *, db_password: str | None, pgpass: Path | None
) -> str | None:
    """The PostgreSQL password: a managed cluster's own (made once), else PGPASSWORD, ~/.pgpass or the
    settings file. One given by PGPASSWORD is kept in the settings file for later starts."""
    if database.backend == "sqlite":
        return None
    if database.managed:
        return str(entry.setdefault("database_password", db.new_password()))
    password = db_password or (db.pgpass_password(database, pgpass) if pgpass else None)
    if db_password:
        entry["database_password"] = db_password
    return password or entry.get("database_password")


def status(*, data_dir: Path, config_dir: Path, url: str | None = None, api_key: str | None = None) -> ServerStatus:
    """The server annotate runs for data_dir, or with `url` the server there (key: `api_key`, else the
    settings file)."""
    data_dir = data_dir.expanduser().resolve()
    settings = st.read_settings(config_dir)
    if url:
        url = st.normalize_url(url)
        entry = settings.get("servers", {}).get(url)
        saved = (url, entry) if entry else None
        if entry and entry.get("data_dir"):
            data_dir = Path(entry["data_dir"])
    else:
        saved = st.server_entry_for_data_dir(settings, data_dir)
    running = process.running_pid(data_dir) if (not url or saved) else None
    if not url:
        url = url_for_port(running[1]) if running else saved[0] if saved else url_for_port(DEFAULT_PORT)
    answering = is_answering(url)
    key = api_key or (saved[1].get("api_key") if saved else None)
    database = db.read_record(data_dir) if saved else None
    return ServerStatus(
        url=url,
        data_dir=data_dir,
        running=running is not None,
        pid=running[0] if running else None,
        answering=answering,
        version=server_version(url) if answering else None,
        key_ok=key_works(url, key) if (answering and key) else None,
        username=saved[1].get("username") if saved else None,
        settings_file=st.settings_path(config_dir),
        database=database,
        database_running=db.cluster_running(database) if database and database.managed else None,
        serving=process.serving(data_dir) if running else None,
    )


@dataclass
class Stopped:
    pid: int | None  # Label Studio's, if it was running
    database: bool  # annotate's PostgreSQL cluster was running and is stopped


def stop(*, data_dir: Path) -> Stopped:
    """Stop the server annotate started for data_dir, then its PostgreSQL cluster if it has one."""
    data_dir = data_dir.expanduser().resolve()
    running = process.running_pid(data_dir)
    if running is not None:
        process.terminate(running[0])
    (data_dir / process.PID_FILE).unlink(missing_ok=True)
    record = db.read_record(data_dir) if data_dir.exists() else None
    cluster = db.stop_cluster(record) if record and record.managed else False
    return Stopped(running[0] if running else None, cluster)


def default_data_dir(config_dir: Path) -> Path:
    """The current server's data dir, else the user's data folder."""
    settings = st.read_settings(config_dir)
    current = settings.get("current")
    entry = settings.get("servers", {}).get(current or "", {})
    return Path(entry["data_dir"]) if entry.get("data_dir") else st.default_data_dir()
