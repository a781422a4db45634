"""Security hardening (see docs/security.md).

- `users.token_version`: moved by logout, a role change and deactivation; a token issued
  for an older version is refused on the next request. User changes announce themselves
  on `ariadne_catalog`, so every API process drops what it kept about the user.
- `change_history` is append-only, as `lineage_audit_events` already is.
- `runner` on import and sync jobs: "dagster", or "api-thread" when Dagster did not
  answer and the API ran the job itself.
- At most one queued or running sync per source: a unique index, so two concurrent
  `POST /sources/{id}/sync` start one sync, whatever the timing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_APPEND_ONLY = """
CREATE FUNCTION change_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'change_history is append-only: % is not allowed', TG_OP;
END $$
"""


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("token_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.execute(  # the function comes from 0005
        "CREATE TRIGGER users_catalog_changed "
        "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_catalog_changed()"
    )
    for table in ("import_jobs", "sync_jobs"):
        op.add_column(table, sa.Column("runner", sa.String(16), nullable=True))
    op.execute(HISTORY_APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER change_history_append_only BEFORE UPDATE OR DELETE "
        "ON change_history FOR EACH ROW EXECUTE FUNCTION change_history_append_only()"
    )
    op.execute(
        "CREATE TRIGGER change_history_no_truncate BEFORE TRUNCATE "
        "ON change_history FOR EACH STATEMENT EXECUTE FUNCTION change_history_append_only()"
    )
    # Older unfinished jobs would break the index: they were abandoned long ago.
    op.execute(
        "UPDATE sync_jobs SET status = 'failed', finished_at = now(), "
        "error_message = coalesce(error_message, 'abandoned: superseded before migration 0007') "
        "WHERE status IN ('queued', 'running') AND id NOT IN ("
        "  SELECT DISTINCT ON (source_id) id FROM sync_jobs "
        "  WHERE status IN ('queued', 'running') ORDER BY source_id, created_at DESC)"
    )
    op.create_index(
        "uq_sync_jobs_one_unfinished",
        "sync_jobs",
        ["source_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_index("uq_sync_jobs_one_unfinished", table_name="sync_jobs")
    op.execute("DROP TRIGGER IF EXISTS change_history_no_truncate ON change_history")
    op.execute("DROP TRIGGER IF EXISTS change_history_append_only ON change_history")
    op.execute("DROP FUNCTION IF EXISTS change_history_append_only()")
    for table in ("import_jobs", "sync_jobs"):
        op.drop_column(table, "runner")
    op.execute("DROP TRIGGER IF EXISTS users_catalog_changed ON users")
    op.drop_column("users", "token_version")
