"""The `ariadne` command line: run the platform, migrate, manage users and test services."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence

from ariadne_core.config import get_settings
from ariadne_core.errors import AriadneError


def _cmd_run(args: argparse.Namespace) -> int:
    from ariadne_core.runtime.platform import run_platform

    return run_platform(get_settings())


def _with_database(action: Callable[[str], int]) -> int:
    from ariadne_core.runtime.database import resolve_database

    database = resolve_database(get_settings())
    try:
        return action(database.url)
    finally:
        database.release()


def _cmd_db(args: argparse.Namespace) -> int:
    from ariadne_core.db import migrate

    def act(url: str) -> int:
        if args.db_command == "upgrade":
            migrate.upgrade(url, args.revision)
            print(f"database at revision {migrate.current_revision(url)}")
            if args.grant_app_role:
                _grant(url, args.grant_app_role)
        elif args.db_command == "downgrade":
            migrate.downgrade(url, args.revision)
            print(f"database at revision {migrate.current_revision(url) or 'base (empty)'}")
        else:
            print(migrate.current_revision(url) or "base (empty)")
        return 0

    return _with_database(act)


def _grant(url: str, role: str) -> None:
    import psycopg

    from ariadne_core.db.engine import libpq_url
    from ariadne_core.db.roles import grant_app_role

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        grant_app_role(conn, role, get_settings().app_db_password)
    print(f"role {role} may read and write rows (and nothing more)")


def _cmd_users_update(args: argparse.Namespace) -> int:
    """The same rule as PATCH /api/v1/users/{id}: a new role, deactivation or password
    ends the user's sessions; the last active admin stays."""
    from ariadne_core.db.engine import engine_for, session_scope
    from ariadne_core.db.models import UserRole
    from ariadne_core.users.service import UserChange, find_user, update_user

    password = None
    if args.new_password:
        password = os.environ.get("ARIADNE_NEW_USER_PASSWORD")
        if not password:
            raise AriadneError("Give the new password in ARIADNE_NEW_USER_PASSWORD.")
    change = UserChange(
        role=UserRole(args.role) if args.role else None,
        is_active=False if args.deactivate else (True if args.activate else None),
        password=password,
    )

    def act(url: str) -> int:
        with session_scope(engine_for(url)) as session:
            user = find_user(session, args.email)
            if user is None:
                raise AriadneError(f"No user with e-mail '{args.email}'.")
            user = update_user(session, user.id, change)
            state = "active" if user.is_active else "deactivated"
            print(f"{user.email}: {user.role.value}, {state}")
        return 0

    return _with_database(act)


