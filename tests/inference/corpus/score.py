"""Score a lineage engine on the corpus: table- and column-level precision and recall.

Tables: each case contributes its (role, table) pairs, role being source or target.
Columns: each case contributes its (source table, source column, target table, target
column) edges; cases without a ``columns`` key count for tables only. Micro-averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

Prediction = tuple[set[str], set[str], set[tuple[str, str, str, str]] | None]


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            case["file"] = path.name
            cases.append(case)
    ids = [c["id"] for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate corpus ids: {sorted(duplicates)}")
    return cases


def column_edge(text: str) -> tuple[str, str, str, str]:
    left, right = (part.strip().lower() for part in text.split("->"))
    source_table, source_column = left.rsplit(".", 1)
    target_table, target_column = right.rsplit(".", 1)
    return source_table, source_column, target_table, target_column


def statement_count(cases: Iterable[dict[str, Any]]) -> int:
    """Statements in the corpus (a script counts each of its statements)."""
    from ariadne_core.inference.scripts import split_script
    from ariadne_core.inference.sql import dialect_name

    return sum(len(split_script(c["sql"], dialect_name(c["dialect"]))) for c in cases)


@dataclass
class Score:
    tp_tables: int = 0
    fp_tables: int = 0
    fn_tables: int = 0
    tp_columns: int = 0
    fp_columns: int = 0
    fn_columns: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def table_precision(self) -> float:
        return self._ratio(self.tp_tables, self.tp_tables + self.fp_tables)

    @property
    def table_recall(self) -> float:
        return self._ratio(self.tp_tables, self.tp_tables + self.fn_tables)

    @property
    def column_precision(self) -> float:
        return self._ratio(self.tp_columns, self.tp_columns + self.fp_columns)

    @property
    def column_recall(self) -> float:
        return self._ratio(self.tp_columns, self.tp_columns + self.fn_columns)

    @staticmethod
    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def table_f1(self) -> float:
        return self.f1(self.table_precision, self.table_recall)

    @property
    def column_f1(self) -> float:
        return self.f1(self.column_precision, self.column_recall)


def score(
    cases: list[dict[str, Any]], predict: Callable[[dict[str, Any]], Prediction | None]
) -> Score:
    """``predict(case)`` gives (sources, targets, column edges or None); None for a case
    the engine could not run counts every expected item as missed."""
    result = Score()
    for case in cases:
        expected_tables = {("source", t.lower()) for t in case.get("sources") or []} | {
            ("target", t.lower()) for t in case.get("targets") or []
        }
        expected_columns = {column_edge(c) for c in case["columns"]} if "columns" in case else None
        try:
            prediction = predict(case)
        except Exception as exc:
            prediction = None
            error = f"{type(exc).__name__}: {exc}"[:200]
        else:
            error = None
        if prediction is None:
            got_tables: set[tuple[str, str]] = set()
            got_columns: set[tuple[str, str, str, str]] = set()
        else:
            sources, targets, columns = prediction
            got_tables = {("source", t) for t in sources} | {("target", t) for t in targets}
            got_columns = columns or set()
        result.tp_tables += len(got_tables & expected_tables)
        result.fp_tables += len(got_tables - expected_tables)
        result.fn_tables += len(expected_tables - got_tables)
        bad = got_tables != expected_tables
        if expected_columns is not None:
            result.tp_columns += len(got_columns & expected_columns)
            result.fp_columns += len(got_columns - expected_columns)
            result.fn_columns += len(expected_columns - got_columns)
            bad = bad or got_columns != expected_columns
        if bad or error:
            result.failures.append(
                {
                    "id": case["id"],
                    "error": error,
                    "extra_tables": sorted(got_tables - expected_tables),
                    "missing_tables": sorted(expected_tables - got_tables),
                    "extra_columns": sorted(got_columns - (expected_columns or set()))
                    if expected_columns is not None
                    else [],
                    "missing_columns": sorted((expected_columns or set()) - got_columns),
                }
            )
    return result


def ariadne(case: dict[str, Any]) -> Prediction:
    """Ariadne's engine on one case."""
    from ariadne_core.inference.sql import Catalog, analyze

    catalog = Catalog(case.get("schema") or {})
    lineage = analyze(
        case["sql"], case["dialect"], default_schema=case.get("default_schema"), catalog=catalog
    )
    columns = {
        (e.source_table, e.source_column, e.target_table, e.target_column)
        for e in lineage.column_edges
    }
    return (
        {t.lstrip("#") for t in lineage.sources},
        {t.lstrip("#") for t in lineage.targets},
        columns,
    )
