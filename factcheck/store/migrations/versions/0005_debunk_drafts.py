"""Debunks can be drafts: written but not published, so never matched, listed or exported.

A debunk is published only with a rating chosen on purpose and a source (a reviewer or a fact-check
URL); one saved without them stays a draft. Existing debunks are published.

Revision ID: 0005_debunk_drafts
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_debunk_drafts"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("debunks") as batch:
        batch.add_column(sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("debunks") as batch:
        batch.drop_column("draft")
