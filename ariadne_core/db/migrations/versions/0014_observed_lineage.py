"""Observed lineage: OpenLineage events stored before they are acknowledged, the datasets
they name (matched to catalog tables or waiting for an admin), one observation per edge
and job, API keys for the machines that send events, namespace aliases on sources, and
an edge's origin in its own type `edge_origin` (the lineage_source values and
`observed`), so `lineage_source`, who stands behind an edge, stays exactly inferred,
manual or approved."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINS = ("inferred", "manual", "approved", "observed")  # db.models.EdgeOrigin


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    sa.Enum(*ORIGINS, name="edge_origin").create(op.get_bind())
    for table in ("table_lineage", "field_lineage"):
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN origin TYPE edge_origin "
            "USING origin::text::edge_origin"
        )
    op.add_column(
        "data_sources",
        sa.Column("namespace_aliases", ARRAY(sa.String(500)), nullable=False, server_default="{}"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", ARRAY(sa.String(64)), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.String(320)),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.execute(  # API processes forget a revoked key at once (ariadne_core.users.api_keys)
        "CREATE TRIGGER api_keys_catalog_changed "
        "AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF revoked_at, scopes ON api_keys "
        "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
    )
    op.create_table(
        "openlineage_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("submitted_by", sa.String(320)),
        sa.Column("event", JSONB, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
    )
    op.create_index(
        "ix_openlineage_events_pending",
        "openlineage_events",
        ["id"],
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "observed_datasets",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("namespace", sa.String(500), nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column(
            "table_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "metadata_tables.id",
                ondelete="SET NULL",
                name="fk_observed_datasets_table_id_metadata_tables",
            ),
        ),
        sa.Column("mapped_by", sa.String(320)),
        sa.Column("last_job", sa.String(1000)),
        sa.Column("seen_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column(
            "first_seen_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.UniqueConstraint("namespace", "name", name="uq_observed_datasets_ns_name"),
    )
    op.create_index(
        "ix_observed_datasets_unmatched",
        "observed_datasets",
        ["last_seen_at"],
        postgresql_where=sa.text("table_id IS NULL"),
    )
    op.create_table(
        "lineage_observations",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("edge_kind", sa.String(8), nullable=False),
        sa.Column(
            "source_dataset_id",
            sa.BigInteger,
            sa.ForeignKey(
                "observed_datasets.id",
                ondelete="CASCADE",
                name="fk_lineage_observations_source_dataset_id_observed_datasets",
            ),
            nullable=False,
        ),
        sa.Column("source_field", sa.String(300), nullable=False, server_default=""),
        sa.Column(
            "target_dataset_id",
            sa.BigInteger,
            sa.ForeignKey(
                "observed_datasets.id",
                ondelete="CASCADE",
                name="fk_lineage_observations_target_dataset_id_observed_datasets",
            ),
            nullable=False,
        ),
        sa.Column("target_field", sa.String(300), nullable=False, server_default=""),
        sa.Column("job_namespace", sa.String(500), nullable=False),
        sa.Column("job_name", sa.String(1000), nullable=False),
        sa.Column("last_run_id", sa.String(64)),
        sa.Column("transformation", sa.String(100)),
        sa.Column("edge_id", UUID(as_uuid=True)),
        sa.Column("observation_count", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("first_observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "edge_kind",
            "source_dataset_id",
            "source_field",
            "target_dataset_id",
            "target_field",
            "job_namespace",
            "job_name",
            name="uq_lineage_observations_edge_job",
        ),
    )
    op.create_index(
        "ix_lineage_observations_edge",
        "lineage_observations",
        ["edge_kind", "edge_id", "last_observed_at"],
    )
    op.create_index(
        "ix_lineage_observations_job", "lineage_observations", ["job_namespace", "job_name"]
    )
    op.create_index(
        "ix_lineage_observations_target",
        "lineage_observations",
        ["target_dataset_id", "last_observed_at"],
    )


def downgrade() -> None:
    op.drop_table("lineage_observations")
    op.drop_table("observed_datasets")
    op.drop_table("openlineage_events")
    op.drop_table("api_keys")
    op.drop_column("data_sources", "namespace_aliases")
    for table in ("table_lineage", "field_lineage"):  # an observed edge was created inferred
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN origin TYPE lineage_source USING (CASE "
            "WHEN origin = 'observed' THEN 'inferred' ELSE origin::text END)::lineage_source"
        )
    sa.Enum(name="edge_origin").drop(op.get_bind())
