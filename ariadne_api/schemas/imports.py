"""Bodies of the Bulk Import/Export API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.schemas.common import JobRunner

PROBLEM_EXAMPLE = {
    "code": "TABLE_NOT_FOUND",
    "severity": "error",
    "message": "Row 17: the target table 'sales.public.ordrs' is not in the catalog. Did you "
    "mean 'sales.public.orders'?",
    "hint": "Fix the name, or import the table first.",
    "sheet": "table_lineage",
    "row": 17,
    "column": "target_table",
    "value": "sales.public.ordrs",
}


class ImportProblem(BaseModel):
    """One problem: where it is, what is wrong in plain words, and what to do."""

    model_config = ConfigDict(json_schema_extra={"example": PROBLEM_EXAMPLE})
    code: str
    severity: str = Field(description="error (the row is not imported) or warning")
    message: str
    hint: str
    sheet: str | None = None
    row: int | None = Field(None, description="Row number as the user sees it in the file")
    column: str | None = None
    value: str | None = None


class RowStatus(BaseModel):
    sheet: str
    row: int
    status: str = Field(description="create, update, unchanged or error")


class SheetSummary(BaseModel):
    name: str
    import_type: str
    counts: dict[str, int]


class AffectedTable(BaseModel):
    table_id: str
    table: str
    newly_reached_tables: int


class CycleFound(BaseModel):
    sheet: str | None
    row: int | None
    path: list[str]


class GraphEffectResponse(BaseModel):
    """What the import does to the lineage graph."""

    edges_added: int
    table_edges_added: int
    field_edges_added: int
    table_edges_added_for_field_edges: int
    edges_updated: int
    attribution_changes: int = Field(description="Edges whose lineage_source changes")
    edges_deprecated: int = Field(description="Manual edges retired by replace=true")
    cycles_created: int
    cycles: list[CycleFound]
    most_affected: list[AffectedTable] = Field(
        description="Up to ten tables that newly reach the most downstream tables"
    )


class ValidationResponse(BaseModel):
    """The preview: nothing was written."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "import_type": "table_lineage",
                "file_name": "lineage.csv",
                "format": "csv",
                "mode": "all_or_nothing",
                "replace": False,
                "valid": False,
                "committed": False,
                "counts": {
                    "rows": 3,
                    "create": 2,
                    "update": 0,
                    "unchanged": 0,
                    "error": 1,
                    "warnings": 0,
                    "problems": 1,
                },
                "sheets": [
                    {
                        "name": "table_lineage",
                        "import_type": "table_lineage",
                        "counts": {"rows": 3, "create": 2, "error": 1},
                    }
                ],
                "rows": [{"sheet": "table_lineage", "row": 2, "status": "create"}],
                "rows_truncated": False,
                "problems": [PROBLEM_EXAMPLE],
                "problems_truncated": False,
                "graph": {
                    "edges_added": 2,
                    "table_edges_added": 2,
                    "field_edges_added": 0,
                    "table_edges_added_for_field_edges": 0,
                    "edges_updated": 0,
                    "attribution_changes": 0,
                    "edges_deprecated": 0,
                    "cycles_created": 0,
                    "cycles": [],
                    "most_affected": [],
                },
            }
        }
    )
    import_type: str
    file_name: str
    format: str | None
    mode: str
    replace: bool
    valid: bool
    committed: bool
    counts: dict[str, int]
    sheets: list[SheetSummary]
    rows: list[RowStatus] = Field(description="Status of each row (the first 10,000)")
    rows_truncated: bool
    problems: list[ImportProblem] = Field(description="The first 1,000 problems")
    problems_truncated: bool
    graph: GraphEffectResponse


class ImportJobResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "job_id": "5b0f8a8e-4a57-4a53-9d44-1b8a0f3c2e11",
                "status": "pending",
                "dagster_run_id": "c5a3f1de-7d4c-4b59-9a1f-2e0b9f6d1a22",
                "runner": "dagster",
                "status_url": "/api/v1/import/jobs/5b0f8a8e-4a57-4a53-9d44-1b8a0f3c2e11",
            }
        }
    )
    job_id: uuid.UUID
    status: str
    dagster_run_id: str | None
    runner: JobRunner = None
    status_url: str


class ImportJobStatusResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "5b0f8a8e-4a57-4a53-9d44-1b8a0f3c2e11",
                "import_type": "table_lineage",
                "mode": "all_or_nothing",
                "replace": False,
                "status": "succeeded",
                "stage": "committed",
                "progress_percent": 100.0,
                "file_name": "lineage.csv",
                "counts": {"rows": 2, "create": 2, "update": 0, "unchanged": 0, "error": 0},
                "errors": [],
                "report": {},
                "error_message": None,
                "error_report_url": None,
                "dagster_run_id": "c5a3f1de-7d4c-4b59-9a1f-2e0b9f6d1a22",
                "dagster_run_url": "http://localhost:3000/runs/c5a3f1de-7d4c-4b59-9a1f-2e0b9f6d1a22",
                "runner": "dagster",
                "created_by": "editor@example.com",
                "created_at": "2026-11-26T10:00:00Z",
                "started_at": "2026-11-26T10:00:01Z",
                "finished_at": "2026-11-26T10:00:03Z",
            }
        }
    )
    id: uuid.UUID
    import_type: str
    mode: str
    replace: bool
    status: str = Field(description="pending, running, succeeded or failed")
    stage: str | None
    progress_percent: float
    file_name: str | None
    counts: dict[str, int]
    errors: list[ImportProblem] = Field(description="The first 1,000 problems")
    report: dict[str, Any] = Field(description="Per-sheet counts and the graph effect")
    error_message: str | None
    error_report_url: str | None = Field(
        description="Your file with an added `error` column, to fix and upload again"
    )
    dagster_run_id: str | None
    dagster_run_url: str | None
    runner: JobRunner = None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
