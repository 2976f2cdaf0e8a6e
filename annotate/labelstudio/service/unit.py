"""`annotate server unit`: a systemd unit that runs the server in the foreground, so that it, its
PostgreSQL and its workers come back after a reboot or a crash."""

from __future__ import annotations

import getpass
import shlex
import sys
from pathlib import Path


def systemd_unit(
    *, data_dir: Path, config_dir: Path, port: int | None = None, host: str | None = None,
    public_url: str | None = None, workers: int | None = None, user: str | None = None,
) -> str:  # fmt: skip
    """The unit's text. ExecStart is `annotate server start --foreground` with these options (the
    python of this environment, so the unit runs the annotate and Label Studio installed here);
    ExecStop is `annotate server stop`, which also stops annotate's own PostgreSQL."""
    annotate = [sys.executable, "-m", "annotate"]
    where = ["--data-dir", str(data_dir)]
    options = [*where]
    for flag, value in (("--port", port), ("--host", host), ("--public-url", public_url), ("--workers", workers)):
        if value is not None:
            options += [flag, str(value)]
    start = shlex.join([*annotate, "server", "start", "--foreground", *options])
    stop = shlex.join([*annotate, "server", "stop", *where])
    return "\n".join([
        "# Written by `annotate server unit`. Install: save as /etc/systemd/system/annotate.service, then",
        "#   systemctl daemon-reload && systemctl enable --now annotate",
        "[Unit]",
        f"Description=Label Studio for annotate (data in {data_dir})",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"User={user or getpass.getuser()}",
        f"Environment={shlex.quote(f'ANNOTATE_CONFIG_DIR={config_dir}')}",
        f"ExecStart={start}",
        f"ExecStop={stop}",
        "Restart=on-failure",
        "RestartSec=5",
        "# A first start applies the database's migrations: about a minute.",
        "TimeoutStartSec=300",
        "# gunicorn finishes the requests in flight (graceful_timeout 30 s), then the rest is stopped.",
        "KillMode=mixed",
        "TimeoutStopSec=60",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])  # fmt: skip
