"""runs: the typed evidence document of each run

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Every engine keeps its own results document in `runs.result`; `runs.evidence` holds the same
run stated in the one evidence model (tianping.evidence.model.EvidenceRun), written whenever a
run's result is stored. Older rows keep NULL and are read through their engine's adapter.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "evidence")
