"""Row-value checks: the Great Expectations 1.x suites in `expectations/`, one per type.

Each suite runs on a pandas DataFrame whose index is the row number the user sees, with
``result_format`` COMPLETE, so every failed expectation's ``unexpected_index_list`` is
directly the list of bad rows. The expectation's ``meta.code`` picks the message from
the catalogue in `messages`. GX 1.x is called directly (dagster-ge does not support it).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ariadne_core.importing.messages import Problem, problem
from ariadne_core.importing.spec import SPECS

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
CHUNK_ROWS = 50_000
_lock = threading.Lock()  # a GX context is not meant to be shared between threads


@cache
def suite_document(import_type: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SUITES_DIR / f"{import_type}.json").read_text())
    return document


@cache
def _gx() -> tuple[Any, Any, dict[str, Any]]:
    """(GX module, batch definition, suites): built once per process, on first use."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batches = (
        context.data_sources.add_pandas("ariadne_import")
        .add_dataframe_asset("uploaded_rows")
        .add_batch_definition_whole_dataframe("whole_file")
    )
    suites = {}
    for import_type in SPECS:
        document = suite_document(import_type)
        expectations = [
            ExpectationConfiguration(
                type=item["type"], kwargs=item["kwargs"], meta=item.get("meta", {})
            ).to_domain_obj()
            for item in document["expectations"]
        ]
        suites[import_type] = gx.ExpectationSuite(
            name=document["name"], expectations=expectations, meta=document.get("meta")
        )
    return gx, batches, suites


def warm_up() -> None:
    """Import GX ahead of the first upload (it takes seconds); safe to call in a thread."""
    with _lock:
        _gx()


def check_rows(
    import_type: str,
    columns: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str | None]]],
    *,
    sheet: str | None,
    row_word: str = "Row",
) -> list[Problem]:
    """Validate ``rows`` (row number, values in ``columns`` order) against the suite."""
    import pandas as pd

    spec = SPECS[import_type]
    present = list(columns)
    problems: list[Problem] = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        frame = pd.DataFrame(
            [list(values) for _, values in chunk],
            index=[number for number, _ in chunk],
            columns=present,
            dtype=object,
        )
        for name in spec.names:  # optional columns the file left out are simply empty
            if name not in frame.columns:
                frame[name] = None
        problems.extend(_validate(import_type, frame, sheet, row_word))
    return problems


def _validate(import_type: str, frame: Any, sheet: str | None, row_word: str) -> list[Problem]:
    with _lock:
        _, batches, suites = _gx()
        result = batches.get_batch(batch_parameters={"dataframe": frame}).validate(
            suites[import_type], result_format={"result_format": "COMPLETE"}
        )
    problems = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs["column"]
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {config.type} on {column} failed to run: "
                f"{item.exception_info.get('exception_message')}"
            )
        indexes = item.result.get("unexpected_index_list") or []
        values = item.result.get("unexpected_list") or [None] * len(indexes)
        params = {
            "title": SPECS[import_type].title,
            "allowed": ", ".join(kwargs.get("value_set") or []),
            "max_length": kwargs.get("max_value"),
        }
        for row, value in zip(indexes, values, strict=False):
            problems.append(
                problem(
                    config.meta["code"],
                    sheet=sheet,
                    row=int(row),
                    row_word=row_word,
                    column=column,
                    value=value,
                    **params,
                )
            )
    return problems
