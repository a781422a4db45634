"""The `openlineage` import type: a file of OpenLineage events (a JSON list, one event, or
JSON lines, as Marquez exports them or the OpenLineage file transport writes them)
through the import's preview and execute path.

Each event is a row (its line in a JSON-lines file, its place in a list): an event the
OpenLineage checks refuse is an error on its row, a dataset that matches no table is a
warning. Executing stores the events as processed and writes what they show exactly as
events posted to POST /api/v1/lineage are processed (ariadne_core.observed.process):
observations, and observed edges for stewards to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.errors import AriadneError
from ariadne_core.importing.engine import CREATE, SheetResult
from ariadne_core.importing.formats import FileRejected, check_document_size
from ariadne_core.importing.messages import problem
from ariadne_core.lineage.graph_effect import GraphEffect
from ariadne_core.observed.events import check_event
from ariadne_core.observed.process import DrainReport, process_events
from ariadne_core.security.secrets import Keyring

SUFFIXES = (".json", ".ndjson", ".jsonl")
MAX_BYTES = 64 * 1024**2
MAX_EVENTS = 100_000


@dataclass
class EventFile:
    format: str  # "json" or "ndjson"
    rows: list[tuple[int, Any]]  # (row as the user sees it, the parsed item or an error)


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def read_event_file(path: Path, file_name: str) -> EventFile:
    """The events of an upload, bounded in size and count; raises FileRejected."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise FileRejected(problem("OL_WRONG_FILE", value=file_name))
    size = path.stat().st_size
    check_document_size(size, MAX_BYTES, "OpenLineage")
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected(problem("FILE_EMPTY"))
    if suffix == ".json":
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FileRejected(problem("FILE_UNREADABLE", format="JSON", reason=str(exc))) from None
        items = parsed if isinstance(parsed, list) else [parsed]
        rows: list[tuple[int, Any]] = list(enumerate(items, start=1))
        fmt = "json"
    else:
        rows = []
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                rows.append((number, _Unreadable(str(exc))))
        fmt = "ndjson"
    if not rows:
        raise FileRejected(problem("OL_NO_EVENTS"))
    if len(rows) > MAX_EVENTS:
        raise FileRejected(problem("OL_TOO_LARGE", count=len(rows), limit=MAX_EVENTS))
    return EventFile(fmt, rows)


@dataclass
class Checked:
    sheet: SheetResult
    valid: list[tuple[int, dict[str, Any]]]


def check_events(events: EventFile, *, sheet_name: str) -> Checked:
    """Each event through the checks of POST /api/v1/lineage: a refused one is an error
    on its row, naming the field."""
    sheet = SheetResult(sheet_name, "openlineage", row_word="Event")
    valid: list[tuple[int, dict[str, Any]]] = []
    for row, item in events.rows:
        if isinstance(item, _Unreadable):
            sheet.add("OL_EVENT_INVALID", row, reason=f"the line is not JSON ({item.reason})")
            continue
        try:
            check_event(item, "")
        except AriadneError as exc:
            sheet.add("OL_EVENT_INVALID", row, reason=exc.message)
            continue
        sheet.statuses[row] = CREATE
        valid.append((row, item))
    return Checked(sheet, valid)


def process_valid(
    session: Session, keyring: Keyring, checked: Checked, *, submitted_by: str, graph: GraphEffect
) -> None:
    """Store the valid events as processed and write what they show, in the session's
    transaction (the caller keeps or rolls back its savepoint: a preview writes nothing)."""
    if not checked.valid:
        return
    ids = [
        r[0]
        for r in session.execute(
            text(
                "INSERT INTO openlineage_events (submitted_by, event, processed_at) SELECT "
                ":by, CAST(e AS jsonb), clock_timestamp() FROM unnest(CAST(:e AS text[])) AS e "
                "RETURNING id"
            ),
            {"by": submitted_by, "e": [orjson.dumps(e).decode() for _, e in checked.valid]},
        )
    ]
    events = [e for _, e in checked.valid]
    report = DrainReport()
    process_events(session, keyring, list(zip(ids, events, strict=True)), report)
    graph.table_edges_added += report.table_edges_created
    graph.field_edges_added += report.field_edges_created
    for ds in _unmatched_in(session, events):
        checked.sheet.add("OL_DATASET_UNMATCHED", None, value=ds)


def _unmatched_in(session: Session, events: list[dict[str, Any]]) -> list[str]:
    names: set[tuple[str, str]] = set()
    for event in events:
        for key in ("inputs", "outputs"):
            for ds in event.get(key) or []:
                names.add((str(ds["namespace"]).strip(), str(ds["name"]).strip()))
        if "dataset" in event and "run" not in event:
            names.add((str(event["dataset"]["namespace"]), str(event["dataset"]["name"])))
    if not names:
        return []
    rows = session.execute(
        text(
            "SELECT d.namespace, d.name FROM observed_datasets d JOIN unnest(CAST(:ns AS "
            "text[]), CAST(:n AS text[])) AS w(ns, n) ON d.namespace = w.ns AND d.name = w.n "
            "WHERE d.table_id IS NULL ORDER BY 1, 2 LIMIT 100"
        ),
        {"ns": [n[0] for n in names], "n": [n[1] for n in names]},
    ).all()
    return [f"{r.namespace} {r.name}" for r in rows]
