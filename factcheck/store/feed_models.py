"""Tables of the feed runner (migration 0004): feeds, their articles, and each article's results.

    feeds ──< feed_articles ──< article_results ──> debunks

An article is one row per canonical URL (`url_key` is unique), whatever feed or poll found it.
Its `status` is the state machine a run resumes from:

    pending ──> done        checked; its results were written in the same transaction
            ──> duplicate   same text as an article already checked (`duplicate_of`)
            ──> failed      fetch or extraction failed for good (`error`, `attempts`)

A rerun picks up every `pending` row and never touches the others (`feeds run --retry-failed`
puts failed ones back to pending).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.store.models import Base, utcnow


class FeedRow(Base):
    """An RSS or Atom feed to poll, with the validators of its last answer for conditional GET."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status: Mapped[str] = mapped_column(String(20), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")


class ArticleRow(Base):
    """One article a feed linked to, identified by its canonical URL; see the module docstring."""

    __tablename__ = "feed_articles"
    __table_args__ = (Index("ix_feed_articles_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(2048))
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    item_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("feed_articles.id", ondelete="SET NULL"), nullable=True
    )
    final_url: Mapped[str] = mapped_column(String(2048), default="")
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    debunked_count: Mapped[int] = mapped_column(Integer, default=0)
    needs_review_count: Mapped[int] = mapped_column(Integer, default=0)
    queued_count: Mapped[int] = mapped_column(Integer, default=0)  # sightings it added to the review queue
    discovered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)


class ArticleResultRow(Base):
    """One claim of a checked article and its verdict; (article, position) is unique, so never twice."""

    __tablename__ = "article_results"
    __table_args__ = (UniqueConstraint("article_id", "position", name="uq_article_results_article_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("feed_articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)
    checkworthiness: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(20), index=True)
    debunk_id: Mapped[int | None] = mapped_column(
        ForeignKey("debunks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    matches: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(12), default="en", server_default="en")  # the claim's
