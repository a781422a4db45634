"""The embedded PostgreSQL: start, reuse, stop, and clear errors for bad settings."""

from __future__ import annotations

import re
import socket
import stat
from pathlib import Path

import psycopg
import pytest

from ariadne_core.config import Settings
from ariadne_core.errors import ConfigurationError
from ariadne_core.runtime.database import resolve_database
from ariadne_core.runtime.ports import free_port
from ariadne_core.runtime.postgres import embedded_for, server_options


def test_start_reuse_and_stop(server_home: Path) -> None:
    pg = embedded_for(server_home / "home", free_port())
    assert pg.start() is True
    try:
        with psycopg.connect(pg.url()) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE TABLE kept (x int)")
            conn.execute("INSERT INTO kept VALUES (42)")
            version = conn.execute("SHOW server_version").fetchone()
            tuned = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("jit", "random_page_cost", "shared_buffers")
            }
        assert version is not None and version[0].startswith("18")
        assert tuned["jit"] == "off" and tuned["random_page_cost"] == "1.1"
        assert tuned["shared_buffers"] != "128MB" or "shared_buffers=128MB" in server_options()
        assert pg.start() is False  # already running: reused, not restarted
    finally:
        pg.stop()
    assert pg.running_port() is None
    assert pg.start() is True  # the data survives a restart
    try:
        with psycopg.connect(pg.url()) as conn:
            assert conn.execute("SELECT x FROM kept").fetchone() == (42,)
    finally:
        pg.stop()


def _without_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1@", url)


def test_the_superuser_needs_its_generated_password(server_home: Path) -> None:
    pg = embedded_for(server_home / "home", free_port())
    assert pg.start() is True
    try:
        assert stat.S_IMODE(pg.password_file.stat().st_mode) == 0o600
        assert len(pg.password()) >= 32
        with psycopg.connect(pg.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_password(pg.url()), connect_timeout=5)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(pg.url().replace(pg.password(), "guessed"), connect_timeout=5)
    finally:
        pg.stop()


def test_a_trusting_data_directory_is_switched_to_passwords(server_home: Path) -> None:
    """Data made by an older Ariadne (initdb --auth=trust) asks for the password after
    its next start."""
    pg = embedded_for(server_home / "home", free_port())
    pg.start()
    pg.stop()
    hba = pg.pgdata / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    assert pg.start() is True
    try:
        assert "trust" not in "".join(
            line for line in hba.read_text().splitlines() if not line.startswith("#")
        )
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_password(pg.url()), connect_timeout=5)
        with psycopg.connect(pg.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pg.stop()


def test_port_in_use_is_one_clear_line(server_home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigurationError) as caught:
            embedded_for(server_home / "home", port).start()
    assert f"Port {port} is already in use" in caught.value.message
    assert "ARIADNE_EMBEDDED_PG_PORT" in caught.value.message


def test_unwritable_home_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError) as caught:
        embedded_for(blocker / "home", free_port()).start()
    assert "ARIADNE_HOME cannot be written" in caught.value.message


def test_unreachable_database_url_is_one_clear_line() -> None:
    port = free_port()
    settings = Settings(_env_file=None, database_url=f"postgresql://u@127.0.0.1:{port}/db")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError) as caught:
        resolve_database(settings)
    message = caught.value.message
    assert f"127.0.0.1:{port}/db" in message
    assert "ARIADNE_DATABASE_URL" in message
    assert "\n" not in message


def test_configured_url_starts_nothing(database_url: str, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=database_url, home=tmp_path / "h")  # type: ignore[call-arg]
    resolved = resolve_database(settings)
    assert resolved.embedded is None
    assert not (tmp_path / "h").exists()


def test_server_options_scale_with_memory_within_bounds() -> None:
    assert "shared_buffers=128MB" in server_options(256 << 20)  # never below the default
    assert "shared_buffers=1024MB" in server_options(4 << 30)  # a quarter
    assert "shared_buffers=2048MB" in server_options(64 << 30)  # at most 2 GB
    assert "effective_cache_size=12288MB" in server_options(24 << 30)
