"""The one COPY writer: every bulk write (imports, inference, audit events) goes through
`copy_lines`, on the session's own connection and transaction."""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection


def copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is uuid.UUID or kind is float or kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if kind is datetime:
        return str(value.isoformat())
    text = json.dumps(value) if kind is dict or kind is list else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_lines(session: Session, table: str, columns: list[str], lines: Iterable[str]) -> None:
    """The one COPY writer: ``lines`` (rows in COPY's text format, see `copy_text`) into
    ``table``'s ``columns``, inside the session's transaction, 5,000 rows a write."""
    session.flush()
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver_connection(session).cursor() as cursor, cursor.copy(statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 5_000:
                copy.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            copy.write("\n".join(batch) + "\n")


def copy_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (keyed by model attribute) with COPY, inside the session's
    transaction: about ten times faster than INSERT for the thousands of rows an
    import writes. Columns a row leaves out get NULL; columns no row names get their
    defaults."""
    if not rows:
        return
    attributes: list[str] = []
    for row in rows:
        for key in row:
            if key not in attributes:
                attributes.append(key)
    mapper = model.__mapper__
    columns = [mapper.attrs[a].columns[0].name for a in attributes]
    copy_lines(
        session,
        model.__tablename__,
        columns,
        ("\t".join([copy_text(row.get(a)) for a in attributes]) for row in rows),
    )
