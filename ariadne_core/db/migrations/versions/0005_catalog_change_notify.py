"""Tell API processes when the catalog changes, so cached counts and searches stay exact.

A statement-level trigger on data sources, tables and fields sends
`NOTIFY ariadne_catalog`. PostgreSQL delivers it only when the writing transaction
commits, whoever wrote: the API, an import, a harvest or a hand-written UPDATE. See
ariadne_core/catalog/generation.py.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("data_sources", "metadata_tables", "metadata_fields")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION ariadne_catalog_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('ariadne_catalog', TG_TABLE_NAME);
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalog_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ariadne_catalog_changed()")
