"""`annotate server proxy-config`: the nginx configuration that puts TLS in front of the server.

nginx terminates TLS on the public address, serves Label Studio's static files from the installed
package itself (as Label Studio's production image does), and passes everything else to the server
on 127.0.0.1 with the headers it needs. The server is started with the same `--public-url`, so its
links and its CSRF check use the public address. Tested for real by `pytest -m deploy`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from annotate.errors import UsageError

UPLOAD_LIMIT = "250m"  # task imports go through the proxy
# Seconds nginx waits for an answer. Exports run inside the request: one of 100,000 tasks did not end
# within 5 minutes while 32 annotators worked on a 2-core server (benchmarks/concurrency_bench.py).
READ_TIMEOUT = 1800


def static_root() -> Path:
    """Label Studio's collected static files (its STATIC_ROOT), in the installed package."""
    from annotate.labelstudio.service.wsgi import label_studio_path

    return Path(label_studio_path()) / "core" / "static_build"


def nginx_config(public_url: str, *, port: int = 8080, cert: Path | None = None, key: Path | None = None,
                 static: Path | None = None) -> str:  # fmt: skip
    """The nginx server blocks for `public_url` (https://HOST[:PORT]) in front of 127.0.0.1:`port`."""
    parts = urlsplit(public_url)
    try:
        listen = parts.port or 443
    except ValueError:
        listen = None
    if parts.scheme != "https" or not parts.hostname or listen is None or parts.path.strip("/"):
        raise UsageError(f"--public-url must be https://HOST or https://HOST:PORT, not {public_url!r}",
                         hint="the address people open: TLS is what the proxy is for")  # fmt: skip
    host = parts.hostname
    cert = cert or Path(f"/etc/letsencrypt/live/{host}/fullchain.pem")
    key = key or Path(f"/etc/letsencrypt/live/{host}/privkey.pem")
    static = static or static_root()
    upstream = f"http://127.0.0.1:{port}"
    blocks = [
        f"# Written by `annotate server proxy-config --public-url {public_url}`. Start the server with",
        f"#   annotate server start --database postgresql --port {port} --public-url {public_url}",
        "# so that its links and CSRF check use the public address; it keeps listening on 127.0.0.1.",
        "server {",
        f"    listen {listen} ssl;",
        f"    server_name {host};",
        f"    ssl_certificate     {cert};",
        f"    ssl_certificate_key {key};",
        "    ssl_protocols TLSv1.2 TLSv1.3;",
        f"    client_max_body_size {UPLOAD_LIMIT};   # task imports",
        f"    proxy_read_timeout {READ_TIMEOUT}s;    # exports run inside the request (100,000 tasks: minutes)",
        f"    proxy_send_timeout {READ_TIMEOUT}s;",
        '    add_header Strict-Transport-Security "max-age=31536000" always;',
        "",
        "    # Label Studio's static files, from the installed package (hashed names: cached long).",
        "    location /static/ {",
        f"        alias {static}/;",
        "        expires 30d;",
        "        access_log off;",
        "    }",
        "    # Made by a view, not a file.",
        "    location = /static/fonts/roboto/roboto.css {",
        f"        proxy_pass {upstream};",
        "        proxy_set_header Host $http_host;",
        "    }",
        "    location / {",
        f"        proxy_pass {upstream};",
        "        proxy_set_header Host $http_host;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_redirect off;",
        "    }",
        "}",
    ]
    if listen == 443:
        blocks += ["server {", "    listen 80;", f"    server_name {host};",
                   "    return 301 https://$host$request_uri;", "}"]  # fmt: skip
    return "\n".join(blocks) + "\n"
