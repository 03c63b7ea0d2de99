"""The database tables. Changing one means writing an Alembic migration in store/migrations/versions/."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class DebunkRow(Base):
    __tablename__ = "debunks"
    __table_args__ = (UniqueConstraint("review_url", "claim_key", name="uq_debunks_review_url_claim"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_reviewed: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(40), index=True)
    label: Mapped[str] = mapped_column(String(20), index=True)
    rating_text: Mapped[str] = mapped_column(String(200), default="")
    rating_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    best_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    worst_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewer_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    reviewer_site: Mapped[str] = mapped_column(String(200), default="")
    review_url: Mapped[str] = mapped_column(String(1000), default="")
    review_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    claimant: Mapped[str] = mapped_column(String(500), default="")
    claim_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    appearance_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(20), default="en", index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    external_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    provenance: Mapped[str] = mapped_column(String(300), default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # Written but not published (no source yet): never matched, listed or exported.
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    variants: Mapped[list[VariantRow]] = relationship(
        back_populates="debunk", cascade="all, delete-orphan", order_by="VariantRow.id"
    )


class VariantRow(Base):
    """A phrasing of the debunked claim as people circulate it (LazyTruth's 'rumor')."""

    __tablename__ = "claim_variants"
    __table_args__ = (UniqueConstraint("debunk_id", "text_key", name="uq_variants_debunk_text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debunk_id: Mapped[int] = mapped_column(ForeignKey("debunks.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(40))
    provenance: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    debunk: Mapped[DebunkRow] = relationship(back_populates="variants")


class ImportRun(Base):
    """One `db import`: what came in, from where, with what outcome; provenance points here."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    format: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)


class VectorRow(Base):
    """Embedding cache: a text's vector under one model, computed once and reused by the matcher."""

    __tablename__ = "text_vectors"

    model_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    text_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class AuditRow(Base):
    """Append-only log of every change an editor or program makes: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
