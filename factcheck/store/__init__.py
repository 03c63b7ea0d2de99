"""The debunk database: SQLAlchemy 2 over SQLite (default) or PostgreSQL, migrated with Alembic.

This package owns the schema (every table's model and every migration) and the unit of work,
`Store.transaction()`. The SQL itself lives with the code that owns each kind of table:

    store/         debunks, variants, import runs, the audit log, the vector cache (models.py)
    review/        the review queue (ReviewItemRow ... ReviewDismissalRow in review_models.py); its
                   dashboard also counts debunks written by editors (DebunkRow, read only)
    accounts.py    users, login sessions, API keys (UserRow, UserSessionRow, ApiKeyRow, in review_models.py)
    feeds/         feeds, articles and their results (feed_models.py)

All of them run it inside `Store.transaction()`, so an operation that writes to several (a review
decision and the variants it adds, a feed article and the items it queues) opens one transaction
around them and commits, or rolls back, as one. Imports go through `Store.import_records`, which
upserts on (review URL, normalised claim) one batch to a transaction, so an import that stops keeps
what it committed and the same import run again adds only the rest.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload, sessionmaker

from factcheck._text import canonical_key, web_urls
from factcheck.errors import ConflictError, FactcheckError, NotFoundError, RecordError
from factcheck.store.models import AuditRow, DebunkRow, ImportRun, VariantRow, VectorRow, utcnow
from factcheck.types import Debunk

__all__ = ["AuditEntry", "ImportSummary", "SkippedRecord", "Store", "open_store", "write_audit_csv"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# (id of the Store, thread) -> the session of the transaction open there; see Store.transaction.
_OPEN_TRANSACTIONS: ContextVar[Mapping[tuple[int, int], Session] | None] = ContextVar(
    "factcheck_open_transactions", default=None
)

# The Debunk fields stored as plain columns; variants and bookkeeping are handled apart.
_COLUMN_FIELDS = (
    "claim_reviewed", "label", "rating_text", "rating_value", "best_rating", "worst_rating", "reviewer_name",
    "reviewer_site", "review_url", "review_date", "claimant", "claim_date", "language", "title",
    "explanation", "external_id",
)  # fmt: skip
_LIST_FIELDS = ("appearance_urls", "tags")
# What an import compares and writes: the columns `_column_values` fills.
_STORED_FIELDS = (*_COLUMN_FIELDS, *_LIST_FIELDS, "claim_key")


@dataclasses.dataclass(frozen=True)
class SkippedRecord:
    position: int
    reason: str


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    id: int
    at: Any
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for each field that differs; every field of a creation (before None)."""
        before, after = self.before or {}, self.after or {}
        return [
            (name, before.get(name), after.get(name))
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        ]


@dataclasses.dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[SkippedRecord] = dataclasses.field(default_factory=list)
    import_id: int | None = None


