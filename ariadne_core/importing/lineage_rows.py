"""Import handlers for table and field lineage: every row decided by the shared rules
(`lineage.edges.declaration_outcome`, roles included), written in bulk by
`lineage.bulk.EdgeWriter`; `replace=true` retires what a file no longer lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text

from ariadne_core.catalog.resolve import similar_qualified_names
from ariadne_core.db.models import (
    RETIRED,
    LineageSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    UserRole,
)
from ariadne_core.importing.engine import (
    STATUS_ERROR,
    Context,
    Record,
    SheetResult,
    Suggester,
    duplicate,
    role_word,
    writable,
)
from ariadne_core.importing.entities import find_tables
from ariadne_core.lineage.bulk import (
    FIELD_EDGES,
    TABLE_EDGES,
    EdgeKind,
    EdgePlan,
    EdgeWriter,
    existing_edges,
)
from ariadne_core.lineage.deprecation import deprecate_edges
from ariadne_core.lineage.edges import (
    EdgeInput,
    Endpoint,
    declaration_outcome,
)
from ariadne_core.security.roles import has_role

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


def _edge_input(record: Record, kind: EdgeKind) -> EdgeInput:
    confidence = record.get("confidence")
    return EdgeInput(
        source=Endpoint(name=record.get(kind.source_column)),
        target=Endpoint(name=record.get(kind.target_column)),
        transformation_type=record.get("transformation_type"),
        transformation_logic=record.get("transformation_logic"),
        lineage_source=LineageSource(record.get("lineage_source") or "manual"),
        confidence=None if confidence is None else float(confidence),
    )


def _decide(
    ctx: Context,
    result: SheetResult,
    plans: list[EdgePlan],
    existing: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]],
    names: Callable[[EdgePlan], tuple[str, str]],
) -> None:
    """Status of each lineage row from the shared declaration rule
    (`lineage.edges.declaration_outcome`), roles included: the API and the import refuse
    the same changes for the same reasons."""
    steward = has_role(ctx.actor.role, UserRole.STEWARD)
    for plan in plans:
        record = plan.record
        assert record is not None
        current = existing.get((plan.source_id, plan.target_id))
        if current is None:
            if plan.data.lineage_source is LineageSource.APPROVED and not steward:
                _refused(ctx, result, plan, "APPROVED_NEEDS_STEWARD", names)
                continue
            status = CREATE
        else:
            outcome = declaration_outcome(current, plan.data, ctx.actor)
            if outcome.refusal is not None:
                _refused(ctx, result, plan, outcome.refusal, names)
                continue
            plan.existing, plan.changes = current, outcome.changes
            plan.upgrade = outcome.kind == "upgrade"
            if outcome.kind == "kept":
                result.add(
                    "KEPT_STRONGER_ATTRIBUTION",
                    record.row,
                    existing=LineageSource(current["lineage_source"]).value,
                )
                status = UNCHANGED
            else:
                status = UNCHANGED if outcome.kind == "unchanged" else UPDATE
        if result.statuses[record.row] != STATUS_ERROR:
            result.statuses[record.row] = status


def _refused(
    ctx: Context,
    result: SheetResult,
    plan: EdgePlan,
    code: str,
    names: Callable[[EdgePlan], tuple[str, str]],
) -> None:
    assert plan.record is not None
    source, target = names(plan)
    params: dict[str, Any] = {"source": source, "target": target, "role": ctx.actor.role.value}
    if code == "APPROVED_NEEDS_STEWARD":
        params.update(column="lineage_source", value="approved")
    result.add(code, plan.record.row, **params)


def _lineage_rows(
    ctx: Context,
    result: SheetResult,
    records: list[Record],
    kind: EdgeKind,
    resolved: dict[str, Any],
    suggest: Suggester,
    id_of: Callable[[Any], uuid.UUID],
) -> list[EdgePlan]:
    """References, self-loops, duplicates and attribution rights, row by row."""
    bad = result.bad
    seen = result.seen
    plans = []
    for record in records:
        broken = bad.get(record.row, set())
        ends = []
        for column, role in ((kind.source_column, "source"), (kind.target_column, "target")):
            name = record.get(column)
            if not name or column in broken:
                continue
            found = resolved.get(name)
            if found is None:
                code = "TABLE_NOT_FOUND" if kind.entity == "table" else "FIELD_NOT_FOUND"
                result.add(
                    code,
                    record.row,
                    column=column,
                    value=name,
                    role=role_word(role),
                    suggestion=suggest(name),
                )
            else:
                ends.append(found)
        if len(ends) != 2:
            continue
        source_id, target_id = id_of(ends[0]), id_of(ends[1])
        if source_id == target_id:
            result.add(
                "SELF_LINEAGE",
                record.row,
                column=kind.target_column,
                value=record.get(kind.source_column),
            )
            continue

        def what(record: Record = record) -> str:
            source, target = record.get(kind.source_column), record.get(kind.target_column)
            return f"the lineage {source} → {target}"

        if duplicate(result, seen, (source_id, target_id), record, what):
            continue
        if "lineage_source" in broken or "confidence" in broken:
            continue
        plans.append(EdgePlan(record, source_id, target_id, _edge_input(record, kind)))
    return plans


def _count(ctx: Context, plans: list[EdgePlan], result: SheetResult, kind: EdgeKind) -> None:
    for plan in plans:
        if plan.record is None or not writable(result, plan.record):
            continue
        if plan.existing is None:
            if kind.entity == "table":
                ctx.graph.table_edges_added += 1
            else:
                ctx.graph.field_edges_added += 1
        else:
            ctx.graph.edges_updated += 1
            ctx.graph.attribution_changes += int(plan.upgrade)


def _note_table_pair(ctx: Context, plan: EdgePlan, sheet: str, row: int | None) -> None:
    status = (plan.existing or {}).get("status")
    comes_alive = plan.existing is None or (
        status in RETIRED and plan.changes.get("status") not in (None, *RETIRED)
    )
    if comes_alive:
        ctx.new_table_pairs.setdefault((str(plan.source_id), str(plan.target_id)), (sheet, row))


def import_table_lineage(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    names = {str(r.get(c)) for r in records for c in ("source_table", "target_table") if r.get(c)}
    resolved = find_tables(session, names)
    suggest = result.suggester(
        "table", lambda n: similar_qualified_names(session, MetadataTable, n)
    )
    plans = _lineage_rows(ctx, result, records, TABLE_EDGES, resolved, suggest, lambda x: x)
    existing = existing_edges(session, TABLE_EDGES, [(p.source_id, p.target_id) for p in plans])

    def edge_names(plan: EdgePlan) -> tuple[str, str]:
        assert plan.record is not None
        return str(plan.record.get("source_table")), str(plan.record.get("target_table"))

    _decide(ctx, result, plans, existing, edge_names)
    writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, TABLE_EDGES, ctx.write_lineage)
    for plan in plans:
        assert plan.record is not None
        if writable(result, plan.record):
            writer.add(plan)
            _note_table_pair(ctx, plan, result.name, plan.record.row)
    _count(ctx, plans, result, TABLE_EDGES)
    writer.flush()
    if ctx.replace:
        _remember_for_replace(plans, result)


def import_field_lineage(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    names = {str(r.get(c)) for r in records for c in ("source_field", "target_field") if r.get(c)}
    rows = session.execute(
        text(
            "SELECT qualified_name, id, table_id FROM metadata_fields WHERE NOT is_deleted "
            "AND qualified_name = ANY(CAST(:names AS text[]))"
        ),
        {"names": list(names)},
    )
    resolved = {name: (fid, tid) for name, fid, tid in rows}
    suggest = result.suggester(
        "field", lambda n: similar_qualified_names(session, MetadataField, n)
    )
    plans = _lineage_rows(ctx, result, records, FIELD_EDGES, resolved, suggest, lambda x: x[0])
    table_of = {fid: tid for fid, tid in resolved.values()}
    # The optional table columns must agree with the fields' own tables.
    kept = []
    for plan in plans:
        record = plan.record
        assert record is not None
        ok = True
        for column, table_column in (
            ("source_field", "source_table"),
            ("target_field", "target_table"),
        ):
            given = record.get(table_column)
            actual = str(record.get(column)).rsplit(".", 1)[0]
            if given and given != actual:
                result.add(
                    "FIELD_TABLE_MISMATCH",
                    record.row,
                    column=table_column,
                    value=record.get(column),
                    actual=actual,
                    given=given,
                )
                ok = False
        if ok:
            kept.append(plan)
    plans = kept
    # Field edges between different tables hang under a table edge, created if missing.
    table_pairs = {
        (table_of[p.source_id], table_of[p.target_id])
        for p in plans
        if table_of[p.source_id] != table_of[p.target_id]
    }
    table_edges = existing_edges(session, TABLE_EDGES, sorted(table_pairs))
    for plan in plans:
        assert plan.record is not None
        pair = (table_of[plan.source_id], table_of[plan.target_id])
        edge = table_edges.get(pair)
        if edge is not None and edge["status"] == LineageStatus.REJECTED:
            source, target = (
                str(plan.record.get(c)).rsplit(".", 1)[0] for c in ("source_field", "target_field")
            )
            result.add("TABLE_EDGE_REJECTED", plan.record.row, source=source, target=target)
    existing = existing_edges(session, FIELD_EDGES, [(p.source_id, p.target_id) for p in plans])

    def edge_names(plan: EdgePlan) -> tuple[str, str]:
        assert plan.record is not None
        return str(plan.record.get("source_field")), str(plan.record.get("target_field"))

    _decide(ctx, result, plans, existing, edge_names)
    table_writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, TABLE_EDGES, ctx.write_lineage)
    created_pairs = result.created_table_edges
    writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, FIELD_EDGES, ctx.write_lineage)
    for plan in plans:
        assert plan.record is not None
        if not writable(result, plan.record):
            continue
        pair = (table_of[plan.source_id], table_of[plan.target_id])
        if pair[0] != pair[1]:
            edge = table_edges.get(pair)
            if edge is not None:
                plan.extra["table_lineage_id"] = edge["id"]
            elif not ctx.write_lineage and (str(pair[0]), str(pair[1])) in ctx.new_table_pairs:
                pass  # a preview: an earlier sheet plans this table edge but did not write it
            elif pair in created_pairs:
                plan.extra["table_lineage_id"] = created_pairs[pair]
            else:
                table_plan = EdgePlan(
                    None,
                    pair[0],
                    pair[1],
                    EdgeInput(
                        source=Endpoint(id=pair[0]),
                        target=Endpoint(id=pair[1]),
                        transformation_type=plan.data.transformation_type,
                        lineage_source=plan.data.lineage_source,
                        confidence=plan.data.confidence,
                        metadata={"created_for_field_edge": True},
                    ),
                )
                new_id = table_writer.add(table_plan)
                assert new_id is not None  # the pair has no edge yet
                created_pairs[pair] = new_id
                plan.extra["table_lineage_id"] = new_id
                ctx.graph.table_edges_added_for_field_edges += 1
                _note_table_pair(ctx, table_plan, result.name, plan.record.row)
        if plan.existing is not None:
            plan.changes.pop("table_lineage_id", None)
        writer.add(plan)
    _count(ctx, plans, result, FIELD_EDGES)
    table_writer.flush()
    writer.flush()
    if ctx.replace:
        _remember_for_replace(plans, result)


def _remember_for_replace(plans: list[EdgePlan], result: SheetResult) -> None:
    result.replace_targets.update(p.target_id for p in plans)
    result.replace_pairs.update((p.source_id, p.target_id) for p in plans)


def finish_sheet(ctx: Context, result: SheetResult) -> None:
    """After the last chunk: replace=true retires the manual edges into the file's
    targets that the file no longer has (never approved or inferred ones)."""
    if not ctx.replace or result.import_type not in ("table_lineage", "field_lineage"):
        return
    kind = TABLE_EDGES if result.import_type == "table_lineage" else FIELD_EDGES
    targets, in_file = result.replace_targets, result.replace_pairs
    if not targets:
        return
    model = kind.model
    stale = [
        edge
        for edge in ctx.session.scalars(
            select(model)
            .where(
                getattr(model, kind.target_col).in_(targets),
                model.lineage_source == LineageSource.MANUAL,
                model.status.not_in(RETIRED),
            )
            .with_for_update()
        )
        if (getattr(edge, kind.source_col), getattr(edge, kind.target_col)) not in in_file
    ]
    if kind is TABLE_EDGES:
        ctx.retired_table_pairs.update(
            (str(e.source_table_id), str(e.target_table_id)) for e in stale
        )
    if not ctx.write_lineage:
        ctx.graph.edges_deprecated += len(stale)
        return
    ctx.graph.edges_deprecated += deprecate_edges(
        ctx.session, stale, ctx.actor.email, f"no longer in {ctx.file_name} (import with replace)"
    )
