"""Validation layers against the real catalog: every bad row is reported, no good row is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import ChangeHistory, MetadataTable, TableLineage
from tests.importing.conftest import ADMIN, ImportFn, codes
from tests.importing.files import xlsx

LONG = "x" * 101


def test_every_schema_violation_in_a_lineage_file_is_reported(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    rows = [
        "source_table,target_table,transformation_type,lineage_source,confidence",
        "sales.public.orders,dw.marts.daily_revenue,aggregate,manual,",  # 2 good
        ",dw.marts.daily_revenue,,,",  # 3 missing source
        "orders,dw.marts.daily_revenue,,,",  # 4 not a qualified name
        "sales.public.customers,dw.marts.daily_revenue,,guess,",  # 5 unknown attribution
        "sales.public.order_items,dw.marts.daily_revenue,,,1.7",  # 6 confidence out of range
        f"sales.public.customers,dw.marts.customer_ltv,{LONG},,",  # 7 too long
        "sales.public.order_items,dw.marts.customer_ltv,join,Manual,0.9",  # 8 good
        "dw.marts.customer_ltv,dw.marts.customer_ltv,,,",  # 9 self-lineage
        "sales.public.orders,dw.marts.daily_revenue,,,",  # 10 repeats row 2
        "sales.public.ordrs,dw.marts.customer_ltv,,,",  # 11 unknown table
        "sales.public.orders,dw.marts.customer_ltv,,approved,",  # 12 editor cannot approve
        "sales.public.customers,sales.public.orders,,inferred,0.4",  # 13 good
    ]
    report = do_import("\n".join(rows) + "\n", "lineage.csv", "table_lineage")
    assert codes(report) == [
        (3, "REQUIRED_VALUE_MISSING"),
        (4, "BAD_TABLE_NAME"),
        (5, "BAD_CHOICE"),
        (6, "BAD_CONFIDENCE"),
        (7, "VALUE_TOO_LONG"),
        (9, "SELF_LINEAGE"),
        (10, "DUPLICATE_ROW"),
        (11, "TABLE_NOT_FOUND"),
        (12, "APPROVED_NEEDS_STEWARD"),
    ]
    statuses = report.sheets[0].statuses
    assert {row for row, status in statuses.items() if status != "error"} == {2, 8, 13}
    assert {statuses[r] for r in (2, 8, 13)} == {"create"}
    messages = {p.row: p for p in report.all_problems()}
    assert messages[10].message == (
        "Row 10: this row repeats row 2: both describe the lineage sales.public.orders → "
        "dw.marts.daily_revenue."
    )
    assert messages[11].message == (
        "Row 11: the source table 'sales.public.ordrs' is not in the catalog. Did you mean "
        "'sales.public.orders'?"
    )
    assert messages[5].hint == "Use one of: manual, inferred, approved."
    assert not report.valid and not report.committed
    assert db_session.scalar(select(func.count()).select_from(TableLineage)) == 0


def test_every_violation_in_a_workbook_is_reported(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn, tmp_path: Any
) -> None:
    content = xlsx(
        {
            "sources": [
                ["name", "type", "is_active"],
                ["erp", "manual", "yes"],  # 2 good
                ["bad.name", "manual", ""],  # 3 dots in a name
                ["legacy", "mainframe", ""],  # 4 unknown type
                ["oracle_prod", "oracle", ""],  # 5 needs connection settings
                ["sales", "postgresql", ""],  # 6 exists as manual
                ["erp2", "manual", "maybe"],  # 7 not a boolean
            ],
            "tables": [
                ["source", "schema", "name", "type", "tags", "row_count"],
                ["erp", "core", "ledger", "table", "finance", "10"],  # 2 good (new source)
                ["erp", "core", "led.ger", "", "", ""],  # 3 dots
                ["erp", "core", "journal", "spreadsheet", "", ""],  # 4 unknown type
                ["erp", "core", "accounts", "", "#bad tag", ""],  # 5 bad tag
                ["erp", "core", "vendors", "", "", "many"],  # 6 not a number
                ["rep", "core", "budget", "", "", ""],  # 7 unknown source
                ["sales", "public", "orders", "", "", ""],  # 8 unchanged
                ["sales", "public", "customers", "", "pii", ""],  # 9 update (tag)
            ],
            "fields": [
                ["table", "name", "nullable", "position"],
                ["erp.core.ledger", "amount", "no", "1"],  # 2 good (new table)
                ["erp.core.ledger", "id", "perhaps", "2"],  # 3 bad boolean
                ["erp.core.ledger", "currency", "", "third"],  # 4 bad integer
                ["erp.core.ledgr", "x", "", ""],  # 5 unknown table
            ],
            "field_lineage": [
                ["source_field", "target_field", "source_table"],
                ["erp.core.ledger.amount", "dw.marts.daily_revenue.amount", ""],  # 2 good
                ["erp.core.ledger.amount", "dw.marts.customer_ltv.amount", "erp.core.other"],
                ["erp.core.ledger.amount", "dw.marts.daily_revenue.amont", ""],  # 4 unknown
            ],
        }
    )
    report = do_import(content, "catalog.xlsx", "workbook", actor=ADMIN)
    by_sheet = {s.name: sorted((p.row, p.code) for p in s.problems) for s in report.sheets}
    assert by_sheet == {
        "sources": [
            (3, "BAD_NAME"),
            (4, "BAD_CHOICE"),
            (5, "SOURCE_NEEDS_CONNECTION"),
            (6, "SOURCE_TYPE_CHANGE"),
            (7, "BAD_BOOLEAN"),
        ],
        "tables": [
            (3, "BAD_NAME"),
            (4, "BAD_CHOICE"),
            (5, "BAD_TAG"),
            (6, "BAD_INTEGER"),
            (7, "SOURCE_NOT_FOUND"),
        ],
        "fields": [(3, "BAD_BOOLEAN"), (4, "BAD_INTEGER"), (5, "TABLE_NOT_FOUND")],
        "field_lineage": [(3, "FIELD_TABLE_MISMATCH"), (4, "FIELD_NOT_FOUND")],
    }
    statuses = {s.name: s.statuses for s in report.sheets}
    assert statuses["tables"][8] == "unchanged" and statuses["tables"][9] == "update"
    good = {
        "sources": {2},
        "tables": {2, 8, 9},
        "fields": {2},
        "field_lineage": {2},
    }
    for sheet, rows in good.items():
        assert {r for r, s in statuses[sheet].items() if s != "error"} == rows, sheet
    # later sheets found what earlier sheets create (erp, erp.core.ledger, its field)
    assert report.graph.field_edges_added == 1
    assert report.graph.table_edges_added_for_field_edges == 1
    # preview: nothing stays
    assert (
        db_session.scalar(
            select(func.count()).select_from(MetadataTable).where(MetadataTable.name == "ledger")
        )
        == 0
    )


def test_file_level_problems_are_reported_together(
    catalog: dict[str, Any], do_import: ImportFn
) -> None:
    report = do_import(
        "From,Upstream,Comment,Owner\nsales.public.orders,x,y,z\n", "l.csv", "table_lineage"
    )
    assert [p.code for p in report.problems + report.sheets[0].problems] == [
        "DUPLICATE_HEADER",
        "UNKNOWN_COLUMN",
        "UNKNOWN_COLUMN",
        "MISSING_COLUMNS",
    ]
    missing = report.sheets[0].problems[-1]
    assert "target_table" in missing.message and "source_table, target_table" in missing.message
    assert report.counts()["error"] == 1 and not report.can_commit()
    header_only = do_import("source_table,target_table\n", "l.csv", "table_lineage")
    assert [p.code for p in header_only.all_problems()] == ["HEADER_ONLY"]


def test_merged_header_cells_are_explained(catalog: dict[str, Any], do_import: ImportFn) -> None:
    content = xlsx(
        {
            "table_lineage": [
                ["Lineage", None, "target_table"],
                ["sales.public.orders", "x", "dw.marts.daily_revenue"],
            ]
        },
        merged={"table_lineage": "A1:B1"},
    )
    report = do_import(content, "l.xlsx", "table_lineage")
    assert "EMPTY_HEADER" in [p.code for p in report.all_problems()]
    assert not report.can_commit()


def test_references_to_earlier_rows_of_a_workbook_and_history(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = {
        "sources": [{"name": "erp", "type": "manual"}],
        "tables": [{"source": "erp", "schema": "core", "name": "ledger", "tags": ["finance"]}],
        "table_lineage": [
            {"source_table": "erp.core.ledger", "target_table": "dw.marts.daily_revenue"}
        ],
    }
    import json

    report = do_import(json.dumps(content), "w.json", "workbook", commit=True, actor=ADMIN)
    assert report.committed, report.all_problems()
    table = db_session.scalar(select(MetadataTable).where(MetadataTable.name == "ledger"))
    assert table is not None and table.tags == ["finance"]
    history = db_session.scalars(
        select(ChangeHistory.action).where(ChangeHistory.entity_id == table.id)
    ).all()
    assert history == ["create"]
