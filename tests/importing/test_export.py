"""Export writes the import columns, streams, neutralizes formulas, and imports back
unchanged in every format."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from ariadne_core.catalog.tables import update_table
from ariadne_core.exporting.rows import export_rows
from ariadne_core.exporting.stream import file_kind, stream
from ariadne_core.exporting.templates import template
from ariadne_core.importing.formats import read_file
from ariadne_core.importing.spec import IMPORT_TYPES, SPECS
from tests.importing.conftest import STEWARD, ImportFn

LINEAGE = (
    "source_table,target_table,transformation_type,lineage_source,confidence\n"
    "sales.public.orders,dw.marts.daily_revenue,aggregate,manual,\n"
    "sales.public.customers,dw.marts.customer_ltv,join,approved,\n"
    "sales.public.order_items,dw.marts.daily_revenue,,inferred,0.35\n"
)
FIELDS = "source_field,target_field\nsales.public.orders.amount,dw.marts.daily_revenue.amount\n"


@pytest.fixture
def populated(db_session: Session, catalog: dict[str, Any], do_import: ImportFn) -> None:
    assert do_import(LINEAGE, "l.csv", "table_lineage", commit=True, actor=STEWARD).committed
    assert do_import(FIELDS, "f.csv", "field_lineage", commit=True).committed
    update_table(
        db_session,
        catalog["sales.public.orders"].id,
        {
            "description": '=HYPERLINK("http://evil")',
            "tags": ["finance", "core"],
            "owner": "anna@example.com",
        },
        "seed",
    )


def _export(session: Session, fmt: str, types: list[str] | None = None) -> bytes:
    chosen = types or list(IMPORT_TYPES)
    return b"".join(stream(fmt, chosen, lambda t: export_rows(session, t)))


@pytest.mark.parametrize("fmt", ["xlsx", "json", "yaml"])
def test_export_then_import_changes_nothing(
    db_session: Session, populated: None, do_import: ImportFn, fmt: str
) -> None:
    content = _export(db_session, fmt)
    report = do_import(content, f"export.{fmt}", "workbook", commit=True)
    assert report.valid, [p.message for p in report.all_problems()]
    counts = report.counts()
    assert counts["rows"] > 20
    assert counts["rows"] == counts["unchanged"], counts


def test_csv_export_is_a_zip_of_import_files_that_import_back_unchanged(
    db_session: Session, populated: None, do_import: ImportFn
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_export(db_session, "csv")))
    assert archive.namelist() == [f"{t}.csv" for t in IMPORT_TYPES]
    for import_type in IMPORT_TYPES:
        content = archive.read(f"{import_type}.csv")
        header = next(csv.reader(io.StringIO(content.decode())))
        assert header == SPECS[import_type].names
        report = do_import(content, f"{import_type}.csv", import_type, commit=True)
        counts = report.counts()
        assert report.valid and counts["rows"] == counts["unchanged"] > 0, import_type


def test_formulas_are_neutralized_in_spreadsheets(db_session: Session, populated: None) -> None:
    content = _export(db_session, "csv", ["tables"])
    assert file_kind("csv", ["tables"]) == ("text/csv; charset=utf-8", "csv")
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    orders = next(r for r in rows if r["name"] == "orders")
    assert orders["description"] == '\'=HYPERLINK("http://evil")'
    assert orders["tags"] == "finance, core"


def test_lineage_export_carries_attribution(db_session: Session, populated: None) -> None:
    data = json.loads(_export(db_session, "json", ["table_lineage"]))
    by_pair = {(r["source_table"], r["target_table"]): r for r in data}
    assert by_pair[("sales.public.customers", "dw.marts.customer_ltv")]["lineage_source"] == (
        "approved"
    )
    inferred = by_pair[("sales.public.order_items", "dw.marts.daily_revenue")]
    assert inferred["lineage_source"] == "inferred" and inferred["confidence"] == "0.35"
    # the table edge the field edge needed is exported too
    assert ("sales.public.orders", "dw.marts.daily_revenue") in by_pair


def test_export_filters_by_source(db_session: Session, populated: None, catalog: dict) -> None:
    rows = list(export_rows(db_session, "tables", source_ids=[catalog["dw"].id]))
    assert {r["source"] for r in rows} == {"dw"}
    sources = list(export_rows(db_session, "sources", source_ids=[catalog["dw"].id]))
    assert [s["name"] for s in sources] == ["dw"]


def test_export_streams_in_chunks(db_session: Session, populated: None) -> None:
    chunks = list(stream("yaml", list(IMPORT_TYPES), lambda t: export_rows(db_session, t)))
    assert len(chunks) == len(IMPORT_TYPES)  # one per type here; never one whole file
    parsed = yaml.safe_load(b"".join(chunks))
    assert set(parsed) == set(IMPORT_TYPES)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "yaml"])
@pytest.mark.parametrize("import_type", IMPORT_TYPES)
def test_templates_read_back_with_their_example_row(
    tmp_path: Path, fmt: str, import_type: str
) -> None:
    content, _, name = template(import_type, fmt)
    path = tmp_path / name
    path.write_bytes(content)
    parsed = read_file(path, name, import_type)
    sheet = parsed.sheets[0]
    assert [h for h in sheet.headers if h] == SPECS[import_type].names
    rows = list(sheet.rows)
    assert len(rows) == 1
    example = dict(zip(sheet.headers, rows[0][1], strict=False))
    assert example == {c.name: c.example for c in SPECS[import_type].columns}
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path)
        assert workbook.sheetnames == [import_type, "columns"]
        described = {row[1] for row in workbook["columns"].iter_rows(values_only=True)}
        assert set(SPECS[import_type].names) <= described
    if fmt == "yaml":
        assert all(f"#   {c.name} " in content.decode() for c in SPECS[import_type].columns)


def test_excel_export_drops_characters_excel_cannot_hold(
    db_session: Session, populated: None, catalog: dict
) -> None:
    from openpyxl import load_workbook

    update_table(
        db_session,
        catalog["dw.marts.customer_ltv"].id,
        {"description": "bell\x07 and \U00095e1e"},
        "seed",
    )
    content = _export(db_session, "xlsx", ["tables"])
    sheet = load_workbook(io.BytesIO(content))["tables"]
    descriptions = {row[2]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert descriptions["customer_ltv"] == "bell and \U00095e1e"


@pytest.mark.parametrize("lead", ["\t", "\r", "@", "+"])
def test_cells_starting_with_tab_or_cr_are_neutralized_and_read_back(
    db_session: Session, catalog: dict[str, Any], lead: str
) -> None:
    """Spreadsheets run a cell that starts with tab or CR as a formula too (OWASP)."""
    from ariadne_core.exporting.stream import neutralize

    value = lead + "cmd|' /C calc'!A0"
    assert neutralize(value) == "'" + value
    update_table(db_session, catalog["sales.public.orders"].id, {"description": value}, "test")
    content = _export(db_session, "csv", ["tables"])
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    orders = next(r for r in rows if r["name"] == "orders")
    assert orders["description"].startswith("'" + lead)
