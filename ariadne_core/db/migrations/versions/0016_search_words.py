"""Typo search through a vocabulary: every distinct word of a table or field name, with a
trigram index. A search for `custmer` compares its words with a few thousand words
instead of every name (200,000 in a catalog of 10,000 tables), then finds the names that
hold the close words by the full-text index.

Kept by triggers whoever writes (the API, an import, a harvest, a hand-written INSERT):
one statement-level insert per statement that adds tables or fields, and a row trigger
when a name changes. Words are never removed: a word no live name holds any more only
costs a comparison, since names are then found by the full-text index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("metadata_tables", "metadata_fields")
# The words of a name: lower case, split on anything but letters and digits (letters of
# any alphabet; a question's words are its runs of A-Z and 0-9, ariadne_core.search.
# fulltext.query_words, and a typed word is compared with these by trigram similarity).
# Longer words are not typed.
WORDS = (
    "SELECT DISTINCT w FROM {rows} r, regexp_split_to_table(lower(r.name), "
    "'[^[:alnum:]]+') w WHERE w <> '' AND length(w) <= 64"
)


def upgrade() -> None:
    op.create_table("search_words", sa.Column("word", sa.String(64), primary_key=True))
    op.create_index(
        "ix_search_words_trgm",
        "search_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )
    for table in TABLES:
        op.execute(
            f"INSERT INTO search_words (word) {WORDS.format(rows=table)} ON CONFLICT DO NOTHING"
        )
    op.execute(
        f"""
        CREATE FUNCTION ariadne_search_words_added() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_words (word) {WORDS.format(rows="added")}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION ariadne_search_words_renamed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_words (word) {WORDS.format(rows="(SELECT NEW.name)")}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_search_words_added AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS added "
            "FOR EACH STATEMENT EXECUTE FUNCTION ariadne_search_words_added()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_words_renamed AFTER UPDATE OF name ON {table} "
            "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
            "EXECUTE FUNCTION ariadne_search_words_renamed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_words_added ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_words_renamed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ariadne_search_words_added()")
    op.execute("DROP FUNCTION IF EXISTS ariadne_search_words_renamed()")
    op.drop_table("search_words")
