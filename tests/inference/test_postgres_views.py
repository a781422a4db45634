"""Inference from a real harvested PostgreSQL source: views become pending proposals with
evidence; re-runs are idempotent; a rewritten view retires what it no longer shows; the
precedence rule and a steward's rejection hold."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select, text

from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import (
    LineageAuditEvent,
    LineageSource,
    SourceType,
    UserRole,
)
from ariadne_core.harvest.service import run_sync
from ariadne_core.inference.service import ACTOR, infer_source
from ariadne_core.lineage.edges import Actor, EdgeInput, Endpoint, decide, declare_table_edge
from ariadne_core.security.secrets import Keyring
from tests.harvest.conftest import make_source, pg_config

STEWARD = Actor("steward@example.com", UserRole.STEWARD)
EDITOR = Actor("editor@example.com", UserRole.EDITOR)

WAREHOUSE = """
CREATE SCHEMA raw;
CREATE SCHEMA mart;
CREATE TABLE raw.orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric, status text,
                         created_at timestamptz);
CREATE TABLE raw.customers (id bigint PRIMARY KEY, name text, country text);
CREATE TABLE raw.refunds (order_id bigint, amount numeric);
CREATE VIEW mart.customer_revenue AS
  SELECT c.id AS customer_id, c.name, sum(o.amount) AS revenue, count(*) AS orders
  FROM raw.orders o JOIN raw.customers c ON c.id = o.customer_id
  WHERE o.status = 'paid' GROUP BY c.id, c.name;
CREATE VIEW mart.paid_orders AS SELECT * FROM raw.orders WHERE status = 'paid';
CREATE MATERIALIZED VIEW mart.net AS
  SELECT o.id, o.amount - coalesce(r.amount, 0) AS net_amount
  FROM raw.orders o LEFT JOIN raw.refunds r ON r.order_id = o.id;
