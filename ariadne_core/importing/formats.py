"""Read CSV, Excel, JSON and YAML files into sheets of rows numbered as the user sees them.

Nothing here knows about the catalog. Each reader yields ``(row_number, values)`` with
every value a stripped string or None, so the validation layers see one shape whatever
the format. Problems with the file itself become `Problem` records, never exceptions
that reach the user as a traceback.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ariadne_core.importing.messages import Problem, problem
from ariadne_core.importing.spec import (
    IMPORT_TYPES,
    SPECS,
    WORKBOOK,
    normalize_header,
    normalize_type_name,
)

FORMATS = ("csv", "xlsx", "json", "yaml")
# File problems that are limits protecting the server: the preview answers them with a
# 4xx (413 for sizes) instead of a report.
SIZE_LIMITS = frozenset({"XLSX_TOO_LARGE", "DOCUMENT_TOO_LARGE", "SQL_TOO_LARGE", "OL_TOO_LARGE"})
SHAPE_LIMITS = frozenset(
    {
        "FILE_TOO_DEEP",
        "TOO_MANY_COLUMNS",
        "YAML_TOO_COMPLEX",
        "TOO_MANY_SHEETS",
        "SQL_TOO_MANY_FILES",
    }
)
MAX_SHEETS = 20
YAML_MAX_ALIASES = 50
XLSX_MAX_UNCOMPRESSED = 1024**3  # refuse zip bombs before openpyxl inflates them
# openpyxl reads the whole shared-strings table into memory before the first row.
XLSX_MAX_SHARED_STRINGS = 64 * 1024**2
# JSON and YAML are parsed whole: bounded in size and in nesting. YAML parses about 20
# times slower than JSON, so its bound is lower.
DOCUMENT_MAX_BYTES = {"JSON": 64 * 1024**2, "YAML": 16 * 1024**2}
MAX_DEPTH = 32
MAX_COLUMNS = 100  # columns read per row; the widest template has far fewer
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 10
# Sheets a template carries for people, never imported and never warned about.
HELP_SHEETS = {"columns", "help", "readme", "instructions"}
# Cells a spreadsheet may run as a formula (OWASP "CSV injection"), tab and CR included.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[int, list[str | None]]


class FileRejected(Exception):
    """The file as a whole cannot be read; carries the problem to report."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found.message)
        self.problem = found


@dataclass
class Sheet:
    """One table of rows: a CSV file, an Excel sheet, or a JSON/YAML list."""

    name: str
    import_type: str
    headers: list[str | None]
    rows: Iterator[Row]
    row_word: str = "Row"
    problems: list[Problem] = field(default_factory=list)
    header_row: int = 0  # row number of the header (0 when there is none: JSON, YAML)


@dataclass
class ParsedFile:
    format: str
    sheets: list[Sheet]
    problems: list[Problem] = field(default_factory=list)


