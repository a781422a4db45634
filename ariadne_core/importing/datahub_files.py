"""The `datahub_lineage` import type: DataHub's file-based lineage YAML (the
`datahub-lineage-file` source, version 1) through the import's preview and execute path
(EXAMPLE below is a whole one).

Each `upstream` entity becomes a table lineage row and each `fineGrainedLineages` item
the field lineage rows of its upstream-by-downstream fields; a row's number is its line
in the file, so problems point at the line to fix. The rows then go through the same
handlers as a `table_lineage` or `field_lineage` file (declared, `manual` edges, the
same checks, graph effect and `replace`). An upstream entity's own `upstream` list is
read too.

Datasets are mapped to Ariadne tables by platform and name
(`resolve`): a `platform_instance` that is an Ariadne source's name chooses that
source; otherwise the platform chooses the sources of its type (postgres, oracle,
mongodb, elasticsearch) and any source named after the platform (a manual source
`snowflake`, say); a name whose first part is an Ariadne source's name is also looked up
there. Within those sources the name matches a table as an OpenLineage dataset name
does (`observed.namespaces.name_options`): its last two parts as schema and table, or
its last part, a leading database name being the source's. A dataset that matches no
table, or tables in two sources, is an error on its line.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.db.models import SourceType
from ariadne_core.importing.engine import Translation
from ariadne_core.importing.formats import (
    DOCUMENT_MAX_BYTES,
    FileRejected,
    ParsedFile,
    _text,
    check_document_size,
    compose_yaml,
    synthetic_sheet,
    yaml_unreadable,
)
from ariadne_core.importing.messages import Problem, problem
from ariadne_core.observed.namespaces import Home, Option, match_options, name_options, source_homes
from ariadne_core.security.secrets import Keyring

SUFFIXES = (".yml", ".yaml", ".json")
MAX_BYTES = DOCUMENT_MAX_BYTES["YAML"]
TABLE_SHEET, FIELD_SHEET = "table_lineage", "field_lineage"
ROW_WORD = "Line"
MAX_URN = 4000
PLATFORMS = {
    "postgres": SourceType.POSTGRESQL,
    "postgresql": SourceType.POSTGRESQL,
    "oracle": SourceType.ORACLE,
    "mongodb": SourceType.MONGODB,
    "elasticsearch": SourceType.ELASTICSEARCH,
}
# GET /api/v1/import/templates/datahub_lineage: the shape, on the names of the templates.
EXAMPLE = """\
# A DataHub lineage file (the datahub-lineage-file source), imported by Ariadne as the
# type datahub_lineage. platform_instance names the Ariadne source a dataset is in;
# without it the platform chooses (postgres, oracle, mongodb, elasticsearch sources, or
# a source named after the platform). Upstreams are declared (manual) table lineage;
# fineGrainedLineages are field lineage. Problems are reported by line.
version: 1
lineage:
  - entity:
      name: marts.daily_revenue
      type: dataset
      platform: postgres
      platform_instance: warehouse
    upstream:
      - entity:
          name: public.orders
          type: dataset
          platform: postgres
          platform_instance: sales
    fineGrainedLineages:
      - upstreamType: FIELD_SET
        upstreams:
          - urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:postgres,sales.public.orders,PROD),amount)
        downstreamType: FIELD
        downstreams:
          - urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:postgres,warehouse.marts.daily_revenue,PROD),revenue)
        transformOperation: aggregate
        confidenceScore: 1.0
