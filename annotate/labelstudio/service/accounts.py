"""Label Studio's own models, run as a one-off Django script against a data folder and its database:
the accounts of the local server (passwords, deactivation) and anything the API cannot do."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from annotate.errors import ServerError
from annotate.labelstudio.service import database as db
from annotate.labelstudio.service import process
from annotate.labelstudio.service import settings as st
from annotate.labelstudio.service.server import server_env, url_for_port

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
    full = server_env(data_dir=data_dir, username="", password="", token="")
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
    running = process.running_pid(data_dir)
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
