"""A downstream walk step reads only the lineage pair index (migration 0010).

Impact analysis expands a hub's thousands of edges per level; read from the table they
are thousands of scattered pages. The pair constraint's index holds every column the
expansion reads (as key or INCLUDE), so PostgreSQL can answer it from the index alone
(an index-only scan once autovacuum has marked the pages visible). This fails when the
expansion reads a column the index does not carry, or the INCLUDE is lost. (The planner's
choice on a test's tiny tables is not a stable thing to assert; the columns are.)
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection
from ariadne_core.graph.postgres import expand_plan
from ariadne_core.graph.store import EdgeFilter, Kind


@pytest.mark.parametrize(
    ("kind", "table", "index"),
    [
        ("table", "table_lineage", "uq_table_lineage_pair"),
        ("field", "field_lineage", "uq_field_lineage_pair"),
    ],
)
def test_the_pair_index_holds_every_column_a_step_reads(
    db_session: Session, kind: Kind, table: str, index: str
) -> None:
    some = [uuid.uuid4() for _ in range(3)]
    sql, _ = next(
        expand_plan(
            some, kind=kind, edge_filter=EdgeFilter(), untrusted=some[:1], seen=some, limit=10
        )
    )
    read = set(re.findall(r"\be\.(\w+)", sql))
    assert {"id", "lineage_source", "status", "confidence"} <= read  # the pattern works
    rows = driver_connection(db_session).execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indexrelid = %s::regclass",
        (index,),
    )
    held = {name for (name,) in rows}
    assert read <= held, f"{table} step reads {sorted(read - held)}, not in {index}"
