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


class Annotate:
    """`annotate` against the live server with fresh projects and a config of their own: call it
    with a command's arguments (--projects-dir added where the command takes it); it asserts exit 0
    and returns stdout."""

    NO_PROJECTS = ("split",)  # commands without --projects-dir

    def __init__(self, live_server: LiveServer, tmp_path: Path) -> None:
        self.live_server, self.tmp_path = live_server, tmp_path
        self.projects = fresh_projects(tmp_path)
        self.config_dir = fresh_config(live_server, tmp_path)

    def __call__(self, *args: str) -> str:
        extra = () if args[0] in self.NO_PROJECTS else ("--projects-dir", str(self.projects))
        done = self.live_server.run(*args, *extra, config_dir=self.config_dir)
        assert done.returncode == 0, f"annotate {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def claims_with(self, records: list[dict]) -> int:
        """A new claims project with these task records loaded; its id."""
        project_id = int(self("project", "create", "claims"))
        tasks = self.tmp_path / "tasks.jsonl"
        tasks.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        self("load", str(tasks), "--project", "claims")
        return project_id

    def login(self) -> tuple[str, str]:
        """The admin's user name and password, to log in through the web UI."""
        entry = json.loads((self.live_server.config_dir / "settings.json").read_text())["servers"][self.live_server.url]
        return entry["username"], entry["password"]


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
