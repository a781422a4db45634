"""SQLAlchemy 2.0 models: the system of record for the catalog, lineage and jobs."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ariadne_core.config import get_settings

# Stable constraint names, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_cls, name=name, values_callable=lambda e: [m.value for m in e])


class UserRole(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    STEWARD = "steward"
    ADMIN = "admin"


class SourceType(enum.StrEnum):
    ORACLE = "oracle"
    MONGODB = "mongodb"
    ELASTICSEARCH = "elasticsearch"
    POSTGRESQL = "postgresql"
    MANUAL = "manual"


class LineageSource(enum.StrEnum):
    """Who stands behind an edge: the system, a person, or a data steward."""

    INFERRED = "inferred"
    MANUAL = "manual"
    APPROVED = "approved"


class EdgeOrigin(enum.StrEnum):
    """How an edge first came to be: what `lineage_source` it was created with, or
    `observed` for an edge first seen in a running job's OpenLineage events (created as
    `inferred`, like every edge nobody declared)."""

    INFERRED = "inferred"
    MANUAL = "manual"
    APPROVED = "approved"
    OBSERVED = "observed"


class LineageStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING_REVIEW = "pending_review"
    REJECTED = "rejected"
    DEPRECATED = "deprecated"


# Statuses of edges that no longer stand for lineage (kept, never erased).
RETIRED = (LineageStatus.REJECTED, LineageStatus.DEPRECATED)


class LineageAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UPGRADE = "upgrade"
    APPROVE = "approve"
    REJECT = "reject"
    DEPRECATE = "deprecate"


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # Moved by logout, a role change and deactivation: older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class DataSource(Base):
    __tablename__ = "data_sources"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    type: Mapped[SourceType] = mapped_column(_enum(SourceType, "source_type"), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    # AES-256-GCM ciphertext of the connection config, with the id of the key that sealed it.
    connection_config_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    connection_config_key_id: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    last_sync_status: Mapped[str | None] = mapped_column(String(32))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_error: Mapped[str | None] = mapped_column(Text)
    # Extra OpenLineage namespaces this source's datasets are reported under, beside the
    # one derived from its connection (ariadne_core.observed.namespaces).
    namespace_aliases: Mapped[list[str]] = mapped_column(
        ARRAY(String(500)), nullable=False, server_default="{}"
    )
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


def name_key(expr: str) -> str:
    """A name as search compares it whole, in SQL: lower case, each run of spaces, `_`,
    `.` and `-` one space. The same expression serves the index (over `name`) and the
    query (over the search text), so the two cannot disagree."""
    return f"regexp_replace(lower({expr}), '[[:space:]._-]+', ' ', 'g')"


NAME_KEY = name_key("name")  # indexed: ix_metadata_tables_name_key, ix_metadata_fields_name_key


class MetadataTable(Base):
    __tablename__ = "metadata_tables"
    __table_args__ = (
        UniqueConstraint("source_id", "qualified_name", name="uq_metadata_tables_source_qname"),
        Index("ix_metadata_tables_search", "search_vector", postgresql_using="gin"),
        Index(
            "ix_metadata_tables_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index("ix_metadata_tables_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_metadata_tables_name_key",
            text(NAME_KEY),
            "qualified_name",
            postgresql_where=text("NOT is_deleted"),
        ),
        # Live tables in each list order, so pages and counts read an index, not the table.
        *(
            Index(
                f"ix_metadata_tables_live_{col}", col, "id", postgresql_where=text("NOT is_deleted")
            )
            for col in ("qualified_name", "name", "created_at", "updated_at")
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), nullable=False, index=True
    )
    schema_name: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    qualified_name: Mapped[str] = mapped_column(String(700), nullable=False, index=True)
    table_type: Mapped[str] = mapped_column(String(32), nullable=False, server_default="table")
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(320))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, server_default="{}")
    row_count_estimate: Mapped[int | None] = mapped_column(BigInteger)
    view_definition: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    is_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('simple', translate(coalesce(qualified_name, ''), '._', '  ')), 'A')"
            " || setweight(to_tsvector('english', coalesce(description, '')), 'B')"
            " || setweight(to_tsvector('simple', ariadne_tags_text(tags)), 'B')",
            persisted=True,
        ),
        deferred=True,  # only the database reads it (search); never load it into objects
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class MetadataField(Base):
    __tablename__ = "metadata_fields"
    __table_args__ = (
        UniqueConstraint("table_id", "name", name="uq_metadata_fields_table_name"),
        Index("ix_metadata_fields_search", "search_vector", postgresql_using="gin"),
        Index(
            "ix_metadata_fields_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index(
            "ix_metadata_fields_name_key",
            text(NAME_KEY),
            "qualified_name",
            postgresql_where=text("NOT is_deleted"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    table_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("metadata_tables.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    qualified_name: Mapped[str] = mapped_column(String(1000), nullable=False, index=True)
    data_type: Mapped[str | None] = mapped_column(String(200))
    is_nullable: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    is_primary_key: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    ordinal_position: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, server_default="{}")
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    is_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('simple', translate(coalesce(name, ''), '._', '  ')), 'A')"
            " || setweight(to_tsvector('english', coalesce(description, '')), 'B')"
            " || setweight(to_tsvector('simple', ariadne_tags_text(tags)), 'B')",
            persisted=True,
        ),
        deferred=True,  # only the database reads it (search); never load it into objects
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class ChangeHistory(Base):
    """One row per create/update/delete of a source, table or field, with a diff."""

    __tablename__ = "change_history"
    __table_args__ = (
        Index("ix_change_history_entity", "entity_type", "entity_id", "changed_at"),
        Index("ix_change_history_table", "table_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # The table a change belongs to (the table itself, or a field's table), for history views.
    table_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    changed_by: Mapped[str | None] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")


class _LineageEdgeMixin:
    transformation_type: Mapped[str | None] = mapped_column(String(100))
    transformation_logic: Mapped[str | None] = mapped_column(Text)
    lineage_source: Mapped[LineageSource] = mapped_column(
        _enum(LineageSource, "lineage_source"), nullable=False
    )
    # The lineage_source the edge was first created with, or `observed` (EdgeOrigin);
    # approval and upgrades keep it.
    origin: Mapped[EdgeOrigin] = mapped_column(_enum(EdgeOrigin, "edge_origin"), nullable=False)
    origin_detail: Mapped[str | None] = mapped_column(String(300))
    confidence: Mapped[float] = mapped_column(Float, nullable=False, server_default="1.0")
    status: Mapped[LineageStatus] = mapped_column(
        _enum(LineageStatus, "lineage_status"), nullable=False, server_default="active"
    )
    edge_metadata: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default="{}"
    )
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    approved_by: Mapped[str | None] = mapped_column(String(320))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")


# What a downstream walk reads of an edge, kept in the pair constraint's index so the walk
# is an index-only scan (migration 0010).
PAIR_INCLUDE = ["lineage_source", "status", "confidence", "transformation_type", "id"]


class TableLineage(_LineageEdgeMixin, Base):
    __tablename__ = "table_lineage"
    __table_args__ = (
        UniqueConstraint(
            "source_table_id",
            "target_table_id",
            name="uq_table_lineage_pair",
            postgresql_include=PAIR_INCLUDE,
        ),
        CheckConstraint("source_table_id <> target_table_id", name="no_self_loop"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("ix_table_lineage_target", "target_table_id", "source_table_id"),
        Index("ix_table_lineage_status", "status", "confidence"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    source_table_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("metadata_tables.id", ondelete="RESTRICT"), nullable=False
    )
    target_table_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("metadata_tables.id", ondelete="RESTRICT"), nullable=False
    )


class FieldLineage(_LineageEdgeMixin, Base):
    __tablename__ = "field_lineage"
    __table_args__ = (
        UniqueConstraint(
            "source_field_id",
            "target_field_id",
            name="uq_field_lineage_pair",
            postgresql_include=PAIR_INCLUDE,
        ),
        CheckConstraint("source_field_id <> target_field_id", name="no_self_loop"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("ix_field_lineage_target", "target_field_id", "source_field_id"),
        Index("ix_field_lineage_table_edge", "table_lineage_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    source_field_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("metadata_fields.id", ondelete="RESTRICT"), nullable=False
    )
    target_field_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("metadata_fields.id", ondelete="RESTRICT"), nullable=False
    )
    table_lineage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("table_lineage.id", ondelete="SET NULL")
    )


class LineageAuditEvent(Base):
    """Append-only: a database trigger rejects UPDATE and DELETE on this table."""

    __tablename__ = "lineage_audit_events"
    __table_args__ = (Index("ix_lineage_audit_edge", "edge_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    edge_kind: Mapped[str] = mapped_column(String(8), nullable=False)  # "table" | "field"
    edge_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    action: Mapped[LineageAction] = mapped_column(
        _enum(LineageAction, "lineage_action"), nullable=False
    )
    actor: Mapped[str | None] = mapped_column(String(320))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    comment: Mapped[str | None] = mapped_column(Text)


class ImportJob(Base):
    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_created_at", "created_at"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    import_type: Mapped[str] = mapped_column(String(32), nullable=False)
    mode: Mapped[str] = mapped_column(String(32), nullable=False)
    replace: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    actor_role: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ImportStatus] = mapped_column(
        _enum(ImportStatus, "import_status"), nullable=False, server_default="pending"
    )
    file_name: Mapped[str | None] = mapped_column(String(500))
    file_path: Mapped[str | None] = mapped_column(Text)
    progress_percent: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    errors: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default="[]")
    error_report_path: Mapped[str | None] = mapped_column(Text)
    # The validation summary: counts per sheet and the effect on the lineage graph.
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    error_message: Mapped[str | None] = mapped_column(Text)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    # Who ran it: "dagster", or "api-thread" when Dagster did not answer.
    runner: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncJob(Base):
    """One harvest of one source: launched by the API, the schedule or the Dagster UI."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        Index("ix_sync_jobs_source_created", "source_id", "created_at"),
        # One queued or running sync per source, whoever starts it and however fast.
        Index(
            "uq_sync_jobs_one_unfinished",
            "source_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), nullable=False
    )
    full_sync: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    trigger: Mapped[str] = mapped_column(String(32), nullable=False, server_default="api")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    stage: Mapped[str | None] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    # Who ran it: "dagster", or "api-thread" when Dagster did not answer.
    runner: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Embedding(Base):
    """One vector per table or field and model (ariadne_core.embedding.index writes them)."""

    __tablename__ = "embeddings"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "model", name="uq_embeddings_entity_model"),
        Index(
            "ix_embeddings_vector",
            "embedding",
            postgresql_using="ivfflat",  # lists follow the vectors: ariadne_core.db.vectors
            postgresql_ops={"embedding": "vector_ip_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(100), nullable=False, server_default="")
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Sized for the configured model (`ariadne db upgrade` resizes the column).
    embedding: Mapped[Any] = mapped_column(
        Vector(get_settings().embedding_vector_size()), nullable=False
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class AIConversation(Base):
    """One conversation with the assistant, and whose it is."""

    __tablename__ = "ai_conversations"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_email: Mapped[str] = mapped_column(String(320), nullable=False)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class AITurn(Base):
    """One question and its answer; `about_table_id` is what a follow-up's "it" means."""

    __tablename__ = "ai_turns"
    __table_args__ = (Index("ix_ai_turns_conversation", "conversation_id", "created_at"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ai_conversations.id", ondelete="CASCADE"), nullable=False
    )
    question: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    about_table_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # clock_timestamp(): turns written in one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"), nullable=False
    )


class InferenceOrigin(Base):
    """One place inference read lineage from (a view, an alias, a procedure, an uploaded
    file, a pasted query), with the fingerprint of what it read: an unchanged origin is
    skipped on the next run."""

    __tablename__ = "inference_origins"

    origin: Mapped[str] = mapped_column(String(500), primary_key=True)
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    statements: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    edges: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    problems: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default="[]")
    inferred_at: Mapped[datetime] = _created_at()


class InferenceEvidence(Base):
    """Why inference proposed (or confirmed) an edge: one row per edge and origin.

    A manual or approved edge may gain evidence here without being changed. When the
    origin stops showing the edge, ``gone_at`` is set: an inferred edge with no evidence
    left is deprecated, an edge a person upgraded is left alone and shows "evidence gone".
    """

    __tablename__ = "inference_evidence"
    __table_args__ = (
        UniqueConstraint("origin", "edge_kind", "edge_id", name="uq_inference_evidence_edge"),
        Index("ix_inference_evidence_edge", "edge_kind", "edge_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(500), nullable=False)
    edge_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    edge_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    first_seen_at: Mapped[datetime] = _created_at()
    last_seen_at: Mapped[datetime] = _created_at()
    gone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A key a machine client (an OpenLineage transport) authenticates with. Only the
    SHA-256 of the key is stored; the key itself is shown once, when it is created."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    prefix: Mapped[str] = mapped_column(String(32), nullable=False)  # shown in lists
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(320))


class OpenLineageEvent(Base):
    """An accepted OpenLineage event, stored before it is acknowledged and processed
    after (ariadne_core.observed.process): nothing acknowledged is lost."""

    __tablename__ = "openlineage_events"
    __table_args__ = (
        Index("ix_openlineage_events_pending", "id", postgresql_where=text("processed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = _created_at()
    submitted_by: Mapped[str | None] = mapped_column(String(320))  # key name or user e-mail
    event: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class ObservedDataset(Base):
    """Every dataset OpenLineage events named, matched to a catalog table or not: an
    unmatched one waits for an admin to map it, and is never dropped."""

    __tablename__ = "observed_datasets"
    __table_args__ = (
        UniqueConstraint("namespace", "name", name="uq_observed_datasets_ns_name"),
        Index(
            "ix_observed_datasets_unmatched",
            "last_seen_at",
            postgresql_where=text("table_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(500), nullable=False)
    name: Mapped[str] = mapped_column(String(1000), nullable=False)
    table_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("metadata_tables.id", ondelete="SET NULL")
    )
    mapped_by: Mapped[str | None] = mapped_column(String(320))  # set when an admin mapped it
    last_job: Mapped[str | None] = mapped_column(String(1000))
    seen_count: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    first_seen_at: Mapped[datetime] = _created_at()
    last_seen_at: Mapped[datetime] = _created_at()


class LineageObservation(Base):
    """One edge as one job reported it: when first and last, how many runs, and the edge
    of the catalog it stands for once both ends are matched. A busy job updates this row,
    never the edge."""

    __tablename__ = "lineage_observations"
    __table_args__ = (
        UniqueConstraint(
            "edge_kind",
            "source_dataset_id",
            "source_field",
            "target_dataset_id",
            "target_field",
            "job_namespace",
            "job_name",
            name="uq_lineage_observations_edge_job",
        ),
        Index("ix_lineage_observations_edge", "edge_kind", "edge_id", "last_observed_at"),
        Index("ix_lineage_observations_job", "job_namespace", "job_name"),
        Index("ix_lineage_observations_target", "target_dataset_id", "last_observed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    edge_kind: Mapped[str] = mapped_column(String(8), nullable=False)  # "table" | "field"
    source_dataset_id: Mapped[int] = mapped_column(
        ForeignKey("observed_datasets.id", ondelete="CASCADE"), nullable=False
    )
    source_field: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    target_dataset_id: Mapped[int] = mapped_column(
        ForeignKey("observed_datasets.id", ondelete="CASCADE"), nullable=False
    )
    target_field: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    job_namespace: Mapped[str] = mapped_column(String(500), nullable=False)
    job_name: Mapped[str] = mapped_column(String(1000), nullable=False)
    last_run_id: Mapped[str | None] = mapped_column(String(64))
    transformation: Mapped[str | None] = mapped_column(String(100))
    edge_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    observation_count: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")
    first_observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SchemaChangeEvent(Base):
    """A breaking or risky change one sync saw in a source's schema, with what it breaks
    downstream (``impact``, computed after the sync) and who to tell; open until a person
    acknowledges it or a later sync reverts the change (docs/schema-changes.md)."""

    __tablename__ = "schema_change_events"
    __table_args__ = (
        Index("ix_schema_change_events_source", "source_id", "detected_at"),
        Index("ix_schema_change_events_table", "table_id"),
        Index(
            "ix_schema_change_events_pending",
            "detected_at",
            postgresql_where=text("impact_computed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), nullable=False
    )
    sync_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    table_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    field_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    table_name: Mapped[str] = mapped_column(String(1000), nullable=False)
    field_name: Mapped[str | None] = mapped_column(String(300))
    change_type: Mapped[str] = mapped_column(String(32), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    impact: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    owners: Mapped[list[str]] = mapped_column(
        ARRAY(String(320)), nullable=False, server_default="{}"
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="open")
    detected_at: Mapped[datetime] = _created_at()
    impact_computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledge_comment: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)


class WebhookSubscription(Base):
    """Where schema-change digests are posted, and which: by source, least severity and
    owner. The signing secret is sealed with the keyring and never read back."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # The URL is a secret too (Slack's and Teams' carry their token): it is sealed with the
    # signing secret ({"url", "secret"}), and shown only as scheme and host.
    url_shown: Mapped[str] = mapped_column(String(300), nullable=False)
    sealed: Mapped[str] = mapped_column(Text, nullable=False)
    payload_format: Mapped[str] = mapped_column(String(16), nullable=False, server_default="json")
    source_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"
    )
    min_severity: Mapped[str] = mapped_column(String(16), nullable=False, server_default="risky")
    owners: Mapped[list[str]] = mapped_column(
        ARRAY(String(320)), nullable=False, server_default="{}"
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created_at()


class NotificationDelivery(Base):
    """One digest to one recipient (a webhook, or an owner's e-mail) for one sync: its
    payload, status (pending, sent, failed), attempts and the last error. A failed
    attempt is retried with backoff, never dropped silently."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "channel", "recipient", "owner", "sync_id", name="uq_notification_deliveries_digest"
        ),
        Index(
            "ix_notification_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # "webhook" | "email"
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="SET NULL")
    )
    recipient: Mapped[str] = mapped_column(String(2000), nullable=False)
    owner: Mapped[str | None] = mapped_column(String(320))
    sync_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()


class SearchWord(Base):
    """A word of some table or field name (migration 0016 keeps the list by triggers):
    typo search compares a question's words with these, not with every name."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
        ),
    )

    word: Mapped[str] = mapped_column(String(64), primary_key=True)
