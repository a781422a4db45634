"""Table and column lineage from SQL text, on sqlglot's parser and scopes.

`analyze(sql, dialect)` reads a statement or a whole script and answers which tables
it reads, which it writes, and which column of a written table comes from which
columns of the tables read, with the kind of transformation in between. Names are
lower-cased; an unqualified table gets the default schema when one is given. With a
``schema`` (table name → its columns, in order), ``*`` is expanded, unqualified columns
of a join are attributed to the one table that has them, and an INSERT without a column
list maps its columns by position. What cannot be attributed is listed in
``unresolved``, never guessed.

Column lineage is the lineage of values: the columns a target column is computed from,
through projections, CTEs, subqueries, set operations, scalar subqueries, CASE, casts,
aggregates and windows. Columns that only filter or join rows (WHERE, ON, GROUP BY) do
not make a column edge; the tables they come from are still sources of the statement.

In a script, a table that one statement writes and a later one reads is intermediate:
the script's lineage runs through it (``a → tmp → b`` gives ``a → b``, column by column)
and it is reported in ``intermediates``, not as a source or a target. Tables created
and dropped inside the script vanish; ``ALTER TABLE … RENAME`` moves what was written.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialects
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.scope import Scope, build_scope

from ariadne_core.inference.confidence import sql_confidence
from ariadne_core.inference.scripts import Piece, split_script

# sqlglot warns on the log when it falls back to an opaque command; the statement's
# own result says so instead.
logging.getLogger("sqlglot").setLevel(logging.ERROR)
log = logging.getLogger("ariadne.inference")

DIALECTS = {
    "ansi": "",
    "postgres": "postgres",
    "postgresql": "postgres",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "tsql": "tsql",
    "sqlserver": "tsql",
    "mssql": "tsql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "spark": "spark",
    "sparksql": "spark",
    "databricks": "databricks",
    "hive": "hive",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "trino": "trino",
    "presto": "presto",
    "athena": "athena",
    "sqlite": "sqlite",
    "teradata": "teradata",
    "clickhouse": "clickhouse",
    "vertica": "postgres",
    "greenplum": "postgres",
    "materialize": "materialize",
    "exasol": "exasol",
    "impala": "hive",
    "db2": "",
    "generic": "",
    "non-validating": "",
}
_SQLGLOT_DIALECTS = frozenset(d.value for d in Dialects if d.value)

# Ranks of the transformation kinds: a path through several takes the highest.
KINDS = ("copy", "cast", "expression", "case", "aggregate", "window")
_RANK = {k: i for i, k in enumerate(KINDS)}
STAR = "*"


def dialect_name(dialect: str | None) -> str:
    """The sqlglot dialect for a name people use (ours, or any sqlglot knows); unknown
    names raise ValueError."""
    key = (dialect or "ansi").strip().lower()
    if key in DIALECTS:
        return DIALECTS[key]
    if key in _SQLGLOT_DIALECTS:
        return key
    raise ValueError(f"Unknown SQL dialect '{dialect}'. Use one of: {', '.join(sorted(DIALECTS))}.")


def fingerprint(sql: str) -> str:
    """Whitespace-, case- and comment-insensitive hash of SQL text (the evidence key)."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ColumnEdge:
    source_table: str
    source_column: str
    target_table: str
    target_column: str
    transformation: str
    expression: str | None = None


@dataclass
class Statement:
    index: int
    line: int
    text: str
    kind: str
    sources: list[str] = field(default_factory=list)
    target: str | None = None
    column_edges: list[ColumnEdge] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    star_expanded: bool = False
    partial: bool = False
    error: str | None = None
    body_of: str | None = None
    dropped: list[str] = field(default_factory=list)
    renamed: tuple[str, str] | None = None
    use_schema: str | None = None
    extras: list[Statement] = field(default_factory=list)  # INSERT ALL's other targets

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.text)

    @property
    def confidence(self) -> float:
        return sql_confidence(
            star_expanded=self.star_expanded,
            unresolved=bool(self.unresolved),
            partial=self.partial,
        )


@dataclass
class Lineage:
    dialect: str
    statements: list[Statement]
    sources: list[str]
    targets: list[str]
    intermediates: list[str]
    column_edges: list[ColumnEdge]

    @property
    def errors(self) -> list[Statement]:
        return [s for s in self.statements if s.error]

    @property
    def table_edges(self) -> list[tuple[str, str]]:
        """The script's table edges, intermediates followed through (``a → tmp → b``
        gives ``a → b``)."""
        edges = _script_table_edges(self.statements)[0]
        middle = set(self.intermediates)
        out: dict[str, set[str]] = {}
        for source, target in edges:
            out.setdefault(source, set()).add(target)
        result: set[tuple[str, str]] = set()
        for source in out:
            if source in middle:
                continue
            stack, seen = list(out[source]), set()
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                if node in middle:
                    stack.extend(out.get(node, ()))
                elif node != source:
                    result.add((source, node))
        return sorted(result)


