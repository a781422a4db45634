"""Committing imports: modes, idempotence, replace, precedence, audit and the graph preview."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    EdgeOrigin,
    LineageAction,
    LineageAuditEvent,
    LineageSource,
    LineageStatus,
    TableLineage,
)
from ariadne_core.lineage.edges import EdgeInput, Endpoint, decide, declare_table_edge
from tests.importing.conftest import EDITOR, STEWARD, ImportFn, codes

HEADER = "source_table,target_table,lineage_source,confidence\n"
ORD, C, ITEMS = "sales.public.orders", "sales.public.customers", "sales.public.order_items"
R, L = "dw.marts.daily_revenue", "dw.marts.customer_ltv"


def _edges(session: Session) -> dict[tuple[str, str], TableLineage]:
    from ariadne_core.db.models import MetadataTable

    names = dict(session.execute(select(MetadataTable.id, MetadataTable.qualified_name)).all())
    return {
        (names[e.source_table_id], names[e.target_table_id]): e
        for e in session.scalars(select(TableLineage))
    }


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = HEADER + f"{ORD},{R},,\n{C},{L},,\n{C},sales.public.nowhere,,\n"
    report = do_import(content, "l.csv", "table_lineage", commit=True)
    assert not report.committed
    assert _edges(db_session) == {}


def test_skip_errors_writes_exactly_the_valid_rows(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = HEADER + f"{ORD},{R},,\n{C},{L},,2\n{C},sales.public.nowhere,,\n{ITEMS},{R},,0.7\n"
    report = do_import(content, "l.csv", "table_lineage", commit=True, mode="skip_errors")
    assert report.committed
    assert codes(report) == [(3, "BAD_CONFIDENCE"), (4, "TABLE_NOT_FOUND")]
    edges = _edges(db_session)
    assert set(edges) == {(ORD, R), (ITEMS, R)}
    assert edges[(ITEMS, R)].confidence == 0.7 and edges[(ORD, R)].confidence == 1.0
    assert edges[(ORD, R)].lineage_source is LineageSource.MANUAL
    assert edges[(ORD, R)].status is LineageStatus.ACTIVE
    events = db_session.scalars(select(LineageAuditEvent)).all()
    assert sorted(e.action.value for e in events) == ["create", "create"]
    assert all(e.actor == EDITOR.email and e.comment == "imported from l.csv" for e in events)


def test_reimporting_the_same_file_changes_nothing(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    content = HEADER + f"{ORD},{R},,\n{C},{L},inferred,0.6\n"
    do_import(content, "l.csv", "table_lineage", commit=True)
    events = db_session.scalar(select(func.count()).select_from(LineageAuditEvent))
    again = do_import(content, "l.csv", "table_lineage", commit=True)
    assert again.committed
    assert again.counts()["unchanged"] == 2 and again.counts()["create"] == 0
    assert db_session.scalar(select(func.count()).select_from(LineageAuditEvent)) == events


def test_manual_row_upgrades_inferred_and_keeps_origin(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(HEADER + f"{ORD},{R},inferred,0.5\n", "scan.csv", "table_lineage", commit=True)
    preview = do_import(HEADER + f"{ORD},{R},manual,\n", "people.csv", "table_lineage")
    assert preview.sheets[0].statuses == {2: "update"}
    assert preview.graph.attribution_changes == 1 and preview.graph.table_edges_added == 0
    do_import(HEADER + f"{ORD},{R},manual,\n", "people.csv", "table_lineage", commit=True)
    edge = _edges(db_session)[(ORD, R)]
    assert edge.lineage_source is LineageSource.MANUAL and edge.origin is EdgeOrigin.INFERRED
    assert edge.status is LineageStatus.ACTIVE and edge.confidence == 1.0
    last = db_session.scalars(
        select(LineageAuditEvent).order_by(LineageAuditEvent.id.desc())
    ).first()
    assert last is not None and last.action is LineageAction.UPGRADE
    assert last.before["lineage_source"] == "inferred" and last.after["lineage_source"] == "manual"


def test_inferred_rows_never_override_manual_or_approved(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(
        HEADER + f"{ORD},{R},manual,\n{C},{L},approved,\n",
        "l.csv",
        "table_lineage",
        commit=True,
        actor=STEWARD,
    )
    report = do_import(
        HEADER + f"{ORD},{R},inferred,0.3\n{C},{L},inferred,0.2\n",
        "scan.csv",
        "table_lineage",
        commit=True,
    )
    assert report.committed
    assert codes(report) == [(2, "KEPT_STRONGER_ATTRIBUTION"), (3, "KEPT_STRONGER_ATTRIBUTION")]
    edges = _edges(db_session)
    assert edges[(ORD, R)].lineage_source is LineageSource.MANUAL
    assert edges[(ORD, R)].confidence == 1.0
    assert edges[(C, L)].lineage_source is LineageSource.APPROVED


def test_replace_deprecates_dropped_manual_edges_but_never_approved_ones(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(
        HEADER + f"{ORD},{R},,\n{C},{R},,\n{ITEMS},{R},approved,\n{ORD},{L},,\n",
        "v1.csv",
        "table_lineage",
        commit=True,
        actor=STEWARD,
    )
    report = do_import(
        HEADER + f"{ORD},{R},,\n", "v2.csv", "table_lineage", commit=True, replace=True
    )
    assert report.committed and report.graph.edges_deprecated == 1
    edges = _edges(db_session)
    assert edges[(C, R)].status is LineageStatus.DEPRECATED  # manual, no longer in the file
    assert edges[(ITEMS, R)].status is LineageStatus.ACTIVE  # approved: never removed this way
    assert edges[(ORD, L)].status is LineageStatus.ACTIVE  # another target: untouched
    assert edges[(ORD, R)].status is LineageStatus.ACTIVE


def test_rejected_edges_are_not_revived_by_a_file(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    declared = declare_table_edge(
        db_session, EdgeInput(Endpoint(name=ORD), Endpoint(name=R)), EDITOR
    ).edge
    decide(db_session, declared.id, approved=False, comment="wrong", actor=STEWARD)
    report = do_import(HEADER + f"{ORD},{R},,\n", "l.csv", "table_lineage", commit=True)
    assert codes(report) == [(2, "LINEAGE_REJECTED")]
    assert "Ask a data steward to re-open it" in report.all_problems()[0].hint
    field_report = do_import(
        f"source_field,target_field\n{ORD}.amount,{R}.amount\n", "f.csv", "field_lineage"
    )
    assert codes(field_report) == [(2, "TABLE_EDGE_REJECTED")]


def test_cycles_are_warned_about_and_named(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(HEADER + f"{ORD},{R},,\n{R},{L},,\n", "a.csv", "table_lineage", commit=True)
    report = do_import(HEADER + f"{L},{ORD},,\n", "b.csv", "table_lineage", commit=True)
    assert report.committed  # a warning does not block
    assert codes(report) == [(2, "CYCLE_CREATED")]
    warning = report.all_problems()[0]
    assert warning.severity == "warning"
    assert warning.message == (f"Row 2: this lineage closes a loop: {L} → {ORD} → {R} → {L}.")
    assert report.graph.cycles_created == 1


def test_preview_reports_how_far_tables_newly_reach(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(HEADER + f"{R},{L},,\n", "a.csv", "table_lineage", commit=True)
    report = do_import(HEADER + f"{ORD},{R},,\n{C},{ORD},,\n", "b.csv", "table_lineage")
    affected = {a["table"]: a["newly_reached_tables"] for a in report.graph.most_affected}
    assert affected == {ORD: 2, C: 3}
    assert report.graph.as_dict()["edges_added"] == 2
    assert _edges(db_session).keys() == {(R, L)}  # the preview wrote nothing


def test_export_of_approved_edges_imports_back_for_an_editor(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    do_import(
        HEADER + f"{ORD},{R},approved,\n", "a.csv", "table_lineage", commit=True, actor=STEWARD
    )
    report = do_import(HEADER + f"{ORD},{R},approved,1.0\n", "a.csv", "table_lineage")
    assert report.valid and report.sheets[0].statuses == {2: "unchanged"}


def test_rules_hold_across_chunks(
    db_session: Session,
    catalog: dict[str, Any],
    do_import: ImportFn,
    monkeypatch: Any,
) -> None:
    """Rows are read a chunk at a time; duplicates, replace and statuses span chunks."""
    from ariadne_core.importing import engine

    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    do_import(HEADER + f"{C},{R},,\n", "v1.csv", "table_lineage", commit=True)
    content = HEADER + f"{ORD},{R},,\n{ITEMS},{R},,\nbad,{R},,\n{ORD},{R},,\n{ORD},{L},,\n"
    report = do_import(
        content, "v2.csv", "table_lineage", commit=True, mode="skip_errors", replace=True
    )
    assert codes(report) == [(4, "BAD_TABLE_NAME"), (5, "DUPLICATE_ROW")]
    assert report.sheets[0].statuses == {
        2: "create",
        3: "create",
        4: "error",
        5: "error",
        6: "create",
    }
    edges = _edges(db_session)
    assert edges[(C, R)].status is LineageStatus.DEPRECATED
    assert {k for k, e in edges.items() if e.status is LineageStatus.ACTIVE} == {
        (ORD, R),
        (ITEMS, R),
        (ORD, L),
    }


def test_preview_and_commit_report_the_same(
    db_session: Session, catalog: dict[str, Any], do_import: ImportFn
) -> None:
    import json

    do_import(HEADER + f"{C},{R},,\n", "v1.csv", "table_lineage", commit=True)
    workbook = json.dumps(
        {
            "table_lineage": [{"from": ORD, "to": R}, {"from": R, "to": L}, {"from": L, "to": ORD}],
            "field_lineage": [
                {"from": f"{ORD}.amount", "to": f"{R}.amount"},
                {"from": f"{ITEMS}.amount", "to": f"{L}.amount"},
            ],
        }
    )
    preview = do_import(workbook, "w.json", "workbook", replace=True)
    committed = do_import(workbook, "w.json", "workbook", replace=True, commit=True)
    assert committed.committed
    assert preview.counts() == committed.counts()
    assert preview.graph.as_dict() == committed.graph.as_dict()
    assert preview.graph.edges_deprecated == 1  # C → R is no longer in the file
    assert preview.graph.table_edges_added_for_field_edges == 1  # ITEMS → L only
    assert [p.code for p in preview.all_problems()] == ["CYCLE_CREATED"]
