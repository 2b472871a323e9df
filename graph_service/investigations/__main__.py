"""`python -m graph_service.investigations controllers …`, with the main command's error handling."""

from __future__ import annotations

import sys

import typer

from graph_service.investigations.cli import controllers_command


def _root() -> None:
    """Investigations over the configured store (docs/investigations.md)."""


def main(argv: list[str] | None = None) -> None:
    from graph_service.cli import CliError, err

    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    app.callback()(_root)  # keeps `controllers` a named subcommand of a one-command app
    app.command("controllers")(controllers_command)
    try:
        app(args=argv)
    except CliError as exc:
        err.print(f"credit-graph: {exc}", markup=False, highlight=False)
        sys.exit(exc.code)


if __name__ == "__main__":
    main()
