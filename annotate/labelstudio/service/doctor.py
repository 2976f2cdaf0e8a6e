"""`annotate doctor`: one report on the server a team depends on.

Each check says ok, warn or fail, with what was seen and what to do. Checks that need something that
failed before them (the server answering, a key) are reported as skipped, never as passed.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotate.errors import ConfigError, UsageError
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import process, server
from annotate.labelstudio.service import settings as st

TESTED_RELEASES = ("1.23.",)  # Label Studio releases annotate is tested with (1.23.2)
MIN_FREE_BYTES = 2 * 1024**3  # below this a growing server (exports, snapshots, logs) runs out soon
MAX_BACKUP_AGE_DAYS = 1.0


@dataclass
class Check:
    name: str
    status: str  # "ok", "warn", "fail" or "skip"
    detail: str
    hint: str | None = None


@dataclass
class DoctorReport:
    url: str
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def add(self, name: str, status: str, detail: str, hint: str | None = None) -> None:
        self.checks.append(Check(name, status, detail, hint))

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "failed": self.failed, "checks": [asdict(c) for c in self.checks]}


def _last_backup(report: DoctorReport, last: Any, now: datetime, settings_file: Path) -> None:
    """The age of the last backup the settings record; a record that is not one is a warning."""
    when = last.get("at") if isinstance(last, dict) else None
    path = last.get("path") if isinstance(last, dict) else None
    try:
        at = datetime.fromisoformat(when) if isinstance(when, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or not isinstance(path, str):
        report.add("last backup", "warn", f"the record of the last backup in {settings_file} is not readable "
                   f"(at {when!r}: an ISO 8601 time with a time zone is expected)",
                   "run `annotate server backup`: it records the backup again")  # fmt: skip
        return
    age = (now - at).total_seconds() / 86400
    old = age > MAX_BACKUP_AGE_DAYS
    exists = Path(path).exists()
    report.add("last backup", "warn" if old or not exists else "ok",
               f"{age:.1f} days ago: {path}" + ("" if exists else " (the file is gone)"),
               "run `annotate server backup`" if old or not exists else None)  # fmt: skip


def _token_kind(api_key: str) -> str:
    return "personal access token (JWT)" if st.is_personal_access_token(api_key) else "legacy token"


def _process_env(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


@dataclass
class _Target:
    """What the checks look at: the server, its key and settings entry, its data folder."""

    url: str
    shown: str  # the URL as it may be printed
    key: str | None
    entry: dict[str, Any]
    config_dir: Path
    projects_dir: Path
    now: datetime
    answering: bool = False
    key_ok: bool = False

    @property
    def settings_file(self) -> Path:
        return st.settings_path(self.config_dir)

    @property
    def data_dir(self) -> Path | None:
        return Path(self.entry["data_dir"]) if self.entry.get("data_dir") else None


def _reachable(t: _Target, report: DoctorReport) -> None:
    t.answering = server.is_answering(t.url)
    if t.answering:
        report.add("server reachable", "ok", f"{t.shown} answers")
    else:
        report.add("server reachable", "fail", f"{t.shown} does not answer",
                   "start it with `annotate server start`, or check --url / LABEL_STUDIO_URL")  # fmt: skip


def _version(t: _Target, report: DoctorReport) -> None:
    if not t.answering:
        report.add("Label Studio version", "skip", "the server does not answer")
        return
    version = server.server_version(t.url) or "unknown"
    tested = version.startswith(TESTED_RELEASES)
    report.add("Label Studio version", "ok" if tested else "warn", f"Label Studio {version}",
               None if tested else "annotate is tested with Label Studio 1.23.x")  # fmt: skip


def _api_key(t: _Target, report: DoctorReport) -> None:
    if not t.key:
        report.add(
            "API key", "fail", f"no API key for {t.shown}", "set LABEL_STUDIO_API_KEY or run `annotate server start`"
        )
    elif not t.answering:
        report.add("API key", "skip", f"{_token_kind(t.key)}; the server does not answer")
    else:
        t.key_ok = server.key_works(t.url, t.key)
        report.add("API key", "ok" if t.key_ok else "fail",
                   f"{_token_kind(t.key)}, " + ("accepted" if t.key_ok else "REFUSED"),
                   None if t.key_ok else "check LABEL_STUDIO_API_KEY or the settings file")  # fmt: skip


def _database(t: _Target, report: DoctorReport) -> None:
    database = db.read_record(t.data_dir) if t.data_dir else None
    if database is None:
        report.add("database", "skip", "not a server annotate runs on this machine: its database is not known here")
    elif database.managed:
        running = db.cluster_running(database)
        state = ", running" if running else ", STOPPED"
        report.add("database", "ok" if running else "fail", database.describe() + state,
                   None if running else "start it with `annotate server start`")  # fmt: skip
    else:
        report.add("database", "ok", database.describe())


def _projects(t: _Target, report: DoctorReport) -> None:
    if not (t.answering and t.key_ok):
        report.add("projects", "skip", "the server does not answer or refuses the key")
        return
    from annotate.errors import AnnotateError
    from annotate.labelstudio.api import client
    from annotate.labelstudio.api.projects import project_status

    try:
        projects = project_status(client.connect(st.Connection(t.url, t.key or "")), t.projects_dir,
                                  config_dir=t.config_dir)  # fmt: skip
    except AnnotateError as exc:
        report.add("projects", "fail", exc.message)
        return
    drifted = [p["name"] for p in projects if p["id"] is not None and p["in_sync"] is False]
    missing = [p["name"] for p in projects if p["id"] is None]
    detail = (f"{len(projects)} project folder(s); differ: {', '.join(drifted) or 'none'}; "
              f"not created: {', '.join(missing) or 'none'}")  # fmt: skip
    report.add("projects", "warn" if drifted else "ok", detail,
               "run `annotate project update NAME`" if drifted else None)  # fmt: skip


def _free_disk(t: _Target, report: DoctorReport) -> None:
    if not (t.data_dir and t.data_dir.exists()):
        report.add("free disk", "skip", "no local data folder for this server")
        return
    free = shutil.disk_usage(t.data_dir).free
    low = free < MIN_FREE_BYTES
    report.add("free disk", "warn" if low else "ok", f"{free / 1024**3:.1f} GB free in {t.data_dir}",
               "free some space: exports and snapshots grow with the projects" if low else None)  # fmt: skip


def _backup(t: _Target, report: DoctorReport) -> None:
    last = t.entry.get("last_backup")
    if t.data_dir is None:
        report.add("last backup", "skip", "annotate backs up only servers it runs on this machine")
    elif not last:
        report.add("last backup", "warn", "never backed up", "run `annotate server backup` (daily, e.g. from cron)")
    else:
        _last_backup(report, last, t.now, t.settings_file)


def _settings_file(t: _Target, report: DoctorReport) -> None:
    path = t.settings_file
    if not path.exists():
        report.add("settings file", "skip", f"{path} does not exist")
        return
    mode = path.stat().st_mode & 0o777
    private = mode & 0o077 == 0
    report.add("settings file", "ok" if private else "fail", f"{path} mode {mode:04o}",
               None if private else f"chmod 600 {path}: it holds passwords and keys")  # fmt: skip


def _analytics(t: _Target, report: DoctorReport) -> None:
    running = process.running_pid(t.data_dir) if t.data_dir else None
    env = _process_env(running[0]) if running else None
    if env is None:
        report.add(
            "analytics and version check", "skip", "not a server annotate runs here (its settings are not visible)"
        )
        return
    on = [n for n in ("COLLECT_ANALYTICS", "LATEST_VERSION_CHECK") if env.get(n, "true").lower() not in ("false", "0")]
    on += [n for n in ("SENTRY_DSN", "FRONTEND_SENTRY_DSN") if env.get(n)]
    report.add("analytics and version check", "fail" if on else "ok",
               f"turned on: {', '.join(on)}" if on else "analytics, version check and error reporting are off",
               "restart it: `annotate server stop`, then `annotate server start`" if on else None)  # fmt: skip


# In order: a check may use what an earlier one found (the server answering, the key accepted).
def _serving(t: _Target, report: DoctorReport) -> None:
    """The WSGI server and its processes; the development server listening beyond loopback is a warning."""
    how = process.serving(t.data_dir) if t.data_dir else None
    if how is None:
        report.add("WSGI server", "skip", "no server annotate started runs for this data folder here")
        return
    exposed = not server.is_loopback(str(how["host"]))
    if how["server"] == "gunicorn":
        report.add("WSGI server", "ok", f"gunicorn, {how['workers']} worker process(es) x {how['threads']} threads"
                   + (f", listening on {how['host']}" if exposed else ""))  # fmt: skip
    elif exposed:
        report.add("WSGI server", "warn", f"Label Studio's development server (one process) listens on {how['host']}, "
                   "beyond this machine", "for a team: `annotate server start --database postgresql` runs gunicorn "
                   "workers; keep the port behind the reverse proxy (`annotate server proxy-config`)")  # fmt: skip
    else:
        report.add("WSGI server", "ok", "Label Studio's development server (one process, on 127.0.0.1): for one "
                   "person; a team uses --workers on PostgreSQL")  # fmt: skip


def _upgrade(t: _Target, report: DoctorReport) -> None:
    """The installed Label Studio against the one that last served the data folder (its database's migrations)."""
    if not (t.data_dir and t.data_dir.exists()):
        report.add("Label Studio upgrade", "skip", "no local data folder for this server")
        return
    installed, recorded = server.installed_version(), server.recorded_version(t.data_dir)
    if recorded is None or installed is None:
        report.add("Label Studio upgrade", "skip", f"installed {installed or 'unknown'}; the data folder does not "
                   "record which Label Studio served it (started before annotate recorded it)")  # fmt: skip
    elif installed == recorded:
        report.add("Label Studio upgrade", "ok", f"Label Studio {installed} is the one that last served {t.data_dir}")
    else:
        report.add("Label Studio upgrade", "warn", f"Label Studio {installed} is installed, but {t.data_dir} was last "
                   f"served by {recorded}: its database is migrated at the next start, and a running server still "
                   "runs the old code", "run `annotate server backup`, then `annotate server stop` and "
                   "`annotate server start` (it applies the migrations); restore the backup to go back")  # fmt: skip


CHECKS = (_reachable, _version, _api_key, _database, _serving, _upgrade, _projects, _free_disk, _backup,
          _settings_file, _analytics)  # fmt: skip


def diagnose(
    *,
    config_dir: Path,
    url: str | None,
    api_key: str | None,
    projects_dir: Path,
    now: datetime | None = None,
) -> DoctorReport:
    """Run every check (CHECKS) against the server at `url` (default: the one annotate started last)."""
    settings = st.read_settings(config_dir)
    chosen = url or settings.get("current") or server.url_for_port(server.DEFAULT_PORT)
    problem = st.url_problem(chosen)
    if problem:
        error = UsageError if url else ConfigError
        raise error(problem, hint="give a URL such as http://127.0.0.1:8080 (--url or LABEL_STUDIO_URL)")
    chosen = st.normalize_url(chosen)
    entry = settings.get("servers", {}).get(chosen, {})
    target = _Target(chosen, st.display_url(chosen), api_key or entry.get("api_key"), entry, config_dir, projects_dir,
                     now or datetime.now(UTC))  # fmt: skip
    report = DoctorReport(target.shown)
    for check in CHECKS:
        check(target, report)
    return report
