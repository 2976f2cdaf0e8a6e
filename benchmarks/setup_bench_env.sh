#!/usr/bin/env bash
# A separate environment for the tools annotate is compared with (never the project's own:
# pysbd's wheel installs a top-level `benchmarks` package) and for the Lee news corpus (gensim).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .bench-venv/bin/python ] || python3 -m venv .bench-venv
.bench-venv/bin/python -m pip install --quiet --upgrade pip
.bench-venv/bin/python -m pip install --quiet 'pysbd==0.3.4' gensim
echo "ready: .bench-venv/bin/python" >&2