class Catalog:
    """What is known of the tables a statement names: their columns, in order.

    Keys are lower-case names as the SQL would write them after the default schema is
    applied (``schema.table`` or ``db.schema.table``); a lookup also tries the name
    without its first part and with each schema of the search path in front."""

    def __init__(
        self,
        tables: Mapping[str, Sequence[str]] | None = None,
        search_path: Sequence[str] = (),
    ) -> None:
        self.tables = {k.lower(): [c.lower() for c in v] for k, v in (tables or {}).items()}
        self.search_path = [s.lower() for s in search_path]

    def resolve(self, name: str) -> str | None:
        """The catalog key a SQL table name stands for, or None."""
        if name in self.tables:
            return name
        parts = name.split(".")
        if len(parts) == 1:
            for schema in self.search_path:
                if f"{schema}.{name}" in self.tables:
                    return f"{schema}.{name}"
        for cut in range(1, len(parts)):
            shorter = ".".join(parts[cut:])
            if shorter in self.tables:
                return shorter
        return None

    def columns(self, name: str) -> list[str] | None:
        key = self.resolve(name)
        return None if key is None else self.tables[key]


_EMPTY = Catalog()


def analyze(
    sql: str,
    dialect: str | None = "ansi",
    *,
    default_schema: str | None = None,
    catalog: Catalog | None = None,
    target: str | None = None,
) -> Lineage:
    """The lineage of a statement or a script (see the module text). ``target`` names
    the table a bare query fills (a view's definition is only its SELECT)."""
    read = dialect_name(dialect)
    catalog = catalog or _EMPTY
    statements: list[Statement] = []
    schema = default_schema.lower() if default_schema else None
    session_tables: dict[str, list[str]] = {}  # columns of tables the script creates
    for index, piece in enumerate(split_script(sql, read)):
        statement = _analyze_piece(
            index, piece, read, schema, catalog, session_tables, target.lower() if target else None
        )
        if statement.use_schema:
            schema = statement.use_schema
        statements.append(statement)
        statements.extend(statement.extras)
    _edges, sources, targets, intermediates = _script_table_edges(statements)
    return Lineage(
        dialect=dialect or "ansi",
        statements=statements,
        sources=sources,
        targets=targets,
        intermediates=intermediates,
        column_edges=_script_column_edges(statements, set(intermediates)),
    )


# --- one statement -----------------------------------------------------------------------


def _analyze_piece(
    index: int,
    piece: Piece,
    read: str,
    schema: str | None,
    catalog: Catalog,
    session_tables: dict[str, list[str]],
    target: str | None = None,
) -> Statement:
    statement = Statement(
        index=index,
        line=piece.line,
        text=piece.text.strip(),
        kind="unknown",
        partial=piece.in_body,
        body_of=piece.body_of,
    )
    try:
        tree = sqlglot.parse_one(piece.text, read=read)
    except (ParseError, TokenError) as exc:
        statement.error = _parse_message(exc)
        return statement
    except (SqlglotError, RecursionError, ValueError) as exc:
        statement.error = f"could not be read: {type(exc).__name__}"
        return statement
    except Exception as exc:  # the parser's own slip on odd input is this statement's problem
        log.warning("sqlglot failed on a statement", exc_info=True)
        statement.error = f"could not be read ({type(exc).__name__})"
        return statement
    if tree is None:
        statement.kind = "empty"
        return statement
    try:
        reader = _Reader(statement, read, schema, catalog, session_tables)
        if target and isinstance(tree, exp.Query) and not tree.args.get("into"):
            statement.kind = "view"
            reader._write(target, tree, None)
        else:
            reader.read(tree)
    except RecursionError:
        statement.error = "nested too deeply to follow"
    except SqlglotError as exc:
        statement.error = f"could not be followed: {exc}"[:300]
    except Exception as exc:  # one odd statement never stops a script
        log.warning("inference could not follow a statement", exc_info=True)
        statement.error = f"could not be followed ({type(exc).__name__})"
    return statement


def _parse_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        where = f"line {first.get('line')}, column {first.get('col')}"
        return f"{first.get('description', 'syntax error')} near {where}"[:300]
    return str(exc).splitlines()[0][:300] if str(exc) else "syntax error"


def _name(table: exp.Table, schema: str | None) -> str | None:
    """Lower-case dotted name of a table reference; None for a table function."""
    if not isinstance(table.this, exp.Identifier):
        return None
    parts = [p.name for p in table.parts if isinstance(p, exp.Identifier)]
    if not parts or not all(parts):
        return None
    name = ".".join(parts).lower()
    if table.this.args.get("temporary") or name.startswith("#"):
        return name if name.startswith("#") else f"#{name}"
    if len(parts) == 1 and schema:
        name = f"{schema}.{name}"
    return name


