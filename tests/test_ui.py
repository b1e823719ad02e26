"""The product as a person operates it: `make serve`'s server and deployments, `newsdedup trigger`, and
the run checked in the Prefect UI with a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect_processes import (
    BIN,
    ROOT,
    background,
    client_env,
    free_port,
    serve_module,
    trigger,
    wait_for_deployment,
)

pytestmark = pytest.mark.ui

CHROMIUM = Path("/usr/bin/chromium")
# The README's screenshot is refreshed only when asked for, so `make test` leaves the checkout clean.
DOCS_SCREENSHOT = ROOT / "docs" / "ui-run-summary.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh Prefect server (its own SQLite database) and the deployments served as `make serve` does."""
    home = tmp_path_factory.mktemp("prefect-home")
    with serve_module().local_server(free_port(), {"PREFECT_HOME": str(home)}, home / "server.log") as api_url:
        env = client_env(api_url, home)
        with background([str(BIN / "python"), "deploy/serve.py", "--no-server"], env, home / "serve.log"):
            wait_for_deployment(api_url, "pipeline/pipeline")
            wait_for_deployment(api_url, "fetch/fetch")
            yield api_url, env


def test_served_deployments_have_their_schedules_and_limits(served: tuple[str, dict[str, str]]) -> None:
    import httpx

    api_url, _ = served
    pipeline = httpx.get(f"{api_url}/deployments/name/pipeline/pipeline").json()
    fetch = httpx.get(f"{api_url}/deployments/name/fetch/fetch").json()
    assert [s["schedule"]["cron"] for s in pipeline["schedules"]] == ["0 * * * *"]
    assert [s["schedule"]["interval"] for s in fetch["schedules"]] == [900.0]
    for deployment in (pipeline, fetch):
        assert deployment["global_concurrency_limit"]["limit"] == 1
        assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert "raw_dir" in pipeline["parameter_openapi_schema"]["properties"]
    assert pipeline["parameter_openapi_schema"]["properties"]["raw_dir"].get("description")


def test_triggered_run_and_its_summary_show_in_the_ui(served: tuple[str, dict[str, str]], raw_dir: Path,
                                                      tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    api_url, env = served
    # A republished copy of seed 003 in other furniture: its own raw document, the same article text.
    copy = (raw_dir / "003_c73d2bbacf694d4f.txt").read_bytes() + b"\n\nShare this story!\n"
    (raw_dir / "copy-of-003.txt").write_bytes(copy)
    run_id, state = trigger("pipeline", env, raw_dir=str(raw_dir), store_url=f"sqlite:///{tmp_path / 'ui.db'}")
    assert state == "Completed"

    ui = api_url.removesuffix("/api")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{ui}/runs/flow-run/{run_id}")
            page.get_by_text("Completed").first.wait_for(timeout=60_000)
            page.get_by_text("Artifacts", exact=True).first.click()
            page.get_by_text("run-summary").first.click()
            page.wait_for_url(re.compile(r".*/artifacts/artifact/.*"), timeout=60_000)
            page.get_by_text("records written").first.wait_for(timeout=60_000)
            text = page.inner_text("body")
            screenshot = DOCS_SCREENSHOT if os.environ.get("NEWSDEDUP_UPDATE_SCREENSHOT") else tmp_path / "ui.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    # Six files: five seeds and one copy of seed 003, which the run found as an exact duplicate.
    assert re.search(r"inputs seen\s+6", text) and re.search(r"records written\s+6", text)
    assert re.search(r"exact duplicates\s+1", text) and re.search(r"overlapping pairs\s+1", text)
    assert "Top overlapping pairs" in text
