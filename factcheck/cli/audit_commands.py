"""`factcheck audit`: who changed what and when, from the audit log, as a table or as CSV."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from factcheck.cli._apps import app, open_database, user_errors
from factcheck.errors import InputError
from factcheck.settings import Settings
from factcheck.store import AuditEntry, write_audit_csv


def parse_moment(text: str, *, option: str) -> datetime | None:
    """A date (2026-12-07) or a date and time, read as UTC; empty is None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} must be a date like 2026-12-07 or 2026-12-07T14:30, not {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("audit")
def audit(
    actor: Annotated[str, typer.Option(help="Who: part of the actor's name (ana finds editor:ana).")] = "",
    action: Annotated[str, typer.Option(help="What: confirm, reject, create, update, retire, ...")] = "",
    target_type: Annotated[str, typer.Option(help="debunk, review_item, user, api_key, ...")] = "",
    target_id: Annotated[str, typer.Option(help="The id of one debunk, item or user.")] = "",
    since: Annotated[str, typer.Option(help="From this UTC date or time on (inclusive).")] = "",
    until: Annotated[str, typer.Option(help="Before this UTC date or time.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 50,
    csv: Annotated[
        bool, typer.Option("--csv", help="Write CSV (before/after as JSON) instead of a table.")
    ] = False,
) -> None:
    """Show the audit log, newest first: who changed what, when, and the values before and after."""
    with user_errors():
        store = open_database(Settings())
        entries = store.audit_entries(
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id or None,
            since=parse_moment(since, option="--since"),
            until=parse_moment(until, option="--until"),
            limit=limit,
        )
    if csv:
        write_audit_csv(entries, sys.stdout)
        return
    if not entries:
        typer.echo("No audit entries match.")
    for entry in entries:
        typer.echo(_line(entry))


def _line(entry: AuditEntry) -> str:
    at = entry.at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(entry.at, datetime) else str(entry.at)
    changed = "; ".join(f"{name}: {_json(old)} -> {_json(new)}" for name, old, new in entry.changes())
    return (
        f"{at}  {entry.actor:<16} {entry.action:<16} {entry.target_type} {entry.target_id}  {changed[:500]}"
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)[:120]
