"""The production path for real: `pytest -m deploy`.

nginx, configured by `annotate server proxy-config`, terminates TLS (a certificate made here) in front
of a server on PostgreSQL with gunicorn workers started with the same --public-url. Through the
proxy: a person logs in through the login page in Chromium, 10,000 tasks are loaded and exported, and
the pages carry the public address. Needs nginx (Debian: apt-get install nginx), PostgreSQL and
Chromium: without them these tests fail, never skip. The README's `pytest` leaves them out.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.labelstudio.service import database

from ._teams import own_server, run, stop_server
from .conftest import LiveServer, free_port
from .server_helpers import fresh_projects

pytestmark = [pytest.mark.deploy, pytest.mark.integration]
TASKS = 10_000


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:  # Debian puts it in /usr/sbin, not on every PATH
        pytest.fail("deploy tests need nginx: apt-get install -y nginx")
    return found


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            pytest.fail(f"nginx exited ({process.returncode}): {log.read_text() if log.exists() else ''}")
        time.sleep(0.2)
    pytest.fail(f"nginx did not listen on {port}")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, Path]]:
    """(the server, its public URL through nginx, the certificate) for the module's tests."""
    nginx = _nginx()
    database.postgres_program("initdb")  # no PostgreSQL: fails here
    base = tmp_path_factory.mktemp("deploy")
    cert, key = _certificate(base)
    public = f"https://127.0.0.1:{free_port()}"
    server = own_server(base, "--database", "postgresql", "--workers", "2", "--public-url", public)
    proxy = base / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (proxy / sub).mkdir(parents=True)
    config = run(server, "server", "proxy-config", "--public-url", public, "--port", server.url.rsplit(":", 1)[1],
                 "--cert", str(cert), "--key", str(key))  # fmt: skip
    assert config.returncode == 0, config.stderr
    (proxy / "annotate.conf").write_text(config.stdout)
    temp = "\n".join(
        f"    {kind}_temp_path {proxy}/{sub};"
        for kind, sub in (
            ("client_body", "body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        )
    )
    (proxy / "nginx.conf").write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 2;
pid {proxy}/nginx.pid;
error_log {proxy}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {proxy}/access.log;
{temp}
    include {proxy}/annotate.conf;
}}
""")  # fmt: skip
    process = subprocess.Popen([nginx, "-p", str(proxy), "-c", str(proxy / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        _wait_for_port(int(public.rsplit(":", 1)[1]), process, proxy / "error.log")
        yield server, public, cert
    finally:
        process.terminate()
        process.wait(timeout=30)
        stop_server(server)


def _through(server: LiveServer, public: str, cert: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """An annotate command against the public address (TLS checked against the test's certificate)."""
    env = server.env() | {"SSL_CERT_FILE": str(cert), "LABEL_STUDIO_API_KEY": server.api_key}
    return server.run(*args, "--url", public, env=env)


def test_a_person_logs_in_through_the_proxy_and_the_pages_carry_the_public_address(deployed, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.ui import chromium_path

    server, public, _cert = deployed
    chromium = chromium_path()
    if chromium is None:
        pytest.fail("deploy tests need Debian's chromium: apt-get install -y chromium")
    email = "proxy-annotator@example.org"
    (user,) = json.loads(run(server, "users", "add", email, "--format", "json").stdout)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_context(ignore_https_errors=True).new_page()
        page.goto(f"{public}/user/login/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", user["password"])
        page.click("button[type=submit]")  # the CSRF check sees the public origin
        page.wait_for_load_state("networkidle")
        landed, html = page.url, page.content()
        login_form = page.locator("input[name=password]").count()
        static = page.request.get(f"{public}/static/images/favicon.ico")
        browser.close()
    assert landed.startswith(f"{public}/") and "/user/login" not in landed and not login_form, landed  # logged in
    assert f'hostname: "{public}"' in html  # Label Studio's links use the public address
    assert static.status == 200 and static.headers.get("expires")  # served by nginx from the package


def test_ten_thousand_tasks_load_and_export_through_the_proxy(deployed, tmp_path: Path) -> None:
    server, public, cert = deployed
    projects = fresh_projects(tmp_path)
    created = _through(server, public, cert, "project", "create", "claims", "--projects-dir", str(projects))
    assert created.returncode == 0, created.stderr
    tasks = tmp_path / "tasks.jsonl"
    with tasks.open("w") as out:
        for i in range(TASKS):
            out.write(json.dumps({"text": f"Sentence {i} of the deploy test.", "kind": "sentence", "article_id": "d",
                                  "sentence_id": f"d-{i}", "sentence_index": i, "char_start": None, "char_end": None,
                                  "title": "Deploy", "context_before": "", "context_after": ""}) + "\n")  # fmt: skip
    loaded = _through(server, public, cert, "load", str(tasks), "--project", "claims", "--projects-dir", str(projects),
                      "--format", "json")  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["created"] == TASKS
    exported = _through(server, public, cert, "export", "--project", "claims", "--projects-dir", str(projects),
                        "-o", str(tmp_path / "exports"))  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert len(json.loads(Path(exported.stdout.strip()).read_text())) == TASKS
    access = (server.data_dir / "logs" / "access.log").read_text()
    assert "/api/projects/" in access and "/export" in access  # through gunicorn, behind nginx
