"""`factcheck check` and `factcheck db search`: the verdict pipeline from the command line."""

from __future__ import annotations

import json
import re
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from factcheck.cli._apps import app, db_app, read_source, user_errors
from factcheck.ingest import SourceKind
from factcheck.ingest.mail import is_mailbox, mailbox_bytes
from factcheck.language import LANGUAGE_TAG, fact_check_language_note, language_name
from factcheck.mailboxes import REPORT_FORMATS, ReportFormat, check_mailbox, open_report_writer
from factcheck.serialize import MatchOut, ReportOut
from factcheck.settings import Settings
from factcheck.types import Report
from factcheck.verdicts import describe_status, rating_class

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

# Red only for debunked; a fact-check that supports the claim is green, the other ratings neutral.
_STATUS_STYLE = {
    "debunked": "bold red",
    "fact_checked": "bold blue",
    "possibly_related": "cyan",
    "needs_review": "yellow",
    "no_match": "dim",
    "not_checkworthy": "dim",
}
_SUPPORTED_STYLE = "bold green"


def _language_option(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(LANGUAGE_TAG, value):
        raise typer.BadParameter(f"{value!r} is not a language code such as fr or fr-FR")
    return value


def _checker() -> Checker:
    """The configured Checker with the editors' rejections; imported here, as it loads the models."""
    from factcheck.pipeline import Checker
    from factcheck.review import ReviewQueue

    return Checker.from_settings(Settings(), rejections=lambda store: ReviewQueue(store).rejection_check())


@app.command()
def check(
    source: Annotated[
        str,
        typer.Argument(
            help="A file (text, .html, .eml), an mbox file or Maildir folder, an http(s) URL, or - for stdin."
        ),
    ],
    kind: Annotated[SourceKind | None, typer.Option(help="Skip detection: text, html, url or email.")] = None,
    include_all: Annotated[
        bool, typer.Option("--all", help="Also list sentences that are not check-worthy.")
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            help="The source's language (fr, fr-FR) when you know it; default: declared by the source, "
            "else detected.",
            callback=_language_option,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Mailboxes: write the reports to this file.")
    ] = None,
    report_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", help="Mailboxes: jsonl, csv or html (default: from -o's extension, else jsonl)."
        ),
    ] = None,
) -> None:
    """Check a document's claims against the debunk database; or every message of a mailbox.

    A mailbox (an mbox file, or a Maildir folder with cur/ and new/) is read one message at a time,
    with a progress bar, and gives one report per message; a message that cannot be read is skipped
    with its position and reason.

    Example:

        factcheck check chain-letter.eml
        curl -s https://example.org/story | factcheck check - --kind html --json
        factcheck check tipline.mbox -o tipline.html
    """
    mailbox = Path(source) if source != "-" and is_mailbox(Path(source)) else None
    with user_errors():
        checker = _checker()
        if mailbox is not None:
            _check_mailbox(checker, mailbox, output, report_format or _format_of(output))
            return
        report = checker.check(read_source(source), kind=kind, include_all=include_all, language=language)
    if as_json:
        typer.echo(json.dumps(ReportOut.of(report).model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    _print_report(report)


def _format_of(output: Path | None) -> ReportFormat:
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return cast(ReportFormat, suffix if suffix in REPORT_FORMATS else "jsonl")


def _check_mailbox(checker: Checker, mailbox: Path, output: Path | None, report_format: ReportFormat) -> None:
    """Stream the mailbox's reports to `output` (stdout if none); a summary and the skipped ones on stderr."""
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]Checking messages"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[messages]} messages, {task.fields[flagged]} flagged"),
        TimeRemainingColumn(),
        console=console,
        disable=not sys.stderr.isatty(),
        transient=True,
    )
    task = progress.add_task("mailbox", total=mailbox_bytes(mailbox), messages=0, flagged=0)
    messages = flagged = 0
    skipped: list[str] = []
    with (
        output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as stream,
        progress,
    ):
        writer = open_report_writer(stream, report_format)
        for result in check_mailbox(checker, mailbox):
            messages += 1
            if result.skipped:
                skipped.append(f"#{result.message.position} ({result.message.location}): {result.skipped}")
            elif result.report is not None and any(v.status == "debunked" for v in result.report.claims):
                flagged += 1
            writer.write(result)
            progress.update(task, advance=result.message.size, messages=messages, flagged=flagged)
        writer.close()
    for line in skipped:
        console.print(f"skipped {line}", highlight=False, soft_wrap=True, markup=False)
    console.print(
        f"{messages:,} messages, {flagged:,} with a debunked claim, {len(skipped):,} skipped"
        + (f"; reports in {output}" if output else ""),
        highlight=False,
        soft_wrap=True,
    )


def _print_report(report: Report) -> None:
    console = Console()
    document = report.document
    console.print(f"[bold]{document.title or '(untitled)'}[/bold] {document.source_url}".rstrip())
    if document.language and document.language != "en":
        console.print(
            f"language: {language_name(document.language)}", style="dim", highlight=False, markup=False
        )
    for index, block in enumerate(document.blocks):
        origin = f"block {index}: quote depth {block.quote_depth}, {block.forwards} forward(s)"
        sender = f", from {block.sender}" if block.sender else ""
        console.print(origin + sender, style="dim", highlight=False, markup=False)
    if document.reader_note:
        note = f"forwarder's note (not checked): {document.reader_note}"
        console.print(note, style="dim", highlight=False, markup=False)
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
        shown = verdict.shown
        style = _STATUS_STYLE[verdict.status]
        if verdict.status == "fact_checked" and shown and rating_class(shown.debunk.label) == "supported":
            style = _SUPPORTED_STYLE
        label = describe_status(verdict.status, shown.debunk.label if shown else None)
        claim = verdict.claim
        if (
            best
            and verdict.signal is None
            and (note := fact_check_language_note(best.debunk.language, claim.language))
        ):
            debunk += f"\n{note}"
        table.add_row(
            f"{claim.start}-{claim.end}",
            escape(claim.text)
            + (f"\n[dim]language: {language_name(claim.language)}[/]" if claim.language != "en" else ""),
            f"[{style}]{escape(label)}[/]",
            f"{claim.checkworthiness:.2f}" + (" (transferred)" if claim.checkworthiness_transferred else ""),
            escape(debunk),
            (f"{best.probability:.2f}" if best else "")
            + (f"\nblock {verdict.block_confidence:.2f}" if verdict.block_confidence is not None else ""),
        )
    console.print(table)
    counts = {status: sum(v.status == status for v in report.claims) for status in _STATUS_STYLE}
    console.print(
        ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items() if n) or "no claims",
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