class _Reader:
    """Reads one parsed statement into its Statement."""

    def __init__(
        self,
        statement: Statement,
        read: str,
        schema: str | None,
        catalog: Catalog,
        session_tables: dict[str, list[str]],
    ) -> None:
        self.s = statement
        self.dialect = read
        self.schema = schema
        self.catalog = catalog
        self.session = session_tables

    # -- dispatch

    def read(self, tree: Any) -> None:
        s = self.s
        if isinstance(tree, exp.Create):
            self._create(tree)
        elif isinstance(tree, exp.Insert):
            s.kind = "insert"
            target, columns = self._target(tree.this)
            query = tree.expression
            if tree.args.get("with_") is not None and isinstance(query, exp.Query):
                query = query.copy()
                query.set("with_", tree.args["with_"].copy())
            self._write(target, query, columns)
        elif isinstance(tree, exp.MultitableInserts):
            self._insert_all(tree)
        elif isinstance(tree, exp.Merge):
            self._merge(tree)
        elif isinstance(tree, exp.Update):
            self._update(tree)
        elif isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
            into = tree.args.get("into") if isinstance(tree, exp.Select) else None
            if into is not None:
                s.kind = "select_into"
                query = tree.copy()
                query.set("into", None)
                target, _ = self._target(into.this)
                self._write(target, query, None)
            else:
                s.kind = "select"
                s.sources = self._sources(tree)
                swap = self._SWAP_FUNCTION.search(s.text)
                if swap:  # Vertica moves partitions from one table to another
                    s.kind = "swap_partitions"
                    s.sources, s.target = [self._plain(swap.group(1))], self._plain(swap.group(2))
        elif isinstance(tree, exp.Cache):
            s.kind = "cache"
            target, _ = self._target(tree.this)
            self._write(target, tree.expression, None)
        elif isinstance(tree, exp.Alter):
            self._alter(tree)
        elif isinstance(tree, exp.Drop):
            s.kind = "drop"
            if (tree.args.get("kind") or "").upper() in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
                for table in tree.find_all(exp.Table):
                    name = _name(table, self.schema)
                    if name:
                        s.dropped.append(name)
        elif isinstance(tree, exp.Use):
            s.kind = "use"
            if tree.this is not None:
                s.use_schema = tree.this.sql(dialect=self.dialect).strip('`"[]').lower() or None
        elif isinstance(tree, exp.Copy):
            s.kind = "copy"
            copied, _ = self._target(tree.this)
            if tree.args.get("kind"):  # COPY t FROM files: the table is written
                s.target = copied
            elif copied:
                s.sources = [copied]
        elif isinstance(tree, exp.LoadData):
            s.kind = "load"
            s.target, _ = self._target(tree.this)
        elif isinstance(tree, exp.Command):
            self._command(tree)
        else:
            s.kind = type(tree).__name__.lower()

    # -- statement kinds

    def _create(self, tree: exp.Create) -> None:
        s = self.s
        kind = (tree.args.get("kind") or "").upper()
        s.kind = "create_" + kind.lower().replace(" ", "_") if kind else "create"
        if kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW", "DYNAMIC TABLE", ""):
            return
        target, columns = self._target(tree.this)
        properties = tree.args.get("properties")
        if properties is not None:
            for like in properties.find_all(exp.LikeProperty):
                if isinstance(like.this, exp.Table):
                    self._copy_of(target, like.this)
                    return
        clone = tree.args.get("clone")
        if clone is not None and isinstance(clone.this, exp.Table):
            self._copy_of(target, clone.this)
            return
        like = tree.this.find(exp.LikeProperty) if isinstance(tree.this, exp.Schema) else None
        if like is not None and isinstance(like.this, exp.Table):
            self._copy_of(target, like.this)
            return
        query = tree.expression
        if isinstance(query, exp.Query | exp.Subquery):
            self._write(target, query, columns)
        else:
            s.target = target
            if target and columns:
                self.session[target] = columns

    def _copy_of(self, target: str | None, source: exp.Table) -> None:
        name = _name(source, self.schema)
        self.s.target = target
        self.s.sources = [name] if name else []

    def _insert_all(self, tree: Any) -> None:
        """Oracle's INSERT ALL / FIRST: one statement per INTO, each reading the shared
        query through its VALUES (the first INTO is this statement, the others extras)."""
        s = self.s
        s.kind = "insert_all"
        source = tree.args.get("source")
        if source is None:
            return
        for position, branch in enumerate(tree.expressions):
            insert = branch.this if isinstance(branch, exp.ConditionalInsert) else branch
            if not isinstance(insert, exp.Insert):
                continue
            target, columns = self._target(insert.this)
            values = insert.expression
            if isinstance(values, exp.Select):  # Hive: FROM src INSERT … SELECT cols
                query = values.copy()
                if query.args.get("from_") is None:
                    query = query.from_(source.copy())
                statement = s if position == 0 else self._extra(s)
                _Reader(statement, self.dialect, self.schema, self.catalog, self.session)._write(
                    target, query, columns
                )
                continue
            row = (
                values.expressions[0]
                if isinstance(values, exp.Values) and values.expressions
                else None
            )
            exprs = row.expressions if isinstance(row, exp.Tuple) else []
            names = (
                columns
                if columns and len(columns) == len(exprs)
                else [f"_c{i}" for i in range(len(exprs))]
            )
            query = exp.select(
                *[e.copy().as_(n) for e, n in zip(exprs, names, strict=True)] or ["1"]
            )
            query = query.from_(
                exp.Subquery(
                    this=source.copy(), alias=exp.TableAlias(this=exp.to_identifier("_src"))
                )
            )
            statement = s if position == 0 else self._extra(s)
            reader = _Reader(statement, self.dialect, self.schema, self.catalog, self.session)
            reader._write(target, query, None if exprs else columns)

    @staticmethod
    def _extra(s: Statement) -> Statement:
        extra = Statement(
            index=s.index,
            line=s.line,
            text=s.text,
            kind=s.kind,
            partial=s.partial,
            body_of=s.body_of,
        )
        s.extras.append(extra)
        return extra

    def _merge(self, tree: exp.Merge) -> None:
        s = self.s
        s.kind = "merge"
        target, _ = self._target(tree.this)
        using = tree.args.get("using")
        if target is None or using is None:
            return
        alias = tree.this.alias_or_name
        s.target = target
        # WHEN MATCHED … UPDATE SET sees the target and the source; WHEN NOT MATCHED …
        # INSERT VALUES sees the source only
        updates: list[tuple[str, exp.Expression]] = []
        inserts: list[tuple[str, exp.Expression]] = []
        whens = tree.args.get("whens")
        for when in whens.expressions if whens is not None else []:
            then = when.args.get("then")
            if isinstance(then, exp.Update):
                for assignment in then.expressions:
                    if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                        updates.append((assignment.this.name.lower(), assignment.expression))
            elif isinstance(then, exp.Insert):
                columns = then.this
                values = then.expression
                names = (
                    [c.name.lower() for c in columns.expressions]
                    if isinstance(columns, exp.Tuple | exp.Schema)
                    else list(self._known(target) or [])
                )
                exprs = values.expressions if isinstance(values, exp.Tuple) else []
                if names and len(names) == len(exprs):
                    inserts.extend(zip(names, exprs, strict=True))
        source = using.copy()
        if not isinstance(source, exp.Table | exp.Subquery):
            source = exp.Subquery(this=source)
        sources = self._sources(exp.select("1").from_(source.copy()))
        on = tree.args.get("on")
        if on is not None:
            probe = exp.select("1").from_(source.copy()).where(on.copy())
            sources = _unique(sources + self._sources(probe))
        s.sources = [t for t in sources if t != target]
        for outputs, with_target in ((updates, True), (inserts, False)):
            if not outputs:
                continue
            select = exp.select(*[e.copy().as_(f"_c{i}") for i, (_, e) in enumerate(outputs)])
            select = select.from_(source.copy())
            if with_target:
                select = select.join(tree.this.copy(), join_type="cross")
            traced = self._trace_query(select, exclude=(target, alias), source_first=True)
            self._column_edges(
                target, [(n, deps) for (n, _), (_, deps) in zip(outputs, traced, strict=False)]
            )

    def _update(self, tree: exp.Update) -> None:
        s = self.s
        s.kind = "update"
        from_ = tree.args.get("from_")
        joins = list(tree.args.get("joins") or [])
        listed = [from_.this, *from_.expressions] if from_ is not None else []
        listed = [t for t in listed if t is not None]
        in_from = [j.this for j in (from_.args.get("joins") or [])] if from_ is not None else []
        tables = [
            t for t in [*listed, *in_from, *(j.this for j in joins)] if isinstance(t, exp.Table)
        ]
        this = tree.this
        updated = this
        if isinstance(this, exp.Table) and not this.args.get("db"):
            # T-SQL: UPDATE o SET … FROM dbo.Orders o — the target is the aliased table
            for table in tables:
                if table.alias and table.alias.lower() == this.name.lower():
                    updated = table
        target, _ = self._target(
            updated
            if updated is this
            else exp.Table(
                this=updated.this, db=updated.args.get("db"), catalog=updated.args.get("catalog")
            )
        )
        if target is None:
            return
        s.target = target
        alias = this.alias_or_name if updated is this else updated.alias
        outputs = [
            (a.this.name.lower(), a.expression)
            for a in tree.expressions
            if isinstance(a, exp.EQ) and isinstance(a.this, exp.Column)
        ]
        select = exp.select(*[e.copy().as_(f"_c{i}") for i, (_, e) in enumerate(outputs)] or ["1"])
        named_in_from = any(_name(t, self.schema) == target for t in tables)
        first = listed[0] if listed and named_in_from else this
        select = select.from_(first.copy())
        for source in listed:
            if source is not first:
                select = select.join(source.copy(), join_type="cross")
        if from_ is not None:
            for join in from_.args.get("joins") or []:
                select = select.join(join.copy())
        for join in joins:
            select = select.join(join.copy())
        if tree.args.get("where") is not None:
            select = select.where(tree.args["where"].this.copy())
        s.sources = [t for t in self._sources(select) if t != target]
        if outputs and s.sources:
            traced = self._trace_query(select, exclude=(target, alias))
            self._column_edges(
                target,
                [(n, deps) for (n, _), (_, deps) in zip(outputs, traced, strict=False)],
            )

    def _alter(self, tree: exp.Alter) -> None:
        s = self.s
        s.kind = "alter"
        this = tree.this
        if not isinstance(this, exp.Table):
            return
        name = _name(this, self.schema)
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                new = _name(action.this, self.schema)
                if name and new:
                    s.renamed = (name, new)
            elif isinstance(action, exp.SwapTable) and isinstance(action.this, exp.Table):
                other = _name(action.this, self.schema)
                if name and other:
                    s.kind, s.target, s.sources = "swap", name, [other]

    _EXCHANGE = re.compile(
        r"^\s*ALTER\s+TABLE\s+([\w.`\"\[\]]+)\s+EXCHANGE\s+PARTITION\b.*?\bWITH\s+TABLE\s+"
        r"([\w.`\"\[\]]+)",
        re.IGNORECASE | re.DOTALL,
    )
    _SWAP_FUNCTION = re.compile(
        r"swap_partitions_between_tables\s*\(\s*'([^']+)'\s*,[^,]*,[^,]*,\s*'([^']+)'",
        re.IGNORECASE,
    )

    _REPLACE_INTO = re.compile(r"^\s*REPLACE\s+INTO\b", re.IGNORECASE)
    _CREATE_AS = re.compile(
        r"^\s*CREATE\b.*?\b(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.`\"\[\]$#@]+)"
        r".*?\bAS\s*(\(?\s*(?:WITH|SELECT)\b.*)$",
        re.IGNORECASE | re.DOTALL,
    )

    def _command(self, tree: exp.Command) -> None:
        """Statements sqlglot keeps opaque: a few are rewritten into what they mean
        (MySQL's REPLACE INTO is an INSERT; a CREATE … AS SELECT with options the
        parser does not know is read from its query, marked partial)."""
        s = self.s
        s.kind = "command"
        text = s.text
        match = self._EXCHANGE.match(text)
        if match:
            s.kind = "exchange_partition"
            s.target, s.sources = self._plain(match.group(1)), [self._plain(match.group(2))]
            return
        rewritten = None
        if self._REPLACE_INTO.match(text):
            rewritten = self._REPLACE_INTO.sub("INSERT INTO", text, count=1)
        elif (create := self._CREATE_AS.match(text)) is not None:
            rewritten = f"CREATE {create.group(1)} {create.group(2)} AS {create.group(3)}"
            s.partial = True
        if rewritten is None:
            return
        try:
            again = sqlglot.parse_one(rewritten, read=self.dialect)
        except (SqlglotError, ValueError):
            return
        if again is not None and not isinstance(again, exp.Command):
            self.read(again)

    def _plain(self, name: str) -> str:
        name = re.sub(r"[`\"\[\]]", "", name).lower()
        return f"{self.schema}.{name}" if self.schema and "." not in name else name

    # -- helpers

    def _target(self, node: exp.Expression | None) -> tuple[str | None, list[str] | None]:
        columns = None
        if isinstance(node, exp.Schema):
            columns = [
                c.name.lower()
                for c in node.expressions
                if isinstance(c, exp.ColumnDef | exp.Identifier | exp.Column)
            ] or None
            node = node.this
        if not isinstance(node, exp.Table):
            return None, columns
        return _name(node, self.schema), columns

    def _known(self, name: str) -> list[str] | None:
        return self.session.get(name) or self.catalog.columns(name)

    def _sources(self, query: Any) -> list[str]:
        ctes = {c.alias_or_name.lower() for c in query.find_all(exp.CTE)}
        names: list[str] = []
        for table in query.find_all(exp.Table):
            if isinstance(table.parent, exp.Into | exp.Drop):
                continue
            if not table.args.get("db") and table.name.lower() in ctes:
                continue
            name = _name(table, self.schema)
            if name:
                names.append(name)
        return _unique(names)

    def _write(self, target: str | None, query: Any, columns: list[str] | None) -> None:
        s = self.s
        s.target = target
        if query is None:
            return
        if isinstance(query, exp.Values) or (
            isinstance(query, exp.Subquery) and isinstance(query.this, exp.Values)
        ):
            return
        if isinstance(query, exp.Subquery) and isinstance(query.this, exp.Query):
            query = query.this
        if not isinstance(query, exp.Query):
            return
        s.sources = self._sources(query)
        traced = self._trace_query(query)
        names = [n for n, _ in traced]
        if columns and len(columns) == len(traced) and STAR not in names:
            traced = [(c, deps) for c, (_, deps) in zip(columns, traced, strict=True)]
        elif target and not columns and STAR not in names:
            known = self._known(target)
            if known and len(known) == len(traced):
                traced = [(c, deps) for c, (_, deps) in zip(known, traced, strict=True)]
        if target:
            self.session.setdefault(target, [n for n, _ in traced if n != STAR])
            self._column_edges(target, traced)

    def _column_edges(
        self,
        target: str,
        traced: list[tuple[str, dict[tuple[str, str], tuple[str, str | None]]]],
    ) -> None:
        seen: set[tuple[str, str, str]] = set()
        for column, deps in traced:
            for (table, source_column), (kind, expression) in deps.items():
                if (table, source_column, column) in seen:
                    continue
                seen.add((table, source_column, column))
                self.s.column_edges.append(
                    ColumnEdge(table, source_column, target, column, kind, expression)
                )

    # -- column tracing

    def _trace_query(
        self,
        query: Any,
        exclude: tuple[str | None, str | None] = (None, None),
        source_first: bool = False,
    ) -> list[tuple[str, dict[tuple[str, str], tuple[str, str | None]]]]:
        """The output columns of ``query``, each with its source columns
        ((table, column) → (kind, expression text)). ``exclude`` names the table being
        written (its columns are not lineage); with ``source_first`` an unqualified
        column belongs to the one other table unless the catalog says the written one
        has it (MERGE's UPDATE SET)."""
        root = build_scope(query)
        if root is None:
            return []
        tracer = _Tracer(self, root, exclude)
        tracer.source_first = source_first
        return tracer.outputs(root)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


