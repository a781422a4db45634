"""File readers: encodings, delimiters, header detection, and files that are not what
they claim to be. No database here."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from ariadne_core.importing.formats import FileRejected, read_file
from tests.importing.files import with_cached_formula_values, write, xlsx

LINEAGE = [
    ["source_table", "target_table"],
    ["sales.public.orders", "dw.marts.daily_revenue"],
    ["sales.public.customers", "dw.marts.customer_ltv"],
]


def _rows(path: Path, name: str, import_type: str = "table_lineage") -> tuple[list, list]:
    parsed = read_file(path, name, import_type)
    sheet = parsed.sheets[0]
    return sheet.headers, list(sheet.rows)


def _text(delimiter: str) -> str:
    return "\r\n".join(delimiter.join(row) for row in LINEAGE) + "\r\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write(tmp_path / "l.csv", _text(delimiter))
    headers, rows = _rows(path, "l.csv")
    assert headers == LINEAGE[0]
    assert rows == [(2, LINEAGE[1]), (3, LINEAGE[2])]


@pytest.mark.parametrize(
    "encoded",
    [
        codecs.BOM_UTF8 + _text(",").encode("utf-8"),
        _text(",").encode("utf-16"),  # with a byte-order mark
        _text(",").encode("utf-16-le"),  # without one
        _text(",").encode("utf-16-be"),
    ],
    ids=["utf-8-bom", "utf-16-bom", "utf-16-le", "utf-16-be"],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoded: bytes) -> None:
    headers, rows = _rows(write(tmp_path / "l.csv", encoded), "l.csv")
    assert headers == LINEAGE[0]
    assert [values for _, values in rows] == LINEAGE[1:]


def test_cp1252_is_read(tmp_path: Path) -> None:
    content = "name,type,description\nventes,manual,Données des caisses été\n"
    path = write(tmp_path / "s.csv", content.encode("cp1252"))
    _, rows = _rows(path, "s.csv", "sources")
    assert rows[0][1][2] == "Données des caisses été"


def test_unreadable_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", b"name,type\n\x81\x8d\x90,manual\n")
    with pytest.raises(FileRejected) as caught:
        read_file(path, "s.csv", "sources")
    assert caught.value.problem.code == "FILE_ENCODING"
    assert "CSV UTF-8" in caught.value.problem.hint


def test_binary_posing_as_csv_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "l.csv", png), "l.csv", "table_lineage")
    assert caught.value.problem.code == "FILE_NOT_TEXT"


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "l.csv", b""), "l.csv", "table_lineage")
    assert caught.value.problem.code == "FILE_EMPTY"


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "l.pdf", b"%PDF"), "l.pdf", "table_lineage")
    assert caught.value.problem.code == "UNKNOWN_FORMAT"


def test_excel_finds_header_skips_blank_rows_and_reads_formula_results(tmp_path: Path) -> None:
    content = xlsx(
        {
            "Lineage": [
                ["Lineage of the sales mart"],  # a title row above the header
                [],
                ["Source", "Target"],
                ["sales.public.orders", '=CONCAT("dw.marts.","daily_revenue")'],
                [],
                [None, None],
                ["sales.public.customers", "dw.marts.customer_ltv"],
            ]
        }
    )
    content = with_cached_formula_values(content, {"B4": "dw.marts.daily_revenue"})
    headers, rows = _rows(write(tmp_path / "l.xlsx", content), "l.xlsx")
    assert headers == ["Source", "Target"]
    assert rows == [(4, LINEAGE[1]), (7, LINEAGE[2])]


def test_excel_with_too_many_sheets_is_refused(tmp_path: Path) -> None:
    content = xlsx({f"s{i}": [["a"]] for i in range(25)})
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "w.xlsx", content), "w.xlsx", "workbook")
    assert caught.value.problem.code == "TOO_MANY_SHEETS"


def test_excel_that_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "l.xlsx", "source,target\n"), "l.xlsx", "table_lineage")
    assert caught.value.problem.code == "FILE_UNREADABLE"


def test_json_must_be_an_array(tmp_path: Path) -> None:
    path = write(tmp_path / "l.json", json.dumps({"source_table": "a.b.c"}))
    with pytest.raises(FileRejected) as caught:
        read_file(path, "l.json", "table_lineage")
    assert caught.value.problem.code == "JSON_NOT_ARRAY"
    assert "an object" in caught.value.problem.message


def test_json_items_and_values(tmp_path: Path) -> None:
    items = [
        {
            "source_table": "sales.public.orders",
            "target_table": "dw.marts.daily_revenue",
            "confidence": 0.9,
        },
        "not a row",
        {"source_table": "sales.public.orders", "target_table": {"nested": 1}},
    ]
    parsed = read_file(write(tmp_path / "l.json", json.dumps(items)), "l.json", "table_lineage")
    sheet = parsed.sheets[0]
    rows = list(sheet.rows)
    assert rows[0] == (1, ["sales.public.orders", "dw.marts.daily_revenue", "0.9"])
    assert [(p.row, p.code) for p in sheet.problems] == [
        (2, "ITEM_NOT_OBJECT"),
        (3, "VALUE_NOT_SCALAR"),
    ]
    assert sheet.problems[0].message.startswith("Item 2: ")


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "l.json", '[{"source_table": "a.b.c",}\n]')
    with pytest.raises(FileRejected) as caught:
        read_file(path, "l.json", "table_lineage")
    assert "line 1" in caught.value.problem.message


def test_yaml_list_is_read_with_safe_load(tmp_path: Path) -> None:
    content = "- source_table: sales.public.orders\n  target_table: dw.marts.daily_revenue\n"
    _, rows = _rows(write(tmp_path / "l.yaml", content), "l.yaml")
    assert rows == [(1, LINEAGE[1])]
    unsafe = "- source_table: !!python/object/apply:os.system ['echo hacked']\n"
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "x.yaml", unsafe), "x.yaml", "table_lineage")
    assert caught.value.problem.code == "FILE_UNREADABLE"


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    with pytest.raises(FileRejected) as caught:
        read_file(write(tmp_path / "bomb.yaml", "\n".join(lines)), "bomb.yaml", "workbook")
    assert caught.value.problem.code == "YAML_TOO_COMPLEX"


def test_workbook_sheets_are_ordered_by_dependency(tmp_path: Path) -> None:
    content = xlsx(
        {
            "Table Lineage": [LINEAGE[0]],
            "Sources": [["name", "type"]],
            "notes": [["anything"]],
            "columns": [["help"]],
        }
    )
    parsed = read_file(write(tmp_path / "w.xlsx", content), "w.xlsx", "workbook")
    assert [s.import_type for s in parsed.sheets] == ["sources", "table_lineage"]
    assert [(p.code, p.value) for p in parsed.problems] == [("UNKNOWN_SHEET", "notes")]
