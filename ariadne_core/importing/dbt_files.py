"""The `dbt` import type: a dbt project's `manifest.json` (and its `catalog.json`, from
`dbt docs generate`, when given) through the import's preview and execute path.

Upload `manifest.json` alone, or a .zip holding `manifest.json` and `catalog.json` (the
project's `target/` folder zipped). What becomes what:

- models, seeds and snapshots, and the project's sources, become tables (ephemeral
  models have no table: lineage passes through them), with their description, tags,
  owner (`meta.owner`) and type (a view for views, a table otherwise, or what the
  catalog says);
- their columns become fields: the documented ones from the manifest, and every column
  with its type and position from the catalog;
- `depends_on` becomes table lineage, declared (`manual`): a `ref()` or `source()` is
  the author's own statement that the model reads that table;
- the compiled SQL of each model goes through lineage inference (docs/inference.md) and
  gives field lineage, `inferred` and pending review, with the model as evidence; a
  model whose SQL it cannot read is a warning, never a reason to refuse the file.

A node's database chooses its Ariadne source: a source of the adapter's type
(postgres, oracle, ...) whose connection is to that database, else a source named after
the database, else a new `manual` source of that name, created by the import (which
needs an admin). Tables that exist already (harvested, say) are found without regard to
case and keep their names; the import adds what dbt knows to them.

Every row of the report is a node, numbered in the order `nodes_in_order` gives (sources,
then the other nodes, each by unique id); the error report lists the problems by unique
id.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.db.models import SourceType
from ariadne_core.importing.engine import CREATE, UNCHANGED, Context, SheetResult, Translation
from ariadne_core.importing.formats import (
    FileRejected,
    ParsedFile,
    check_document_size,
    synthetic_sheet,
)
from ariadne_core.importing.messages import problem
from ariadne_core.lineage.bulk import FIELD_EDGES, TABLE_EDGES, existing_edges
from ariadne_core.observed.namespaces import source_homes
from ariadne_core.security.secrets import Keyring

SUFFIXES = (".json", ".zip")
MAX_BYTES = 256 * 1024**2  # a manifest, or a catalog, once unpacked
ROW_WORD = "Node"
SQL_SHEET = "compiled_sql"
TABLE_KINDS = ("model", "seed", "snapshot")
ADAPTERS = {
    "postgres": SourceType.POSTGRESQL,
    "oracle": SourceType.ORACLE,
}
VIEW_MATERIALIZATIONS = {"view": "view", "materialized_view": "materialized_view"}


@dataclass
class Column:
    name: str
    data_type: str | None = None
    description: str | None = None
    position: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Node:
    unique_id: str
    resource_type: str
    database: str | None
    schema: str | None
    name: str  # the relation's name: alias, identifier or name
    description: str | None
    tags: list[str]
    owner: str | None
    table_type: str
    columns: dict[str, Column]
    depends_on: list[str]
    sql: str | None
    path: str | None


@dataclass
class Project:
    adapter: str
    name: str
    nodes: list[Node]  # in report order; row n is nodes[n - 1]


# --- reading ------------------------------------------------------------------------------


def read(path: Path, file_name: str) -> Project:
    """The project of an uploaded manifest (or zip of manifest and catalog); raises
    FileRejected for anything else."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise FileRejected(problem("DBT_WRONG_FILE", value=file_name))
    catalog: dict[str, Any] | None = None
    if suffix == ".json":
        _check_size(path.stat().st_size)
        manifest = _json(path.read_bytes(), Path(file_name).name)
    else:
        manifest, catalog = _from_zip(path)
    if _kind(manifest) == "catalog":
        raise FileRejected(problem("DBT_CATALOG_ONLY"))
    if _kind(manifest) != "manifest":
        raise FileRejected(problem("DBT_NOT_MANIFEST", value=Path(file_name).name))
    return project_of(manifest, catalog)


def _check_size(size: int) -> None:
    check_document_size(size, MAX_BYTES, "JSON")


