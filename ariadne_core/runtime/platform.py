"""`ariadne run`: the whole platform on one machine.

Starts (or reuses) the database, migrates it, makes sure an admin exists, then runs the
API, the Dagster webserver and the Dagster daemon as child process groups. Ctrl-C or
SIGTERM stops all of them and the embedded PostgreSQL it started; nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import dagster_storage_url, engine_for, session_scope
from ariadne_core.db.models import UserRole
from ariadne_core.errors import ConfigurationError
from ariadne_core.runtime import REPO_ROOT
from ariadne_core.runtime.database import ResolvedDatabase, resolve_database
from ariadne_core.runtime.ports import port_in_use
from ariadne_core.security import secret_files
from ariadne_core.users.service import count_users, create_user


def _say(message: str) -> None:
    print(f"[ariadne] {message}", flush=True)


def ensure_admin(url: str, settings: Settings) -> tuple[str, str | None]:
    """Create the first admin when there are no users. Returns (email, password or None)."""
    creds = Path(settings.home) / "admin-credentials"
    with session_scope(engine_for(url)) as session:
        if count_users(session) == 0:
            password = secrets.token_urlsafe(12)
            create_user(
                session,
                email=settings.admin_email,
                password=password,
                role=UserRole.ADMIN,
                full_name="Ariadne administrator",
            )
            secret_files.replace(creds, f"{settings.admin_email}\n{password}\n")
            return settings.admin_email, password
    if creds.exists():
        email, password = creds.read_text().splitlines()[:2]
        return email, password
    return settings.admin_email, None


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME under ARIADNE_HOME, holding the repo's dagster.yaml."""
    home = Path(settings.home).resolve() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    source = REPO_ROOT / "dagster.yaml"
    if not source.exists():
        raise ConfigurationError(f"dagster.yaml is missing next to the code ({source}).")
    shutil.copyfile(source, home / "dagster.yaml")
    return home


@dataclass
class Platform:
    settings: Settings
    database: ResolvedDatabase | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False

    def child_env(self) -> dict[str, str]:
        assert self.database is not None
        env = dict(os.environ)
        env.update(
            ARIADNE_DATABASE_URL=self.database.url,
            ARIADNE_DAGSTER_PG_URL=dagster_storage_url(self.database.url),
            ARIADNE_HOME=str(Path(self.settings.home).resolve()),
            DAGSTER_HOME=str(dagster_home(self.settings)),
        )
        return env

    def check_ports(self) -> None:
        for name, port in (
            ("ARIADNE_API_PORT", self.settings.api_port),
            ("ARIADNE_DAGSTER_PORT", self.settings.dagster_port),
        ):
            if port_in_use(port):
                raise ConfigurationError(
                    f"Port {port} is already in use, so Ariadne cannot start there. "
                    f"Stop the program using it or set {name} to a free port."
                )

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        logs = Path(self.settings.home).resolve() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        out = (logs / f"{name}.log").open("ab")
        self.children[name] = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )

    def start(self) -> None:
        self.check_ports()
        self.database = resolve_database(self.settings)
        _say("database ready" + (" (embedded PostgreSQL)" if self.database.embedded else ""))
        migrate.upgrade(self.database.url)
        email, password = ensure_admin(self.database.url, self.settings)
        self.load_demo()
        env = self.child_env()
        bindir = Path(sys.executable).parent
        host = self.settings.api_host
        self.spawn(
            "api",
            [
                str(bindir / "uvicorn"),
                "ariadne_api.main:create_app",
                "--factory",
                "--host",
                host,
                "--port",
                str(self.settings.api_port),
                "--no-access-log",  # the API writes its own request lines, with request ids
            ],
            env,
        )
        self.spawn(
            "dagster-webserver",
            [
                str(bindir / "dagster-webserver"),
                "-h",
                host,
                "-p",
                str(self.settings.dagster_port),
                "-w",
                str(REPO_ROOT / "workspace.yaml"),
            ],
            env,
        )
        self.spawn(
            "dagster-daemon",
            [str(bindir / "dagster-daemon"), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
            env,
        )
        self.wait_until_up()
        api = f"http://{host}:{self.settings.api_port}"
        _say(f"Explorer       {api}/  (the web page; `make frontend` builds it)")
        _say(f"API            {api}  (Swagger UI: {api}/docs)")
        _say(f"Dagster UI     http://{host}:{self.settings.dagster_port}")
        _say(
            f"admin login    {email} / {password or '(see ' + str(self.settings.home) + '/admin-credentials)'}"
        )
        _say(f"logs           {Path(self.settings.home).resolve() / 'logs'}")
        _say("press Ctrl-C to stop everything")

    def load_demo(self) -> None:
        if not self.settings.demo:
            return
        from ariadne_core.demo import load_demo

        assert self.database is not None
        _say("loading the demo catalog through the bulk import (ARIADNE_DEMO=0 skips it)...")
        report = load_demo(self.database.url, self.settings)
        if report is None:
            _say("the catalog already has data sources; demo not loaded")
        elif report.committed:
            counts, graph = report.counts(), report.graph
            _say(
                f"demo loaded: {counts['create']} rows created, {graph.table_edges_added} "
                f"table and {graph.field_edges_added} field lineage edges"
            )
        else:
            _say("the demo workbook did not import; see the log")

    def wait_until_up(self, timeout: float = 180) -> None:
        checks = {
            "api": f"http://{self.settings.api_host}:{self.settings.api_port}/healthz",
            "dagster-webserver": f"http://{self.settings.api_host}:{self.settings.dagster_port}/server_info",
        }
        deadline = time.monotonic() + timeout
        pending = dict(checks)
        while pending:
            self.check_children()
            for name, url in list(pending.items()):
                try:
                    with urllib.request.urlopen(url, timeout=2) as resp:
                        if resp.status == 200:
                            pending.pop(name)
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise ConfigurationError(
                    f"{', '.join(pending)} did not come up within {timeout:.0f} s; "
                    f"see the logs in {Path(self.settings.home).resolve() / 'logs'}."
                )
            time.sleep(0.5)

    def check_children(self) -> None:
        for name, proc in self.children.items():
            code = proc.poll()
            if code is not None and not self.stopping:
                raise ConfigurationError(
                    f"{name} exited with code {code}; see "
                    f"{Path(self.settings.home).resolve() / 'logs' / (name + '.log')}."
                )

    def stop(self) -> None:
        self.stopping = True
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.children.values():
            remaining = max(0.1, deadline - time.monotonic())
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=remaining)
        for proc in self.children.values():
            # Kill whatever is left of each group, including grandchildren (code servers).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self.database is not None:
            self.database.release()
            if self.database.started_here:
                _say("embedded PostgreSQL stopped")


def run_platform(settings: Settings) -> int:
    platform = Platform(settings)

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Install both explicitly: a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        platform.start()
        while True:
            platform.check_children()
            time.sleep(1)
    except KeyboardInterrupt:
        _say("stopping...")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        _say("stopped")
