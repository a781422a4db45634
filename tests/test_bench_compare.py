"""`make bench-compare`: one benchmark on two revisions, back to back, as ratios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks._compare_revisions import compare, main

FAKE = """
import json
from pathlib import Path
here = Path(__file__).resolve().parents[1]
value = float((here / "VALUE").read_text())
out = here / "benchmarks" / "results"
out.mkdir(parents=True, exist_ok=True)
(out / "fake.json").write_text(json.dumps({"p95_ms": value, "nested": {"rps": 1000 / value},
                                           "label": "not a number"}))
"""


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "benchmarks" / "fake.py").write_text(FAKE)
    (repo / "VALUE").write_text("10")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@e", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "slow")
    (repo / "VALUE").write_text("5")
    git("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qam", "fast")
    return repo


def test_two_revisions_are_run_and_compared(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = compare(repo, "fake", "HEAD~1", "HEAD", rounds=2, python=sys.executable)
    figures = {f["figure"]: f for f in result["figures"]}
    assert set(figures) == {"p95_ms", "nested.rps"}
    assert figures["p95_ms"]["base"] == 10 and figures["p95_ms"]["head"] == 5
    assert figures["p95_ms"]["ratio"] == 0.5 and figures["nested.rps"]["ratio"] == 2.0
    worktrees = subprocess.run(
        ["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert len(worktrees.strip().splitlines()) == 1  # the temporary ones are gone


def test_the_command_writes_its_comparison(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert main(["fake", "--repo", str(repo)]) == 0
    written = json.loads((repo / "benchmarks" / "results" / "compare-fake.json").read_text())
    assert written["figures"][1]["figure"] == "p95_ms"
    assert written["figures"][1]["ratio"] == 0.5