def _enable_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _debunk_from_row(row: DebunkRow) -> Debunk:
    return Debunk(
        **{name: getattr(row, name) for name in _COLUMN_FIELDS},
        appearance_urls=web_urls(row.appearance_urls or ()),  # rows stored before the rule, too
        tags=tuple(row.tags or ()),
        variants=tuple(variant.text for variant in row.variants),
        id=row.id,
        provenance=row.provenance,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        version=row.version,
        retired=row.retired,
        draft=row.draft,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC, so say so."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _column_values(debunk: Debunk) -> dict[str, Any]:
    values = {name: getattr(debunk, name) for name in _COLUMN_FIELDS}
    values.update({name: list(getattr(debunk, name)) for name in _LIST_FIELDS})
    values["appearance_urls"] = list(web_urls(debunk.appearance_urls))
    values["claim_key"] = canonical_key(debunk.claim_reviewed)
    return values


def _validate(debunk: Debunk) -> None:
    if not debunk.claim_reviewed.strip():
        raise RecordError("claim_reviewed is empty")
    if len(debunk.claim_reviewed) > 5000:
        raise RecordError("claim_reviewed is longer than 5,000 characters")
    if debunk.review_url and not debunk.review_url.startswith(("http://", "https://")):
        raise RecordError(f"review_url is not an http(s) URL: {debunk.review_url[:80]!r}")


class Store:
    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine = engine or create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            _enable_sqlite_pragmas(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest migration; safe to call on every start."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The unit of work: a session in one transaction, committed when the block ends, rolled back on
        any error that leaves it.

        Opened while another is open on this Store in the same thread, it joins that one instead of
        starting its own. So an operation that spans several writes (a review decision and the variants
        it adds, a feed article and the items it queues, a user and their ended sessions) opens one
        around them, and every Store, ReviewQueue and Accounts method it calls lands in it: all or
        nothing. An error raised inside must leave the outermost block: catching it half-way and going
        on would commit the half that was written.
        """
        key = (id(self), threading.get_ident())
        outer = _OPEN_TRANSACTIONS.get() or {}
        if key in outer:
            yield outer[key]
            return
        with self._sessions() as session, session.begin():
            token = _OPEN_TRANSACTIONS.set({**outer, key: session})
            try:
                yield session
            finally:
                _OPEN_TRANSACTIONS.reset(token)

    def close(self) -> None:
        self.engine.dispose()

    # --- reading -------------------------------------------------------------------------------

    def count(self, *, include_retired: bool = False) -> int:
        query = select(func.count(DebunkRow.id))
        if not include_retired:
            query = query.where(DebunkRow.retired.is_(False))
        with self.transaction() as session:
            return int(session.scalar(query) or 0)

    def get(self, debunk_id: int) -> Debunk:
        with self.transaction() as session:
            row = session.get(DebunkRow, debunk_id, options=[selectinload(DebunkRow.variants)])
            if row is None:
                raise NotFoundError(f"no debunk with id {debunk_id}")
            return _debunk_from_row(row)

    def get_many(self, debunk_ids: Iterable[int]) -> dict[int, Debunk]:
        ids = list(set(debunk_ids))
        if not ids:
            return {}
        with self.transaction() as session:
            rows = session.scalars(
                select(DebunkRow).where(DebunkRow.id.in_(ids)).options(selectinload(DebunkRow.variants))
            )
            return {row.id: _debunk_from_row(row) for row in rows}

    def versions_changed_since(self, moment: datetime) -> dict[int, int]:
        """Id -> version of every debunk (retired ones too) written after `moment`."""
        with self.transaction() as session:
            rows = session.execute(
                select(DebunkRow.id, DebunkRow.version).where(DebunkRow.updated_at > moment)
            )
            return {debunk_id: version for debunk_id, version in rows}

    def iter_debunks(self, *, include_retired: bool = False, batch_size: int = 2000) -> Iterator[Debunk]:
        """Every published debunk with its variants (drafts never), read in id order a batch at a time."""
        last_id = 0
        while True:
            query = (
                select(DebunkRow)
                .where(DebunkRow.id > last_id, DebunkRow.draft.is_(False))
                .order_by(DebunkRow.id)
                .limit(batch_size)
            )
            if not include_retired:
                query = query.where(DebunkRow.retired.is_(False))
            with self.transaction() as session:
                rows = session.scalars(query.options(selectinload(DebunkRow.variants))).all()
                batch = [_debunk_from_row(row) for row in rows]
            if not batch:
                return
            yield from batch
            last_id = batch[-1].id or last_id

    def list_debunks(
        self,
        *,
        text: str = "",
        label: str | None = None,
        reviewer: str | None = None,
        language: str | None = None,
        include_drafts: bool = False,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Debunk], int]:
        """A filtered page of debunks and the total that match; `text` is a plain substring filter."""
        query = select(DebunkRow).where(DebunkRow.retired.is_(False))
        if not include_drafts:
            query = query.where(DebunkRow.draft.is_(False))
        if text:
            # The words as typed: `%` and `_` match themselves, not everything.
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
            query = query.where(
                or_(
                    DebunkRow.claim_reviewed.ilike(pattern, escape="\\"),
                    DebunkRow.title.ilike(pattern, escape="\\"),
                )
            )
        if label:
            query = query.where(DebunkRow.label == label)
        if reviewer:
            query = query.where(func.lower(DebunkRow.reviewer_name) == reviewer.lower())
        if language:
            query = query.where(DebunkRow.language == language)
        with self.transaction() as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(
                query.order_by(DebunkRow.id)
                .offset(offset)
                .limit(limit)
                .options(selectinload(DebunkRow.variants))
            ).all()
            return [_debunk_from_row(row) for row in rows], total

    def stats(self) -> dict[str, Any]:
        with self.transaction() as session:
            by_label = dict(
                session.execute(
                    select(DebunkRow.label, func.count())
                    .where(DebunkRow.retired.is_(False))
                    .group_by(DebunkRow.label)
                ).all()
            )
            by_reviewer = dict(
                session.execute(
                    select(DebunkRow.reviewer_name, func.count())
                    .where(DebunkRow.retired.is_(False))
                    .group_by(DebunkRow.reviewer_name)
                    .order_by(func.count().desc())
                    .limit(10)
                ).all()
            )
            variants = int(session.scalar(select(func.count(VariantRow.id))) or 0)
            retired = int(session.scalar(select(func.count()).where(DebunkRow.retired.is_(True))) or 0)
            imports = int(session.scalar(select(func.count(ImportRun.id))) or 0)
        return {
            "debunks": sum(by_label.values()),
            "variants": variants,
            "retired": retired,
            "imports": imports,
            "by_label": by_label,
            "top_reviewers": by_reviewer,
        }

    # --- writing -------------------------------------------------------------------------------

    def import_records(
        self,
        records: Iterable[Debunk | SkippedRecord],
        *,
        source: str,
        format: str,
        batch_size: int = 2000,
        on_batch: Callable[[ImportSummary], None] | None = None,
    ) -> ImportSummary:
        """Upsert a stream of records, committing every `batch_size`; invalid ones are skipped and reported.

        The stream is read one batch at a time, never held whole. Each batch is its own transaction
        (joined to the caller's when one is open), so an import that dies keeps the batches it committed;
        importing the same input again adds only what is missing and counts the rest unchanged. The
        ImportRun is committed first and its counts after each batch, so the provenance of committed
        rows points at it; `finished_at` stays empty on an import that did not finish. `on_batch` sees
        the running summary after each commit (a progress bar).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        summary = ImportSummary()
        with self.transaction() as session:
            run = ImportRun(source=source[:1000], format=format)
            session.add(run)
            session.flush()
            summary.import_id = run_id = run.id
        provenance = f"import:{run_id}:{Path(source).name or source}"[:300]
        for number, batch in enumerate(_valid_batches(records, batch_size, summary.skipped), start=1):
            if number & (number - 1) == 0:  # batches 1, 2, 4, 8 ...: a few times as the tables double
                self._refresh_statistics()
            with self.transaction() as session:
                added, updated, unchanged = _upsert_batch(session, batch, provenance)
                totals = dataclasses.replace(
                    summary,
                    added=summary.added + added,
                    updated=summary.updated + updated,
                    unchanged=summary.unchanged + unchanged,
                )
                _save_run(session, totals)
            summary = totals
            if on_batch is not None:
                on_batch(summary)
        with self.transaction() as session:
            _save_run(session, summary, finished=True)
        return summary

    def _refresh_statistics(self) -> None:
        """Let PostgreSQL's planner see how big the debunk tables have grown (ANALYZE).

        An import looks up each batch's keys with `claim_key IN (2,000 keys)`. With no statistics (a
        fresh database; autovacuum off, or a minute behind) PostgreSQL assumes each key matches 0.5 % of
        the table, reads all of it for every batch, and a million-record import slows down as it goes:
        we measured 304,000 records in 12 minutes. Statistics taken as the tables double keep those
        lookups on the index; the planner scales them to the table's current size in between.
        """
        if self.engine.dialect.name != "postgresql":
            return  # SQLite's planner uses the index without statistics
        with self.transaction() as session:
            session.execute(sql_text("ANALYZE debunks, claim_variants"))

    def add_variant(self, debunk_id: int, text: str, *, provenance: str) -> bool:
        """Attach a circulating phrasing to a debunk; False when it was already there."""
        with self.transaction() as session:
            row = _locked_row(session, debunk_id)
            before = _snapshot(row)
            added = _merge_variants(row, (text,), provenance)
            if added:
                row.version = DebunkRow.version + 1  # computed by the database: no lost increments
                session.flush()
                session.refresh(row)
                self.record_audit(
                    session, provenance, "add_variant", "debunk", debunk_id, before, _snapshot(row)
                )
            return bool(added)

    def create_debunk(self, debunk: Debunk, *, actor: str) -> Debunk:
        """A new debunk written by an editor or a program; ConflictError if the same one exists.

        Without a source (`Debunk.has_source`) it is kept as a draft, which is never matched.
        """
        _validate(debunk)
        values = _column_values(debunk)
        with self.transaction() as session:
            duplicate = session.scalar(
                select(DebunkRow.id).where(
                    DebunkRow.review_url == values["review_url"], DebunkRow.claim_key == values["claim_key"]
                )
            )
            if duplicate is not None:
                raise ConflictError(f"debunk {duplicate} already has this claim and review URL")
            row = DebunkRow(
                **values,
                provenance=f"editor:{actor}"[:300],
                version=1,
                retired=False,
                draft=debunk.draft or not debunk.has_source,
            )
            _merge_variants(row, debunk.variants, f"editor:{actor}")
            session.add(row)
            session.flush()
            self.record_audit(session, actor, "create", "debunk", row.id, None, _snapshot(row))
            return _debunk_from_row(row)

    def update_debunk(
        self, debunk_id: int, changes: dict[str, Any], *, expected_version: int, actor: str
    ) -> Debunk:
        """Change fields of a debunk the caller read at `expected_version`; a newer version is a conflict."""
        editable = set(_COLUMN_FIELDS) | set(_LIST_FIELDS) | {"variants", "retired", "draft"}
        unknown = set(changes) - editable
        if unknown:
            raise RecordError(f"cannot change field(s): {', '.join(sorted(unknown))}")
        with self.transaction() as session:
            # Compare-and-set first: the one atomic statement decides who wins a race, on every database.
            claimed = session.execute(
                update(DebunkRow)
                .where(DebunkRow.id == debunk_id, DebunkRow.version == expected_version)
                .values(version=expected_version + 1, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                current_version = session.scalar(select(DebunkRow.version).where(DebunkRow.id == debunk_id))
                if current_version is None:
                    raise NotFoundError(f"no debunk with id {debunk_id}")
                raise ConflictError(
                    f"debunk {debunk_id} was changed by someone else (it is now at version {current_version}, "
                    f"you edited version {expected_version}); reload it and apply your change again"
                )
            row = _locked_row(session, debunk_id)
            before = {**_snapshot(row), "version": expected_version}
            current = _debunk_from_row(row)
            updated = dataclasses.replace(
                current,
                **{k: tuple(v) if k in (*_LIST_FIELDS, "variants") else v for k, v in changes.items()},
            )
            _validate(updated)
            for name, value in _column_values(updated).items():
                setattr(row, name, value)
            row.retired = updated.retired
            row.draft = updated.draft or not updated.has_source
            if "variants" in changes:
                keep = {canonical_key(text) for text in updated.variants}
                row.variants[:] = [variant for variant in row.variants if variant.text_key in keep]
                _merge_variants(row, updated.variants, f"editor:{actor}")
            session.flush()
            action = "retire" if changes.get("retired") else "update"
            self.record_audit(session, actor, action, "debunk", debunk_id, before, _snapshot(row))
            return _debunk_from_row(row)

    def retire_debunk(self, debunk_id: int, *, expected_version: int, actor: str) -> Debunk:
        """Hide a debunk from matching and listings; it stays in the database and the audit log."""
        return self.update_debunk(
            debunk_id, {"retired": True}, expected_version=expected_version, actor=actor
        )

    # --- audit log -----------------------------------------------------------------------------

    def record_audit(
        self,
        session: Session | None,
        actor: str,
        action: str,
        target_type: str,
        target_id: int | str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Append one entry; inside `session` it lands (or not) with the change it describes."""
        entry = AuditRow(
            actor=actor[:200],
            action=action[:50],
            target_type=target_type[:50],
            target_id=str(target_id)[:100],
            before=_json_safe(before),
            after=_json_safe(after),
        )
        if session is not None:
            session.add(entry)
            return
        with self.transaction() as own:
            own.add(entry)

    def audit_entries(
        self,
        *,
        target_type: str | None = None,
        target_id: int | str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """The log newest first, filtered: who (`actor`, a substring: "ana" finds "editor:ana"), what
        (`action`, `target_type`, `target_id`) and when (`since` <= at < `until`). The audit screen, its
        CSV export and `factcheck audit` all read it through here."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
        if target_type:
            query = query.where(AuditRow.target_type == target_type)
        if target_id is not None and str(target_id) != "":
            query = query.where(AuditRow.target_id == str(target_id))
        if actor:
            query = query.where(AuditRow.actor.ilike(f"%{_like_escaped(actor)}%", escape="\\"))
        if action:
            query = query.where(AuditRow.action == action)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if until is not None:
            query = query.where(AuditRow.at < until)
        with self.transaction() as session:
            return [
                AuditEntry(
                    id=row.id,
                    at=_aware(row.at),
                    actor=row.actor,
                    action=row.action,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    before=row.before,
                    after=row.after,
                )
                for row in session.scalars(query)
            ]

    def audit_actions(self) -> list[str]:
        """Every action the log holds, for the audit screen's filter."""
        with self.transaction() as session:
            return sorted(session.scalars(select(AuditRow.action).distinct()))

    # --- embedding cache -----------------------------------------------------------------------

    def get_vectors(self, model_id: str, text_keys: Iterable[str]) -> dict[str, bytes]:
        keys = list(text_keys)
        found: dict[str, bytes] = {}
        with self.transaction() as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = session.execute(
                    select(VectorRow.text_key, VectorRow.vector).where(
                        VectorRow.model_id == model_id, VectorRow.text_key.in_(chunk)
                    )
                )
                found.update({key: bytes(vector) for key, vector in rows})
        return found

    def put_vectors(self, model_id: str, vectors: dict[str, bytes]) -> None:
        if not vectors:
            return
        # Two processes warming the same fresh database encode the same texts: the first write wins.
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        rows = [{"model_id": model_id, "text_key": key, "vector": vector} for key, vector in vectors.items()]
        with self.transaction() as session:
            session.execute(insert(VectorRow).on_conflict_do_nothing(), rows)


def _valid_batches(
    records: Iterable[Debunk | SkippedRecord], batch_size: int, skipped: list[SkippedRecord]
) -> Iterator[list[Debunk]]:
    """Lists of at most `batch_size` valid records, read from `records` only as each one is needed;
    the invalid ones go to `skipped` with their position in the stream."""
    batch: list[Debunk] = []
    for position, record in enumerate(records, start=1):
        if isinstance(record, SkippedRecord):
            skipped.append(record)
            continue
        try:
            _validate(record)
        except RecordError as error:
            skipped.append(SkippedRecord(position, str(error)))
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _save_run(session: Session, summary: ImportSummary, *, finished: bool = False) -> None:
    """The ImportRun's counts as of this commit (and its end, once `finished`)."""
    values: dict[str, Any] = {
        "added": summary.added,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": len(summary.skipped),
    }
    if finished:
        values["finished_at"] = utcnow()
    session.execute(update(ImportRun.__table__).where(ImportRun.id == summary.import_id).values(values))


@dataclasses.dataclass
class _Target:
    """One debunk a batch writes: its column values as they will be, its variant keys, what changed."""

    values: dict[str, Any]
    variant_keys: set[str]
    id: int | None = None
    changed: bool = False
    # (text, key, provenance) of each variant the batch adds to it
    new_variants: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    def merge(self, values: dict[str, Any], variants: Iterable[str], provenance: str) -> bool:
        """Take a record's values and its unseen variants; True when anything changed."""
        differing = {name: value for name, value in values.items() if self.values.get(name) != value}
        self.values.update(differing)
        self.variant_keys.add(self.values["claim_key"])
        fresh = [(text, key, provenance) for text, key in _unseen_variants(variants, self.variant_keys)]
        self.new_variants += fresh
        changed = bool(differing) or bool(fresh)
        self.changed = self.changed or changed
        return changed


def _upsert_batch(session: Session, batch: list[Debunk], provenance: str) -> tuple[int, int, int]:
    """Write one batch with a few statements (issue 14): SELECTs of the rows it touches and their
    variant keys, an executemany INSERT of the new debunks (and a SELECT of the ids of those with
    variants), an executemany UPDATE of the changed ones, an INSERT of the new variants.
    Returns (added, updated, unchanged).

    A record that matches a stored debunk on (review URL, normalised claim) updates it when a field
    differs or it brings a new variant, and its version goes up by one (computed by the database, so
    an editor's concurrent edit is not lost); otherwise it is unchanged. The same debunk twice in a
    batch is counted as if the records were written one at a time: added, then updated or unchanged.
    """
    debunks = DebunkRow.__table__
    incoming = [(_column_values(debunk), debunk) for debunk in batch]
    targets = _stored_targets(session, {values["claim_key"] for values, _ in incoming})
    added = updated = unchanged = 0
    fresh: dict[tuple[str, str], _Target] = {}
    for values, debunk in incoming:
        key = (values["review_url"], values["claim_key"])
        source = debunk.provenance or provenance
        target = targets.get(key)
        if target is None:
            target = targets[key] = fresh[key] = _Target(
                values={**values, "provenance": source}, variant_keys=set()
            )
            target.merge(values, debunk.variants, source)
            target.changed = False
            added += 1
        elif target.merge(values, debunk.variants, source):
            updated += 1
        else:
            unchanged += 1
    now = utcnow()
    if fresh:
        # A plain executemany, no RETURNING: psycopg then sends one short statement in a pipeline,
        # where SQLAlchemy's multi-row INSERT ... RETURNING made it parse a 600 kB one per 1,000 rows.
        session.execute(
            insert(debunks),
            [
                {
                    **target.values,
                    "version": 1,
                    "retired": False,
                    "draft": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for target in fresh.values()
            ],
        )
        with_variants = {key: target for key, target in fresh.items() if target.new_variants}
        if with_variants:
            for debunk_id, review_url, claim_key in session.execute(
                select(debunks.c.id, debunks.c.review_url, debunks.c.claim_key).where(
                    debunks.c.claim_key.in_({claim_key for _, claim_key in with_variants})
                )
            ):
                if (review_url, claim_key) in with_variants:
                    with_variants[(review_url, claim_key)].id = debunk_id
    changed = [target for key, target in targets.items() if key not in fresh and target.changed]
    if changed:
        names = list(_STORED_FIELDS)
        session.execute(
            update(debunks)
            .where(debunks.c.id == bindparam("target_id"))
            .values(
                {
                    **{name: bindparam(f"new_{name}") for name in names},
                    "version": debunks.c.version + 1,
                    "updated_at": bindparam("now"),
                }
            ),
            [
                {"target_id": t.id, "now": now, **{f"new_{name}": t.values[name] for name in names}}
                for t in changed
            ],
        )
    new_variants = [
        {"debunk_id": target.id, "text": text, "text_key": key, "provenance": source, "created_at": now}
        for target in targets.values()
        for text, key, source in target.new_variants
    ]
    if new_variants:
        session.execute(insert(VariantRow.__table__), new_variants)
    return added, updated, unchanged


def _stored_targets(session: Session, claim_keys: set[str]) -> dict[tuple[str, str], _Target]:
    """The stored debunks with one of `claim_keys`, by (review URL, claim key), with their variant keys."""
    debunks, variants = DebunkRow.__table__, VariantRow.__table__
    query = select(debunks.c.id, *(debunks.c[name] for name in _STORED_FIELDS))
    targets: dict[tuple[str, str], _Target] = {}
    for row in session.execute(query.where(debunks.c.claim_key.in_(claim_keys))):
        stored = dict(row._mapping)
        debunk_id = stored.pop("id")
        targets[(stored["review_url"], stored["claim_key"])] = _Target(stored, set(), id=debunk_id)
    by_id = {target.id: target for target in targets.values()}
    if by_id:
        for debunk_id, text_key in session.execute(
            select(variants.c.debunk_id, variants.c.text_key).where(variants.c.debunk_id.in_(by_id))
        ):
            by_id[debunk_id].variant_keys.add(text_key)
    return targets


def _locked_row(session: Session, debunk_id: int) -> DebunkRow:
    """The row, locked for this transaction where the database can (PostgreSQL: SELECT ... FOR UPDATE)."""
    row = session.scalar(
        select(DebunkRow)
        .where(DebunkRow.id == debunk_id)
        .options(selectinload(DebunkRow.variants))
        .with_for_update()
    )
    if row is None:
        raise NotFoundError(f"no debunk with id {debunk_id}")
    return row


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def write_audit_csv(entries: Iterable[AuditEntry], out: TextIO) -> None:
    """The audit log as CSV (one row an entry, before/after as JSON), for spreadsheets and archives."""
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "target_type", "target_id", "before", "after"])
    for e in entries:
        at = e.at.isoformat() if isinstance(e.at, datetime) else str(e.at)
        writer.writerow(
            [
                e.id,
                at,
                e.actor,
                e.action,
                e.target_type,
                e.target_id,
                _json_text(e.before),
                _json_text(e.after),
            ]
        )


def _json_text(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _json_safe(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(json.dumps(value, default=str))


def _snapshot(row: DebunkRow) -> dict[str, Any]:
    debunk = _debunk_from_row(row)
    return (
        _json_safe(
            {k: v for k, v in dataclasses.asdict(debunk).items() if k not in ("created_at", "updated_at")}
        )
        or {}
    )


def _merge_variants(row: DebunkRow, texts: Iterable[str], provenance: str) -> list[str]:
    """Add the phrasings the row does not have yet; returns the ones added."""
    known = {variant.text_key for variant in row.variants}
    known.add(canonical_key(row.claim_reviewed))
    added = []
    for cleaned, key in _unseen_variants(texts, known):
        row.variants.append(VariantRow(text=cleaned, text_key=key, provenance=provenance))
        added.append(cleaned)
    return added


def _unseen_variants(texts: Iterable[str], known: set[str]) -> Iterator[tuple[str, str]]:
    """(text, key) of each phrasing not yet in `known` (keys by `canonical_key`), which it extends:
    one rule for what counts as a new variant, for an editor's write and an import alike."""
    for text in texts:
        cleaned = " ".join(text.split())
        key = canonical_key(cleaned)
        if cleaned and key not in known:
            known.add(key)
            yield cleaned, key


def open_store(url: str) -> Store:
    """A migrated Store; the error names the URL (without its password) when the database is unreachable."""
    store = Store(url)
    try:
        store.migrate()
    except Exception as error:
        from sqlalchemy.engine import make_url

        safe = make_url(url).render_as_string(hide_password=True)
        raise FactcheckError(
            f"cannot open the database {safe}: {error.__class__.__name__}: {error}"
        ) from error
    return store
