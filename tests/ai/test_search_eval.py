"""The search evaluation set stays true to the demo catalog it is asked of."""

from __future__ import annotations

from pathlib import Path

import yaml

from ariadne_core.demo import workbook_rows
from benchmarks.search_quality import score

EVAL = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "search_eval.yaml"


def test_every_expected_table_is_in_the_demo_catalog() -> None:
    rows = workbook_rows()
    tables = {f"{r['source']}.{r['schema']}.{r['name']}" for r in rows["tables"]}
    questions = yaml.safe_load(EVAL.read_text())
    assert len(questions) >= 60
    assert len({q["q"] for q in questions}) == len(questions), "a question is repeated"
    for item in questions:
        assert item["expect"] and set(item["expect"]) <= tables, item


def test_recall_and_reciprocal_rank() -> None:
    assert score(["a", "b", "c"], ["b"]) == (1.0, 0.5)
    assert score(["a", "b", "c", "d", "e", "f"], ["f", "a"]) == (0.5, 1.0)
    assert score([f"t{i}" for i in range(12)], ["t11"]) == (0.0, 0.0)
