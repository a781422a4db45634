"""Inferred lineage in the catalog: proposals resolved to tables and fields, written as
``inferred`` / ``pending_review`` edges with their evidence, under the precedence rule.

Where proposals come from (each is an *origin*, keyed so a re-run finds it again):

- ``view:<table id>``  a harvested SQL view or materialized view (PostgreSQL, Oracle);
- ``mongo-view:<table id>``  a MongoDB view (``viewOn`` and its pipeline's lookups);
- ``alias:<table id>``  an Elasticsearch alias over its indices;
- ``sql:<label>``  SQL pasted into ``POST /lineage/infer`` with ``submit=true``.

The rules (docs/inference.md):

- inference never creates over, changes or retires a manual or approved edge; it may
  add evidence to one (the edge itself is untouched);
- an origin whose text has the same fingerprint as last time is skipped;
- a rejected edge is not proposed again from evidence the steward already saw; new
  evidence reopens it for review, with that evidence attached;
- when an origin stops showing an edge (the view was rewritten or dropped), that
  evidence is marked gone; an inferred edge left with no evidence is deprecated, an edge
  a person upgraded is left alone and its evidence shows as gone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    LineageSource,
    LineageStatus,
    SourceType,
    UserRole,
)
from ariadne_core.inference import confidence as rule
from ariadne_core.inference.documents import (
    alias_fingerprint,
    alias_lineage,
    mongo_fingerprint,
    mongo_view_lineage,
)
from ariadne_core.inference.sql import Catalog, Lineage, Statement, analyze, fingerprint
from ariadne_core.lineage.bulk import (
    FIELD_EDGES,
    TABLE_EDGES,
    EdgeKind,
    EdgePlan,
    EdgeWriter,
    existing_edges,
)
from ariadne_core.lineage.edges import Actor, EdgeInput, Endpoint
from ariadne_core.lineage.precedence import automatic_write_allowed
from ariadne_core.security.roles import has_role

ACTOR = Actor(email="ariadne-inference", role=UserRole.EDITOR)
MAX_EVIDENCE_IN_METADATA = 5
MAX_UNRESOLVED = 20

SQL_DIALECT_OF = {SourceType.POSTGRESQL: "postgres", SourceType.ORACLE: "oracle"}


# --- resolving names against the catalog -----------------------------------------------


@dataclass
class _Table:
    id: uuid.UUID
    qualified_name: str
    source: str
    schema: str | None
    name: str


class CatalogIndex(Catalog):
    """The catalog's tables as the SQL engine sees them, scoped to a default source.

    A SQL name ``a.b.c`` is looked up as source ``a`` schema ``b`` table ``c`` when ``a``
    is a source's name, otherwise within the default source (``schema.table``, a bare
    ``table`` in the default schema, then the search path, then a database-qualified
    ``db.schema.table``), and last as the one table in the whole catalog with that
    schema and name. Fields of the tables in play are loaded in bulk."""

    def __init__(
        self,
        session: Session,
        *,
        source_id: uuid.UUID | None,
        search_path: Sequence[str] = (),
        preload: bool = True,
    ) -> None:
        """``preload``: read every table, and the default source's fields, at once (a
        whole source's views); otherwise look tables up by name as the SQL names them
        (pasted SQL: its cost does not grow with the catalog)."""
        super().__init__({}, search_path)
        self.session = session
        self.source_id = source_id
        self.by_key: dict[tuple[str, str, str], _Table] = {}
        self.by_schema_name: dict[tuple[str, str], list[_Table]] = {}
        self.source_names: set[str] = set()
        self.default_source = ""
        for sid, name in session.execute(text("SELECT id, name FROM data_sources")):
            self.source_names.add(name.lower())
            if sid == source_id:
                self.default_source = name.lower()
        self.lazy = not preload
        self._looked_up: set[str] = set()
        self._fields: dict[uuid.UUID, list[tuple[str, uuid.UUID, str]]] = {}
        if preload:
            self._add(session.execute(text(self._TABLES)))
            self._load_fields(source_id)

    _TABLES = (
        "SELECT t.id, t.qualified_name, s.name, t.schema_name, t.name "
        "FROM metadata_tables t JOIN data_sources s ON s.id = t.source_id WHERE NOT t.is_deleted"
    )

    def _add(self, rows: Iterable[Any]) -> None:
        for table_id, qualified, source, schema, name in rows:
            table = _Table(table_id, qualified, source, schema, name)
            key = (source.lower(), (schema or "").lower(), name.lower())
            if key in self.by_key:
                continue
            self.by_key[key] = table
            self.by_schema_name.setdefault(((schema or "").lower(), name.lower()), []).append(table)

    def _ensure(self, name: str) -> None:
        """Lazy mode: read the tables called ``name`` (any case, any source) once."""
        if not self.lazy or name in self._looked_up:
            return
        self._looked_up.add(name)
        pattern = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        self._add(
            self.session.execute(
                text(self._TABLES + " AND t.name ILIKE :pattern"), {"pattern": pattern}
            )
        )

    def _load_fields(
        self, source_id: uuid.UUID | None, table_ids: Sequence[uuid.UUID] = ()
    ) -> None:
        if source_id is None and not table_ids:
            return
        where = "t.source_id = :sid" if source_id is not None else "t.id = ANY(:ids)"
        rows = self.session.execute(
            text(
                "SELECT f.table_id, f.name, f.id, f.qualified_name FROM metadata_fields f "
                f"JOIN metadata_tables t ON t.id = f.table_id WHERE {where} "
                "AND NOT f.is_deleted ORDER BY f.table_id, f.ordinal_position NULLS LAST, f.name"
            ),
            {"sid": source_id, "ids": list(table_ids)},
        )
        for table_id in table_ids:
            self._fields.setdefault(table_id, [])
        for table_id, name, field_id, qualified in rows:
            self._fields.setdefault(table_id, []).append((name, field_id, qualified))

    def table(self, name: str) -> _Table | None:
        parts = name.lstrip("#").split(".")
        self._ensure(parts[-1])
        if len(parts) >= 2 and parts[0] in self.source_names:
            found = self._in_source(parts[0], parts[1:])
            if found is not None:
                return found
        if self.default_source:
            found = self._in_source(self.default_source, parts)
            if found is not None:
                return found
        tail = parts[-2:] if len(parts) >= 2 else ["", parts[0]]
        candidates = self.by_schema_name.get((tail[0], tail[1]), [])
        return candidates[0] if len(candidates) == 1 else None

    def _in_source(self, source: str, parts: list[str]) -> _Table | None:
        if len(parts) == 1:
            for schema in [*self.search_path, ""]:
                found = self.by_key.get((source, schema, parts[0]))
                if found is not None:
                    return found
            return None
        return self.by_key.get((source, parts[-2], parts[-1]))

    def fields(self, table: _Table) -> list[tuple[str, uuid.UUID, str]]:
        if table.id not in self._fields:
            self._load_fields(None, [table.id])
        return self._fields[table.id]

    def columns(self, name: str) -> list[str] | None:  # the engine's question
        table = self.table(name)
        if table is None:
            return None
        names = [n.lower() for n, _, _ in self.fields(table)]
        return names or None

    def field(self, table: _Table, column: str) -> tuple[uuid.UUID, str] | None:
        for name, field_id, qualified in self.fields(table):
            if name.lower() == column.lower():
                return field_id, qualified
        return None


# --- proposals ----------------------------------------------------------------------------


@dataclass
class Proposal:
    kind: str  # "table" | "field"
    source_id: uuid.UUID
    target_id: uuid.UUID
    source_name: str
    target_name: str
    transformation_type: str | None
    expression: str | None
    confidence: float
    evidence: dict[str, Any]
    table_pair: tuple[uuid.UUID, uuid.UUID] | None = None  # a field edge's tables


@dataclass
class OriginResult:
    origin: str
    source_id: uuid.UUID | None
    fingerprint: str
    proposals: list[Proposal] = field(default_factory=list)
    statements: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def evidence_base(where: dict[str, Any], origin: str, dialect: str, print_: str) -> dict[str, Any]:
    """What every piece of evidence says: where it was seen, by which origin, in which
    dialect, the fingerprint of the text, and that inference is experimental."""
    return {
        **where,
        "origin": origin,
        "dialect": dialect,
        "fingerprint": print_,
        "experimental": True,
    }


def proposals_from_sql(
    index: CatalogIndex,
    lineage: Lineage,
    *,
    origin: str,
    source_id: uuid.UUID | None,
    where: dict[str, Any],
    sql_fingerprint: str,
) -> OriginResult:
    """Resolve the engine's table and column edges to catalog ids; what does not
    resolve is reported, never guessed."""
    result = OriginResult(origin, source_id, sql_fingerprint, statements=len(lineage.statements))
    for statement in lineage.statements:
        if statement.error:
            result.problems.append(
                {
                    "line": statement.line,
                    "statement": statement.text[:200],
                    "message": statement.error,
                }
            )
    unresolved: list[str] = []
    writers = [s for s in lineage.statements if s.target and not s.error]
    for statement in writers:
        unresolved.extend(statement.unresolved)

    def writer(source: str, target: str) -> Statement | None:
        """The statement an edge comes from: the one writing ``target`` that reads
        ``source`` (or, through an intermediate table, the last one writing it)."""
        found = [s for s in writers if s.target == target]
        direct = [s for s in found if source in s.sources]
        chosen = direct or found
        return chosen[-1] if chosen else None

    def evidence(statement: Statement | None) -> dict[str, Any]:
        detail = evidence_base(where, origin, lineage.dialect, sql_fingerprint)
        if statement is not None:
            detail["line"] = statement.line
            detail["statement_kind"] = statement.kind
            if statement.body_of:
                detail["procedure"] = statement.body_of
            if statement.unresolved:
                detail["unresolved"] = sorted(set(statement.unresolved))[:MAX_UNRESOLVED]
        return detail

    def confidence_of(statement: Statement | None) -> float:
        return statement.confidence if statement is not None else rule.FULL

    tables: dict[str, _Table | None] = {}

    def table(name: str) -> _Table | None:
        if name not in tables:
            tables[name] = index.table(name)
            if tables[name] is None:
                unresolved.append(name)
        return tables[name]

    for source_name, target_name in lineage.table_edges:
        source, target = table(source_name), table(target_name)
        if source is None or target is None or source.id == target.id:
            continue
        written_by = writer(source_name, target_name)
        result.proposals.append(
            Proposal(
                "table",
                source.id,
                target.id,
                source.qualified_name,
                target.qualified_name,
                None,
                None,
                confidence_of(written_by),
                evidence(written_by),
            )
        )
    for edge in lineage.column_edges:
        if "*" in (edge.source_column, edge.target_column):
            continue
        source, target = table(edge.source_table), table(edge.target_table)
        if source is None or target is None:
            continue
        source_field = index.field(source, edge.source_column)
        target_field = index.field(target, edge.target_column)
        if source_field is None:
            unresolved.append(f"{source.qualified_name}.{edge.source_column}")
        if target_field is None:
            unresolved.append(f"{target.qualified_name}.{edge.target_column}")
        if source_field is None or target_field is None or source_field[0] == target_field[0]:
            continue
        written_by = writer(edge.source_table, edge.target_table)
        result.proposals.append(
            Proposal(
                "field",
                source_field[0],
                target_field[0],
                source_field[1],
                target_field[1],
                edge.transformation,
                edge.expression,
                confidence_of(written_by),
                evidence(written_by),
                (source.id, target.id),
            )
        )
    result.unresolved = sorted(set(unresolved))[: MAX_UNRESOLVED * 5]
    return result


# --- origins of a harvested source --------------------------------------------------------


def source_origins(
    session: Session, source_id: uuid.UUID, *, force: bool = False
) -> list[OriginResult]:
    """Every origin a harvested source holds. An origin whose
    fingerprint is the one recorded last time is not analyzed again (unless ``force``):
    its result carries only the fingerprint, which `apply` skips."""
    source = session.execute(
        text("SELECT name, type FROM data_sources WHERE id = :id"), {"id": source_id}
    ).one()
    source_type = SourceType(source.type)
    rows = session.execute(
        text(
            "SELECT id, schema_name, name, qualified_name, table_type, view_definition, "
            "properties FROM metadata_tables WHERE source_id = :id AND NOT is_deleted AND "
            "(view_definition IS NOT NULL OR table_type = 'alias')"
        ),
        {"id": source_id},
    ).all()
    known: dict[str, str] = {
        origin: print_
        for origin, print_ in session.execute(
            text("SELECT origin, fingerprint FROM inference_origins WHERE source_id = :s"),
            {"s": source_id},
        )
    }
    search_path = ["public"] if source_type is SourceType.POSTGRESQL else []
    index: CatalogIndex | None = None
    results = []
    for row in rows:
        if source_type in SQL_DIALECT_OF and row.view_definition:
            origin, print_ = f"view:{row.id}", fingerprint(row.view_definition)
        elif source_type is SourceType.MONGODB and row.view_definition:
            origin, print_ = f"mongo-view:{row.id}", mongo_fingerprint(row)
        elif source_type is SourceType.ELASTICSEARCH and row.table_type == "alias":
            origin, print_ = f"alias:{row.id}", alias_fingerprint(row)
        else:
            continue
        if not force and known.get(origin) == print_:
            results.append(OriginResult(origin, source_id, print_))
            continue
        if index is None:
            index = CatalogIndex(session, source_id=source_id, search_path=search_path)
        where = {"kind": row.table_type, "object": row.qualified_name, "table_id": str(row.id)}
        if origin.startswith("view:"):
            index.search_path = [*(s for s in [row.schema_name] if s), *search_path]
            lineage = analyze(
                row.view_definition,
                SQL_DIALECT_OF[source_type],
                default_schema=None,
                catalog=index,
                target=_engine_name(row.schema_name, row.name),
            )
            results.append(
                proposals_from_sql(
                    index,
                    lineage,
                    origin=origin,
                    source_id=source_id,
                    where=where,
                    sql_fingerprint=print_,
                )
            )
        elif origin.startswith("mongo-view:"):
            results.append(mongo_view_lineage(index, row, where=where, source_id=source_id))
        else:
            results.append(alias_lineage(index, row, where=where, source_id=source_id))
    return results


def _engine_name(schema: str | None, name: str) -> str:
    return f"{schema}.{name}".lower() if schema else name.lower()


# --- writing --------------------------------------------------------------------------------


@dataclass
class WriteReport:
    origins: int = 0
    skipped_unchanged: int = 0
    statements: int = 0
    parse_failures: int = 0
    failure_examples: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    reopened: int = 0
    unchanged: int = 0
    confirmed: int = 0  # evidence added to a manual or approved edge, which stays as it is
    kept_rejected: int = 0
    retired: int = 0
    evidence_gone_on_declared: int = 0
    unresolved: int = 0
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def apply(
    session: Session,
    results: Sequence[OriginResult],
    *,
    retire_source: uuid.UUID | None = None,
    force: bool = False,
) -> WriteReport:
    """Write the proposals of ``results`` (see the module text for the rules). With
    ``retire_source``, origins of that source that are not in ``results`` are gone."""
    started = time.perf_counter()
    report = WriteReport()
    known = {
        origin: fp
        for origin, fp in session.execute(
            text("SELECT origin, fingerprint FROM inference_origins WHERE origin = ANY(:o)"),
            {"o": [r.origin for r in results]},
        )
    }
    changed = []
    for result in results:
        report.origins += 1
        report.statements += result.statements
        report.parse_failures += len(result.problems)
        report.unresolved += len(result.unresolved)
        for problem in result.problems:
            if len(report.failure_examples) < 5:
                report.failure_examples.append({"origin": result.origin, **problem})
        if not force and known.get(result.origin) == result.fingerprint:
            report.skipped_unchanged += 1
            continue
        changed.append(result)
    gone_origins: list[str] = []
    if retire_source is not None:
        present = {r.origin for r in results}
        gone_origins = [
            o
            for (o,) in session.execute(
                text("SELECT origin FROM inference_origins WHERE source_id = :s"),
                {"s": retire_source},
            )
            if o not in present
        ]
    if not changed and not gone_origins:
        report.duration_s = time.perf_counter() - started
        return report
    now = datetime.now(UTC)
    touched = [r.origin for r in changed] + gone_origins
    # every earlier sighting of these origins is gone unless seen again below
    session.execute(
        text(
            "UPDATE inference_evidence SET gone_at = :now WHERE origin = ANY(:o) AND gone_at IS NULL"
        ),
        {"now": now, "o": touched},
    )
    table_ids = _write_kind(session, changed, TABLE_EDGES, {}, report, now)
    _write_kind(session, changed, FIELD_EDGES, table_ids, report, now)
    _retire_unsupported(session, now, report)
    _record_origins(session, changed, gone_origins)
    report.duration_s = time.perf_counter() - started
    return report


def _best(
    results: Iterable[OriginResult], kind: str
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[Proposal, list[Proposal]]]:
    """One proposal per pair (the most confident), with every sighting of it."""
    out: dict[tuple[uuid.UUID, uuid.UUID], tuple[Proposal, list[Proposal]]] = {}
    for result in results:
        for proposal in result.proposals:
            if proposal.kind != kind:
                continue
            key = (proposal.source_id, proposal.target_id)
            if key in out:
                best, all_ = out[key]
                all_.append(proposal)
                if proposal.confidence > best.confidence:
                    out[key] = (proposal, all_)
            else:
                out[key] = (proposal, [proposal])
    return out


def _metadata(sightings: list[Proposal], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    evidence = [p.evidence for p in sightings]
    for old in (previous or {}).get("evidence", []):
        if all(old.get("origin") != e.get("origin") for e in evidence):
            evidence.append(old)
    return {
        **(previous or {}),
        "experimental": True,
        "inferred_by": ACTOR.email,
        "evidence": evidence[:MAX_EVIDENCE_IN_METADATA],
    }


def _write_kind(
    session: Session,
    results: list[OriginResult],
    kind: EdgeKind,
    table_ids: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID],
    report: WriteReport,
    now: datetime,
) -> dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]:
    """Create, update, reopen or only annotate each proposed edge of one kind; returns
    the edge id of each pair."""
    wanted = _best(results, kind.entity)
    if not wanted:
        return {}
    existing = existing_edges(session, kind, sorted(wanted))
    seen_before = _seen_evidence(session, kind, [e["id"] for e in existing.values()])
    writer = EdgeWriter(session, ACTOR, "inferred lineage", kind)
    reopen = EdgeWriter(session, ACTOR, "reopened for review: inference found new evidence", kind)
    ids: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
    evidence_rows: list[dict[str, Any]] = []
    for pair, (best, sightings) in wanted.items():
        current = existing.get(pair)
        if current is None:
            data = EdgeInput(
                source=Endpoint(id=pair[0]),
                target=Endpoint(id=pair[1]),
                transformation_type=best.transformation_type,
                transformation_logic=best.expression,
                lineage_source=LineageSource.INFERRED,
                confidence=best.confidence,
                metadata=_metadata(sightings),
            )
            plan = EdgePlan(None, pair[0], pair[1], data)
            if kind is FIELD_EDGES and best.table_pair in table_ids:
                plan.extra["table_lineage_id"] = table_ids[best.table_pair]
            edge_id = writer.add(plan)
            assert edge_id is not None
            report.created += 1
        else:
            edge_id = current["id"]
            status = LineageStatus(current["status"])
            attribution = LineageSource(current["lineage_source"])
            if not automatic_write_allowed(attribution):
                if status not in (LineageStatus.REJECTED, LineageStatus.DEPRECATED):
                    report.confirmed += 1
            elif status is LineageStatus.REJECTED:
                fresh = [
                    p
                    for p in sightings
                    if (p.evidence["origin"], p.evidence["fingerprint"])
                    not in seen_before.get(edge_id, set())
                ]
                if not fresh:
                    report.kept_rejected += 1
                else:
                    reopen.change(
                        current,
                        {
                            "status": LineageStatus.PENDING_REVIEW,
                            "edge_metadata": _metadata(fresh, current["metadata"]),
                            "confidence": best.confidence,
                        },
                    )
                    report.reopened += 1
            else:
                changes: dict[str, Any] = {}
                if status is LineageStatus.DEPRECATED:
                    changes["status"] = LineageStatus.PENDING_REVIEW
                if best.confidence != current["confidence"]:
                    changes["confidence"] = best.confidence
                for attr, value in (
                    ("transformation_type", best.transformation_type),
                    ("transformation_logic", best.expression),
                ):
                    if value is not None and value != current[attr]:
                        changes[attr] = value
                metadata = _metadata(sightings, current["metadata"])
                if metadata != current["metadata"]:
                    changes["edge_metadata"] = metadata
                if changes:
                    writer.change(current, changes)
                    report.updated += 1
                else:
                    report.unchanged += 1
        ids[pair] = edge_id
        for proposal in sightings:
            evidence_rows.append(
                {
                    "origin": proposal.evidence["origin"],
                    "edge_kind": kind.kind,
                    "edge_id": edge_id,
                    "fingerprint": proposal.evidence["fingerprint"],
                    "detail": {
                        **proposal.evidence,
                        "transformation_type": proposal.transformation_type,
                        "expression": proposal.expression,
                        "confidence": proposal.confidence,
                    },
                }
            )
    writer.flush()
    reopen.flush()
    _upsert_evidence(session, evidence_rows, now)
    return ids


def _seen_evidence(
    session: Session, kind: EdgeKind, edge_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[tuple[str, str]]]:
    seen: dict[uuid.UUID, set[tuple[str, str]]] = {}
    if not edge_ids:
        return seen
    for edge_id, origin, fp in session.execute(
        text(
            "SELECT edge_id, origin, fingerprint FROM inference_evidence WHERE edge_kind = :k "
            "AND edge_id = ANY(:ids)"
        ),
        {"k": kind.kind, "ids": edge_ids},
    ):
        seen.setdefault(edge_id, set()).add((origin, fp))
    return seen


def _upsert_evidence(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    if not rows:
        return
    session.execute(
        text(
            "INSERT INTO inference_evidence (origin, edge_kind, edge_id, fingerprint, detail, "
            "first_seen_at, last_seen_at) SELECT r.origin, r.edge_kind, r.edge_id, "
            "r.fingerprint, r.detail, :now, :now FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
            "AS r(origin text, edge_kind text, edge_id uuid, fingerprint text, detail jsonb) "
            "ON CONFLICT (origin, edge_kind, edge_id) DO UPDATE SET fingerprint = "
            "EXCLUDED.fingerprint, detail = EXCLUDED.detail, last_seen_at = EXCLUDED.last_seen_at, "
            "gone_at = NULL"
        ),
        {"rows": json.dumps(rows, default=str), "now": now},
    )


RETIRE_COMMENT = (
    "evidence gone: the view, alias or SQL it was inferred from no longer shows this lineage"
)


def _retire_unsupported(session: Session, now: datetime, report: WriteReport) -> None:
    """Edges whose evidence went away in this run: inferred ones with no evidence left
    are deprecated (audited); edges people declared or approved are left alone."""
    for kind in (TABLE_EDGES, FIELD_EDGES):
        rows = session.execute(
            text(
                f"SELECT e.{kind.source_col}, e.{kind.target_col}, e.lineage_source, e.status "
                f"FROM {kind.model.__tablename__} e WHERE e.id IN (SELECT edge_id FROM "
                "inference_evidence WHERE edge_kind = :k AND gone_at = :now) AND NOT EXISTS "
                "(SELECT 1 FROM inference_evidence l WHERE l.edge_kind = :k AND "
                "l.edge_id = e.id AND l.gone_at IS NULL)"
            ),
            {"k": kind.kind, "now": now},
        ).all()
        pairs = []
        for source, target, attribution, status in rows:
            if attribution != LineageSource.INFERRED.value:
                report.evidence_gone_on_declared += 1
            elif status not in (LineageStatus.DEPRECATED.value, LineageStatus.REJECTED.value):
                pairs.append((source, target))
        if not pairs:
            continue
        writer = EdgeWriter(session, ACTOR, RETIRE_COMMENT, kind)
        for current in existing_edges(session, kind, pairs).values():
            writer.change(current, {"status": LineageStatus.DEPRECATED})
        writer.flush()
        report.retired += len(pairs)


def _record_origins(session: Session, changed: list[OriginResult], gone: list[str]) -> None:
    if gone:
        session.execute(text("DELETE FROM inference_origins WHERE origin = ANY(:o)"), {"o": gone})
    if not changed:
        return
    rows = [
        {
            "origin": r.origin,
            "source_id": str(r.source_id) if r.source_id else None,
            "fingerprint": r.fingerprint,
            "statements": r.statements,
            "edges": len(r.proposals),
            "problems": r.problems[:20],
        }
        for r in changed
    ]
    session.execute(
        text(
            "INSERT INTO inference_origins (origin, source_id, fingerprint, statements, edges, "
            "problems, inferred_at) SELECT r.origin, r.source_id, r.fingerprint, r.statements, "
            "r.edges, r.problems, now() FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS "
            "r(origin text, source_id uuid, fingerprint text, statements int, edges int, "
            "problems jsonb) ON CONFLICT (origin) DO UPDATE SET fingerprint = "
            "EXCLUDED.fingerprint, statements = EXCLUDED.statements, edges = EXCLUDED.edges, "
            "problems = EXCLUDED.problems, inferred_at = EXCLUDED.inferred_at"
        ),
        {"rows": json.dumps(rows)},
    )


# --- entry points -----------------------------------------------------------------------------


def infer_source(session: Session, source_id: uuid.UUID, *, force: bool = False) -> WriteReport:
    """Re-infer everything one harvested source holds (the Dagster asset's work)."""
    started = time.perf_counter()
    results = source_origins(session, source_id, force=force)
    report = apply(session, results, retire_source=source_id, force=force)
    report.duration_s = time.perf_counter() - started
    return report


# --- pasted SQL ----------------------------------------------------------------------------

MAX_SQL_CHARS = 1_000_000


@dataclass
class TextInference:
    """What ``POST /lineage/infer`` answers: the engine's reading, resolved against the
    catalog, with what each proposal would do and (``submit``) what it did."""

    dialect: str
    lineage: Lineage
    result: OriginResult
    states: dict[tuple[str, uuid.UUID, uuid.UUID], str]
    graph_effect: dict[str, Any]
    written: WriteReport | None


def _dialect_for(session: Session, source_id: uuid.UUID | None, dialect: str | None) -> str:
    if dialect:
        return dialect
    if source_id is not None:
        kind = session.scalar(text("SELECT type FROM data_sources WHERE id = :i"), {"i": source_id})
        if kind is not None and SourceType(kind) in SQL_DIALECT_OF:
            return SQL_DIALECT_OF[SourceType(kind)]
    return "ansi"


def measure_proposals(
    session: Session,
    results: Sequence[OriginResult],
    effect: Any,
    where: Any,
) -> list[tuple[str | None, int | None, list[str]]]:
    """What writing ``results`` would do to the lineage graph: the new table and field
    edges (pairs with no edge yet) and the loops the new table edges close, measured on
    the edges below the tables involved. ``where(proposal)`` names (sheet, line) of a
    proposal for the loop warnings."""
    from ariadne_core.lineage.graph_effect import load_edges_from, measure

    proposals = [p for r in results for p in r.proposals]
    fresh: dict[str, set[tuple[uuid.UUID, uuid.UUID]]] = {}
    for kind in (TABLE_EDGES, FIELD_EDGES):
        pairs = {(p.source_id, p.target_id) for p in proposals if p.kind == kind.entity}
        found = existing_edges(session, kind, sorted(pairs), lock=False)
        fresh[kind.entity] = pairs - set(found)
    new_pairs: dict[tuple[str, str], tuple[str | None, int | None]] = {}
    for proposal in proposals:
        if proposal.kind == "table" and (proposal.source_id, proposal.target_id) in fresh["table"]:
            new_pairs.setdefault(
                (str(proposal.source_id), str(proposal.target_id)), where(proposal)
            )
    effect.table_edges_added = len(new_pairs)
    effect.field_edges_added = len(fresh["field"])
    ends = {end for pair in new_pairs for end in pair}
    return measure(session, load_edges_from(session, ends), new_pairs, effect)


def infer_text(
    session: Session,
    sql: str,
    *,
    dialect: str | None = None,
    source_id: uuid.UUID | None = None,
    default_schema: str | None = None,
    submit: bool = False,
    label: str | None = None,
    actor: Actor | None = None,
) -> TextInference:
    """Infer from pasted SQL; anyone may preview, ``submit`` needs an editor."""
    from ariadne_core.errors import NotFound, PermissionDenied, ValidationFailed

    if submit and (actor is None or not has_role(actor.role, UserRole.EDITOR)):
        raise PermissionDenied(
            "Only editors and above can submit inferred lineage; preview it with submit=false.",
            details={"required_role": "editor", "your_role": actor.role.value if actor else None},
        )
    from ariadne_core.inference.sql import dialect_name
    from ariadne_core.lineage.graph_effect import GraphEffect

    if len(sql) > MAX_SQL_CHARS:
        raise ValidationFailed(
            f"The SQL is {len(sql):,} characters; the limit is {MAX_SQL_CHARS:,}. Split it "
            "into smaller pieces or upload the scripts as an import of type sql.",
            details={"field": "sql", "limit": MAX_SQL_CHARS},
        )
    if (
        source_id is not None
        and session.scalar(text("SELECT 1 FROM data_sources WHERE id = :i"), {"i": source_id})
        is None
    ):
        raise NotFound(
            f"Data source {source_id} does not exist.", details={"source_id": str(source_id)}
        )
    dialect = _dialect_for(session, source_id, dialect)
    try:
        dialect_name(dialect)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"field": "dialect", "value": dialect}) from None
    search = [default_schema.lower()] if default_schema else []
    index = CatalogIndex(
        session, source_id=source_id, search_path=[*search, "public"], preload=False
    )
    lineage = analyze(sql, dialect, default_schema=None, catalog=index)
    sql_fp = fingerprint(sql)
    origin = f"sql:{label}" if label else f"sql:{sql_fp}"
    where = {"kind": "sql", "object": label or "pasted SQL"}
    if actor is not None:
        where["submitted_by"] = actor.email
    result = proposals_from_sql(
        index, lineage, origin=origin, source_id=None, where=where, sql_fingerprint=sql_fp
    )
    states: dict[tuple[str, uuid.UUID, uuid.UUID], str] = {}
    for kind in (TABLE_EDGES, FIELD_EDGES):
        pairs = sorted(
            {(p.source_id, p.target_id) for p in result.proposals if p.kind == kind.entity}
        )
        found = existing_edges(session, kind, pairs, lock=False)
        for pair in pairs:
            current = found.get(pair)
            if current is None:
                state = "new"
            else:
                attribution, status = current["lineage_source"], current["status"]
                if attribution != LineageSource.INFERRED.value:
                    state = f"kept: already {attribution}" + (
                        f" ({status})" if status != "active" else ""
                    )
                else:
                    state = f"exists: inferred, {status}"
            states[(kind.entity, *pair)] = state
    effect = GraphEffect()
    measure_proposals(session, [result], effect, lambda p: ("sql", p.evidence.get("line")))
    written = apply(session, [result], force=True) if submit else None
    return TextInference(dialect, lineage, result, states, effect.as_dict(), written)


def inferred_writes_on_declared_edges(session: Session) -> int:
    """Audit events by inference on an edge that was manual or approved before it: the
    precedence rule says there are none."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM lineage_audit_events WHERE actor = :a AND "
                "before->>'lineage_source' IN ('manual', 'approved')"
            ),
            {"a": ACTOR.email},
        )
        or 0
    )