def detect_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    fmt = {"yml": "yaml", "tsv": "csv", "txt": "csv"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise FileRejected(problem("UNKNOWN_FORMAT", value=filename))
    return fmt


def cell(value: Any) -> str | None:
    """One cell as text: stripped, empty as None, a neutralized formula restored."""
    if value is None:
        return None
    if type(value) is str:  # nearly every cell: the fast path
        text = value.strip()
        if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
            return text[1:]
        return text or None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        text = text[1:]  # our exports write '=x so spreadsheets never run it
    return text or None


def preflight(path: Path, filename: str) -> str:
    """The format, after the checks that cost nothing: an empty file, a JSON or YAML file
    too large to read whole, an Excel file that unpacks to too much (a zip bomb)."""
    fmt = detect_format(filename)
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(problem("FILE_EMPTY"))
    if fmt in ("json", "yaml"):
        check_document_size(size, DOCUMENT_MAX_BYTES[fmt.upper()], fmt.upper())
    if fmt == "xlsx":
        _xlsx_preflight(path)
    return fmt


def check_document_size(size: int, limit: int, fmt: str) -> None:
    """FileRejected (DOCUMENT_TOO_LARGE, a 413 from the API) for a document of ``size``
    bytes over ``limit``: it would be read whole."""
    if size > limit:
        raise FileRejected(
            problem(
                "DOCUMENT_TOO_LARGE", format=fmt, limit=limit // 1024**2, size=round(size / 1024**2)
            )
        )


def _xlsx_preflight(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(info.file_size for info in members)
            shared = sum(
                info.file_size
                for info in members
                if info.filename.lower().endswith("sharedstrings.xml")
            )
    except zipfile.BadZipFile as exc:
        raise FileRejected(
            problem("FILE_UNREADABLE", format="Excel (.xlsx)", reason="it is not an Excel file")
        ) from exc
    for size, limit, what in (
        (inflated, XLSX_MAX_UNCOMPRESSED, "data in all"),
        (shared, XLSX_MAX_SHARED_STRINGS, "texts (read whole into memory)"),
    ):
        if size > limit:
            raise FileRejected(
                problem("XLSX_TOO_LARGE", size=size // 1024**2, limit=limit // 1024**2, what=what)
            )


def read_file(path: Path, filename: str, import_type: str) -> ParsedFile:
    """Open ``path`` (named ``filename`` by the user) for an import of ``import_type``."""
    fmt = preflight(path, filename)
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json, "yaml": _read_yaml}
    return reader[fmt](path, filename, import_type)


# --- CSV ------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(65536)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        # UTF-16 without a byte-order mark puts a NUL beside every ASCII character.
        half = max(len(sample) // 2, 1)
        if sample[1::2].count(0) > half * 0.6:
            return "utf-16-le"
        if sample[0::2].count(0) > half * 0.6:
            return "utf-16-be"
        raise FileRejected(problem("FILE_NOT_TEXT", format="CSV"))
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
    raise FileRejected(problem("FILE_ENCODING"))


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > max(len(text) // 100, 2)


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_dialect(path: Path) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(65536)
    if _looks_binary(sample):
        raise FileRejected(problem("FILE_NOT_TEXT", format="CSV"))
    lines = [line for line in sample.splitlines() if line.strip()]
    return encoding, sniff_delimiter(lines[0] if lines else "")


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[Row]:
    csv.field_size_limit(10 * 1024 * 1024)
    with path.open(encoding=encoding, newline="") as handle:
        for index, record in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            yield index, [cell(v) for v in record]


def _read_csv(path: Path, filename: str, import_type: str) -> ParsedFile:
    if import_type == WORKBOOK:
        raise FileRejected(
            problem(
                "FILE_UNREADABLE",
                format="workbook",
                reason="a CSV file holds one kind of row; a workbook needs .xlsx, .json or .yaml",
            )
        )
    encoding, delimiter = csv_dialect(path)
    try:
        sheet = _tabular_sheet(import_type, import_type, _csv_records(path, encoding, delimiter))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileRejected(problem("FILE_UNREADABLE", format="CSV", reason=str(exc))) from exc
    return ParsedFile("csv", [sheet] if sheet else [], _empty_problems(sheet, import_type))


def _empty_problems(sheet: Sheet | None, import_type: str) -> list[Problem]:
    return [] if sheet else [problem("FILE_EMPTY")]


def _tabular_sheet(name: str, import_type: str, records: Iterator[Row]) -> Sheet | None:
    """Find the header row among the first rows, then yield the non-blank rows below it."""
    spec = SPECS[import_type]
    known = spec.header_map()
    buffered: list[Row] = []
    header: Row | None = None
    for number, values in records:
        if not any(values):
            continue
        buffered.append((number, values))
        cells = [normalize_header(v) for v in values if v]
        if cells and sum(c in known for c in cells) * 2 >= len(cells):
            header = (number, values)
            break
        if len(buffered) >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if not buffered:
            return None
        header = buffered[0]  # no row looks like a header: the first one is, and says why
    rest = [r for r in buffered if r[0] > header[0]]

    def rows() -> Iterator[Row]:
        yield from rest
        for number, values in records:
            if any(values):
                yield number, values

    return Sheet(
        name=name, import_type=import_type, headers=header[1], rows=rows(), header_row=header[0]
    )


# --- Excel ------------------------------------------------------------------------------


def _sheet_rows(worksheet: Any) -> Iterator[Row]:
    """The rows with a value, numbered as Excel shows them. The sheet's own claim of its
    size (`dimension`, which a file can set to 16,384 columns by a million rows) is
    ignored, rows are cut at MAX_COLUMNS, and blank rows cost next to nothing."""
    worksheet.reset_dimensions()
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if values.count(None) != len(values):
            yield number, [cell(v) for v in values[:MAX_COLUMNS]]


def _read_xlsx(path: Path, filename: str, import_type: str) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FileRejected(
            problem("FILE_UNREADABLE", format="Excel (.xlsx)", reason=type(exc).__name__)
        ) from exc
    names = list(workbook.sheetnames)
    if len(names) > MAX_SHEETS:
        raise FileRejected(problem("TOO_MANY_SHEETS", count=len(names), limit=MAX_SHEETS))
    problems: list[Problem] = []
    chosen: list[tuple[str, str]] = []  # (sheet name, import type)
    if import_type == WORKBOOK:
        for name in names:
            kind = normalize_type_name(name)
            if kind in IMPORT_TYPES:
                chosen.append((name, kind))
            elif name.strip().lower() not in HELP_SHEETS:
                problems.append(problem("UNKNOWN_SHEET", sheet=name, value=name))
        if not chosen:
            raise FileRejected(problem("NO_IMPORT_SHEETS", value=", ".join(names)))
        chosen.sort(key=lambda item: IMPORT_TYPES.index(item[1]))
    else:
        named = [n for n in names if normalize_type_name(n) == import_type]
        data = [n for n in names if n.strip().lower() not in HELP_SHEETS]
        chosen = [((named or data or names)[0], import_type)]
    sheets = []
    for name, kind in chosen:
        sheet = _tabular_sheet(name, kind, _sheet_rows(workbook[name]))
        if sheet is None:
            problems.append(problem("FILE_EMPTY", sheet=name))
        else:
            sheets.append(sheet)
    return ParsedFile("xlsx", sheets, problems)


# --- JSON and YAML ------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"a single value ({type(value).__name__})"


def _document_sheet(name: str, import_type: str, items: Any) -> Sheet:
    if not isinstance(items, list):
        raise FileRejected(problem("JSON_NOT_ARRAY", sheet=name, kind=_kind(items)))
    headers: list[str | None] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, dict):
            for key in item:
                if str(key) not in seen:
                    seen.add(str(key))
                    headers.append(str(key))
                    if len(headers) > MAX_COLUMNS:
                        raise FileRejected(
                            problem(
                                "TOO_MANY_COLUMNS",
                                sheet=name,
                                count=f"more than {MAX_COLUMNS}",
                                limit=MAX_COLUMNS,
                            )
                        )
    sheet = Sheet(name=name, import_type=import_type, headers=headers, rows=iter(()))
    sheet.row_word = "Item"

    def rows() -> Iterator[Row]:
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                sheet.problems.append(
                    problem(
                        "ITEM_NOT_OBJECT", sheet=name, row=number, row_word="Item", kind=_kind(item)
                    )
                )
                continue
            values: list[str | None] = []
            for header in headers:
                value = item.get(header)
                if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
                    value = ", ".join(str(v) for v in value)
                elif isinstance(value, dict | list):
                    sheet.problems.append(
                        problem(
                            "VALUE_NOT_SCALAR",
                            sheet=name,
                            row=number,
                            row_word="Item",
                            column=header,
                        )
                    )
                    value = None
                values.append(cell(value))
            yield number, values

    sheet.rows = rows()
    return sheet


def _document(parsed: Any, fmt: str, filename: str, import_type: str) -> ParsedFile:
    if import_type != WORKBOOK:
        return ParsedFile(fmt, [_document_sheet(import_type, import_type, parsed)])
    if not isinstance(parsed, dict):
        raise FileRejected(
            problem(
                "FILE_UNREADABLE",
                format="workbook",
                reason="a workbook file must map sheet names (sources, tables, ...) to lists",
            )
        )
    problems: list[Problem] = []
    sheets = []
    for key, items in parsed.items():
        kind = normalize_type_name(str(key))
        if kind not in IMPORT_TYPES:
            problems.append(problem("UNKNOWN_SHEET", sheet=str(key), value=key))
            continue
        sheets.append(_document_sheet(str(key), kind, items))
    if not sheets:
        raise FileRejected(problem("NO_IMPORT_SHEETS", value=", ".join(map(str, parsed))))
    sheets.sort(key=lambda s: IMPORT_TYPES.index(s.import_type))
    return ParsedFile(fmt, sheets, problems)


def _text(path: Path, fmt: str) -> str:
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding)
    if _looks_binary(text[:65536]):
        raise FileRejected(problem("FILE_NOT_TEXT", format=fmt))
    return text


def _read_json(path: Path, filename: str, import_type: str) -> ParsedFile:
    text = _text(path, "JSON")
    if not text.strip():
        raise FileRejected(problem("FILE_EMPTY"))
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise FileRejected(problem("FILE_UNREADABLE", format="JSON", reason=reason)) from exc
    except RecursionError:  # nested deeper than the interpreter goes
        raise FileRejected(problem("FILE_TOO_DEEP", limit=MAX_DEPTH)) from None
    _check_depth(parsed)
    return _document(parsed, "json", filename, import_type)


def _check_depth(value: Any) -> None:
    """FileRejected when lists and objects nest more than MAX_DEPTH levels."""
    level = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for item in level
            if isinstance(item, list | dict)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, list | dict)
        ]
        if not level:
            return
    raise FileRejected(problem("FILE_TOO_DEEP", limit=MAX_DEPTH))


