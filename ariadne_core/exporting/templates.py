"""Empty import templates: the columns, one example row, and what each column means."""

from __future__ import annotations

import io
import json

import yaml

from ariadne_core.errors import ValidationFailed
from ariadne_core.exporting.stream import MEDIA_TYPES, neutralize
from ariadne_core.importing.spec import (
    DATAHUB,
    DBT,
    IMPORT_TYPES,
    OPENLINEAGE,
    SPECS,
    SQL,
    WORKBOOK,
    ImportSpec,
)

# Types whose file another tool writes: what to upload instead of a template.
NO_TEMPLATE = {
    SQL: "your .sql scripts (options in docs/inference.md).",
    OPENLINEAGE: "the events your jobs emit (docs/openlineage.md has an example).",
    DBT: "target/manifest.json after dbt compile, or target/ as a .zip after dbt docs "
    "generate (docs/import.md says what becomes what).",
}


def _example(spec: ImportSpec) -> dict[str, str]:
    return {c.name: c.example for c in spec.columns}


def _describe(spec: ImportSpec) -> list[list[str]]:
    return [
        [c.name, "yes" if c.required else "no", c.description, c.example, ", ".join(c.aliases)]
        for c in spec.columns
    ]


def template(import_type: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the template of ``import_type`` in ``fmt``;
    ValidationFailed for a type that has none, or a format it does not come in."""
    if import_type in NO_TEMPLATE:
        raise ValidationFailed(
            f"The {import_type} type has no template: upload {NO_TEMPLATE[import_type]}",
            details={"field": "import_type", "value": import_type},
        )
    if import_type == DATAHUB:
        from ariadne_core.importing.datahub_files import EXAMPLE

        return EXAMPLE.encode(), MEDIA_TYPES["yaml"], "ariadne-datahub_lineage-example.yml"
    if import_type == WORKBOOK and fmt == "csv":
        raise ValidationFailed(
            "A workbook template holds several sheets; ask for format=xlsx, json or yaml.",
            details={"field": "format", "value": fmt},
        )
    types = list(IMPORT_TYPES) if import_type == WORKBOOK else [import_type]
    name = f"ariadne-{import_type}-template.{fmt}"
    if fmt == "xlsx":
        return _xlsx(types), MEDIA_TYPES["xlsx"], name
    if fmt == "csv":
        spec = SPECS[types[0]]
        out = io.StringIO()
        import csv

        writer = csv.writer(out)
        writer.writerow(spec.names)
        writer.writerow([neutralize(v) for v in _example(spec).values()])
        return out.getvalue().encode(), MEDIA_TYPES["csv"], name
    if fmt == "json":
        data: object = (
            {t: [_example(SPECS[t])] for t in types}
            if import_type == WORKBOOK
            else [_example(SPECS[types[0]])]
        )
        return json.dumps(data, indent=2).encode() + b"\n", MEDIA_TYPES["json"], name
    lines: list[str] = []
    for t in types:
        spec = SPECS[t]
        lines.append(f"# {t}: one item per {spec.title}. Columns:")
        for c in spec.columns:
            needed = "required" if c.required else "optional"
            lines.append(f"#   {c.name} ({needed}): {c.description}")
    data = (
        {t: [_example(SPECS[t])] for t in types}
        if import_type == WORKBOOK
        else [_example(SPECS[types[0]])]
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return ("\n".join(lines) + "\n" + body).encode(), MEDIA_TYPES["yaml"], name


def _xlsx(types: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for t in types:
        spec = SPECS[t]
        sheet = workbook.create_sheet(t)
        sheet.append(spec.names)
        sheet.append([neutralize(v) for v in _example(spec).values()])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    help_sheet = workbook.create_sheet("columns")
    help_sheet.append(["sheet", "column", "required", "what it means", "example", "also accepted"])
    for t in types:
        for row in _describe(SPECS[t]):
            help_sheet.append([t, *row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
