"""Check a whole mailbox (mbox file or Maildir folder) and write one report per message.

A newsroom's tipline inbox or a reader's exported mail: every message goes through the e-mail path
of the Checker on its own, so one unreadable message is skipped with its position and reason and
the run goes on. Messages are read and reports written one at a time (jsonl, csv, or html with the
matched blocks), so memory stays flat however large the mailbox.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO, get_args

from factcheck.errors import FactcheckError
from factcheck.ingest.mail import MailboxMessage, iter_mailbox, message_headers
from factcheck.serialize import ReportOut
from factcheck.types import Report
from factcheck.verdicts import describe_status

__all__ = [
    "REPORT_FORMATS",
    "MailboxCheck",
    "ReportFormat",
    "check_mailbox",
    "open_report_writer",
]

ReportFormat = Literal["jsonl", "csv", "html"]
REPORT_FORMATS: tuple[str, ...] = get_args(ReportFormat)
# The statuses a report lists a fact-check for, strongest first: the reader's tiers, then the editors' one.
_LISTED = ("debunked", "fact_checked", "possibly_related", "needs_review")


class ChecksEmail(Protocol):
    def check(self, source: bytes, *, kind: Literal["email"]) -> Report: ...


@dataclass(frozen=True)
class MailboxCheck:
    """One message's outcome: its report, or why it was skipped."""

    message: MailboxMessage
    headers: dict[str, str]
    report: Report | None
    skipped: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.message.position,
            "location": self.message.location,
            "message_id": self.headers.get("message-id", ""),
            "from": self.headers.get("from", ""),
            "date": self.headers.get("date", ""),
            "subject": self.headers.get("subject", ""),
            "skipped": self.skipped or None,
            "report": ReportOut.of(self.report).model_dump(mode="json") if self.report is not None else None,
        }


def check_mailbox(
    checker: ChecksEmail, path: Path, *, on_message: Callable[[MailboxMessage], None] | None = None
) -> Iterator[MailboxCheck]:
    """Check every message of the mailbox at `path`, in order; `on_message` sees each one (progress)."""
    for message in iter_mailbox(path):
        if on_message is not None:
            on_message(message)
        if message.raw is None:
            yield MailboxCheck(message, {}, None, message.error)
            continue
        try:
            headers = message_headers(message.raw)
        except (ValueError, TypeError, IndexError):  # the header block itself is unreadable
            headers = {}
        try:
            yield MailboxCheck(message, headers, checker.check(message.raw, kind="email"))
        except FactcheckError as error:
            yield MailboxCheck(message, headers, None, " ".join(str(error).split()))


class ReportWriter(Protocol):
    def write(self, result: MailboxCheck) -> None: ...
    def close(self) -> None: ...


def open_report_writer(stream: TextIO, report_format: ReportFormat) -> ReportWriter:
    writers: dict[str, Callable[[TextIO], ReportWriter]] = {
        "jsonl": _JsonlWriter,
        "csv": _CsvWriter,
        "html": _HtmlWriter,
    }
    return writers[report_format](stream)


class _JsonlWriter:
    """The full report of each message, one JSON object per line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, result: MailboxCheck) -> None:
        self.stream.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.stream.flush()


_CSV_COLUMNS = (
    "position", "location", "message_id", "from", "date", "subject", "skipped", "claims", *_LISTED, "best_claim", "best_status", "best_debunk", "best_review_url", "best_confidence",
    "best_quote_depth",
)  # fmt: skip


class _CsvWriter:
    """One row per message: its counts and its strongest match, for a spreadsheet."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.rows = csv.DictWriter(stream, fieldnames=_CSV_COLUMNS)
        self.rows.writeheader()

    def write(self, result: MailboxCheck) -> None:
        row: dict[str, Any] = {
            name: value for name, value in result.to_dict().items() if name in _CSV_COLUMNS
        }
        report = result.report
        if report is not None:
            row["claims"] = len(report.claims)
            row |= {status: sum(v.status == status for v in report.claims) for status in _LISTED}
            shown = [v for v in report.claims if v.status in _LISTED and v.matches]
            if shown:
                best = min(shown, key=lambda v: (_LISTED.index(v.status), -v.matches[0].probability))
                block = report.document.blocks[best.block] if best.block is not None else None
                row |= {
                    "best_claim": best.claim.text,
                    "best_status": best.status,
                    "best_debunk": best.matches[0].debunk.claim_reviewed,
                    "best_review_url": best.matches[0].debunk.review_url,
                    "best_confidence": round(best.matches[0].probability, 4),
                    "best_quote_depth": block.quote_depth if block else "",
                }
        self.rows.writerow(row)

    def close(self) -> None:
        self.stream.flush()


_HTML_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mailbox check</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.6rem 0}
h2{font-size:1rem;margin:.2rem 0}
.meta{color:#666;font-size:.85rem}
blockquote{border-left:3px solid #ccc;margin:.4rem 0;padding:.1rem .8rem;white-space:pre-wrap}
.debunked{color:#a40000;font-weight:600}
.fact_checked{color:#1d4f91;font-weight:600}
.possibly_related{color:#555}
.needs_review{color:#8a6d00}
.skipped{color:#666;font-style:italic}
</style></head><body><h1>Mailbox check</h1>
"""


class _HtmlWriter:
    """A page with a section per message: the matched block as quoted, each claim with its fact-check."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.stream.write(_HTML_HEAD)

    def write(self, result: MailboxCheck) -> None:
        message, headers = result.message, result.headers
        title = headers.get("subject") or "(no subject)"
        parts = [
            f'<section id="m{message.position}"><h2>#{message.position} {escape(title)}</h2>',
            f'<p class="meta">{escape(headers.get("from", ""))} · {escape(headers.get("date", ""))} · '
            f"{escape(message.location)}</p>",
        ]
        report = result.report
        if report is None:
            parts.append(f'<p class="skipped">skipped: {escape(result.skipped)}</p>')
        else:
            shown = [v for v in report.claims if v.status in _LISTED and v.matches]
            if not shown:
                parts.append('<p class="meta">no known fact-checked claim</p>')
            for index, block in enumerate(report.document.blocks):
                in_block = [v for v in shown if v.block == index]
                if not in_block:
                    continue
                origin = f"quote depth {block.quote_depth}, {block.forwards} forward(s)"
                if block.sender:
                    origin += f", from {block.sender}"
                parts.append(f'<p class="meta">matched block ({escape(origin)}):</p>')
                parts.append(
                    f"<blockquote>{escape(report.document.text[block.start : block.end])}</blockquote>"
                )
            parts.append("<ul>")
            for verdict in shown:
                debunk = verdict.matches[0].debunk
                title = escape(debunk.claim_reviewed)
                link = (
                    f'<a href="{escape(debunk.review_url)}">{title}</a>'
                    if debunk.review_url.startswith(("https://", "http://"))
                    else title
                )
                parts.append(
                    f'<li><span class="{verdict.status}">{escape(describe_status(verdict.status, debunk.label))}'
                    f"</span> ({verdict.matches[0].probability:.2f}): “{escape(verdict.claim.text)}” — "
                    f"{escape(debunk.rating_text or debunk.label)} by {escape(debunk.reviewer_name)}: {link}</li>"
                )
            parts.append("</ul>")
        parts.append("</section>\n")
        self.stream.write("\n".join(parts))

    def close(self) -> None:
        self.stream.write("</body></html>\n")
        self.stream.flush()
