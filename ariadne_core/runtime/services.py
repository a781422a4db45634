"""Test services on free loopback ports: embedded PostgreSQL, redis-server, Neo4j 5.26, and
the harvested sources: Elasticsearch 7.10 (codelibs cluster runner) and FerretDB (MongoDB
wire protocol on SQLite).

`ariadne services start` is idempotent: services already answering are reused. Their
URLs are kept in ``<home>/test-services/services.json`` for the pytest fixtures.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ariadne_core.errors import ConfigurationError
from ariadne_core.runtime import REPO_ROOT
from ariadne_core.runtime.ports import free_port, port_in_use
from ariadne_core.runtime.postgres import EmbeddedPostgres
from ariadne_core.security import secret_files

NEO4J_LAUNCHER = REPO_ROOT / "tools" / "neo4j-launcher"
ES_LAUNCHER = REPO_ROOT / "tools" / "es-launcher"
FERRETDB = REPO_ROOT / "tools" / "ferretdb"


@dataclass
class ServiceDirs:
    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "services.json"


def services_dir(home: Path) -> ServiceDirs:
    return ServiceDirs(root=home.resolve() / "test-services")


def load_state(home: Path) -> dict[str, Any]:
    path = services_dir(home).state_file
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()))


def _save_state(dirs: ServiceDirs, state: dict[str, Any]) -> None:
    dirs.root.mkdir(parents=True, exist_ok=True)
    # 0600: the URLs carry the test PostgreSQL's generated password
    secret_files.replace(dirs.state_file, json.dumps(state, indent=2))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- postgres ----------------------------------------------------------------------------
def _start_postgres(dirs: ServiceDirs, previous: dict[str, Any] | None) -> dict[str, Any]:
    port = previous["port"] if previous else free_port()
    pg = EmbeddedPostgres(data_dir=dirs.root / "postgres", port=port)
    if pg.running_port() is None and port_in_use(port):
        pg.port = free_port()
    pg.start()
    return {"port": pg.port, "url": pg.url(), "admin_url": pg.url("postgres")}


def _stop_postgres(dirs: ServiceDirs, info: dict[str, Any]) -> None:
    EmbeddedPostgres(data_dir=dirs.root / "postgres", port=info["port"]).stop()


# -- redis -------------------------------------------------------------------------------
def _redis_ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _start_redis(dirs: ServiceDirs, previous: dict[str, Any] | None) -> dict[str, Any]:
    if previous and _alive(previous.get("pid")) and _redis_ping(previous["port"]):
        return previous
    binary = shutil.which("redis-server")
    if binary is None:
        raise ConfigurationError(
            "redis-server is not installed. Install it with `apt-get install redis-server` "
            "(`make services` does this for you)."
        )
    port = free_port()
    work = dirs.root / "redis"
    work.mkdir(parents=True, exist_ok=True)
    pidfile = work / "redis.pid"
    subprocess.run(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(work / "redis.log"),
            "--dir",
            str(work),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    deadline = time.monotonic() + 15
    while not _redis_ping(port):
        if time.monotonic() > deadline:
            raise ConfigurationError(
                f"redis-server did not answer on port {port}; see {work}/redis.log"
            )
        time.sleep(0.1)
    pid = int(pidfile.read_text().strip())
    return {"port": port, "pid": pid, "url": f"redis://127.0.0.1:{port}/0"}


# -- neo4j -------------------------------------------------------------------------------
def _launcher_classpath(project: Path = NEO4J_LAUNCHER) -> str:
    jar = project / "target" / f"{project.name}-1.0.0.jar"
    if not jar.exists():
        if shutil.which("mvn") is None:
            raise ConfigurationError(f"Maven (mvn) is needed to build {project.name}; install it.")
        result = subprocess.run(
            ["mvn", "-q", "-B", "package", "-DskipTests"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise ConfigurationError(f"Building {project.name} with Maven failed:\n{tail}")
    return f"{jar}:{project / 'target' / 'lib'}/*"


def _neo4j_ping(uri: str, password: str) -> bool:
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    try:
        with GraphDatabase.driver(uri, auth=("neo4j", password), connection_timeout=2) as driver:
            driver.verify_connectivity()
        return True
    except (Neo4jError, ServiceUnavailable, OSError):
        return False


def _start_neo4j(dirs: ServiceDirs, previous: dict[str, Any] | None) -> dict[str, Any]:
    if (
        previous
        and _alive(previous.get("pid"))
        and _neo4j_ping(previous["uri"], previous["password"])
    ):
        return previous
    if shutil.which("java") is None:
        raise ConfigurationError("Java 17 is needed to run Neo4j; install a JDK.")
    classpath = _launcher_classpath()
    port = free_port()
    password = previous["password"] if previous else secrets.token_urlsafe(16)
    work = dirs.root / "neo4j"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "launcher.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                "java",
                "-Xms512m",
                "-Xmx2g",  # the lineage benchmark loads 1.2M relationships
                "-cp",
                classpath,
                "ai.ariadne.tools.Neo4jLauncher",
                str(work / "data"),
                str(port),
                password,
                "512",  # page cache, MB: the benchmark graph's store files fit
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait_for_line(proc, log, "Neo4j", 180, failure="ERROR")
    return {
        "port": port,
        "pid": proc.pid,
        "uri": f"bolt://127.0.0.1:{port}",
        "user": "neo4j",
        "password": password,
    }


def _wait_for_line(
    proc: subprocess.Popen[bytes], log: Path, name: str, seconds: int, failure: str = "\nFAILED "
) -> None:
    """Wait for a launcher's READY line; a ``failure`` line or an exit means it failed."""
    deadline = time.monotonic() + seconds
    while True:
        text = log.read_text(errors="replace")
        if "READY" in text:
            return
        if proc.poll() is not None or failure in text:
            proc.kill()
            raise ConfigurationError(
                f"{name} did not start; the last lines of {log}:\n"
                + "\n".join(text.splitlines()[-10:])
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise ConfigurationError(f"{name} did not start within {seconds} s; see {log}")
        time.sleep(0.5)


# -- elasticsearch -----------------------------------------------------------------------
def _http_ok(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _start_elasticsearch(dirs: ServiceDirs, previous: dict[str, Any] | None) -> dict[str, Any]:
    if previous and _alive(previous.get("pid")) and _http_ok(previous["url"]):
        return previous
    if shutil.which("java") is None:
        raise ConfigurationError("Java 17 is needed to run Elasticsearch; install a JDK.")
    classpath = _launcher_classpath(ES_LAUNCHER)
    port, transport = free_port(), free_port()
    work = dirs.root / "elasticsearch"
    shutil.rmtree(work, ignore_errors=True)  # test data only: start clean
    work.mkdir(parents=True)
    log = work / "launcher.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                "java",
                "-Xms256m",
                "-Xmx512m",
                "-cp",
                classpath,
                "ai.ariadne.tools.EsLauncher",
                str(work / "cluster"),
                str(port),
                str(transport),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait_for_line(proc, log, "Elasticsearch", 180)
    return {"port": port, "pid": proc.pid, "url": f"http://127.0.0.1:{port}"}


# -- ferretdb (MongoDB wire protocol) ------------------------------------------------------
def _ferretdb_binary() -> Path:
    binary = FERRETDB / "bin" / "ferretdb"
    if not binary.exists():
        result = subprocess.run(
            [str(FERRETDB / "build.sh")], capture_output=True, text=True, timeout=1200, check=False
        )
        if result.returncode != 0:
            raise ConfigurationError(
                "Building FerretDB failed:\n" + (result.stdout + result.stderr)[-2000:]
            )
    return binary


def _start_ferretdb(dirs: ServiceDirs, previous: dict[str, Any] | None) -> dict[str, Any]:
    if previous and _alive(previous.get("pid")) and port_in_use(previous["port"]):
        return previous
    binary = _ferretdb_binary()
    port = free_port()
    work = dirs.root / "ferretdb"
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    log = work / "ferretdb.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(binary),
                "--handler=sqlite",
                f"--sqlite-url=file:{work / 'data'}/",
                f"--listen-addr=127.0.0.1:{port}",
                "--telemetry=disable",
                f"--debug-addr=127.0.0.1:{free_port()}",
                "--log-level=warn",
                f"--state-dir={work}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while not port_in_use(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise ConfigurationError(f"FerretDB did not start; see {log}")
        time.sleep(0.2)
    return {"port": port, "pid": proc.pid, "url": f"mongodb://127.0.0.1:{port}/"}


# -- public ------------------------------------------------------------------------------
SERVICES = ("postgres", "redis", "neo4j", "elasticsearch", "ferretdb")


def start_services(home: Path, names: tuple[str, ...] = SERVICES) -> dict[str, Any]:
    dirs = services_dir(home)
    dirs.root.mkdir(parents=True, exist_ok=True)
    state = load_state(home)
    starters = {
        "postgres": _start_postgres,
        "redis": _start_redis,
        "neo4j": _start_neo4j,
        "elasticsearch": _start_elasticsearch,
        "ferretdb": _start_ferretdb,
    }
    for name in names:
        state[name] = starters[name](dirs, state.get(name))
        _save_state(dirs, state)
    return state


def stop_services(home: Path) -> None:
    dirs = services_dir(home)
    state = load_state(home)
    if "postgres" in state:
        _stop_postgres(dirs, state["postgres"])
    for name in ("redis", "neo4j", "elasticsearch", "ferretdb"):
        pid = state.get(name, {}).get("pid")
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
    if dirs.state_file.exists():
        dirs.state_file.unlink()