Deps = dict[tuple[str, str], tuple[str, str | None]]


def _merge(into: Deps, more: Deps, floor: str = "copy", expression: str | None = None) -> None:
    for key, (kind, text) in more.items():
        kind = kind if _RANK[kind] >= _RANK[floor] else floor
        if expression is not None and kind != "copy":
            text = expression
        old = into.get(key)
        if old is None or _RANK[kind] > _RANK[old[0]]:
            into[key] = (kind, text)


class _Tracer:
    def __init__(self, reader: _Reader, root: Scope, exclude: tuple[str | None, str | None]):
        self.reader = reader
        self.scope_of: dict[int, Scope] = {}
        for scope in root.traverse():
            self.scope_of[id(scope.expression)] = scope
        self.exclude_table = exclude[0]
        self.exclude_alias = (exclude[1] or "").lower() or None
        self.depth = 0
        self.cache: dict[int, list[tuple[str, Deps]]] = {}
        self.source_first = False

    # outputs of a scope, in order: (name, deps)
    def outputs(self, scope: Scope) -> list[tuple[str, Deps]]:
        key = id(scope)
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = []  # a recursive CTE reads itself: stop there
        self.depth += 1
        if self.depth > 200:
            raise RecursionError
        try:
            result = self._outputs(scope)
        finally:
            self.depth -= 1
        # WITH t(a, b) AS (…) and (…) AS t(a, b) rename the query's columns by position
        holder = scope.expression.parent
        alias = holder.args.get("alias") if isinstance(holder, exp.CTE | exp.Subquery) else None
        columns = alias.columns if isinstance(alias, exp.TableAlias) else []
        names = [c.name.lower() for c in columns]
        if names and len(names) == len(result) and STAR not in (n for n, _ in result):
            result = [(name, deps) for name, (_, deps) in zip(names, result, strict=True)]
        self.cache[key] = result
        return result

    def _outputs(self, scope: Scope) -> list[tuple[str, Deps]]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            branches = [self.outputs(s) for s in scope.set_operation_scopes]
            if not branches:
                return []
            first = branches[0]
            merged = [(name, dict(found)) for name, found in first]
            for branch in branches[1:]:
                if len(branch) == len(merged):
                    for (_, into), (_, found) in zip(merged, branch, strict=True):
                        _merge(into, found)
                else:  # a star on one side: by name
                    by_name = {n: d for n, d in merged}
                    for name, found in branch:
                        _merge(by_name.setdefault(name, {}), found)
                    merged = list(by_name.items())
            return merged
        if isinstance(expression, exp.Lateral | exp.Unnest | exp.Explode) or scope.is_udtf:
            return self._udtf(scope, expression)
        if not isinstance(expression, exp.Select):
            return []
        out: list[tuple[str, Deps]] = []
        for projection in expression.expressions:
            if _is_star(projection):
                out.extend(self._star(scope, projection))
                continue
            name = _output_name(projection, self.reader.dialect)
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            deps: Deps = {}
            self._collect(scope, inner, "copy", deps, projection)
            out.append((name, deps))
        return out

    def _udtf(self, scope: Scope, expression: Any) -> list[tuple[str, Deps]]:
        """A LATERAL subquery gives its subquery's columns; a table function (UNNEST,
        EXPLODE, LATERAL VIEW) gives its alias's columns, computed from its arguments."""
        inner = expression.this if isinstance(expression, exp.Lateral) else None
        if isinstance(inner, exp.Subquery) and id(inner.this) in self.scope_of:
            return self.outputs(self.scope_of[id(inner.this)])
        alias = expression.args.get("alias")
        columns = alias.columns if isinstance(alias, exp.TableAlias) else []
        names = [c.name.lower() for c in columns]
        if not names and alias is not None and alias.name:
            names = [alias.name.lower()]
        deps: Deps = {}
        outer = scope.parent
        if outer is not None:
            for column in expression.find_all(exp.Column):
                self._column(outer, column, "expression", deps, expression)
        return [(name, dict(deps)) for name in names]

    def _star(self, scope: Scope, projection: exp.Expression) -> list[tuple[str, Deps]]:
        qualifier = projection.table.lower() if isinstance(projection, exp.Column) else ""
        out: list[tuple[str, Deps]] = []
        sources = self._sources(scope)
        if qualifier and all(alias != qualifier for alias, _ in sources):
            # SELECT tab2.* FROM tab2 a: the table's own name stands for its alias
            sources = [(a, s) for a, s in sources if self._table_named(s, qualifier)]
            qualifier = ""
        for alias, source in sources:
            if qualifier and alias != qualifier:
                continue
            if isinstance(source, Scope):
                out.extend((n, dict(d)) for n, d in self.outputs(source))
            elif isinstance(source, exp.Table):
                name = _name(source, self.reader.schema)
                if not name or self._excluded(name, alias):
                    continue
                known = self.reader._known(name)
                if known:
                    self.reader.s.star_expanded = True
                    out.extend((c, {(name, c): ("copy", None)}) for c in known)
                else:
                    out.append((STAR, {(name, STAR): ("copy", None)}))
        return out

    def _sources(self, scope: Scope) -> list[tuple[str, Any]]:
        """What the scope's FROM and JOINs select (a CTE defined but not selected here
        is not a source of this scope)."""
        return [(alias.lower(), source) for alias, (_, source) in scope.selected_sources.items()]

    def _excluded(self, name: str, alias: str) -> bool:
        return bool(
            self.exclude_table
            and name == self.exclude_table
            and (self.exclude_alias is None or alias in (self.exclude_alias, name.split(".")[-1]))
        )

    def _collect(
        self,
        scope: Scope,
        node: exp.Expression,
        kind: str,
        deps: Deps,
        projection: exp.Expression,
    ) -> None:
        kind = _kind_of(node, kind)
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return
            self._column(scope, node, kind, deps, projection)
            return
        if (
            isinstance(node, exp.Query)
            and id(node) in self.scope_of
            and node is not scope.expression
        ):
            sub = self.scope_of[id(node)]
            for _, inner in self.outputs(sub):
                _merge(deps, inner, floor=max(kind, "expression", key=_RANK.__getitem__))
            return
        for child in node.iter_expressions():
            self._collect(scope, child, kind, deps, projection)

    def _column(
        self,
        scope: Scope,
        column: exp.Column,
        kind: str,
        deps: Deps,
        projection: exp.Expression,
    ) -> None:
        name = column.name.lower()
        qualifier = column.table.lower()
        if (
            not qualifier
            and name in PSEUDO_COLUMNS
            and not column.this.args.get("quoted")
            and not any(name in (self._columns_of(s) or ()) for _, s in self._sources(scope))
        ):
            return  # LEVEL, ROWNUM, SYSDATE …: not data of any table
        text = None if kind == "copy" else _text(projection, self.reader.dialect)
        current: Scope | None = scope
        while current is not None:
            sources = self._sources(current)
            if qualifier:
                match = [s for a, s in sources if a == qualifier]
                if not match and column.args.get("db"):
                    full = ".".join(p.name.lower() for p in column.parts[:-1])
                    match = [
                        s
                        for _, s in sources
                        if isinstance(s, exp.Table)
                        and _name(s, self.reader.schema) in (full, f"{self.reader.schema}.{full}")
                    ]
                if not match:
                    match = [s for _, s in sources if self._table_named(s, qualifier)]
                if match:
                    self._from_source(match[0], qualifier, name, kind, text, deps, column)
                    return
            else:
                lateral = self._lateral_alias(current, name, projection)
                if lateral is not None and any(
                    name in (self._columns_of(s) or ()) for _, s in sources
                ):
                    lateral = None  # a real column of that name wins over the alias
                found = None if lateral is not None else self._unqualified(current, sources, name)
                if found is not None:
                    alias, source = found
                    self._from_source(source, alias, name, kind, text, deps, column)
                    return
                if lateral is not None:
                    inner: Deps = {}
                    self._collect(current, lateral, kind, inner, projection)
                    _merge(deps, inner, floor=kind, expression=text)
                    return
                if len(sources) > 1:
                    break  # ambiguous here: do not look outside
            current = current.parent if current.can_be_correlated or qualifier else None
        self.reader.s.unresolved.append(f"{qualifier}.{name}" if qualifier else name)

    def _table_named(self, source: Any, qualifier: str) -> bool:
        """Is ``source`` a table whose own name (without schema) is ``qualifier``?"""
        return isinstance(source, exp.Table) and source.name.lower() == qualifier

    def _unqualified(
        self, scope: Scope, sources: list[tuple[str, Any]], name: str
    ) -> tuple[str, Any] | None:
        real = [
            (a, s)
            for a, s in sources
            if not (
                isinstance(s, exp.Table) and self._excluded(_name(s, self.reader.schema) or "", a)
            )
        ]
        if len(real) == 1 and len(sources) == 1:
            return real[0]
        if self.source_first and len(real) == 1:
            written = [s for _, s in sources if all(s is not r for _, r in real)]
            if not any(name in (self._columns_of(s) or ()) for s in written):
                return real[0]
        holders = []
        unknown = []
        for alias, source in real:
            columns = self._columns_of(source)
            if columns is None:
                unknown.append((alias, source))
            elif name in columns:
                holders.append((alias, source))
        if len(holders) == 1:
            return holders[0]
        if not holders and len(unknown) == 1 and len(real) == 1:
            return unknown[0]
        if not holders and len(unknown) == 1 and self._only_unknown_may_hold(real, unknown[0]):
            return unknown[0]
        return None

    def _only_unknown_may_hold(
        self, real: list[tuple[str, Any]], candidate: tuple[str, Any]
    ) -> bool:
        """Every other source's columns are known and none has the name."""
        return all(s is candidate[1] or self._columns_of(s) is not None for _, s in real)

    def _columns_of(self, source: Any) -> list[str] | None:
        if isinstance(source, Scope):
            names = [n for n, _ in self.outputs(source)]
            return None if STAR in names else names
        if isinstance(source, exp.Table):
            name = _name(source, self.reader.schema)
            return self.reader._known(name) if name else None
        return None

    def _lateral_alias(
        self, scope: Scope, name: str, projection: exp.Expression
    ) -> exp.Expression | None:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        for other in select.expressions:
            if other is projection:
                break
            if isinstance(other, exp.Alias) and other.alias.lower() == name:
                return other.this
        return None

    def _from_source(
        self,
        source: Any,
        alias: str,
        name: str,
        kind: str,
        text: str | None,
        deps: Deps,
        column: exp.Column,
    ) -> None:
        if isinstance(source, exp.Table):
            table = _name(source, self.reader.schema)
            if table is None or self._excluded(table, alias):
                return
            key = (table, name)
            old = deps.get(key)
            if old is None or _RANK[kind] > _RANK[old[0]]:
                deps[key] = (kind, text)
            return
        if isinstance(source, Scope):
            outputs = self.outputs(source)
            for out_name, inner in outputs:
                if out_name == name:
                    _merge(deps, inner, floor=kind, expression=text)
                    return
            if source.is_udtf and len(outputs) == 1:
                # UNNEST(o.items) AS item: item.sku is a field of each element
                _merge(deps, outputs[0][1], floor="expression", expression=text)
                return
            # through a star the source could not expand: resolve in the inner scope
            if any(n == STAR for n, _ in outputs) or not outputs:
                inner_deps: Deps = {}
                probe = exp.column(name)
                inner_scope_sources = self._sources(source)
                found = self._unqualified(source, inner_scope_sources, name)
                if found is not None:
                    self._from_source(found[1], found[0], name, kind, text, inner_deps, probe)
                    _merge(deps, inner_deps, floor=kind, expression=text)
                    return
            self.reader.s.unresolved.append(f"{alias}.{name}")


