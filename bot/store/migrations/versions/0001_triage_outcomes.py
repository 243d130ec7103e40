"""Anonymous triage outcomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("behaviours", sa.String(512), nullable=False),
        sa.Column("four_fixated", sa.Boolean),
        sa.Column("four_obsessive", sa.Boolean),
        sa.Column("four_unwanted", sa.Boolean),
        sa.Column("four_repeated", sa.Boolean),
        sa.Column("risk_level", sa.String(16), nullable=False),
        sa.Column("assessment", sa.String(32), nullable=False),
        sa.Column("signposts", sa.String(512), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("triage_outcomes")
