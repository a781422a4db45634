"""Property-based API tests from /openapi.json (schemathesis), authenticated as an admin.

Every generated request must get no 500 and a response that matches the documented schema.
The app runs against its own freshly migrated database, since generated writes commit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import User, UserRole
from ariadne_core.security.tokens import issue_token


@pytest.fixture(scope="module")
def fuzz_settings(
    make_database: Any, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> Settings:
    url = make_database("ariadne_fuzz")
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        session.add(
            User(email="fuzz@example.com", password_hash=password_hash, role=UserRole.ADMIN)
        )
        session.commit()
    return Settings(
        _env_file=None,
        home=Path(tmp_path_factory.mktemp("fuzz")),  # type: ignore[call-arg]
        database_url=url,
        jwt_secret="fuzz-secret-" + "z" * 32,
    )


@pytest.fixture(scope="module")
def api_schema(fuzz_settings: Settings) -> Iterator[Any]:
    from ariadne_api.main import create_app

    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_settings))


@pytest.fixture(scope="module")
def admin_token(fuzz_settings: Settings) -> str:
    return issue_token(fuzz_settings, subject="fuzz@example.com", role="admin").access_token


def test_no_server_error_and_responses_match_the_schema(api_schema: Any, admin_token: str) -> None:
    # One Hypothesis run per operation, with valid and with invalid data. (schemathesis.pytest.from_fixture does not work
    # with pytest 9, so the operations are walked here.)
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    exercised: list[tuple[str, GenerationMode]] = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: Any) -> None:
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
            raise AssertionError(f"{operation.label} ({mode.value} data): {exc}") from exc
        exercised.append((operation.label, mode))
    # Every operation ran with valid data, and every one that takes input with invalid data.
    assert len(exercised) > len(operations) + 10
