"""Embeddings become searchable: what was embedded, by which model version, from which
source, and an HNSW index for nearest-neighbour search.

- `model_version` is stored with each vector next to `model`: a new model or a new
  version of it is noticed and everything is embedded again (ariadne_core.embedding.index).
- `content` is the text that was embedded, shown as the match of a semantic search.
- `source_id` lets a search keep to some sources without a join.
- The HNSW index uses inner product: every vector is unit length, so it orders exactly
  as cosine similarity does, at less cost per comparison.

The column's size follows the configured model; `ariadne db upgrade` resizes it after
the migrations when the configuration changed (ariadne_core.ai.vector_column).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "embeddings",
        sa.Column("model_version", sa.String(100), server_default="", nullable=False),
    )
    op.add_column("embeddings", sa.Column("content", sa.Text(), server_default="", nullable=False))
    op.add_column("embeddings", sa.Column("source_id", sa.UUID(), nullable=True))
    op.add_column(
        "embeddings",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_embeddings_vector",
        "embeddings",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_ip_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_embeddings_vector", table_name="embeddings")
    for column in ("updated_at", "source_id", "content", "model_version"):
        op.drop_column("embeddings", column)
