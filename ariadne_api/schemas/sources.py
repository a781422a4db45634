"""Data Source request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.schemas.common import JobRunner
from ariadne_core.db.models import SourceType

_EXAMPLE_CONFIG = {
    "host": "oracle.example.com",
    "port": 1521,
    "service_name": "PRODDB",
    "username": "metadata_reader",
    "password": "s3cret",
}


class SourceCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "Production Oracle",
                "type": "oracle",
                "description": "Main production database",
                "connection_config": _EXAMPLE_CONFIG,
            }
        }
    )
    name: str = Field(min_length=1, max_length=200)
    type: SourceType
    description: str | None = Field(None, max_length=10_000)
    connection_config: dict[str, Any] | None = Field(
        None, description="Checked against the schema of the type; `manual` takes none."
    )
    is_active: bool = True
    namespace_aliases: list[str] | None = Field(
        None,
        max_length=20,
        description="OpenLineage namespaces this source's datasets are also reported under, "
        "beside the one derived from its connection (docs/openlineage.md)",
        examples=[["postgres://db.internal:5432"]],
    )


class SourceUpdateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "description": "Main production database (read replica)",
                "is_active": True,
                "connection_config": {**_EXAMPLE_CONFIG, "password": "********"},
            }
        }
    )
    name: str | None = Field(None, min_length=1, max_length=200)
    type: SourceType | None = None
    description: str | None = Field(None, max_length=10_000)
    connection_config: dict[str, Any] | None = Field(
        None,
        description="Replaces the config. Send a secret back as `********` (or leave "
        "it out) to keep the stored one.",
    )
    is_active: bool | None = None
    namespace_aliases: list[str] | None = Field(
        None,
        max_length=20,
        description="OpenLineage namespaces this source's datasets are also reported under, "
        "beside the one derived from its connection (docs/openlineage.md)",
        examples=[["postgres://db.internal:5432"]],
    )


class SourceResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3f6c1f0e-8a57-4d0e-9d7a-2f0c6f1f5b10",
                "name": "Production Oracle",
                "type": "oracle",
                "description": "Main production database",
                "is_active": True,
                "connection_config": {**_EXAMPLE_CONFIG, "password": "********"},
                "last_sync_status": None,
                "last_sync_at": None,
                "last_sync_error": None,
                "created_by": "admin@ariadne.local",
                "created_at": "2026-11-25T10:00:00Z",
                "updated_at": "2026-11-25T10:00:00Z",
            }
        }
    )
    id: uuid.UUID
    name: str
    type: SourceType
    description: str | None
    is_active: bool
    connection_config: dict[str, Any] | None = Field(
        description="Secrets come back as `********`; null for viewers, who do not see where "
        "a source lives (hosts, user names)."
    )
    namespace_aliases: list[str] | None = Field(
        None, description="extra OpenLineage namespaces; null for viewers, like the config"
    )
    last_sync_status: str | None
    last_sync_at: datetime | None
    last_sync_error: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class ConnectionTestResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "success": True,
                "message": "Connection successful",
                "latency_ms": 45.2,
                "server_version": "18.6",
            }
        }
    )
    success: bool
    message: str = Field(description="'Connection successful', or what went wrong and where.")
    latency_ms: float
    server_version: str | None = None


class SyncJobResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "job_id": "6f1c2a4e-8d0b-4e57-9a5d-2f3c1b0e9a77",
                "source_id": "0b8e3f9c-5a41-4c62-8e0d-7a9b6c5d4e3f",
                "status": "running",
                "full_sync": False,
                "trigger": "api",
                "stage": "harvesting shop (18.6)",
                "counts": {},
                "error_message": None,
                "attempts": 1,
                "dagster_run_id": "b7c1d2e3-0000-4a5b-8c9d-0e1f2a3b4c5d",
                "dagster_run_url": "http://127.0.0.1:3000/runs/b7c1d2e3-0000-4a5b-8c9d-0e1f2a3b4c5d",
                "runner": "dagster",
                "created_by": "admin@ariadne.local",
                "created_at": "2026-11-26T02:00:00Z",
                "started_at": "2026-11-26T02:00:01Z",
                "finished_at": None,
            }
        }
    )
    job_id: uuid.UUID
    source_id: uuid.UUID
    status: str = Field(description="queued, running, succeeded or failed")
    full_sync: bool
    trigger: str = Field(description="api, schedule or dagster (the launchpad)")
    stage: str | None = None
    counts: dict[str, Any] = Field(
        default_factory=dict,
        description="added, changed, deleted, unchanged, restored, fields_added, "
        "fields_changed, fields_deleted, history_rows, objects, duration_s",
    )
    error_message: str | None = None
    attempts: int
    dagster_run_id: str | None = None
    dagster_run_url: str | None = None
    runner: JobRunner = None
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = Field(None, description="when the first attempt began")
    finished_at: datetime | None = None
