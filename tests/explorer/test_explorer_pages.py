"""The explorer's other pages in Debian's Chromium, on a running API over the real stores:
impact with its CSV, an import previewed with errors then run and its error report
downloaded, sources linked to their syncs, a 500-node graph paged with the API's cursor
("show 200 more": the node budget is 200 here), a hub's leaves grouped, a node expanded
and collapsed, keyboard navigation, and axe-core on every page."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ariadne_api.explorer import DIST
from ariadne_core.config import Settings
from tests.explorer.test_explorer_browser import ARTEFACTS, _login, _seed
from tests.integration.dagster_ui import CHROMIUM, FLAGS
from tests.observed.conftest import LiveApi

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
BUDGET = 200


@pytest.fixture
def live_settings(live_settings: Settings) -> Settings:
    """The node budget at 200, so a 500-node walk comes in three pages."""
    return live_settings.model_copy(update={"lineage_node_budget": BUDGET})


def _import(api: LiveApi, import_type: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    started = httpx.post(
        api.api("/import/execute"),
        headers=api.headers("admin"),
        files={"file": (f"{import_type}.csv", out.getvalue().encode(), "text/csv")},
        data={"import_type": import_type},
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while True:
        job = httpx.get(
            api.api(f"/import/jobs/{started.json()['job_id']}"), headers=api.headers("admin")
        ).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            assert job["status"] == "succeeded", job
            return dict(job)
        time.sleep(0.1)


def _seed_big(api: LiveApi) -> dict[str, str]:
    """big.root -> 10 tables -> 70 -> 420 (501 tables, none with more than 10 leaves), and
    hub.center -> 30 leaves (a hub)."""
    source = httpx.post(
        api.api("/sources"), headers=api.headers("admin"), json={"name": "wide", "type": "manual"}
    )
    assert source.status_code == 201, source.text
    tables, edges = ["big.root", "hub.center"], []
    for a in range(10):
        tables.append(f"big.a{a}")
        edges.append(("big.root", f"big.a{a}"))
        for b in range(7):
            tables.append(f"big.b{a}_{b}")
            edges.append((f"big.a{a}", f"big.b{a}_{b}"))
            for c in range(6):
                tables.append(f"big.c{a}_{b}_{c}")
                edges.append((f"big.b{a}_{b}", f"big.c{a}_{b}_{c}"))
    for leaf in range(30):
        tables.append(f"hub.leaf{leaf:02}")
        edges.append(("hub.center", f"hub.leaf{leaf:02}"))
    _import(
        api,
        "tables",
        [{"source": "wide", "schema": t.split(".")[0], "name": t.split(".")[1]} for t in tables],
    )
    _import(
        api,
        "table_lineage",
        [{"source_table": f"wide.{a}", "target_table": f"wide.{b}"} for a, b in edges],
    )
    found = {}
    for name in ("big.root", "hub.center"):
        page = httpx.get(
            api.api("/tables"), headers=api.headers("viewer"), params={"search": name.split(".")[1]}
        ).json()
        found[name] = next(t["id"] for t in page["items"] if t["qualified_name"] == f"wide.{name}")
    return found


def _seed_schema_change(api: LiveApi, ids: dict[str, str]) -> None:
    """A sync saw stage.orders.amount dropped: the event as a harvest records it, its impact
    computed by the same processing the pipeline runs."""
    from sqlalchemy.orm import Session

    from ariadne_core.db.engine import engine_for
    from ariadne_core.db.models import SchemaChangeEvent
    from ariadne_core.schema_changes.process import process_pending

    engine = engine_for(api.url)
    try:
        with Session(engine) as session:
            table = httpx.get(
                api.api(f"/tables/{ids['stage.orders']}"), headers=api.headers("viewer")
            ).json()
            session.add(
                SchemaChangeEvent(
                    source_id=uuid.UUID(table["source_id"]),
                    sync_id=uuid.uuid4(),
                    table_id=uuid.UUID(ids["stage.orders"]),
                    field_id=uuid.UUID(ids["stage.orders.amount"]),
                    table_name=table["qualified_name"],
                    field_name="amount",
                    change_type="field_dropped",
                    severity="breaking",
                )
            )
            session.flush()
            assert process_pending(session, api.settings).events == 1
            session.commit()
    finally:
        engine.dispose()


def _axe(page: Any, where: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["name"] == "axe-core" and result["passes"], result.keys()
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def browser() -> Iterator[Any]:
    assert (DIST / "index.html").is_file(), "the explorer is not built: run `make frontend`"
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def test_impact_import_and_sources(live_api: LiveApi, browser: Any) -> None:
    from playwright.sync_api import expect

    ids = _seed(live_api)
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    _login(page, live_api.base, "steward")

    # Hybrid search from the box: a typo still finds the table (no embeddings are built
    # here, so this is the lexical half answering through mode=hybrid)
    page.get_by_label("Also by meaning").check()
    with page.expect_request(lambda r: "mode=hybrid" in r.url):
        page.get_by_label("Search tables and fields").fill("revnue")
    expect(page.get_by_role("link", name="table shop.mart.revenue")).to_be_visible()

    # Impact: what breaks if stage.orders is dropped, with a CSV a spreadsheet opens
    page.goto(f"{live_api.base}/#/table/{ids['stage.orders']}")
    page.get_by_role("link", name="What breaks if I change this table?").click()
    page.get_by_role("heading", name="Impact of a change").wait_for()
    page.get_by_label("Change").select_option("drop")
    page.get_by_role("button", name="What breaks?").click()
    summary = page.get_by_test_id("impact-summary")
    expect(summary).to_contain_text("2 tables")  # mart.revenue, then report.daily
    expect(page.get_by_role("link", name="shop.report.daily")).to_be_visible()
    expect(page.get_by_text("finance@example.com").first).to_be_visible()
    page.screenshot(path=str(ARTEFACTS / "impact.png"))
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    tables = {r["qualified_name"]: r for r in rows if r["type"] == "table"}
    assert set(tables) == {"shop.mart.revenue", "shop.report.daily"}
    assert tables["shop.report.daily"]["distance"] == "2"
    assert tables["shop.report.daily"]["path"].startswith("shop.stage.orders > shop.mart.revenue")

    # Import: a file with one bad row, previewed, then run skipping it; the report names it
    bad = "source_table,target_table\nshop.raw.orders,shop.report.daily\nshop.raw.nowhere,shop.mart.revenue\n"
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Type", exact=True).select_option("table_lineage")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "edges.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("preview")
    preview.wait_for()
    problems = page.get_by_role("table", name="Problems")
    expect(problems).to_contain_text("shop.raw.nowhere")
    first_cell = problems.locator("tbody tr td").first.inner_text()
    assert first_cell.strip().endswith("3"), first_cell  # the row as the file counts it
    expect(preview).to_contain_text("1 table edges")
    page.screenshot(path=str(ARTEFACTS / "import-preview.png"), full_page=True)
    page.get_by_label("Skip errors").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=30_000)
    expect(page.get_by_test_id("counts")).to_contain_text("create")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the error report").click()
    report = Path(info.value.path()).read_text()
    assert "shop.raw.nowhere" in report and "error" in report.splitlines()[0]
    edges = httpx.get(
        live_api.api(f"/lineage/table/{ids['raw.orders']}/downstream"),
        headers=live_api.headers("viewer"),
    ).json()
    assert {n["qualified_name"] for n in edges["nodes"]} >= {
        "shop.report.daily"
    }  # the good row landed

    # Sources: each with its syncs (none for a manual source)
    page.get_by_role("link", name="Sources", exact=True).click()
    expect(page.get_by_role("link", name="shop", exact=True)).to_be_visible()
    expect(page.get_by_text("Never synced.")).to_be_visible()

    # The review queue by owner: the inferred edge into finance's tables, nothing for others
    page.get_by_role("link", name="Review queue", exact=True).click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("shop.stage.customers")
    page.get_by_label("Owner").fill("nobody@example.com")
    expect(rows).to_have_count(0)
    page.get_by_label("Owner").fill("finance@example.com")
    expect(rows.first).to_contain_text("shop.stage.customers")
    page.screenshot(path=str(ARTEFACTS / "review-queue.png"))

    # Another steward decides first: the 409 is said in plain words, the queue reloads
    page.get_by_role("checkbox").first.check()
    first_id = httpx.get(
        live_api.api("/lineage/review"),
        headers=live_api.headers("viewer"),
        params={"owner": "finance@example.com"},
    ).json()["items"][0]["id"]
    taken = httpx.post(
        live_api.api("/lineage/review/decisions"),
        headers=live_api.headers("admin"),
        json={"ids": [first_id], "approved": True, "comment": "Checked first"},
    )
    assert taken.status_code == 200, taken.text
    page.get_by_label("Comment").fill("Looks right")
    page.get_by_role("button", name="Approve 1").click()
    expect(page.get_by_role("status")).to_contain_text("Another steward decided")
    expect(rows).to_have_count(1)  # the one decided by the other steward is gone

    # A token the API no longer accepts ends the session plainly
    page.evaluate("sessionStorage.setItem('ariadne.token', 'not.a.token')")
    page.get_by_role("link", name="Search", exact=True).click()
    page.get_by_label("Search tables and fields").fill("revenue")
    expect(page.get_by_text("Your session ended")).to_be_visible()
    _login(page, live_api.base, "steward")

    # A viewer may not import, and is told so
    page.get_by_role("button", name="Log out").click()
    _login(page, live_api.base, "viewer")
    page.goto(f"{live_api.base}/#/import")
    expect(page.get_by_text("cannot import")).to_be_visible()
    assert page.get_by_label("File", exact=True).count() == 0


def test_schema_changes_are_listed_with_their_impact_and_acknowledged(
    live_api: LiveApi, browser: Any
) -> None:
    from playwright.sync_api import expect

    ids = _seed(live_api)
    _seed_schema_change(live_api, ids)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _login(page, live_api.base, "viewer")
    page.get_by_role("link", name="Schema changes", exact=True).click()
    changes = page.get_by_role("table", name="Schema changes")
    row = changes.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("shop.stage.orders.amount")
    expect(row).to_contain_text("field dropped")
    expect(row).to_contain_text("finance@example.com")  # the owners it reaches
    breaks = int(row.locator("td").nth(4).inner_text().split()[0])
    assert breaks >= 2, breaks  # mart.revenue.amount, report.daily.amount
    assert page.get_by_role("button", name="Acknowledge").count() == 0  # a viewer

    page.get_by_role("button", name="Log out").click()
    _login(page, live_api.base, "editor")
    page.goto(f"{live_api.base}/#/changes")
    expect(row).to_have_count(1)
    page.screenshot(path=str(ARTEFACTS / "schema-changes.png"))
    page.get_by_label("Comment on shop.stage.orders.amount").fill("Report moved to net_amount")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Acknowledged")
    expect(row).to_have_count(0)  # no longer open
    page.get_by_label("Status").select_option("acknowledged")
    expect(row).to_contain_text("by editor@example.com")
    expect(row).to_contain_text("Report moved to net_amount")


def test_a_500_node_graph_pages_groups_hubs_and_stays_quick(
    live_api: LiveApi, browser: Any
) -> None:
    from playwright.sync_api import expect

    ids = _seed_big(live_api)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _login(page, live_api.base, "viewer")
    nodes = page.locator("[data-node]")

    # A hub's 30 leaves are one group until opened
    page.goto(f"{live_api.base}/#/table/{ids['hub.center']}")
    group = page.locator('[data-node^="group:"]')
    group.wait_for()
    assert nodes.count() == 2 and "30 tables in wide" in (group.get_attribute("aria-label") or "")
    group.click()
    expect(nodes).to_have_count(31)

    # 501 tables three levels down: the API's budget (200) pages them
    page.goto(f"{live_api.base}/#/table/{ids['big.root']}")
    nodes.first.wait_for()
    assert nodes.count() == 11
    a_node = page.locator('[data-node][aria-label^="wide.big.a0:"]')
    a_node.click()  # expand one level further around it
    expect(nodes).to_have_count(18)
    expect(a_node).to_have_attribute("aria-expanded", "true")
    a_node.click()  # and collapse it again
    expect(nodes).to_have_count(11)

    page.get_by_label("Depth").select_option("3")
    expect(nodes).to_have_count(BUDGET)
    more = page.get_by_role("button", name="Show 200 more")
    expect(page.get_by_text("200 of 501 tables downstream of wide.big.root drawn.")).to_be_visible()
    more.click()
    expect(nodes).to_have_count(2 * BUDGET)
    started = time.perf_counter()
    page.get_by_role("button", name="Show 101 more").click()
    expect(nodes).to_have_count(501)
    rendered_ms = 1000 * (time.perf_counter() - started)
    assert page.get_by_role("button", name="Show").count() == 0
    assert page.locator("[data-edge]").count() == 500

    pan_ms = page.evaluate(
        """async () => {
            const svg = document.querySelector('[data-testid="graph"]');
            const viewport = document.querySelector('[data-testid="viewport"]');
            const before = viewport.getAttribute('transform');
            const box = svg.getBoundingClientRect();
            const at = (x, y) => ({bubbles: true, clientX: box.x + x, clientY: box.y + y, pointerId: 1, isPrimary: true});
            const t0 = performance.now();
            svg.dispatchEvent(new PointerEvent('pointerdown', at(5, 5)));
            svg.dispatchEvent(new PointerEvent('pointermove', at(105, 45)));
            svg.dispatchEvent(new PointerEvent('pointerup', at(105, 45)));
            while (viewport.getAttribute('transform') === before) {
                await new Promise((done) => requestAnimationFrame(done));
                if (performance.now() - t0 > 5000) return -1;
            }
            await new Promise((done) => requestAnimationFrame(done));
            return performance.now() - t0;
        }"""
    )
    assert pan_ms >= 0, "the graph did not move"
    figures = {"nodes": 501, "render_last_page_ms": round(rendered_ms), "pan_ms": round(pan_ms)}
    print(f"explorer, 500-node graph: {figures}")
    (ARTEFACTS / "graph-500.json").write_text(json.dumps(figures))
    page.get_by_test_id("graph").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTEFACTS / "graph-500.png"))

    # the wheel zooms about the pointer and does not scroll the page
    viewport = page.get_by_test_id("viewport")
    before, scrolled = viewport.get_attribute("transform"), page.evaluate("window.scrollY")
    box = page.get_by_test_id("graph").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)
    expect(viewport).not_to_have_attribute("transform", before or "")
    assert "scale(0.9)" in (viewport.get_attribute("transform") or "")
    assert page.evaluate("window.scrollY") == scrolled

    # arrow keys past the visible part pan the graph to the focused node
    page.locator('[data-node][aria-label^="wide.big.root:"]').focus()
    page.keyboard.press("ArrowRight")
    for _ in range(4):
        page.keyboard.press("ArrowUp")
    focused = page.evaluate(
        """() => { const n = document.activeElement.getBoundingClientRect();
                   const g = document.querySelector('[data-testid="graph"]').getBoundingClientRect();
                   return [document.activeElement.getAttribute('aria-label'),
                           n.top >= g.top && n.bottom <= g.bottom]; }"""
    )
    assert focused[0].startswith("wide.big.a") and focused[1], focused
    fitted = page.get_by_test_id("viewport").get_attribute("transform")
    page.get_by_role("button", name="Fit").click()  # all 501 at once, small
    expect(page.get_by_test_id("viewport")).not_to_have_attribute("transform", fitted or "")


def test_keyboard_only_and_no_serious_accessibility_violations(
    live_api: LiveApi, browser: Any
) -> None:
    from playwright.sync_api import expect

    ids = _seed(live_api)
    # axe-core is injected as a script, which the page's own policy rightly forbids
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_api.base + "/")
    violations = _axe(page, "login")
    _login(page, live_api.base, "steward")
    violations += _axe(page, "search")

    # search, results and graph nodes by keyboard alone
    page.keyboard.type("revenue")
    page.get_by_role("link", name="table shop.mart.revenue").wait_for()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert "revenue" in focused, focused
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="shop.mart.revenue").wait_for()
    page.locator("[data-node]").first.wait_for()
    page.locator('[data-node][aria-label^="shop.mart.revenue:"]').focus()
    page.keyboard.press("ArrowRight")  # downstream: report.daily
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("shop.report.daily:"), focused
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # upstream of the table
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused.startswith(("shop.stage.orders:", "shop.stage.customers:")), focused
    page.keyboard.press("Enter")  # expand it
    expect(page.locator("[data-node][aria-expanded=true]")).to_have_count(1)
    # stage.orders has raw.orders upstream; stage.customers has nothing more
    expect(page.locator("[data-node]")).to_have_count(5 if "orders" in focused else 4)
    violations += _axe(page, "table")

    for route, heading in (
        (f"/impact/{ids['mart.revenue']}", "Impact of a change"),
        ("/review", "Review queue"),
        ("/import", "Import"),
        ("/sources", "Sources and syncs"),
        ("/changes", "Schema changes"),
    ):
        page.goto(f"{live_api.base}/#{route}")
        page.get_by_role("heading", name=heading).wait_for()
        if route.startswith("/impact"):
            page.get_by_role("button", name="What breaks?").click()
            page.get_by_test_id("impact-summary").wait_for()
        violations += _axe(page, route)
    assert not violations, "\n".join(violations)
    context.close()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
