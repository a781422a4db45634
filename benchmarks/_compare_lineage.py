"""Runs other SQL-lineage engines on the corpus, inside .venv-compare (see
compare-requirements.txt). Reads the cases as JSON on stdin, writes predictions as JSON
on stdout: {engine: {case id: [sources, targets, column edges] or null}}.

Names are normalised as the corpus writes them: lower case, sqllineage's ``<default>``
schema dropped; a case's default schema is given to the engines that take one.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

warnings.filterwarnings("ignore")

SQLLINEAGE_DIALECTS = {
    "ansi": "ansi",
    "postgres": "postgres",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "tsql": "tsql",
    "mysql": "mysql",
    "spark": "sparksql",
    "hive": "hive",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "trino": "trino",
}
OPENLINEAGE_DIALECTS = {
    "ansi": "generic",
    "postgres": "postgres",
    "oracle": "generic",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "tsql": "mssql",
    "mysql": "mysql",
    "spark": "sparksql",
    "hive": "hive",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "trino": "trino",
}


def _name(value: Any) -> str:
    text = str(value).lower().replace("<default>.", "")
    return text


def sqllineage(case: dict[str, Any]) -> list[Any]:
    from sqllineage.core.metadata.dummy import DummyMetaDataProvider
    from sqllineage.runner import LineageRunner

    provider = DummyMetaDataProvider({k: list(v) for k, v in (case.get("schema") or {}).items()})
    runner = LineageRunner(
        case["sql"],
        dialect=SQLLINEAGE_DIALECTS.get(case["dialect"], "ansi"),
        metadata_provider=provider,
        silent_mode=True,
    )
    sources = sorted(_name(t) for t in runner.source_tables)
    targets = sorted(_name(t) for t in runner.target_tables)
    columns = []
    for path in runner.get_column_lineage():
        first, last = path[0], path[-1]
        if first.parent is None or last.parent is None:
            continue
        columns.append(
            [
                _name(first.parent),
                str(first.raw_name).lower(),
                _name(last.parent),
                str(last.raw_name).lower(),
            ]
        )
    return [sources, targets, columns]


def openlineage_sql(case: dict[str, Any]) -> list[Any]:
    import openlineage_sql as ol

    meta = ol.parse(
        [case["sql"]],
        dialect=OPENLINEAGE_DIALECTS.get(case["dialect"], "generic"),
        default_schema=case.get("default_schema"),
    )

    def table(t: Any) -> str:
        parts = [p for p in (t.database, t.schema, t.name) if p]
        return ".".join(parts).lower()

    sources = sorted({table(t) for t in meta.in_tables})
    targets = sorted({table(t) for t in meta.out_tables})
    columns = []
    out = targets[0] if len(targets) == 1 else None
    for lineage in meta.column_lineage:
        for origin in lineage.lineage:
            if origin.origin is None or out is None:
                continue
            columns.append(
                [table(origin.origin), origin.name.lower(), out, lineage.descendant.name.lower()]
            )
    return [sources, targets, columns]


def main() -> None:
    cases = json.load(sys.stdin)
    result: dict[str, dict[str, Any]] = {"sqllineage": {}, "openlineage_sql": {}}
    for case in cases:
        for engine, run in (("sqllineage", sqllineage), ("openlineage_sql", openlineage_sql)):
            try:
                result[engine][case["id"]] = run(case)
            except Exception:
                result[engine][case["id"]] = None
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
