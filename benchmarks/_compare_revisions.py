"""Run one benchmark on two git revisions in one sitting and print the ratios.

    make bench-compare BENCH=lineage BASE=main~3 HEAD=main
    .venv/bin/python benchmarks/_compare_revisions.py lineage --base main~3 --head main

Absolute times on the shared development machines move by a factor of two from hour to
hour; a ratio measured back to back does not. Each revision is checked out in a
temporary git worktree and its own `benchmarks/<BENCH>.py` runs there with this
interpreter (the worktree's code comes first on the path), `--rounds` times,
alternating base and head. Every numeric figure of the two results files is printed
with head/base, and the whole comparison is written to
`benchmarks/results/compare-<BENCH>.json` of the checkout it is run from.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _figures(data: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a results document, by dotted key."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(_figures(value, f"{prefix}{key}."))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out[prefix.rstrip(".")] = float(data)
    return out


def run_once(worktree: Path, bench: str, python: str) -> dict[str, float]:
    results = worktree / "benchmarks" / "results" / f"{bench}.json"
    results.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(worktree)}
    subprocess.run(
        [python, str(worktree / "benchmarks" / f"{bench}.py")], cwd=worktree, env=env, check=True
    )
    return _figures(json.loads(results.read_text()))


def compare(
    repo: Path, bench: str, base: str, head: str, rounds: int = 1, python: str = sys.executable
) -> dict[str, Any]:
    shas = {"base": _git(repo, "rev-parse", base), "head": _git(repo, "rev-parse", head)}
    runs: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
    with tempfile.TemporaryDirectory(prefix="ariadne-compare-") as tmp:
        trees = {}
        for side, sha in shas.items():
            trees[side] = Path(tmp) / side
            _git(repo, "worktree", "add", "--detach", str(trees[side]), sha)
            if (repo / ".ariadne").is_dir():  # the running test services, shared
                (trees[side] / ".ariadne").symlink_to((repo / ".ariadne").resolve())
        try:
            for _ in range(rounds):
                for side in ("base", "head"):
                    print(f"== {bench} on {side} ({shas[side][:10]})", flush=True)
                    runs[side].append(run_once(trees[side], bench, python))
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
                    capture_output=True,
                )
                shutil.rmtree(tree, ignore_errors=True)
    figures = []
    for key in sorted(set(runs["base"][0]) & set(runs["head"][0])):
        before = statistics.median(r[key] for r in runs["base"] if key in r)
        after = statistics.median(r[key] for r in runs["head"] if key in r)
        figures.append(
            {
                "figure": key,
                "base": before,
                "head": after,
                "ratio": round(after / before, 3) if before else None,
            }
        )
    return {
        "bench": bench,
        "base": shas["base"],
        "head": shas["head"],
        "rounds": rounds,
        "figures": figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", help="a benchmark's name: lineage, api_reads, inference, …")
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--repo", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if not (args.repo / "benchmarks" / f"{args.bench}.py").exists():
        parser.error(f"there is no benchmarks/{args.bench}.py")
    result = compare(args.repo, args.bench, args.base, args.head, args.rounds)
    width = max((len(f["figure"]) for f in result["figures"]), default=10)
    print(f"{'figure':<{width}}  {'base':>12}  {'head':>12}  head/base")
    for f in result["figures"]:
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.3f}"
        print(f"{f['figure']:<{width}}  {f['base']:>12.4g}  {f['head']:>12.4g}  {ratio}")
    out = args.repo / "benchmarks" / "results" / f"compare-{args.bench}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
