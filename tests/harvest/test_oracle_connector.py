"""Oracle, tested against recorded dictionary result sets (no Oracle server can run here).

Every statement the connector sends is parsed with sqlglot's Oracle dialect, must read
the view it claims to read, and must filter by owner with bind variables.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import oracledb
import pytest
import sqlglot
from sqlalchemy import Engine, select
from sqlglot import exp

from ariadne_core.connectors.base import AuthenticationError, HostUnreachable, MissingPrivilege
from ariadne_core.connectors.oracle import OracleConnector, oracle_type
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import MetadataField, MetadataTable, SourceType
from ariadne_core.harvest.sync import apply_harvest

RECORDING = json.loads(
    (Path(__file__).parent / "fixtures" / "oracle" / "hr_dictionary.json").read_text()
)
CONFIG = {"host": "oracle.example.com", "service_name": "ORCLPDB1", "username": "ARIADNE_RO"}


class RecordedOracle:
    """Answers each statement with the recorded rows of the view it reads."""

    def __init__(self, denied: set[str] | None = None, error: str | None = None) -> None:
        self.sent: list[tuple[str, dict[str, Any], str]] = []
        self.denied = denied or set()
        self.error = error

    def __call__(self, sql: str, binds: dict[str, Any]) -> Sequence[Sequence[Any]]:
        tree = sqlglot.parse_one(sql, read="oracle")  # raises on SQL Oracle would refuse
        view = tree.find(exp.Table)
        assert view is not None, sql
        name = view.name.upper()
        self.sent.append((sql, binds, name))
        if self.error:
            raise oracledb.DatabaseError(self.error)
        if name in self.denied:
            raise oracledb.DatabaseError("ORA-00942: table or view does not exist")
        owners = {value for key, value in binds.items() if key.startswith("o")}
        rows = RECORDING[name]
        return [row for row in rows if not owners or row[0] in owners]


def test_harvest_reads_every_dictionary_view_with_an_owner_filter() -> None:
    recorded = RecordedOracle()
    connector = OracleConnector({**CONFIG, "owners": ["hr"]}, executor=recorded)
    objects = {o.name: o for o in connector.harvest()}
    views_read = {name for _, _, name in recorded.sent}
    assert views_read == {
        "ALL_TABLES",
        "ALL_TAB_COLUMNS",
        "ALL_VIEWS",
        "ALL_CONSTRAINTS",
        "ALL_CONS_COLUMNS",
        "ALL_TAB_COMMENTS",
        "ALL_COL_COMMENTS",
    }
    for sql, binds, _ in recorded.sent:
        tree = sqlglot.parse_one(sql, read="oracle")
        placeholders = {p.name for p in tree.find_all(exp.Placeholder)}
        assert placeholders == set(binds) == {"o0"}, sql  # bound, never pasted in
        assert binds["o0"] == "HR"  # owners are upper-cased like Oracle stores them
        assert "'HR'" not in sql

    assert set(objects) == {"DEPARTMENTS", "EMPLOYEES", "JOB_HISTORY", "EMP_DETAILS_VIEW"}
    employees = objects["EMPLOYEES"]
    assert employees.schema_name == "HR" and employees.row_count_estimate == 107
    assert employees.description == "Employees of the company, one row each"
    columns = {f.name: f for f in employees.fields}
    assert [f.name for f in employees.fields][:2] == ["EMPLOYEE_ID", "FIRST_NAME"]
    assert columns["EMPLOYEE_ID"].is_primary_key and not columns["EMPLOYEE_ID"].is_nullable
    assert columns["SALARY"].data_type == "NUMBER(8,2)"
    assert columns["SALARY"].description == "Monthly salary in the local currency"
    assert columns["PHOTO"].data_type == "SDO_GEOMETRY"  # unknown types kept verbatim
    assert employees.foreign_keys[0].referenced_table == "DEPARTMENTS"
    assert employees.foreign_keys[0].referenced_columns == ["DEPARTMENT_ID"]
    history = objects["JOB_HISTORY"]
    assert {f.name for f in history.fields if f.is_primary_key} == {"EMPLOYEE_ID", "START_DATE"}
    assert history.row_count_estimate is None  # never analyzed
    view = objects["EMP_DETAILS_VIEW"]
    assert view.table_type == "view" and "departments d" in (view.view_definition or "")


def test_owners_default_to_the_non_oracle_maintained_users() -> None:
    recorded = RecordedOracle()
    assert OracleConnector(CONFIG, executor=recorded).list_namespaces() == ["HR", "SALES"]
    assert recorded.sent[0][2] == "ALL_USERS"


def test_type_names() -> None:
    assert oracle_type("NUMBER", 22, 10, 0) == "NUMBER(10)"
    assert oracle_type("NUMBER", 22, None, None) == "NUMBER"
    assert oracle_type("VARCHAR2", 200, None, None) == "VARCHAR2(200)"
    assert oracle_type("XMLTYPE", 2000, None, None) == "XMLTYPE"


def test_a_missing_grant_names_the_view_and_the_user() -> None:
    connector = OracleConnector(
        {**CONFIG, "owners": ["HR"]}, executor=RecordedOracle(denied={"ALL_TAB_COLUMNS"})
    )
    with pytest.raises(MissingPrivilege) as denied:
        list(connector.harvest())
    assert denied.value.message == "user ARIADNE_RO lacks SELECT on ALL_TAB_COLUMNS"
    assert "GRANT SELECT ON ALL_TAB_COLUMNS" in (denied.value.hint or "")


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (
            "ORA-01017: invalid username/password; logon denied",
            AuthenticationError,
            "authentication failed for user ARIADNE_RO",
        ),
        (
            "DPY-6005: cannot connect to database",
            HostUnreachable,
            "host unreachable: oracle.example.com:1521",
        ),
    ],
)
def test_connection_errors_are_actionable(error: str, kind: type, message: str) -> None:
    connector = OracleConnector({**CONFIG, "owners": ["HR"]}, executor=RecordedOracle(error=error))
    with pytest.raises(kind) as failed:
        list(connector.harvest())
    assert failed.value.message == message
    check = OracleConnector(CONFIG, executor=RecordedOracle(error=error)).test_connection()
    assert not check.success and check.message == message


def test_a_real_connection_attempt_reports_an_unreachable_host() -> None:
    """The thin driver, for real, against a port where nothing listens."""
    check = OracleConnector(
        {"host": "127.0.0.1", "port": 1, "service_name": "X", "username": "U", "password": "p"}
    ).test_connection()
    assert not check.success and check.message == "host unreachable: 127.0.0.1:1"


def test_recorded_harvest_applies_to_the_catalog(catalog_engine: Engine, keyring: Any) -> None:
    from tests.harvest.conftest import make_source

    source_id = make_source(
        catalog_engine,
        keyring,
        "erp",
        SourceType.ORACLE,
        {**CONFIG, "password": "secret", "owners": ["HR"]},
    )
    objects = list(
        OracleConnector({**CONFIG, "owners": ["HR"]}, executor=RecordedOracle()).harvest()
    )
    with session_scope(catalog_engine) as session:
        from ariadne_core.db.models import DataSource

        source = session.get(DataSource, source_id)
        assert source is not None
        counts = apply_harvest(session, source, objects)
    assert counts.added == 4 and counts.fields_added == 13
    with session_scope(catalog_engine) as session:
        salary = session.scalar(
            select(MetadataField).where(MetadataField.qualified_name == "erp.HR.EMPLOYEES.SALARY")
        )
        assert salary is not None and salary.data_type == "NUMBER(8,2)"
        table = session.scalar(
            select(MetadataTable).where(MetadataTable.qualified_name == "erp.HR.EMPLOYEES")
        )
        assert table is not None and uuid.UUID(str(table.id))