"""
_FIELD_URN = re.compile(
    r"^urn:li:schemaField:\(urn:li:dataset:\(urn:li:dataPlatform:([^,()]+),(.+),([^,()]+)\),(.+)\)$"
)
_V2_TOKEN = re.compile(r"\[[^\]]*\]")  # [version=2.0], [type=struct], [key=True]
_DATASET_URN = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,()]+),(.+),([^,()]+)\)$")


@dataclass(frozen=True)
class Dataset:
    platform: str
    name: str
    instance: str | None = None


@dataclass
class TablePair:
    line: int
    upstream: Dataset
    downstream: Dataset


@dataclass
class FieldPairs:
    line: int
    pairs: list[tuple[tuple[Dataset, str], tuple[Dataset, str]]]
    transform: str | None
    confidence: str | None


@dataclass
class LineageFile:
    tables: list[TablePair] = field(default_factory=list)
    fields: list[FieldPairs] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # on a line

    def add(self, code: str, sheet: str, line: int, **params: Any) -> None:
        self.problems.append(problem(code, sheet=sheet, row=line, row_word=ROW_WORD, **params))


# --- reading ------------------------------------------------------------------------------


def read(path: Path, file_name: str) -> LineageFile:
    """The lineage of a DataHub lineage file, bounded in size and nesting; raises
    FileRejected for a file that is not one."""
    if Path(file_name).suffix.lower() not in SUFFIXES:
        raise FileRejected(problem("DH_WRONG_FILE", value=file_name))
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(problem("FILE_EMPTY"))
    check_document_size(size, MAX_BYTES, "YAML")
    body = _text(path, "YAML")
    if not body.strip():
        raise FileRejected(problem("FILE_EMPTY"))
    try:
        root = compose_yaml(body)  # JSON is YAML too; the nodes know their lines
    except yaml.YAMLError as exc:
        raise yaml_unreadable(exc) from exc
    top = _mapping(root)
    if top is None or "lineage" not in top:
        raise FileRejected(problem("DH_NOT_LINEAGE_FILE"))
    version = _scalar(top.get("version"))
    if version is not None and version.strip() not in ("1", "1.0"):
        raise FileRejected(problem("DH_VERSION", value=version))
    entries = top["lineage"]
    if not isinstance(entries, yaml.SequenceNode) or not entries.value:
        raise FileRejected(problem("DH_NOT_LINEAGE_FILE"))
    found = LineageFile()
    for entry in entries.value:
        _read_entry(entry, found, depth=0)
    if not found.tables and not found.fields and not found.problems:
        raise FileRejected(problem("DH_NOTHING"))
    return found


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _mapping(node: Any) -> dict[str, Any] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: Any) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return None
    value = str(node.value).strip()
    return value or None


def _entity(node: Any, sheet: str, found: LineageFile) -> Dataset | None:
    """The `entity` of a lineage item, or None after adding the problem."""
    where = _line(node)
    item = _mapping(node)
    entity = _mapping(item.get("entity")) if item else None
    if entity is None:
        found.add("DH_ENTRY_INVALID", sheet, where, reason="it has no 'entity' object")
        return None
    where = _line(item["entity"]) if item else where
    kind = _scalar(entity.get("type")) or "dataset"
    if kind.lower() != "dataset":
        found.add("DH_ENTITY_TYPE", sheet, where, value=kind)
        return None
    platform, name = _scalar(entity.get("platform")), _scalar(entity.get("name"))
    missing = [k for k, v in (("platform", platform), ("name", name)) if v is None]
    if missing or platform is None or name is None:
        found.add("DH_ENTRY_INVALID", sheet, where, reason=f"its entity has no {missing[0]}")
        return None
    if name.startswith("urn:li:"):
        found.add("DH_ENTRY_INVALID", sheet, where, reason="its name is an urn, not a plain name")
        return None
    return Dataset(platform.lower(), name, _scalar(entity.get("platform_instance")))


def _read_entry(node: Any, found: LineageFile, depth: int) -> None:
    downstream = _entity(node, TABLE_SHEET, found)
    item = _mapping(node) or {}
    upstream = item.get("upstream")
    if isinstance(upstream, yaml.SequenceNode):
        for child in upstream.value:
            source = _entity(child, TABLE_SHEET, found)
            if source is not None and downstream is not None:
                entity_node = (_mapping(child) or {}).get("entity", child)
                found.tables.append(TablePair(_line(entity_node), source, downstream))
            if depth < 8 and "upstream" in (_mapping(child) or {}):
                _read_entry(child, found, depth + 1)  # the upstream's own upstreams
    fine = item.get("fineGrainedLineages")
    if isinstance(fine, yaml.SequenceNode):
        for lineage in fine.value:
            _read_fine(lineage, found)


def _read_fine(node: Any, found: LineageFile) -> None:
    where = _line(node)
    item = _mapping(node)
    if item is None:
        found.add("DH_ENTRY_INVALID", FIELD_SHEET, where, reason="it is not an object")
        return
    sides: list[list[tuple[Dataset, str]]] = []
    for key in ("upstreams", "downstreams"):
        refs: list[tuple[Dataset, str]] = []
        values = item.get(key)
        urns = values.value if isinstance(values, yaml.SequenceNode) else []
        for urn_node in urns:
            urn = _scalar(urn_node) or ""
            ref = parse_field_urn(urn)
            if ref is None:
                code = "DH_NOT_A_FIELD" if _DATASET_URN.match(urn) else "DH_BAD_URN"
                found.add(code, FIELD_SHEET, _line(urn_node), value=urn[:300], column=key)
                continue
            refs.append(ref)
        sides.append(refs)
    pairs = [(u, d) for u in sides[0] for d in sides[1]]
    if not pairs:
        return
    confidence = _scalar(item.get("confidenceScore"))
    found.fields.append(
        FieldPairs(where, pairs, _scalar(item.get("transformOperation")), confidence)
    )


def parse_field_urn(urn: str) -> tuple[Dataset, str] | None:
    """(dataset, field) of a schemaField urn; a v2 field path's [version=..] and
    [type=..] parts are dropped."""
    if len(urn) > MAX_URN:  # the pattern backtracks: never on an unbounded string
        return None
    match = _FIELD_URN.match(urn.strip())
    if match is None:
        return None
    platform, name, _env, path = match.groups()
    if platform.startswith("urn:li:dataPlatform:"):
        platform = platform.removeprefix("urn:li:dataPlatform:")
    plain = ".".join(p for p in _V2_TOKEN.sub("", path).split(".") if p)
    if not plain:
        return None
    return Dataset(platform.lower(), name), plain


# --- mapping to the catalog ---------------------------------------------------------------


class Resolver:
    """Ariadne's table for each DataHub dataset (see the module text)."""

    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session = session
        self.homes = [home for home, _ in source_homes(session, keyring, active_only=False)]
        self.by_name = {h.source_name.lower(): h for h in self.homes}

    def _sources(self, ds: Dataset) -> list[Home]:
        if ds.instance and ds.instance.lower() in self.by_name:
            return [self.by_name[ds.instance.lower()]]
        kind = PLATFORMS.get(ds.platform)
        chosen = [h for h in self.homes if h.source_type == kind] if kind else []
        named = self.by_name.get(ds.platform)
        if named is not None and named not in chosen:
            chosen.append(named)
        return chosen

    def _options(self, ds: Dataset) -> list[Option]:
        options = name_options(ds.name, self._sources(ds))
        first, _, rest = ds.name.partition(".")
        home = self.by_name.get(first.lower())
        if rest and home is not None:
            options.extend(name_options(rest, [home]))
        return options

    def resolve(self, datasets: set[Dataset]) -> dict[Dataset, list[str]]:
        """The qualified names of the tables each dataset may be (none, one, or several
        when it is ambiguous)."""
        hits = match_options(self.session, {ds: self._options(ds) for ds in datasets})
        ids = sorted({i for found in hits.values() for i in found})
        names: dict[uuid.UUID, str] = dict(
            self.session.execute(
                text("SELECT id, qualified_name FROM metadata_tables WHERE id = ANY(:ids)"),
                {"ids": ids},
            ).all()
        )
        return {ds: [names[i] for i in hits.get(ds, [])] for ds in datasets}

    def tried(self, ds: Dataset) -> str:
        names = [h.source_name for h in self._sources(ds)]
        return ", ".join(names) if names else "none"


