"""The demo catalog: a small retail company, loaded through the bulk import path.

`build_workbook` writes the workbook (sources, tables, fields, table_lineage and
field_lineage sheets); `load_demo` imports it with `run_import` exactly like an upload,
when the catalog is still empty. `make run` calls it on the first start; ARIADNE_DEMO=0
skips it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ariadne_core.config import Settings
from ariadne_core.db.engine import engine_for, session_scope
from ariadne_core.db.models import DataSource, UserRole
from ariadne_core.importing.service import ImportReport, run_import
from ariadne_core.importing.spec import SPECS
from ariadne_core.lineage.edges import Actor
from ariadne_core.security.secrets import keyring_for

log = logging.getLogger("ariadne.demo")

SOURCES = [
    ("shop", "Web shop and point-of-sale database (PostgreSQL)"),
    ("crm", "Customer relationship management system"),
    ("warehouse", "Analytics warehouse: staging, dimensions, facts and reports"),
]
OWNERS = {
    "shop": "ops-data@retail.example",
    "crm": "marketing-data@retail.example",
    "warehouse": "analytics@retail.example",
}
SHOP = [
    ("customers", "People who bought at least once", "pii", ["email", "full_name", "country"]),
    (
        "orders",
        "One row per order placed online or in a store",
        "finance",
        ["customer_id", "store_id", "amount", "status"],
    ),
    (
        "order_items",
        "Lines of an order",
        "finance",
        ["order_id", "product_id", "quantity", "amount"],
    ),
    ("products", "The product catalogue", "core", ["category_id", "supplier_id", "name", "price"]),
    ("categories", "Product categories", "core", ["name", "parent_id"]),
    ("inventory", "Stock per product and store", "core", ["product_id", "store_id", "quantity"]),
    ("stores", "Physical stores", "core", ["name", "city", "country"]),
    ("employees", "Store and office staff", "pii", ["store_id", "full_name", "role"]),
    ("payments", "Payments captured for orders", "finance", ["order_id", "amount", "method"]),
    ("shipments", "Parcels sent to customers", "core", ["order_id", "carrier", "status"]),
    ("returns", "Returned order lines", "finance", ["order_id", "product_id", "amount"]),
    ("promotions", "Discount campaigns", "marketing", ["name", "discount", "starts_on"]),
    ("suppliers", "Who we buy from", "core", ["name", "country"]),
    (
        "purchase_orders",
        "Orders we place with suppliers",
        "finance",
        ["supplier_id", "product_id", "quantity", "amount"],
    ),
    (
        "product_reviews",
        "Ratings left by customers",
        "marketing",
        ["customer_id", "product_id", "rating"],
    ),
    ("gift_cards", "Gift cards sold and redeemed", "finance", ["customer_id", "amount"]),
    ("loyalty_accounts", "Loyalty programme members", "marketing", ["customer_id", "points"]),
]
CRM = [
    ("contacts", "Marketing contacts", "pii", ["email", "full_name", "segment_id"]),
    ("accounts", "Business customers", "core", ["name", "country"]),
    ("campaigns", "Marketing campaigns", "marketing", ["name", "channel", "budget"]),
    (
        "campaign_members",
        "Contacts reached by a campaign",
        "marketing",
        ["campaign_id", "contact_id", "status"],
    ),
    ("opportunities", "Open sales opportunities", "finance", ["account_id", "amount", "stage"]),
    ("support_tickets", "Customer support cases", "core", ["contact_id", "status", "priority"]),
    (
        "email_events",
        "Opens and clicks of campaign e-mails",
        "marketing",
        ["campaign_id", "contact_id", "event"],
    ),
    ("surveys", "Satisfaction survey answers", "marketing", ["contact_id", "score"]),
]
# (warehouse table, schema, description, tags, upstream tables)
WAREHOUSE: list[tuple[str, str, str, str, list[str]]] = []
for _name, *_ in SHOP[:14]:
    WAREHOUSE.append(
        (
            f"stg_{_name}",
            "staging",
            f"Cleaned copy of shop.{_name}",
            "staging",
            [f"shop.public.{_name}"],
        )
    )
for _name, *_ in CRM[:5]:
    WAREHOUSE.append(
        (
            f"stg_crm_{_name}",
            "staging",
            f"Cleaned copy of crm.{_name}",
            "staging",
            [f"crm.main.{_name}"],
        )
    )
_S = "warehouse.staging."
_M = "warehouse.marts."
WAREHOUSE += [
    (
        "dim_customer",
        "marts",
        "One row per customer, web shop and CRM merged",
        "pii",
        [
            _S + "stg_customers",
            _S + "stg_orders",
            _S + "stg_crm_contacts",
            _S + "stg_crm_accounts",
        ],
    ),
    (
        "dim_product",
        "marts",
        "Products with category and supplier",
        "core",
        [_S + "stg_products", _S + "stg_categories", _S + "stg_suppliers"],
    ),
    (
        "dim_store",
        "marts",
        "Stores with their staff counts",
        "core",
        [_S + "stg_stores", _S + "stg_employees"],
    ),
    ("dim_date", "marts", "Calendar", "core", []),
    ("dim_employee", "marts", "Staff", "pii", [_S + "stg_employees", _S + "stg_stores"]),
    ("dim_supplier", "marts", "Suppliers", "core", [_S + "stg_suppliers"]),
    (
        "dim_campaign",
        "marts",
        "Marketing campaigns",
        "marketing",
        [_S + "stg_crm_campaigns", _S + "stg_promotions"],
    ),
    (
        "fct_orders",
        "marts",
        "Orders with customer, store and payment",
        "finance",
        [
            _S + "stg_orders",
            _S + "stg_payments",
            _M + "dim_customer",
            _M + "dim_store",
            _M + "dim_date",
            _S + "stg_promotions",
        ],
    ),
    (
        "fct_order_items",
        "marts",
        "Order lines with product",
        "finance",
        [_S + "stg_order_items", _S + "stg_orders", _M + "dim_product", _M + "dim_date"],
    ),
    (
        "fct_payments",
        "marts",
        "Payments",
        "finance",
        [_S + "stg_payments", _S + "stg_orders", _M + "dim_date"],
    ),
    (
        "fct_inventory_snapshot",
        "marts",
        "Daily stock per product and store",
        "core",
        [_S + "stg_inventory", _M + "dim_product", _M + "dim_store", _M + "dim_date"],
    ),
    (
        "fct_returns",
        "marts",
        "Returned lines",
        "finance",
        [_S + "stg_returns", _S + "stg_orders", _M + "dim_product", _M + "dim_customer"],
    ),
    (
        "fct_shipments",
        "marts",
        "Shipments and delivery times",
        "core",
        [_S + "stg_shipments", _S + "stg_orders", _M + "dim_date"],
    ),
    (
        "fct_campaign_touches",
        "marts",
        "Campaign contacts and responses",
        "marketing",
        [_S + "stg_crm_campaign_members", _M + "dim_campaign", _M + "dim_customer"],
    ),
    (
        "fct_purchases",
        "marts",
        "Purchase orders to suppliers",
        "finance",
        [_S + "stg_purchase_orders", _M + "dim_supplier", _M + "dim_product", _M + "dim_date"],
    ),
    (
        "fct_opportunities",
        "marts",
        "Sales pipeline",
        "finance",
        [_S + "stg_crm_opportunities", _M + "dim_customer", _M + "dim_date"],
    ),
    (
        "agg_daily_sales",
        "marts",
        "Revenue per day and store",
        "finance",
        [_M + "fct_orders", _M + "fct_order_items", _M + "dim_store", _M + "dim_date"],
    ),
    (
        "agg_monthly_revenue",
        "marts",
        "Revenue per month, net of returns",
        "finance",
        [_M + "agg_daily_sales", _M + "fct_returns", _M + "fct_payments"],
    ),
    (
        "agg_customer_ltv",
        "marts",
        "Lifetime value per customer",
        "finance",
        [_M + "fct_orders", _M + "fct_returns", _M + "dim_customer"],
    ),
    (
        "agg_product_performance",
        "marts",
        "Sales, returns and stock per product",
        "core",
        [
            _M + "fct_order_items",
            _M + "fct_returns",
            _M + "fct_inventory_snapshot",
            _M + "dim_product",
        ],
    ),
    (
        "agg_store_performance",
        "marts",
        "Sales and staff per store",
        "core",
        [_M + "agg_daily_sales", _M + "dim_store", _M + "dim_employee"],
    ),
    (
        "agg_campaign_results",
        "marts",
        "Orders attributed to campaigns",
        "marketing",
        [_M + "fct_campaign_touches", _M + "fct_orders", _M + "dim_campaign"],
    ),
    (
        "agg_supplier_costs",
        "marts",
        "Spend per supplier",
        "finance",
        [_M + "fct_purchases", _M + "dim_supplier"],
    ),
    (
        "rpt_executive_kpis",
        "reports",
        "The board's monthly KPI sheet",
        "finance",
        [
            _M + "agg_monthly_revenue",
            _M + "agg_customer_ltv",
            _M + "agg_store_performance",
            _M + "agg_supplier_costs",
        ],
    ),
    (
        "rpt_marketing_roi",
        "reports",
        "Return on marketing spend",
        "marketing",
        [_M + "agg_campaign_results", _M + "dim_campaign", _M + "agg_customer_ltv"],
    ),
    (
        "rpt_churn_risk",
        "reports",
        "Customers likely to leave",
        "pii",
        [_M + "agg_customer_ltv", _M + "fct_campaign_touches", _M + "fct_returns"],
    ),
    (
        "rpt_stock_alerts",
        "reports",
        "Products running out",
        "core",
        [_M + "agg_product_performance", _M + "fct_inventory_snapshot"],
    ),
]
# Reports and aggregates also read the calendar and the main dimensions.
for _name, _schema, _d, _t, _up in WAREHOUSE:
    if _name.startswith(("agg_", "rpt_", "fct_")):
        for _dim in ("dim_date", "dim_customer", "dim_product"):
            if _M + _dim not in _up and _name != _dim:
                _up.append(_M + _dim)

# The warehouse's ETL scripts (ariadne_core/demo_etl): lineage inference reads them on the
# first start and proposes what they imply, for a steward to review.
ETL_SCRIPTS = Path(__file__).parent / "demo_etl"


def _entity(table: str) -> str:
    for prefix in ("stg_crm_", "stg_", "dim_", "fct_", "agg_", "rpt_"):
        if table.startswith(prefix):
            table = table[len(prefix) :]
    return table[:-1] if table.endswith("s") else table


def workbook_rows() -> dict[str, list[dict[str, Any]]]:
    sources = [
        {"name": n, "type": "manual", "description": d, "is_active": "true"} for n, d in SOURCES
    ]
    tables: list[dict[str, Any]] = []
    columns: dict[str, list[str]] = {}
    for source, schema, items in (("shop", "public", SHOP), ("crm", "main", CRM)):
        for name, description, tag, cols in items:
            tables.append(
                {
                    "source": source,
                    "schema": schema,
                    "name": name,
                    "description": description,
                    "owner": OWNERS[source],
                    "tags": tag,
                }
            )
            columns[f"{source}.{schema}.{name}"] = ["id", *cols, "updated_at"]
    edges: list[tuple[str, str]] = []
    for name, schema, description, tag, upstream in WAREHOUSE:
        tables.append(
            {
                "source": "warehouse",
                "schema": schema,
                "name": name,
                "type": "view" if schema == "reports" else "table",
                "description": description,
                "owner": OWNERS["warehouse"],
                "tags": tag,
            }
        )
        target = f"warehouse.{schema}.{name}"
        cols = ["id"] + [f"{_entity(u.rsplit('.', 1)[1])}_id" for u in upstream]
        columns[target] = list(dict.fromkeys([*cols, "amount", "loaded_at"]))
        edges += [(u, target) for u in upstream]
    fields = [
        {
            "table": table,
            "name": col,
            "position": str(i),
            "data_type": "bigint"
            if col == "id" or col.endswith("_id")
            else ("numeric(12,2)" if col in ("amount", "price", "budget", "discount") else "text"),
            "nullable": "false" if col == "id" else "true",
            "primary_key": "true" if col == "id" else "false",
        }
        for table, cols in columns.items()
        for i, col in enumerate(cols, start=1)
    ]
    table_lineage = [
        {
            "source_table": s,
            "target_table": t,
            "transformation_type": "copy"
            if ".staging." in t
            else ("aggregate" if ".agg_" in t else "join"),
            "lineage_source": "manual",
        }
        for s, t in edges
    ]
    field_lineage = []
    for s, t in edges:
        key = f"{_entity(s.rsplit('.', 1)[1])}_id"
        if key in columns[t]:
            field_lineage.append(
                {
                    "source_field": f"{s}.id",
                    "target_field": f"{t}.{key}",
                    "transformation_type": "copy",
                }
            )
        if "amount" in columns[s]:
            field_lineage.append(
                {
                    "source_field": f"{s}.amount",
                    "target_field": f"{t}.amount",
                    "transformation_type": "sum" if ".agg_" in t else "copy",
                }
            )
    return {
        "sources": sources,
        "tables": tables,
        "fields": fields,
        "table_lineage": table_lineage,
        "field_lineage": field_lineage,
    }


def build_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for import_type, rows in workbook_rows().items():
        sheet = workbook.create_sheet(import_type)
        names = SPECS[import_type].names
        sheet.append(names)
        for row in rows:
            sheet.append([row.get(n) for n in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def load_demo(url: str, settings: Settings) -> ImportReport | None:
    """Import the demo workbook when the catalog has no sources yet; None when skipped."""
    engine = engine_for(url)
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(DataSource)):
            return None
        path = build_workbook(Path(settings.home) / "demo" / "retail-demo.xlsx")
        report = run_import(
            session,
            path,
            file_name=path.name,
            import_type="workbook",
            actor=Actor(settings.admin_email, UserRole.ADMIN),
            keyring=keyring_for(settings),
            commit=True,
        )
    if not report.committed:
        problems = "; ".join(p.message for p in report.all_problems()[:5])
        log.error("the demo workbook did not import: %s", problems)
    else:
        if settings.inference:
            infer_etl_scripts(url, settings)
        observe_demo_runs(url, settings)
    return report


def infer_etl_scripts(url: str, settings: Settings) -> int:
    """Fill the review queue from the demo's ETL scripts through the inference engine;
    returns how many edges it proposed."""
    from ariadne_core.inference.service import infer_text

    proposed = 0
    actor = Actor(settings.admin_email, UserRole.ADMIN)
    with session_scope(engine_for(url)) as session:
        for script in sorted(ETL_SCRIPTS.glob("*.sql")):
            outcome = infer_text(
                session,
                script.read_text(),
                dialect="postgres",
                submit=True,
                label=f"demo_etl/{script.name}",
                actor=actor,
            )
            assert outcome.written is not None
            proposed += outcome.written.created
            for statement in outcome.lineage.errors:
                log.warning("%s line %s: %s", script.name, statement.line, statement.error)
    return proposed


DEMO_JOB_NAMESPACE = "demo-scheduler"
DEMO_PRODUCER = "https://github.com/ariadne/demo/observed-runs"


def demo_run_events(session: Any, *, days: int = 3, now: Any = None) -> list[dict[str, Any]]:
    """A few days of nightly runs of the warehouse's three busiest loads, as OpenLineage
    RunEvents in the `ariadne` namespace: each load reads all but one of the tables
    declared upstream of its target (that edge shows as unobserved) and one table nobody
    declared (undeclared); the rest is confirmed."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    targets = session.execute(
        text(
            "SELECT t.id, t.qualified_name, array_agg(s.qualified_name ORDER BY s.qualified_name) "
            "AS sources FROM table_lineage e JOIN metadata_tables t ON t.id = e.target_table_id "
            "JOIN metadata_tables s ON s.id = e.source_table_id WHERE e.lineage_source IN "
            "('manual', 'approved') AND t.qualified_name LIKE 'warehouse.%' GROUP BY t.id, "
            "t.qualified_name HAVING count(*) >= 3 ORDER BY count(*) DESC, t.qualified_name "
            "LIMIT 3"
        )
    ).all()
    extra = [
        r[0]
        for r in session.execute(
            text(
                "SELECT qualified_name FROM metadata_tables WHERE qualified_name LIKE 'shop.%' "
                "AND NOT is_deleted ORDER BY qualified_name DESC LIMIT 3"
            )
        )
    ]
    events = []
    for i, (_, target, sources) in enumerate(targets):
        undeclared = next((x for x in extra[i:] + extra if x not in sources), None)
        reads = list(sources[:-1]) + ([undeclared] if undeclared else [])
        for day in range(days, 0, -1):
            started = now - timedelta(days=day, hours=-2 - i)
            run = {"runId": str(uuid.uuid4())}
            for kind, at in (("START", started), ("COMPLETE", started + timedelta(minutes=7))):
                events.append(
                    {
                        "eventType": kind,
                        "eventTime": at.isoformat(),
                        "producer": DEMO_PRODUCER,
                        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                        "run": run,
                        "job": {
                            "namespace": DEMO_JOB_NAMESPACE,
                            "name": f"load_{target.split('.')[-1]}",
                        },
                        "inputs": [{"namespace": "ariadne", "name": n} for n in reads],
                        "outputs": [{"namespace": "ariadne", "name": target}],
                    }
                )
    return events


def observe_demo_runs(url: str, settings: Settings) -> int:
    """Store and process the demo's observed runs, so the verification shows confirmed,
    unobserved and undeclared edges; returns how many events were stored."""
    import json

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from ariadne_core.observed.process import drain

    engine = engine_for(url)
    with session_scope(engine) as session:
        events = demo_run_events(session)
        session.execute(
            text(
                "INSERT INTO openlineage_events (submitted_by, event) SELECT 'demo', "
                "CAST(e AS jsonb) FROM unnest(CAST(:e AS text[])) AS e"
            ),
            {"e": [json.dumps(e) for e in events]},
        )
    drain(lambda: Session(engine), keyring_for(settings))
    return len(events)
