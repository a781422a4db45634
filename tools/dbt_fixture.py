"""Regenerate tests/importing/dbt_shop/target/{manifest,catalog}.json with dbt itself.

    .venv/bin/ariadne services start       # the embedded PostgreSQL
    python tools/dbt_fixture.py            # makes /tmp/dbt-venv with dbt-postgres once

The test suite does not need dbt: it imports the committed files. This script is how
they were made (dbt seed, dbt run, dbt docs generate against a database `dbt_shop` of
the embedded PostgreSQL, with the raw tables the project's sources read), so they are
a real manifest and catalog, and can be made again with another dbt version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "tests" / "importing" / "dbt_shop"
VENV = Path(os.environ.get("DBT_VENV", "/tmp/dbt-venv"))
PACKAGES = ("dbt-core==1.10.23", "dbt-postgres==1.9.1")
RAW = """
DROP SCHEMA IF EXISTS raw CASCADE;
CREATE SCHEMA raw;
CREATE TABLE raw.customers (id int PRIMARY KEY, first_name text, last_name text, email text);
CREATE TABLE raw.orders (id int PRIMARY KEY, customer_id int, order_date date, status text);
CREATE TABLE raw.payments (id int PRIMARY KEY, order_id int, amount int, status text);
INSERT INTO raw.customers VALUES (1, 'Ada', 'Byron', 'ada@example.com');
INSERT INTO raw.orders VALUES (10, 1, '2026-11-30', 'shipped');
INSERT INTO raw.payments VALUES (100, 10, 4250, 'success');
"""


def main() -> int:
    status = json.loads(
        subprocess.run(
            [str(ROOT / ".venv/bin/ariadne"), "services", "status"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    admin_url = status["postgres"]["admin_url"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS dbt_shop")
        conn.execute("CREATE DATABASE dbt_shop")
    parts = urlsplit(admin_url)
    url = parts._replace(path="/dbt_shop").geturl()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RAW)
    if not (VENV / "bin" / "dbt").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin/pip"), "install", "-q", *PACKAGES], check=True)
    with tempfile.TemporaryDirectory() as work:
        work_path = Path(work)
        shutil.copytree(PROJECT, work_path / "shop", ignore=shutil.ignore_patterns("target"))
        (work_path / "profiles.yml").write_text(
            json.dumps(  # JSON is YAML
                {
                    "shop": {
                        "target": "dev",
                        "outputs": {
                            "dev": {
                                "type": "postgres",
                                "host": parts.hostname,
                                "port": parts.port,
                                "user": parts.username,
                                "password": parts.password,
                                "dbname": "dbt_shop",
                                "schema": "analytics",
                                "threads": 1,
                            }
                        },
                    }
                }
            )
        )
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        for command in (["seed"], ["run"], ["docs", "generate"]):
            subprocess.run(
                [str(VENV / "bin/dbt"), *command, "--profiles-dir", work, "--project-dir",
                 str(work_path / "shop")],
                check=True,
                env=env,
            )
        target = PROJECT / "target"
        target.mkdir(exist_ok=True)
        for name in ("manifest.json", "catalog.json"):
            shutil.copy(work_path / "shop" / "target" / name, target / name)
    print(f"wrote {PROJECT / 'target'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
