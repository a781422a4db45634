"""The error report: the user's own file with an `error` column, ready to fix and re-upload.

Rows keep their place and their values; each row with a problem gets its messages in
the new column (errors first, then warnings). Rows without problems get an empty cell,
so the user can fix the marked rows and upload the same file again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

from ariadne_core.importing.formats import csv_dialect, detect_encoding, load_yaml
from ariadne_core.importing.messages import ERROR, Problem

ERROR_COLUMN = "error"


def _by_row(problems: list[Problem]) -> dict[tuple[str | None, int], str]:
    grouped: dict[tuple[str | None, int], list[Problem]] = {}
    for found in problems:
        if found.row is not None:
            grouped.setdefault((found.sheet, found.row), []).append(found)
    return {
        key: " | ".join(
            f"{p.message} {p.hint}" for p in sorted(items, key=lambda p: p.severity != ERROR)
        )
        for key, items in grouped.items()
    }


def write_error_report(
    source: Path,
    target: Path,
    fmt: str,
    problems: list[Problem],
    header_rows: dict[str, int],
) -> Path:
    """Write ``source`` with the error column to ``target``; returns ``target``."""
    messages = _by_row(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _csv(source, target, messages, header_rows)
    elif fmt in ("sql", "zip"):
        _sql(source, target, fmt, messages)
    elif fmt == "ndjson":
        _ndjson(source, target, messages)
    elif fmt == "datahub":
        _datahub(source, target, messages)
    elif fmt == "dbt":
        target = target.with_suffix(".json")
        _dbt(source, target, messages)
    elif fmt == "xlsx":
        _xlsx(source, target, messages, header_rows)
    else:
        _document(source, target, fmt, messages)
    return target


SQL_MARK = "-- ariadne:"


def _annotated_sql(text: str, sheet: str, messages: dict[tuple[str | None, int], str]) -> str:
    """The script with a comment above each line that has a problem (a statement's first
    line), so it can be fixed in place and uploaded again."""
    return _annotated_lines(text, {row: m for (name, row), m in messages.items() if name == sheet})


def _annotated_lines(text: str, by_line: dict[int, str], mark: str = SQL_MARK) -> str:
    """``text`` with a comment line above each line that has a problem."""
    lines = text.splitlines(keepends=True)
    out = []
    for number, line in enumerate(lines, start=1):
        message = by_line.get(number)
        if message:
            indent = line[: len(line) - len(line.lstrip())].rstrip("\r\n")
            out.append(f"{indent}{mark} {' '.join(message.split())}\n")
        out.append(line)
    return "".join(out)


def _datahub(source: Path, target: Path, messages: dict[tuple[str | None, int], str]) -> None:
    """A DataHub lineage file: each line with a problem gets a `# ariadne:` comment above
    it (rows are lines; the table and field lineage of one line are told together)."""
    by_line: dict[int, str] = {}
    for (_, row), message in sorted(messages.items(), key=lambda m: (m[0][1], str(m[0][0]))):
        by_line[row] = f"{by_line[row]} | {message}" if row in by_line else message
    text = source.read_text(encoding=detect_encoding(source))
    target.write_text(_annotated_lines(text, by_line, "# ariadne:"), encoding="utf-8")


def _dbt(source: Path, target: Path, messages: dict[tuple[str | None, int], str]) -> None:
    """A dbt manifest cannot be annotated in place: a JSON list of the nodes with
    problems, by unique id, in the report's order."""
    from ariadne_core.importing.dbt_files import nodes_in_order

    ids = list(nodes_in_order(source, source.name))
    by_node: dict[int, list[str]] = {}
    for (sheet, row), message in messages.items():
        by_node.setdefault(row, []).append(f"[{sheet}] {message}")
    problems = [
        {"node": ids[row - 1] if 0 < row <= len(ids) else None, "row": row, ERROR_COLUMN: texts}
        for row, texts in sorted(by_node.items())
    ]
    target.write_text(json.dumps({"problems": problems}, indent=2, ensure_ascii=False) + "\n")


