"""genai_samples and genai_cache: per-sample records of generative-AI runs and the response cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genai_samples",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sample_id", sa.String(512), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(32), nullable=False),
        sa.Column("risk", sa.String(16), nullable=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("attack", sa.String(32), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("run_id", "sample_id", name="uq_genai_samples_run_sample"),
    )
    op.create_index("ix_genai_samples_run_id", "genai_samples", ["run_id"])
    op.create_table(
        "genai_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("genai_cache")
    op.drop_index("ix_genai_samples_run_id", table_name="genai_samples")
    op.drop_table("genai_samples")
