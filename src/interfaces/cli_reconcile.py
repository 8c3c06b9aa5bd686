"""``holdfast reconcile``: run a reconciliation in the foreground, with a progress bar and a report.

Exit status: 0 when nothing is left to repair, 1 when unrepaired drift remains, 2 when the run
failed (the report says why).
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING
from uuid import UUID

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.reconciliation import Finding, Reconciliation, ReconciliationKind, ReconciliationScope, ReconciliationStatus

if TYPE_CHECKING:
    from infrastructure.container import Container

EXIT_DRIFT, EXIT_FAILED = 1, 2


@click.command()
@click.argument("kind", type=click.Choice([kind.value for kind in ReconciliationKind]))
@click.option("--tenant", "tenant_id", type=click.UUID, help="only this tenant's pools or bookings")
@click.option("--listing", "listing_id", type=click.UUID, help="only this listing's pools or bookings")
@click.option("--repair", is_flag=True, help="inventory only: rebuild the engine's counters and holds from Postgres")
def reconcile(kind: str, tenant_id: UUID | None, listing_id: UUID | None, repair: bool) -> None:
    """Compare the inventory engine (or the payment gateway) with Postgres and report the drift."""
    from application.use_cases.start_reconciliation import StartReconciliation
    from interfaces.cli import _run

    scope = ReconciliationScope(tenant_id, listing_id)
    command = StartReconciliation(ReconciliationKind(kind), scope, repair, f"cli:{getpass.getuser()}")

    async def work(container: Container) -> Reconciliation:
        run = await container.use_cases.start_reconciliation().record(command)
        with Progress(
            TextColumn(f"{kind}"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
        ) as bar:
            task = bar.add_task(kind, total=None)

            async def progress(checked: int, total: int | None) -> None:
                bar.update(task, completed=checked, total=total)

            finished: Reconciliation = await container.use_cases.run_reconciliation()(run.id, progress)
            return finished

    run = _run(work)  # a DomainError (an unknown tenant...) exits 2 = EXIT_FAILED, through cli_errors
    click.echo(report(run))
    if run.status is not ReconciliationStatus.SUCCEEDED:
        sys.exit(EXIT_FAILED)
    if run.drift:
        sys.exit(EXIT_DRIFT)


def report(run: Reconciliation) -> str:
    """The run as plain text: one line of summary, then one line per finding."""
    total = "?" if run.total is None else run.total
    lines = [
        f"reconciliation {run.id} ({run.kind}{', repair' if run.repair else ''}): {run.status}; "
        f"checked {run.checked} of {total}; {_count(len(run.findings), 'finding')}, drift {run.drift}"
        + (f", overbooked {run.overbooked}" if run.overbooked else "")
    ]
    if run.error:
        lines.append(f"error: {run.error}")
    lines += [_finding_line(finding) for finding in run.findings]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _finding_line(finding: Finding) -> str:
    difference = "" if finding.difference is None else f" (difference {finding.difference})"
    state = "repaired" if finding.repaired else finding.kind.value
    compared = f"expected {finding.expected}, actual {finding.actual}{difference}"
    return f"  [{state}] {finding.subject} {finding.field}: {compared}"
