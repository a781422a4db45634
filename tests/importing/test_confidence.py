"""Confidence as spreadsheets write it: exponents, comma decimals, percentages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import TableLineage
from tests.importing.conftest import ImportFn, codes

ROW = "source_table;target_table;confidence\nsales.public.orders;dw.marts.daily_revenue;{}\n"


@pytest.mark.parametrize(
    ("written", "stored"),
    [("1e-3", 0.001), ("0,8", 0.8), ("80%", 0.8), ("75 %", 0.75), (".5", 0.5), ("1", 1.0)],
)
def test_confidence_as_spreadsheets_write_it(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn, written: str, stored: float
) -> None:
    report = do_import(ROW.format(written), "c.csv", "table_lineage", commit=True)
    assert codes(report) == [] and report.committed
    edge = db_session.scalar(select(TableLineage))
    assert edge is not None and edge.confidence == pytest.approx(stored)


@pytest.mark.parametrize("written", ["1,5", "150%", "-1e-3", "nan", "0,8,1", "inf"])
def test_confidence_that_is_no_share_names_the_value(
    catalog: dict[str, Any], do_import: ImportFn, written: str
) -> None:
    report = do_import(ROW.format(written), "c.csv", "table_lineage")
    assert codes(report) == [(2, "BAD_CONFIDENCE")]
    assert f"'{written}'" in report.all_problems()[0].message
