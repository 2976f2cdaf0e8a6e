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
from annotate.labelstudio.service import server
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


def diagnose(
    *,
    config_dir: Path,
    url: str | None,
    api_key: str | None,
    projects_dir: Path,
    now: datetime | None = None,
) -> DoctorReport:
    """Run every check against the server at `url` (default: the one annotate started last)."""
    now = now or datetime.now(UTC)
    settings_file = st.settings_path(config_dir)
    settings = st.read_settings(config_dir)
    given = url
    url = url or settings.get("current") or server.url_for_port(server.DEFAULT_PORT)
    problem = st.url_problem(url)
    if problem:
        error = UsageError if given else ConfigError
        raise error(problem, hint="give a URL such as http://127.0.0.1:8080 (--url or LABEL_STUDIO_URL)")
    url = st.normalize_url(url)
    entry = settings.get("servers", {}).get(url, {})
    key = api_key or entry.get("api_key")
    shown = st.display_url(url)
    report = DoctorReport(shown)

    answering = server.is_answering(url)
    if answering:
        report.add("server reachable", "ok", f"{shown} answers")
    else:
        report.add("server reachable", "fail", f"{shown} does not answer",
                   "start it with `annotate server start`, or check --url / LABEL_STUDIO_URL")  # fmt: skip
    if answering:
        version = server.server_version(url) or "unknown"
        tested = version.startswith(TESTED_RELEASES)
        report.add("Label Studio version", "ok" if tested else "warn", f"Label Studio {version}",
                   None if tested else "annotate is tested with Label Studio 1.23.x")  # fmt: skip
    else:
        report.add("Label Studio version", "skip", "the server does not answer")

    if not key:
        report.add(
            "API key", "fail", f"no API key for {shown}", "set LABEL_STUDIO_API_KEY or run `annotate server start`"
        )
    elif not answering:
        report.add("API key", "skip", f"{_token_kind(key)}; the server does not answer")
    else:
        works = server.key_works(url, key)
        report.add("API key", "ok" if works else "fail", f"{_token_kind(key)}, " + ("accepted" if works else "REFUSED"),
                   None if works else "check LABEL_STUDIO_API_KEY or the settings file")  # fmt: skip

    data_dir = Path(entry["data_dir"]) if entry.get("data_dir") else None
    database = db.read_record(data_dir) if data_dir else None
    if database is None:
        report.add("database", "skip", "not a server annotate runs on this machine: its database is not known here")
    elif database.managed:
        running = db.cluster_running(database)
        state = ", running" if running else ", STOPPED"
        report.add("database", "ok" if running else "fail", database.describe() + state,
                   None if running else "start it with `annotate server start`")  # fmt: skip
    else:
        report.add("database", "ok", database.describe())

    projects, project_error = None, None
    if answering and key and report.checks[-1].status == "ok":
        from annotate.errors import AnnotateError
        from annotate.labelstudio.api import client
        from annotate.labelstudio.api.projects import project_status

        try:
            projects = project_status(client.connect(st.Connection(url, key)), projects_dir, config_dir=config_dir)
        except AnnotateError as exc:
            project_error = exc.message
    if project_error:
        report.add("projects", "fail", project_error)
    elif projects is not None:
        drifted = [p["name"] for p in projects if p["id"] is not None and p["in_sync"] is False]
        missing = [p["name"] for p in projects if p["id"] is None]
        detail = f"{len(projects)} project folder(s); differ: {', '.join(drifted) or 'none'}; " \
                 f"not created: {', '.join(missing) or 'none'}"  # fmt: skip
        report.add("projects", "warn" if drifted else "ok", detail,
                   "run `annotate project update NAME`" if drifted else None)  # fmt: skip
    else:
        report.add("projects", "skip", "the server does not answer or refuses the key")

    if data_dir and data_dir.exists():
        free = shutil.disk_usage(data_dir).free
        low = free < MIN_FREE_BYTES
        report.add("free disk", "warn" if low else "ok", f"{free / 1024**3:.1f} GB free in {data_dir}",
                   "free some space: exports and snapshots grow with the projects" if low else None)  # fmt: skip
    else:
        report.add("free disk", "skip", "no local data folder for this server")

    last = entry.get("last_backup")
    if data_dir is None:
        report.add("last backup", "skip", "annotate backs up only servers it runs on this machine")
    elif not last:
        report.add("last backup", "warn", "never backed up", "run `annotate server backup` (daily, e.g. from cron)")
    else:
        _last_backup(report, last, now, settings_file)

    if settings_file.exists():
        mode = settings_file.stat().st_mode & 0o777
        private = mode & 0o077 == 0
        report.add("settings file", "ok" if private else "fail", f"{settings_file} mode {mode:04o}",
                   None if private else f"chmod 600 {settings_file}: it holds passwords and keys")  # fmt: skip
    else:
        report.add("settings file", "skip", f"{settings_file} does not exist")

    running = server.running_pid(data_dir) if data_dir else None
    env = _process_env(running[0]) if running else None
    if env is None:
        report.add(
            "analytics and version check", "skip", "not a server annotate runs here (its settings are not visible)"
        )
    else:
        on = [
            n for n in ("COLLECT_ANALYTICS", "LATEST_VERSION_CHECK") if env.get(n, "true").lower() not in ("false", "0")
        ]
        on += [n for n in ("SENTRY_DSN", "FRONTEND_SENTRY_DSN") if env.get(n)]
        report.add("analytics and version check", "fail" if on else "ok",
                   f"turned on: {', '.join(on)}" if on else "analytics, version check and error reporting are off",
                   "restart it: `annotate server stop`, then `annotate server start`" if on else None)  # fmt: skip
    return report
