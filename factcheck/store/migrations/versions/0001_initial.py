"""Debunks, their variants, import runs and the embedding cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debunks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_reviewed", sa.Text(), nullable=False),
        sa.Column("claim_key", sa.String(40), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("rating_text", sa.String(200), nullable=False),
        sa.Column("rating_value", sa.Float(), nullable=True),
        sa.Column("best_rating", sa.Float(), nullable=True),
        sa.Column("worst_rating", sa.Float(), nullable=True),
        sa.Column("reviewer_name", sa.String(200), nullable=False),
        sa.Column("reviewer_site", sa.String(200), nullable=False),
        sa.Column("review_url", sa.String(1000), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("claimant", sa.String(500), nullable=False),
        sa.Column("claim_date", sa.Date(), nullable=True),
        sa.Column("appearance_urls", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("provenance", sa.String(300), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("review_url", "claim_key", name="uq_debunks_review_url_claim"),
    )
    for column in ("claim_key", "label", "reviewer_name", "language", "external_id"):
        op.create_index(f"ix_debunks_{column}", "debunks", [column])
    op.create_table(
        "claim_variants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("debunk_id", sa.Integer(), sa.ForeignKey("debunks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.String(40), nullable=False),
        sa.Column("provenance", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("debunk_id", "text_key", name="uq_variants_debunk_text"),
    )
    op.create_index("ix_claim_variants_debunk_id", "claim_variants", ["debunk_id"])
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("format", sa.String(50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
    )
    op.create_table(
        "text_vectors",
        sa.Column("model_id", sa.String(100), primary_key=True),
        sa.Column("text_key", sa.String(40), primary_key=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("text_vectors")
    op.drop_table("import_runs")
    op.drop_table("claim_variants")
    op.drop_table("debunks")