def _sql(source: Path, target: Path, fmt: str, messages: dict[tuple[str | None, int], str]) -> None:
    """SQL imports: the script (or every script of the zip) with its problems as
    comments above the lines they concern."""
    import zipfile

    from ariadne_core.importing.sql_files import read_sql_files

    files = read_sql_files(source, f"upload.{fmt}")
    if fmt == "sql":
        sheet = next(iter({key[0] for key in messages}), None)
        target.write_text(_annotated_sql(files[0].text, str(sheet), messages), encoding="utf-8")
        return
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for sql_file in files:
            archive.writestr(sql_file.name, _annotated_sql(sql_file.text, sql_file.name, messages))


def _ndjson(source: Path, target: Path, messages: dict[tuple[str | None, int], str]) -> None:
    """JSON lines (OpenLineage events): each line that has a problem gets an `error` key
    (a line that is not JSON is kept as it was, its message on the line before it)."""
    by_line = {row: text for (_, row), text in messages.items()}
    out = []
    for number, line in enumerate(source.read_bytes().decode("utf-8", "replace").splitlines(), 1):
        message = by_line.get(number)
        if message is None or not line.strip():
            out.append(line)
            continue
        try:
            item = json.loads(line)
        except ValueError:
            out.append(json.dumps({ERROR_COLUMN: message}, ensure_ascii=False))
            out.append(line)
            continue
        if isinstance(item, dict):
            item = {**item, ERROR_COLUMN: message}
        out.append(json.dumps(item, ensure_ascii=False))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")


def _csv(
    source: Path,
    target: Path,
    messages: dict[tuple[str | None, int], str],
    header_rows: dict[str, int],
) -> None:
    encoding, delimiter = csv_dialect(source)
    sheet = next(iter(header_rows), None)
    header_row = header_rows.get(sheet or "", 1)
    with (
        source.open(encoding=encoding, newline="") as inp,
        target.open("w", encoding="utf-8-sig", newline="") as out,
    ):
        writer = csv.writer(out, delimiter=delimiter)
        for number, record in enumerate(csv.reader(inp, delimiter=delimiter), start=1):
            if number == header_row:
                writer.writerow([*record, ERROR_COLUMN])
            elif number > header_row:
                writer.writerow([*record, messages.get((sheet, number), "")])
            else:
                writer.writerow(record)


def _xlsx(
    source: Path,
    target: Path,
    messages: dict[tuple[str | None, int], str],
    header_rows: dict[str, int],
) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(source)
    for name, header_row in header_rows.items():
        if name not in workbook.sheetnames:
            continue
        sheet = workbook[name]
        column = sheet.max_column + 1
        sheet.cell(row=header_row, column=column, value=ERROR_COLUMN)
        for row in range(header_row + 1, sheet.max_row + 1):
            text = messages.get((name, row))
            if text:
                sheet.cell(row=row, column=column, value=text)
    workbook.save(target)


def _annotate(items: Any, sheet: str, messages: dict[tuple[str | None, int], str]) -> Any:
    if not isinstance(items, list):
        return items
    out = []
    for number, item in enumerate(items, start=1):
        text = messages.get((sheet, number))
        if isinstance(item, dict):
            out.append({**item, ERROR_COLUMN: text or ""})
        else:
            out.append(item)
    return out


def _document(
    source: Path, target: Path, fmt: str, messages: dict[tuple[str | None, int], str]
) -> None:
    text = source.read_text(encoding=detect_encoding(source))
    data = json.loads(text) if fmt == "json" else load_yaml(text)
    sheets = {key for key, _ in messages}
    if isinstance(data, dict):
        data = {key: _annotate(value, str(key), messages) for key, value in data.items()}
    else:
        data = _annotate(data, next(iter(sheets), None) or "", messages)
    if fmt == "json":
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
