"""Schema-change alerts: each breaking or risky change a sync saw (classified when the
harvest is applied, its downstream impact computed after), acknowledged or closed by a
revert; webhook subscriptions (secrets sealed like connection settings); and every
delivery of a notification, webhook or e-mail, with its status and retries."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "schema_change_events",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "source_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "data_sources.id",
                ondelete="CASCADE",
                name="fk_schema_change_events_source_id_data_sources",
            ),
            nullable=False,
        ),
        sa.Column("sync_id", UUID(as_uuid=True), nullable=False),
        sa.Column("table_id", UUID(as_uuid=True), nullable=False),
        sa.Column("field_id", UUID(as_uuid=True)),
        sa.Column("table_name", sa.String(1000), nullable=False),
        sa.Column("field_name", sa.String(300)),
        sa.Column("change_type", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("impact", JSONB),
        sa.Column("owners", ARRAY(sa.String(320)), nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("impact_computed_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(320)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledge_comment", sa.Text),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_reason", sa.Text),
    )
    op.create_index(
        "ix_schema_change_events_source", "schema_change_events", ["source_id", "detected_at"]
    )
    op.create_index("ix_schema_change_events_table", "schema_change_events", ["table_id"])
    op.create_index(
        "ix_schema_change_events_pending",
        "schema_change_events",
        ["detected_at"],
        postgresql_where=sa.text("impact_computed_at IS NULL"),
    )
    op.execute(  # a table's detail lists its recent changes: cached details must go
        "CREATE TRIGGER schema_change_events_catalog_changed "
        "AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE ON schema_change_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url_shown", sa.String(300), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("payload_format", sa.String(16), nullable=False, server_default="json"),
        sa.Column("source_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("min_severity", sa.String(16), nullable=False, server_default="risky"),
        sa.Column("owners", ARRAY(sa.String(320)), nullable=False, server_default="{}"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column(
            "webhook_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "webhook_subscriptions.id",
                ondelete="SET NULL",
                name="fk_notification_deliveries_webhook_id_webhook_subscriptions",
            ),
        ),
        sa.Column("recipient", sa.String(2000), nullable=False),
        sa.Column("owner", sa.String(320)),
        sa.Column("sync_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=_now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.UniqueConstraint(
            "channel", "recipient", "owner", "sync_id", name="uq_notification_deliveries_digest"
        ),
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("notification_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("schema_change_events")
