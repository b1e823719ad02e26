"""extract: every raw document not yet extracted becomes an article or a quarantine record."""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect_dask import DaskTaskRunner
from pydantic import Field

from flows.cluster import LOCAL, DaskWorkers, dask_runner
from flows.common import ProgressArtifact, open_store, settings_for
from newsdedup.config import DEFAULT_STORE_URL
from newsdedup.pipeline import ExtractStats, batches, extract_batch, plan_extraction


@task(name="extract-batch", retries=2, retry_delay_seconds=2, cache_policy=NONE, timeout_seconds=3600)
def extract_pages(hashes: list[str], store_url: str) -> ExtractStats:
    return extract_batch(open_store(store_url), hashes, settings_for(store_url=store_url))


@flow(name="extract")
def extract(
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    task_runner: str = LOCAL,
) -> ExtractStats:
    """Extract every pending raw document. `task_runner`: "local" (this machine's worker processes),
    "dask" (a Dask LocalCluster, one worker per core) or a Dask scheduler's address (tcp://host:8786)."""
    on_dask = task_runner != LOCAL
    if on_dask and not isinstance(FlowRunContext.get().task_runner, DaskTaskRunner):  # type: ignore[union-attr]
        # The same flow again, run on the cluster (a flow's task runner is chosen when it starts).
        runner = dask_runner(task_runner, settings_for(store_url=store_url).extract_workers)
        return extract.with_options(task_runner=runner)(store_url, batch_size, task_runner)  # type: ignore[arg-type]
    logger = get_run_logger()
    plan = plan_extraction(open_store(store_url))
    pending = plan.pending
    if plan.replaced_version:
        logger.info("the extractor changed (version %s was stored): every page is extracted again, its earlier "
                    "record superseded, and de-duplication starts afresh", plan.replaced_version)
    logger.info("extract: %d raw documents pending", len(pending))
    total = ExtractStats()
    progress = ProgressArtifact("extract: raw documents processed")
    for number, hashes in enumerate(batches(pending, batch_size), start=1):
        if on_dask:  # claimed, learned from and written here; each page read and classified on the cluster
            store = open_store(store_url)
            stats = extract_batch(store, hashes, settings_for(store_url=store_url), DaskWorkers(store_url))
        else:
            stats = extract_pages(hashes, store_url)
        total.add(stats)
        progress.update(total.pages, len(pending))
        logger.info("extract batch %d: %d pages, %d articles, %d quarantined, %d/%d done",
                    number, stats.pages, stats.articles, stats.quarantined, total.pages, len(pending))
    return total
