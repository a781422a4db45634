"""What a connection config must hold for each source type, and how secrets are masked."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ariadne_core.db.models import SourceType
from ariadne_core.errors import ValidationFailed

MASK = "********"
SECRET_KEYS = frozenset({"password", "api_key", "token"})


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostgresConfig(_Config):
    host: str = Field(min_length=1)
    port: int = Field(5432, ge=1, le=65535)
    database: str = Field(min_length=1)
    username: str = Field(min_length=1)
    password: str | None = None
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = (
        None
    )
    schemas: list[str] | None = None


class OracleConfig(_Config):
    host: str = Field(min_length=1)
    port: int = Field(1521, ge=1, le=65535)
    service_name: str = Field(min_length=1)
    username: str = Field(min_length=1)
    password: str | None = None
    owners: list[str] | None = None


class MongoConfig(_Config):
    host: str = Field(min_length=1)
    port: int = Field(27017, ge=1, le=65535)
    database: str | None = None
    username: str | None = None
    password: str | None = None
    auth_source: str | None = None
    sample_size: int = Field(1000, ge=1, le=100_000)


class ElasticsearchConfig(_Config):
    host: str = Field(min_length=1)
    port: int = Field(9200, ge=1, le=65535)
    scheme: Literal["http", "https"] = "http"
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    verify_certs: bool = True


class ManualConfig(_Config):
    """Systems Ariadne cannot connect to: nothing to configure."""


SCHEMAS: dict[SourceType, type[_Config]] = {
    SourceType.POSTGRESQL: PostgresConfig,
    SourceType.ORACLE: OracleConfig,
    SourceType.MONGODB: MongoConfig,
    SourceType.ELASTICSEARCH: ElasticsearchConfig,
    SourceType.MANUAL: ManualConfig,
}


def validate_config(source_type: SourceType, config: dict[str, Any] | None) -> dict[str, Any]:
    """The normalized config, or ValidationFailed naming each wrong field."""
    schema = SCHEMAS[source_type]
    try:
        model = schema.model_validate(config or {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = "connection_config." + ".".join(str(p) for p in err["loc"])
            message = err["msg"]
            if err["type"] == "missing":
                message = f"is required for a {source_type.value} source"
            elif err["type"] == "extra_forbidden":
                allowed = ", ".join(schema.model_fields)
                message = f"is not a {source_type.value} setting (allowed: {allowed or 'none'})"
            problems.append({"field": field, "message": message})
        first = problems[0]
        raise ValidationFailed(
            f"{first['field']} {first['message']}.", details={"errors": problems}
        ) from None
    return model.model_dump(exclude_none=True)


def mask_secrets(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k in SECRET_KEYS and v else v) for k, v in config.items()}


# What says where a stored password may be sent: change any of these and the stored
# secrets are dropped, so a new host never receives the old host's password.
IDENTITY_KEYS = ("host", "port", "username", "database", "service_name", "scheme")


def identity(config: dict[str, Any]) -> dict[str, Any]:
    return {k: config.get(k) for k in IDENTITY_KEYS}


def merge_secrets(
    new: dict[str, Any], old: dict[str, Any], *, old_type: SourceType, new_type: SourceType
) -> dict[str, Any]:
    """An update that sends the mask back (or leaves a secret out) keeps the stored secret,
    unless the config now points elsewhere (another type, host, port, user, database or
    scheme): then the secrets must be given again."""
    public = {k: v for k, v in new.items() if k not in SECRET_KEYS}
    moved = old_type != new_type or identity(validate_config(new_type, public)) != identity(old)
    if moved:
        masked = sorted(k for k in SECRET_KEYS if new.get(k) == MASK and old.get(k))
        if masked:
            raise ValidationFailed(
                f"connection_config.{masked[0]}: the connection now points elsewhere (host, "
                "port, user, database or scheme changed), so the stored secret is not kept. "
                "Give it again.",
                details={"field": f"connection_config.{masked[0]}", "value": MASK},
            )
        return {k: v for k, v in new.items() if v != MASK}
    merged = dict(new)
    for key in SECRET_KEYS:
        if merged.get(key) == MASK or (key not in merged and key in old):
            if key in old:
                merged[key] = old[key]
            else:
                merged.pop(key, None)
    return merged
