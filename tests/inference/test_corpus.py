"""The engine on the labelled corpus (tests/inference/corpus): at least the issue's bars,
with the cases it gets wrong listed when it does not."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariadne_core.inference import confidence
from ariadne_core.inference.sql import Catalog, analyze, dialect_name
from tests.inference.corpus.score import ariadne, load_cases, score, statement_count

CASES = load_cases()


def test_the_corpus_is_big_and_varied() -> None:
    assert statement_count(CASES) >= 200
    dialects = {dialect_name(c["dialect"]) for c in CASES}
    for needed in (
        "postgres",
        "oracle",
        "snowflake",
        "bigquery",
        "tsql",
        "mysql",
        "spark",
        "hive",
        "redshift",
        "duckdb",
        "",
    ):
        assert needed in dialects, needed
    text = " ".join(c["sql"].upper() for c in CASES)
    for kind in (
        "MERGE",
        "CREATE OR REPLACE PROCEDURE",
        "CREATE PROCEDURE",
        "$$",
        "UNION",
        "OVER (",
        "WITH ",
        "SELECT ",
        "INTO #",
        "MATERIALIZED VIEW",
        "UPDATE ",
    ):
        assert kind in text, kind


def test_precision_and_recall_meet_the_bar() -> None:
    result = score(CASES, ariadne)
    report = json.dumps(result.failures[:20], indent=1)
    assert result.table_precision >= 0.99, report
    assert result.table_recall >= 0.97, report
    assert result.column_precision >= 0.96, report
    assert result.column_recall >= 0.90, report


def test_a_broken_statement_is_reported_with_its_line_and_the_rest_still_read() -> None:
    sql = "INSERT INTO a.t SELECT x FROM a.s;\n\nINSERT INTO a.u SELEC y FROM;\nINSERT INTO a.v SELECT z FROM a.w"
    lineage = analyze(sql, "postgres")
    errors = [s for s in lineage.statements if s.error]
    assert [(s.line, bool(s.error)) for s in errors] == [(3, True)]
    assert lineage.table_edges == [("a.s", "a.t"), ("a.w", "a.v")]


def test_confidence_follows_the_one_rule() -> None:
    plain = analyze("INSERT INTO t SELECT a FROM s", "ansi").statements[0]
    assert plain.confidence == confidence.FULL
    star = analyze(
        "INSERT INTO t SELECT * FROM s", "ansi", catalog=Catalog({"s": ["a", "b"]})
    ).statements[0]
    assert star.star_expanded and star.confidence == confidence.STAR_EXPANDED
    unresolved = analyze("INSERT INTO t SELECT a FROM s JOIN r ON s.k = r.k", "ansi").statements[0]
    assert unresolved.unresolved == ["a"]
    assert unresolved.confidence == pytest.approx(confidence.FULL - confidence.UNRESOLVED_PENALTY)
    body = analyze(
        "CREATE PROCEDURE p AS BEGIN INSERT INTO t SELECT a FROM s; END;", "oracle"
    ).statements[0]
    assert body.partial and body.body_of == "p"
    assert body.confidence == pytest.approx(confidence.FULL - confidence.PARTIAL_PARSE_PENALTY)


def test_transformation_kinds() -> None:
    lineage = analyze(
        "CREATE VIEW v AS SELECT a, CAST(b AS int) AS b, c + 1 AS c, "
        "CASE WHEN d > 0 THEN 1 END AS d, sum(e) AS e, rank() OVER (ORDER BY f) AS f FROM s",
        "postgres",
    )
    kinds = {e.target_column: e.transformation for e in lineage.column_edges}
    assert kinds == {
        "a": "copy",
        "b": "cast",
        "c": "expression",
        "d": "case",
        "e": "aggregate",
        "f": "window",
    }
    expressions = {e.target_column: e.expression for e in lineage.column_edges}
    assert expressions["a"] is None and expressions["c"] == "c + 1"


def test_unknown_dialect_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="postgres"):
        analyze("SELECT 1", "klingon")


def test_hostile_sql_is_bounded() -> None:
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    lineage = analyze(deep, "ansi")
    assert lineage.statements[0].error  # reported, not a crash
    many = ";".join(["SELECT 1"] * 30_000)
    assert len(analyze(many, "ansi").statements) == 20_000


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "SELECT",
                "INSERT",
                "INTO",
                "FROM",
                "WITH",
                "AS",
                "(",
                ")",
                ",",
                ";",
                "*",
                "a",
                "b.c",
                "'x'",
                "--",
                "\n",
                "MERGE",
                "USING",
                "ON",
                "WHEN",
                "THEN",
                "UPDATE",
                "SET",
                "=",
                "CREATE",
                "VIEW",
                "TABLE",
                "UNION",
                "OVER",
                "BEGIN",
                "END",
                "$$",
                "1",
                "#t",
            ]
        ),
        max_size=40,
    ),
    st.sampled_from(["ansi", "postgres", "tsql", "oracle", "snowflake", "hive", "mysql"]),
)
def test_any_token_soup_is_reported_never_raised(words: list[str], dialect: str) -> None:
    lineage = analyze(" ".join(words), dialect)
    for statement in lineage.statements:
        assert statement.error is None or isinstance(statement.error, str)
