"""Uploads built to hurt the server get a clear 4xx naming the limit, never a 500, and
cost little: deep nesting, wide rows, lying Excel dimensions, huge text tables, XML
entity bombs, oversized documents. Also: confidences as spreadsheets write them."""

from __future__ import annotations

import io
import json
import re
import resource
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.catalog_helpers import make_source, make_table
from tests.importing.files import xlsx


def _upload(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    content: bytes,
    kind: str = "table_lineage",
) -> Any:
    return client.post(
        "/api/v1/import/validate",
        headers=headers,
        files={"file": (name, io.BytesIO(content))},
        data={"import_type": kind},
    )


@pytest.fixture
def editor(client: TestClient, auth_headers: Any) -> dict[str, str]:
    return dict(auth_headers("editor"))


@pytest.fixture
def big_client(settings: Any, engine: Any, db_session: Any) -> Any:
    """An API that accepts uploads of 40 MB (the tests' default is 64 KB)."""
    from ariadne_api.main import create_app
    from tests.transaction import share_test_transaction

    application = create_app(settings.model_copy(update={"import_max_bytes": 40 << 20}), engine)
    share_test_transaction(application, db_session)
    with TestClient(application) as test_client:
        yield test_client


def _limit(resp: Any, status: int, code: str, number: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["details"]["code"] == code
    assert number in error["message"], error["message"]


def test_deeply_nested_json_is_a_422_naming_the_depth(client: TestClient, editor: Any) -> None:
    resp = _upload(client, editor, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    _limit(resp, 422, "FILE_TOO_DEEP", "32")
    nested: Any = 1
    for _ in range(34):
        nested = [nested]
    shallow_but_over = json.dumps([{"a": nested}])
    _limit(_upload(client, editor, "d.json", shallow_but_over.encode()), 422, "FILE_TOO_DEEP", "32")


def test_deeply_nested_yaml_is_a_422(client: TestClient, editor: Any) -> None:
    resp = _upload(client, editor, "deep.yaml", b"[" * 50_000 + b"]" * 50_000)
    _limit(resp, 422, "FILE_TOO_DEEP", "32")


def test_a_thousand_distinct_keys_is_a_422(
    client: TestClient, editor: Any, big_client: Any
) -> None:
    rows = [{f"key_{i}_{j}": "x" for j in range(1000)} for i in range(1000)]
    content = json.dumps(rows).encode()
    assert len(content) > 64 * 1024  # over the default test limit: use the big client
    resp = _upload(big_client, editor, "wide.json", content)
    _limit(resp, 422, "TOO_MANY_COLUMNS", "100")


def test_yaml_over_its_size_limit_is_a_413_before_parsing(big_client: Any, editor: Any) -> None:
    line = b"- {source_table: a.b.c, target_table: d.e.f}\n"
    content = line * (17 * 1024 * 1024 // len(line) + 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    resp = _upload(big_client, editor, "big.yaml", content)
    _limit(resp, 413, "DOCUMENT_TOO_LARGE", "16 MB")
    # nothing was parsed: the peak memory did not grow by the document
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
    execute = big_client.post(
        "/api/v1/import/execute",
        headers=editor,
        files={"file": ("big.yaml", io.BytesIO(content))},
        data={"import_type": "table_lineage"},
    )
    assert execute.status_code == 413 and "16 MB" in execute.json()["error"]["message"]


def _rezip(content: bytes, replace: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = replace.pop(item.filename, None) or source.read(item.filename)
            target.writestr(item.filename, data)
        for name, data in replace.items():
            target.writestr(name, data)
    return out.getvalue()


def test_excel_claiming_16384_columns_by_a_million_rows_is_read_as_it_is(
    client: TestClient, auth_headers: Any, editor: Any
) -> None:
    admin = auth_headers("admin")
    source = make_source(client, admin, "shop")
    make_table(client, admin, source["id"], "orders", schema="public")
    make_table(client, admin, source["id"], "revenue", schema="marts")
    book = xlsx(
        {
            "table_lineage": [
                ("source_table", "target_table"),
                ("shop.public.orders", "shop.marts.revenue"),
            ]
        }
    )
    sheet = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml").decode()
    lying = re.sub(r'<dimension ref="A1:B2"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    assert "XFD1048576" in lying
    # one more row, its only cell in the last column and a row number near the bottom
    lying = lying.replace(
        "</sheetData>",
        '<row r="1048000"><c r="XFD1048000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    assert lying != sheet
    resp = _upload(
        client, editor, "lying.xlsx", _rezip(book, {"xl/worksheets/sheet1.xml": lying.encode()})
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["counts"]["create"] == 1


def test_excel_with_a_huge_text_table_is_a_413(big_client: Any, editor: Any) -> None:
    book = xlsx({"table_lineage": [("source_table", "target_table")]})
    entry = b"<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>"
    huge = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main">' + entry * (65 * 1024 * 1024 // len(entry)) + b"</sst>"
    )
    content = _rezip(book, {"xl/sharedStrings.xml": huge})
    assert len(content) < 5 * 1024 * 1024  # it compresses well: the upload itself is small
    resp = _upload(big_client, editor, "texts.xlsx", content)
    _limit(resp, 413, "XLSX_TOO_LARGE", "64 MB")


def test_xml_entity_bomb_in_a_spreadsheet_is_refused(client: TestClient, editor: Any) -> None:
    book = xlsx({"table_lineage": [("source_table", "target_table"), ("a.b.c", "d.e.f")]})
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    sheet = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml").decode()
    bomb = f"<!DOCTYPE worksheet [{entities}]>" + sheet.replace("a.b.c", "&lol9;")
    resp = _upload(
        client, editor, "bomb.xlsx", _rezip(book, {"xl/worksheets/sheet1.xml": bomb.encode()})
    )
    assert resp.status_code == 200, resp.text
    problems = resp.json()["problems"]
    assert [p["code"] for p in problems] == ["FILE_UNREADABLE"]
    assert resp.json()["valid"] is False


def test_openpyxl_parses_through_defusedxml() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