"""


def _sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def warehouse(make_database: Any) -> str:
    url = str(make_database("inference_wh"))
    _sql(url, WAREHOUSE)
    return url


@pytest.fixture(scope="module")
def source(catalog_engine: Engine, keyring: Keyring, warehouse: str) -> uuid.UUID:
    source_id = make_source(
        catalog_engine, keyring, "wh", SourceType.POSTGRESQL, pg_config(warehouse)
    )
    run_sync(catalog_engine, source_id, keyring)
    return source_id


def _edges(engine: Engine) -> dict[tuple[str, str], Any]:
    with session_scope(engine) as session:
        rows = session.execute(
            text(
                "SELECT s.qualified_name, t.qualified_name, e.lineage_source, e.status, "
                "e.confidence, e.metadata, e.id FROM table_lineage e "
                "JOIN metadata_tables s ON s.id = e.source_table_id "
                "JOIN metadata_tables t ON t.id = e.target_table_id"
            )
        ).all()
    return {(r[0], r[1]): r for r in rows}


def _field_edges(engine: Engine) -> dict[tuple[str, str], Any]:
    with session_scope(engine) as session:
        rows = session.execute(
            text(
                "SELECT s.qualified_name, t.qualified_name, e.transformation_type, e.status, "
                "e.lineage_source, e.table_lineage_id FROM field_lineage e "
                "JOIN metadata_fields s ON s.id = e.source_field_id "
                "JOIN metadata_fields t ON t.id = e.target_field_id"
            )
        ).all()
    return {(r[0], r[1]): r for r in rows}


def test_views_become_pending_inferred_proposals_with_evidence(
    catalog_engine: Engine, source: uuid.UUID
) -> None:
    with session_scope(catalog_engine) as session:
        report = infer_source(session, source)
    assert report.parse_failures == 0
    assert report.created > 0
    edges = _edges(catalog_engine)
    assert set(edges) == {
        ("wh.raw.orders", "wh.mart.customer_revenue"),
        ("wh.raw.customers", "wh.mart.customer_revenue"),
        ("wh.raw.orders", "wh.mart.paid_orders"),
        ("wh.raw.orders", "wh.mart.net"),
        ("wh.raw.refunds", "wh.mart.net"),
    }
    for row in edges.values():
        assert row[2] == "inferred" and row[3] == "pending_review"
        assert 0.3 <= row[4] <= 0.95
        evidence = row[5]["evidence"][0]
        assert evidence["dialect"] == "postgres" and evidence["fingerprint"]
        assert evidence["object"].startswith("wh.mart.")
    # PostgreSQL stores a view's star expanded, so every column was resolved
    assert edges[("wh.raw.orders", "wh.mart.paid_orders")][4] == 0.9
    assert edges[("wh.raw.orders", "wh.mart.customer_revenue")][4] == 0.9
    fields = _field_edges(catalog_engine)
    assert fields[("wh.raw.customers.id", "wh.mart.customer_revenue.customer_id")][2] == "copy"
    assert fields[("wh.raw.orders.amount", "wh.mart.customer_revenue.revenue")][2] == "aggregate"
    assert fields[("wh.raw.refunds.amount", "wh.mart.net.net_amount")][2] == "expression"
    assert fields[("wh.raw.orders.status", "wh.mart.paid_orders.status")][2] == "copy"
    # filter-only columns are not value lineage
    assert ("wh.raw.orders.status", "wh.mart.customer_revenue.revenue") not in fields
    assert all(row[5] is not None for row in fields.values())
    with session_scope(catalog_engine) as session:
        actors = set(
            session.scalars(
                select(LineageAuditEvent.actor).where(LineageAuditEvent.action == "create")
            )
        )
    assert actors == {ACTOR.email}


def test_a_rerun_with_unchanged_sql_writes_nothing(
    catalog_engine: Engine, source: uuid.UUID
) -> None:
    with session_scope(catalog_engine) as session:
        before = session.scalar(text("SELECT count(*) FROM lineage_audit_events"))
        report = infer_source(session, source)
        after = session.scalar(text("SELECT count(*) FROM lineage_audit_events"))
    assert report.skipped_unchanged == report.origins == 3
    assert report.created == report.updated == 0
    assert before == after


def test_precedence_rejection_and_retirement(
    catalog_engine: Engine, source: uuid.UUID, keyring: Keyring, warehouse: str
) -> None:
    edges = _edges(catalog_engine)
    with session_scope(catalog_engine) as session:
        # a steward rejects one proposal; a person declares another as manual
        decide(
            session,
            edges[("wh.raw.refunds", "wh.mart.net")][6],
            approved=False,
            comment="refunds are netted elsewhere",
            actor=STEWARD,
        )
        declare_table_edge(
            session,
            EdgeInput(
                source=Endpoint(name="wh.raw.customers"),
                target=Endpoint(name="wh.mart.customer_revenue"),
                lineage_source=LineageSource.MANUAL,
            ),
            EDITOR,
        )
    # same SQL again, forced: the rejection sticks, the manual edge is untouched
    with session_scope(catalog_engine) as session:
        report = infer_source(session, source, force=True)
    assert report.kept_rejected >= 1 and report.confirmed >= 1
    edges = _edges(catalog_engine)
    assert edges[("wh.raw.refunds", "wh.mart.net")][3] == "rejected"
    manual = edges[("wh.raw.customers", "wh.mart.customer_revenue")]
    assert manual[2] == "manual"  # upgraded by a person: inference leaves it be
    # the view is rewritten: customers no longer feed it, refunds come back in new SQL
    _sql(
        warehouse,
        "CREATE OR REPLACE VIEW mart.customer_revenue AS SELECT o.customer_id, "
        "o.customer_id::text AS name, sum(o.amount) AS revenue, count(*) AS orders "
        "FROM raw.orders o GROUP BY o.customer_id; "
        "DROP MATERIALIZED VIEW mart.net; CREATE MATERIALIZED VIEW mart.net AS "
        "SELECT r.order_id AS id, r.amount AS net_amount FROM raw.refunds r",
    )
    run_sync(catalog_engine, source, keyring)
    with session_scope(catalog_engine) as session:
        report = infer_source(session, source)
    edges = _edges(catalog_engine)
    # new evidence for the rejected edge: back to review, with it attached
    reopened = edges[("wh.raw.refunds", "wh.mart.net")]
    assert reopened[3] == "pending_review" and report.reopened == 1
    # the edge that only the old view supported: deprecated (audited); the manual one stays
    assert edges[("wh.raw.orders", "wh.mart.net")][3] == "deprecated"
    assert edges[("wh.raw.customers", "wh.mart.customer_revenue")][3] == "active"
    assert report.evidence_gone_on_declared >= 1
    with session_scope(catalog_engine) as session:
        gone = session.execute(
            text("SELECT gone_at IS NOT NULL FROM inference_evidence WHERE edge_id = :id"),
            {"id": manual[6]},
        ).scalar_one()
        deprecations = session.scalar(
            text(
                "SELECT count(*) FROM lineage_audit_events WHERE action = 'deprecate' "
                "AND actor = :a AND comment LIKE 'evidence gone%'"
            ),
            {"a": ACTOR.email},
        )
    assert gone is True
    assert deprecations >= 1
    # nothing inference wrote touched a manual edge
    with session_scope(catalog_engine) as session:
        touched = session.scalar(
            text(
                "SELECT count(*) FROM lineage_audit_events WHERE actor = :a AND "
                "before->>'lineage_source' IN ('manual', 'approved')"
            ),
            {"a": ACTOR.email},
        )
    assert touched == 0
