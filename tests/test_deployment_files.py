"""docker-compose.yml cannot run here, so check that everything it names exists in the code."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from ariadne_core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTING_ENV = {f"ARIADNE_{name.upper()}" for name in Settings.model_fields}
# Variables read by files rather than by Settings.
FILE_ENV = {"ARIADNE_DAGSTER_PG_URL": "dagster.yaml", "ARIADNE_CELERY_BROKER_URL": "celery.yaml"}


def _services() -> dict[str, dict[str, Any]]:
    return dict(COMPOSE["services"])


def test_stack_has_every_production_service_with_a_healthcheck() -> None:
    services = _services()
    assert {
        "postgres",
        "neo4j",
        "redis",
        "api",
        "dagster-webserver",
        "dagster-daemon",
        "celery-worker",
    } <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
    assert services["postgres"]["image"].startswith("pgvector/pgvector")
    assert services["neo4j"]["image"].startswith("neo4j:5")
    assert services["redis"]["image"].startswith("redis:7")


def test_every_command_exists_in_the_environment() -> None:
    for name, service in _services().items():
        command = service.get("command")
        if not command:
            continue
        executable = command[0]
        assert (BIN / executable).exists() or shutil.which(executable), f"{name}: {executable}"
        for arg in command:
            if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+:[A-Za-z_]+", arg):  # module:attribute
                module, attribute = arg.split(":")
                assert hasattr(importlib.import_module(module), attribute), f"{name}: {arg}"
        if "-A" in command:
            importlib.import_module(command[command.index("-A") + 1])


def test_ariadne_cli_commands_in_compose_parse() -> None:
    from ariadne_core.cli import build_parser

    for service in _services().values():
        command = service.get("command") or []
        if command[:1] == ["ariadne"]:
            build_parser().parse_args(command[1:])
        check = service.get("healthcheck", {}).get("test", [])
        if check[:2] == ["CMD", "ariadne"]:
            build_parser().parse_args(check[2:])


def test_every_ariadne_variable_is_a_setting_or_read_by_a_config_file() -> None:
    env = COMPOSE["x-ariadne-env"]
    for name in env:
        if not name.startswith("ARIADNE_"):
            continue
        if name in FILE_ENV:
            assert name in (ROOT / FILE_ENV[name]).read_text(), name
        else:
            assert name in SETTING_ENV, f"{name} is not a setting"


def test_mounted_files_exist_and_dagster_uses_postgres_storage() -> None:
    for service in _services().values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
    dagster = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    assert dagster["storage"]["postgres"]["postgres_url"] == {"env": "ARIADNE_DAGSTER_PG_URL"}
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]
    assert hasattr(importlib.import_module(module["module_name"]), module["attribute"])


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in sorted(SETTING_ENV):
        assert f"`{name}`" in readme, f"{name} is missing from the README settings table"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"^\s*(make \w+)", readme, flags=re.MULTILINE)[:2]
    assert first_commands == ["make run", "make test"]


def test_ci_calls_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_compose_has_no_default_secrets_and_keeps_dagster_private() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "APP_DB_PASSWORD", "NEO4J_PASSWORD", "ARIADNE_JWT_SECRET"):
        assert re.search(r"\$\{" + secret + r":-", text) is None, f"{secret} has a default"
        assert "${" + secret + ":?" in text, f"compose must refuse to start without {secret}"
    ports = _services()["dagster-webserver"]["ports"]
    assert all(str(p).startswith("127.0.0.1:") for p in ports), ports


def test_compose_runs_the_api_as_the_app_role_and_migrates_as_the_owner() -> None:
    services = _services()
    app_url = COMPOSE["x-ariadne-env"]["ARIADNE_DATABASE_URL"]
    migrate_env = services["migrate"]["environment"]
    assert app_url.startswith("postgresql://ariadne_app:")
    assert migrate_env["ARIADNE_DATABASE_URL"].startswith("postgresql://ariadne:")
    assert services["migrate"]["command"][-2:] == ["--grant-app-role", "ariadne_app"]
    for name in ("api", "dagster-daemon", "celery-worker"):
        assert services[name]["environment"]["ARIADNE_DATABASE_URL"] == app_url
