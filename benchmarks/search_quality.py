"""Search quality on the demo catalog: full-text, semantic and hybrid side by side.

    .venv/bin/python benchmarks/search_quality.py       (make bench runs it)

Loads the demo catalog (ariadne_core/demo.py) into a fresh database, embeds it with the
configured provider (the local all-MiniLM-L6-v2 by default), and asks each question of
benchmarks/data/search_eval.yaml (62 questions with the tables a person would expect)
in three modes, through the same read plans the API runs:

- fts: `GET /search` (full-text prefixes and trigrams);
- semantic: `POST /ai/search` (nearest vectors, no threshold);
- hybrid: `GET /search?mode=hybrid` (both, fused by reciprocal rank).

A field in the results counts as its table. recall@5: the share of a question's expected
tables among the first five tables, averaged. MRR: 1 / the rank of the first expected
table (0 past ten), averaged. Then the RAG accuracy: how often `POST /ai/query`'s retrieval
answer to the question cites an expected table. Writes
benchmarks/results/search_quality.json with recall_at_5 and mrr per mode,
rag_cited_expected_rate, and the questions each missed.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ariadne_core.ai.semantic import SemanticQuery, nearest_plan
from ariadne_core.config import Settings
from ariadne_core.db.engine import connection_options
from ariadne_core.db.plans import run
from ariadne_core.demo import load_demo
from ariadne_core.embedding.index import embed_catalog
from ariadne_core.embedding.providers import embedding_provider
from ariadne_core.embedding.query import vector_literal
from ariadne_core.search.fulltext import search_catalog
from ariadne_core.search.hybrid import hybrid_plan
from benchmarks._common import RESULTS, ROOT, drop_database, fresh_database

QUESTIONS = ROOT / "benchmarks" / "data" / "search_eval.yaml"
MODES = ("fts", "semantic", "hybrid")
DEPTH = 20  # results asked for; tables ranked from them


def _tables(hits: list[dict[str, Any]], table_names: dict[str, str]) -> list[str]:
    """Tables in rank order, a field standing for its table, each table once."""
    out: list[str] = []
    for hit in hits:
        name = hit["qualified_name"] if hit["type"] == "table" else table_names[hit["table_id"]]
        if name not in out:
            out.append(name)
    return out


def score(ranked: list[str], expected: list[str]) -> tuple[float, float]:
    recall = len(set(ranked[:5]) & set(expected)) / len(expected)
    first = next((i for i, name in enumerate(ranked[:10], start=1) if name in expected), None)
    return recall, (1 / first if first else 0.0)


def _rag(
    url: str, settings: Settings, provider: Any, questions: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """How often the retrieval assistant's answer cites an expected table (a cited field
    counting as its table): the RAG accuracy of the questions above."""
    from sqlalchemy.orm import Session

    from ariadne_core.ai.assistant import Context, answer_by_retrieval
    from ariadne_core.db.engine import engine_for

    hits, missed = 0, []
    with Session(engine_for(url)) as session:
        for item in questions:
            vector = vector_literal(provider.embed([item["q"]])[0])
            context = Context(session, settings, vector, provider.model, None, None)
            answer = answer_by_retrieval(item["q"], context)
            cited = {t.qualified_name for t in answer.tables}
            cited |= {f.qualified_name.rsplit(".", 1)[0] for f in answer.fields}
            if cited & set(item["expect"]):
                hits += 1
            else:
                missed.append(item["q"])
            session.rollback()
    return hits, missed


def main() -> None:
    url = fresh_database("bench_search_quality")
    try:
        settings = Settings(
            _env_file=None,
            database_url=url,
            jwt_secret="bench-" + "s" * 40,
            home=Path(f"/tmp/ariadne-bench-{uuid.uuid4().hex[:6]}"),
            inference=False,
        )
        load_demo(url, settings)
        provider = embedding_provider(settings)
        questions = yaml.safe_load(QUESTIONS.read_text())
        # The API's connection settings (the HNSW walk's width among them).
        with psycopg.connect(url, autocommit=True, options=connection_options()) as conn:
            report = embed_catalog(conn, provider)
            print(f"embedded {report.embedded} texts ({report.texts_per_s:.0f}/s)")
            table_names = {
                str(tid): qname
                for tid, qname in conn.execute("SELECT id, qualified_name FROM metadata_tables")
            }
            totals = {mode: [0.0, 0.0] for mode in MODES}
            missed: dict[str, list[str]] = {mode: [] for mode in MODES}
            for item in questions:
                q, expected = item["q"], item["expect"]
                vector = vector_literal(provider.embed([q])[0])
                body = run(conn, search_catalog(q, limit=DEPTH)).items
                fts = json.loads(body)
                semantic = [
                    {
                        "type": h.type,
                        "qualified_name": h.qualified_name,
                        "table_id": str(h.table_id) if h.table_id else None,
                    }
                    for h in run(
                        conn,
                        nearest_plan(vector, provider.model, SemanticQuery(q, DEPTH, 0.0)),
                    )
                ]
                body = run(conn, hybrid_plan(q, vector, provider.model, limit=DEPTH)).items
                hybrid = json.loads(body)
                for mode, hits in zip(MODES, (fts, semantic, hybrid), strict=True):
                    recall, rr = score(_tables(hits, table_names), expected)
                    totals[mode][0] += recall
                    totals[mode][1] += rr
                    if rr == 0:
                        missed[mode].append(q)
        rag_hits, rag_missed = _rag(url, settings, provider, questions)
        n = len(questions)
        results: dict[str, Any] = {"questions": n, "model": provider.model}
        results["rag_cited_expected_rate"] = round(rag_hits / n, 3)
        results["rag_missed"] = rag_missed
        print(f"/ai/query (retrieval) cites an expected table: {rag_hits}/{n}")
        for mode in MODES:
            results[mode] = {
                "recall_at_5": round(totals[mode][0] / n, 3),
                "mrr": round(totals[mode][1] / n, 3),
                "missed": missed[mode],
            }
            print(
                f"{mode:9s} recall@5 {results[mode]['recall_at_5']:.3f}  "
                f"MRR {results[mode]['mrr']:.3f}  missed {len(missed[mode])}"
            )
    finally:
        drop_database(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search_quality.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
