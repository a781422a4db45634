"""Data Source request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
    connection_config: dict[str, Any] = Field(description="Secrets come back as `********`.")
    last_sync_status: str | None
    last_sync_at: datetime | None
    last_sync_error: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
