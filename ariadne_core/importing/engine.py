"""The layers after parsing that every sheet shares: headers, row values checked a chunk
at a time (Great Expectations), duplicates, and the per-sheet state. The handlers that
write each kind of row are in `entities.py` (sources, tables, fields) and
`lineage_rows.py` (table and field lineage); `handlers.py` maps sheets to them.

Sheets are processed in dependency order inside one transaction, and each sheet's valid
rows are written before the next sheet is checked, so a table created in the `tables`
sheet is found by the `table_lineage` sheet. Preview runs exactly the same path and
rolls back; that is why a preview and the import it previews cannot disagree.

Catalog entities go through the same services as the API (one implementation, with
history). Lineage rows are many, so they are written in bulk, but every decision comes
from `lineage.edges.declaration_outcome` and `lineage.edges.initial_state`, the rules
the API uses, and every write appends its audit event.
"""

from __future__ import annotations

import itertools
import operator
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.catalog.resolve import did_you_mean
from ariadne_core.importing.formats import ParsedFile, Sheet
from ariadne_core.importing.messages import ERROR, WARNING, Problem, problem
from ariadne_core.importing.rowcheck import check_rows
from ariadne_core.importing.spec import ImportSpec, normalize_confidence, normalize_header
from ariadne_core.lineage.edges import (
    Actor,
)
from ariadne_core.lineage.graph_effect import GraphEffect
from ariadne_core.security.secrets import Keyring

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
STATUS_ERROR = "error"
CHUNK_ROWS = 20_000  # rows read, checked and written at a time: memory stays bounded
SUGGESTION_LIMIT = 25  # did-you-mean lookups per sheet; more missing names get none
LOWERCASE = {"type", "is_active", "nullable", "primary_key", "lineage_source"}
TRUE = {"true", "yes", "y", "1"}
Progress = Callable[[str, float], None]


@dataclass
class Context:
    session: Session
    actor: Actor
    keyring: Keyring
    file_name: str
    replace: bool = False
    # A preview decides every lineage row exactly as an import does but writes no
    # lineage (nothing after it depends on those writes, and the graph effect adds the
    # planned edges itself); sources, tables and fields are written and rolled back,
    # because later sheets refer to them.
    write_lineage: bool = True
    # Table edges a replace=true would retire, (source id, target id) as text.
    retired_table_pairs: set[tuple[str, str]] = field(default_factory=set)
    graph: GraphEffect = field(default_factory=GraphEffect)
    # Table edges created or brought back, (source id, target id) -> (sheet, row).
    new_table_pairs: dict[tuple[str, str], tuple[str | None, int | None]] = field(
        default_factory=dict
    )

    @property
    def comment(self) -> str:
        return f"imported from {self.file_name}"


@dataclass
class SheetResult:
    name: str
    import_type: str
    row_word: str = "Row"
    header_row: int = 0
    statuses: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # State kept across the chunks of one sheet (rows are read CHUNK_ROWS at a time).
    bad: dict[int, set[str]] = field(default_factory=dict)  # this chunk's rejected cells
    seen: dict[Any, int] = field(default_factory=dict)  # key -> first row, for duplicates
    suggesters: dict[str, Any] = field(default_factory=dict)
    created_table_edges: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = field(default_factory=dict)
    replace_pairs: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    replace_targets: set[uuid.UUID] = field(default_factory=set)

    def suggester(self, name: str, lookup: Callable[[str], list[str]]) -> Suggester:
        if name not in self.suggesters:
            self.suggesters[name] = Suggester(lookup)
        found: Suggester = self.suggesters[name]
        return found

    def add(self, code: str, row: int | None = None, **params: Any) -> None:
        found = problem(code, sheet=self.name, row=row, row_word=self.row_word, **params)
        self.problems.append(found)
        if row is not None and found.severity == ERROR:
            self.statuses[row] = STATUS_ERROR

    def counts(self) -> dict[str, int]:
        out = {"rows": len(self.statuses), CREATE: 0, UPDATE: 0, UNCHANGED: 0, STATUS_ERROR: 0}
        for status in self.statuses.values():
            out[status] += 1
        out["warnings"] = sum(1 for p in self.problems if p.severity == WARNING)
        return out

    @property
    def sheet_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR and p.row is None]


@dataclass
class Translation:
    """Another tool's file (DataHub, dbt) as the sheets of an import, and what to do once
    they are written, in the same transaction: ``after(ctx, sheets, graph, write)``."""

    parsed: ParsedFile
    after: Callable[[Context, list[SheetResult], GraphEffect, bool], None] | None = None


class Record:
    """One row: its number as the user sees it, and its values by column."""

    __slots__ = ("get", "row", "values")

    def __init__(self, row: int, values: dict[str, str | None]) -> None:
        self.row = row
        self.values = values
        self.get = values.get  # the hottest call of an import


# --- headers and row values ---------------------------------------------------------------


