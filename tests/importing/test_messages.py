"""Every message in the catalogue renders, reads as a sentence, and is documented."""

from __future__ import annotations

import re
import string

import pytest

from ariadne_core.importing.messages import CATALOGUE, ERROR, WARNING, problem
from ariadne_core.runtime import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "import-messages.md").read_text()
SAMPLE = {
    "format": "CSV",
    "reason": "it is damaged",
    "kind": "an object",
    "column": "target_table",
    "limit": 50,
    "count": 30,
    "value": "sales.public.ordrs",
    "title": "table lineage",
    "missing": "target_table",
    "expected": "source_table, target_table",
    "other": "to",
    "position": "C",
    "allowed": "manual, inferred, approved",
    "max_length": 700,
    "suggestion": " Did you mean 'sales.public.orders'?",
    "role": "target ",
    "first_row": 4,
    "what": "the table 'sales.public.orders'",
    "actual": "sales.public.orders",
    "given": "sales.public.order",
    "source": "a.b.c",
    "target": "a.b.d",
    "existing": "manual",
    "path": "a → b → a",
    "size": 80,
    "dialect": "postgres",
    "tables": "dw.public.orders, sales.public.orders",
    "sources": "sales, dw",
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_message_renders_for_a_row(code: str) -> None:
    template = CATALOGUE[code]
    assert template.severity in (ERROR, WARNING)
    params = {k: v for k, v in SAMPLE.items() if k not in ("column", "value")}
    found = problem(code, row=17, column=SAMPLE["column"], value=SAMPLE["value"], **params)
    assert found.message.startswith("Row 17: ")
    for text in (found.message, found.hint):
        assert "{" not in text.replace("{{", "").replace("}}", "") or '{"' in text
        assert not re.search(r"\bNone\b(?! of)", text), text
        assert "  " not in text
        assert text.rstrip().endswith((".", "?", ")")), text
        # no programmer words reach the user
        assert not re.search(r"\b(null|NaN|uuid|exception|traceback|regex)\b", text, re.I), text
    assert _placeholders(template.message) | _placeholders(template.hint) <= set(SAMPLE)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_message_is_documented_as_written(code: str) -> None:
    template = CATALOGUE[code]
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{code}` |")), None)
    assert row is not None, f"{code} is missing from docs/import-messages.md"
    assert template.message.replace("|", "\\|") in row
    assert template.hint.replace("|", "\\|") in row


def test_the_issue_example_reads_as_promised() -> None:
    found = problem(
        "TABLE_NOT_FOUND",
        row=17,
        column="target_table",
        value="sales.ordrs",
        role="target ",
        suggestion=" Did you mean 'sales.orders'?",
    )
    assert found.message == (
        "Row 17: the target table 'sales.ordrs' is not in the catalog. Did you mean 'sales.orders'?"
    )
    assert found.hint == "Fix the name, or import the table first."


def test_import_guide_lists_every_column_and_alias() -> None:
    from ariadne_core.importing.spec import SPECS

    guide = (REPO_ROOT / "docs" / "import.md").read_text()
    for import_type, spec in SPECS.items():
        section = guide.split(f"### `{import_type}`", 1)[1].split("###", 1)[0]
        for column in spec.columns:
            row = next(
                line for line in section.splitlines() if line.startswith(f"| `{column.name}` |")
            )
            assert column.description in row
            for alias in column.aliases:
                assert f"`{alias}`" in row, (import_type, column.name, alias)
