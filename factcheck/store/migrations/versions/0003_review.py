"""Editors' workflow: users, API keys, login sessions, the review queue and its decisions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_login_at", nullable=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        _timestamp("created_at"),
        _timestamp("last_used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(100), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])

    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("claim_key", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        sa.Column("checkworthiness", sa.Float(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        _timestamp("first_seen_at"),
        _timestamp("last_seen_at"),
        sa.Column("debunk_id", sa.Integer(), sa.ForeignKey("debunks.id", ondelete="SET NULL"), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=False),
        _timestamp("resolved_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_review_items_status_priority", "review_items", ["status", "priority"])
    for column in ("claim_key", "origin", "last_seen_at", "debunk_id", "resolved_at"):
        op.create_index(f"ix_review_items_{column}", "review_items", [column])

    op.create_table(
        "review_sightings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("claim_key", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("source_url", sa.String(2048), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.Column("checkworthiness", sa.Float(), nullable=False),
        _timestamp("seen_at"),
    )
    for column in ("item_id", "claim_key", "seen_at"):
        op.create_index(f"ix_review_sightings_{column}", "review_sightings", [column])

    op.create_table(
        "review_candidates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("debunk_id", sa.Integer(), sa.ForeignKey("debunks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("matched_text", sa.Text(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("item_id", "debunk_id", name="uq_review_candidates_item_debunk"),
    )
    op.create_index("ix_review_candidates_item_id", "review_candidates", ["item_id"])
    op.create_index("ix_review_candidates_debunk_id", "review_candidates", ["debunk_id"])

    op.create_table(
        "review_item_tokens",
        sa.Column(
            "item_id",
            sa.Integer(),
            sa.ForeignKey("review_items.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token", sa.String(100), primary_key=True),
    )
    op.create_index("ix_review_item_tokens_token", "review_item_tokens", ["token"])

    op.create_table(
        "review_rejections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_key", sa.String(40), nullable=False),
        sa.Column("claim_text", sa.Text(), nullable=False),
        sa.Column("debunk_id", sa.Integer(), sa.ForeignKey("debunks.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        _timestamp("created_at"),
        sa.UniqueConstraint("claim_key", "debunk_id", name="uq_review_rejections_pair"),
    )
    op.create_index("ix_review_rejections_claim_key", "review_rejections", ["claim_key"])
    op.create_index("ix_review_rejections_debunk_id", "review_rejections", ["debunk_id"])

    op.create_table(
        "review_dismissals",
        sa.Column("claim_key", sa.String(40), primary_key=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        _timestamp("created_at"),
    )


def downgrade() -> None:
    for table in (
        "review_dismissals",
        "review_rejections",
        "review_item_tokens",
        "review_candidates",
        "review_sightings",
        "review_items",
        "user_sessions",
        "api_keys",
        "users",
    ):
        op.drop_table(table)
