"""Property-based API tests from /openapi.json (schemathesis), once per role, on a catalog
holding the demo workbook (sources, tables, fields, lineage of every kind).

Every generated request must get no 500 and a response that matches the documented schema.
Path and query ids are drawn from the real catalog half of the time, so requests reach
real rows, not only 404s. The app runs against its own database, since generated writes
commit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import User, UserRole
from ariadne_core.demo import load_demo
from ariadne_core.security.tokens import issue_token

# Logging out would end the fuzzing user's session for the rest of the run.
SKIPPED = {"POST /api/v1/auth/logout"}
EXAMPLES = {"admin": 25, "steward": 12, "editor": 12, "viewer": 8}


@pytest.fixture(scope="module")
def fuzz_settings(
    make_database: Any, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> Settings:
    url = make_database("ariadne_fuzz")
    migrate.upgrade(url)
    settings = Settings(
        _env_file=None,
        home=Path(tmp_path_factory.mktemp("fuzz")),  # type: ignore[call-arg]
        database_url=url,
        jwt_secret="fuzz-secret-" + "z" * 32,
    )
    report = load_demo(url, settings)
    assert report is not None and report.committed
    with Session(engine_for(url)) as session:
        for role in UserRole:
            session.add(
                User(email=f"fuzz-{role.value}@example.com", password_hash=password_hash, role=role)
            )
        session.commit()
    return settings


@pytest.fixture(scope="module")
def real_ids(fuzz_settings: Settings) -> list[str]:
    assert fuzz_settings.database_url
    with engine_for(fuzz_settings.database_url).connect() as conn:
        rows = conn.execute(
            text(
                "(SELECT id::text FROM data_sources LIMIT 20) UNION ALL "
                "(SELECT id::text FROM metadata_tables LIMIT 40) UNION ALL "
                "(SELECT id::text FROM metadata_fields LIMIT 40) UNION ALL "
                "(SELECT id::text FROM table_lineage LIMIT 40) UNION ALL "
                "(SELECT id::text FROM field_lineage LIMIT 40)"
            )
        ).scalars()
        ids = list(rows)
    assert len(ids) > 100
    return ids


@pytest.fixture
def api_schema(fuzz_settings: Settings) -> Iterator[Any]:
    from ariadne_api.main import create_app

    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_settings))


ID_NAMES = {"source_id", "table_id", "field_id", "node_id", "lineage_id", "job_id"}


@pytest.mark.parametrize("role", ["admin", "steward", "editor", "viewer"])
def test_no_server_error_and_responses_match_the_schema(
    api_schema: Any, fuzz_settings: Settings, real_ids: list[str], role: str
) -> None:
    # One Hypothesis run per operation, with valid and with invalid data. (schemathesis.pytest.from_fixture does not work
    # with pytest 9, so the operations are walked here.)
    token = issue_token(fuzz_settings, subject=f"fuzz-{role}@example.com", role=role)
    headers = {"Authorization": f"Bearer {token.access_token}"}
    operations = [
        op
        for op in (result.ok() for result in api_schema.get_all_operations())
        if f"{op.method.upper()} {op.path}" not in SKIPPED
    ]
    assert len(operations) >= 15

    exercised: list[tuple[str, GenerationMode]] = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode), data=st.data())
        @settings(
            max_examples=EXAMPLES[role],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any, data: Any) -> None:
            for params in (case.path_parameters, case.query):
                for name in list(params or {}):
                    if name in ID_NAMES and data.draw(st.booleans()):
                        params[name] = data.draw(st.sampled_from(real_ids))
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except Unsatisfiable:
            # An operation without inputs (GET /healthz) has no invalid data to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        except Exception as exc:
            raise AssertionError(f"{operation.label} as {role} ({mode.value} data): {exc}") from exc
        exercised.append((operation.label, mode))
    # Every operation ran with valid data, and every one that takes input with invalid data.
    assert len(exercised) > len(operations) + 10
