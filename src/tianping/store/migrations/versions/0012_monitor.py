"""monitor: stored classification snapshots of each system

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

`tianping monitor --record` and `tianping.monitor.reclassify_all` store what each rule pack said
about a system on a date, under which catalog and pack versions, with the difference from the
previous snapshot, so that a change of the law, a pack or the profile shows up as a diff.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("system_version", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.String(40), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("catalog_hash", sa.String(64), nullable=False),
        sa.Column("packs", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=True),
    )
    op.create_index("ix_classification_snapshots_system_id", "classification_snapshots", ["system_id"])
    op.create_index("ix_classification_snapshots_taken_at", "classification_snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_table("classification_snapshots")