_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present


def load_yaml(text: str) -> Any:
    """yaml.safe_load, refusing documents with many aliases (the 'billion laughs' bomb) or
    nested deeper than MAX_DEPTH; raises FileRejected. The limits are checked on the
    parser's events first, so nothing is built for a refused document."""
    check_yaml_limits(text)
    return yaml.load(text, Loader=_YAML_LOADER)


def compose_yaml(text: str) -> Any:
    """The YAML node tree (each node knows its line), within the limits of load_yaml."""
    check_yaml_limits(text)
    return yaml.compose(text, Loader=_YAML_LOADER)


def check_yaml_limits(text: str) -> None:
    """FileRejected for too many aliases or too deep a nesting; yaml.YAMLError for a
    document that does not parse."""
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise FileRejected(problem("FILE_TOO_DEEP", limit=MAX_DEPTH))
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > YAML_MAX_ALIASES:
                    raise FileRejected(problem("YAML_TOO_COMPLEX", limit=YAML_MAX_ALIASES))
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own, larger, nesting limit
            raise FileRejected(problem("FILE_TOO_DEEP", limit=MAX_DEPTH)) from None
        raise


def _read_yaml(path: Path, filename: str, import_type: str) -> ParsedFile:
    text = _text(path, "YAML")
    if not text.strip():
        raise FileRejected(problem("FILE_EMPTY"))
    try:
        parsed = load_yaml(text)
    except yaml.YAMLError as exc:
        raise yaml_unreadable(exc) from exc
    return _document(parsed, "yaml", filename, import_type)


def yaml_unreadable(exc: yaml.YAMLError) -> FileRejected:
    """The problem of a document that does not parse, naming where."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    reason = f"{getattr(exc, 'problem', None) or 'invalid YAML'}{where}"
    return FileRejected(problem("FILE_UNREADABLE", format="YAML", reason=reason))


def synthetic_sheet(
    name: str, import_type: str, rows: list[tuple[int, dict[str, str | None]]], row_word: str
) -> Sheet:
    """A sheet of the columns of ``import_type`` built from another tool's file (DataHub,
    dbt): each row its number as the user finds it in that file, and its values."""
    headers: list[str | None] = list(SPECS[import_type].names)
    return Sheet(
        name=name,
        import_type=import_type,
        headers=headers,
        rows=iter([(n, [cell(values.get(str(h))) for h in headers]) for n, values in rows]),
        row_word=row_word,
    )
