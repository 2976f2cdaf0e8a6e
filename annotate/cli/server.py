"""`annotate server ...` and `annotate users ...`: the local server and the accounts on it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.app import (
    DataDirOption,
    Format,
    FormatOption,
    ProjectsDirOption,
    UrlOption,
    app,
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
        f"database:  {s.database.describe() if s.database else 'unknown (not a server annotate started here)'}",
    ]
    if s.serving:
        how = (f"gunicorn, {s.serving['workers']} worker(s) x {s.serving['threads']} threads"
               if s.serving["server"] == "gunicorn" else "the development server (one process)")  # fmt: skip
        lines.append(f"serving:   {how}")
    if s.database_running is not None:
        lines.append(f"postgres:  {'running' if s.database_running else 'stopped'}")
    if s.username:
        lines.append(f"login:     {s.username} (password in {s.settings_file})")
    return "\n".join(lines)


def _pgpass() -> Path:
    return Path(os.environ.get("PGPASSFILE") or Path.home() / ".pgpass")


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on. Default: 8080.")
    ] = None,
    data_dir: DataDirOption = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="sqlite (default), postgresql (annotate runs a private PostgreSQL in the data folder), or "
            "postgresql://USER@HOST:PORT/DB (password from $PGPASSWORD or ~/.pgpass). Recorded when the data "
            "folder is created; a later start uses it and refuses another.",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to listen on. Default: 127.0.0.1. Anything else serves the network "
            "in plain HTTP: put a TLS reverse proxy in front.",
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The https:// address people use behind a reverse proxy (for Label Studio's links and CSRF check).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the server to answer.")] = 300,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Serve with gunicorn, this many processes of 4 threads each (0: Label Studio's development "
            "server). Default: min(cores, memory / 1.5 GB), at least 2, on PostgreSQL; the development server on "
            "SQLite, which refuses several processes.",
        ),
    ] = None,
    foreground: Annotated[
        bool,
        typer.Option("--foreground", help="Run in this process instead of the background (systemd: `server unit`)."),
    ] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Start Label Studio (and its PostgreSQL, if it has one), creating the admin user and API key on first start."""
    from annotate.labelstudio.service import server

    config = config_dir()
    status = server.start(
        data_dir=data_dir or server.default_data_dir(config),
        port=port,
        config_dir=config,
        database=database,
        db_password=os.environ.get("PGPASSWORD"),
        pgpass=_pgpass(),
        host=host,
        public_url=public_url,
        timeout=timeout,
        workers=workers,
        foreground=foreground,
        progress=info,
    )
    emit(status.as_dict(), fmt, _status_text(status))


