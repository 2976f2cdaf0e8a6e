"""Accounts, against a fake of our client built from what Label Studio 1.23.2 was measured to do."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.errors import InputError, ServerError
from annotate.labelstudio.api.users import add_users, deactivate_users, list_users


class FakeServer:
    url = "http://ls.example.org"

    def __init__(self) -> None:
        self.accounts = [{"id": 1, "email": "admin@annotate.local", "last_activity": "2026-11-30 12:00:00+00:00"},
                         {"id": 2, "email": "Deleted", "last_activity": None}]  # fmt: skip
        self.created: list[str] = []

    def users(self) -> list[dict[str, Any]]:
        return self.accounts

    def create_user(self, email: str) -> int:
        self.created.append(email)
        self.accounts.append({"id": len(self.accounts) + 1, "email": email, "last_activity": None})
        return len(self.accounts)

    def invite_url(self) -> str:
        return f"{self.url}/user/signup/?token=t"

    def membership(self, user_id: int) -> dict[str, Any]:
        return {"user": user_id, "annotations_count": 10 * user_id}

    def whoami(self) -> str:
        return "admin@annotate.local"


def test_local_server_gives_lower_cased_accounts_with_a_password() -> None:
    server, passwords = FakeServer(), {}
    added = add_users(server, ["Ana@Example.org", "ana@example.org"], set_password=passwords.__setitem__)
    assert [(u.email, u.created) for u in added] == [("ana@example.org", True)]
    assert passwords == {"ana@example.org": added[0].password}
    again = add_users(server, ["ANA@example.org"], set_password=passwords.__setitem__)
    assert (again[0].created, again[0].id, again[0].password) == (False, 3, None)


def test_another_server_gets_an_invite_and_no_account() -> None:
    server = FakeServer()
    (added,) = add_users(server, ["Bo@Example.org"], set_password=None)
    assert server.created == []  # an account made through the API could never log in
    assert (added.email, added.id, added.invite_url) == (
        "bo@example.org",
        None,
        "http://ls.example.org/user/signup/?token=t",
    )


def test_bad_addresses_are_all_named() -> None:
    with pytest.raises(InputError, match="not an e-mail address: x, y@z"):
        add_users(FakeServer(), ["x", "ok@example.org", "y@z"], set_password=None)


def test_list_counts_and_skips_removed_members() -> None:
    rows = list_users(FakeServer(), inactive={"admin@annotate.local"})
    assert [(r.id, r.email, r.annotations, r.active) for r in rows] == [(1, "admin@annotate.local", 10, False)]


def test_deactivate() -> None:
    server, done = FakeServer(), []
    server.create_user("ana@example.org")
    (row,) = deactivate_users(server, ["Ana@example.org"], deactivate=done.extend)
    assert done == ["ana@example.org"] and (row.email, row.annotations, row.active) == ("ana@example.org", 30, False)
    with pytest.raises(InputError, match=r"no such user: nobody@example\.org"):
        deactivate_users(server, ["nobody@example.org"], deactivate=done.extend)
    with pytest.raises(InputError, match="admin account cannot be deactivated"):
        deactivate_users(server, ["admin@annotate.local"], deactivate=done.extend)
    with pytest.raises(ServerError, match="Label Studio's API has no way to stop a login"):
        deactivate_users(server, ["ana@example.org"], deactivate=None)
