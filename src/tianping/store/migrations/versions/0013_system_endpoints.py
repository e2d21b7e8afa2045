"""system_endpoints: OpenAI-compatible endpoints registered for a system (API key encrypted at rest)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

The key is stored only as a Fernet token (`tianping/execution/credentials.py`); the API and the
pages show whether a key is set, never the key.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_endpoints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_system_endpoints_system_id", "system_endpoints", ["system_id"])


def downgrade() -> None:
    op.drop_table("system_endpoints")
