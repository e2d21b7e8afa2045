"""filings: what the public register lists, in columns, and a partial index in its order

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

The register lists filings that are published or changed, newest publication first, with the
Chinese name and the jurisdictions of the approved copy. Until now those two came out of the
approved profile document (JSON) on every page view, and the (published_at, system_id) index
held every filing, so a page had to visit the table for the status of every skipped row. Now
they are columns, filled at publication (and here from the stored copies), and a partial index
holds exactly the public rows, so a page at offset 2,000 and the register's count come from the
index alone (see docs/benchmarks.md).
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WHERE = "status IN ('published', 'changed') AND published_at IS NOT NULL"


def upgrade() -> None:
    op.add_column("filings", sa.Column("published_name_zh", sa.Text(), nullable=True))
    op.add_column("filings", sa.Column("published_jurisdictions", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE filings SET published_name_zh = published_document::jsonb ->> 'name_zh', "
                   "published_jurisdictions = (published_document::jsonb -> 'jurisdictions')::json "
                   "WHERE published_document IS NOT NULL")
    else:
        op.execute("UPDATE filings SET published_name_zh = json_extract(published_document, '$.name_zh'), "
                   "published_jurisdictions = json_extract(published_document, '$.jurisdictions') "
                   "WHERE published_document IS NOT NULL")
    op.create_index("ix_filings_register", "filings", ["published_at", "system_id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_filings_register", table_name="filings")
    with op.batch_alter_table("filings") as batch:
        batch.drop_column("published_jurisdictions")
        batch.drop_column("published_name_zh")