# Names that parse as columns but are values of the database itself.
PSEUDO_COLUMNS = frozenset(
    {
        "level",
        "rownum",
        "rowid",
        "sysdate",
        "systimestamp",
        "current_date",
        "current_time",
        "current_timestamp",
        "localtimestamp",
        "current_user",
        "session_user",
        "connect_by_isleaf",
        "connect_by_iscycle",
        "ora_rowscn",
    }
)


def _is_star(projection: exp.Expression) -> bool:
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def _output_name(projection: exp.Expression, read: str) -> str:
    if isinstance(projection, exp.Alias):
        return projection.alias.lower()
    if isinstance(projection, exp.Column):
        return projection.name.lower()
    return _text(projection, read).lower()


def _text(node: exp.Expression, read: str) -> str:
    inner = node.this if isinstance(node, exp.Alias) else node
    try:
        return inner.sql(dialect=read)[:500]
    except SqlglotError:
        return str(inner)[:500]


def _kind_of(node: exp.Expression, current: str) -> str:
    if isinstance(node, exp.Window):
        kind = "window"
    elif isinstance(node, exp.AggFunc):
        kind = "aggregate"
    elif isinstance(node, exp.Case | exp.If):
        kind = "case"
    elif isinstance(node, exp.Cast | exp.TryCast):
        kind = "cast"
    elif isinstance(
        node, exp.Column | exp.Alias | exp.Paren | exp.Identifier | exp.Distinct | exp.Star
    ):
        return current
    else:
        kind = "expression"
    return kind if _RANK[kind] > _RANK[current] else current


