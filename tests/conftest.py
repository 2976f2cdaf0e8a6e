"""Shared fixtures. Integration tests talk to a real Label Studio on 127.0.0.1.

Which server: the one CI started with `annotate server start` (CI exports ANNOTATE_TEST_CONFIG_DIR,
the config folder that start wrote its settings to), else one these fixtures start themselves on a
free port with a temporary data and config folder. Never the user's own server or data. A server
that cannot be reached or started fails the tests; it never skips them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ARTICLE = ROOT / "examples" / "articles" / "paris-security-guarantees.txt"
SAMPLES = ROOT / "tests" / "data" / "labelstudio-1.23"
ANNOTATE = [sys.executable, "-m", "annotate"]


# The suites that start servers of their own (PostgreSQL, nginx) or share one browser stay in one process.
ONE_PROCESS = ("browser", "postgres", "deploy")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Both cores: the README's `pytest` and the unit suite (`-m "not integration ..."`) are spread
    over two processes by pytest-xdist, unless -n is given (-n 0 runs them in one). The tests that
    talk to a Label Studio server form one group, run in order in one process against one server
    (`--dist loadgroup`), while the other process takes the rest. `-m browser`, `-m postgres` and
    `-m deploy` stay in one process."""
    expr = config.option.markexpr or ""
    selects_one_suite = any(name in expr and f"not {name}" not in expr for name in ONE_PROCESS)
    if (config.pluginmanager.hasplugin("xdist") and config.getoption("numprocesses", None) is None
            and not selects_one_suite and not os.environ.get("PYTEST_XDIST_WORKER")
            and (os.cpu_count() or 1) >= 2 and not config.option.collectonly
            and not config.getoption("usepdb", False)):  # fmt: skip
        config.option.numprocesses = 2
        config.option.dist = "loadgroup"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's settings, or picks up their server from the environment."""
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("ANNOTATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "vector-cache"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`annotate train` on tests/builders.py's small dataset, seed 3: trained once a process, read
    only (training is deterministic: tests/test_loop.py). A test that changes it copies it first."""
    from annotate.loop.train import train

    from .builders import dataset

    folder = tmp_path_factory.mktemp("trained-model")
    train(dataset(folder / "ds"), folder / "m", seed=3)
    return folder / "m"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the live server is marked integration, so `-m "not integration"` runs no
    server; the integration tests are one xdist group (one process, one server, in order)."""
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.xdist_group("label-studio"))
    unmarked = [
        item.nodeid
        for item in items
        if "live_server" in getattr(item, "fixturenames", ()) and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError("tests that use live_server need @pytest.mark.integration: " + ", ".join(unmarked))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    api_key: str
    config_dir: Path  # holds the settings file that `annotate server start` wrote
    data_dir: Path

    def env(self, config_dir: Path | None = None) -> dict[str, str]:
        """Environment for running the CLI against this server (the key comes from the settings file)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
        env["ANNOTATE_CONFIG_DIR"] = str(config_dir or self.config_dir)
        return env

    def run(self, *args: str, config_dir: Path | None = None, **kw) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ANNOTATE, *args], env=kw.pop("env", None) or self.env(config_dir), capture_output=True, text=True, **kw
        )


def _from_settings(config_dir: Path) -> LiveServer:
    settings = json.loads((config_dir / "settings.json").read_text())
    url = settings["current"]
    entry = settings["servers"][url]
    return LiveServer(url, entry["api_key"], config_dir, Path(entry["data_dir"]))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    ci_config = os.environ.get("ANNOTATE_TEST_CONFIG_DIR")
    if ci_config:
        server = _from_settings(Path(ci_config))
        status = server.run("server", "status", "--format", "json")
        assert status.returncode == 0, f"the server CI started does not answer:\n{status.stdout}{status.stderr}"
        assert json.loads(status.stdout)["key_ok"] is True, status.stdout
        yield server
        return

    if shutil.which("label-studio", path=str(Path(sys.executable).parent)) is None and not shutil.which("label-studio"):
        pytest.fail("integration tests need Label Studio: pip install -e '.[server,dev]'")
    base = tmp_path_factory.mktemp("live")
    config_dir, data_dir = base / "config", base / "ls-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["ANNOTATE_CONFIG_DIR"] = str(config_dir)
    start = subprocess.run(
        [*ANNOTATE, "server", "start", "--port", str(free_port()), "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert start.returncode == 0, f"annotate server start failed:\n{start.stderr}"
    server = _from_settings(config_dir)
    try:
        yield server
    finally:
        subprocess.run([*ANNOTATE, "server", "stop", "--data-dir", str(data_dir)], env=env, capture_output=True)


def views(tasks: list[dict], *, project: str | None = None) -> list:
    """Raw export tasks as the views every command reads, after checking validate finds no error in
    them (views exist only for valid input; with `project`, against that project's config too)."""
    from annotate.labelstudio.api.projects import load_project
    from annotate.labelstudio.exported.validate import validate_task
    from annotate.labelstudio.exported.views import Task

    rules = load_project(project, projects_dir=ROOT / "projects").rules() if project else None
    errors = [p.line() for i, t in enumerate(tasks) for p in validate_task(t, i, file="fixture", rules=rules)
              if p.severity == "error"]  # fmt: skip
    assert not errors, "\n".join(errors)
    return [Task(t) for t in tasks]


def write_export(path: Path, tasks: list[dict], project: str | None = None) -> Path:
    """An export file as `annotate export` writes it: with `project`, a manifest beside it naming it."""
    from annotate.labelstudio.api.export import manifest_path

    path.write_text(json.dumps(tasks), encoding="utf-8")
    if project:
        manifest_path(path).write_text(json.dumps({"file": path.name, "project": project}), encoding="utf-8")
    return path
