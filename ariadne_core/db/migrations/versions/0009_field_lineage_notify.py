"""Announce field-lineage changes on `ariadne_catalog` too.

Cached lineage reads (column-level traversal, impact, `include_fields`) are kept for the
catalog generation, which moves on every `NOTIFY ariadne_catalog`
(ariadne_core.catalog.generation). Table lineage and history already notify (0006); a
field edge written alone must as well, whoever writes it (API, import, Dagster, CLI).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(  # the function comes from 0005
        "CREATE TRIGGER field_lineage_catalog_changed "
        "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON field_lineage "
        "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS field_lineage_catalog_changed ON field_lineage")
