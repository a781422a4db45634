"""Import jobs keep what the job runner and the status endpoint need.

The replace flag and the importing user's role travel with the job (an approved row is
accepted only from a steward), and the job keeps its current stage, the validation
summary (counts, graph effect) and a plain-language error message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "import_jobs",
        sa.Column("replace", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("import_jobs", sa.Column("actor_role", sa.String(length=16), nullable=True))
    op.add_column("import_jobs", sa.Column("stage", sa.String(length=200), nullable=True))
    op.add_column(
        "import_jobs",
        sa.Column(
            "report",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("import_jobs", sa.Column("error_message", sa.Text(), nullable=True))
    op.create_index("ix_import_jobs_created_at", "import_jobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_import_jobs_created_at", table_name="import_jobs")
    for column in ("error_message", "report", "stage", "actor_role", "replace"):
        op.drop_column("import_jobs", column)
