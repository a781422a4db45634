"""A downstream walk step reads only the lineage pair index (migration 0010).

Impact analysis expands a hub's thousands of edges per level; read from the table they
are thousands of scattered pages. The pair constraint's index INCLUDEs every column the
expansion reads, so PostgreSQL can answer it from the index alone. This fails when the
expansion reads a column the index does not carry (or the INCLUDE is lost).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection
from ariadne_core.graph.postgres import expand_plan
from ariadne_core.graph.store import EdgeFilter, Kind


@pytest.mark.parametrize(
    ("kind", "index"), [("table", "uq_table_lineage_pair"), ("field", "uq_field_lineage_pair")]
)
def test_expansion_is_answered_from_the_pair_index(
    db_session: Session, kind: Kind, index: str
) -> None:
    conn = driver_connection(db_session)
    some = [uuid.uuid4() for _ in range(3)]
    sql, params = next(
        expand_plan(
            some, kind=kind, edge_filter=EdgeFilter(), untrusted=some[:1], seen=some, limit=10
        )
    )
    # Leave the planner index scans only (the test's tables are tiny; index-only scans
    # need index scans enabled): it takes the index-only one when the index covers the
    # step, and a plain index scan, which reads table rows, when it does not.
    for scan in ("seqscan", "bitmapscan"):
        conn.execute(f"SET LOCAL enable_{scan} = off")
    plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params).fetchall())
    assert f"Index Only Scan using {index}" in plan, plan
