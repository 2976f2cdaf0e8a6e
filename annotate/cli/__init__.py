"""The `annotate` command line: one module per group of commands, each command parsing its options,
calling one library function and rendering its report. `annotate.cli:main` is the entry point."""

from annotate.cli import articles, dataset, exports, loop, projects, server  # noqa: F401  (they register commands)
from annotate.cli.app import app


def main() -> None:
    app()
