"""The audit log for admins: who changed what and when, with the values before and after, filtered,
and the same filtered log as CSV. `factcheck audit` reads it through the same Store.audit_entries."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import StoreDep
from api.routes.editor.base import Admin, EditorContext, UserView, render
from factcheck.store import AuditEntry, Store, write_audit_csv

router = APIRouter()

PAGE_SIZE = 50
CSV_LIMIT = 100_000


@dataclass(kw_only=True)
class ChangeView:
    field: str
    before: str
    after: str


@dataclass(kw_only=True)
class AuditRowView:
    at: str
    actor: str
    action: str
    target: str
    target_url: str
    changes: list[ChangeView]


@dataclass(kw_only=True)
class AuditContext(EditorContext):
    """A page of the audit log, newest first, and the filter that chose it."""

    rows: list[AuditRowView]
    actor: str
    action: str
    target_type: str
    target_id: str
    since: str
    until: str
    actions: list[str]
    target_types: list[str]
    csv_url: str
    page_number: int
    prev_url: str = ""
    next_url: str = ""


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    """The screen's filter as given (strings from the form), and what it asks the store for."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> dict[str, Any]:
        """Store.audit_entries arguments; `until` is a day included whole."""
        return {
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id or None,
            "since": _day_start(self.since),
            "until": _day_start(self.until, days_after=1),
        }

    def url(self, path: str, **extra: object) -> str:
        given = {**self.__dict__, **extra}
        return path + "?" + urlencode({k: v for k, v in given.items() if v})


def _day_start(text: str, *, days_after: int = 0) -> datetime | None:
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None  # the date input sends ISO dates; anything else filters nothing
    return datetime.combine(day + timedelta(days=days_after), time(), tzinfo=UTC) if day else None


Text = Annotated[str, Query(max_length=200)]


def _filter(
    actor: Text = "",
    action: Text = "",
    target_type: Text = "",
    target_id: Text = "",
    since: Text = "",
    until: Text = "",
) -> AuditFilter:
    """The audit filter from the query string: one dependency for the page, its JSON and the CSV."""
    return AuditFilter(
        actor=actor.strip(),
        action=action.strip(),
        target_type=target_type.strip(),
        target_id=target_id.strip(),
        since=since,
        until=until,
    )


AuditFilterDep = Annotated[AuditFilter, Depends(_filter)]

_TARGET_PAGES = {"debunk": "/editor/debunks/{}/edit", "review_item": "/editor/items/{}"}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _row(entry: AuditEntry) -> AuditRowView:
    page = _TARGET_PAGES.get(entry.target_type)
    return AuditRowView(
        at=entry.at.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(entry.at, datetime) else str(entry.at),
        actor=entry.actor,
        action=entry.action,
        target=f"{entry.target_type} {entry.target_id}",
        target_url=page.format(entry.target_id) if page else "",
        changes=[ChangeView(field=n, before=_shown(b), after=_shown(a)) for n, b, a in entry.changes()],
    )


@router.get("/audit")
@router.get("/audit.json")
def audit_page(
    request: Request,
    user: Admin,
    store: StoreDep,
    chosen: AuditFilterDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    # One more than a page: whether there is a next page, without counting the whole log.
    entries = store.audit_entries(**chosen.query(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context = AuditContext(
        title="Audit log",
        user=UserView.of(user),
        rows=[_row(entry) for entry in entries[:PAGE_SIZE]],
        **chosen.__dict__,
        actions=store.audit_actions(),
        target_types=["debunk", "review_item", "user", "api_key"],
        csv_url=chosen.url("/editor/audit.csv"),
        page_number=page,
        prev_url=chosen.url("/editor/audit", page=page - 1) if page > 1 else "",
        next_url=chosen.url("/editor/audit", page=page + 1) if len(entries) > PAGE_SIZE else "",
    )
    return render(request, "audit.html", context)


@router.get("/audit.csv")
def audit_csv(
    user: Admin,
    store: StoreDep,
    chosen: AuditFilterDep,
) -> Response:
    return Response(
        _csv(store, chosen),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="factcheck-audit.csv"',
            "Cache-Control": "no-store",
        },
    )


def _csv(store: Store, chosen: AuditFilter) -> str:
    out = io.StringIO()
    write_audit_csv(store.audit_entries(**chosen.query(), limit=CSV_LIMIT), out)
    return out.getvalue()
