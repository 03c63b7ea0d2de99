"""The language (ISO 639-1) of each feed claim and each review item, so the feed report and the editor
desk can say a fact-check is in another language than the claim.

Revision ID: 0007_languages
Revises: 0006_login_lockout
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_languages"
down_revision = "0006_login_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_results") as batch:
        batch.add_column(sa.Column("language", sa.String(12), nullable=False, server_default="en"))
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("language", sa.String(12), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("article_results") as batch:
        batch.drop_column("language")
