"""Which handler imports which sheet, in the order sheets are imported."""

from __future__ import annotations

from collections.abc import Callable

from ariadne_core.importing.engine import Context, Record, SheetResult
from ariadne_core.importing.entities import import_fields, import_sources, import_tables
from ariadne_core.importing.lineage_rows import import_field_lineage, import_table_lineage

HANDLERS: dict[str, Callable[[Context, SheetResult, list[Record]], None]] = {
    "sources": import_sources,
    "tables": import_tables,
    "fields": import_fields,
    "table_lineage": import_table_lineage,
    "field_lineage": import_field_lineage,
}
