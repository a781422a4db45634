"""Feed the Neo4j projection from the lineage audit trail, which is the outbox.

Every lineage change appends an audit event in the same transaction as the change, so
the events are a complete, ordered record of which edges changed. The relay copies the
current state of the edges named by new events into Neo4j and moves a cursor kept in
Neo4j itself (`(:SyncCursor {id: "lineage_audit"})`).

Event ids come from a sequence, and a transaction can commit after a later one, so an
event can appear below the cursor. The cursor therefore also keeps how many events the
last WINDOW ids held; a different count means a late event arrived, and the relay
re-reads that window. Upserts write current state, so re-reading is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ariadne_core.background import PokedThread
from ariadne_core.db.engine import driver_connection, session_scope
from ariadne_core.db.models import FieldLineage, TableLineage
from ariadne_core.db.plans import Plan, run
from ariadne_core.graph.neo4j_store import LABEL, Neo4jGraphStore, edge_rows
from ariadne_core.graph.store import Currency

CURSOR_ID = "lineage_audit"
WINDOW = 1_000
BATCH = 5_000


def outbox_position(session: Session, last: int) -> tuple[int, int]:
    """(newest event id, events in the WINDOW ids up to ``last``), both from indexes."""
    return run(driver_connection(session), outbox_position_plan(last))


# (newest event id, events in the WINDOW ids up to a cursor), both from indexes
_POSITION = (
    "(SELECT coalesce(max(id), 0) FROM lineage_audit_events), "
    "(SELECT count(*) FROM lineage_audit_events "
    "WHERE id > %(outbox_low)s AND id <= %(outbox_last)s)"
)


def _position_params(last: int) -> dict[str, Any]:
    return {"outbox_low": last - WINDOW, "outbox_last": last}


def outbox_position_plan(last: int) -> Plan[tuple[int, int]]:
    row = yield ("SELECT " + _POSITION, _position_params(last))
    assert row is not None
    return int(row[0]), int(row[1])


def unmoved_since(last: int, window: int) -> Currency:
    """A walk's proof of currency: the outbox still stands where it stood (newest event
    ``last``, ``window`` events in the window below it) when Neo4j was seen to hold it."""
    return Currency(_POSITION, _position_params(last), (last, window))


def read_cursor(store: Neo4jGraphStore) -> tuple[int, int]:
    rows = store._run(
        "MATCH (c:SyncCursor {id: $id}) RETURN c.last_event_id AS last, c.window AS window",
        id=CURSOR_ID,
    )
    if not rows:
        return -1, -1  # never synced: everything is stale
    return int(rows[0]["last"]), int(rows[0]["window"])


def write_cursor(store: Neo4jGraphStore, last: int, window: int) -> None:
    store._run(
        "MERGE (c:SyncCursor {id: $id}) SET c.last_event_id = $last, c.window = $window",
        id=CURSOR_ID,
        last=last,
        window=window,
    )


def is_fresh(store: Neo4jGraphStore, session: Session) -> bool:
    last, window = read_cursor(store)
    if last < 0:
        return False
    newest, counted = outbox_position(session, last)
    return newest == last and counted == window


def ensure_fresh(store: Neo4jGraphStore, session: Session) -> tuple[int, int]:
    """Bring the projection up to date if it is behind; returns its cursor (last, window)."""
    last, window = read_cursor(store)
    newest, counted = outbox_position(session, max(last, 0))
    if last >= 0 and newest == last and counted == window:
        return last, window
    relay(store, session)
    return read_cursor(store)


def upsert_edges(store: Neo4jGraphStore, kind: str, rows: list[dict[str, Any]]) -> None:
    label = LABEL[kind]
    for start in range(0, len(rows), BATCH):
        store._run(
            f"UNWIND $rows AS r MERGE (a:{label} {{id: r.src}}) MERGE (b:{label} {{id: r.dst}}) "
            "MERGE (a)-[e:FEEDS {id: r.id}]->(b) SET e.lineage_source = r.lineage_source, "
            "e.confidence = r.confidence, e.status = r.status, "
            "e.transformation_type = r.transformation_type",
            rows=rows[start : start + BATCH],
        )


def relay(store: Neo4jGraphStore, session: Session) -> int:
    """Copy the edges changed since the cursor into Neo4j; returns how many edges."""
    last, window = read_cursor(store)
    newest, counted = outbox_position(session, max(last, 0))
    if last >= 0 and newest == last and counted == window:
        return 0
    low = -1 if last < 0 else min(last, newest) - WINDOW
    events = session.execute(
        text(
            "SELECT DISTINCT edge_kind, edge_id FROM lineage_audit_events "
            "WHERE id > :low AND id <= :newest"
        ),
        {"low": low, "newest": newest},
    ).all()
    changed = 0
    for kind in ("table", "field"):
        ids = [edge_id for edge_kind, edge_id in events if edge_kind == kind]
        for start in range(0, len(ids), BATCH):
            rows = edge_rows(session, kind, ids[start : start + BATCH])
            upsert_edges(store, kind, rows)
            changed += len(rows)
    _, window_now = outbox_position(session, newest)
    write_cursor(store, newest, window_now)
    return changed


class Relay(PokedThread):
    """Runs `relay` in a background thread when poked (after a lineage commit) and every
    few seconds, so Neo4j follows PostgreSQL without the request waiting for it."""

    def __init__(self, engine: Engine, store: Neo4jGraphStore, interval: float = 5.0) -> None:
        self.engine, self.store = engine, store
        super().__init__(
            "neo4j-relay",
            self._relay,
            interval=interval,
            failure="could not relay lineage changes to Neo4j (reads fall back; will retry)",
        )

    def _relay(self) -> None:
        with session_scope(self.engine) as session:
            relay(self.store, session)


def rebuild(store: Neo4jGraphStore, session: Session) -> dict[str, int]:
    """Replace the projection with what PostgreSQL holds; returns the counts loaded.

    The outbox cursor is set to the newest audit event seen before reading, so the
    relay applies whatever commits after that.
    """
    newest, _ = outbox_position(session, 0)
    store.ensure_schema()
    store.clear()
    counts = {}
    for kind, label in LABEL.items():
        batch = edge_rows(session, kind)
        for start in range(0, len(batch), BATCH):
            store._run(
                f"UNWIND $rows AS r MERGE (a:{label} {{id: r.src}}) "
                f"MERGE (b:{label} {{id: r.dst}}) "
                "CREATE (a)-[:FEEDS {id: r.id, lineage_source: r.lineage_source, "
                "confidence: r.confidence, status: r.status, "
                "transformation_type: r.transformation_type}]->(b)",
                rows=batch[start : start + BATCH],
            )
        counts[f"{kind}_edges"] = len(batch)
    write_cursor(store, newest, outbox_position(session, newest)[1])
    return counts


@dataclass(frozen=True)
class Drift:
    """How far the projection is from PostgreSQL: per edge kind and status, the edges one
    side holds and the other does not (counted, so a status change that never reached
    Neo4j shows twice: one edge too many in one status, one too few in another)."""

    postgres: dict[str, int]  # "table/active" -> edges
    neo4j: dict[str, int]

    @property
    def edges(self) -> int:
        keys = self.postgres.keys() | self.neo4j.keys()
        return sum(abs(self.postgres.get(k, 0) - self.neo4j.get(k, 0)) for k in keys)

    @property
    def share(self) -> float:
        """The drift as a share of what PostgreSQL holds (1.0 when it holds nothing)."""
        total = sum(self.postgres.values())
        return self.edges / total if total else float(self.edges > 0)


def projection_drift(store: Neo4jGraphStore, session: Session) -> Drift:
    postgres: dict[str, int] = {}
    neo4j: dict[str, int] = {}
    for kind, label in LABEL.items():
        model: Any = TableLineage if kind == "table" else FieldLineage
        for status, n in session.execute(
            select(model.status, func.count()).group_by(model.status)
        ).all():
            postgres[f"{kind}/{status.value}"] = int(n)
        for row in store._run(
            f"MATCH (:{label})-[e:FEEDS]->(:{label}) RETURN e.status AS status, count(e) AS n"
        ):
            neo4j[f"{kind}/{row['status']}"] = int(row["n"])
    return Drift(postgres=postgres, neo4j=neo4j)
