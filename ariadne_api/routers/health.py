"""Liveness, readiness and Prometheus metrics. No user login: /metrics takes the token of
ARIADNE_METRICS_TOKEN when one is set."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.deps import ServicesDep
from ariadne_api.schemas.common import error_responses
from ariadne_core.health import check_readiness
from ariadne_core.security.tokens import check_metrics_access

router = APIRouter(tags=["health"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"status": "ok"}})
    status: Literal["ok"] = "ok"


class ReadinessCheck(BaseModel):
    status: Literal["ok", "failed", "not_configured"]
    detail: str | None = None


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "status": "degraded",
                "checks": {
                    "database": {"status": "ok", "detail": None},
                    "neo4j": {
                        "status": "failed",
                        "detail": "Neo4j is unreachable (ServiceUnavailable); "
                        "check ARIADNE_NEO4J_URI.",
                    },
                    "redis": {"status": "not_configured", "detail": None},
                    "job_runner": {"status": "ok", "detail": None},
                },
            }
        }
    )
    status: Literal["ready", "degraded", "unavailable"] = Field(
        description="ready: all configured stores answer; degraded: an optional store "
        "(Neo4j, Redis) is down and Ariadne falls back; unavailable: the database is down"
    )
    checks: dict[str, ReadinessCheck]


@router.get("/healthz", summary="Liveness: the process answers", response_model=Health)
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Readiness: the database answers; Neo4j and Redis when configured",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "the database is unreachable"}},
)
def readyz(services: ServicesDep) -> Response:
    report = check_readiness(services.settings, services.engine, services.jobs.state())
    body = Readiness(
        status=report.status,
        checks={
            name: ReadinessCheck(status=c.status, detail=c.detail)
            for name, c in report.checks.items()
        },
    )
    return JSONResponse(
        body.model_dump(), status_code=503 if report.status == "unavailable" else 200
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **error_responses(401)},
)
def metrics(request: Request, services: ServicesDep) -> Response:
    check_metrics_access(services.settings, request.headers.get("authorization"))
    return Response(generate_latest(services.metrics), media_type=CONTENT_TYPE_LATEST)
