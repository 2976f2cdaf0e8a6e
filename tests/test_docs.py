"""README and --help stay in step: every command is documented, and the two commands are there."""

from __future__ import annotations

import typer

from annotate.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    return names


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands() if f"`annotate {c}" not in README]
    assert missing == []


def test_readme_has_the_two_commands() -> None:
    assert "bash examples/quickstart.sh" in README
    assert ".venv/bin/python -m pytest" in README
    assert (ROOT / "examples" / "quickstart.sh").exists()


def test_the_benchmark_options_are_in_help_and_readme() -> None:
    from typer.testing import CliRunner

    for command, options in {
        "split": ["--corpus", "--id-column", "--text-column", "--article-column", "--label-column"],
        "load": ["--reference-as"],
        "combine": ["--split"],
        "train": ["--eval"],
    }.items():
        help_text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        for option in options:
            assert option in help_text, (command, option)
            assert option in README, (command, option)
    assert "--split 80/10/10\\|source" in README and "--reference-as hidden\\|predictions" in README
