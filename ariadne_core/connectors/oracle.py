"""Oracle: the ALL_* dictionary views, through python-oracledb in thin mode with a pool.

Every dictionary query goes through ``OracleConnector._fetch``, which names the view it
reads. That makes two things possible: a missing privilege is reported as "user X lacks
SELECT on ALL_TAB_COLUMNS", and the tests replay recorded result sets of each view (no
Oracle server can run on this project's machines) while checking every statement with
sqlglot's Oracle dialect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

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

# Executes (sql, binds) and returns rows; the default runs it on the pool.
Executor = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]

USERS_SQL = "SELECT username FROM all_users WHERE oracle_maintained = 'N' ORDER BY username"
VERSION_SQL = "SELECT banner FROM v$version WHERE ROWNUM = 1"


def owner_filter(owners: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """``owner IN (:o0, :o1, …)`` with one bind per owner (never string-built values)."""
    binds = {f"o{i}": owner for i, owner in enumerate(owners)}
    return "owner IN (" + ", ".join(f":{name}" for name in binds) + ")", binds


def dictionary_sql(owners: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The statement (and binds) sent for each dictionary view."""
    where, binds = owner_filter(owners)
    return {
        "ALL_TABLES": (
            f"SELECT owner, table_name, num_rows FROM all_tables WHERE {where} "
            "AND nested = 'NO' AND secondary = 'N' ORDER BY owner, table_name",
            binds,
        ),
        "ALL_VIEWS": (
            f"SELECT owner, view_name, text FROM all_views WHERE {where} ORDER BY owner, view_name",
            binds,
        ),
        "ALL_TAB_COLUMNS": (
            "SELECT owner, table_name, column_name, data_type, data_length, data_precision, "
            f"data_scale, nullable, column_id FROM all_tab_columns WHERE {where} "
            "ORDER BY owner, table_name, column_id",
            binds,
        ),
        "ALL_CONSTRAINTS": (
            "SELECT c.owner, c.table_name, c.constraint_name, c.constraint_type, r.owner, "
            "r.table_name, r.constraint_name FROM all_constraints c LEFT JOIN all_constraints r "
            "ON r.owner = c.r_owner AND r.constraint_name = c.r_constraint_name "
            f"WHERE c.{where} AND c.constraint_type IN ('P', 'R') "
            "ORDER BY c.owner, c.table_name, c.constraint_name",
            binds,
        ),
        "ALL_CONS_COLUMNS": (
            "SELECT owner, constraint_name, column_name, position FROM all_cons_columns "
            f"WHERE {where} ORDER BY owner, constraint_name, position",
            binds,
        ),
        "ALL_TAB_COMMENTS": (
            f"SELECT owner, table_name, comments FROM all_tab_comments WHERE {where} "
            "AND comments IS NOT NULL",
            binds,
        ),
        "ALL_COL_COMMENTS": (
            "SELECT owner, table_name, column_name, comments FROM all_col_comments "
            f"WHERE {where} AND comments IS NOT NULL",
            binds,
        ),
    }


def oracle_type(data_type: str, length: Any, precision: Any, scale: Any) -> str:
    """NUMBER(10,2), VARCHAR2(200), …; types Ariadne does not know are kept verbatim."""
    if data_type == "NUMBER" and precision is not None:
        return f"NUMBER({precision},{scale or 0})" if scale else f"NUMBER({precision})"
    if data_type in {"VARCHAR2", "NVARCHAR2", "CHAR", "NCHAR", "RAW"} and length:
        return f"{data_type}({length})"
    return data_type


# Longest round trip to the server, in milliseconds; past it the call fails (a timeout).
CALL_TIMEOUT_MS = 120_000


