"""The command reference, made from the commands themselves: docs/cli-reference.md is this module's
output (`python -m annotate.cli.reference > docs/cli-reference.md`), and a test regenerates it and
compares, so the docs cannot drift from `--help`. Written from click's parameters, not from rich's
rendering of --help, so that it does not depend on the terminal or on rich's version."""

from __future__ import annotations

import inspect
from typing import Any

import typer

from annotate.cli import app


def _commands() -> list[tuple[str, Any]]:
    group = typer.main.get_command(app)
    found = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [(f"{name} {sub}", subcommands[sub]) for sub in sorted(subcommands)]
        else:
            found.append((name, command))
    return found


def _default(param: Any) -> str:
    default: Any = param.default
    if param.required or default is None or callable(default) or default == () or isinstance(default, bool):
        return ""
    if hasattr(default, "value"):  # an enum
        default = default.value
    return f" Default: `{default}`."


def _row(param: Any) -> str:
    """One parameter as a table row: its names, its help, its default (click's stable attributes only)."""
    if param.param_type_name == "argument":
        names = f"`{param.name.upper()}`" + (" (required)" if param.required else "")
    else:
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    help_text = " ".join((getattr(param, "help", None) or "").split()).replace("|", "\\|")
    return f"| {names} | {help_text}{_default(param)} |"


def reference() -> str:
    lines = ["# Command reference", "",
             "Generated from the code by `python -m annotate.cli.reference` (tests/test_docs.py checks it is current).",
             "What each command is for, with its contracts, is in [commands.md](commands.md).", ""]  # fmt: skip
    for name, command in _commands():
        if getattr(command, "hidden", False):
            continue
        lines += [
            f"## annotate {name}",
            "",
            inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " "),
            "",
        ]
        params = [p for p in command.params if not getattr(p, "hidden", False) and p.name != "help"]
        if params:
            lines += ["| parameter | |", "|---|---|", *(_row(p) for p in params), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")
