"""catalog tables and full-text index

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("catalog_meta", sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text(), nullable=False))
    op.create_table(
        "instruments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("provision_count", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "provisions",
        sa.Column("qid", sa.String(160), primary_key=True),
        sa.Column("instrument_id", sa.String(64), sa.ForeignKey("instruments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("local_id", sa.String(96), nullable=False),
        sa.Column("parent_qid", sa.String(160), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("number", sa.String(64), nullable=True),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("summary_zh", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_index("ix_provisions_instrument_id", "provisions", ["instrument_id"])
    op.create_index("ix_provisions_kind", "provisions", ["kind"])
    op.create_table(
        "principles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "mappings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("predicate", sa.String(16), nullable=False),
        sa.Column("object", sa.String(160), nullable=False),
        sa.Column("justification", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("comment_zh", sa.Text(), nullable=True),
        sa.Column("mapping_set", sa.String(64), nullable=False),
    )
    op.create_index("ix_mappings_subject", "mappings", ["subject"])
    op.create_index("ix_mappings_object", "mappings", ["object"])
    op.create_index("ix_mappings_pair", "mappings", ["subject", "object"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # External-content FTS5 index over provisions.search_text; the text is already split into
        # words and CJK bigrams, English words arrive already stemmed (snowball), so "robust" finds "robustness".
        op.execute(
            "CREATE VIRTUAL TABLE provisions_fts USING fts5("
            "search_text, content='provisions', content_rowid='rowid', tokenize='unicode61')"
        )
    elif dialect == "postgresql":
        # A stored tsvector: computing to_tsvector per row at query time cost ~25 ms per search.
        op.execute("ALTER TABLE provisions ADD COLUMN search_vector tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED")
        op.execute("CREATE INDEX ix_provisions_search ON provisions USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS provisions_fts")
    for t in ("mappings", "principles", "provisions", "instruments", "catalog_meta"):
        op.drop_table(t)
