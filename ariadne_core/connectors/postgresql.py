"""PostgreSQL: tables, views, materialized views and foreign tables from pg_catalog.

Schemas come from information_schema (so only schemas the user may see are listed); the
objects, columns, keys and comments come from pg_catalog in four queries for the whole
source, however many tables it has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ariadne_core.connectors.base import (
    AuthenticationError,
    Connector,
    ConnectorError,
    ForeignKey,
    HarvestedField,
    HarvestedObject,
    HostUnreachable,
    MissingPrivilege,
    ProgressCallback,
    SourceTimeout,
)

RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized_view", "f": "external"}
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
STATEMENT_TIMEOUT_MS = 120_000

NAMESPACES_SQL = """
SELECT schema_name FROM information_schema.schemata
WHERE schema_name NOT IN ('pg_catalog', 'information_schema')
  AND schema_name NOT LIKE 'pg\\_toast%%' AND schema_name NOT LIKE 'pg\\_temp\\_%%'
  AND (%(schemas)s::text[] IS NULL OR schema_name = ANY(%(schemas)s::text[]))
ORDER BY schema_name
"""

OBJECTS_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS estimate,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition,
       pg_get_userbyid(c.relowner) AS owner
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname <> ALL(%(system)s::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY n.nspname, c.relname
"""

COLUMNS_SQL = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS nullable, a.attnum, col_description(a.attrelid, a.attnum) AS comment,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname <> ALL(%(system)s::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS_SQL = """
SELECT con.conrelid, con.contype, con.conname,
       ARRAY(SELECT att.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.num
             ORDER BY k.pos) AS columns,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       ARRAY(SELECT att.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.num
             ORDER BY k.pos) AS ref_columns
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'f')
  AND n.nspname <> ALL(%(system)s::text[])
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY con.conrelid, con.conname
"""


class PostgresConnector(Connector):
    source_type = "postgresql"

    def _connect(self) -> psycopg.Connection[Any]:
        cfg = self._config
        kwargs: dict[str, Any] = {
            "host": cfg["host"],
            "port": cfg.get("port", 5432),
            "dbname": cfg["database"],
            "user": cfg["username"],
            "connect_timeout": 10,
            "application_name": "ariadne-harvester",
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c default_transaction_read_only=on",
        }
        if cfg.get("password"):
            kwargs["password"] = cfg["password"]
        if cfg.get("sslmode"):
            kwargs["sslmode"] = cfg["sslmode"]
        try:
            return psycopg.connect(**kwargs, autocommit=True)
        except psycopg.OperationalError as exc:
            raise self._translate(exc) from None
        except (OSError, UnicodeError) as exc:  # name resolution, before libpq is reached
            raise HostUnreachable(
                f"host unreachable: {self._config['host']}:{self._config.get('port', 5432)} "
                f"({exc})",
                hint="Check connection_config.host: the name does not resolve.",
            ) from None

    def _translate(self, exc: Exception) -> ConnectorError:
        text = str(exc).lower()
        host = f"{self._config['host']}:{self._config.get('port', 5432)}"
        user = self._config["username"]
        database = self._config["database"]
        if "password authentication failed" in text or "no password supplied" in text:
            return AuthenticationError(
                f"authentication failed for user {user}",
                hint="Check the username and password in the source's connection_config.",
            )
        if f'database "{database.lower()}" does not exist' in text:
            return ConnectorError(
                f"database {database} does not exist on {host}",
                hint="Check connection_config.database.",
            )
        if "timeout" in text or "timed out" in text or isinstance(exc, pg_errors.QueryCanceled):
            return SourceTimeout(
                f"{host} did not answer in time",
                hint="The server is slow or a firewall drops packets; the sync is retried.",
            )
        if isinstance(exc, pg_errors.InsufficientPrivilege):
            return MissingPrivilege(
                f"user {user} lacks a privilege the harvest needs: {str(exc).splitlines()[0]}",
                hint="Grant USAGE on the schemas and SELECT on pg_catalog to the user.",
            )
        if (
            "connection refused" in text
            or "could not translate host name" in text
            or "no route to host" in text
            or "name or service not known" in text
        ):
            return HostUnreachable(
                f"host unreachable: {host}",
                hint="Check connection_config.host and port, and that the server accepts "
                "connections from Ariadne.",
            )
        return ConnectorError(f"PostgreSQL at {host} refused the harvest: {str(exc).strip()}")

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._connect() as conn:
            try:
                return conn.execute(sql, params or {}).fetchall()
            except psycopg.Error as exc:
                raise self._translate(exc) from None

    def _params(self) -> dict[str, Any]:
        return {"schemas": self._config.get("schemas"), "system": list(SYSTEM_SCHEMAS)}

    def server_version(self) -> str:
        return str(self._query("SHOW server_version")[0][0])

    def list_namespaces(self) -> list[str]:
        return [row[0] for row in self._query(NAMESPACES_SQL, self._params())]

    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        params = self._params()
        if namespace is not None:
            params["schemas"] = [namespace]
        return [(r[1], r[2], RELKINDS[r[3]]) for r in self._query(OBJECTS_SQL, params)]

    def harvest(self, progress: ProgressCallback | None = None) -> Iterator[HarvestedObject]:
        params = self._params()
        with self._connect() as conn:
            try:
                objects = conn.execute(OBJECTS_SQL, params).fetchall()
                if progress:
                    progress(0, len(objects), "reading columns")
                columns = conn.execute(COLUMNS_SQL, params).fetchall()
                constraints = conn.execute(CONSTRAINTS_SQL, params).fetchall()
            except psycopg.Error as exc:
                raise self._translate(exc) from None
        by_rel: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in columns:
            by_rel[row[0]].append(row)
        primary: dict[int, set[str]] = defaultdict(set)
        foreign: dict[int, list[ForeignKey]] = defaultdict(list)
        for oid, kind, name, cols, ref_schema, ref_table, ref_cols in constraints:
            if kind == "p":
                primary[oid].update(cols)
            else:
                foreign[oid].append(
                    ForeignKey(name, list(cols), ref_schema, ref_table, list(ref_cols))
                )
        for done, (oid, schema, name, kind, comment, estimate, definition, owner) in enumerate(
            objects, start=1
        ):
            fields = [
                HarvestedField(
                    name=col_name,
                    data_type=data_type,
                    is_nullable=bool(nullable),
                    is_primary_key=col_name in primary[oid],
                    ordinal_position=int(attnum),
                    description=col_comment,
                    properties={"default": default} if default is not None else {},
                )
                for _, col_name, data_type, nullable, attnum, col_comment, default in by_rel[oid]
            ]
            yield HarvestedObject(
                schema_name=schema,
                name=name,
                table_type=RELKINDS[kind],
                description=comment,
                row_count_estimate=estimate,
                view_definition=definition,
                fields=fields,
                foreign_keys=foreign[oid],
                properties={"source_owner": owner},
            )
            if progress and done % 500 == 0:
                progress(done, len(objects), "reading objects")
