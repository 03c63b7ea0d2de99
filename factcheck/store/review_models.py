"""Tables of the editors' workflow: accounts, API keys, login sessions and the review queue.

Changing one means writing an Alembic migration in store/migrations/versions/ (these came in 0003).

    users ──< api_keys
          ──< user_sessions
    review_items ──< review_sightings     every time the claim (or a near-duplicate) was seen
                 ──< review_candidates    the debunks suggested for it, side by side
                 ──< review_item_tokens   its word set, for near-duplicate grouping in SQL
    review_rejections                     (claim_key, debunk_id) pairs an editor said do not match
    review_dismissals                     claim keys an editor marked not check-worthy
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.store.models import Base, utcnow


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The per-account lockout (factcheck.accounts): wrong passwords since the last good one.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKeyRow(Base):
    """A program's credential: only the sha256 of the token is kept; `prefix` identifies it in lists."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[UserRow] = relationship()


class UserSessionRow(Base):
    """A browser login: the cookie holds a random token, the table its sha256 and the CSRF token."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[UserRow] = relationship()


class ReviewItemRow(Base):
    """A group of identical or near-identical claims waiting for (or past) an editor's decision."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_priority", "status", "priority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(40), index=True)
    origin: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(30), default="open")
    seen_count: Mapped[int] = mapped_column(Integer, default=1)
    checkworthiness: Mapped[float] = mapped_column(Float, default=0.0)
    language: Mapped[str] = mapped_column(String(12), default="en", server_default="en")  # the claim's
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    debunk_id: Mapped[int | None] = mapped_column(
        ForeignKey("debunks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    resolved_by: Mapped[str] = mapped_column(String(200), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    sightings: Mapped[list[ReviewSightingRow]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ReviewSightingRow.id"
    )
    candidates: Mapped[list[ReviewCandidateRow]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ReviewCandidateRow.probability.desc()"
    )


class ReviewSightingRow(Base):
    """One time the claim was seen: where, in what words, with what around it, reported by whom."""

    __tablename__ = "review_sightings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(40), index=True)
    origin: Mapped[str] = mapped_column(String(100))
    source_url: Mapped[str] = mapped_column(String(2048), default="")
    context: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    reporter: Mapped[str] = mapped_column(String(200), default="")
    checkworthiness: Mapped[float] = mapped_column(Float, default=0.0)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    item: Mapped[ReviewItemRow] = relationship(back_populates="sightings")


class ReviewCandidateRow(Base):
    """A debunk the matcher suggested for an item; `rejected` once an editor said it does not fit."""

    __tablename__ = "review_candidates"
    __table_args__ = (UniqueConstraint("item_id", "debunk_id", name="uq_review_candidates_item_debunk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    debunk_id: Mapped[int] = mapped_column(ForeignKey("debunks.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    matched_text: Mapped[str] = mapped_column(Text, default="")
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[ReviewItemRow] = relationship(back_populates="candidates")


class ReviewItemTokenRow(Base):
    """The distinct words of an item's claim: near-duplicates are found by counting shared rows."""

    __tablename__ = "review_item_tokens"

    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class ReviewRejectionRow(Base):
    """A (claim wording, debunk) pair an editor rejected; the verdict stage stops suggesting it."""

    __tablename__ = "review_rejections"
    __table_args__ = (UniqueConstraint("claim_key", "debunk_id", name="uq_review_rejections_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_key: Mapped[str] = mapped_column(String(40), index=True)
    claim_text: Mapped[str] = mapped_column(Text)
    debunk_id: Mapped[int] = mapped_column(ForeignKey("debunks.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewDismissalRow(Base):
    """A claim wording an editor marked not check-worthy; it is counted but not queued again."""

    __tablename__ = "review_dismissals"

    claim_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
