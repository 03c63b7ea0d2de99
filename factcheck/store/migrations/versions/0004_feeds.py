"""Feeds, the articles they link to (one per canonical URL) and each article's claim results.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("url_key", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("etag", sa.String(500), nullable=False),
        sa.Column("last_modified", sa.String(100), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_polled_at", nullable=True),
        sa.Column("last_status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
    )
    op.create_table(
        "feed_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=False),
        sa.Column("url_key", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        _timestamp("published_at", nullable=True),
        sa.Column("item_hash", sa.String(64), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column(
            "duplicate_of",
            sa.Integer(),
            sa.ForeignKey("feed_articles.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("final_url", sa.String(2048), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("debunked_count", sa.Integer(), nullable=False),
        sa.Column("needs_review_count", sa.Integer(), nullable=False),
        sa.Column("queued_count", sa.Integer(), nullable=False),
        _timestamp("discovered_at"),
        _timestamp("dispatched_at", nullable=True),
        _timestamp("finished_at", nullable=True),
    )
    op.create_index("ix_feed_articles_status_id", "feed_articles", ["status", "id"])
    for column in ("feed_id", "item_hash", "content_hash", "finished_at"):
        op.create_index(f"ix_feed_articles_{column}", "feed_articles", [column])
    op.create_table(
        "article_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("feed_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("checkworthiness", sa.Float(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("debunk_id", sa.Integer(), sa.ForeignKey("debunks.id", ondelete="SET NULL"), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("matches", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.UniqueConstraint("article_id", "position", name="uq_article_results_article_position"),
    )
    for column in ("article_id", "status", "debunk_id", "created_at"):
        op.create_index(f"ix_article_results_{column}", "article_results", [column])


def downgrade() -> None:
    op.drop_table("article_results")
    op.drop_table("feed_articles")
    op.drop_table("feeds")
