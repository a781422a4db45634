"""One contract suite for both graph backends, on the real servers.

Both must equal a plain BFS on random graphs with cycles and hubs. Neo4j is loaded from
the same PostgreSQL rows through its rebuild, as production feeds it.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import (
    DataSource,
    LineageSource,
    LineageStatus,
    MetadataTable,
    SourceType,
    TableLineage,
)
from ariadne_core.db.plans import run
from ariadne_core.graph.neo4j_store import Neo4jGraphStore
from ariadne_core.graph.postgres import PostgresGraphStore, expand_plan
from ariadne_core.graph.store import EdgeFilter, GraphStore
from ariadne_core.graph.sync import rebuild


@pytest.fixture(params=["postgres", "neo4j"])
def make_store(
    request: pytest.FixtureRequest, db_session: Session
) -> Iterator[Callable[[], GraphStore]]:
    """Call it after loading the graph into db_session; it returns a loaded backend."""
    if request.param == "postgres":
        yield lambda: PostgresGraphStore(db_session)
        return
    from neo4j import GraphDatabase

    service = request.getfixturevalue("neo4j_service")
    driver = GraphDatabase.driver(service["uri"], auth=(service["user"], service["password"]))

    def load() -> GraphStore:
        store = Neo4jGraphStore(driver)
        rebuild(store, db_session)
        return store

    try:
        yield load
    finally:
        Neo4jGraphStore(driver).clear()
        driver.close()


def _random_graph(
    session: Session, seed: int, nodes: int = 120, edges: int = 360
) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, LineageStatus, float]]]:
    rng = random.Random(seed)
    source = DataSource(name=f"g{seed}", type=SourceType.MANUAL)
    session.add(source)
    session.flush()
    ids = [uuid.uuid4() for _ in range(nodes)]
    session.execute(
        insert(MetadataTable),
        [
            {"id": i, "source_id": source.id, "name": f"t{n}", "qualified_name": f"g{seed}.t{n}"}
            for n, i in enumerate(ids)
        ],
    )
    hubs = ids[:4]
    pairs: dict[tuple[uuid.UUID, uuid.UUID], tuple[LineageStatus, float]] = {}
    while len(pairs) < edges:
        a = rng.choice(hubs) if rng.random() < 0.3 else rng.choice(ids)
        b = rng.choice(hubs) if rng.random() < 0.2 else rng.choice(ids)
        if a != b:
            status = rng.choice(
                [LineageStatus.ACTIVE] * 6 + [LineageStatus.REJECTED, LineageStatus.PENDING_REVIEW]
            )
            pairs[(a, b)] = (status, round(rng.random(), 2))
    session.execute(
        insert(TableLineage),
        [
            {
                "id": uuid.uuid4(),
                "source_table_id": a,
                "target_table_id": b,
                "lineage_source": LineageSource.MANUAL,
                "origin": LineageSource.MANUAL,
                "status": status,
                "confidence": confidence,
            }
            for (a, b), (status, confidence) in pairs.items()
        ],
    )
    session.flush()
    return ids, [(a, b, s, c) for (a, b), (s, c) in pairs.items()]


def _bfs(
    edges: list[tuple[uuid.UUID, uuid.UUID, LineageStatus, float]],
    root: uuid.UUID,
    depth: int,
    upstream: bool,
    edge_filter: EdgeFilter,
) -> dict[uuid.UUID, int]:
    adjacency: dict[uuid.UUID, list[uuid.UUID]] = {}
    for a, b, status, confidence in edges:
        if status in edge_filter.statuses and confidence >= edge_filter.min_confidence:
            start, end = (b, a) if upstream else (a, b)
            adjacency.setdefault(start, []).append(end)
    seen = {root: 0}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        if seen[node] == depth:
            continue
        for nxt in adjacency.get(node, []):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_walk_equals_plain_bfs(
    db_session: Session, make_store: Callable[[], GraphStore], seed: int
) -> None:
    ids, edges = _random_graph(db_session, seed)
    store = make_store()
    rng = random.Random(seed * 7)
    filters = [
        EdgeFilter(),
        EdgeFilter(min_confidence=0.5),
        EdgeFilter(statuses=(LineageStatus.ACTIVE,)),
    ]
    for _ in range(12):
        root, depth = rng.choice(ids), rng.randint(1, 6)
        upstream = rng.random() < 0.5
        edge_filter = rng.choice(filters)
        walk = store.walk(
            root,
            kind="table",
            direction="upstream" if upstream else "downstream",
            depth=depth,
            edge_filter=edge_filter,
        )
        expected = _bfs(edges, root, depth, upstream, edge_filter)
        assert walk.depths == expected
        assert len({e.id for e in walk.edges}) == len(walk.edges)  # each edge once
        for edge in walk.edges:  # only followed-filter edges between nodes found
            assert edge.source in expected and edge.target in expected
            assert edge.status in edge_filter.statuses
            assert edge.confidence >= edge_filter.min_confidence


def test_a_cycle_does_not_explode(
    db_session: Session, make_store: Callable[[], GraphStore]
) -> None:
    source = DataSource(name="cyc", type=SourceType.MANUAL)
    db_session.add(source)
    db_session.flush()
    ids = [uuid.uuid4() for _ in range(3)]
    db_session.execute(
        insert(MetadataTable),
        [
            {"id": i, "source_id": source.id, "name": f"c{n}", "qualified_name": f"cyc.c{n}"}
            for n, i in enumerate(ids)
        ],
    )
    db_session.execute(
        insert(TableLineage),
        [
            {
                "id": uuid.uuid4(),
                "source_table_id": ids[n],
                "target_table_id": ids[(n + 1) % 3],
                "lineage_source": LineageSource.MANUAL,
                "origin": LineageSource.MANUAL,
            }
            for n in range(3)
        ],
    )
    walk = PostgresGraphStore(db_session).walk(
        ids[0], kind="table", direction="downstream", depth=10, edge_filter=EdgeFilter()
    )
    assert walk.depths == {ids[0]: 0, ids[1]: 1, ids[2]: 2}
    assert len(walk.edges) == 3


@pytest.mark.parametrize("seed", [4, 5])
def test_expand_keeps_each_new_node_by_its_most_trusted_edge(
    db_session: Session, seed: int
) -> None:
    """One impact level (PostgreSQL only: impact analysis always walks there): every node
    not yet seen, once, by its most trusted edge (from a trusted node, then not inferred),
    the most trusted first, at most ``limit``."""
    ids, edges = _random_graph(db_session, seed)
    rng = random.Random(seed)
    inferred = {(a, b) for a, b, _, _ in edges if rng.random() < 0.4}
    for a, b in inferred:
        db_session.execute(
            TableLineage.__table__.update()
            .where(TableLineage.source_table_id == a, TableLineage.target_table_id == b)
            .values(lineage_source=LineageSource.INFERRED)
        )
    db_session.flush()
    edge_filter = EdgeFilter()
    for _ in range(10):
        frontier = rng.sample(ids, 6)
        untrusted = rng.sample(frontier, 2)
        seen = frontier + rng.sample(ids, 10)
        best: dict[uuid.UUID, tuple[bool, bool]] = {}
        for a, b, status, _ in edges:
            if a in frontier and b not in seen and status in edge_filter.statuses:
                key = (a in untrusted, (a, b) in inferred)
                best[b] = min(best.get(b, key), key)
        for limit in (3, 1000):
            got, described = run(
                driver_connection(db_session),
                expand_plan(
                    frontier,
                    kind="table",
                    edge_filter=edge_filter,
                    untrusted=untrusted,
                    seen=seen,
                    limit=limit,
                ),
            )
            targets = [e.target for e in got]
            assert len(targets) == len(set(targets)) == min(limit, len(best))
            # each node kept comes named: a table is its own table, with no owner here
            name = {i: f"g{seed}.t{n}" for n, i in enumerate(ids)}
            assert described == {t: (name[t], t, name[t], None) for t in targets}
            keys = [(e.source in untrusted, (e.source, e.target) in inferred) for e in got]
            assert keys == sorted(keys), "the most trusted first"
            for edge, key in zip(got, keys, strict=True):
                assert edge.source in frontier and key == best[edge.target]
            if got:  # nothing left out is more trusted than what came
                assert all(k >= keys[-1] for t, k in best.items() if t not in targets)


@pytest.mark.parametrize("seed", [4, 5])
def test_pages_follow_depth_then_name_on_both_backends(
    db_session: Session, make_store: Callable[[], GraphStore], seed: int
) -> None:
    """Paged with a small budget, a traversal's pages put together are every node of the
    walk in the order (depth, name), and each page's edges are those between nodes shown
    so far with an end on the page: whichever levels the page boundaries cut (only the
    levels a page overlaps are named and sorted)."""
    from ariadne_core.config import Settings
    from ariadne_core.lineage.traversal import TraversalQuery, traverse

    ids, edges = _random_graph(db_session, seed)
    store = make_store()
    settings = Settings(_env_file=None, lineage_node_budget=11)  # type: ignore[call-arg]
    name = {i: f"g{seed}.t{n}" for n, i in enumerate(ids)}
    rng = random.Random(seed)
    for _ in range(6):
        root, depth = rng.choice(ids), rng.randint(2, 5)
        upstream = rng.random() < 0.5
        expected = _bfs(edges, root, depth, upstream, EdgeFilter())
        order = sorted(expected, key=lambda n: (expected[n], name[n]))
        followed = {
            (a, b)
            for a, b, status, _ in edges
            if status in EdgeFilter().statuses
            and a in expected
            and b in expected
            and expected[b if upstream else a] < depth
        }
        got: list[uuid.UUID] = []
        cursor = None
        while True:
            query = TraversalQuery(
                root=root,
                kind="table",
                direction="upstream" if upstream else "downstream",
                depth=depth,
                edge_filter=EdgeFilter(),
                cursor=cursor,
            )
            page = traverse(db_session, store, settings, query)
            assert page.total_nodes == len(expected)
            on_page = {n.id for n in page.nodes}
            got.extend(n.id for n in page.nodes)
            assert all(n.qualified_name == name[n.id] for n in page.nodes)
            shown = set(got)
            assert {(e.source, e.target) for e in page.edges} == {
                (a, b)
                for a, b in followed
                if a in shown and b in shown and (a in on_page or b in on_page)
            }
            cursor = page.next_cursor
            if cursor is None:
                break
        assert got == order
