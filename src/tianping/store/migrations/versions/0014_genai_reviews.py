"""genai_reviews: the human review queue of a generative run

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

TC260-003 9.3 asks for a manual sampling check of generated content. A review queue holds the
sampled answers of a run (one row each, with the stratum it was drawn from); a reviewer's label,
who gave it and when are recorded on the row, copied into the sample's `scores.human` (which the
gates read) and written to the audit trail.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genai_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("sample_id", sa.String(512), nullable=False),
        sa.Column("stratum", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(16), nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("labelled_at", sa.String(32), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("run_id", "sample_id", name="uq_genai_reviews_run_sample"),
    )


def downgrade() -> None:
    op.drop_table("genai_reviews")
