"""Helpers for integration tests against the live Label Studio of tests/conftest.py."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from .conftest import ROOT, LiveServer


def fresh_projects(tmp_path: Path) -> Path:
    """The real projects under titles of their own, so reruns against one server start clean."""
    projects = tmp_path / "projects"
    suffix = f" {uuid.uuid4().hex[:8]}"
    for name in ("claims", "verification"):
        shutil.copytree(ROOT / "projects" / name, projects / name)
        settings = json.loads((projects / name / "project.json").read_text())
        settings["title"] = settings["title"][: 50 - len(suffix)] + suffix
        (projects / name / "project.json").write_text(json.dumps(settings))
    return projects


def fresh_config(live_server: LiveServer, tmp_path: Path) -> Path:
    """A config folder with the server's login and no project records."""
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    settings = json.loads((live_server.config_dir / "settings.json").read_text())
    settings.pop("projects", None)
    (config_dir / "settings.json").write_text(json.dumps(settings))
    return config_dir


def login(url: str, email: str, password: str):
    """A requests session logged in through the login form, as a person in a browser."""
    import requests

    session = requests.Session()
    session.get(f"{url}/user/login/")
    response = session.post(
        f"{url}/user/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{url}/user/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, f"{email} cannot log in"
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{url}/"})
    return session