def _json(data: bytes, name: str) -> dict[str, Any]:
    if not data.strip():
        raise FileRejected(problem("FILE_EMPTY"))
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FileRejected(
            problem("FILE_UNREADABLE", format="JSON", reason=f"{name}: {exc}")
        ) from None
    if not isinstance(parsed, dict):
        raise FileRejected(problem("DBT_NOT_MANIFEST", value=name))
    return parsed


def _kind(document: dict[str, Any]) -> str | None:
    """'manifest' or 'catalog', from metadata.dbt_schema_version (or the keys)."""
    metadata = document.get("metadata")
    version = str(metadata.get("dbt_schema_version", "")) if isinstance(metadata, dict) else ""
    for kind in ("manifest", "catalog"):
        if f"/{kind}/" in version:
            return kind
    if isinstance(document.get("nodes"), dict) and "parent_map" in document:
        return "manifest"
    return None


def _from_zip(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            members: dict[str, zipfile.ZipInfo] = {}
            for info in archive.infolist():
                name = Path(info.filename).name
                if info.is_dir() or name not in ("manifest.json", "catalog.json"):
                    continue
                depth = info.filename.count("/")
                if name not in members or depth < members[name].filename.count("/"):
                    members[name] = info
            if "manifest.json" not in members:
                raise FileRejected(problem("DBT_NO_MANIFEST"))
            documents = {}
            for name, info in members.items():
                _check_size(info.file_size)
                with archive.open(info) as handle:
                    data = handle.read(MAX_BYTES + 1)  # the header could lie about sizes
                _check_size(len(data))
                documents[name] = _json(data, name)
    except zipfile.BadZipFile:
        raise FileRejected(
            problem("FILE_UNREADABLE", format="zip", reason="it is not a zip archive")
        ) from None
    return documents["manifest.json"], documents.get("catalog.json")


def _text_of(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    shown = str(value).strip()
    return shown or None


def _tags(*values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for tag in items:
            tag = str(tag).strip()
            if tag and tag not in out:
                out.append(tag)
    return out


def _owner(raw: dict[str, Any]) -> str | None:
    for holder in (raw.get("meta"), _obj(raw.get("config")).get("meta")):
        if isinstance(holder, dict) and _text_of(holder.get("owner")):
            return _text_of(holder.get("owner"))
    return None


def project_of(manifest: dict[str, Any], catalog: dict[str, Any] | None) -> Project:
    metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    adapter = str(metadata.get("adapter_type") or "").lower()
    raw: dict[str, dict[str, Any]] = {}
    for key in ("sources", "nodes"):
        section = manifest.get(key)
        if isinstance(section, dict):
            raw.update({str(k): v for k, v in section.items() if isinstance(v, dict)})
    ephemeral: dict[str, list[str]] = {}
    kept: dict[str, dict[str, Any]] = {}
    for uid, item in raw.items():
        kind = str(item.get("resource_type") or "")
        materialized = str(_obj(item.get("config")).get("materialized") or "")
        if kind == "model" and materialized == "ephemeral":
            ephemeral[uid] = _depends(item)
        elif kind in (*TABLE_KINDS, "source"):
            kept[uid] = item
    described = {}
    if catalog is not None:
        for key in ("sources", "nodes"):
            section = catalog.get(key)
            if isinstance(section, dict):
                described.update({str(k): v for k, v in section.items() if isinstance(v, dict)})
    nodes = []
    order = sorted(kept, key=lambda uid: (kept[uid].get("resource_type") != "source", uid))
    for uid in order:
        nodes.append(_node(uid, kept[uid], described.get(uid), kept, ephemeral))
    name = _text_of(metadata.get("project_name")) or _project_from_ids(order) or "dbt"
    return Project(adapter, name, nodes)


def _project_from_ids(ids: list[str]) -> str | None:
    for uid in ids:
        parts = uid.split(".")
        if parts[0] in TABLE_KINDS and len(parts) >= 3:
            return parts[1]
    return None


def _depends(item: dict[str, Any]) -> list[str]:
    depends = item.get("depends_on")
    nodes = depends.get("nodes") if isinstance(depends, dict) else None
    return [str(n) for n in nodes] if isinstance(nodes, list) else []


def _through_ephemeral(
    ids: list[str], kept: dict[str, Any], ephemeral: dict[str, list[str]]
) -> list[str]:
    """The tables a node reads, an ephemeral model replaced by what it reads."""
    out: list[str] = []
    stack, seen = list(reversed(ids)), set()
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        if uid in ephemeral:
            stack.extend(reversed(ephemeral[uid]))
        elif uid in kept and uid not in out:
            out.append(uid)
    return out


def _obj(value: Any) -> dict[str, Any]:
    """A manifest object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def _entries(value: Any) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a manifest object; anything else has none."""
    return list(value.items()) if isinstance(value, dict) else []


def _node(
    uid: str,
    item: dict[str, Any],
    described: dict[str, Any] | None,
    kept: dict[str, Any],
    ephemeral: dict[str, list[str]],
) -> Node:
    kind = str(item.get("resource_type"))
    config = item.get("config") if isinstance(item.get("config"), dict) else {}
    assert isinstance(config, dict)
    materialized = str(config.get("materialized") or "")
    table_type = VIEW_MATERIALIZATIONS.get(materialized, "table")
    columns: dict[str, Column] = {}
    for key, value in _entries(item.get("columns")):
        if isinstance(value, dict):
            name = _text_of(value.get("name")) or str(key)
            columns[name.lower()] = Column(
                name,
                _text_of(value.get("data_type")),
                _text_of(value.get("description")),
                tags=_tags(value.get("tags")),
            )
    if described:
        meta = described.get("metadata") if isinstance(described.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        if "view" in str(meta.get("type") or "").lower():
            table_type = "view"
        for key, value in _entries(described.get("columns")):
            if not isinstance(value, dict):
                continue
            name = _text_of(value.get("name")) or str(key)
            column = columns.setdefault(name.lower(), Column(name))
            column.name = name  # the database's spelling
            column.data_type = _text_of(value.get("type")) or column.data_type
            index = value.get("index")
            column.position = index if isinstance(index, int) and index > 0 else None
            column.description = column.description or _text_of(value.get("comment"))
    relation = (
        _text_of(item.get("identifier")) if kind == "source" else _text_of(item.get("alias"))
    ) or str(item.get("name"))
    sql = _text_of(item.get("compiled_code")) or _text_of(item.get("compiled_sql"))
    return Node(
        unique_id=uid,
        resource_type=kind,
        database=_text_of(item.get("database")),
        schema=_text_of(item.get("schema")),
        name=relation,
        description=_text_of(item.get("description")),
        tags=_tags(item.get("tags"), config.get("tags")),
        owner=_owner(item),
        table_type=table_type,
        columns=columns,
        depends_on=_through_ephemeral(_depends(item), kept, ephemeral),
        sql=sql if kind in ("model", "snapshot") else None,
        path=_text_of(item.get("original_file_path")),
    )


# --- mapping to the catalog ---------------------------------------------------------------


def translate(session: Session, keyring: Keyring, project: Project, file_name: str) -> Translation:
    """The project as sources, tables, fields and table lineage sheets, and the step
    that reads the compiled SQL once the tables exist."""
    homes = [h for h, _ in source_homes(session, keyring, active_only=False)]
    by_name = {h.source_name.lower(): h for h in homes}
    kind = ADAPTERS.get(project.adapter)
    source_of: dict[str, str] = {}  # database (lower) -> Ariadne source name
    new_sources: list[tuple[int, dict[str, str | None]]] = []
    for number, node in enumerate(project.nodes, start=1):
        database = (node.database or project.name).lower()
        if database in source_of:
            continue
        same = [
            h
            for h in homes
            if kind is not None
            and h.source_type == kind
            and h.database
            and h.database.lower() == database
        ]
        if len(same) == 1:
            source_of[database] = same[0].source_name
        elif database in by_name:
            source_of[database] = by_name[database].source_name
        else:
            source_of[database] = database
            new_sources.append(
                (
                    number,
                    {
                        "name": database,
                        "type": "manual",
                        "description": f"Database {node.database or database} of the dbt "
                        f"project {project.name} ({project.adapter or 'unknown'} adapter), "
                        f"created by the import of {Path(file_name).name}.",
                    },
                )
            )
    existing = _existing_names(session, project, source_of)
    qualified: dict[str, str] = {}
    emitted: set[str] = set()
    Rows = list[tuple[int, dict[str, str | None]]]
    table_rows: Rows = []
    field_rows: Rows = []
    lineage_rows: Rows = []
    for number, node in enumerate(project.nodes, start=1):
        source = source_of[(node.database or project.name).lower()]
        key = (source.lower(), (node.schema or "").lower(), node.name.lower())
        schema, name = existing.get(key, (node.schema, node.name))
        qualified[node.unique_id] = ".".join(p for p in (source, schema, name) if p)
        if qualified[node.unique_id] in emitted:  # a source and a seed of one relation
            continue
        emitted.add(qualified[node.unique_id])
        table_rows.append(
            (
                number,
                {
                    "source": source,
                    "schema": schema,
                    "name": name,
                    "type": node.table_type,
                    "description": node.description,
                    "owner": node.owner,
                    "tags": ", ".join(node.tags) or None,
                },
            )
        )
        for column in node.columns.values():
            field_rows.append(
                (
                    number,
                    {
                        "table": qualified[node.unique_id],
                        "name": column.name,
                        "data_type": column.data_type,
                        "position": str(column.position) if column.position else None,
                        "description": column.description,
                        "tags": ", ".join(column.tags) or None,
                    },
                )
            )
    for number, node in enumerate(project.nodes, start=1):
        for upstream in node.depends_on:
            lineage_rows.append(
                (
                    number,
                    {
                        "source_table": qualified[upstream],
                        "target_table": qualified[node.unique_id],
                        "transformation_type": f"dbt {node.resource_type}",
                        "transformation_logic": f"{node.unique_id}"
                        + (f" ({node.path})" if node.path else ""),
                        "lineage_source": "manual",
                    },
                )
            )
    sheets = [
        synthetic_sheet("sources", "sources", new_sources, ROW_WORD),
        synthetic_sheet("tables", "tables", table_rows, ROW_WORD),
        synthetic_sheet("fields", "fields", field_rows, ROW_WORD),
        synthetic_sheet("table_lineage", "table_lineage", lineage_rows, ROW_WORD),
    ]
    kept = [
        s
        for s, rows in zip(sheets, (new_sources, table_rows, field_rows, lineage_rows), strict=True)
        if rows
    ]

    def after(ctx: Context, results: list[SheetResult], graph: Any, write: bool) -> None:
        column_lineage(ctx, project, source_of, qualified, results, graph, write)

    return Translation(ParsedFile("dbt", kept), after)


def _existing_names(
    session: Session, project: Project, source_of: dict[str, str]
) -> dict[tuple[str, str, str], tuple[str | None, str]]:
    """(source, schema, name) in lower case -> the spelling of a table the catalog has."""
    names = sorted({n.name.lower() for n in project.nodes})
    rows = session.execute(
        text(
            "SELECT s.name AS source, t.schema_name, t.name FROM metadata_tables t JOIN "
            "data_sources s ON s.id = t.source_id WHERE NOT t.is_deleted AND "
            "lower(s.name) = ANY(:s) AND lower(t.name) = ANY(:n)"
        ),
        {"s": sorted({s.lower() for s in source_of.values()}), "n": names},
    ).all()
    return {
        (r.source.lower(), (r.schema_name or "").lower(), r.name.lower()): (r.schema_name, r.name)
        for r in rows
    }


def column_lineage(
    ctx: Context,
    project: Project,
    source_of: dict[str, str],
    qualified: dict[str, str],
    results: list[SheetResult],
    graph: Any,
    write: bool,
) -> None:
    """Read each model's compiled SQL with lineage inference, now that its tables exist
    (in the import's transaction): field edges for review, the model as evidence."""
    from ariadne_core.inference.service import (
        CatalogIndex,
        OriginResult,
        apply,
        measure_proposals,
        proposals_from_sql,
    )
    from ariadne_core.inference.sql import analyze, dialect_name, fingerprint

    session = ctx.session
    sheet = SheetResult(SQL_SHEET, "sql", row_word=ROW_WORD)
    try:
        dialect_name(project.adapter)
        dialect = project.adapter
    except ValueError:
        dialect = "ansi"
    source_ids: dict[str, uuid.UUID] = dict(
        session.execute(text("SELECT lower(name), id FROM data_sources")).all()
    )
    declared = set()
    for node in project.nodes:
        for upstream in node.depends_on:
            declared.add((qualified[upstream], qualified[node.unique_id]))
    indexes: dict[tuple[Any, str], CatalogIndex] = {}
    outcomes: list[OriginResult] = []
    rows: dict[str, int] = {}
    for number, node in enumerate(project.nodes, start=1):
        if not node.sql:
            continue
        rows[node.unique_id] = number
        source_id: uuid.UUID | None = source_ids.get(
            source_of[(node.database or project.name).lower()].lower()
        )
        key = (source_id, (node.schema or "").lower())
        if key not in indexes:
            indexes[key] = CatalogIndex(
                session,
                source_id=source_id,
                search_path=[*([key[1]] if key[1] else []), "public"],
                preload=False,
            )
        lineage = analyze(node.sql, dialect, catalog=indexes[key], target=qualified[node.unique_id])
        errors = [s.error for s in lineage.statements if s.error]
        if errors or not lineage.statements:
            sheet.add(
                "DBT_SQL_UNREADABLE",
                number,
                value=node.unique_id,
                reason=errors[0] if errors else "no statement found",
            )
            continue
        sheet.statuses[number] = UNCHANGED  # CREATE below if it proposes a new edge
        origin = f"dbt:{project.name}:{node.unique_id}"
        outcomes.append(
            proposals_from_sql(
                indexes[key],
                lineage,
                origin=origin,
                source_id=None,
                where={
                    "kind": "dbt",
                    "object": node.unique_id,
                    "file": node.path,
                    "submitted_by": ctx.actor.email,
                },
                sql_fingerprint=fingerprint(node.sql),
            )
        )
    results.append(sheet)
    # The report counts the depends_on edges already, as declared rows; measure only what
    # the SQL adds to them (the writer still sees every proposal: on a declared edge it
    # only adds the SQL as evidence).
    measured = [
        OriginResult(
            o.origin,
            o.source_id,
            o.fingerprint,
            [
                p
                for p in o.proposals
                if p.kind != "table" or (p.source_name, p.target_name) not in declared
            ],
        )
        for o in outcomes
    ]

    for kind in (TABLE_EDGES, FIELD_EDGES):
        pairs = {
            (p.source_id, p.target_id): str(p.evidence.get("object"))
            for o in measured
            for p in o.proposals
            if p.kind == kind.entity
        }
        known = existing_edges(session, kind, sorted(pairs), lock=False)
        for pair, uid in pairs.items():
            if pair not in known and uid in rows:
                sheet.statuses[rows[uid]] = CREATE

    def where(proposal: Any) -> tuple[str | None, int | None]:
        return SQL_SHEET, rows.get(str(proposal.evidence.get("object")))

    table_added, field_added = graph.table_edges_added, graph.field_edges_added
    for _, line, path in measure_proposals(session, measured, graph, where):
        sheet.add("CYCLE_CREATED", line, path=" → ".join(path))
    graph.table_edges_added += table_added
    graph.field_edges_added += field_added
    if write:
        apply(session, outcomes, force=True)


def nodes_in_order(path: Path, file_name: str) -> Iterator[str]:
    """The unique ids of the report's rows, in order (for the error report)."""
    yield from (node.unique_id for node in read(path, file_name).nodes)
