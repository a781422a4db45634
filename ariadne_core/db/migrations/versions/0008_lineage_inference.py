"""Lineage inference: where proposals come from, and the evidence behind each edge.

- `inference_origins`: one row per view, alias, procedure, uploaded file or query that
  inference read, with the fingerprint of its text (an unchanged origin is skipped).
- `inference_evidence`: one row per (origin, edge); `gone_at` once the origin stops
  showing the edge.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inference_origins",
        sa.Column("origin", sa.String(500), primary_key=True),
        sa.Column(
            "source_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("data_sources.id", ondelete="CASCADE"),
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("edges", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "problems", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column(
            "inferred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("origin", name="pk_inference_origins"),
    )
    op.create_index("ix_inference_origins_source_id", "inference_origins", ["source_id"])
    op.create_table(
        "inference_evidence",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(500), nullable=False),
        sa.Column("edge_kind", sa.String(8), nullable=False),
        sa.Column("edge_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column(
            "detail", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("gone_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_inference_evidence"),
        sa.UniqueConstraint("origin", "edge_kind", "edge_id", name="uq_inference_evidence_edge"),
    )
    op.create_index("ix_inference_evidence_edge", "inference_evidence", ["edge_kind", "edge_id"])


def downgrade() -> None:
    op.drop_table("inference_evidence")
    op.drop_table("inference_origins")
