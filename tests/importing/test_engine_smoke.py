from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import FieldLineage, LineageAuditEvent, TableLineage
from tests.importing.conftest import ImportFn, codes


def test_table_lineage_csv_creates_edges_with_audit(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = (
        "Source Table,To,transformation\n"
        "sales.public.orders,dw.marts.daily_revenue,aggregate\n"
        "sales.public.customers,dw.marts.customer_ltv,\n"
        "sales.public.ordrs,dw.marts.customer_ltv,\n"
    )
    preview = do_import(content, "edges.csv", "table_lineage")
    assert codes(preview) == [(4, "TABLE_NOT_FOUND")]
    assert "Did you mean 'sales.public.orders'?" in preview.all_problems()[0].message
    assert db_session.scalar(select(func.count()).select_from(TableLineage)) == 0
    report = do_import(content, "edges.csv", "table_lineage", commit=True, mode="skip_errors")
    assert report.committed
    assert report.counts()["create"] == 2
    assert db_session.scalar(select(func.count()).select_from(TableLineage)) == 2
    assert db_session.scalar(select(func.count()).select_from(LineageAuditEvent)) == 2
    again = do_import(content, "edges.csv", "table_lineage", commit=True, mode="skip_errors")
    assert again.counts()["unchanged"] == 2


def test_field_lineage_creates_table_edge(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = (
        "source_field;target_field\n"
        "sales.public.orders.amount;dw.marts.daily_revenue.amount\n"
        "sales.public.orders.id;dw.marts.daily_revenue.id\n"
    )
    report = do_import(content, "f.csv", "field_lineage", commit=True)
    assert report.committed, report.as_dict()["problems"]
    assert db_session.scalar(select(func.count()).select_from(FieldLineage)) == 2
    assert db_session.scalar(select(func.count()).select_from(TableLineage)) == 1
    assert report.graph.table_edges_added_for_field_edges == 1
