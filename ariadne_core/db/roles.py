"""The app role: what the API and the pipelines connect as in production.

Migrations run as the owner of the schema. The app role may read and write rows, and
nothing else: it owns no table, so it cannot `ALTER TABLE … DISABLE TRIGGER` to switch
off the append-only audit (`lineage_audit_events`, `change_history`), drop or truncate a
table, or change the schema. See docs/security.md.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql

from ariadne_core.errors import ConfigurationError

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(conn: psycopg.Connection[Any], role: str, password: str | None = None) -> None:
    """Create ``role`` (when ``password`` is given and it does not exist yet) and grant it
    row access to every table of the current database, present and future."""
    if not _NAME.match(role):
        raise ConfigurationError(
            f"'{role}' is not a plain role name (lower-case letters, digits, underscores)."
        )
    name = sql.Identifier(role)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if exists is None:
        if not password:
            raise ConfigurationError(
                f"The database role '{role}' does not exist; set ARIADNE_APP_DB_PASSWORD to "
                "create it."
            )
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {}"
            ).format(name, sql.Literal(password))
        )
    elif password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(password)))
    database = conn.execute("SELECT current_database()").fetchone()
    assert database is not None
    for statement in (
        "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
        "GRANT USAGE ON SCHEMA public TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ):
        conn.execute(sql.SQL(statement).format(db=sql.Identifier(database[0]), role=name))
