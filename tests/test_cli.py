"""The `ariadne` command line, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.security.passwords import verify_password
from ariadne_core.users.service import find_user

MIGRATIONS = Path(migrate.__file__).parent / "migrations" / "versions"


def _ariadne(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ariadne_core.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_users_create_adds_a_user_who_can_log_in(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database("ariadne_cli")
    env = {"ARIADNE_DATABASE_URL": url, "ARIADNE_HOME": str(tmp_path)}
    up = _ariadne("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert f"revision {migrate.current_revision(url)}" in up.stdout  # the newest, whatever it is
    assert migrate.current_revision(url) == sorted(p.name[:4] for p in MIGRATIONS.glob("0*.py"))[-1]
    made = _ariadne(
        "users",
        "create",
        "--email",
        "Ada@Example.com",
        "--role",
        "steward",
        "--password",
        "long-enough-pw",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "created steward ada@example.com" in made.stdout
    with Session(engine_for(url)) as session:
        user = find_user(session, "ada@example.com")
        assert user is not None and user.role.value == "steward"
        assert verify_password(user.password_hash, "long-enough-pw")
    again = _ariadne(
        "users", "create", "--email", "ada@example.com", "--password", "x" * 12, env=env
    )
    assert again.returncode == 2
    assert (
        again.stderr.strip()
        == "ariadne: error: A user with e-mail 'ada@example.com' already exists."
    )


def test_short_password_is_refused(make_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = make_database("ariadne_cli")
    env = {"ARIADNE_DATABASE_URL": url, "ARIADNE_HOME": str(tmp_path)}
    assert _ariadne("db", "upgrade", env=env).returncode == 0
    made = _ariadne("users", "create", "--email", "a@b.co", "--password", "short", env=env)
    assert made.returncode == 2
    assert "between 8 and 1024 characters" in made.stderr


def test_bad_settings_print_one_line_and_no_traceback(tmp_path: Path) -> None:
    cases = {
        "ARIADNE_DATABASE_URL": ("postgresql://u@127.0.0.1:1/db", "Cannot reach the database"),
        "ARIADNE_API_PORT": ("not-a-port", "ARIADNE_API_PORT is invalid"),
    }
    for name, (value, expected) in cases.items():
        result = _ariadne("db", "current", env={name: value, "ARIADNE_HOME": str(tmp_path)})
        assert result.returncode == 2, (name, result.stderr)
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert expected in lines[0]


def test_users_update_demotes_and_deactivates_and_ends_sessions(
    make_database: Any, tmp_path: Path
) -> None:
    url = make_database("ariadne_cli")
    env = {"ARIADNE_DATABASE_URL": url, "ARIADNE_HOME": str(tmp_path)}
    assert _ariadne("db", "upgrade", env=env).returncode == 0
    for email, role in (("boss@example.com", "admin"), ("ada@example.com", "steward")):
        made = _ariadne(
            "users",
            "create",
            "--email",
            email,
            "--role",
            role,
            "--password",
            "long-enough-pw",
            env=env,
        )
        assert made.returncode == 0, made.stderr
    changed = _ariadne(
        "users", "update", "--email", "ada@example.com", "--role", "viewer", "--deactivate", env=env
    )
    assert changed.returncode == 0, changed.stderr
    assert "ada@example.com: viewer, deactivated" in changed.stdout
    with Session(engine_for(url)) as session:
        user = find_user(session, "ada@example.com")
        assert user is not None and not user.is_active and user.token_version == 2
    last = _ariadne("users", "update", "--email", "boss@example.com", "--role", "editor", env=env)
    assert last.returncode == 2 and "last active admin" in last.stderr
