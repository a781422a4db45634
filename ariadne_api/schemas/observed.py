"""Bodies of observed lineage (OpenLineage) and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ariadne_core.users.api_keys import SCOPES

_TS = "2026-11-01T04:05:00Z"
_TS2 = "2026-12-01T04:05:00Z"
_ID = "3f6c1f0e-8a57-4d0e-9d7a-2f0c6f1f5b10"
_VERIFIED = {
    "id": _ID,
    "source_name": "shop.public.orders",
    "target_name": "shop.marts.daily_orders",
    "lineage_source": "manual",
    "status": "active",
    "confidence": 1.0,
    "first_observed_at": _TS,
    "last_observed_at": _TS2,
    "observation_count": 31,
    "jobs": ["airflow/daily_orders.load"],
}
_KEY = {
    "id": _ID,
    "name": "airflow-prod",
    "prefix": "ariadne_Xy3k9Q",
    "scopes": ["lineage:ingest"],
    "created_by": "admin@ariadne.local",
    "created_at": _TS,
    "last_used_at": None,
    "revoked_at": None,
    "revoked_by": None,
}


class Observation(BaseModel):
    """What running jobs reported of an edge (absent when no job reported it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "first_observed_at": _TS,
                "last_observed_at": _TS2,
                "observation_count": 31,
                "jobs": ["airflow/daily_orders.load"],
            }
        }
    )
    first_observed_at: datetime
    last_observed_at: datetime
    observation_count: int = Field(description="runs that reported the edge")
    jobs: list[str] = Field(description="`namespace/name` of the jobs, latest first (10 at most)")


class IngestResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"accepted": 1}})
    accepted: int = Field(description="events stored; they are processed right after")


class VerifiedEdge(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _VERIFIED})
    id: uuid.UUID
    source_name: str
    target_name: str
    lineage_source: str
    status: str
    confidence: float
    first_observed_at: datetime | None
    last_observed_at: datetime | None
    observation_count: int
    jobs: list[str]


class VerificationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"total": 1, "items": [_VERIFIED]}})
    total: int
    items: list[VerifiedEdge]


class VerificationResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "window_days": 30,
                "since": _TS,
                "kind": "table",
                "confirmed": {"total": 1, "items": [_VERIFIED]},
                "unobserved": {"total": 0, "items": []},
                "undeclared": {"total": 0, "items": []},
            }
        }
    )
    window_days: int
    since: datetime
    kind: Literal["table", "field"]
    confirmed: VerificationList = Field(
        description="declared or approved edges observed within the window"
    )
    unobserved: VerificationList = Field(
        description="declared or approved edges into a table that jobs report writing, not "
        "observed within the window: possibly stale"
    )
    undeclared: VerificationList = Field(
        description="edges observed within the window that nobody declared or approved"
    )


class ObservedDatasetResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 7,
                "namespace": "s3://exports",
                "name": "daily/orders.parquet",
                "table_id": None,
                "table_name": None,
                "mapped_by": None,
                "last_job": "airflow/exports.push",
                "seen_count": 12,
                "first_seen_at": _TS,
                "last_seen_at": _TS2,
            }
        }
    )
    id: int
    namespace: str
    name: str
    table_id: uuid.UUID | None
    table_name: str | None
    mapped_by: str | None
    last_job: str | None
    seen_count: int
    first_seen_at: datetime
    last_seen_at: datetime


class DatasetMapRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"table_id": _ID}})
    table_id: uuid.UUID


class DatasetMapResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"dataset_id": 7, "table_id": _ID, "edges_created": 1, "edges_linked": 0}
        }
    )
    dataset_id: int
    table_id: uuid.UUID
    edges_created: int
    edges_linked: int


class JobDecisionRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "job_namespace": "airflow",
                "job_name": "daily_orders.load",
                "approved": True,
                "comment": "the load job does this",
            }
        }
    )
    job_namespace: str = Field(min_length=1, max_length=500)
    job_name: str = Field(min_length=1, max_length=1000)
    approved: bool
    comment: str = Field(min_length=1, max_length=5000)


class IngestStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"pending": 0, "failed": 0, "processed": 1520}}
    )
    pending: int = Field(description="events stored and not yet processed")
    failed: int = Field(description="events whose processing failed (see their error)")
    processed: int


class ApiKeyCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"name": "airflow-prod", "scopes": ["lineage:ingest"]}}
    )
    name: str = Field(min_length=1, max_length=200, examples=["airflow-prod"])
    scopes: list[str] = Field(
        min_length=1,
        max_length=10,
        examples=[["lineage:ingest"]],
        description=f"of {sorted(SCOPES)}",
    )


class ApiKeyResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _KEY})
    id: uuid.UUID
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    scopes: list[str]
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class ApiKeyCreated(ApiKeyResponse):
    model_config = ConfigDict(json_schema_extra={"example": {**_KEY, "key": "ariadne_" + "x" * 43}})
    key: str = Field(description="the key itself: shown this once, store it now")
