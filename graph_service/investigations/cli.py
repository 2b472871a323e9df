"""`credit-graph controllers`: actual controllers computed from shares, shown or written back.

Meant to be registered on the main command in graph_service/cli.py, as the snapshot commands are;
`python -m graph_service.investigations controllers …` runs it meanwhile. The main command's helpers are
imported when the command runs, because the main command imports this module to register it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from graph_service.identifiers import IdentifierError, validate_uscc
from graph_service.investigations.common import InvestigationError
from graph_service.investigations.controllers import (
    ControllerRule,
    actual_controllers,
    write_back_controllers,
)


def controllers_command(
    uscc: Annotated[
        list[str] | None, typer.Option("--uscc", help="统一社会信用代码; repeat for several (all if absent)")
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day (YYYY-MM-DD); today if absent")
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Store computed controllers as ACTUAL_CONTROLLER_OF (basis=computed) from the day, and "
            "close the computed edges the shares no longer support; without it, only show the answer",
        ),
    ] = False,
) -> None:
    """Actual controllers (实际控制人): declared ones, else computed from cumulative shares."""
    from graph_service.cli import CliError, _settings, _store, out

    try:
        codes = [validate_uscc(u) for u in uscc] if uscc else None
    except IdentifierError as exc:
        raise CliError(f"--uscc: {exc}", code=2) from None
    if codes is None and not write:
        raise CliError("--uscc: name the enterprises to show, or give --write to recompute all", code=2)
    day = as_of.date() if as_of else date.today()
    settings = _settings()
    rule = ControllerRule.of(settings)
    with _store(settings) as store:
        try:
            if write:
                report = write_back_controllers(store, day, rule, codes)
                table = Table(
                    title=f"computed controllers on {day}: {report.examined} enterprises, "
                    f"{len(report.opened)} opened, {len(report.closed)} closed, {report.unchanged} unchanged"
                )
                for column in ("enterprise", "holder", "change", "share", "reason"):
                    table.add_column(column)
                for change in (*report.opened, *report.closed):
                    share = "" if change.share is None else f"{change.share:.2%}"
                    table.add_row(change.enterprise, change.holder_key, change.change, share, change.reason)
                out.print(table)
                return
            for code in codes or []:
                result = actual_controllers(store, code, day, rule)
                table = Table(title=f"{result.enterprise.name} {code} on {day}: {result.basis}")
                for column in ("controller", "basis", "share", "reason"):
                    table.add_column(column)
                for c in result.controllers:
                    share = "" if c.share is None else f"{c.share:.2%}"
                    table.add_row(f"{c.subject.name} {c.subject.key}", c.basis, share, c.reason)
                out.print(table)
        except InvestigationError as exc:
            raise CliError(str(exc)) from None
