"""Lineage pair constraints carry what a downstream walk reads, so it reads no table rows.

Impact analysis (ariadne_core.graph.postgres.expand_plan) and downstream traversal find a
frontier's outgoing edges through the pair constraint's index, then read each edge's
lineage source, status, confidence, transformation type and id from the table: a hub's
thousands of edges are thousands of scattered heap pages. With those columns INCLUDEd
in the index the walk is an index-only scan. The constraint is the same (unique on the
pair); the index is wider (about a third), and no index is added.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAIRS = (
    ("table_lineage", "uq_table_lineage_pair", "source_table_id", "target_table_id"),
    ("field_lineage", "uq_field_lineage_pair", "source_field_id", "target_field_id"),
)
INCLUDE = "lineage_source, status, confidence, transformation_type, id"


def upgrade() -> None:
    for table, name, source, target in PAIRS:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name}, "
            f"ADD CONSTRAINT {name} UNIQUE ({source}, {target}) INCLUDE ({INCLUDE})"
        )


def downgrade() -> None:
    for table, name, source, target in PAIRS:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name}, "
            f"ADD CONSTRAINT {name} UNIQUE ({source}, {target})"
        )