# --- a script: intermediates followed through ---------------------------------------------


def _script_table_edges(
    statements: Sequence[Statement],
) -> tuple[set[tuple[str, str]], list[str], list[str], list[str]]:
    """(edges, sources, targets, intermediates) of the script, in statement order: a
    table read before anything in the script wrote it is a source; one written and read
    by a later writing statement is intermediate; a written table nothing later reads
    (and that was not dropped) is a target."""
    edges: set[tuple[str, str]] = set()
    written: list[str] = []
    sources: list[str] = []
    fed: set[str] = set()  # written, then read by a later statement that writes
    self_loops: set[str] = set()
    alive: dict[str, bool] = {}
    for statement in statements:
        if statement.error:
            continue
        for name in statement.dropped:
            if name in written:
                alive[name] = False
        if statement.renamed:
            old, new = statement.renamed
            if old in written:
                edges = {(s, new if t == old else t) for s, t in edges}
                written = [new if w == old else w for w in written]
                fed = {new if f == old else f for f in fed}
                alive[new] = alive.pop(old, True)
        for source in statement.sources:
            if source not in written:
                sources.append(source)
            elif statement.target and source != statement.target:
                fed.add(source)
            if statement.target:
                if source == statement.target:
                    self_loops.add(source)
                else:
                    edges.add((source, statement.target))
        if statement.target:
            written.append(statement.target)
            alive[statement.target] = True
    source_set = set(sources)
    intermediates = sorted(fed - source_set - self_loops)
    dead = {name for name, ok in alive.items() if not ok}
    targets = _unique(
        w for w in written if (w not in fed or w in self_loops or w in source_set) and w not in dead
    )
    return edges, _unique(sources), targets, intermediates