def translate(
    session: Session, keyring: Keyring, lineage: LineageFile, file_name: str
) -> Translation:
    """The file as table and field lineage sheets, each dataset mapped to a table; a
    line whose dataset maps to no table (or to several) is an error, and none of its
    rows is imported."""
    resolver = Resolver(session, keyring)
    datasets = {p.upstream for p in lineage.tables} | {p.downstream for p in lineage.tables}
    datasets |= {ref[0] for group in lineage.fields for pair in group.pairs for ref in pair}
    tables = resolver.resolve(datasets)
    problems = list(lineage.problems)

    def table_of(ds: Dataset, sheet: str, line: int) -> str | None:
        found = tables.get(ds, [])
        if len(found) == 1:
            return found[0]
        shown = f"{ds.platform} {ds.name}"
        if found:
            problems.append(
                problem(
                    "DH_DATASET_AMBIGUOUS",
                    sheet=sheet,
                    row=line,
                    row_word=ROW_WORD,
                    value=shown,
                    tables=", ".join(sorted(found)[:5]),
                )
            )
        else:
            problems.append(
                problem(
                    "DH_DATASET_UNMATCHED",
                    sheet=sheet,
                    row=line,
                    row_word=ROW_WORD,
                    value=shown,
                    sources=resolver.tried(ds),
                )
            )
        return None

    table_rows: list[tuple[int, dict[str, str | None]]] = []
    for pair in lineage.tables:
        up = table_of(pair.upstream, TABLE_SHEET, pair.line)
        down = table_of(pair.downstream, TABLE_SHEET, pair.line)
        if up and down:
            table_rows.append(
                (pair.line, {"source_table": up, "target_table": down, "lineage_source": "manual"})
            )
    field_rows: list[tuple[int, dict[str, str | None]]] = []
    for group in lineage.fields:
        rows = []
        for (up_ds, up_field), (down_ds, down_field) in group.pairs:
            up = table_of(up_ds, FIELD_SHEET, group.line)
            down = table_of(down_ds, FIELD_SHEET, group.line)
            if up and down:
                rows.append(
                    (
                        group.line,
                        {
                            "source_field": f"{up}.{up_field}",
                            "target_field": f"{down}.{down_field}",
                            "transformation_type": group.transform,
                            "confidence": group.confidence,
                            "lineage_source": "manual",
                        },
                    )
                )
        if len(rows) == len(group.pairs):  # a line is imported whole or not at all
            field_rows.extend(rows)
    sheets = [
        synthetic_sheet(TABLE_SHEET, "table_lineage", table_rows, ROW_WORD),
        synthetic_sheet(FIELD_SHEET, "field_lineage", field_rows, ROW_WORD),
    ]
    unique = list(dict.fromkeys(problems))  # a dataset is told once per line
    for sheet in sheets:  # reported on the sheet, so the line counts as an error row
        sheet.problems.extend(p for p in unique if p.sheet == sheet.name)
    kept = [
        sheet
        for sheet, rows in zip(sheets, (table_rows, field_rows), strict=True)
        if rows or sheet.problems
    ]
    return Translation(ParsedFile("datahub", kept))