def batched(items: Any, size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _column_label(position: int, row_word: str) -> str:
    if row_word == "Item":
        return str(position + 1)
    label = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(65 + rem) + label
    return label


def map_headers(spec: ImportSpec, sheet: Sheet, result: SheetResult) -> dict[str, int] | None:
    """Canonical column -> position; None when required columns are missing."""
    known = spec.header_map()
    positions: dict[str, int] = {}
    raw: dict[str, str] = {}
    headers = sheet.headers
    last = max((i for i, h in enumerate(headers) if h), default=-1)
    for i, header in enumerate(headers):
        if not header:
            if i < last:
                result.add("EMPTY_HEADER", position=_column_label(i, sheet.row_word))
            continue
        column = known.get(normalize_header(header))
        if column is None:
            result.add(
                "UNKNOWN_COLUMN", value=header, title=spec.title, expected=", ".join(spec.names)
            )
        elif column in positions:
            result.add("DUPLICATE_HEADER", value=raw[column], other=header, column=column)
        else:
            positions[column] = i
            raw[column] = header
    missing = [c for c in spec.required if c not in positions]
    if missing:
        result.add(
            "MISSING_COLUMNS",
            missing=", ".join(missing),
            expected=", ".join(spec.names),
            title=spec.title,
        )
        return None
    return positions


def read_chunks(spec: ImportSpec, sheet: Sheet, result: SheetResult) -> Iterator[list[Record]]:
    """The sheet's rows, CHUNK_ROWS at a time, each chunk checked by the GX suite.

    Only one chunk is in memory at once; what must span the whole sheet (duplicates,
    statuses, replace) lives on ``result``. Sets ``result.bad`` for each chunk.
    """
    positions = map_headers(spec, sheet, result)
    columns = list(positions or {})
    count = 0
    for chunk in batched(sheet.rows, CHUNK_ROWS):
        count += len(chunk)
        if positions is None:  # the file-level error explains; the rows cannot be read
            for number, _ in chunk:
                result.statuses[number] = STATUS_ERROR
            continue
        projected: list[tuple[int, list[str | None]]] = []
        wanted = [positions[c] for c in columns]
        width = max(wanted) + 1
        pick = operator.itemgetter(*wanted)
        for number, values in chunk:
            if len(values) < width:
                values = [*values, *([None] * (width - len(values)))]
            picked = list(pick(values)) if len(wanted) > 1 else [pick(values)]
            for i, column in enumerate(columns):
                if picked[i] is None:
                    continue
                if column in LOWERCASE:
                    picked[i] = picked[i].lower()
                elif column == "confidence":
                    picked[i] = normalize_confidence(picked[i])
            projected.append((number, picked))
            result.statuses.setdefault(number, UNCHANGED)
        result.bad = {}
        for found in check_rows(
            spec.type, columns, projected, sheet=sheet.name, row_word=sheet.row_word
        ):
            result.problems.append(found)
            assert found.row is not None
            result.statuses[found.row] = STATUS_ERROR
            if found.column:
                result.bad.setdefault(found.row, set()).add(found.column)
        yield [Record(n, dict(zip(columns, values, strict=True))) for n, values in projected]
    for found in sheet.problems:  # items of a JSON list that were not rows
        result.problems.append(found)
        if found.row is not None:
            result.statuses[found.row] = STATUS_ERROR
    if not count and not sheet.problems:
        result.add("HEADER_ONLY", title=spec.title)


FALSE = {"false", "no", "n", "0"}


def as_bool(value: str | None) -> bool | None:
    """A valid boolean cell; anything else is None (the row check has reported it)."""
    return True if value in TRUE else (False if value in FALSE else None)


def as_int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def as_tags(value: str | None) -> list[str] | None:
    if value is None:
        return None
    out: list[str] = []
    for tag in re.split(r"\s*[,;]\s*", value):
        if tag and tag not in out:
            out.append(tag)
    return out


def role_word(role: str) -> str:
    return f"{role} " if role else ""


def writable(result: SheetResult, record: Record) -> bool:
    return result.statuses.get(record.row) in (CREATE, UPDATE)


def duplicate(
    result: SheetResult, seen: dict[Any, int], key: Any, record: Record, what: Any
) -> bool:
    """Has an earlier row the same key? ``what`` (text, or a function giving it) names it."""
    first = seen.setdefault(key, record.row)
    if first != record.row:
        named = what() if callable(what) else what
        result.add("DUPLICATE_ROW", record.row, first_row=first, what=named)
        return True
    return False


def plan_entity(
    result: SheetResult, record: Record, current: Any, wanted: dict[str, Any]
) -> dict[str, Any] | None:
    """create (no live row), update or unchanged for a table or field row; returns what to
    write, or None when the row already has an error."""
    if current is None or current.is_deleted:
        status, changes = CREATE, wanted
    else:
        changes = changed_values({k: getattr(current, k) for k in wanted}, wanted)
        status = UPDATE if changes else UNCHANGED
    if result.statuses[record.row] == STATUS_ERROR:
        return None
    result.statuses[record.row] = status
    return changes


def changed_values(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Values the file gives (empty cells leave the catalog as it is) that differ."""
    return {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}


class Suggester:
    """Did-you-mean lookups, at most SUGGESTION_LIMIT per sheet, cached by name."""

    def __init__(self, lookup: Callable[[str], list[str]]) -> None:
        self.lookup = lookup
        self.cache: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self.cache:
            self.cache[name] = (
                did_you_mean(self.lookup(name)) if len(self.cache) < SUGGESTION_LIMIT else ""
            )
        return self.cache[name]