class OracleConnector(Connector):
    source_type = "oracle"

    def __init__(self, config: dict[str, Any], *, executor: Executor | None = None) -> None:
        super().__init__(config)
        self._executor = executor
        self._pool: Any = None

    # -- connection ----------------------------------------------------------------------
    @property
    def _dsn(self) -> str:
        cfg = self._config
        return f"{cfg['host']}:{cfg.get('port', 1521)}/{cfg['service_name']}"

    def _get_pool(self) -> Any:
        if self._pool is None:
            import oracledb  # thin mode: no Oracle client libraries needed

            try:
                self._pool = oracledb.create_pool(
                    user=self._config["username"],
                    password=self._config.get("password"),
                    dsn=self._dsn,
                    min=1,
                    max=4,
                    increment=1,
                    tcp_connect_timeout=10,
                )
            except oracledb.Error as exc:
                raise self._translate(exc, None) from None
        return self._pool

    def _run_on_pool(self, sql: str, binds: dict[str, Any]) -> Sequence[Sequence[Any]]:
        import oracledb

        try:
            with self._get_pool().acquire() as conn, conn.cursor() as cursor:
                conn.call_timeout = CALL_TIMEOUT_MS  # a stalled server cannot hold the sync
                cursor.arraysize = 5000
                cursor.execute(sql, binds)
                return list(cursor.fetchall())
        except oracledb.Error as exc:
            raise self._translate(exc, None) from None

    def _fetch(self, view: str, sql: str, binds: dict[str, Any]) -> Sequence[Sequence[Any]]:
        import oracledb

        try:
            return (self._executor or self._run_on_pool)(sql, binds)
        except oracledb.Error as exc:
            error: ConnectorError = self._translate(exc, view)
        except ConnectorError as exc:
            error = exc
        if isinstance(error, MissingPrivilege):
            raise MissingPrivilege(
                f"user {self._config['username']} lacks SELECT on {view}",
                hint=f"Ask the DBA to GRANT SELECT ON {view} (or SELECT_CATALOG_ROLE) "
                f"to {self._config['username']}.",
            )
        raise error

    def _translate(self, exc: Exception, view: str | None) -> ConnectorError:
        text = str(exc)
        user = self._config["username"]
        if "ORA-01017" in text or "ORA-28000" in text:
            return AuthenticationError(
                f"authentication failed for user {user}",
                hint="Check connection_config.username and password (ORA-01017), or whether "
                "the account is locked (ORA-28000).",
            )
        if "DPY-4001" in text:
            return AuthenticationError(
                f"no password given for user {user}",
                hint="Add connection_config.password.",
            )
        if "ORA-00942" in text or "ORA-01031" in text:
            return MissingPrivilege(f"user {user} lacks SELECT on {view or 'a dictionary view'}")
        if "DPY-4011" in text or "timed out" in text.lower() or "DPI-1067" in text:
            return SourceTimeout(f"{self._dsn} did not answer in time", hint="The sync is retried.")
        if "DPY-6005" in text or "DPY-6000" in text or "ORA-12541" in text:
            return HostUnreachable(
                f"host unreachable: {self._config['host']}:{self._config.get('port', 1521)}",
                hint="Check connection_config.host, port and service_name.",
            )
        if "ORA-12514" in text or "DPY-6001" in text:
            return ConnectorError(
                f"service {self._config['service_name']} is not known to the listener",
                hint="Check connection_config.service_name.",
            )
        return ConnectorError(f"Oracle at {self._dsn} refused the harvest: {text.splitlines()[0]}")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close(force=True)
            self._pool = None

    # -- metadata ------------------------------------------------------------------------
    def server_version(self) -> str:
        rows = self._fetch("V$VERSION", VERSION_SQL, {})
        return str(rows[0][0]) if rows else "unknown"

    def owners(self) -> list[str]:
        configured = self._config.get("owners")
        if configured:
            return [owner.upper() for owner in configured]
        return [row[0] for row in self._fetch("ALL_USERS", USERS_SQL, {})]

    def list_namespaces(self) -> list[str]:
        return self.owners()

    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        owners = [namespace.upper()] if namespace else self.owners()
        queries = dictionary_sql(owners)
        tables = [(r[0], r[1], "table") for r in self._fetch("ALL_TABLES", *queries["ALL_TABLES"])]
        views = [(r[0], r[1], "view") for r in self._fetch("ALL_VIEWS", *queries["ALL_VIEWS"])]
        return sorted(tables + views)

    def harvest(self, progress: ProgressCallback | None = None) -> Iterator[HarvestedObject]:
        owners = self.owners()
        if not owners:
            return
        queries = dictionary_sql(owners)
        rows = {view: self._fetch(view, *query) for view, query in queries.items()}

        columns: dict[tuple[str, str], list[Sequence[Any]]] = defaultdict(list)
        for row in rows["ALL_TAB_COLUMNS"]:
            columns[(row[0], row[1])].append(row)
        table_comments = {(r[0], r[1]): r[2] for r in rows["ALL_TAB_COMMENTS"]}
        column_comments = {(r[0], r[1], r[2]): r[3] for r in rows["ALL_COL_COMMENTS"]}
        cons_columns: dict[tuple[str, str], list[str]] = defaultdict(list)
        for owner, name, column, _position in rows["ALL_CONS_COLUMNS"]:
            cons_columns[(owner, name)].append(column)
        primary: dict[tuple[str, str], set[str]] = defaultdict(set)
        foreign: dict[tuple[str, str], list[ForeignKey]] = defaultdict(list)
        for owner, table, name, kind, r_owner, r_table, r_name in rows["ALL_CONSTRAINTS"]:
            if kind == "P":
                primary[(owner, table)].update(cons_columns[(owner, name)])
            elif r_table is not None:
                foreign[(owner, table)].append(
                    ForeignKey(
                        name,
                        cons_columns[(owner, name)],
                        r_owner,
                        r_table,
                        cons_columns.get((r_owner, r_name), []),
                    )
                )

        objects: list[tuple[str, str, str, Any, str | None]] = [
            (r[0], r[1], "table", r[2], None) for r in rows["ALL_TABLES"]
        ] + [(r[0], r[1], "view", None, r[2]) for r in rows["ALL_VIEWS"]]
        for done, (owner, name, kind, num_rows, text) in enumerate(sorted(objects), start=1):
            key = (owner, name)
            yield HarvestedObject(
                schema_name=owner,
                name=name,
                table_type=kind,
                description=table_comments.get(key),
                row_count_estimate=int(num_rows) if num_rows is not None else None,
                view_definition=text,
                fields=[
                    HarvestedField(
                        name=col[2],
                        data_type=oracle_type(col[3], col[4], col[5], col[6]),
                        is_nullable=col[7] != "N",
                        is_primary_key=col[2] in primary[key],
                        ordinal_position=int(col[8]) if col[8] is not None else None,
                        description=column_comments.get((owner, name, col[2])),
                    )
                    for col in columns[key]
                ],
                foreign_keys=foreign[key],
            )
            if progress and done % 500 == 0:
                progress(done, len(objects), "reading objects")
