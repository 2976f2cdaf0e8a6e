"""Dependencies declared exactly: every distribution `annotate/` imports is in pyproject.toml (the
core list or an extra), and nothing in the core list or the runtime extras goes unimported."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Declared for what they run, not imported: Label Studio and gunicorn are programs (`label-studio`,
# `python -m gunicorn`).
RUN_NOT_IMPORTED = {"label-studio", "gunicorn"}
EXTRAS_AT_RUN_TIME = ("semantic", "onnx", "server")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def declared() -> tuple[set[str], set[str]]:
    """(core, runtime extras) distribution names."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return ({_name(r) for r in project["dependencies"]},
            {_name(r) for extra in EXTRAS_AT_RUN_TIME for r in extras[extra]})  # fmt: skip


def imported() -> dict[str, set[str]]:
    """Top-level module names `annotate/` imports (not its own, not the stdlib) -> the modules importing them."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "annotate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])  # fmt: skip
            for name in names:
                top = name.split(".")[0]
                if top != "annotate" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_declared_and_every_declared_one_is_used() -> None:
    core, extras = declared()
    owners = packages_distributions()
    used = {}
    for module, where in imported().items():
        dists = {d.lower().replace("_", "-") for d in owners.get(module, [module])}
        used[module] = dists
        assert dists & (core | extras), f"{module} (imported by {sorted(where)}) is not declared in pyproject.toml"
    every = set().union(*used.values())
    unused = (core | extras) - every - RUN_NOT_IMPORTED
    assert not unused, f"declared but never imported by annotate/: {sorted(unused)}"


def test_the_programs_declared_for_what_they_run_are_run() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "annotate").rglob("*.py"))
    assert '"gunicorn"' in source and '"label-studio"' in source
