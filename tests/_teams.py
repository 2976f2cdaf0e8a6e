"""Helpers for the team tests: a populated project, logins through the login page, exports to compare."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import requests

from .conftest import ANNOTATE, EXAMPLE_ARTICLE, LiveServer, free_port


def login(url: str, email: str, password: str, *, public_url: str | None = None) -> tuple[requests.Session, int]:
    """Log in through the login page as a person does: 302 on success, 200 (the form again) on refusal.

    `public_url`: as a browser does behind a TLS reverse proxy (its Host, Origin and Referer)."""
    session = requests.Session()
    session.get(f"{url}/user/login/")
    headers = {"Referer": f"{url}/user/login/"}
    if public_url:
        host = public_url.split("://", 1)[1]
        # requests matches cookies against the Host header: send the CSRF cookie as the browser would.
        headers = {"Host": host, "Origin": public_url, "Referer": f"{public_url}/user/login/",
                   "Cookie": f"csrftoken={session.cookies['csrftoken']}"}  # fmt: skip
    response = session.post(
        f"{url}/user/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers=headers,
        allow_redirects=False,
    )
    tokens = [c.value for c in session.cookies if c.name == "csrftoken"]  # rotated at login
    session.headers.update({"X-CSRFToken": tokens[-1] if tokens else "", "Referer": f"{url}/"})
    return session, response.status_code


def sign_up(invite_url: str, email: str, password: str) -> int:
    session = requests.Session()
    session.get(invite_url)
    response = session.post(
        invite_url,
        data={"email": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": invite_url},
        allow_redirects=False,
    )
    return response.status_code


def run(server: LiveServer, *args: str, **kw) -> subprocess.CompletedProcess[str]:
    done = server.run(*args, **kw)
    assert server.api_key not in done.stdout + done.stderr
    return done


def populate(server: LiveServer, tmp_path: Path, projects: Path) -> tuple[int, str, str]:
    """A claims project with the example article loaded and pre-labelled, and one annotation made by a new
    annotator who logged in through the login page. Returns (project id, the annotator's e-mail and password)."""
    for args in (("project", "create", "claims", "--projects-dir", str(projects)),
                 ("split", str(EXAMPLE_ARTICLE), "-o", str(tmp_path / "tasks.jsonl")),
                 ("load", str(tmp_path / "tasks.jsonl"), "--project", "claims", "--projects-dir", str(projects)),
                 ("prelabel", "--project", "claims", "--projects-dir", str(projects))):  # fmt: skip
        done = run(server, *args)
        assert done.returncode == 0, done.stderr
    project_id = int(run(server, "project", "create", "claims", "--projects-dir", str(projects)).stdout)
    email = f"Ana.{uuid.uuid4().hex[:6]}@Example.org"
    added = run(server, "users", "add", email, "--format", "json")
    assert added.returncode == 0, added.stderr
    (user,) = json.loads(added.stdout)
    assert user["email"] == email.lower() and user["created"] and user["password"]
    session, status = login(server.url, email, user["password"])  # typed as given: Label Studio lower-cases it
    assert status == 302, f"{email} cannot log in"
    task = session.get(f"{server.url}/api/projects/{project_id}/next").json()
    result = [{"from_name": "claim_status", "to_name": "text", "type": "choices", "value": {"choices": ["no_claim"]}}]
    assert session.post(f"{server.url}/api/tasks/{task['id']}/annotations/", json={"result": result}).status_code == 201
    return project_id, email.lower(), user["password"]


def export(server: LiveServer, projects: Path, out: Path, *, url: str | None = None) -> list[dict]:
    args = ["export", "--project", "claims", "--projects-dir", str(projects), "-o", str(out)]
    done = run(server, *args, *(["--url", url] if url else []))
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    validated = run(server, "validate", str(path), "--project", "claims", "--projects-dir", str(projects))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    return sorted(json.loads(path.read_text()), key=lambda t: t["id"])


# Computed by the server when it exports ("0 minutes" ago), not stored: it changes with the clock alone.
RELATIVE = {"created_ago"}


def differences(before: object, after: object, path: str = "$") -> list[str]:
    """The JSON paths where two exports differ (empty when they are equal), for a readable failure."""
    if type(before) is not type(after):
        return [f"{path}: {before!r:.80} != {after!r:.80}"]
    if isinstance(before, dict):
        keys = sorted((set(before) | set(after)) - RELATIVE)
        return [d for k in keys for d in differences(before.get(k), after.get(k), f"{path}.{k}")]
    if isinstance(before, list):
        found = [f"{path}: {len(before)} items != {len(after)}"] if len(before) != len(after) else []
        return found + [
            d for i, (x, y) in enumerate(zip(before, after, strict=False)) for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if before == after else [f"{path}: {before!r:.80} != {after!r:.80}"]


def start_restored(server: LiveServer, data_dir: Path) -> str:
    """Start the restored data folder's server (its port was chosen by the restore); returns its URL."""
    started = run(server, "server", "start", "--data-dir", str(data_dir), "--format", "json")
    assert started.returncode == 0, started.stderr
    return json.loads(started.stdout)["url"]


def own_server(base: Path, *extra: str) -> LiveServer:
    """A server of its own, started with `annotate server start` (stop it with stop_server)."""
    config_dir, data_dir = base / "config", base / "ls-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["ANNOTATE_CONFIG_DIR"] = str(config_dir)
    start = subprocess.run([*ANNOTATE, "server", "start", "--port", str(free_port()), "--data-dir", str(data_dir),
                            *extra], env=env, capture_output=True, text=True)  # fmt: skip
    assert start.returncode == 0, f"annotate server start failed:\n{start.stderr}"
    settings = json.loads((config_dir / "settings.json").read_text())
    url = settings["current"]
    return LiveServer(url, settings["servers"][url]["api_key"], config_dir, data_dir)


def stop_server(server: LiveServer, data_dir: Path | None = None) -> None:
    from annotate.labelstudio.service import database

    data_dir = data_dir or server.data_dir
    server.run("server", "stop", "--data-dir", str(data_dir))
    record = database.read_record(data_dir)
    if record is not None and record.managed:
        database.remove_cluster(record)  # the clusters of tests do not outlive them
