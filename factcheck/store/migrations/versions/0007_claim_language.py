"""Each feed claim's language (ISO 639-1), so the feed report can say a fact-check is in another one.

Revision ID: 0007_claim_language
Revises: 0006_login_lockout
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_claim_language"
down_revision = "0006_login_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_results") as batch:
        batch.add_column(sa.Column("language", sa.String(12), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("article_results") as batch:
        batch.drop_column("language")
