"""observatory: indicator values, incidents with reports, classifications and system links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obs_indicators",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("licence", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "obs_values",
        sa.Column("indicator", sa.String(96), primary_key=True),
        sa.Column("country", sa.String(3), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("licence", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_obs_values_country", "obs_values", ["country"])
    op.create_table(
        "obs_incidents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("aiid_incident_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("date", sa.String(10), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("content_hash", sa.String(71), nullable=False, unique=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(160), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_obs_incidents_aiid_incident_id", "obs_incidents", ["aiid_incident_id"])
    op.create_table(
        "obs_incident_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("obs_incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("report_number", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("date_published", sa.String(10), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("source_domain", sa.String(255), nullable=True),
    )
    op.create_index("ix_obs_incident_reports_incident_id", "obs_incident_reports", ["incident_id"])
    op.create_table(
        "obs_incident_classifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("obs_incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("namespace", sa.String(32), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_obs_incident_classifications_incident_id", "obs_incident_classifications", ["incident_id"])
    op.create_index("ix_obs_incident_classifications_namespace", "obs_incident_classifications", ["namespace"])
    op.create_table(
        "obs_incident_systems",
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("obs_incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("system_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_obs_incident_systems_system_id", "obs_incident_systems", ["system_id"])


def downgrade() -> None:
    for t in ("obs_incident_systems", "obs_incident_classifications", "obs_incident_reports", "obs_incidents",
              "obs_values", "obs_indicators"):
        op.drop_table(t)
