"""Every problem an import can report, in words a non-technical user understands.

Each problem is one record: where (sheet and row as the user numbers it), the column,
the value, a stable code, a plain-language message and a hint saying what to do. The
catalogue below is the only place messages are written; `docs/import-messages.md`
lists it, and a test renders every entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Template:
    severity: str
    message: str
    hint: str


CATALOGUE: dict[str, Template] = {
    # --- the file as a whole ---------------------------------------------------------
    "FILE_EMPTY": Template(
        ERROR,
        "The file is empty.",
        "Download the template, fill in one row per item, and upload it again.",
    ),
    "FILE_NOT_TEXT": Template(
        ERROR,
        "This does not look like a {format} file: it contains binary data.",
        "In your spreadsheet program choose Save As, then 'CSV UTF-8', or upload the .xlsx "
        "file itself.",
    ),
    "FILE_ENCODING": Template(
        ERROR,
        "The characters in this file could not be read as UTF-8, UTF-16 or Windows-1252.",
        "Save the file again as 'CSV UTF-8' and upload that.",
    ),
    "FILE_UNREADABLE": Template(
        ERROR,
        "The file could not be read as {format}: {reason}.",
        "Check that the file is a real {format} file, for example by opening it, and save it "
        "again.",
    ),
    "UNKNOWN_FORMAT": Template(
        ERROR,
        "Files named '{value}' cannot be imported.",
        "Use a .csv, .xlsx, .json, .yaml or .yml file.",
    ),
    "JSON_NOT_ARRAY": Template(
        ERROR,
        'The file must hold a list of rows, like [{{"name": ...}}, ...], but it holds {kind}.',
        "Put the rows in square brackets, one object per row.",
    ),
    "ITEM_NOT_OBJECT": Template(
        ERROR,
        "this is {kind}, not a row with named columns.",
        'Write each row as an object, like {{"source_table": "...", "target_table": "..."}}.',
    ),
    "VALUE_NOT_SCALAR": Template(
        ERROR,
        "{column} holds a nested list or object, which a cell cannot hold.",
        "Write a plain value; separate several tags with commas.",
    ),
    "YAML_TOO_COMPLEX": Template(
        ERROR,
        "The file uses more than {limit} YAML aliases (& and *), which is refused to protect "
        "the server.",
        "Write the rows out in full instead of repeating them through aliases.",
    ),
    "FILE_TOO_DEEP": Template(
        ERROR,
        "The file nests lists or objects more than {limit} levels deep, which is refused to "
        "protect the server; an import file needs at most four.",
        "Write one list of rows, each row an object of plain values (or a workbook object "
        "mapping sheet names to such lists).",
    ),
    "TOO_MANY_COLUMNS": Template(
        ERROR,
        "The rows have {count} different column names; at most {limit} are read.",
        "Keep only the columns of the template; download it to see them.",
    ),
    "XLSX_TOO_LARGE": Template(
        ERROR,
        "The Excel file unpacks to {size} MB of {what}; at most {limit} MB can be read.",
        "Save the sheets as CSV files (File > Save As > CSV UTF-8), which are read row by row, "
        "or split the workbook.",
    ),
    "DOCUMENT_TOO_LARGE": Template(
        ERROR,
        "{format} files are read whole into memory, so they may have at most {limit} MB; "
        "this one has {size} MB.",
        "Split the file into smaller ones, or save it as CSV or Excel (.xlsx), which are read "
        "row by row and may be much larger.",
    ),
    "TOO_MANY_SHEETS": Template(
        ERROR,
        "The workbook has {count} sheets; at most {limit} can be imported at once.",
        "Keep only the sheets you want to import: sources, tables, fields, table_lineage, "
        "field_lineage.",
    ),
    "NO_IMPORT_SHEETS": Template(
        ERROR,
        "None of the sheets is named after something Ariadne can import (found: {value}).",
        "Name the sheets sources, tables, fields, table_lineage and field_lineage.",
    ),
    "UNKNOWN_SHEET": Template(
        WARNING,
        "The sheet '{value}' is not an import type, so it was skipped.",
        "Rename it to sources, tables, fields, table_lineage or field_lineage if it should be "
        "imported.",
    ),
    "HEADER_ONLY": Template(
        ERROR,
        "There are column names but no rows below them.",
        "Add one row per {title} under the header row.",
    ),
    "MISSING_COLUMNS": Template(
        ERROR,
        "Required columns are missing: {missing}. A {title} file has these columns: {expected}.",
        "Add the missing columns to the header row, or start from the downloadable template.",
    ),
    "DUPLICATE_HEADER": Template(
        ERROR,
        "Two columns mean the same thing: '{value}' and '{other}' are both read as {column}.",
        "Delete or rename one of the two columns.",
    ),
    "EMPTY_HEADER": Template(
        ERROR,
        "Column {position} has no name in the header row. Merged header cells look like this.",
        "Unmerge the header cells and give every column its own name, or delete the column.",
    ),
    "UNKNOWN_COLUMN": Template(
        WARNING,
        "The column '{value}' is not part of a {title} import, so it was ignored.",
        "The columns read are: {expected}. Rename the column if it is one of them.",
    ),
    # --- values in a row (Great Expectations suites) -----------------------------------
    "REQUIRED_VALUE_MISSING": Template(
        ERROR,
        "{column} is empty, but every {title} needs one.",
        "Fill in {column}.",
    ),
    "BAD_TABLE_NAME": Template(
        ERROR,
        "'{value}' in {column} is not a table name Ariadne can look up.",
        "Write source.schema.table, for example sales.public.orders, or source.table when "
        "the system has no schemas.",
    ),
    "BAD_FIELD_NAME": Template(
        ERROR,
        "'{value}' in {column} is not a field name Ariadne can look up.",
        "Write source.schema.table.field, for example sales.public.orders.amount.",
    ),
    "BAD_NAME": Template(
        ERROR,
        "'{value}' in {column} is not a valid name: names cannot contain dots or be blank.",
        "Remove the dots; dots separate the parts of a qualified name.",
    ),
    "BAD_CHOICE": Template(
        ERROR,
        "'{value}' is not a valid {column}.",
        "Use one of: {allowed}.",
    ),
    "BAD_BOOLEAN": Template(
        ERROR,
        "{column} must be true or false, but it is '{value}'.",
        "Write true or false (yes and no work too).",
    ),
    "BAD_INTEGER": Template(
        ERROR,
        "{column} must be a whole number, but it is '{value}'.",
        "Write digits only, for example 42.",
    ),
    "BAD_CONFIDENCE": Template(
        ERROR,
        "confidence must be a number from 0 to 1, but it is '{value}'.",
        "Write it like 0.8, 0,8 or 80%, or leave it empty for 1.",
    ),
    "VALUE_TOO_LONG": Template(
        ERROR,
        "{column} is longer than {max_length} characters.",
        "Shorten it to at most {max_length} characters.",
    ),
    "BAD_TAG": Template(
        ERROR,
        "'{value}' is not a valid tag.",
        "Tags use letters, digits and _ - : . and start with a letter or digit; separate "
        "several tags with commas.",
    ),
    # --- references ------------------------------------------------------------------
    "SOURCE_NOT_FOUND": Template(
        ERROR,
        "the data source '{value}' is not in the catalog.{suggestion}",
        "Fix the name, or add the source first (in the sources sheet or in the app).",
    ),
    "TABLE_NOT_FOUND": Template(
        ERROR,
        "the {role}table '{value}' is not in the catalog.{suggestion}",
        "Fix the name, or import the table first.",
    ),
    "FIELD_NOT_FOUND": Template(
        ERROR,
        "the {role}field '{value}' is not in the catalog.{suggestion}",
        "Fix the name, or import the field first.",
    ),
    # --- duplicates ------------------------------------------------------------------
    "DUPLICATE_ROW": Template(
        ERROR,
        "this row repeats row {first_row}: both describe {what}.",
        "Keep one of the two rows and delete the other.",
    ),
    # --- business rules --------------------------------------------------------------
    "SELF_LINEAGE": Template(
        ERROR,
        "'{value}' cannot feed itself: the source and the target are the same.",
        "Correct the source or the target.",
    ),
    "FIELD_TABLE_MISMATCH": Template(
        ERROR,
        "the field '{value}' belongs to table '{actual}', but {column} says '{given}'.",
        "Make {column} match the field's table, or leave {column} empty.",
    ),
    "TABLE_EDGE_REJECTED": Template(
        ERROR,
        "a data steward rejected the table lineage {source} → {target}, so field lineage "
        "between these tables cannot be added.",
        "Ask a data steward to re-open that table lineage first, or remove this row.",
    ),
    "LINEAGE_REJECTED": Template(
        ERROR,
        "a data steward rejected this lineage ({source} → {target}), and only a data steward "
        "may bring it back; your role is {role}.",
        "Ask a data steward to re-open it (or to import this row), or remove this row.",
    ),
    "APPROVED_CHANGE_NEEDS_STEWARD": Template(
        ERROR,
        "a data steward approved this lineage ({source} → {target}), and only a data steward "
        "may change it; your role is {role}.",
        "Remove the row, or put back the values it has now (export it to see them), or ask "
        "a data steward to import the change.",
    ),
    "SOURCE_NEEDS_ADMIN": Template(
        ERROR,
        "only administrators may create or change data sources, and your role is {role}.",
        "Remove this row (or leave it exactly as it is in Ariadne), or ask an administrator "
        "to import it.",
    ),
    "APPROVED_NEEDS_STEWARD": Template(
        ERROR,
        "only data stewards may import lineage as approved, and your role is {role}.",
        "Write manual instead; a data steward can approve the lineage afterwards.",
    ),
    "SOURCE_TYPE_CHANGE": Template(
        ERROR,
        "the data source '{value}' is already of type {existing}; a file cannot change it "
        "to {given}.",
        "Write {existing}, or change the type in the app.",
    ),
    "SOURCE_NEEDS_CONNECTION": Template(
        ERROR,
        "the data source '{value}' is of type {given}, which needs connection settings, and "
        "those are never put in files.",
        "Create this source in the app (Sources, New source), or use the type manual.",
    ),
    # --- SQL scripts (import type sql) ------------------------------------------------
    "SQL_WRONG_FILE": Template(
        ERROR,
        "An import of type sql takes a .sql file or a .zip of .sql files, not '{value}'.",
        "Upload the script itself, or zip the folder of scripts and upload the .zip.",
    ),
    "SQL_NO_FILES": Template(
        ERROR,
        "The archive '{value}' holds no .sql file.",
        "Put the scripts (files ending in .sql) in the zip and upload it again.",
    ),
    "SQL_TOO_MANY_FILES": Template(
        ERROR,
        "The archive holds {count} .sql files; at most {limit} are read at once.",
        "Split the folder into several archives and import them one after the other.",
    ),
    "SQL_TOO_LARGE": Template(
        ERROR,
        "The SQL is {size} MB; at most {limit} MB are read at once.",
        "Split the scripts into several files or archives and import them one after the other.",
    ),
    "SQL_NO_STATEMENTS": Template(
        ERROR,
        "This file holds no SQL statement.",
        "Check that it is the right file; comments alone propose no lineage.",
    ),
    "SQL_UNKNOWN_DIALECT": Template(
        ERROR,
        "The dialect '{value}' named at the top of this file is not one Ariadne reads.",
        "Use one of postgres, oracle, snowflake, bigquery, tsql, mysql, spark, hive, redshift, "
        "duckdb or ansi in the '-- dialect:' line.",
    ),
    "SQL_UNKNOWN_SOURCE": Template(
        ERROR,
        "The source '{value}' named at the top of this file does not exist.",
        "Fix the '-- source:' line to name a data source of the catalog, or remove it.",
    ),
    "SQL_STATEMENT_UNREADABLE": Template(
        ERROR,
        "this statement could not be read as {dialect} SQL ({reason}), so it proposes no lineage.",
        "Check the statement, or name the right dialect in a '-- dialect:' line at the top "
        "of the file; the other statements are still read.",
    ),
    "SQL_TABLE_UNKNOWN": Template(
        WARNING,
        "The table '{value}' is not in the catalog, so no lineage through it is proposed.",
        "Harvest or import that table first, or write its name as source.schema.table, or "
        "name the source with a '-- source:' line at the top of the file.",
    ),
    # --- OpenLineage event files (import type openlineage) ------------------------------
    "OL_WRONG_FILE": Template(
        ERROR,
        "An import of type openlineage takes a .json file (one event or a list of them) or "
        "a .ndjson / .jsonl file (one event per line), not '{value}'.",
        "Export the events as JSON lines (Marquez, the OpenLineage file transport) and "
        "upload that file.",
    ),
    "OL_TOO_LARGE": Template(
        ERROR,
        "The file holds {count} events; at most {limit} are read at once.",
        "Split the file into several files and import them one after the other.",
    ),
    "OL_NO_EVENTS": Template(
        ERROR,
        "This file holds no OpenLineage event.",
        "Check that it is the right file: each line (or each item of the list) is one event.",
    ),
    "OL_EVENT_INVALID": Template(
        ERROR,
        "this is not a valid OpenLineage event ({reason}).",
        "Fix the field named, or remove the event; the other events are still read.",
    ),
    "OL_DATASET_UNMATCHED": Template(
        WARNING,
        "The dataset '{value}' matches no table of the catalog, so no lineage through it "
        "is created yet; it is kept for an admin to map.",
        "Give the source of that table a namespace alias, or map the dataset under "
        "GET /api/v1/lineage/observed/datasets after the import.",
    ),
    # --- DataHub lineage files (import type datahub_lineage) --------------------------
    "DH_WRONG_FILE": Template(
        ERROR,
        "An import of type datahub_lineage takes DataHub's lineage file (.yml, .yaml or "
        ".json), not '{value}'.",
        "Upload the file you give DataHub's datahub-lineage-file source.",
    ),
    "DH_NOT_LINEAGE_FILE": Template(
        ERROR,
        "This is not a DataHub lineage file: it has no 'lineage:' list of entries.",
        "A DataHub lineage file starts with 'version: 1' and 'lineage:', then one entry "
        "per dataset with its 'entity' and 'upstream' list (docs/import.md has an example).",
    ),
    "DH_VERSION": Template(
        ERROR,
        "The file says version {value}; DataHub lineage files of version 1 are read.",
        "Write 'version: 1' at the top of the file.",
    ),
    "DH_NOTHING": Template(
        ERROR,
        "No entry of this file has an upstream or a fine-grained lineage, so there is no "
        "lineage to import.",
        "Give each dataset its 'upstream' list of the datasets it is made from.",
    ),
    "DH_ENTRY_INVALID": Template(
        ERROR,
        "this lineage entry cannot be read: {reason}.",
        "Give the entry an 'entity' with its name, its platform and 'type: dataset', as "
        "DataHub's lineage file does.",
    ),
    "DH_ENTITY_TYPE": Template(
        ERROR,
        "the entity is of type '{value}'; only datasets have lineage in this file.",
        "Write 'type: dataset', or remove the entry.",
    ),
    "DH_BAD_URN": Template(
        ERROR,
        "'{value}' in {column} is not a DataHub field urn.",
        "Write urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:PLATFORM,NAME,ENV),FIELD).",
    ),
    "DH_NOT_A_FIELD": Template(
        WARNING,
        "'{value}' in {column} is a whole dataset, not a field, so no field lineage comes from it.",
        "List the dataset under 'upstream' for table lineage, or name its fields.",
    ),
    "DH_DATASET_UNMATCHED": Template(
        ERROR,
        "the dataset '{value}' matches no table of the catalog (sources looked in: "
        "{sources}), so this lineage cannot be created.",
        "Harvest or import the table first, or set the entity's platform_instance to the "
        "name of the Ariadne source it lives in.",
    ),
    "DH_DATASET_AMBIGUOUS": Template(
        ERROR,
        "the dataset '{value}' matches tables in several sources ({tables}).",
        "Set the entity's platform_instance to the name of the Ariadne source it lives in.",
    ),
    # --- dbt projects (import type dbt) -----------------------------------------------
    "DBT_WRONG_FILE": Template(
        ERROR,
        "An import of type dbt takes a dbt manifest.json, or a .zip holding manifest.json "
        "and catalog.json, not '{value}'.",
        "Run dbt compile (and dbt docs generate for column types) and upload "
        "target/manifest.json, or target/ as a .zip.",
    ),
    "DBT_NOT_MANIFEST": Template(
        ERROR,
        "'{value}' is not a dbt manifest (it has no dbt manifest metadata or nodes).",
        "Upload target/manifest.json as dbt writes it.",
    ),
    "DBT_CATALOG_ONLY": Template(
        ERROR,
        "This is dbt's catalog.json; it tells column types, but the models and their "
        "lineage are in manifest.json.",
        "Upload manifest.json, or a .zip holding manifest.json and catalog.json.",
    ),
    "DBT_NO_MANIFEST": Template(
        ERROR,
        "The .zip holds no manifest.json.",
        "Zip the project's target/ folder after dbt compile (or dbt docs generate).",
    ),
    "DBT_SQL_UNREADABLE": Template(
        WARNING,
        "the compiled SQL of {value} could not be read ({reason}), so it gives no field "
        "lineage; its table and table lineage are imported.",
        "Nothing to do for the import. Field lineage for this model can be declared in a "
        "field_lineage file.",
    ),
    "CYCLE_CREATED": Template(
        WARNING,
        "this lineage closes a loop: {path}.",
        "Loops are allowed; check that the data really flows this way.",
    ),
    "KEPT_STRONGER_ATTRIBUTION": Template(
        WARNING,
        "this lineage is already {existing} and an inferred row never overrides that, so it "
        "stays as it is.",
        "Nothing to do; remove the row to silence this warning.",
    ),
}


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str
    message: str
    hint: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def where(row: int | None, row_word: str = "Row") -> str:
    return f"{row_word} {row}: " if row is not None else ""


def problem(
    code: str,
    *,
    sheet: str | None = None,
    row: int | None = None,
    row_word: str = "Row",
    column: str | None = None,
    value: Any = None,
    **params: Any,
) -> Problem:
    """Render one catalogue entry. Row-level messages start with "Row N: "."""
    template = CATALOGUE[code]
    shown = None if value is None else str(value)
    fields = {"column": column, "value": shown, **params}
    message = template.message.format(**fields)
    if row is not None:
        message = where(row, row_word) + message
    return Problem(
        code=code,
        severity=template.severity,
        message=message,
        hint=template.hint.format(**fields),
        sheet=sheet,
        row=row,
        column=column,
        value=shown,
    )
