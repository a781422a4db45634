"""Readiness of the stores: the database always, Neo4j and Redis when configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine, text

from ariadne_core.config import Settings
from ariadne_core.runtime.fallback import FallbackState

CheckStatus = Literal["ok", "failed", "not_configured"]


@dataclass
class Check:
    status: CheckStatus
    detail: str | None = None


@dataclass
class Readiness:
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def status(self) -> Literal["ready", "degraded", "unavailable"]:
        if self.checks["database"].status != "ok":
            return "unavailable"
        if any(c.status == "failed" for c in self.checks.values()):
            return "degraded"
        return "ready"


def _check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Check("ok")
    except Exception as exc:  # any driver error means "not ready"
        return Check("failed", type(exc).__name__)


def _check_neo4j(settings: Settings) -> Check:
    if not settings.neo4j_uri:
        return Check("not_configured")
    from neo4j import GraphDatabase

    try:
        with GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=2,
        ) as driver:
            driver.verify_connectivity()
        return Check("ok")
    except Exception as exc:
        return Check("failed", describe_neo4j_error(exc))


def describe_neo4j_error(exc: Exception) -> str:
    from neo4j.exceptions import AuthError

    if isinstance(exc, AuthError):
        return (
            "Neo4j rejected the user name or password; check ARIADNE_NEO4J_USER and "
            "ARIADNE_NEO4J_PASSWORD."
        )
    return f"Neo4j is unreachable ({type(exc).__name__}); check ARIADNE_NEO4J_URI."


def _check_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("not_configured")
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
        return Check("ok")
    except redis.RedisError as exc:
        return Check(
            "failed", f"Redis is unreachable ({type(exc).__name__}); check ARIADNE_REDIS_URL."
        )


def _check_job_runner(fallback: FallbackState | None) -> Check:
    """Failed while imports or syncs run in API threads because Dagster did not answer."""
    if fallback is None:
        return Check("not_configured")
    if fallback.active:
        return Check(
            "failed",
            f"{fallback.active} import or sync jobs run in API threads (at most "
            f"{fallback.capacity}) because the Dagster webserver did not answer; check it "
            "(ARIADNE_DAGSTER_URL).",
        )
    return Check("ok")


def check_readiness(
    settings: Settings, engine: Engine, fallback: FallbackState | None = None
) -> Readiness:
    return Readiness(
        checks={
            "database": _check_database(engine),
            "neo4j": _check_neo4j(settings),
            "redis": _check_redis(settings),
            "job_runner": _check_job_runner(fallback),
        }
    )
