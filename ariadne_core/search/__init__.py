"""Search over the catalog: full text (Postgres FTS + pg_trgm) and, later, vectors."""
