"""Write import rows as CSV, Excel, JSON or YAML, in chunks, never the whole file in memory.

Cells that begin with = + - or @ are written with a leading apostrophe so a spreadsheet
shows them as text instead of running them as formulas; the importer removes that
apostrophe again, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from ariadne_core.importing.formats import FORMULA_PREFIXES
from ariadne_core.importing.spec import SPECS

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "yaml": "application/yaml",
}
CHUNK = 64 * 1024

Rows = Callable[[str], Iterable[dict[str, str | None]]]


def neutralize(value: str | None) -> str | None:
    if value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


def _csv_lines(import_type: str, rows: Iterable[dict[str, str | None]]) -> Iterator[bytes]:
    names = SPECS[import_type].names
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    for row in rows:
        writer.writerow([neutralize(row.get(n)) or "" for n in names])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Sink:
    """A write-only file object whose bytes are taken away as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def stream_csv(types: list[str], rows: Rows) -> Iterator[bytes]:
    if len(types) == 1:
        yield from _csv_lines(types[0], rows(types[0]))
        return
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for import_type in types:
            with archive.open(f"{import_type}.csv", "w") as member:
                for chunk in _csv_lines(import_type, rows(import_type)):
                    member.write(chunk)
                    if len(sink.parts) > 16:
                        yield sink.take()
    yield sink.take()


def _clean(import_type: str, row: dict[str, str | None]) -> dict[str, Any]:
    return {n: row.get(n) for n in SPECS[import_type].names if row.get(n) is not None}


def stream_json(types: list[str], rows: Rows) -> Iterator[bytes]:
    single = len(types) == 1
    yield b"[\n" if single else b"{\n"
    for t_index, import_type in enumerate(types):
        if not single:
            yield (("," if t_index else "") + f'"{import_type}": [\n').encode()
        parts: list[str] = []
        first = True
        for row in rows(import_type):
            parts.append(("  " if first else ", ") + json.dumps(_clean(import_type, row)) + "\n")
            first = False
            if len(parts) >= 500:
                yield "".join(parts).encode()
                parts = []
        parts.append("]\n")
        yield "".join(parts).encode()
    if not single:
        yield b"}\n"


def stream_yaml(types: list[str], rows: Rows) -> Iterator[bytes]:
    single = len(types) == 1
    for import_type in types:
        parts: list[str] = [] if single else [f"{import_type}:\n"]
        empty = True
        for row in rows(import_type):
            empty = False
            parts.append(
                yaml.safe_dump([_clean(import_type, row)], sort_keys=False, allow_unicode=True)
            )
            if len(parts) >= 500:
                yield "".join(parts).encode()
                parts = []
        if empty:
            parts.append("[]\n" if single else "  []\n")
        yield "".join(parts).encode()


def _excel_safe(value: str | None) -> str | None:
    """Excel cannot hold most control characters; they are dropped from the cell."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if value else value


def stream_xlsx(types: list[str], rows: Rows) -> Iterator[bytes]:
    """openpyxl's write-only mode spills rows to disk; the file is then sent in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for import_type in types:
        sheet = workbook.create_sheet(import_type)
        names = SPECS[import_type].names
        sheet.append(names)
        for row in rows(import_type):
            sheet.append([_excel_safe(neutralize(row.get(n))) for n in names])
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(name)
        with open(name, "rb") as saved:
            while chunk := saved.read(CHUNK):
                yield chunk
    finally:
        os.unlink(name)


def file_kind(fmt: str, types: list[str]) -> tuple[str, str]:
    """(media type, file extension) of an export: several CSV files travel as a zip."""
    ext = ("csv" if len(types) == 1 else "zip") if fmt == "csv" else fmt
    return MEDIA_TYPES[ext], ext


def stream(fmt: str, types: list[str], rows: Rows) -> Iterator[bytes]:
    writer = {"csv": stream_csv, "json": stream_json, "yaml": stream_yaml, "xlsx": stream_xlsx}
    return writer[fmt](types, rows)
