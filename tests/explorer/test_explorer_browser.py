"""The explorer in a real browser (Debian's Chromium, driven by Playwright), on a running
API over the real stores: log in, search, open a table, widen the lineage to three
levels, switch to column level, approve an inferred edge as a steward and see it turn
approved, and find no decision buttons as a viewer. Screenshots at 1280x800 are saved
under the test's artefacts folder."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ariadne_api.explorer import DIST
from tests.conftest import PASSWORD
from tests.integration.dagster_ui import CHROMIUM, FLAGS
from tests.observed.conftest import LiveApi

ARTEFACTS = Path(__file__).resolve().parents[2] / "frontend" / "screenshots"


def _seed(api: LiveApi) -> dict[str, str]:
    """raw.orders -> stage.orders -> mart.revenue -> report.daily (manual), and an
    inferred edge stage.customers -> mart.revenue, with field lineage on amount."""
    admin = api.headers("admin")
    source = httpx.post(api.api("/sources"), headers=admin, json={"name": "shop", "type": "manual"})
    assert source.status_code == 201, source.text
    ids: dict[str, str] = {}
    for schema, name in (
        ("raw", "orders"),
        ("stage", "orders"),
        ("stage", "customers"),
        ("mart", "revenue"),
        ("report", "daily"),
    ):
        made = httpx.post(
            api.api("/tables"),
            headers=admin,
            json={
                "source_id": source.json()["id"],
                "schema_name": schema,
                "name": name,
                "description": f"The {schema} {name}",
                "owner": "finance@example.com",
            },
        )
        assert made.status_code == 201, made.text
        ids[f"{schema}.{name}"] = made.json()["id"]
        field = httpx.post(
            api.api("/fields"),
            headers=admin,
            json={"table_id": made.json()["id"], "name": "amount", "data_type": "numeric"},
        )
        assert field.status_code == 201, field.text
        ids[f"{schema}.{name}.amount"] = field.json()["id"]
    for a, b, source_kind in (
        ("raw.orders", "stage.orders", "manual"),
        ("stage.orders", "mart.revenue", "manual"),
        ("mart.revenue", "report.daily", "manual"),
        ("stage.customers", "mart.revenue", "inferred"),
    ):
        edge = httpx.post(
            api.api("/lineage/field"),
            headers=admin,
            json={
                "source_field_id": ids[f"{a}.amount"],
                "target_field_id": ids[f"{b}.amount"],
                "lineage_source": source_kind,
                "confidence": 0.55 if source_kind == "inferred" else 1.0,
            },
        )
        assert edge.status_code == 201, edge.text
    return ids


def _login(page: Any, base: str, role: str) -> None:
    page.goto(base + "/")
    page.get_by_label("E-mail").fill(f"{role}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Search the catalog").wait_for()


def _nodes(page: Any) -> int:
    return int(page.locator("[data-node]").count())


def test_a_steward_explores_lineage_and_approves_an_inferred_edge(live_api: LiveApi) -> None:
    assert (DIST / "index.html").is_file(), "the explorer is not built: run `make frontend`"
    from playwright.sync_api import expect, sync_playwright

    ids = _seed(live_api)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(live_api.base + "/")
            page.get_by_label("E-mail").fill("steward@example.com")
            page.get_by_label("Password").fill("wrong password")
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("alert").wait_for()  # a clear refusal, no page change
            _login(page, live_api.base, "steward")
            page.screenshot(path=str(ARTEFACTS / "search.png"))

            page.get_by_label("Search tables and fields").fill("revenue")
            result = page.get_by_role("link", name="table shop.mart.revenue")
            result.wait_for()
            page.screenshot(path=str(ARTEFACTS / "search-results.png"))
            result.click()
            page.get_by_role("heading", name="shop.mart.revenue").wait_for()
            expect(page.get_by_test_id("table-history")).to_contain_text(
                "table created by admin@example.com"
            )
            page.locator("[data-node]").first.wait_for()
            one_level = _nodes(page)
            assert one_level == 4  # stage.orders, stage.customers, the table, report.daily

            page.get_by_label("Depth").select_option("3")
            expect(page.locator("[data-node]")).to_have_count(5)  # raw.orders, 3 levels up
            page.screenshot(path=str(ARTEFACTS / "table-lineage.png"))

            started = time.perf_counter()
            box = page.get_by_test_id("graph").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + 20, box["y"] + 20)
            page.mouse.down()
            page.mouse.move(box["x"] + 120, box["y"] + 60)
            page.mouse.up()
            moved = page.get_by_test_id("viewport").get_attribute("transform") or ""
            x, y = (float(v) for v in re.findall(r"translate\(([-\d.]+),([-\d.]+)\)", moved)[0])
            # the drawing follows the pointer (100, 40 screen pixels, in the drawing's units)
            assert x > 50 and abs(x / y - 2.5) < 0.01, moved
            print(f"pan answered in {1000 * (time.perf_counter() - started):.0f} ms")

            page.get_by_label("Level").select_option(label="Column amount")
            field_nodes = page.locator('[data-node][aria-label*=".amount:"]')
            field_nodes.first.wait_for(state="attached")
            assert field_nodes.count() >= 3

            inferred = page.locator('[data-edge][data-source="inferred"]').first
            inferred.click()
            panel = page.get_by_test_id("edge-panel")
            panel.wait_for()
            assert page.get_by_test_id("edge-source").inner_text() == "inferred"
            assert page.get_by_test_id("edge-status").inner_text() == "pending_review"
            page.screenshot(path=str(ARTEFACTS / "edge-review.png"))
            panel.get_by_label("Comment").fill("Checked the ETL job")
            panel.get_by_role("button", name="Approve").click()
            expect(page.get_by_test_id("edge-source")).to_have_text("approved")
            # the audit trail names the steward's decision and comment
            expect(page.get_by_test_id("edge-trail")).to_contain_text("Checked the ETL job")
            page.locator('[data-edge][data-source="approved"]').first.wait_for()
            assert panel.get_by_role("button", name="Approve").count() == 0

            page.get_by_role("button", name="Log out").click()
            _login(page, live_api.base, "viewer")
            page.goto(f"{live_api.base}/#/table/{ids['mart.revenue']}")
            page.locator("[data-edge]").first.wait_for()
            page.locator("[data-edge]").first.click()
            page.get_by_test_id("edge-panel").wait_for()
            assert page.get_by_role("button", name="Approve").count() == 0
            page.get_by_role("link", name="Review queue").click()
            page.get_by_role("heading", name="Review queue").wait_for()
            assert page.get_by_role("checkbox").count() == 0  # a viewer decides nothing
        finally:
            browser.close()


def test_the_page_is_served_small_and_under_its_own_policy(live_api: LiveApi) -> None:
    assert (DIST / "index.html").is_file(), "the explorer is not built: run `make frontend`"
    page = httpx.get(live_api.base + "/")
    assert page.status_code == 200 and '<div id="root">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    total = 0
    for asset in sorted((DIST / "assets").iterdir()):
        answer = httpx.get(f"{live_api.base}/assets/{asset.name}")
        assert answer.status_code == 200
        total += len(__import__("gzip").compress(answer.content))
    assert total < 500_000, f"{total} bytes compressed"  # issue 18: under 500 kB
    assert httpx.get(live_api.base + "/docs").status_code == 200  # the API docs stay


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
