"""`factcheck check` and `factcheck db search`: the verdict pipeline from the command line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from factcheck.cli._apps import app, db_app, read_source, user_errors
from factcheck.ingest import SourceKind
from factcheck.serialize import MatchOut, ReportOut
from factcheck.settings import Settings
from factcheck.types import Report

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

_STATUS_STYLE = {
    "debunked": "bold red",
    "needs_review": "yellow",
    "no_match": "dim",
    "not_checkworthy": "dim",
}


def _checker() -> Checker:
    """The configured Checker with the editors' rejections; imported here, as it loads the models."""
    from factcheck.pipeline import Checker
    from factcheck.review import ReviewQueue

    return Checker.from_settings(Settings(), rejections=lambda store: ReviewQueue(store).rejection_check())


@app.command()
def check(
    source: Annotated[
        str, typer.Argument(help="A file (text, .html, .eml), an http(s) URL, or - for stdin.")
    ],
    kind: Annotated[SourceKind | None, typer.Option(help="Skip detection: text, html, url or email.")] = None,
    include_all: Annotated[
        bool, typer.Option("--all", help="Also list sentences that are not check-worthy.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a document's claims against the debunk database.

    Example:

        factcheck check chain-letter.eml
        curl -s https://example.org/story | factcheck check - --kind html --json
    """
    with user_errors():
        checker = _checker()
        report = checker.check(read_source(source), kind=kind, include_all=include_all)
    if as_json:
        typer.echo(json.dumps(ReportOut.of(report).model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    _print_report(report)


def _print_report(report: Report) -> None:
    console = Console()
    document = report.document
    console.print(f"[bold]{document.title or '(untitled)'}[/bold] {document.source_url}".rstrip())
    table = Table(show_lines=True)
    for column in ("span", "claim", "status", "worthy", "best debunk", "conf."):
        table.add_column(column, overflow="fold")
    for verdict in report.claims:
        best = verdict.matches[0] if verdict.matches else None
        debunk = (
            f"{best.debunk.rating_text or best.debunk.label} ({best.debunk.reviewer_name}): "
            f"{best.debunk.claim_reviewed}\n{best.debunk.review_url}"
            if best
            else ""
        )
        if verdict.signal is not None:
            debunk = f"weak signal: {verdict.signal.label} (p_false {verdict.signal.false_probability:.2f})"
        table.add_row(
            f"{verdict.claim.start}-{verdict.claim.end}",
            verdict.claim.text,
            f"[{_STATUS_STYLE[verdict.status]}]{verdict.status}[/]",
            f"{verdict.claim.checkworthiness:.2f}",
            debunk,
            f"{best.probability:.2f}" if best else "",
        )
    console.print(table)
    counts = {status: sum(v.status == status for v in report.claims) for status in _STATUS_STYLE}
    console.print(
        ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "no claims",
        f"({report.timings_ms.get('total', 0):.0f} ms)",
    )


@db_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="The claim to look for.")],
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the debunks that address a claim (the matcher, with calibrated confidence).

    Example:

        factcheck db search "microchips in vaccines"
    """
    with user_errors():
        matches = _checker().search(text, k=limit)
    if as_json:
        typer.echo(
            json.dumps(
                [MatchOut.of(m).model_dump(mode="json") for m in matches], indent=2, ensure_ascii=False
            )
        )
        return
    if not matches:
        typer.echo("No debunk found.")
    for rank, match in enumerate(matches, start=1):
        debunk = match.debunk
        typer.echo(f"{rank}. [{match.probability:.2f}] {debunk.claim_reviewed}")
        typer.echo(
            f"   {debunk.rating_text or debunk.label} - {debunk.reviewer_name} {debunk.review_url}".rstrip()
        )
