"""The Prefect flows end to end, on one Prefect test server for the session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.pipeline import pipeline

pytestmark = pytest.mark.flow


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_pipeline_flow_runs_and_is_idempotent(raw_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    first = pipeline(raw_dir=str(raw_dir), store_url=url, batch_size=2)
    assert first["ingest"] == {"seen": 5, "new": 5, "new_versions": 0, "unchanged": 0, "quarantined": 0}
    assert first["extract"]["articles"] == 5 and first["extract"]["boilerplate_removed"] >= 30
    assert first["dedup"]["overlaps"] == 1 and first["dedup"]["exact"] == first["dedup"]["near"] == 0
    assert first["store"]["groups"] == 5
    (raw_dir / "copy.txt").write_bytes((raw_dir / "003_c73d2bbacf694d4f.txt").read_bytes() + b"\n\nShare this!\n")
    second = pipeline(raw_dir=str(raw_dir), store_url=url, batch_size=2)
    assert second["ingest"]["unchanged"] == 5 and second["ingest"]["new"] == 1
    assert second["extract"]["articles"] == 1
    assert second["dedup"]["exact"] == 1  # same article text in other page furniture
    top = second["stories"]["top_stories"][0]  # the run's stories, for its summary artifact
    assert (top["size"], top["added"], top["new"]) == (2, 1, False)
    assert second["stories"]["outlets"] == {"": {"new": 0, "exact": 1, "near": 0, "overlapping": 0}}
    assert second["store"]["articles"] == 6 and second["store"]["groups"] == 5
    assert second["store"]["runs"] == 2


def test_pipeline_parameters_are_validated(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="batch_size"):
        pipeline(raw_dir=str(tmp_path), store_url=f"sqlite:///{tmp_path / 'x.db'}", batch_size=0)


def _artifacts(flow_run_id: object | None = None) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read() -> list[Any]:
        async with get_client() as client:
            where = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])) if flow_run_id else None
            return list(await client.read_artifacts(artifact_filter=where))
    return asyncio.run(read())


def test_run_artifacts_escape_untrusted_text(raw_dir: Path, tmp_path: Path) -> None:
    hostile = "<script>alert(1)<\\script> [click](javascript:alert(2)) | cell.txt"
    (raw_dir / hostile).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    state = pipeline(raw_dir=str(raw_dir), store_url=f"sqlite:///{tmp_path / 'a.db'}", return_state=True)
    summary = state.result()
    assert summary["ingest"]["new"] == 6 and summary["extract"]["quarantined"] == 1
    artifacts = {a.key: a for a in _artifacts(state.state_details.flow_run_id)}
    assert {"run-summary", "quarantined-inputs"} <= set(artifacts)
    table = json.loads(artifacts["quarantined-inputs"].data)
    assert len(table) == 1 and table[0]["reason"] == "binary"
    cell = table[0]["source"]
    assert "<script>" not in cell and "](" not in cell and "|" not in cell.replace("\\|", "")
    assert cell.startswith("\\<script\\>")
    assert "records written" in artifacts["run-summary"].data
    assert "## Top stories of this run" in artifacts["run-summary"].data
    assert "## Outlets of this run" in artifacts["run-summary"].data
    # Each stage's sub-flow run shows a progress bar, at 100 % once done.
    progress = {a.description: a.data for a in _artifacts() if a.type == "progress"}
    assert progress.get("extract: raw documents processed: 6/6") == 100.0


def test_fetch_flow_runs_the_http_door(tmp_path: Path) -> None:
    from http_server import LocalServer, article_html, rss, static

    from flows.fetch import fetch

    with LocalServer() as server:
        base = f"http://127.0.0.1:{server.port}"
        paragraph = ("The regional council approved the new flood defence plan on Tuesday after months of debate, "
                     "committing funds to raise the river walls along the old town before next winter.")
        server.routes["/a.html"] = static(article_html("Council backs flood plan", [paragraph] * 3))
        server.routes["/feed.xml"] = static(rss([("/a.html", "Council")], base), "application/rss+xml")
        url = f"sqlite:///{tmp_path / 'fetch.db'}"
        kwargs = {"feeds": [f"{base}/feed.xml"], "sources_file": None, "store_url": url, "allow_private": True}
        first = fetch(**kwargs)
        assert first["fetch"]["new"] == 1 and first["extract"]["articles"] == 1
        assert first["store"]["groups"] == 1
        again = fetch(**kwargs)
        assert again["fetch"]["skipped"] == 1 and again["fetch"]["requested"] == 0
        assert again["extract"]["articles"] == 0
        refused = fetch(feeds=[f"{base}/feed.xml"], sources_file=None, store_url=f"sqlite:///{tmp_path / 'r.db'}")
        assert refused["fetch"]["quarantined"] == 1 and refused["store"]["quarantine_reasons"] == {"blocked_address": 1}


def _syndicated_raw(root: Path, copies: int) -> Path:
    """The seeds reprinted in five outlets with a word changed per copy: pages enough for two workers,
    groups of near copies, and furniture learned per outlet."""
    from conftest import SEEDS, seed_names

    for n in range(copies):
        outlet = root / f"outlet{n % 5}"
        outlet.mkdir(parents=True, exist_ok=True)
        for seed in seed_names():
            text = (SEEDS / seed).read_text(encoding="utf-8")
            (outlet / f"{n}_{seed}").write_text(text.replace(" the ", f" the{n} ", 1), encoding="utf-8")
    return root


def _records(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from sqlalchemy import select

    from newsdedup.store import Store
    from newsdedup.store.schema import articles, groups

    store = Store.open(url, create=False)
    with store.engine.connect() as conn:
        records = conn.execute(select(articles.c.id, articles.c.seq, articles.c.outlet, articles.c.title,
                                      articles.c.paragraphs, articles.c.boilerplate_removed, articles.c.group_id,
                                      articles.c.duplicate_kind, articles.c.matched_id)).tuples().all()
        grouped = conn.execute(select(groups)).tuples().all()
    store.close()
    return sorted(records), sorted(grouped)


def test_a_dask_run_writes_the_default_runs_records_and_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    from newsdedup.parallel import MIN_ITEMS_PER_WORKER

    raw = _syndicated_raw(tmp_path / "raw", 45)
    assert sum(1 for p in raw.rglob("*") if p.is_file()) >= 2 * MIN_ITEMS_PER_WORKER  # the default run uses workers
    monkeypatch.setenv("NEWSDEDUP_EXTRACT_WORKERS", "2")  # two local processes; a LocalCluster of two workers
    local = pipeline(raw_dir=str(raw), store_url=f"sqlite:///{tmp_path / 'local.db'}", batch_size=150)
    on_dask = pipeline(raw_dir=str(raw), store_url=f"sqlite:///{tmp_path / 'dask.db'}", batch_size=150,
                       task_runner="dask")
    assert local["extract"] == on_dask["extract"] and local["extract"]["articles"] >= 200
    assert on_dask["dedup"]["near"] + on_dask["dedup"]["exact"] > 0
    assert _records(f"sqlite:///{tmp_path / 'local.db'}") == _records(f"sqlite:///{tmp_path / 'dask.db'}")

    async def task_names() -> list[str]:
        async with get_client() as client:
            runs = await client.read_task_runs(task_run_filter=TaskRunFilter(
                name=TaskRunFilterName(like_="read-pages")), limit=200)
            return [r.name for r in runs]
    assert len(asyncio.run(task_names())) >= 4  # the pages were read by tasks on the cluster, chunk by chunk
