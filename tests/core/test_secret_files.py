"""Secret files are private from their first byte."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.security.secret_files import read_or_create, replace


def test_admin_credentials_are_written_private(make_database: Any, tmp_path: Path) -> None:
    from ariadne_core.runtime.platform import ensure_admin

    url = make_database("ariadne_admin")
    migrate.upgrade(url)
    settings = Settings(_env_file=None, home=tmp_path, database_url=url)  # type: ignore[call-arg]
    email, password = ensure_admin(url, settings)
    creds = tmp_path / "admin-credentials"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert creds.read_text().splitlines() == [email, password]


def test_read_or_create_keeps_the_first_file_and_replace_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "key"
    assert read_or_create(path, lambda: "first") == "first"
    assert read_or_create(path, lambda: "second") == "first"
    path.chmod(0o644)
    replace(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key"]
