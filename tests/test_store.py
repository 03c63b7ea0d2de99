"""The debunk database on real SQLite and PostgreSQL: upserts, transactions, round trips."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from factcheck.errors import ConflictError, NotFoundError, RecordError
from factcheck.importers import read_records, write_records
from factcheck.store import SkippedRecord, Store
from factcheck.store.models import utcnow
from factcheck.types import Debunk

MICROCHIP = Debunk(
    claim_reviewed="COVID-19 vaccines contain microchips to track people.",
    label="false",
    rating_text="False",
    reviewer_name="Example Fact Check",
    reviewer_site="factcheck.example.org",
    review_url="https://factcheck.example.org/microchips",
    review_date=date(2021, 3, 2),
    tags=("health", "vaccines"),
    variants=("Bill Gates put a chip in the vaccine so they can track you!!",),
    explanation="Vaccine ingredients are public; no chip fits through a needle or could be powered.",
)
BRAIN = Debunk(
    claim_reviewed="People use only 10 percent of their brains.", label="false", reviewer_name="Snopes"
)


def _comparable(debunk: Debunk) -> Debunk:
    """A debunk without database bookkeeping, for comparing across databases."""
    return replace(debunk, id=None, created_at=None, updated_at=None, version=1, provenance="")


def test_import_twice_changes_nothing(store: Store) -> None:
    first = store.import_records([MICROCHIP, BRAIN], source="test", format="jsonl")
    second = store.import_records([MICROCHIP, BRAIN], source="test", format="jsonl")
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert store.count() == 2
    stored = next(d for d in store.iter_debunks() if d.review_url == MICROCHIP.review_url)
    assert stored.version == 1
    assert stored.variants == MICROCHIP.variants
    assert stored.provenance.startswith("import:")


def test_same_claim_with_other_wording_of_case_and_punctuation_is_the_same_record(store: Store) -> None:
    store.import_records([MICROCHIP], source="a", format="jsonl")
    shouted = replace(MICROCHIP, claim_reviewed="covid-19 VACCINES contain microchips, to track people!")
    summary = store.import_records([shouted], source="b", format="jsonl")
    assert (summary.added, summary.updated) == (0, 1)
    assert store.count() == 1


def test_changed_fields_and_new_variants_update_the_record(store: Store) -> None:
    store.import_records([MICROCHIP], source="a", format="jsonl")
    changed = replace(MICROCHIP, rating_text="Pants on Fire", variants=("Vaccines have 5G chips in them",))
    summary = store.import_records([changed], source="b", format="jsonl")
    assert summary.updated == 1
    (stored,) = store.iter_debunks()
    assert stored.rating_text == "Pants on Fire"
    assert stored.version == 2
    assert set(stored.variants) == {*MICROCHIP.variants, "Vaccines have 5G chips in them"}


def test_invalid_records_are_skipped_and_counted(store: Store) -> None:
    bad_url = replace(BRAIN, review_url="javascript:alert(1)")
    summary = store.import_records(
        [MICROCHIP, SkippedRecord(2, "invalid JSON"), bad_url], source="t", format="jsonl"
    )
    assert summary.added == 1
    assert [(s.position, "http" in s.reason or "JSON" in s.reason) for s in summary.skipped] == [
        (2, True),
        (3, True),
    ]


def test_a_failure_mid_import_keeps_the_committed_batches_and_a_rerun_adds_the_rest(store: Store) -> None:
    def records() -> Iterator[Debunk]:
        yield MICROCHIP
        yield BRAIN
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.import_records(records(), source="t", format="jsonl", batch_size=1)
    assert store.count() == 2
    again = store.import_records([MICROCHIP, BRAIN], source="t", format="jsonl", batch_size=1)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_export_then_import_into_an_empty_database_gives_the_same_records(
    store: Store, tmp_path: Path
) -> None:
    store.import_records([MICROCHIP, BRAIN], source="t", format="jsonl")
    originals = sorted((_comparable(d) for d in store.iter_debunks()), key=lambda d: d.claim_reviewed)
    for format in ("jsonl", "claimreview-jsonld", "csv"):
        buffer = io.StringIO()
        assert write_records(store.iter_debunks(), buffer, format) == 2
        path = tmp_path / f"export.{ {'jsonl': 'jsonl', 'claimreview-jsonld': 'json', 'csv': 'csv'}[format] }"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        fresh = Store(f"sqlite:///{tmp_path / (format + '.db')}")
        fresh.migrate()
        _, records = read_records(path)
        summary = fresh.import_records(records, source=str(path), format=format)
        assert summary.skipped == [], format
        again = sorted((_comparable(d) for d in fresh.iter_debunks()), key=lambda d: d.claim_reviewed)
        assert again == originals, format
        fresh.close()


def test_reading_filters_and_pages(store: Store) -> None:
    store.import_records([MICROCHIP, BRAIN], source="t", format="jsonl")
    page, total = store.list_debunks(text="microchips")
    assert total == 1 and page[0].review_url == MICROCHIP.review_url
    page, total = store.list_debunks(reviewer="snopes")
    assert [d.claim_reviewed for d in page] == [BRAIN.claim_reviewed]
    page, total = store.list_debunks(limit=1, offset=1)
    assert total == 2 and len(page) == 1
    assert store.get(page[0].id or 0).claim_reviewed == page[0].claim_reviewed
    with pytest.raises(NotFoundError):
        store.get(999_999)


def test_variants_are_added_once(store: Store) -> None:
    store.import_records([BRAIN], source="t", format="jsonl")
    (brain,) = store.iter_debunks()
    assert store.add_variant(brain.id or 0, "we only use 10% of our brain", provenance="editor:ana") is True
    assert store.add_variant(brain.id or 0, "We only use 10% of our BRAIN!", provenance="editor:ana") is False
    assert store.get(brain.id or 0).variants == ("we only use 10% of our brain",)


def test_vector_cache_keeps_what_it_was_given(store: Store) -> None:
    store.put_vectors("model-a", {"k1": b"\x00\x01", "k2": b"\x02"})
    store.put_vectors("model-a", {"k1": b"\x00\x01"})
    assert store.get_vectors("model-a", ["k1", "k2", "k3"]) == {"k1": b"\x00\x01", "k2": b"\x02"}
    assert store.get_vectors("model-b", ["k1"]) == {}


def test_vector_cache_takes_the_same_vectors_from_two_writers_at_once(
    database_url: str, store: Store
) -> None:
    # Two processes warming one fresh database encode the same texts; neither write may fail.
    vectors = {f"k{i}": bytes([i % 256]) for i in range(500)}
    other = Store(database_url)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for result in [pool.submit(writer.put_vectors, "model-a", vectors) for writer in (store, other)]:
                result.result()
    finally:
        other.close()
    assert store.get_vectors("model-a", list(vectors)) == vectors


def test_migrating_twice_is_harmless(database_url: str) -> None:
    store = Store(database_url)
    store.migrate()
    store.migrate()
    assert store.count() == 0
    store.close()


def test_editor_changes_are_versioned_and_audited(store: Store) -> None:
    created = store.create_debunk(MICROCHIP, actor="ana")
    assert created.version == 1 and created.provenance == "editor:ana"
    with pytest.raises(ConflictError, match="already has this claim"):
        store.create_debunk(MICROCHIP, actor="ben")
    updated = store.update_debunk(
        created.id or 0, {"rating_text": "Pants on Fire"}, expected_version=1, actor="ana"
    )
    assert (updated.rating_text, updated.version) == ("Pants on Fire", 2)
    with pytest.raises(ConflictError, match="changed by someone else"):
        store.update_debunk(created.id or 0, {"title": "stale edit"}, expected_version=1, actor="ben")
    retired = store.retire_debunk(created.id or 0, expected_version=2, actor="ana")
    assert retired.retired and store.count() == 0
    actions = [(e.actor, e.action) for e in store.audit_entries(target_type="debunk", target_id=created.id)]
    assert actions == [("ana", "retire"), ("ana", "update"), ("ana", "create")]
    update_entry = store.audit_entries(target_id=created.id)[1]
    assert update_entry.before and update_entry.after
    assert (update_entry.before["rating_text"], update_entry.after["rating_text"]) == (
        "False",
        "Pants on Fire",
    )


def test_editing_variants_replaces_the_list(store: Store) -> None:
    created = store.create_debunk(MICROCHIP, actor="ana")
    updated = store.update_debunk(
        created.id or 0, {"variants": ["They inject trackers with the jab"]}, expected_version=1, actor="ana"
    )
    assert updated.variants == ("They inject trackers with the jab",)
    with pytest.raises(RecordError, match="cannot change"):
        store.update_debunk(created.id or 0, {"id": 5}, expected_version=2, actor="ana")


def test_concurrent_writes_to_the_same_debunk_never_overwrite_silently(store: Store) -> None:
    created = store.create_debunk(MICROCHIP, actor="ana")
    outcomes: list[str] = []

    def edit(editor: str) -> None:
        try:
            store.update_debunk(created.id or 0, {"title": f"by {editor}"}, expected_version=1, actor=editor)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(f"editor{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    final = store.get(created.id or 0)
    assert final.version == 2
    assert len(store.audit_entries(target_id=created.id)) == 2


def test_versions_changed_since_names_every_kind_of_write(store: Store) -> None:
    store.import_records([BRAIN], source="t", format="jsonl")
    (brain,) = store.iter_debunks()
    before = utcnow()
    assert store.versions_changed_since(before) == {}
    store.add_variant(brain.id or 0, "we only use 10% of our brain", provenance="editor:ana")
    created = store.create_debunk(MICROCHIP, actor="ana")
    assert store.versions_changed_since(before) == {brain.id: 2, created.id: 1}
    after_writes = utcnow()
    store.retire_debunk(created.id or 0, expected_version=1, actor="ana")
    assert store.versions_changed_since(after_writes) == {created.id: 2}
