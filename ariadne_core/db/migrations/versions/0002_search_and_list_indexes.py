"""Field search covers the field's own name; partial indexes for listing live tables.

A field's search vector held its table's qualified name, so a word of a table name matched
every field of that table. Listing and counting live tables now read partial indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VECTOR = (
    "setweight(to_tsvector('simple', translate(coalesce({name}, ''), '._', '  ')), 'A')"
    " || setweight(to_tsvector('english', coalesce(description, '')), 'B')"
    " || setweight(to_tsvector('simple', ariadne_tags_text(tags)), 'B')"
)
LIST_COLUMNS = ("qualified_name", "name", "created_at", "updated_at")


def _field_vector(name_column: str) -> None:
    op.drop_index("ix_metadata_fields_search", table_name="metadata_fields")
    op.drop_column("metadata_fields", "search_vector")
    op.add_column(
        "metadata_fields",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(_VECTOR.format(name=name_column), persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_metadata_fields_search", "metadata_fields", ["search_vector"], postgresql_using="gin"
    )


def upgrade() -> None:
    _field_vector("name")
    for column in LIST_COLUMNS:
        op.create_index(
            f"ix_metadata_tables_live_{column}",
            "metadata_tables",
            [column, "id"],
            postgresql_where=sa.text("NOT is_deleted"),
        )


def downgrade() -> None:
    for column in LIST_COLUMNS:
        op.drop_index(f"ix_metadata_tables_live_{column}", table_name="metadata_tables")
    _field_vector("qualified_name")
