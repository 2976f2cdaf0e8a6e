"""Annotator accounts. Agreement needs several people, each with a login of their own.

Label Studio's user API silently ignores passwords (measured), so a new account cannot log in
until it has one: on the local server annotate started, annotate sets a random password in the
server's database; elsewhere each person signs up through the organisation's invite link.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from annotate.errors import InputError

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _UserServer(Protocol):
    def users(self) -> list[dict[str, Any]]: ...
    def create_user(self, email: str) -> int: ...
    def invite_url(self) -> str: ...


@dataclass
class AddedUser:
    email: str
    id: int
    created: bool
    password: str | None = None  # set on the local server; give it to the person
    invite_url: str | None = None  # elsewhere: the person signs up here

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def add_users(
    client: _UserServer, emails: list[str], *, set_password: Callable[[str, str], None] | None
) -> list[AddedUser]:
    bad = [e for e in emails if not _EMAIL.fullmatch(e)]
    if bad:
        raise InputError(f"not an e-mail address: {', '.join(bad)}")
    existing = {u["email"].lower(): u["id"] for u in client.users() if u.get("email")}
    invite = None if set_password else client.invite_url()
    added = []
    for email in emails:
        if email.lower() in existing:
            added.append(AddedUser(email, existing[email.lower()], created=False))
            continue
        user = AddedUser(email, client.create_user(email), created=True, invite_url=invite)
        if set_password:
            user.password = secrets.token_urlsafe(12)
            set_password(email, user.password)
        added.append(user)
    return added
