"""Incremental sync of a real PostgreSQL source (a database on the embedded server)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, func, select

from ariadne_core.catalog.tables import update_table
from ariadne_core.connectors.postgresql import PostgresConnector
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import (
    ChangeHistory,
    DataSource,
    FieldLineage,
    LineageSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    SourceType,
    SyncJob,
    TableLineage,
    UserRole,
)
from ariadne_core.harvest.service import SyncFailed, check_connection, create_sync_job, run_sync
from ariadne_core.lineage.edges import Actor, EdgeInput, Endpoint, declare_field_edge
from ariadne_core.security.secrets import Keyring
from tests.harvest.conftest import make_source, pg_config

EDITOR = Actor("editor@example.com", UserRole.EDITOR)


def _history_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ChangeHistory)) or 0)


def _table(engine: Engine, qname: str) -> MetadataTable:
    with session_scope(engine) as session:
        table = session.scalar(select(MetadataTable).where(MetadataTable.qualified_name == qname))
        assert table is not None, qname
        session.expunge(table)
        return table


def _fields(engine: Engine, qname: str) -> dict[str, MetadataField]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(MetadataField)
            .join(MetadataTable, MetadataTable.id == MetadataField.table_id)
            .where(MetadataTable.qualified_name == qname)
        ).all()
        for row in rows:
            session.expunge(row)
        return {row.name: row for row in rows}


def _source_sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def shop(catalog_engine: Engine, keyring: Keyring, shop_source_url: str) -> uuid.UUID:
    source_id = make_source(
        catalog_engine, keyring, "shop", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    result = run_sync(catalog_engine, source_id, keyring)
    assert result.counts.added == 6
    return source_id


def test_connector_reads_schemas_objects_columns_keys_comments_and_views(
    shop_source_url: str,
) -> None:
    connector = PostgresConnector(pg_config(shop_source_url))
    check = connector.test_connection()
    assert check.success and check.server_version and check.server_version.startswith("18")
    assert {"sales", "hr", "reporting"} <= set(connector.list_namespaces())
    assert ("reporting", "daily_orders", "materialized_view") in connector.list_objects()
    objects = {(o.schema_name, o.name): o for o in connector.harvest()}
    assert set(objects) == {
        ("hr", "employees"),
        ("sales", "customers"),
        ("sales", "orders"),
        ("sales", "order_lines"),
        ("reporting", "revenue_by_customer"),
        ("reporting", "daily_orders"),
    }
    lines = objects[("sales", "order_lines")]
    by_name = {f.name: f for f in lines.fields}
    assert [f.name for f in lines.fields] == [
        "order_id",
        "line_no",
        "sku",
        "quantity",
        "unit_price",
    ]
    assert by_name["order_id"].is_primary_key and by_name["line_no"].is_primary_key
    assert not by_name["sku"].is_primary_key and not by_name["sku"].is_nullable
    assert by_name["unit_price"].data_type == "numeric(10,2)"
    assert by_name["unit_price"].description == "Price per unit at the time of the order"
    assert lines.foreign_keys[0].referenced_table == "orders"
    assert lines.foreign_keys[0].columns == ["order_id"]
    customers = objects[("sales", "customers")]
    assert customers.description == "Customers who placed at least one order"
    assert customers.foreign_keys[0].referenced_schema == "hr"  # across schemas
    assert customers.row_count_estimate == 2
    assert {f.name: f.data_type for f in customers.fields}["tags"] == "text[]"
    view = objects[("reporting", "revenue_by_customer")]
    assert view.table_type == "view" and "sales.order_lines" in (view.view_definition or "")


def test_connection_failures_say_what_to_fix(shop_source_url: str) -> None:
    config = pg_config(shop_source_url)
    unreachable = check_connection(SourceType.POSTGRESQL, {**config, "port": 1})
    assert not unreachable["success"] and unreachable["message"] == "host unreachable: 127.0.0.1:1"
    missing = check_connection(SourceType.POSTGRESQL, {**config, "database": "nope"})
    assert "database nope does not exist" in missing["message"]


def test_first_sync_creates_tables_fields_and_history(catalog_engine: Engine, shop: Any) -> None:
    table = _table(catalog_engine, "shop.sales.customers")
    assert table.description == "Customers who placed at least one order"
    assert table.properties["harvest"]["foreign_keys"][0]["referenced_table"] == "employees"
    assert table.fingerprint and not table.is_deleted
    view = _table(catalog_engine, "shop.reporting.revenue_by_customer")
    assert view.table_type == "view" and "GROUP BY" in (view.view_definition or "")
    with session_scope(catalog_engine) as session:
        creates = session.scalar(
            select(func.count()).where(
                ChangeHistory.table_id == table.id, ChangeHistory.action == "create"
            )
        )
        source = session.get(DataSource, shop)
        assert source is not None
        assert source.last_sync_status == "success" and source.last_sync_at is not None
    assert creates == 1 + len(_fields(catalog_engine, "shop.sales.customers"))


def test_unchanged_second_sync_writes_no_history(
    catalog_engine: Engine, keyring: Keyring, shop: Any
) -> None:
    before = _history_count(catalog_engine)
    result = run_sync(catalog_engine, shop, keyring)
    assert result.counts.unchanged == 6
    assert result.counts.added == result.counts.changed == result.counts.deleted == 0
    assert result.counts.history_rows == 0
    assert _history_count(catalog_engine) == before
    full = run_sync(catalog_engine, shop, keyring, full_sync=True)  # compares every attribute
    assert full.counts.unchanged == 6 and full.counts.history_rows == 0
    assert _history_count(catalog_engine) == before


def test_changed_schema_shows_its_diff_in_the_table_history(
    catalog_engine: Engine, keyring: Keyring, shop: Any, shop_source_url: str
) -> None:
    _source_sql(
        shop_source_url,
        "ALTER TABLE sales.orders ADD COLUMN channel text;"
        "ALTER TABLE sales.orders ALTER COLUMN status TYPE varchar(20);"
        "COMMENT ON TABLE sales.orders IS 'Every order, paid or not'",
    )
    result = run_sync(catalog_engine, shop, keyring)
    assert (result.counts.changed, result.counts.fields_added, result.counts.fields_changed) == (
        1,
        1,
        1,
    )
    table = _table(catalog_engine, "shop.sales.orders")
    with session_scope(catalog_engine) as session:
        rows = session.scalars(
            select(ChangeHistory)
            .where(ChangeHistory.table_id == table.id)
            .order_by(ChangeHistory.id)
        ).all()
        changes = [(r.entity_type, r.action, r.changes, r.changed_by) for r in rows]
    assert (
        "field",
        "update",
        {"data_type": {"before": "text", "after": "character varying(20)"}},
        "harvester",
    ) in changes
    assert any(
        kind == "field" and action == "create" and c["name"]["after"] == "channel"
        for kind, action, c, _ in changes
    )
    table_update = next(
        c for kind, action, c, _ in changes if (kind, action) == ("table", "update")
    )
    assert table_update["description"] == {"before": None, "after": "Every order, paid or not"}


def test_descriptions_people_wrote_survive_a_harvest(
    catalog_engine: Engine, keyring: Keyring, shop: Any, shop_source_url: str
) -> None:
    table = _table(catalog_engine, "shop.hr.employees")
    with session_scope(catalog_engine) as session:
        update_table(
            session,
            table.id,
            {"description": "Staff, curated by HR", "tags": [], "owner": "hr@example.com"},
            actor="steward@example.com",
        )
    _source_sql(
        shop_source_url, "COMMENT ON TABLE hr.employees IS 'Payroll (changed in the source)'"
    )
    run_sync(catalog_engine, shop, keyring)
    after = _table(catalog_engine, "shop.hr.employees")
    assert after.description == "Staff, curated by HR"
    assert after.owner == "hr@example.com"
    assert after.properties["harvest"]["description"] == "Payroll (changed in the source)"


def test_dropped_table_is_marked_deleted_and_its_manual_lineage_survives(
    catalog_engine: Engine, keyring: Keyring, shop: Any, shop_source_url: str
) -> None:
    with session_scope(catalog_engine) as session:
        declared = declare_field_edge(
            session,
            EdgeInput(
                Endpoint(name="shop.sales.order_lines.unit_price"),
                Endpoint(name="shop.reporting.revenue_by_customer.revenue"),
                transformation_type="aggregation",
            ),
            EDITOR,
        )
        field_edge_id, table_edge_id = declared.edge.id, declared.edge.table_lineage_id
    _source_sql(shop_source_url, "DROP VIEW reporting.revenue_by_customer")
    result = run_sync(catalog_engine, shop, keyring)
    assert result.counts.deleted == 1
    gone = _table(catalog_engine, "shop.reporting.revenue_by_customer")
    assert gone.is_deleted and gone.deleted_at is not None
    with session_scope(catalog_engine) as session:
        field_edge = session.get(FieldLineage, field_edge_id)
        table_edge = session.get(TableLineage, table_edge_id)
        assert field_edge is not None and table_edge is not None
        for edge in (field_edge, table_edge):
            assert edge.status == LineageStatus.ACTIVE
            assert edge.lineage_source == LineageSource.MANUAL
        deletion = session.scalar(
            select(ChangeHistory).where(
                ChangeHistory.entity_id == gone.id, ChangeHistory.action == "delete"
            )
        )
        assert deletion is not None and deletion.changes["is_deleted"]["after"] is True

    # The view comes back: the same table row (same id, same lineage) is restored.
    _source_sql(
        shop_source_url,
        "CREATE VIEW reporting.revenue_by_customer AS SELECT c.customer_id, c.name, "
        "sum(l.quantity * l.unit_price) AS revenue FROM sales.customers c "
        "JOIN sales.orders o ON o.customer_id = c.customer_id "
        "JOIN sales.order_lines l ON l.order_id = o.order_id GROUP BY c.customer_id, c.name",
    )
    again = run_sync(catalog_engine, shop, keyring)
    assert again.counts.restored == 1
    back = _table(catalog_engine, "shop.reporting.revenue_by_customer")
    assert back.id == gone.id and not back.is_deleted
    assert not _fields(catalog_engine, "shop.reporting.revenue_by_customer")["revenue"].is_deleted


def test_failed_harvest_keeps_previous_metadata_and_records_the_error(
    catalog_engine: Engine, keyring: Keyring, shop_source_url: str
) -> None:
    source_id = make_source(
        catalog_engine, keyring, "shop_copy", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    run_sync(catalog_engine, source_id, keyring)
    tables_before = _count_tables(catalog_engine, source_id)
    with session_scope(catalog_engine) as session:
        source = session.get(DataSource, source_id)
        assert source is not None
        from ariadne_core.catalog.sources import update_source

        update_source(
            session,
            keyring,
            source_id,
            {"connection_config": {**pg_config(shop_source_url), "port": 1}},
            actor="admin@example.com",
        )
        job = create_sync_job(session, source_id, actor="admin@example.com")
    with pytest.raises(SyncFailed) as failed:
        run_sync(catalog_engine, source_id, keyring, job_id=job.id)
    assert failed.value.message == "host unreachable: 127.0.0.1:1"
    assert not failed.value.retryable
    assert _count_tables(catalog_engine, source_id) == tables_before
    with session_scope(catalog_engine) as session:
        source = session.get(DataSource, source_id)
        stored = session.get(SyncJob, job.id)
        assert source is not None and stored is not None
        assert source.last_sync_status == "failed"
        assert source.last_sync_error == "host unreachable: 127.0.0.1:1"
        assert stored.status == "failed" and stored.error_message == source.last_sync_error


def _count_tables(engine: Engine, source_id: uuid.UUID) -> int:
    with session_scope(engine) as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    MetadataTable.source_id == source_id, ~MetadataTable.is_deleted
                )
            )
            or 0
        )