def _cmd_users_create(args: argparse.Namespace) -> int:
    from ariadne_core.db.engine import engine_for, session_scope
    from ariadne_core.db.models import UserRole
    from ariadne_core.users.service import create_user

    password = args.password or os.environ.get("ARIADNE_NEW_USER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise AriadneError("Give the password with --password or ARIADNE_NEW_USER_PASSWORD.")
        password = getpass.getpass("Password: ")

    def act(url: str) -> int:
        with session_scope(engine_for(url)) as session:
            user = create_user(
                session,
                email=args.email,
                password=password,
                role=UserRole(args.role),
                full_name=args.name,
            )
            print(f"created {user.role.value} {user.email}")
        return 0

    return _with_database(act)


def _cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ariadne_core.importing.cli import run_cli_import

    settings = get_settings()
    path = Path(args.file)

    def act(url: str) -> int:
        return run_cli_import(
            url,
            settings,
            path,
            import_type=args.type,
            mode=args.mode,
            preview=args.preview,
            replace=args.replace,
            actor_email=args.actor or settings.admin_email,
            error_report=Path(args.error_report) if args.error_report else None,
        )

    return _with_database(act)


def _cmd_embed(args: argparse.Namespace) -> int:
    import psycopg

    from ariadne_core.db.engine import libpq_url
    from ariadne_core.embedding.index import EmbedReport, embed_catalog
    from ariadne_core.embedding.providers import embedding_provider

    settings = get_settings()
    provider = embedding_provider(settings)

    def progress(report: EmbedReport) -> None:
        print(
            f"  {report.embedded + report.reused} of {report.live - report.unchanged} "
            f"changed rows ({report.texts_per_s:.0f} texts/s)",
            flush=True,
        )

    def act(url: str) -> int:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            report = embed_catalog(conn, provider, progress=progress)
        print(json.dumps(report.as_dict(), indent=2))
        return 0

    return _with_database(act)


def _cmd_services(args: argparse.Namespace) -> int:
    from ariadne_core.runtime import services

    home = get_settings().home
    if args.services_command == "start":
        state = services.start_services(home, tuple(args.only or services.SERVICES))
        for name, info in state.items():
            where = re.sub(
                r"://([^:/@]+):[^@]+@", r"://\1:***@", info.get("url") or info.get("uri")
            )
            print(f"{name:9s} {where}")
    elif args.services_command == "stop":
        services.stop_services(home)
        print("test services stopped")
    else:
        print(json.dumps(services.load_state(home), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ariadne", description="Ariadne metadata catalog")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the API, Dagster webserver and daemon")
    run.set_defaults(func=_cmd_run)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.add_argument(
        "--grant-app-role",
        metavar="ROLE",
        help="then let ROLE (created with ARIADNE_APP_DB_PASSWORD if missing) read and write "
        "rows, and nothing more: the role the API and Dagster connect as",
    )
    down = db_sub.add_parser("downgrade", help="roll migrations back")
    down.add_argument("revision", nargs="?", default="base")
    db_sub.add_parser("current", help="show the applied revision")
    db.set_defaults(func=_cmd_db)

    users = sub.add_parser("users", help="user accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="add a user")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--role", choices=["viewer", "editor", "steward", "admin"], default="viewer"
    )
    create.add_argument("--name")
    create.add_argument("--password", help="or set ARIADNE_NEW_USER_PASSWORD, or type it")
    create.set_defaults(func=_cmd_users_create)

    update = users_sub.add_parser(
        "update", help="change a user's role or password, or (de)activate them"
    )
    update.add_argument("--email", required=True)
    update.add_argument("--role", choices=["viewer", "editor", "steward", "admin"])
    active = update.add_mutually_exclusive_group()
    active.add_argument("--deactivate", action="store_true")
    active.add_argument("--activate", action="store_true")
    update.add_argument(
        "--new-password", action="store_true", help="set a new one, from ARIADNE_NEW_USER_PASSWORD"
    )
    update.set_defaults(func=_cmd_users_update)

    imp = sub.add_parser(
        "import",
        help="import a CSV, Excel, JSON or YAML file (the same checks as the API)",
        description="Validate and import a file. Every problem is printed with its row, "
        "column and a hint; with --preview nothing is written.",
    )
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--type",
        help="sources, tables, fields, table_lineage, field_lineage, workbook or sql "
        "(default: from the file name, workbook for .xlsx/.json/.yaml, sql for .sql/.zip)",
    )
    imp.add_argument("--mode", choices=["all_or_nothing", "skip_errors"], default="all_or_nothing")
    imp.add_argument("--preview", action="store_true", help="check only, write nothing")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="deprecate manual edges into the file's targets that the file no longer lists",
    )
    imp.add_argument("--as", dest="actor", help="import as this user (default: the admin)")
    imp.add_argument("--error-report", help="write the file with an error column here")
    imp.set_defaults(func=_cmd_import)

    embed = sub.add_parser(
        "embed",
        help="embed the tables and fields whose text changed (what the Dagster asset "
        "metadata_embeddings does), with the configured provider",
    )
    embed.set_defaults(func=_cmd_embed)

    svc = sub.add_parser("services", help="test services (postgres, redis, neo4j)")
    svc_sub = svc.add_subparsers(dest="services_command", required=True)
    start = svc_sub.add_parser("start", help="start or reuse the test services")
    start.add_argument(
        "--only", nargs="*", choices=["postgres", "redis", "neo4j", "elasticsearch", "ferretdb"]
    )
    svc_sub.add_parser("stop", help="stop the test services")
    svc_sub.add_parser("status", help="print their URLs")
    svc.set_defaults(func=_cmd_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AriadneError as exc:
        print(f"ariadne: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
