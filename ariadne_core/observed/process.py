"""Processing stored OpenLineage events into observations and observed edges.

Events are stored before they are acknowledged (ariadne_core.observed.ingest) and
processed here, in order, a batch at a time, by whichever drainer holds the advisory
lock: the API's background drainer right after a batch is stored, and the Dagster asset
`observed_lineage` for whatever is still pending (after a crash, or with the API down).

For each event:
- every dataset it names is recorded in `observed_datasets` and matched to a catalog
  table (ariadne_core.observed.namespaces); an unmatched one waits for an admin;
- each input → output pair of a run or job is an observation of a table edge, and each
  entry of an output's `columnLineage` facet an observation of a field edge, one row per
  edge and job (`lineage_observations`: first and last time, number of runs);
- an observation whose ends are both matched is linked to the catalog's edge between
  them; when there is none, an edge is created as `inferred` / `pending_review`, origin
  `observed`, with the job as evidence. An existing edge is never changed: an
  observation of a declared or approved edge only adds observation fields to it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.config import get_settings
from ariadne_core.db.models import EdgeOrigin, LineageSource, UserRole
from ariadne_core.lineage.bulk import (
    FIELD_EDGES,
    TABLE_EDGES,
    EdgeKind,
    EdgePlan,
    EdgeWriter,
    existing_edges,
)
from ariadne_core.lineage.edges import Actor, EdgeInput, Endpoint
from ariadne_core.observed.events import Dataset, Observed, event_time, observed
from ariadne_core.observed.namespaces import Matcher
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.observed")

ACTOR = Actor(email="ariadne-openlineage", role=UserRole.EDITOR)
OBSERVED_CONFIDENCE = 0.95  # a running job read and wrote it; a steward still decides
DRAIN_LOCK = 0x41524F4C  # pg advisory lock: one drainer at a time
CREATED_COMMENT = "observed lineage: a running job reported this edge in its OpenLineage events"


@dataclass
class DrainReport:
    events: int = 0
    failed_events: int = 0
    datasets_seen: int = 0
    datasets_matched: int = 0
    external_tables_created: int = 0
    observations: int = 0
    edges_created: int = 0
    table_edges_created: int = 0
    field_edges_created: int = 0
    edges_confirmed: int = 0  # observations linked to an edge that already existed
    unmatched_pairs: int = 0  # observations waiting for a dataset to be matched
    batches: int = 0
    sql_read: int = 0  # distinct job SQL read by lineage inference
    sql_unusable: int = 0  # too long, or in a dialect inference does not know
    sql_edges_proposed: int = 0
    busy: bool = False  # another drainer held the lock
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            text("SELECT count(*) FROM openlineage_events WHERE processed_at IS NULL")
        ).scalar_one()
    )


def drain(
    sessions: Callable[[], Session], keyring: Keyring, *, batch: int = 2000, max_batches: int = 0
) -> DrainReport:
    """Process pending events, oldest first, until none is left (or ``max_batches``).
    Returns at once, with ``busy``, when another drainer is at work."""
    started = time.perf_counter()
    report = DrainReport()
    while not max_batches or report.batches < max_batches:
        with sessions() as session:
            if not session.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": DRAIN_LOCK}
            ).scalar_one():
                report.busy = True
                break
            rows = session.execute(
                text(
                    "SELECT id, event::text AS event FROM openlineage_events WHERE "
                    "processed_at IS NULL ORDER BY id LIMIT :n"
                ),
                {"n": batch},
            ).all()
            if not rows:
                break
            report.batches += 1
            try:
                with session.begin_nested():
                    process_events(
                        session, keyring, [(r.id, orjson.loads(r.event)) for r in rows], report
                    )
                    _mark(session, [r.id for r in rows])
            except Exception:
                # One bad event must not hold the others back: each alone, and the one
                # that fails is marked with its error, so it is seen and never retried
                # forever.
                log.exception("an OpenLineage batch failed; processing its events one by one")
                for row in rows:
                    try:
                        with session.begin_nested():
                            process_events(
                                session, keyring, [(row.id, orjson.loads(row.event))], report
                            )
                            _mark(session, [row.id])
                    except Exception as exc:
                        report.failed_events += 1
                        _mark(session, [row.id], error=f"{type(exc).__name__}: {exc}"[:2000])
            session.commit()
    report.duration_s = time.perf_counter() - started
    return report


def _mark(session: Session, ids: list[int], error: str | None = None) -> None:
    session.execute(
        text(
            "UPDATE openlineage_events SET processed_at = clock_timestamp(), error = :e "
            "WHERE id = ANY(:ids)"
        ),
        {"ids": ids, "e": error},
    )


@dataclass
class _Sighting:
    """When something was seen in this batch, and in which runs (the events of one run
    count once)."""

    first: datetime
    last: datetime
    first_run: str | None
    last_run: str | None
    runs: set[str | None] = field(default_factory=set)
    transformation: str | None = None

    def see(self, when: datetime, run: str | None) -> None:
        if when < self.first:
            self.first, self.first_run = when, run
        if when >= self.last:
            self.last, self.last_run = when, run
        self.runs.add(run)

    def absorb(self, other: _Sighting) -> None:
        if other.first < self.first:
            self.first, self.first_run = other.first, other.first_run
        if other.last >= self.last:
            self.last, self.last_run = other.last, other.last_run
        self.runs |= other.runs


@dataclass
class _Group:
    """The events of one job that name the same datasets and column lineage (every run of
    a stable job): parsed once, however many runs the batch holds."""

    shown: Observed
    seen: _Sighting
    events: int = 1


def _signature(event: dict[str, Any]) -> bytes:
    """Equal for two events that show the same lineage, whatever their time and run."""
    if "dataset" in event and "run" not in event:
        ds = event["dataset"]
        return orjson.dumps(["dataset", ds["namespace"], ds["name"]])
    job = event["job"]
    return orjson.dumps(
        [
            job["namespace"],
            job["name"],
            [(i.get("namespace"), i.get("name")) for i in event.get("inputs") or []],
            [
                (o.get("namespace"), o.get("name"), (o.get("facets") or {}).get("columnLineage"))
                for o in event.get("outputs") or []
            ],
        ]
    )


def _groups(events: Iterable[tuple[int, dict[str, Any]]]) -> list[_Group]:
    groups: dict[bytes, _Group] = {}
    for _, event in events:
        when = event_time(event["eventTime"])
        run = str(event["run"]["runId"]) if "run" in event else None
        key = _signature(event)
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(observed(event), _Sighting(when, when, run, run, {run}))
        else:
            group.seen.see(when, run)
            group.events += 1
    return list(groups.values())


def process_events(
    session: Session,
    keyring: Keyring,
    events: Iterable[tuple[int, dict[str, Any]]],
    report: DrainReport,
) -> None:
    groups = _groups(events)
    report.events += sum(g.events for g in groups)
    datasets = _record_datasets(session, keyring, groups, report)
    sightings: dict[tuple[str, int, str, int, str, str, str], _Sighting] = {}

    def sight(
        key: tuple[str, int, str, int, str, str, str], seen: _Sighting, kind: str | None
    ) -> None:
        current = sightings.get(key)
        if current is None:
            sightings[key] = _Sighting(
                seen.first, seen.last, seen.first_run, seen.last_run, set(seen.runs), kind
            )
        else:
            current.absorb(seen)
            current.transformation = current.transformation or kind

    for group in groups:
        o = group.shown
        if o.kind == "dataset" or o.job_name is None or o.job_namespace is None:
            continue
        for source in o.inputs:
            for target in o.outputs:
                if source != target:
                    key = (
                        "table",
                        datasets[source],
                        "",
                        datasets[target],
                        "",
                        o.job_namespace,
                        o.job_name,
                    )
                    sight(key, group.seen, None)
        for e in o.fields:
            if e.source == e.target and e.source_field == e.target_field:
                continue
            key = (
                "field",
                datasets[e.source],
                e.source_field,
                datasets[e.target],
                e.target_field,
                o.job_namespace,
                o.job_name,
            )
            sight(key, group.seen, e.transformation)
    if not sightings:
        return
    records = [
        {
            "edge_kind": k[0],
            "source_dataset_id": k[1],
            "source_field": k[2],
            "target_dataset_id": k[3],
            "target_field": k[4],
            "job_namespace": k[5],
            "job_name": k[6],
            "first_run": s.first_run,
            "last_run": s.last_run,
            "runs": len(s.runs),
            "first_at": s.first.isoformat(),
            "last_at": s.last.isoformat(),
            "transformation": s.transformation,
        }
        for k, s in sorted(sightings.items(), key=lambda kv: kv[0])
    ]
    _count_runs_once(session, records)
    ids = [
        row[0]
        for row in session.execute(
            text(
                "INSERT INTO lineage_observations AS o (edge_kind, source_dataset_id, "
                "source_field, target_dataset_id, target_field, job_namespace, job_name, "
                "last_run_id, transformation, observation_count, first_observed_at, "
                "last_observed_at) SELECT r.edge_kind, r.source_dataset_id, r.source_field, "
                "r.target_dataset_id, r.target_field, r.job_namespace, r.job_name, r.last_run, "
                "r.transformation, r.runs, r.first_at, r.last_at FROM jsonb_to_recordset("
                "CAST(:rows AS jsonb)) AS r(edge_kind text, source_dataset_id bigint, "
                "source_field text, target_dataset_id bigint, target_field text, job_namespace "
                "text, job_name text, last_run text, runs int, first_at timestamptz, last_at "
                "timestamptz, transformation text) "
                "ON CONFLICT (edge_kind, source_dataset_id, source_field, target_dataset_id, "
                "target_field, job_namespace, job_name) DO UPDATE SET "
                "observation_count = o.observation_count + EXCLUDED.observation_count, "
                "first_observed_at = LEAST(o.first_observed_at, EXCLUDED.first_observed_at), "
                "last_observed_at = GREATEST(o.last_observed_at, EXCLUDED.last_observed_at), "
                "last_run_id = CASE WHEN EXCLUDED.last_observed_at >= o.last_observed_at THEN "
                "EXCLUDED.last_run_id ELSE o.last_run_id END, "
                "transformation = COALESCE(EXCLUDED.transformation, o.transformation) "
                "RETURNING o.id"
            ),
            {"rows": _json(records)},
        )
    ]
    report.observations += len(ids)
    link_observations(session, ids, report)
    _infer_from_sql(session, groups, report)


KEY_COLUMNS = (
    "edge_kind",
    "source_dataset_id",
    "source_field",
    "target_dataset_id",
    "target_field",
    "job_namespace",
    "job_name",
)


def _infer_from_sql(session: Session, groups: list[_Group], report: DrainReport) -> None:
    """A job's `sql` facet goes through lineage inference as extra evidence (origin
    `sql:openlineage:<namespace>/<job>`), once per distinct SQL of the job: inference
    writes only `inferred` edges and never changes a manual or approved one. SQL it
    cannot use is counted, never an error of the event."""
    from ariadne_core.errors import AriadneError
    from ariadne_core.inference.service import infer_text
    from ariadne_core.inference.sql import fingerprint

    done: set[str] = set()
    for group in groups:
        o = group.shown
        if not o.sql or o.job_name is None:
            continue
        label = f"openlineage:{o.job_namespace}/{o.job_name}"
        if label in done:
            continue
        done.add(label)
        known = session.scalar(
            text("SELECT fingerprint FROM inference_origins WHERE origin = :o"),
            {"o": f"sql:{label}"},
        )
        if known == fingerprint(o.sql):
            continue
        source_id = session.scalar(
            text(
                "SELECT t.source_id FROM observed_datasets d JOIN metadata_tables t ON t.id = "
                "d.table_id WHERE (d.namespace, d.name) IN (SELECT * FROM unnest("
                "CAST(:ns AS text[]), CAST(:n AS text[]))) LIMIT 1"
            ),
            {"ns": [d.namespace for d in o.outputs], "n": [d.name for d in o.outputs]},
        )
        try:
            with session.begin_nested():
                outcome = infer_text(
                    session, o.sql, source_id=source_id, submit=True, label=label, actor=ACTOR
                )
        except AriadneError:
            report.sql_unusable += 1
            continue
        report.sql_read += 1
        report.sql_edges_proposed += outcome.written.created if outcome.written else 0


def _count_runs_once(session: Session, records: list[dict[str, Any]]) -> None:
    """A run whose events span two batches counts once: where the stored observation's
    last run is this batch's first run, this batch adds one run less. (Only one drainer
    runs at a time, under DRAIN_LOCK, so the read cannot go stale before the write.)"""
    stored = {
        tuple(r[:7]): r[7]
        for r in session.execute(
            text(
                "SELECT o.edge_kind, o.source_dataset_id, o.source_field, o.target_dataset_id, "
                "o.target_field, o.job_namespace, o.job_name, o.last_run_id FROM "
                "jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(edge_kind text, "
                "source_dataset_id bigint, source_field text, target_dataset_id bigint, "
                "target_field text, job_namespace text, job_name text) JOIN "
                "lineage_observations o USING (edge_kind, source_dataset_id, source_field, "
                "target_dataset_id, target_field, job_namespace, job_name) WHERE "
                "o.last_run_id IS NOT NULL"
            ),
            {"rows": _json([{k: r[k] for k in KEY_COLUMNS} for r in records])},
        )
    }
    if not stored:
        return
    for record in records:
        if (
            record["first_run"] is not None
            and stored.get(tuple(record[k] for k in KEY_COLUMNS)) == record["first_run"]
        ):
            record["runs"] -= 1


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _record_datasets(
    session: Session, keyring: Keyring, groups: list[_Group], report: DrainReport
) -> dict[Dataset, int]:
    """Upsert every dataset the events name; match the ones not matched yet. Returns the
    id of each."""
    seen: dict[Dataset, tuple[datetime, datetime, str | None, int]] = {}
    for group in groups:
        o = group.shown
        job = f"{o.job_namespace}/{o.job_name}" if o.job_name else None
        first, last = group.seen.first, group.seen.last
        names = {
            *o.inputs,
            *o.outputs,
            *(e.source for e in o.fields),
            *(e.target for e in o.fields),
        }
        for ds in names:
            was = seen.get(ds)
            if was is None:
                seen[ds] = (first, last, job, group.events)
            else:
                seen[ds] = (
                    min(was[0], first),
                    max(was[1], last),
                    job if last >= was[1] else was[2],
                    was[3] + group.events,
                )
    if not seen:
        return {}
    records = [
        {
            "namespace": ds.namespace,
            "name": ds.name,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "job": job,
            "n": n,
        }
        for ds, (first, last, job, n) in sorted(seen.items())
    ]
    rows = session.execute(
        text(
            "INSERT INTO observed_datasets AS d (namespace, name, last_job, seen_count, "
            "first_seen_at, last_seen_at) SELECT r.namespace, r.name, r.job, r.n, r.first, "
            "r.last FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(namespace text, name "
            "text, first timestamptz, last timestamptz, job text, n int) ON CONFLICT "
            "(namespace, name) DO UPDATE SET seen_count = d.seen_count + EXCLUDED.seen_count, "
            "first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at), last_seen_at = "
            "GREATEST(d.last_seen_at, EXCLUDED.last_seen_at), last_job = CASE WHEN "
            "EXCLUDED.last_seen_at >= d.last_seen_at THEN COALESCE(EXCLUDED.last_job, "
            "d.last_job) ELSE d.last_job END RETURNING d.id, d.namespace, d.name, d.table_id"
        ),
        {"rows": _json(records)},
    ).all()
    report.datasets_seen += len(rows)
    ids = {Dataset(r.namespace, r.name): r.id for r in rows}
    unmatched = [Dataset(r.namespace, r.name) for r in rows if r.table_id is None]
    if unmatched:
        matched = Matcher(session, keyring).resolve(unmatched)
        _set_tables(session, {ids[ds]: table for ds, table in matched.items()})
        report.datasets_matched += len(matched)
        home = get_settings().openlineage_external_source
        left = [ds for ds in unmatched if ds not in matched]
        if home and left:
            created = external_tables(session, keyring, home, left)
            _set_tables(session, {ids[ds]: table for ds, table in created.items()})
            report.external_tables_created += len(created)
    return ids


EXTERNAL_ACTOR = "openlineage"


def external_tables(
    session: Session, keyring: Keyring, source_name: str, datasets: list[Dataset]
) -> dict[Dataset, uuid.UUID]:
    """A table of type `external` for each dataset, in the manual source ``source_name``
    (created when missing): schema the namespace, name the dataset's name, dots made
    underscores (dots separate a qualified name's parts); the exact namespace and name
    are kept in the table's properties. Through the catalog services, with history."""
    from ariadne_core.catalog.sources import SourceInput, create_source
    from ariadne_core.catalog.tables import TableInput, create_table
    from ariadne_core.db.models import SourceType

    source_id = session.scalar(
        text("SELECT id FROM data_sources WHERE lower(name) = lower(:n)"), {"n": source_name}
    )
    if source_id is None:
        source_id = create_source(
            session,
            keyring,
            SourceInput(
                name=source_name,
                type=SourceType.MANUAL,
                description="Datasets seen in OpenLineage events that match no other table "
                "(ARIADNE_OPENLINEAGE_EXTERNAL_SOURCE).",
            ),
            EXTERNAL_ACTOR,
        ).id
    out: dict[Dataset, uuid.UUID] = {}
    for ds in datasets:
        schema = _plain(ds.namespace)[:200] or "default"
        name = _plain(ds.name)[:300] or "unnamed"
        existing = session.scalar(
            text(
                "SELECT id FROM metadata_tables WHERE source_id = :s AND NOT is_deleted AND "
                "schema_name = :schema AND name = :name"
            ),
            {"s": source_id, "schema": schema, "name": name},
        )
        if existing is not None:  # two datasets that differ only by their dots
            out[ds] = existing
            continue
        table = create_table(
            session,
            TableInput(
                source_id=source_id,
                schema_name=schema,
                name=name,
                table_type="external",
                description=f"OpenLineage dataset {ds.name} in {ds.namespace}, created "
                "because it matched no table.",
                properties={"openlineage": {"namespace": ds.namespace, "name": ds.name}},
            ),
            EXTERNAL_ACTOR,
        )
        out[ds] = table.id
    return out


def _plain(value: str) -> str:
    return value.strip().replace(".", "_").lstrip()


def _set_tables(session: Session, tables: dict[int, uuid.UUID]) -> None:
    if tables:
        session.execute(
            text(
                "UPDATE observed_datasets d SET table_id = m.t FROM unnest(CAST(:d AS bigint[]), "
                "CAST(:t AS uuid[])) AS m(d, t) WHERE d.id = m.d"
            ),
            {"d": list(tables), "t": list(tables.values())},
        )


def rematch(session: Session, keyring: Keyring, report: DrainReport | None = None) -> int:
    """Match the datasets still unmatched (a table harvested since, an alias added) and
    link what they unblock. Returns how many were matched."""
    report = report or DrainReport()
    rows = session.execute(
        text("SELECT id, namespace, name FROM observed_datasets WHERE table_id IS NULL")
    ).all()
    if not rows:
        return 0
    matched = Matcher(session, keyring).resolve([Dataset(r.namespace, r.name) for r in rows])
    by_ds = {Dataset(r.namespace, r.name): r.id for r in rows}
    _set_tables(session, {by_ds[ds]: table for ds, table in matched.items()})
    if matched:
        link_unlinked(session, [by_ds[ds] for ds in matched], report)
    return len(matched)


def link_unlinked(session: Session, dataset_ids: list[int], report: DrainReport) -> None:
    ids = [
        r[0]
        for r in session.execute(
            text(
                "SELECT id FROM lineage_observations WHERE edge_id IS NULL AND "
                "(source_dataset_id = ANY(:d) OR target_dataset_id = ANY(:d))"
            ),
            {"d": dataset_ids},
        )
    ]
    link_observations(session, ids, report)


def link_observations(session: Session, ids: list[int], report: DrainReport) -> None:
    """Give each unlinked observation among ``ids`` whose ends are matched its edge,
    creating an observed edge where the catalog has none."""
    if not ids:
        return
    rows = session.execute(
        text(
            "SELECT o.id, o.edge_kind, o.source_field, o.target_field, o.job_namespace, "
            "o.job_name, o.last_run_id, o.transformation, o.last_observed_at, "
            "s.table_id AS s_table, t.table_id AS t_table FROM lineage_observations o "
            "JOIN observed_datasets s ON s.id = o.source_dataset_id JOIN observed_datasets t "
            "ON t.id = o.target_dataset_id WHERE o.id = ANY(:ids) AND o.edge_id IS NULL "
            "ORDER BY o.id"
        ),
        {"ids": ids},
    ).all()
    ready = [
        r
        for r in rows
        if r.s_table is not None and r.t_table is not None and r.s_table != r.t_table
    ]
    report.unmatched_pairs += sum(1 for r in rows if r.s_table is None or r.t_table is None)
    if not ready:
        return
    tables = [r for r in ready if r.edge_kind == "table"]
    fields = [r for r in ready if r.edge_kind == "field"]
    # field edges need their table edge: every pair with a field observation gets one
    table_pairs = {(r.s_table, r.t_table): r for r in tables}
    for r in fields:
        table_pairs.setdefault((r.s_table, r.t_table), r)
    table_edges = _link(session, TABLE_EDGES, table_pairs, {}, report)
    links = {r.id: table_edges[(r.s_table, r.t_table)] for r in tables}
    if fields:
        field_ids = _field_ids(session, fields)
        pairs: dict[tuple[uuid.UUID, uuid.UUID], Any] = {}
        owners: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        for r in fields:
            s = field_ids.get((r.s_table, r.source_field.lower()))
            t = field_ids.get((r.t_table, r.target_field.lower()))
            if s is None or t is None or s == t:
                report.unmatched_pairs += 1
                continue
            pairs.setdefault((s, t), r)
            owners[(s, t)] = table_edges[(r.s_table, r.t_table)]
        field_edges = _link(session, FIELD_EDGES, pairs, owners, report)
        for r in fields:
            s = field_ids.get((r.s_table, r.source_field.lower()))
            t = field_ids.get((r.t_table, r.target_field.lower()))
            if s is not None and t is not None and (s, t) in field_edges:
                links[r.id] = field_edges[(s, t)]
    if links:
        session.execute(
            text(
                "UPDATE lineage_observations o SET edge_id = m.e FROM unnest(CAST(:o AS "
                "bigint[]), CAST(:e AS uuid[])) AS m(o, e) WHERE o.id = m.o"
            ),
            {"o": list(links), "e": list(links.values())},
        )


def _field_ids(session: Session, rows: list[Any]) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    tables = sorted({r.s_table for r in rows} | {r.t_table for r in rows})
    out: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    for field_id, table_id, name in session.execute(
        text(
            "SELECT id, table_id, name FROM metadata_fields WHERE table_id = ANY(:t) AND "
            "NOT is_deleted ORDER BY name DESC"  # an exact-case name wins over a folded one
        ),
        {"t": tables},
    ):
        out[(table_id, name.lower())] = field_id
    return out


def _link(
    session: Session,
    kind: EdgeKind,
    pairs: dict[tuple[uuid.UUID, uuid.UUID], Any],
    owners: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID],
    report: DrainReport,
) -> dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]:
    """The edge of each pair: the existing one, untouched, or a new observed edge."""
    existing = existing_edges(session, kind, sorted(pairs))
    out = {pair: edge["id"] for pair, edge in existing.items()}
    report.edges_confirmed += len(existing)
    writer = EdgeWriter(session, ACTOR, CREATED_COMMENT, kind)
    for pair, row in pairs.items():
        if pair in existing:
            continue
        job = f"{row.job_namespace}/{row.job_name}"
        data = EdgeInput(
            source=Endpoint(id=pair[0]),
            target=Endpoint(id=pair[1]),
            transformation_type=row.transformation,
            lineage_source=LineageSource.INFERRED,
            origin=EdgeOrigin.OBSERVED,
            confidence=OBSERVED_CONFIDENCE,
            metadata={
                "observed_by": {"job": job, "run_id": row.last_run_id},
                "evidence": [{"origin": f"openlineage:{job}", "run_id": row.last_run_id}],
            },
        )
        plan = EdgePlan(None, pair[0], pair[1], data)
        if kind is FIELD_EDGES and pair in owners:
            plan.extra["table_lineage_id"] = owners[pair]
        edge_id = writer.add(plan)
        assert edge_id is not None
        out[pair] = edge_id
        report.edges_created += 1
        if kind is TABLE_EDGES:
            report.table_edges_created += 1
        else:
            report.field_edges_created += 1
    writer.flush()
    return out
