"""Search finds exact names by index: each live table and field by its name key (lower
case, each run of spaces, `_`, `.` and `-` one space) then qualified name, so a search for `email` reads the
first page of the 10,000 columns named so in order, instead of ranking all of them."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_KEY = "regexp_replace(lower(name), '[[:space:]._-]+', ' ', 'g')"  # db.models.NAME_KEY


def upgrade() -> None:
    for table in ("metadata_tables", "metadata_fields"):
        op.create_index(
            f"ix_{table}_name_key",
            table,
            [sa.text(NAME_KEY), "qualified_name"],
            postgresql_where=sa.text("NOT is_deleted"),
        )


def downgrade() -> None:
    for table in ("metadata_tables", "metadata_fields"):
        op.drop_index(f"ix_{table}_name_key", table_name=table)
