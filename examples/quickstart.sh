#!/usr/bin/env bash
# Set up annotate on a fresh machine and get an annotator to a loaded project:
# install into .venv, start a local Label Studio, create the claims and verification projects,
# split, load and pre-annotate the example article, then print where to log in. Safe to rerun: every step finds what it made before.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Error: annotate needs Python 3.11 or newer (found $(python3 --version 2>&1))" >&2; exit 1; }

[ -x .venv/bin/python ] || python3 -m venv .venv
echo "Installing annotate and Label Studio into .venv (about a minute the first time) ..." >&2
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[server,dev,semantic]'

annotate=.venv/bin/annotate
$annotate server start >/dev/null
project_id=$($annotate project create claims)
$annotate project create verification >/dev/null
tasks="${TMPDIR:-/tmp}/annotate-example-tasks.jsonl"
$annotate split examples/articles/ -o "$tasks"
$annotate load "$tasks" --project claims
$annotate prelabel --project claims

url=$($annotate server status --format json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["url"])')
echo
$annotate server status
echo
echo "Annotate here: $url/projects/$project_id/data"
echo "Log in with the user and the password shown above (the password is in the settings file)."
echo "Stop the server with: .venv/bin/annotate server stop"
