"""README, docs/ and --help stay in step: every command is in the README and in docs/commands.md, the
two commands are there, and docs/cli-reference.md is what the code generates."""

from __future__ import annotations

import typer

from annotate.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    return names


def test_every_command_is_in_the_readme_and_in_the_commands_page() -> None:
    assert [c for c in _commands() if f"`annotate {c}" not in README] == []
    assert [c for c in _commands() if f"`annotate {c}" not in COMMANDS] == []


def test_the_command_reference_is_what_the_code_generates() -> None:
    from annotate.cli.reference import reference

    written = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert written == reference(), (
        "docs/cli-reference.md is stale: python -m annotate.cli.reference > docs/cli-reference.md"
    )


def test_the_readme_is_short_and_every_docs_link_resolves() -> None:
    import re

    assert README.count("\n") <= 200
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), (page.name, target)


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
            assert option in DOCS, (command, option)
    assert "--split 80/10/10\\|source" in COMMANDS and "--reference-as hidden\\|predictions" in COMMANDS
