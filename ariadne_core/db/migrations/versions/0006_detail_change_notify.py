"""Also announce lineage and history changes on `ariadne_catalog`: a table's detail shows
its live edge counts and its last change, and the API keeps details until the catalog
changes (ariadne_core/catalog/generation.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("table_lineage", "change_history")


def upgrade() -> None:
    for table in TABLES:  # the function comes from 0005
        op.execute(
            f"CREATE TRIGGER {table}_catalog_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
