"""Initial schema: catalog, lineage with source attribution, audit, import jobs, users,
embeddings.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

from ariadne_core.config import get_settings

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = {
    "source_type": ("oracle", "mongodb", "elasticsearch", "postgresql", "manual"),
    "import_status": ("pending", "running", "succeeded", "failed"),
    "lineage_action": ("create", "update", "upgrade", "approve", "reject", "deprecate"),
    "user_role": ("viewer", "editor", "steward", "admin"),
    "lineage_source": ("inferred", "manual", "approved"),
    "lineage_status": ("active", "pending_review", "rejected", "deprecated"),
}


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION lineage_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lineage_audit_events is append-only: % is not allowed', TG_OP;
END;
$$
"""


# array_to_string is only STABLE; generated search columns need an IMMUTABLE function.
TAGS_TEXT_FUNCTION = """
CREATE FUNCTION ariadne_tags_text(tags varchar[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(array_to_string(tags, ' '), '') $$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(TAGS_TEXT_FUNCTION)
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)

    op.create_table(
        "change_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("table_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=320), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_history")),
    )
    op.create_index(
        "ix_change_history_entity",
        "change_history",
        ["entity_type", "entity_id", "changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_change_history_table", "change_history", ["table_id", "changed_at"], unique=False
    )
    op.create_table(
        "data_sources",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", _enum("source_type"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("connection_config_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("connection_config_key_id", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("last_sync_status", sa.String(length=32), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_data_sources_name")),
    )
    op.create_table(
        "embeddings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "embedding", Vector(get_settings().embedding_vector_size() or 384), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embeddings")),
        sa.UniqueConstraint("entity_type", "entity_id", "model", name="uq_embeddings_entity_model"),
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("import_type", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("status", _enum("import_status"), server_default="pending", nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("progress_percent", sa.Float(), server_default="0", nullable=False),
        sa.Column(
            "counts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("error_report_path", sa.Text(), nullable=True),
        sa.Column("dagster_run_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_table(
        "lineage_audit_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("edge_kind", sa.String(length=8), nullable=False),
        sa.Column("edge_id", sa.UUID(), nullable=False),
        sa.Column("action", _enum("lineage_action"), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_audit_events")),
    )
    op.create_index(
        "ix_lineage_audit_edge", "lineage_audit_events", ["edge_id", "occurred_at"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", _enum("user_role"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "metadata_tables",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("schema_name", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("qualified_name", sa.String(length=700), nullable=False),
        sa.Column("table_type", sa.String(length=32), server_default="table", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=100)), server_default="{}", nullable=False
        ),
        sa.Column("row_count_estimate", sa.BigInteger(), nullable=True),
        sa.Column("view_definition", sa.Text(), nullable=True),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple', translate(coalesce(qualified_name, ''), '._', '  ')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B') || setweight(to_tsvector('simple', ariadne_tags_text(tags)), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_metadata_tables_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadata_tables")),
        sa.UniqueConstraint("source_id", "qualified_name", name="uq_metadata_tables_source_qname"),
    )
    op.create_index(
        "ix_metadata_tables_name_trgm",
        "metadata_tables",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_metadata_tables_qualified_name"),
        "metadata_tables",
        ["qualified_name"],
        unique=False,
    )
    op.create_index(
        "ix_metadata_tables_search",
        "metadata_tables",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_metadata_tables_source_id"), "metadata_tables", ["source_id"], unique=False
    )
    op.create_index(
        "ix_metadata_tables_tags", "metadata_tables", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "metadata_fields",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("table_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("qualified_name", sa.String(length=1000), nullable=False),
        sa.Column("data_type", sa.String(length=200), nullable=True),
        sa.Column("is_nullable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("is_primary_key", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("ordinal_position", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=100)), server_default="{}", nullable=False
        ),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple', translate(coalesce(qualified_name, ''), '._', '  ')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B') || setweight(to_tsvector('simple', ariadne_tags_text(tags)), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["metadata_tables.id"],
            name=op.f("fk_metadata_fields_table_id_metadata_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadata_fields")),
        sa.UniqueConstraint("table_id", "name", name="uq_metadata_fields_table_name"),
    )
    op.create_index(
        "ix_metadata_fields_name_trgm",
        "metadata_fields",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_metadata_fields_qualified_name"),
        "metadata_fields",
        ["qualified_name"],
        unique=False,
    )
    op.create_index(
        "ix_metadata_fields_search",
        "metadata_fields",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_metadata_fields_table_id"), "metadata_fields", ["table_id"], unique=False
    )
    op.create_table(
        "table_lineage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_table_id", sa.UUID(), nullable=False),
        sa.Column("target_table_id", sa.UUID(), nullable=False),
        sa.Column("transformation_type", sa.String(length=100), nullable=True),
        sa.Column("transformation_logic", sa.Text(), nullable=True),
        sa.Column("lineage_source", _enum("lineage_source"), nullable=False),
        sa.Column("origin", _enum("lineage_source"), nullable=False),
        sa.Column("origin_detail", sa.String(length=300), nullable=True),
        sa.Column("confidence", sa.Float(), server_default="1.0", nullable=False),
        sa.Column("status", _enum("lineage_status"), server_default="active", nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=320), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_table_lineage_confidence_range")
        ),
        sa.CheckConstraint(
            "source_table_id <> target_table_id", name=op.f("ck_table_lineage_no_self_loop")
        ),
        sa.ForeignKeyConstraint(
            ["source_table_id"],
            ["metadata_tables.id"],
            name=op.f("fk_table_lineage_source_table_id_metadata_tables"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_table_id"],
            ["metadata_tables.id"],
            name=op.f("fk_table_lineage_target_table_id_metadata_tables"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_table_lineage")),
        sa.UniqueConstraint("source_table_id", "target_table_id", name="uq_table_lineage_pair"),
    )
    op.create_index(
        "ix_table_lineage_status", "table_lineage", ["status", "confidence"], unique=False
    )
    op.create_index(
        "ix_table_lineage_target",
        "table_lineage",
        ["target_table_id", "source_table_id"],
        unique=False,
    )
    op.create_table(
        "field_lineage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_field_id", sa.UUID(), nullable=False),
        sa.Column("target_field_id", sa.UUID(), nullable=False),
        sa.Column("table_lineage_id", sa.UUID(), nullable=True),
        sa.Column("transformation_type", sa.String(length=100), nullable=True),
        sa.Column("transformation_logic", sa.Text(), nullable=True),
        sa.Column("lineage_source", _enum("lineage_source"), nullable=False),
        sa.Column("origin", _enum("lineage_source"), nullable=False),
        sa.Column("origin_detail", sa.String(length=300), nullable=True),
        sa.Column("confidence", sa.Float(), server_default="1.0", nullable=False),
        sa.Column("status", _enum("lineage_status"), server_default="active", nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=320), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_field_lineage_confidence_range")
        ),
        sa.CheckConstraint(
            "source_field_id <> target_field_id", name=op.f("ck_field_lineage_no_self_loop")
        ),
        sa.ForeignKeyConstraint(
            ["source_field_id"],
            ["metadata_fields.id"],
            name=op.f("fk_field_lineage_source_field_id_metadata_fields"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["table_lineage_id"],
            ["table_lineage.id"],
            name=op.f("fk_field_lineage_table_lineage_id_table_lineage"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_field_id"],
            ["metadata_fields.id"],
            name=op.f("fk_field_lineage_target_field_id_metadata_fields"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_lineage")),
        sa.UniqueConstraint("source_field_id", "target_field_id", name="uq_field_lineage_pair"),
    )
    op.create_index(
        "ix_field_lineage_table_edge", "field_lineage", ["table_lineage_id"], unique=False
    )
    op.create_index(
        "ix_field_lineage_target",
        "field_lineage",
        ["target_field_id", "source_field_id"],
        unique=False,
    )
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER lineage_audit_events_append_only BEFORE UPDATE OR DELETE "
        "ON lineage_audit_events FOR EACH ROW EXECUTE FUNCTION lineage_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER lineage_audit_events_no_truncate BEFORE TRUNCATE "
        "ON lineage_audit_events FOR EACH STATEMENT EXECUTE FUNCTION lineage_audit_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS lineage_audit_events_no_truncate ON lineage_audit_events")
    op.execute("DROP TRIGGER IF EXISTS lineage_audit_events_append_only ON lineage_audit_events")
    op.execute("DROP FUNCTION IF EXISTS lineage_audit_append_only()")
    op.drop_index("ix_field_lineage_target", table_name="field_lineage")
    op.drop_index("ix_field_lineage_table_edge", table_name="field_lineage")
    op.drop_table("field_lineage")
    op.drop_index("ix_table_lineage_target", table_name="table_lineage")
    op.drop_index("ix_table_lineage_status", table_name="table_lineage")
    op.drop_table("table_lineage")
    op.drop_index(op.f("ix_metadata_fields_table_id"), table_name="metadata_fields")
    op.drop_index("ix_metadata_fields_search", table_name="metadata_fields", postgresql_using="gin")
    op.drop_index(op.f("ix_metadata_fields_qualified_name"), table_name="metadata_fields")
    op.drop_index(
        "ix_metadata_fields_name_trgm",
        table_name="metadata_fields",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("metadata_fields")
    op.drop_index("ix_metadata_tables_tags", table_name="metadata_tables", postgresql_using="gin")
    op.drop_index(op.f("ix_metadata_tables_source_id"), table_name="metadata_tables")
    op.drop_index("ix_metadata_tables_search", table_name="metadata_tables", postgresql_using="gin")
    op.drop_index(op.f("ix_metadata_tables_qualified_name"), table_name="metadata_tables")
    op.drop_index(
        "ix_metadata_tables_name_trgm",
        table_name="metadata_tables",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("metadata_tables")
    op.drop_table("users")
    op.drop_index("ix_lineage_audit_edge", table_name="lineage_audit_events")
    op.drop_table("lineage_audit_events")
    op.drop_table("import_jobs")
    op.drop_table("embeddings")
    op.drop_table("data_sources")
    op.drop_index("ix_change_history_table", table_name="change_history")
    op.drop_index("ix_change_history_entity", table_name="change_history")
    op.drop_table("change_history")
    bind = op.get_bind()
    for name in ENUMS:
        postgresql.ENUM(name=name).drop(bind, checkfirst=True)
    op.execute("DROP FUNCTION IF EXISTS ariadne_tags_text(varchar[])")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    op.execute("DROP EXTENSION IF EXISTS vector")
