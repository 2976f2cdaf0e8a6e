"""Where annotate keeps its state: the settings file (connections, logins, project ids).

The file lives in the user's config folder with 0600 permissions, because it holds the API key and
the admin password of the local server. Its shape:

    {"current": "http://127.0.0.1:8080",
     "servers": {"http://127.0.0.1:8080": {"api_key": ..., "username": ..., "password": ...,
                                            "data_dir": ...}},
     "projects": {"http://127.0.0.1:8080": {"claims": 3}}}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from annotate.errors import AuthError, ConfigError, UsageError

APP = "annotate"
SETTINGS_FILE = "settings.json"


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def default_data_dir() -> Path:
    # Outside any checkout on purpose: `git clean` must never delete annotation work.
    return Path(platformdirs.user_data_dir(APP)) / "label-studio"


@dataclass(frozen=True)
class Connection:
    """How to reach a Label Studio server. The key never appears in repr or str."""

    url: str
    api_key: str = field(repr=False)

    def __str__(self) -> str:
        return self.url


def normalize_url(url: str) -> str:
    return url.rstrip("/")


def is_personal_access_token(api_key: str) -> bool:
    """A personal access token is a JWT (three dot-separated parts), exchanged for a 5-minute access
    token at /api/token/refresh/; anything else is a legacy token, sent as it is."""
    return api_key.count(".") == 2


def display_url(url: Any) -> str:
    """A URL as it may be shown (errors, reports, logs): without a user name or password in it."""
    from urllib.parse import urlsplit, urlunsplit

    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//", text)
    if "@" not in parts.netloc:
        return text
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def url_problem(url: Any) -> str | None:
    """What is wrong with a Label Studio URL (None: nothing): http(s), a host, a valid port."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        return f"the URL must be a string, not {type(url).__name__}"
    shown = display_url(url)
    if any(c.isspace() or ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in url):
        return f"{shown!r} is not a valid URL (it holds spaces or control characters)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        return f"{shown!r} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{shown!r} is not an http:// or https:// URL"
    if not parts.hostname:
        return f"{shown!r} names no host"
    return None


def settings_path(config_dir: Path) -> Path:
    return config_dir / SETTINGS_FILE


def read_settings(config_dir: Path) -> dict[str, Any]:
    path = settings_path(config_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the settings file {path} is not valid UTF-8 (byte {exc.start})", hint=_REWRITE) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"the settings file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})", hint=_REWRITE
        ) from None
    except RecursionError:
        raise ConfigError(f"the settings file {path} is nested too deeply", hint=_REWRITE) from None
    problems = _shape_problems(data)
    if problems:
        raise ConfigError(f"the settings file {path}: " + "; ".join(problems), hint=_REWRITE)
    return data


_REWRITE = "fix or delete it; `annotate server start` writes a new one"


def _shape_problems(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["must hold a JSON object"]
    problems = []
    if not isinstance(data.get("current", ""), str):
        problems.append('"current" must be a URL string')
    for key in ("servers", "projects"):
        value = data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            problems.append(f'"{key}" must be an object of objects, one per server URL')
    servers = data.get("servers", {})
    for url, entry in servers.items() if isinstance(servers, dict) else ():
        fields = ("api_key", "username", "password", "data_dir")
        wrong = [k for k in fields if isinstance(entry, dict) and not isinstance(entry.get(k, ""), str)]
        if wrong:
            problems.append(f'"servers" -> {url}: {", ".join(wrong)} must be strings')
    return problems


def write_settings(config_dir: Path, data: dict[str, Any]) -> Path:
    """Write atomically, readable by the owner only (the file holds secrets)."""
    from annotate.outputs import write_atomic

    config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return write_atomic(settings_path(config_dir), json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def server_entry_for_data_dir(settings: dict[str, Any], data_dir: Path) -> tuple[str, dict[str, Any]] | None:
    """The saved login of the server that keeps its data in `data_dir`, with the URL it was saved under."""
    for url, entry in settings.get("servers", {}).items():
        if Path(entry.get("data_dir", "")) == data_dir:
            return url, entry
    return None


def save_server(config_dir: Path, url: str, entry: dict[str, Any], *, make_current: bool = True) -> Path:
    """Record a server's login under its URL and (unless told not to) make it the current server."""
    settings = read_settings(config_dir)
    servers = settings.setdefault("servers", {})
    # One entry per data dir: a restart on another port moves the login to the new URL.
    for old_url in [u for u, e in servers.items() if e.get("data_dir") == entry.get("data_dir")]:
        del servers[old_url]
    servers[url] = entry
    if make_current or not settings.get("current"):
        settings["current"] = url
    return write_settings(config_dir, settings)


def forget_data_dir(config_dir: Path, data_dir: Path) -> None:
    """Drop the saved login of the server whose data is in data_dir (a restore that failed)."""
    settings = read_settings(config_dir)
    servers = settings.get("servers", {})
    for url in [u for u, e in servers.items() if Path(e.get("data_dir", "")) == data_dir]:
        del servers[url]
        if settings.get("current") == url:
            settings.pop("current")
    write_settings(config_dir, settings)


def resolve_connection(*, url: str | None, env_url: str | None, env_key: str | None, config_dir: Path) -> Connection:
    """Find the server: --url, then LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, then the settings file."""
    settings = read_settings(config_dir)
    servers = settings.get("servers", {})
    chosen = url or env_url or settings.get("current")
    if not chosen:
        raise ConfigError(
            "no Label Studio server is configured",
            hint="run `annotate server start`, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY",
        )
    problem = url_problem(chosen)
    if problem:
        where = "--url" if url else "LABEL_STUDIO_URL" if env_url else f"the settings file {settings_path(config_dir)}"
        error = UsageError if url else ConfigError
        raise error(f"{where}: {problem}", hint="give a URL such as http://127.0.0.1:8080")
    chosen = normalize_url(chosen)
    key = env_key or servers.get(chosen, {}).get("api_key")
    if not key:
        raise AuthError(
            f"no API key for {display_url(chosen)}",
            hint="set LABEL_STUDIO_API_KEY (the key is never a command-line option)",
        )
    return Connection(chosen, key)


def recorded_project_id(config_dir: Path, url: str, name: str) -> int | None:
    value = read_settings(config_dir).get("projects", {}).get(url, {}).get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ConfigError(f"the settings file {settings_path(config_dir)}: the id of project {name!r} at "
                          f"{display_url(url)} must be a number, not {value!r}", hint=_REWRITE)  # fmt: skip
    return int(value)


def record_project_id(config_dir: Path, url: str, name: str, project_id: int) -> None:
    settings = read_settings(config_dir)
    settings.setdefault("projects", {}).setdefault(url, {})[name] = project_id
    write_settings(config_dir, settings)
