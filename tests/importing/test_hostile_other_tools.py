"""Hostile and broken files of the other tools' types (DataHub lineage YAML, dbt
manifests) end in a report that names the problem, never in an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.importing.conftest import ADMIN, ImportFn

TARGET = Path(__file__).parent / "dbt_shop" / "target"

DATAHUB_CASES = [
    "lineage: {}\n",
    "lineage: [1, 2, 3]\n",
    "lineage:\n  - entity: [1]\n    upstream: {a: 1}\n",
    "lineage:\n  - entity: {name: [1], platform: {a: b}}\n    upstream: [x]\n",
    "version: {a: 1}\nlineage: []\n",
    "lineage:\n  - entity: {name: '   ', platform: postgres}\n    upstream:\n"
    "      - entity: {name: a, platform: postgres}\n",
    "lineage:\n  - entity: {name: a.b.c.d.e.f, platform: ''}\n    upstream:\n"
    "      - entity: {name: '..', platform: postgres}\n",
    "lineage:\n  - entity: {name: x, platform: postgres}\n    fineGrainedLineages:\n"
    "      - upstreams: [[1]]\n        downstreams: {a: 1}\n      - 7\n",
    "lineage:\n  - &a\n    entity: {name: x, platform: p}\n    upstream: [*a, *a, *a]\n",
    "lineage:\n"
    + "".join(
        f"  - entity: {{name: t{i}, platform: postgres}}\n    upstream:\n"
        f"      - entity: {{name: s{i}, platform: postgres}}\n"
        for i in range(300)
    ),
    "\ufeff\x00lineage: []",
    "lineage:\n  - entity: {name: x, platform: postgres}\n    upstream:\n"
    + "      - entity: {name: y, platform: postgres}\n        upstream:\n" * 40,
]


@pytest.mark.parametrize("text", DATAHUB_CASES)
def test_broken_datahub_files_are_reported(
    catalog: dict[str, Any], do_import: ImportFn, text: str
) -> None:
    report = do_import(text, "lineage.yml", "datahub_lineage", commit=True, mode="skip_errors")
    assert not report.valid
    assert report.all_problems(), "a broken file must say what is wrong"
    assert all(p.message and p.hint for p in report.all_problems())


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((TARGET / "manifest.json").read_text())
    return loaded


def _mutations() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []

    def mutate(label: str, change: Any) -> None:
        manifest = _manifest()
        change(manifest)
        out.append((label, manifest))

    mutate("alias with dots", lambda m: m["nodes"]["model.shop.orders"].update(alias="a.b"))
    mutate(
        "no schema, no database",
        lambda m: m["nodes"]["model.shop.orders"].update(schema=None, database=None),
    )
    mutate(
        "columns not an object", lambda m: m["nodes"]["model.shop.orders"].update(columns=[1, 2])
    )
    mutate(
        "column with dots",
        lambda m: m["nodes"]["model.shop.orders"]["columns"].update(
            {"a.b": {"name": "a.b", "description": "nested"}}
        ),
    )
    mutate(
        "unknown dependency",
        lambda m: m["nodes"]["model.shop.orders"].update(
            depends_on={"nodes": ["model.elsewhere.x", 7, None]}
        ),
    )
    mutate(
        "compiled code not text",
        lambda m: m["nodes"]["model.shop.orders"].update(compiled_code={"a": 1}),
    )
    mutate(
        "config not an object",
        lambda m: m["nodes"]["model.shop.orders"].update(config=["table"], meta="x"),
    )
    mutate("metadata not an object", lambda m: m.update(metadata=[1]))
    mutate("a node that is a list", lambda m: m["nodes"].update({"model.shop.bad": [1]}))
    mutate("nodes not an object", lambda m: m.update(nodes=[1, 2]))
    mutate(
        "ephemeral cycle",
        lambda m: m["nodes"].update(
            {
                "model.shop.e1": {
                    "resource_type": "model",
                    "name": "e1",
                    "config": {"materialized": "ephemeral"},
                    "depends_on": {"nodes": ["model.shop.e2"]},
                },
                "model.shop.e2": {
                    "resource_type": "model",
                    "name": "e2",
                    "config": {"materialized": "ephemeral"},
                    "depends_on": {"nodes": ["model.shop.e1"]},
                },
            }
        ),
    )
    mutate(
        "huge description",
        lambda m: m["nodes"]["model.shop.orders"].update(description="x" * 200_000),
    )
    mutate(
        "owner not text",
        lambda m: m["nodes"]["model.shop.orders"].update(meta={"owner": ["a", "b"]}),
    )
    return out


@pytest.mark.parametrize(
    ("label", "manifest"), _mutations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_odd_dbt_manifests_are_reported_not_raised(
    do_import: ImportFn, label: str, manifest: dict[str, Any]
) -> None:
    report = do_import(json.dumps(manifest), "manifest.json", "dbt", actor=ADMIN, commit=True)
    for found in report.all_problems():
        assert found.message and found.hint, label
    if label in ("alias with dots", "column with dots"):
        assert not report.valid and report.counts()["error"] >= 1, label
