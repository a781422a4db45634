"""The import types, their columns, and the header names people actually write.

Headers match case-insensitively and ignore spaces, underscores and hyphens, so
"Source Table", "source_table" and "SOURCE-TABLE" are one column. Each column also has
aliases: `source`, `from` and `upstream` all mean the source table of a lineage row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

IMPORT_TYPES = ("sources", "tables", "fields", "table_lineage", "field_lineage")
WORKBOOK = "workbook"
SQL = "sql"  # .sql scripts read by lineage inference (ariadne_core/importing/sql_files.py)
# OpenLineage events, processed as if posted (ariadne_core/importing/openlineage_files.py)
OPENLINEAGE = "openlineage"
# Other tools' files, imported as the sheets above (datahub_files.py, dbt_files.py)
DATAHUB = "datahub_lineage"
DBT = "dbt"
# The types that are not one sheet of the columns below
OTHER_TYPES = (WORKBOOK, SQL, OPENLINEAGE, DATAHUB, DBT)
# A workbook is imported sheet by sheet in this order, so later sheets may refer to
# what earlier sheets create.
DEPENDENCY_ORDER = IMPORT_TYPES


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    example: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportSpec:
    type: str
    title: str  # how messages name one row's kind, e.g. "table lineage"
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def header_map(self) -> dict[str, str]:
        """Normalized header or alias -> canonical column name."""
        out: dict[str, str] = {}
        for column in self.columns:
            for alias in (column.name, *column.aliases):
                out[normalize_header(alias)] = column.name
        return out


def normalize_header(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", value.strip().lower())


def normalize_type_name(value: str) -> str | None:
    """A sheet or argument name -> import type ("Table Lineage" -> "table_lineage")."""
    wanted = normalize_header(value)
    for name in (*IMPORT_TYPES, *OTHER_TYPES):
        if normalize_header(name) == wanted:
            return name
    return None


_LINEAGE_COMMON = (
    Column(
        "transformation_type",
        "How the target is derived: copy, aggregate, join, filter, etl, ... (free text).",
        "aggregate",
        aliases=("transformation", "transform"),
    ),
    Column(
        "transformation_logic",
        "The SQL or a description of the logic, for people who read the lineage later.",
        "SUM(amount) GROUP BY day",
        aliases=("logic", "sql", "expression"),
    ),
    Column(
        "lineage_source",
        "Who stands behind the edge: manual (default), inferred (machine exports, goes "
        "to review), or approved (data stewards only).",
        "manual",
        aliases=("attribution", "origin"),
    ),
    Column(
        "confidence",
        "How sure you are, a number from 0 to 1. Empty means 1 for manual edges.",
        "1.0",
    ),
)

SPECS: dict[str, ImportSpec] = {
    "sources": ImportSpec(
        "sources",
        "data source",
        (
            Column(
                "name",
                "Unique name of the system; it is the first part of qualified names.",
                "sales",
                True,
                aliases=("source", "source_name", "system"),
            ),
            Column(
                "type",
                "postgresql, oracle, mongodb, elasticsearch, or manual for systems Ariadne "
                "does not connect to. Connection settings are entered in the app, never in "
                "a file.",
                "manual",
                True,
                aliases=("source_type", "kind"),
            ),
            Column("description", "What the system is for.", "Order management system"),
            Column(
                "is_active",
                "true or false: whether the nightly harvest includes it.",
                "true",
                aliases=("active", "enabled"),
            ),
        ),
    ),
    "tables": ImportSpec(
        "tables",
        "table",
        (
            Column(
                "source", "Name of the data source it lives in.", "sales", True, ("source_name",)
            ),
            Column(
                "schema",
                "Schema or database; leave empty if the system has none.",
                "public",
                aliases=("schema_name", "database", "namespace"),
            ),
            Column(
                "name",
                "Table name, without dots.",
                "orders",
                True,
                aliases=("table", "table_name"),
            ),
            Column(
                "type",
                "table, view, materialized_view, collection, index, data_stream, alias, external "
                "or file. Empty means table.",
                "table",
                aliases=("table_type", "kind"),
            ),
            Column("description", "What one row means.", "One row per customer order"),
            Column("owner", "Who to ask about it, usually an e-mail.", "anna@example.com"),
            Column("tags", "Tags separated by commas.", "pii, finance", aliases=("labels",)),
            Column(
                "row_count",
                "Approximate number of rows, a whole number.",
                "120000",
                aliases=("row_count_estimate", "rows"),
            ),
        ),
    ),
    "fields": ImportSpec(
        "fields",
        "field",
        (
            Column(
                "table",
                "Qualified name of the table: source.schema.table.",
                "sales.public.orders",
                True,
                aliases=("table_name", "qualified_table", "table_qualified_name"),
            ),
            Column(
                "name",
                "Field (column) name, without dots.",
                "order_id",
                True,
                aliases=("field", "field_name", "column", "column_name"),
            ),
            Column(
                "data_type",
                "The type as the system names it.",
                "bigint",
                aliases=("type", "datatype"),
            ),
            Column(
                "nullable",
                "true or false. Empty means true.",
                "false",
                aliases=("is_nullable", "null"),
            ),
            Column(
                "primary_key",
                "true or false. Empty means false.",
                "true",
                aliases=("is_primary_key", "pk", "key"),
            ),
            Column(
                "position",
                "Position of the field in the table, from 1.",
                "1",
                aliases=("ordinal_position", "ordinal"),
            ),
            Column("description", "What the field means.", "Order number"),
            Column("tags", "Tags separated by commas.", "id", aliases=("labels",)),
        ),
    ),
    "table_lineage": ImportSpec(
        "table_lineage",
        "table lineage",
        (
            Column(
                "source_table",
                "Qualified name of the table the data comes from: source.schema.table.",
                "sales.public.orders",
                True,
                aliases=("source", "from", "upstream", "from_table", "upstream_table"),
            ),
            Column(
                "target_table",
                "Qualified name of the table the data goes to: source.schema.table.",
                "warehouse.marts.daily_revenue",
                True,
                aliases=("target", "to", "downstream", "to_table", "downstream_table"),
            ),
            *_LINEAGE_COMMON,
        ),
    ),
    "field_lineage": ImportSpec(
        "field_lineage",
        "field lineage",
        (
            Column(
                "source_field",
                "Qualified name of the field the data comes from: source.schema.table.field.",
                "sales.public.orders.amount",
                True,
                aliases=(
                    "source",
                    "from",
                    "upstream",
                    "source_column",
                    "from_field",
                    "from_column",
                    "upstream_field",
                ),
            ),
            Column(
                "target_field",
                "Qualified name of the field the data goes to: source.schema.table.field.",
                "warehouse.marts.daily_revenue.revenue",
                True,
                aliases=(
                    "target",
                    "to",
                    "downstream",
                    "target_column",
                    "to_field",
                    "to_column",
                    "downstream_field",
                ),
            ),
            Column(
                "source_table",
                "Optional: the source field's table, checked against the field name.",
                "sales.public.orders",
                aliases=("from_table", "upstream_table"),
            ),
            Column(
                "target_table",
                "Optional: the target field's table, checked against the field name.",
                "warehouse.marts.daily_revenue",
                aliases=("to_table", "downstream_table"),
            ),
            *_LINEAGE_COMMON,
        ),
    ),
}


def normalize_confidence(text: str) -> str:
    """A confidence as a spreadsheet may write it, as the plain decimal the row check
    expects: '80%' -> '0.8', '0,8' (comma decimals) -> '0.8', '1e-3' -> '0.001'. Text
    that is no number from 0 to 1 comes back unchanged, for the check to report."""
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    percent = value.endswith("%")
    if percent:
        value = value[:-1]
    if value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return text
    if percent:
        number /= 100
    if not (math.isfinite(number) and 0 <= number <= 1):
        return text
    plain = f"{abs(number):.12f}".rstrip("0")  # abs: '-0' is 0
    return plain + "0" if plain.endswith(".") else plain
