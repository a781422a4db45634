"""The `datahub_lineage` import type: DataHub's file-based lineage YAML, mapped to the
catalog by platform and name, problems on the line to fix, through the usual path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import FieldLineage, LineageSource, MetadataField, MetadataTable
from ariadne_core.importing.report import write_error_report
from tests.importing.conftest import ImportFn, codes
from tests.importing.test_execute import _edges


def _urn(platform: str, name: str, field: str) -> str:
    return (
        f"urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:{platform},{name},PROD),{field})"
    )


LINEAGE = f"""\
version: 1
lineage:
  - entity:
      name: marts.daily_revenue
      type: dataset
      platform: postgres
      platform_instance: dw
      env: PROD
    upstream:
      - entity:
          name: sales.public.orders
          type: dataset
          platform: mysql
      - entity:
          name: public.order_items
          type: dataset
          platform: postgres
          platform_instance: sales
        upstream:
          - entity:
              name: public.customers
              type: dataset
              platform: kafka
              platform_instance: sales
      - entity:
          name: ANALYTICS.RAW.NOWHERE
          type: dataset
          platform: snowflake
    fineGrainedLineages:
      - upstreamType: FIELD_SET
        upstreams:
          - {_urn("postgres", "sales.public.orders", "amount")}
          - {_urn("postgres", "sales.public.order_items", "[version=2.0].[type=double].amount")}
        downstreamType: FIELD
        downstreams:
          - {_urn("postgres", "dw.marts.daily_revenue", "amount")}
        transformOperation: SUM
        confidenceScore: 0.9
      - upstreamType: DATASET
        upstreams:
          - urn:li:dataset:(urn:li:dataPlatform:postgres,sales.public.orders,PROD)
        downstreams:
          - {_urn("postgres", "dw.marts.daily_revenue", "id")}
      - upstreams:
          - not-an-urn
        downstreams:
          - {_urn("postgres", "dw.marts.daily_revenue", "id")}
"""


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_datahub_lineage_file_is_previewed_and_imported(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn, tmp_path: Path
) -> None:
    preview = do_import(LINEAGE, "lineage.yml", "datahub_lineage")
    assert preview.format == "datahub" and not preview.valid
    found = codes(preview)
    assert (_line(LINEAGE, "ANALYTICS.RAW.NOWHERE"), "DH_DATASET_UNMATCHED") in found
    assert (_line(LINEAGE, "not-an-urn"), "DH_BAD_URN") in found
    dataset_urn = _line(LINEAGE, "- urn:li:dataset:(")
    assert (dataset_urn, "DH_NOT_A_FIELD") in found
    unmatched = next(p for p in preview.all_problems() if p.code == "DH_DATASET_UNMATCHED")
    assert "snowflake ANALYTICS.RAW.NOWHERE" in unmatched.message
    assert unmatched.message.startswith(f"Line {unmatched.row}: ")
    # orders, order_items and (nested) customers -> order_items; one field line of 2 edges
    assert preview.graph.table_edges_added == 3
    assert preview.graph.field_edges_added == 2
    assert _edges(db_session) == {}  # a preview writes nothing

    report = do_import(LINEAGE, "lineage.yml", "datahub_lineage", commit=True, mode="skip_errors")
    assert report.committed
    edges = _edges(db_session)
    assert set(edges) == {
        ("sales.public.orders", "dw.marts.daily_revenue"),
        ("sales.public.order_items", "dw.marts.daily_revenue"),
        ("sales.public.customers", "sales.public.order_items"),
    }
    assert all(e.lineage_source is LineageSource.MANUAL for e in edges.values())
    names = dict(db_session.execute(select(MetadataField.id, MetadataField.qualified_name)).all())
    fields = {
        (names[f.source_field_id], names[f.target_field_id]): f
        for f in db_session.scalars(select(FieldLineage))
    }
    assert set(fields) == {
        ("sales.public.orders.amount", "dw.marts.daily_revenue.amount"),
        ("sales.public.order_items.amount", "dw.marts.daily_revenue.amount"),
    }
    edge = fields[("sales.public.orders.amount", "dw.marts.daily_revenue.amount")]
    assert edge.transformation_type == "SUM" and edge.confidence == 0.9

    # the error report is the file, a comment above each line to fix
    source = tmp_path / "lineage.yml"
    out = write_error_report(source, tmp_path / "errors.yml", "datahub", report.all_problems(), {})
    lines = out.read_text().splitlines()
    marked = lines.index(next(x for x in lines if x.strip() == "name: ANALYTICS.RAW.NOWHERE"))
    assert lines[marked - 1].strip().startswith("# ariadne: Line")
    assert "matches no table" in lines[marked - 1]


def test_a_line_whose_dataset_is_in_two_sources_is_an_error(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    from ariadne_core.catalog.tables import TableInput, create_table

    create_table(  # a second public.orders, in dw
        db_session,
        TableInput(source_id=catalog["dw"].id, schema_name="public", name="orders"),
        "seed",
    )
    db_session.flush()
    text = """\