@server_app.command("status")
def server_status(url: UrlOption = None, data_dir: DataDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Show the server's URL, version, database, data folder and whether the API key works. Exit 1 if it does
    not answer. Which server: --url, else --data-dir, else $LABEL_STUDIO_URL, else the one annotate started."""
    from annotate.labelstudio.service import server

    config = config_dir()
    status = server.status(
        data_dir=data_dir or server.default_data_dir(config),
        config_dir=config,
        url=url or (None if data_dir else os.environ.get("LABEL_STUDIO_URL")),
        api_key=os.environ.get("LABEL_STUDIO_API_KEY"),
    )
    emit(status.as_dict(), fmt, _status_text(status))
    if not status.answering:
        raise typer.Exit(1)


@server_app.command("stop")
def server_stop(data_dir: DataDirOption = None) -> None:
    """Stop the Label Studio server that `annotate server start` started (no other), and its PostgreSQL."""
    from annotate.labelstudio.service import server

    resolved = data_dir or server.default_data_dir(config_dir())
    stopped = server.stop(data_dir=resolved)
    info(f"Stopped Label Studio (pid {stopped.pid})." if stopped.pid
         else f"No server started by annotate is running for {resolved}.")  # fmt: skip
    if stopped.database:
        info("Stopped its PostgreSQL.")


@server_app.command("unit")
def server_unit(
    data_dir: DataDirOption = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port (default 8080).")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")] = None,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="The https:// address behind the proxy.")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=0, help="As `server start --workers`.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="The account the service runs as. Default: you.")] = None,
) -> None:
    """Print a systemd unit that runs `annotate server start --foreground` with these options, so the
    server, its PostgreSQL and its workers come back after a reboot (install steps in its first lines)."""
    from annotate.labelstudio.service import server
    from annotate.labelstudio.service.unit import systemd_unit

    config = config_dir()
    resolved = (data_dir or server.default_data_dir(config)).expanduser().resolve()
    typer.echo(systemd_unit(data_dir=resolved, config_dir=config.expanduser().resolve(), port=port, host=host,
                            public_url=public_url, workers=workers, user=user), nl=False)  # fmt: skip


@server_app.command("proxy-config")
def server_proxy_config(
    public_url: Annotated[
        str, typer.Option("--public-url", help="The https:// address people open, e.g. https://annotate.example.org.")
    ],
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The server's port on 127.0.0.1.")] = 8080,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="TLS certificate (PEM). Default: Let's Encrypt's path for the host.")
    ] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Its private key (PEM). Default: Let's Encrypt's.")] = None,
) -> None:
    """Print the nginx configuration for TLS in front of the server: static files from the installed
    Label Studio, the rest passed to 127.0.0.1:PORT. Start the server with the same --public-url."""
    from annotate.labelstudio.service.proxy import nginx_config

    typer.echo(nginx_config(public_url, port=port, cert=cert, key=key), nl=False)


@server_app.command("backup")
def server_backup(
    data_dir: DataDirOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Backup file. Default: a timestamped file in ~/.local/share/annotate/backups/."
        ),
    ] = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Back up the server's database (also while it runs), uploads, secret key and admin login to one file (0600)."""
    from annotate.labelstudio.service import backup, server

    config = config_dir()
    report = backup.backup(data_dir or server.default_data_dir(config), config_dir=config, output=output,
                           progress=info)  # fmt: skip
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    emit(report.as_dict(), fmt, str(report.path))
    info(f"Backed up {report.backend}: {counts}; {report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s.")


@server_app.command("restore")
def server_restore(
    backup_file: Annotated[Path, typer.Argument(help="A file from `annotate server backup`.")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="A new, empty data folder for the restored server.")],
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="sqlite, postgresql or postgresql://USER@HOST:PORT/DB. Default: the "
            "backup's. A SQLite backup restored into PostgreSQL moves a server up.",
        ),
    ] = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Restore a backup into a new data folder; then start it with `annotate server start --data-dir DIR`."""
    from annotate.labelstudio.service import backup

    report = backup.restore(backup_file, data_dir=data_dir, config_dir=config_dir(), database=database,
                            db_password=os.environ.get("PGPASSWORD"), pgpass=_pgpass(), progress=info)  # fmt: skip
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    emit(report.as_dict(), fmt, str(report.data_dir))
    info(f"Restored {report.source_backend} into {report.database.describe()}: {counts} ({report.seconds:.0f} s).")
    for table in report.skipped_tables:
        info(f"Warning: table {table} is not in the new database's schema; its rows were not copied.")
    info(f"Start it with: annotate server start --data-dir {report.data_dir}")


# users ----------------------------------------------------------------------------------------
EmailsArgument = Annotated[list[str], typer.Argument(help="E-mail addresses (case does not matter).")]


@users_app.command("add")
def users_add(emails: EmailsArgument, url: UrlOption = None, fmt: FormatOption = Format.text) -> None:
    """Give each person a way in that works.

    On the local server `annotate server start` runs, each new account gets a random password (printed
    once, not stored). On any other server annotate creates no account: each person signs up through
    the printed invite link with their address.
    """
    from annotate.labelstudio.api.users import add_users
    from annotate.labelstudio.service import accounts

    client, config = connect(url), config_dir()
    data_dir = accounts.local_data_dir(client.url, config)
    setter = (lambda email, password: accounts.set_password(data_dir, config, email, password)) if data_dir else None
    added = add_users(client, emails, set_password=setter)
    typer.echo(json.dumps([u.as_dict() for u in added], indent=2) if fmt is Format.json else _added_text(added))
    info(f"People log in at {client.url}" + ("; give each their password, annotate does not keep it."
                                                if any(u.password for u in added) else "."))  # fmt: skip


def _added_text(added: list[Any]) -> str:
    lines = []
    for user in added:
        if user.password:
            lines.append(f"{user.email}\tpassword: {user.password}")
        elif user.invite_url:
            lines.append(f"{user.email}\tsign up with this address at: {user.invite_url}")
        else:
            lines.append(f"{user.email}\talready has an account (id {user.id})")
    return "\n".join(lines)


@users_app.command("list")
def users_list(url: UrlOption = None, fmt: FormatOption = Format.text) -> None:
    """The server's active users, with each one's annotation count and last activity."""
    from annotate.labelstudio.api.users import list_users
    from annotate.labelstudio.service import accounts

    client, config = connect(url), config_dir()
    data_dir = accounts.local_data_dir(client.url, config)
    rows = list_users(client, inactive=accounts.inactive_accounts(data_dir, config) if data_dir else None)
    if fmt is Format.json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    for row in rows:
        state = {True: "", False: "\tDEACTIVATED", None: ""}[row.active]
        typer.echo(f"{row.id}\t{row.email}\t{row.annotations} annotations\tlast active: {row.last_activity}{state}")


@users_app.command("deactivate")
def users_deactivate(emails: EmailsArgument, url: UrlOption = None, fmt: FormatOption = Format.text) -> None:
    """Stop these people logging in (local server only); their annotations stay in exports."""
    from annotate.labelstudio.api.users import deactivate_users
    from annotate.labelstudio.service import accounts

    client, config = connect(url), config_dir()
    data_dir = accounts.local_data_dir(client.url, config)
    act = (lambda wanted: accounts.deactivate_accounts(data_dir, config, wanted)) if data_dir else None
    rows = deactivate_users(client, emails, deactivate=act)
    if fmt is Format.json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    for row in rows:
        typer.echo(f"{row.email}\tdeactivated ({row.annotations} annotations kept)")


# doctor ---------------------------------------------------------------------------------------
_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


@app.command("doctor")
def doctor(url: UrlOption = None, projects_dir: ProjectsDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Check the server a team depends on: reachable, version, key, database, project drift, disk, backups,
    settings file, analytics. Exit 1 when a check fails."""
    from annotate.labelstudio.api.projects import default_projects_dir
    from annotate.labelstudio.service.doctor import diagnose

    report = diagnose(
        config_dir=config_dir(),
        url=url or os.environ.get("LABEL_STUDIO_URL"),
        api_key=os.environ.get("LABEL_STUDIO_API_KEY"),
        projects_dir=projects_dir or default_projects_dir(),
    )
    lines = [
        f"{_MARK[c.status]}  {c.name}: {c.detail}" + (f"\n      -> {c.hint}" if c.hint else "") for c in report.checks
    ]
    emit(report.as_dict(), fmt, f"annotate doctor: {report.url}\n" + "\n".join(lines))
    if report.failed:
        raise typer.Exit(1)
