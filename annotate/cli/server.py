"""`annotate server ...` and `annotate users ...`: the local server and the accounts on it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from annotate.cli.app import (
    DataDirOption,
    Format,
    FormatOption,
    UrlOption,
    config_dir,
    connect,
    emit,
    info,
    server_app,
    users_app,
)  # fmt: skip


# server ---------------------------------------------------------------------------------------
def _status_text(s: Any) -> str:
    key = {True: "works", False: "REFUSED", None: "not checked"}[s.key_ok]
    lines = [
        f"url:       {s.url}",
        f"running:   {f'yes (pid {s.pid})' if s.running else 'no'}",
        f"answering: {'yes' if s.answering else 'no'}",
        f"version:   Label Studio {s.version or 'unknown'}",
        f"api key:   {key}",
        f"data dir:  {s.data_dir}",
    ]
    if s.username:
        lines.append(f"login:     {s.username} (password in {s.settings_file})")
    return "\n".join(lines)


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1. Default: 8080.")
    ] = None,
    data_dir: DataDirOption = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the server to answer.")] = 300,
    fmt: FormatOption = Format.text,
) -> None:
    """Start Label Studio on 127.0.0.1, creating the admin user and API key on first start."""
    from annotate.labelstudio import server

    config = config_dir()
    status = server.start(
        data_dir=data_dir or server.default_data_dir(config),
        port=port,
        config_dir=config,
        timeout=timeout,
        progress=info,
    )
    emit(status.as_dict(), fmt, _status_text(status))


@server_app.command("status")
def server_status(data_dir: DataDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Show the server's URL, version, data folder and whether the saved API key works."""
    from annotate.labelstudio import server

    config = config_dir()
    status = server.status(data_dir=data_dir or server.default_data_dir(config), config_dir=config)
    emit(status.as_dict(), fmt, _status_text(status))
    if not status.answering:
        raise typer.Exit(1)


@server_app.command("stop")
def server_stop(data_dir: DataDirOption = None) -> None:
    """Stop the Label Studio server that `annotate server start` started (no other)."""
    from annotate.labelstudio import server

    resolved = data_dir or server.default_data_dir(config_dir())
    pid = server.stop(data_dir=resolved)
    info(f"Stopped Label Studio (pid {pid})." if pid else f"No server started by annotate is running for {resolved}.")


# users ----------------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    emails: Annotated[list[str], typer.Argument(help="E-mail addresses of the annotators.")],
    url: UrlOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Create annotator accounts and print how each person logs in.

    On the local server `annotate server start` runs, each new account gets a random password
    (printed once, not stored). On any other server, each person signs up through the invite link.
    """
    from annotate.labelstudio import server
    from annotate.labelstudio.users import add_users

    client = connect(url)
    data_dir = server.local_data_dir(client.url, config_dir())
    setter = (lambda email, password: server.set_password(data_dir, email, password)) if data_dir else None
    added = add_users(client, emails, set_password=setter)
    _render_users(added, fmt, client.url)


def _render_users(added: list, fmt: Format, url: str) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps([u.as_dict() for u in added], indent=2))
        return
    for user in added:
        if not user.created:
            typer.echo(f"{user.email}\talready has an account (id {user.id})")
        elif user.password:
            typer.echo(f"{user.email}\tpassword: {user.password}")
        else:
            typer.echo(f"{user.email}\tsign up at: {user.invite_url}")
    if any(u.password for u in added):
        info(f"Give each person their password; annotate does not keep it. They log in at {url}")


@users_app.command("list")
def users_list(url: UrlOption = None, fmt: FormatOption = Format.text) -> None:
    """The server's users."""
    users = connect(url).users()
    if fmt is Format.json:
        typer.echo(json.dumps(users, indent=2))
        return
    for user in users:
        typer.echo(f"{user['id']}\t{user['email']}\tlast active: {user['last_activity'] or 'never'}")
