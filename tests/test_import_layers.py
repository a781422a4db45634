"""The packages of ariadne_core import each other in one direction only: no cycle between
two packages (for example catalog and lineage), so each can be read and tested on top of
the ones it uses."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "ariadne_core"


def _package_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts:
            continue
        package = parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ariadne_core."):
                target = str(node.module).split(".")[1]
                if target != package:
                    edges[package].add(target)
    return edges


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def test_no_two_packages_import_each_other() -> None:
    edges = _package_imports()
    assert "lineage" in edges["inference"], "the scan found nothing: is ROOT right?"
    cycles = sorted((a, b) for a in edges for b in edges[a] if a in _reachable(edges, b))
    assert not cycles, f"package import cycles: {cycles}"


def test_the_check_sees_a_cycle() -> None:
    edges = {"catalog": {"lineage"}, "lineage": {"catalog"}}
    assert "catalog" in _reachable(edges, "lineage")
