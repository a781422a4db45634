"""Fixtures for bulk import: a small catalog and a helper that imports a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.db.models import SourceType, UserRole
from ariadne_core.importing.service import ImportReport, run_import
from ariadne_core.lineage.edges import Actor
from ariadne_core.security.secrets import Keyring

EDITOR = Actor("editor@example.com", UserRole.EDITOR)
STEWARD = Actor("steward@example.com", UserRole.STEWARD)
ADMIN = Actor("admin@example.com", UserRole.ADMIN)  # only admins import source rows


@pytest.fixture
def keyring(settings: Any) -> Keyring:
    from ariadne_core.security.secrets import keyring_for

    return keyring_for(settings)


@pytest.fixture
def catalog(db_session: Session, keyring: Keyring) -> dict[str, Any]:
    """sales.public.{orders,customers,order_items} and dw.marts.{daily_revenue,customer_ltv},
    each with the fields id, amount and customer_id."""
    out: dict[str, Any] = {}
    for source_name, schema, tables in (
        ("sales", "public", ("orders", "customers", "order_items")),
        ("dw", "marts", ("daily_revenue", "customer_ltv")),
    ):
        source = create_source(
            db_session, keyring, SourceInput(name=source_name, type=SourceType.MANUAL), "seed"
        )
        out[source_name] = source
        for name in tables:
            table = create_table(
                db_session, TableInput(source_id=source.id, schema_name=schema, name=name), "seed"
            )
            out[table.qualified_name] = table
            for position, column in enumerate(("id", "amount", "customer_id"), start=1):
                created = create_field(
                    db_session,
                    FieldInput(table_id=table.id, name=column, ordinal_position=position),
                    "seed",
                )
                out[created.qualified_name] = created
    db_session.flush()
    return out


ImportFn = Callable[..., ImportReport]


@pytest.fixture
def do_import(db_session: Session, keyring: Keyring, tmp_path: Path) -> ImportFn:
    """do_import(content, name, import_type, commit=False, actor=EDITOR, **options)."""

    def run(
        content: str | bytes,
        name: str,
        import_type: str,
        *,
        commit: bool = False,
        actor: Actor = EDITOR,
        **options: Any,
    ) -> ImportReport:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return run_import(
            db_session,
            path,
            file_name=name,
            import_type=import_type,
            actor=actor,
            keyring=keyring,
            commit=commit,
            **options,
        )

    return run


def codes(report: ImportReport) -> list[tuple[int | None, str]]:
    return [(p.row, p.code) for p in report.all_problems()]
