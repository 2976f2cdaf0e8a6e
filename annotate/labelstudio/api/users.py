"""Annotator accounts. Agreement needs several people, each with a login of their own that works.

Measured against Label Studio 1.23.2:
- its user API silently ignores passwords, so an account created through it cannot log in, and the
  invite link then refuses that address ("User with this email already exists");
- the login form and sign-up lower-case the address, so an account created as `Ana@X.org` can never
  log in, and signing up makes a second, lower-cased account;
- removing a member through the API does not stop them logging in (and the API then shows them as
  "Deleted", also as the author of their annotations); only Django's `is_active` does (the login
  form, sessions and tokens all test it).

So: on the local server annotate started, annotate creates the account and sets a random password in
the server's database (and deactivates by `is_active`); on any other server it creates nothing and
gives the organisation's invite link, through which the person makes their own account.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from annotate.errors import InputError, ServerError

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _UserServer(Protocol):
    url: str

    def users(self) -> list[dict[str, Any]]: ...
    def create_user(self, email: str) -> int: ...
    def invite_url(self) -> str: ...
    def membership(self, user_id: int) -> dict[str, Any]: ...
    def whoami(self) -> str: ...


@dataclass
class AddedUser:
    email: str
    id: int | None  # None: invited, the account does not exist until they sign up
    created: bool
    password: str | None = None  # set on the local server; give it to the person
    invite_url: str | None = None  # elsewhere: the person signs up here with this address

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UserRow:
    id: int
    email: str
    annotations: int | None  # counted by the server (its organisation membership)
    last_activity: str | None
    active: bool | None = None  # None: not known (Label Studio's API does not say; only the local database)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize_emails(emails: list[str]) -> list[str]:
    """Lower-cased (as Label Studio's login and sign-up do), checked, without repeats."""
    normalized = [e.strip().lower() for e in emails]
    bad = [e for e in normalized if not _EMAIL.fullmatch(e)]
    if bad:
        raise InputError(f"not an e-mail address: {', '.join(bad)}")
    return list(dict.fromkeys(normalized))


def add_users(
    client: _UserServer, emails: list[str], *, set_password: Callable[[str, str], None] | None
) -> list[AddedUser]:
    """Give each address a way in: a new account with a one-time password where annotate runs the
    server (`set_password` writes it into the server's database), else the invite link."""
    wanted = normalize_emails(emails)
    existing = {u["email"].lower(): u["id"] for u in client.users() if u.get("email")}
    invite = None if set_password else client.invite_url()
    added = []
    for email in wanted:
        if email in existing:
            added.append(AddedUser(email, existing[email], created=False))
        elif set_password is None:
            added.append(AddedUser(email, None, created=False, invite_url=invite))
        else:
            user = AddedUser(email, client.create_user(email), created=True, password=secrets.token_urlsafe(12))
            set_password(email, str(user.password))
            added.append(user)
    return added


def list_users(client: _UserServer, *, inactive: set[str] | None = None) -> list[UserRow]:
    """The organisation's members with how many annotations each has made and when they were last active.

    `inactive`: the deactivated addresses, where the local database tells (the API does not).
    """
    rows = []
    for user in client.users():
        if "@" not in (user.get("email") or ""):
            continue  # a member removed through the web UI: Label Studio shows them as "Deleted"
        count = client.membership(int(user["id"])).get("annotations_count")
        active = None if inactive is None else user["email"].lower() not in inactive
        rows.append(UserRow(int(user["id"]), user["email"], count, user.get("last_activity"), active))
    return rows


def deactivate_users(
    client: _UserServer, emails: list[str], *, deactivate: Callable[[list[str]], None] | None
) -> list[UserRow]:
    """Stop these people logging in; their annotations stay. Needs the local server's database
    (`deactivate` sets is_active there): Label Studio's API cannot stop a login (measured)."""
    wanted = normalize_emails(emails)
    if deactivate is None:
        raise ServerError(
            f"annotate cannot deactivate accounts on {client.url}: Label Studio's API has no way to stop a "
            "login (removing a member only hides them)",
            hint="run `annotate users deactivate` on the machine where `annotate server start` runs that server",
        )
    by_email = {u["email"].lower(): u for u in client.users() if u.get("email")}
    unknown = [e for e in wanted if e not in by_email]
    if unknown:
        raise InputError(f"no such user: {', '.join(unknown)}")
    if client.whoami().lower() in wanted:
        raise InputError("annotate's own admin account cannot be deactivated (annotate logs in with it)")
    deactivate(wanted)
    rows = []
    for email in wanted:
        user = by_email[email]
        # Their membership stays: removing it would show their annotations in exports as "Deleted".
        count = client.membership(int(user["id"])).get("annotations_count")
        rows.append(UserRow(int(user["id"]), email, count, user.get("last_activity"), active=False))
    return rows