def _script_column_edges(
    statements: Sequence[Statement], intermediates: set[str]
) -> list[ColumnEdge]:
    edges = [e for s in statements if not s.error for e in s.column_edges]
    renames = {s.renamed[0]: s.renamed[1] for s in statements if s.renamed and not s.error}
    if renames:
        edges = [
            ColumnEdge(
                renames.get(e.source_table, e.source_table),
                e.source_column,
                renames.get(e.target_table, e.target_table),
                e.target_column,
                e.transformation,
                e.expression,
            )
            for e in edges
        ]
    if not intermediates:
        return _unique_edges(edges)
    into: dict[tuple[str, str], list[ColumnEdge]] = {}
    for edge in edges:
        into.setdefault((edge.target_table, edge.target_column), []).append(edge)
    out: list[ColumnEdge] = []

    def roots(
        edge: ColumnEdge, seen: frozenset[tuple[str, str]]
    ) -> Iterable[tuple[ColumnEdge, str]]:
        key = (edge.source_table, edge.source_column)
        if edge.source_table not in intermediates or key in seen:
            yield edge, edge.transformation
            return
        upstream = into.get(key) or (
            into.get((edge.source_table, STAR)) if edge.source_column != STAR else None
        )
        if not upstream:
            return  # an intermediate column nothing in the script wrote
        for before in upstream:
            for root, kind in roots(before, seen | {key}):
                yield root, max(kind, edge.transformation, key=_RANK.__getitem__)

    for edge in edges:
        if edge.target_table in intermediates:
            continue
        for root, kind in roots(edge, frozenset()):
            out.append(
                ColumnEdge(
                    root.source_table,
                    root.source_column,
                    edge.target_table,
                    edge.target_column,
                    kind,
                    edge.expression or root.expression,
                )
            )
    return _unique_edges(out)


def _unique_edges(edges: Iterable[ColumnEdge]) -> list[ColumnEdge]:
    best: dict[tuple[str, str, str, str], ColumnEdge] = {}
    for edge in edges:
        key = (edge.source_table, edge.source_column, edge.target_table, edge.target_column)
        old = best.get(key)
        if old is None or _RANK[edge.transformation] > _RANK[old.transformation]:
            best[key] = edge
    return list(best.values())
