"""Look at the Dagster UI in a real browser: Debian's Chromium, driven by Playwright.

Playwright's own browser download cannot work offline, so it launches the system
Chromium (`apt-get install chromium`, done by `make test`) with the flags a closed
network needs.
"""

from __future__ import annotations

import re
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _wait_for_text(page: object, text: str, timeout_ms: int = 60_000) -> None:
    locator = page.get_by_text(re.compile(re.escape(text))).first  # type: ignore[attr-defined]
    locator.wait_for(state="attached", timeout=timeout_ms)  # long names render truncated


def check_dagster_ui(base_url: str, partition_key: str, out_dir: Path) -> list[Path]:
    """Open the asset's partitions page and the automation page; return the screenshots.

    Fails (Playwright's TimeoutError) when something expected is not on the page.
    """
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base_url}/assets/source_metadata?view=partitions")
            _wait_for_text(page, "source_metadata")
            _wait_for_text(page, partition_key)
            shots.append(out_dir / "source_metadata_partitions.png")
            page.screenshot(path=str(shots[-1]), full_page=True)

            page.goto(f"{base_url}/automation")
            _wait_for_text(page, "nightly_harvest")
            _wait_for_text(page, "data_source_partitions")
            shots.append(out_dir / "automation.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        finally:
            browser.close()
    return shots