lineage:
  - entity: {name: marts.customer_ltv, platform: postgres, platform_instance: dw}
    upstream:
      - entity: {name: warehouse.public.orders, platform: manual}
"""
    # platform "manual" is no platform of Ariadne's, and no source is named so
    report = do_import(text, "l.yaml", "datahub_lineage")
    assert codes(report) == [(4, "DH_DATASET_UNMATCHED")]
    # the platform names source sales, the name's first part source dw: both have it
    ambiguous = text.replace(
        "{name: warehouse.public.orders, platform: manual}",
        "{name: dw.public.orders, platform: sales}",
    )
    report = do_import(ambiguous, "l.yaml", "datahub_lineage")
    assert codes(report) == [(4, "DH_DATASET_AMBIGUOUS")]
    assert "dw.public.orders, sales.public.orders" in report.all_problems()[0].message
    two = "\n".join(
        [
            "lineage:",
            "  - entity: {name: marts.customer_ltv, platform: x, platform_instance: dw}",
            "    upstream:",
            "      - entity: {name: public.orders, platform: dw}",
            "      - entity: {name: nowhere.public.orders, platform: sales}",
        ]
    )
    report = do_import(two, "l.yaml", "datahub_lineage", commit=True, mode="skip_errors")
    assert codes(report) == []  # each names its source: dw, then sales by the platform
    assert ("dw.public.orders", "dw.marts.customer_ltv") in _edges(db_session)
    assert ("sales.public.orders", "dw.marts.customer_ltv") in _edges(db_session)
    tables = db_session.scalars(select(MetadataTable.qualified_name)).all()
    assert "dw.public.orders" in tables


def test_files_that_are_not_datahub_lineage_are_refused_plainly(
    catalog: dict[str, Any], do_import: ImportFn
) -> None:
    cases = {
        "version: 2\nlineage: []\n": "DH_VERSION",
        "sources:\n  - name: x\n": "DH_NOT_LINEAGE_FILE",
        "lineage:\n  - entity: {name: a, platform: postgres}\n": "DH_NOTHING",
        "lineage: [\n": "FILE_UNREADABLE",
    }
    for text, code in cases.items():
        report = do_import(text, "l.yml", "datahub_lineage")
        assert [p.code for p in report.problems] == [code], text
        assert not report.committed
    wrong = do_import("a,b\n", "l.csv", "datahub_lineage")
    assert [p.code for p in wrong.problems] == ["DH_WRONG_FILE"]
    kinds = do_import(
        "lineage:\n  - entity: {name: a, platform: postgres, type: chart}\n"
        "    upstream:\n      - entity: {platform: postgres}\n",
        "l.yml",
        "datahub_lineage",
    )
    assert codes(kinds) == [(2, "DH_ENTITY_TYPE"), (4, "DH_ENTRY_INVALID")]


def test_the_datahub_template_is_an_example_that_imports(
    client: Any,
    auth_headers: Any,
    db_session: Session,
    catalog: dict[str, Any],
    do_import: ImportFn,
    keyring: Any,
) -> None:
    resp = client.get("/api/v1/import/templates/datahub_lineage", headers=auth_headers("viewer"))
    assert resp.status_code == 200 and resp.text.startswith("# A DataHub lineage file")
    # the example is written on the template's names: sales.public.orders -> warehouse...
    from ariadne_core.catalog.sources import SourceInput, create_source
    from ariadne_core.catalog.tables import TableInput, create_table
    from ariadne_core.db.models import SourceType

    warehouse = create_source(
        db_session,
        keyring,
        SourceInput(name="warehouse", type=SourceType.MANUAL),
        "seed",
    )
    table = create_table(
        db_session,
        TableInput(source_id=warehouse.id, schema_name="marts", name="daily_revenue"),
        "seed",
    )
    from ariadne_core.catalog.fields import FieldInput, create_field

    create_field(db_session, FieldInput(table_id=table.id, name="revenue"), "seed")
    db_session.flush()
    report = do_import(resp.text, "example.yml", "datahub_lineage")
    assert report.valid, codes(report)
    assert report.graph.table_edges_added == 1 and report.graph.field_edges_added == 1
    for kind in ("dbt", "sql", "openlineage"):
        refused = client.get(f"/api/v1/import/templates/{kind}", headers=auth_headers("viewer"))
        assert refused.status_code == 422 and "no template" in refused.text
