"""Builders of test files in every format the importer reads."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def xlsx(sheets: dict[str, Sequence[Sequence[Any]]], merged: dict[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        if merged and name in merged:
            sheet.merge_cells(merged[name])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_cached_formula_values(content: bytes, values: dict[str, str]) -> bytes:
    """openpyxl writes formulas without results; add the results Excel would have saved."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for ref, value in values.items():
                    start = text.index(f'<c r="{ref}"')
                    end = text.index("</c>", start)
                    formula = text[text.index("<f>", start) : text.index("</f>", start) + 4]
                    text = (
                        text[:start] + f'<c r="{ref}" t="str">{formula}<v>{value}</v>' + text[end:]
                    )
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path
