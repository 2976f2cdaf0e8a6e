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
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.errors import ServerError
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import settings as st
from annotate.labelstudio.service import wsgi

PID_FILE = "annotate-server.json"
LOG_FILE = "annotate-server.log"
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


def _http_get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def is_answering(url: str) -> bool:
    try:
        status, body = _http_get(f"{url}/health", timeout=3)
    except (OSError, urllib.error.URLError):
        return False
    return status == 200 and b"UP" in body


def server_version(url: str) -> str | None:
    try:
        status, body = _http_get(f"{url}/api/version", timeout=10)
        return json.loads(body).get("release") if status == 200 else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


def _auth_header(url: str, api_key: str) -> dict[str, str]:
    if st.is_personal_access_token(api_key):  # exchanged for a short-lived access token
        request = urllib.request.Request(
            f"{url}/api/token/refresh/",
            data=json.dumps({"refresh": api_key}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return {"Authorization": f"Bearer {json.loads(response.read())['access']}"}
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return {}
    return {"Authorization": f"Token {api_key}"}


def key_works(url: str, api_key: str) -> bool:
    headers = _auth_header(url, api_key)
    if not headers:
        return False
    try:
        status, _ = _http_get(f"{url}/api/current-user/whoami", headers=headers, timeout=10)
    except (OSError, urllib.error.URLError):
        return False
    return status == 200


def _read_pid_file(data_dir: Path) -> dict[str, Any] | None:
    """The pid file's record, or None when it is missing or damaged (then no server of ours runs:
    a pid of 0 or 1 must never be signalled)."""
    try:
        record = json.loads((data_dir / PID_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    pid, port = record.get("pid"), record.get("port")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (pid, port)) or pid <= 1 or not 0 < port < 65536:
        return None
    return record


def _is_our_process(pid: int, data_dir: Path) -> bool:
    """True when `pid` is alive and is a label-studio serving `data_dir` (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    args = [a.decode(errors="replace") for a in cmdline]
    serves = any("label-studio" in a or "gunicorn" in a for a in args)
    return serves and any(a == str(data_dir) or a.startswith(f"{data_dir}/") for a in args)


def running_pid(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) of the server annotate started for data_dir, if it is still running."""
    record = _read_pid_file(data_dir)
    if record and _is_our_process(int(record["pid"]), data_dir):
        return int(record["pid"]), int(record["port"])
    return None


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


def _server_env(*, data_dir: Path, username: str, password: str, token: str) -> dict[str, str]:
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


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


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
    settings = st.read_settings(config_dir)
    saved = st.server_entry_for_data_dir(settings, data_dir)
    chosen, new = db.choose(data_dir, database)
    workers = worker_count(workers, chosen)

    already = running_pid(data_dir)
    if already:
        pid, running_port = already
        if port is not None and port != running_port:
            raise ServerError(
                f"the server for {data_dir} is already running on port {running_port}, not {port}",
                hint="stop it first with `annotate server stop`",
            )
        progress(f"Label Studio is already running at {url_for_port(running_port)} (pid {pid})")
        return status(data_dir=data_dir, config_dir=config_dir)

    if port is None:
        port = (_saved_port(saved[0]) if saved else None) or DEFAULT_PORT
    if not port_is_free(port):
        raise ServerError(
            f"port {port} on 127.0.0.1 is already in use by another program",
            hint="pick a free port with --port (Label Studio itself would silently move to another port)",
        )

    executable = _label_studio_executable()
    url = url_for_port(port)
    if saved:
        entry = dict(saved[1])
    else:
        if not new:
            raise ServerError(
                f"{data_dir} holds a Label Studio database whose admin login annotate does not know",
                hint="use another --data-dir, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for that server",
            )
        entry = {
            "username": ADMIN_USERNAME,
            "password": secrets.token_urlsafe(18),
            "api_key": secrets.token_hex(20),
            "data_dir": str(data_dir),
        }
    if chosen.managed:
        db.postgres_program("initdb")  # not installed: say so before anything is written
    password = _database_password(chosen, entry, db_password=db_password, pgpass=pgpass)
    # Saved before the start, so a failed first start still knows the logins it asked for.
    st.save_server(config_dir, url, entry)

    if chosen.managed:
        progress(("Creating" if new else "Starting") + f" annotate's PostgreSQL cluster in {chosen.cluster_dir}")
        chosen = db.create_cluster(chosen, str(password)) if new else db.start_cluster(chosen)
    db.write_record(data_dir, chosen)

    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ServerError(f"cannot make the data folder {data_dir}: {exc.strerror}") from None
    log_path = data_dir / LOG_FILE
    env = _server_env(data_dir=data_dir, username=entry["username"], password=entry["password"], token=entry["api_key"])
    env |= db.label_studio_env(chosen, password)
    if public_url:
        # Links in e-mails and the UI, and the origin the browser's CSRF check sees behind a proxy.
        env |= {"LABEL_STUDIO_HOST": public_url.rstrip("/"), "CSRF_TRUSTED_ORIGINS": _origin(public_url)}
    if host and not is_loopback(host):
        progress(f"Warning: listening on {host}: Label Studio speaks plain HTTP, so logins and annotations "
                 "cross the network unencrypted; put a TLS reverse proxy in front (see the README)")  # fmt: skip
        if not workers:
            progress("Warning: the development server serves the network: one process, not for a team "
                     "(use --database postgresql, which runs worker processes)")  # fmt: skip
    if workers:
        _initialize(executable, data_dir, env, log_path, timeout=timeout, progress=progress)
        config = wsgi.write_config(data_dir, host=host or "127.0.0.1", port=port, workers=workers)
        args, env = wsgi.command(config), env | {"DJANGO_SETTINGS_MODULE": wsgi.SETTINGS_MODULE}
    else:
        args = [
            executable, "start", "--no-browser",
            "--internal-host", host or "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
        ]  # fmt: skip
    record = {"port": port, "url": url, "started_at": time.time(), "host": host or "127.0.0.1",
              "public_url": public_url, "server": "gunicorn" if workers else "development",
              "workers": workers or 1, "threads": wsgi.THREADS if workers else 1}  # fmt: skip
    how = f"{workers} gunicorn worker(s) x {wsgi.THREADS} threads" if workers else "the development server"
    if foreground:
        progress(f"Label Studio at {url} in the foreground ({how}; data in {data_dir}; database {chosen.url})")
        (data_dir / PID_FILE).write_text(json.dumps(record | {"pid": os.getpid()}), encoding="utf-8")
        write_version(data_dir)
        os.chdir(data_dir)
        with contextlib.suppress(OSError):  # already a session leader under systemd
            os.setsid()  # its own process group, which `server stop` stops as a whole
        os.execve(args[0], args, env)  # this process becomes the server: systemd watches it
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=data_dir,
        )  # fmt: skip
    (data_dir / PID_FILE).write_text(json.dumps(record | {"pid": process.pid}), encoding="utf-8")
    progress(f"Starting Label Studio at {url} ({how}; data in {data_dir}; database {chosen.url}; log in {log_path})")

    deadline = time.monotonic() + timeout
    while not is_answering(url):
        if process.poll() is not None:
            (data_dir / PID_FILE).unlink(missing_ok=True)
            db.stop_cluster(chosen)
            raise ServerError(
                f"Label Studio exited with code {process.returncode} while starting; last log lines:\n"
                + _log_tail(log_path),
                hint=f"the full log is {log_path}",
            )
        if f"Port {port} is in use" in _log_tail(log_path, 50):
            _terminate(process.pid)
            (data_dir / PID_FILE).unlink(missing_ok=True)
            db.stop_cluster(chosen)
            raise ServerError(f"port {port} was taken while Label Studio started", hint="choose another --port")
        if time.monotonic() > deadline:
            raise ServerError(
                f"Label Studio did not answer at {url} within {timeout:.0f} s (a first start takes about 60 s)",
                hint=f"it is still starting (pid {process.pid}): check `annotate server status`, "
                f"or its log {log_path}; raise --timeout on slow machines",
            )
        time.sleep(1.0)

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
        raise ServerError(
            "--workers runs several Label Studio processes, which SQLite cannot serve safely (one writer at a time: "
            "annotators' submissions would wait and fail with 'database is locked')",
            hint="use PostgreSQL for a team (--database postgresql runs annotate's own; `annotate server migrate` "
            "moves an existing SQLite folder), or leave out --workers for one person",
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
                          + _log_tail(log_path), hint=f"the full log is {log_path}")  # fmt: skip


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


def serving(data_dir: Path) -> dict[str, Any] | None:
    """How the running server for data_dir serves: {"server": "gunicorn"|"development", "workers",
    "threads", "host"}, from the pid file; None when none runs."""
    record = _read_pid_file(data_dir)
    if not record or not running_pid(data_dir):
        return None
    return {"server": record.get("server", "development"), "workers": record.get("workers", 1),
            "threads": record.get("threads", 1), "host": record.get("host", "127.0.0.1")}  # fmt: skip


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
    running = running_pid(data_dir) if (not url or saved) else None
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
        serving=serving(data_dir) if running else None,
    )


def _terminate(pid: int, *, grace: float = 30.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after `grace` seconds."""
    try:
        if os.getpgid(pid) != pid:  # not a group leader (started in the foreground inside another group)
            os.kill(pid, signal.SIGTERM)  # gunicorn's master stops its workers
            _wait_gone(pid, grace)
            return
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child, or it stays a zombie
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _wait_gone(pid: int, grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@dataclass
class Stopped:
    pid: int | None  # Label Studio's, if it was running
    database: bool  # annotate's PostgreSQL cluster was running and is stopped


def stop(*, data_dir: Path) -> Stopped:
    """Stop the server annotate started for data_dir, then its PostgreSQL cluster if it has one."""
    data_dir = data_dir.expanduser().resolve()
    running = running_pid(data_dir)
    if running is not None:
        _terminate(running[0])
    (data_dir / PID_FILE).unlink(missing_ok=True)
    record = db.read_record(data_dir) if data_dir.exists() else None
    cluster = db.stop_cluster(record) if record and record.managed else False
    return Stopped(running[0] if running else None, cluster)


def default_data_dir(config_dir: Path) -> Path:
    """The current server's data dir, else the user's data folder."""
    settings = st.read_settings(config_dir)
    current = settings.get("current")
    entry = settings.get("servers", {}).get(current or "", {})
    return Path(entry["data_dir"]) if entry.get("data_dir") else st.default_data_dir()


_DJANGO = """
import os, sys, json, label_studio
sys.path.insert(0, os.path.dirname(label_studio.__file__))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")
import django
django.setup()
"""


def run_django(data_dir: Path, config_dir: Path, script: str, *, env: dict[str, str] | None = None,
               what: str = "run Label Studio's models") -> str:  # fmt: skip
    """Run `script` with Label Studio's Django models set up against data_dir and its database.

    Secrets travel by environment, never on a command line. Takes about 5 s. Returns stdout.
    """
    if importlib.util.find_spec("label_studio") is None:
        raise ServerError("Label Studio is not installed here", hint="install it with: pip install 'annotate[server]'")
    full = _server_env(data_dir=data_dir, username="", password="", token="")
    for name in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN"):
        full.pop(name)
    full |= database_env(data_dir, config_dir) | (env or {})
    done = subprocess.run([sys.executable, "-c", _DJANGO + script], env=full, capture_output=True, text=True,
                          cwd=data_dir)  # fmt: skip
    if done.returncode != 0:
        raise ServerError(f"could not {what}: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    return done.stdout


def database_env(data_dir: Path, config_dir: Path) -> dict[str, str]:
    """The variables that point Label Studio at data_dir's recorded database."""
    database = db.read_record(data_dir) or db.SQLITE
    saved = st.server_entry_for_data_dir(st.read_settings(config_dir), data_dir)
    return db.label_studio_env(database, saved[1].get("database_password") if saved else None)


def database_password(data_dir: Path, config_dir: Path) -> str | None:
    saved = st.server_entry_for_data_dir(st.read_settings(config_dir), data_dir)
    return saved[1].get("database_password") if saved else None


_SET_PASSWORD = """
from users.models import User
user = User.objects.get(email=os.environ["ANNOTATE_USER_EMAIL"])
user.set_password(os.environ["ANNOTATE_USER_PASSWORD"])
user.save()
"""


def set_password(data_dir: Path, config_dir: Path, email: str, password: str) -> None:
    """Set a user's password in the local server's database (the user API ignores passwords)."""
    secrets_env = {"ANNOTATE_USER_EMAIL": email, "ANNOTATE_USER_PASSWORD": password}
    run_django(data_dir, config_dir, _SET_PASSWORD, env=secrets_env, what=f"set the password of {email}")


def local_data_dir(url: str, config_dir: Path) -> Path | None:
    """The data folder of the server at url, if annotate started it on this machine and it runs."""
    entry = st.read_settings(config_dir).get("servers", {}).get(url)
    if not entry or not entry.get("data_dir"):
        return None
    data_dir = Path(entry["data_dir"])
    running = running_pid(data_dir)
    return data_dir if running and url_for_port(running[1]) == url else None


_DEACTIVATE = """
from users.models import User
emails = json.loads(os.environ["ANNOTATE_USER_EMAILS"])
print(User.objects.filter(email__in=emails).update(is_active=False))
"""


def deactivate_accounts(data_dir: Path, config_dir: Path, emails: list[str]) -> None:
    """Set is_active=False in the local server's database: the login form, sessions and tokens all refuse them."""
    run_django(data_dir, config_dir, _DEACTIVATE, env={"ANNOTATE_USER_EMAILS": json.dumps(emails)},
               what="deactivate " + ", ".join(emails))  # fmt: skip


_INACTIVE = """
from users.models import User
print(json.dumps(sorted(e.lower() for e in User.objects.filter(is_active=False).values_list("email", flat=True))))
"""


def inactive_accounts(data_dir: Path, config_dir: Path) -> set[str]:
    """The deactivated addresses in the local server's database."""
    return set(json.loads(run_django(data_dir, config_dir, _INACTIVE, what="read which users are deactivated")))
