"""runs: the typed evidence document of each run

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Every engine keeps its own results document in `runs.result`; `runs.evidence` holds the same
run stated in the one evidence model (tianping.evidence.model.EvidenceRun), written whenever a
run's result is stored. Older rows keep NULL and are read through their engine's adapter.
Also widens provisions.number (see upgrade).
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("evidence", sa.JSON(), nullable=True))
    # provision numbers of amending acts cite the article they amend ("Article 1 (new Art. 111(4) of
    # Regulation (EU) 2024/1689)"), longer than the 64 characters the column allowed on PostgreSQL
    with op.batch_alter_table("provisions") as batch:
        batch.alter_column("number", type_=sa.Text(), existing_type=sa.String(64), existing_nullable=True)


def downgrade() -> None:
    op.drop_column("runs", "evidence")
