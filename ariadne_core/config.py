"""Settings, read once from the environment (prefix ``ARIADNE_``) or a ``.env`` file.

Call :func:`get_settings`; tests override it with ``get_settings.cache_clear()`` and env vars.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ariadne_core.errors import ConfigurationError

LOCAL_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"
# Vector sizes of the embedding models we know; another model's must be configured.
KNOWN_EMBEDDING_SIZES = {
    LOCAL_EMBEDDING_MODEL: 384,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class Settings(BaseSettings):
    """Every setting Ariadne reads. The README's settings table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="ARIADNE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(
        Path(".ariadne"),
        description="Directory for local state: embedded Postgres data, Dagster home, secrets.",
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user:pass@host:port/db). "
        "Unset: start the embedded PostgreSQL 18 under ARIADNE_HOME.",
    )
    app_db_password: str | None = Field(
        None,
        description="Password `ariadne db upgrade --grant-app-role ROLE` gives the app role "
        "when it creates it (docker-compose: the role the API and Dagster connect as).",
    )
    api_threads: int = Field(
        8,
        ge=1,
        le=200,
        description="Threads each API process runs requests on.",
    )
    api_job_threads: int = Field(
        2,
        ge=1,
        le=32,
        description="Imports and syncs each API process runs itself when Dagster does not "
        "answer (or with the `thread` runners).",
    )
    api_job_queue: int = Field(
        8,
        ge=0,
        le=1000,
        description="Such jobs that may wait for one of those threads; beyond it a new import "
        "or sync is refused with 503.",
    )
    db_pool_size: int = Field(
        40, ge=1, le=500, description="Database connections each API process keeps open."
    )
    db_read_pool_size: int = Field(
        default_factory=lambda: (os.cpu_count() or 1) + 1,
        ge=1,
        le=500,
        description="Connections each of an API process's two asyncio read pools (one "
        "for table list and detail, traversal and impact with the cache off; one for "
        "search, whose statements are planned once) uses at once: the CPU cores plus one "
        "by default. More run side by side inside PostgreSQL and stretch "
        "the slowest reads (32 clients on 2 cores: p95 147 ms at 40, 47 ms at 3); reads "
        "beyond it wait for a connection, in order.",
    )
    catalog_cache_mb: int = Field(
        64,
        ge=0,
        le=16_384,
        description="Memory each API process may keep catalog answers in (table pages and "
        "details, list totals, searches) until the catalog changes; 0 turns it off.",
    )
    embedded_pg_port: int = Field(
        54329, ge=1, le=65535, description="Loopback port of the embedded PostgreSQL."
    )
    api_host: str = Field(
        "127.0.0.1",
        description="Address the API (and, under `ariadne run`, the Dagster UI) binds to.",
    )
    api_port: int = Field(8000, ge=1, le=65535, description="Port of the API.")
    dagster_port: int = Field(3000, ge=1, le=65535, description="Port of the Dagster webserver.")
    public_url: str | None = Field(
        None,
        description="URL people open Ariadne at (the explorer and the API behind it); the "
        "Dagster UI links to the explorer's import and source pages with it. Unset: "
        "http://<ARIADNE_API_HOST>:<ARIADNE_API_PORT>.",
    )
    dagster_url: str | None = Field(
        None,
        description="URL of the Dagster webserver the API submits import runs to and links "
        "to. Unset: http://<ARIADNE_API_HOST>:<ARIADNE_DAGSTER_PORT>.",
    )
    neo4j_uri: str | None = Field(
        None,
        description="Bolt URI of Neo4j (bolt://host:7687); set, lineage reads go to Neo4j "
        "(falling back to PostgreSQL). Unset: no Neo4j.",
    )
    neo4j_user: str = Field("neo4j", description="Neo4j user name.")
    neo4j_password: str = Field("", description="Neo4j password.")
    neo4j_read_timeout_ms: int = Field(
        5_000,
        ge=100,
        le=600_000,
        description="Longest a lineage read may wait for Neo4j, in milliseconds. Past it the "
        "read is answered from PostgreSQL and Neo4j is left alone for a while, as after any "
        "Neo4j failure (the limit is also sent to Neo4j as the transaction's timeout).",
    )
    redis_url: str | None = Field(
        None, description="Redis URL (redis://host:6379/0). Unset: in-process cache, no broker."
    )
    celery_broker_url: str | None = Field(
        None,
        description="Broker of the dagster-celery executor (redis://host:6379/1), read by "
        "celery.yaml. Unset: runs execute in-process.",
    )
    jwt_secret: str | None = Field(
        None,
        description="Secret that signs access tokens, at least 32 bytes (generate one with "
        "`openssl rand -base64 48`). Unset: generated once and kept in ARIADNE_HOME/jwt-secret.",
    )
    encryption_keys: str | None = Field(
        None,
        description="AES-256-GCM keys for connection configs, 'kid:BASE64KEY,...'; the first "
        "seals, all open. Unset: one key generated in ARIADNE_HOME/encryption-keys.",
    )
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field(
        "HS256", description="JWT signing algorithm."
    )
    jwt_issuer: str = Field(
        "ariadne",
        min_length=1,
        description="`iss` claim of access tokens, checked on each request.",
    )
    jwt_audience: str = Field(
        "ariadne-api",
        min_length=1,
        description="`aud` claim of access tokens, checked on each request.",
    )
    access_token_expire_minutes: int = Field(
        60, ge=1, le=1440, description="Lifetime of an access token, in minutes."
    )
    metrics_token: str | None = Field(
        None,
        description="When set, GET /metrics needs `Authorization: Bearer <this token>` "
        "(Prometheus' `authorization` setting); unset, /metrics is open to whoever reaches "
        "the API.",
    )
    db_statement_timeout_ms: int = Field(
        30_000,
        ge=0,
        description="Longest statement on Ariadne's own database connections, in "
        "milliseconds (0: no limit). Imports and harvests, which write in bulk, get ten times "
        "as long.",
    )
    login_window_seconds: int = Field(
        300, ge=1, le=86_400, description="Window of the login rate limits, in seconds."
    )
    login_attempts_per_address: int = Field(
        60, ge=1, description="Login attempts one client address may make per window (429 above)."
    )
    login_failures_per_account: int = Field(
        10, ge=1, description="Failed logins one account may have per window (429 above)."
    )
    login_max_pending: int = Field(
        32,
        ge=1,
        description="Logins that may wait for a password check at once in each API process "
        "(429 above); password hashing runs on two threads of its own, never on the threads "
        "that serve reads.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:5173", "http://127.0.0.1:5173"],
        description="Comma-separated origins the frontend is served from.",
    )
    embedding_provider: Literal["local", "openai"] = Field(
        "local",
        description="Who embeds catalog text for semantic search: `local` (all-MiniLM-L6-v2 "
        "in ONNX, on this machine; nothing leaves it) or `openai` (any OpenAI-compatible "
        "embeddings API at ARIADNE_EMBEDDING_BASE_URL).",
    )
    embedding_model: str | None = Field(
        None,
        description="Embedding model name. Unset: all-MiniLM-L6-v2 (local) or "
        "text-embedding-3-small (openai).",
    )
    embedding_dimensions: int | None = Field(
        None,
        ge=8,
        le=4096,
        description="Vector size. Unset: the model's own (384 for all-MiniLM-L6-v2, 1536 for "
        "text-embedding-3-small). `ariadne db upgrade` sizes the pgvector column to it.",
    )
    embedding_base_url: str | None = Field(
        None,
        description="OpenAI-compatible embeddings endpoint (vLLM, Ollama, Azure, ...). Unset: "
        "ARIADNE_LLM_BASE_URL, else api.openai.com.",
    )
    embedding_batch_size: int = Field(
        64, ge=1, le=2048, description="Texts embedded per model call or API request."
    )
    ivfflat_probes: int = Field(
        20,
        ge=1,
        le=1000,
        description="How many lists of pgvector's IVFFlat index a semantic or hybrid search "
        "reads (ivfflat.probes, set on every connection; the index has one list per ~200 "
        "vectors). More finds more of the exact nearest and costs more per search: "
        "docs/ai.md gives recall and time per value.",
    )
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("ARIADNE_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible LLM and embeddings endpoints "
        "(OPENAI_API_KEY is read too). Never logged or returned.",
    )
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible chat-completions endpoint. Unset: api.openai.com "
        "when OPENAI_API_KEY is set.",
    )
    llm_model: str | None = Field(
        None,
        description="Chat model the assistant uses. Unset with no key and no base URL: the "
        "assistant answers by retrieval only, and says so.",
    )
    llm_timeout_seconds: float = Field(
        30, gt=0, le=600, description="Longest one assistant answer may take, LLM included."
    )
    ai_max_retries: int = Field(
        4,
        ge=0,
        le=10,
        description="Retries, with exponential backoff, of an LLM or embeddings request "
        "answered 429 or 5xx.",
    )
    lineage_max_depth: int = Field(
        10, ge=1, le=50, description="Deepest lineage traversal or impact analysis allowed."
    )
    lineage_node_budget: int = Field(
        500,
        ge=10,
        le=100_000,
        description="Most nodes one traversal response holds; past it the answer is "
        "truncated and carries a cursor.",
    )
    lineage_cache: bool = Field(
        True,
        description="Cache traversal and impact results for 15 minutes (in Redis when "
        "ARIADNE_REDIS_URL is set, else in process); any committed catalog or lineage change, by any process, invalidates them.",
    )
    openlineage_max_events: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Most OpenLineage events one POST /api/v1/lineage may carry.",
    )
    openlineage_max_decompressed_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest OpenLineage body once a gzip or deflate body is decompressed "
        "(the compressed body is bounded by ARIADNE_MAX_REQUEST_BYTES).",
    )
    openlineage_drain_in_api: bool = Field(
        True,
        description="Process accepted OpenLineage events in a thread of the API right after "
        "they are stored. Off, the Dagster sensor `observed_lineage_pending` processes them "
        "(within about a minute).",
    )
    openlineage_external_source: str | None = Field(
        None,
        description="Create each OpenLineage dataset that matches no table as a table of "
        "type `external` in the manual source of this name (created when missing), so its "
        "lineage shows at once; unset (the default), unmatched datasets wait for an admin "
        "to map them.",
    )
    schema_change_critical_tag: str = Field(
        "critical",
        description="The `schema_change_alerts` asset check of a source fails when an open "
        "breaking schema change affects a table with this tag.",
    )
    schema_change_critical_owners: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="... or a table owned by one of these (comma-separated in the "
        "environment, e.g. `finance@example.com,bi-team`).",
    )
    notification_max_attempts: int = Field(
        6,
        ge=1,
        le=20,
        description="Attempts of one webhook or e-mail delivery (backoff 30 s, 2 min, 10 min, "
        "1 h, 6 h) before it is marked failed; a failed one stays listed and can be retried.",
    )
    notification_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Timeout of one webhook post or SMTP conversation."
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server for schema-change e-mails to owners (owners that are e-mail "
        "addresses get one digest per sync); unset, no e-mail is sent.",
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_from: str | None = Field(
        None, description="Sender address of the e-mails (required with ARIADNE_SMTP_HOST)."
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Use STARTTLS on the SMTP connection.")
    explorer_dir: Path | None = Field(
        None,
        description="Where the explorer's build is (index.html and assets/); unset: "
        "frontend/dist of the source tree, which `make frontend` writes.",
    )
    verification_window_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Default window of GET /api/v1/lineage/verification and of the "
        "`declared_lineage_observed` asset check: an edge not observed in it is unobserved.",
    )
    verification_warn_at: int = Field(
        10,
        ge=0,
        description="The `declared_lineage_observed` asset check warns when a source has more "
        "unobserved or undeclared table edges than this.",
    )
    max_request_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body the API accepts, in bytes (413 above it).",
    )
    import_max_bytes: int = Field(
        200 * 1024 * 1024,
        ge=1024,
        description="Largest file the import endpoints accept, in bytes (413 above it).",
    )
    import_runner: Literal["dagster", "thread"] = Field(
        "dagster",
        description="Who executes an import job: the Dagster job bulk_import through the "
        "webserver on ARIADNE_DAGSTER_PORT (falling back to a thread in the API when Dagster "
        "does not answer), or always a thread in the API.",
    )
    sync_runner: Literal["dagster", "thread"] = Field(
        "dagster",
        description="Who executes a sync started by POST /sources/{id}/sync: the Dagster asset "
        "source_metadata through the webserver (falling back to a thread in the API when "
        "Dagster does not answer), or always a thread in the API.",
    )
    dagster_actor: str = Field(
        "dagster@ariadne.local",
        description="Who imports started from the Dagster launchpad act as (recorded as the "
        "author of what they write).",
    )
    dagster_actor_role: Literal["viewer", "editor"] = Field(
        "editor",
        description="Role of imports started from the Dagster launchpad: never enough to "
        "write approved lineage or data sources, whatever the run config says.",
    )
    import_drop_dir: Path | None = Field(
        None,
        description="Folder whose files the Dagster launchpad may import by file_path. Unset: "
        "ARIADNE_HOME/imports/drop. Paths outside it are refused.",
    )
    harvest_max_objects: int = Field(
        200_000,
        ge=1,
        description="Most tables, views, collections or indexes one sync may bring back; a "
        "source returning more fails its sync with a message saying how to narrow it.",
    )
    harvest_max_fields: int = Field(
        10_000, ge=1, description="Most fields one harvested object may have."
    )
    harvest_cron: str = Field(
        "0 2 * * *",
        description="When the nightly_harvest schedule syncs every active source (cron).",
    )
    harvest_timezone: str = Field(
        "UTC", description="Time zone of ARIADNE_HARVEST_CRON (an IANA name such as Europe/Paris)."
    )
    source_freshness_hours: float = Field(
        26,
        gt=0,
        description="A source whose last successful sync is older than this fails the "
        "source_metadata freshness check in Dagster (a nightly harvest plus slack).",
    )
    graph_drift_error: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Share of lineage edges in Neo4j that may differ from PostgreSQL before "
        "the lineage_graph drift check is an error (any drift at all is a warning).",
    )
    inference: bool = Field(
        True,
        description="Lineage inference (experimental): the inferred_lineage asset proposes "
        "edges from views, aliases and SQL after every sync, for stewards to review; false "
        "turns it off (POST /lineage/infer still previews).",
    )
    inference_cron: str = Field(
        "0 4 * * 0",
        description="When the full_inference schedule re-infers every source from scratch, "
        "ignoring unchanged fingerprints (cron; Sundays 04:00 by default).",
    )
    inference_failure_warn: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of a source's statements that may fail to parse before the "
        "inferred_lineage parse-failure check warns.",
    )
    dagster_executor: Literal["multiprocess", "celery"] = Field(
        "multiprocess",
        description="Executor of Ariadne's Dagster jobs: multiprocess on the Dagster host, or "
        "dagster-celery workers on the ARIADNE_CELERY_BROKER_URL broker (scale-out).",
    )
    demo: bool = Field(
        True,
        description="Load the demo workbook (a small retail company) into an empty catalog "
        "on `make run`; ARIADNE_DEMO=0 skips it.",
    )
    admin_email: str = Field(
        "admin@ariadne.local", description="Login of the admin user `make run` creates."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the API and CLI."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="json: one JSON object per line (production); console: readable lines; "
        "auto: console on a terminal, json otherwise.",
    )

    @field_validator("cors_origins", "schema_change_critical_owners", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def dagster_base_url(self) -> str:
        return (self.dagster_url or f"http://{self.api_host}:{self.dagster_port}").rstrip("/")

    def explorer_url(self, route: str) -> str:
        """The explorer's page at ``route`` (``/import/<job id>``, ``/sources/<id>``...)."""
        base = (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")
        return f"{base}/#{route}"

    @property
    def drop_dir(self) -> Path:
        return self.import_drop_dir or self.home / "imports" / "drop"

    @property
    def uses_embedded_postgres(self) -> bool:
        return not self.database_url

    @property
    def embedding_model_name(self) -> str:
        if self.embedding_model:
            return self.embedding_model
        return (
            LOCAL_EMBEDDING_MODEL if self.embedding_provider == "local" else OPENAI_EMBEDDING_MODEL
        )

    def embedding_vector_size(self) -> int | None:
        """The configured vector size, else the model's own when it is known (None)."""
        return self.embedding_dimensions or KNOWN_EMBEDDING_SIZES.get(self.embedding_model_name)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    name = "ARIADNE_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
    return f"Setting {name} is invalid: {first['msg']} (got {first.get('input')!r}). Fix it in the environment or .env."


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc)) from None
