"""The audit log's filter (who, what, when) and drafts, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from factcheck.store import Store, write_audit_csv
from factcheck.store.models import utcnow
from factcheck.types import Debunk

SOURCED = Debunk(
    claim_reviewed="Drinking hot water every 15 minutes kills the virus.",
    label="false",
    review_url="https://desk.example.org/hot-water",
)


def test_the_audit_filter_selects_by_who_what_and_when(store: Store) -> None:
    created = store.create_debunk(SOURCED, actor="editor:ana")
    store.update_debunk(created.id, {"label": "misleading"}, expected_version=1, actor="ben")  # type: ignore[arg-type]
    assert [e.action for e in store.audit_entries(actor="ana")] == ["create"]
    assert [e.actor for e in store.audit_entries(action="update")] == ["ben"]
    [update] = store.audit_entries(action="update", target_type="debunk", target_id=created.id)
    assert ("label", "false", "misleading") in update.changes()
    assert store.audit_entries(since=utcnow() + timedelta(minutes=1)) == []
    assert len(store.audit_entries(until=utcnow() + timedelta(minutes=1))) == 2
    assert store.audit_entries(actor="%") == []  # a LIKE wildcard is a plain character here
    out = io.StringIO()
    write_audit_csv(store.audit_entries(), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["action"] for r in rows] == ["update", "create"]
    assert '"label": "misleading"' in rows[0]["after"]


def test_a_debunk_without_a_source_is_a_draft_and_never_listed(store: Store) -> None:
    draft = store.create_debunk(
        Debunk(claim_reviewed="Onions cure the flu overnight.", label="false"), actor="a"
    )
    assert draft.draft
    published = store.create_debunk(SOURCED, actor="a")
    assert not published.draft
    assert [d.id for d in store.iter_debunks()] == [published.id]
    assert store.list_debunks()[1] == 1 and store.list_debunks(include_drafts=True)[1] == 2
    again = store.update_debunk(
        draft.id,  # type: ignore[arg-type]
        {"reviewer_name": "Our desk", "draft": False},
        expected_version=draft.version,
        actor="a",
    )
    assert not again.draft
    assert {d.id for d in store.iter_debunks()} == {published.id, draft.id}
