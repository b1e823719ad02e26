"""ingest: keep every file of a directory as a raw document (unchanged files skipped by content hash)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from pydantic import Field

from flows.common import ProgressArtifact, open_store, settings_for
from newsdedup.config import DEFAULT_STORE_URL
from newsdedup.pipeline import IngestStats, batches, ingest_files
from newsdedup.sources.files import list_files


@task(name="ingest-batch", retries=2, retry_delay_seconds=2, cache_policy=NONE, timeout_seconds=1800)
def ingest_batch(raw_dir: str, names: list[str], store_url: str, max_file_bytes: int) -> IngestStats:
    settings = settings_for(store_url=store_url, max_file_bytes=max_file_bytes)
    return ingest_files(open_store(store_url), Path(raw_dir), names, settings, datetime.now(UTC))


@flow(name="ingest", log_prints=False)
def ingest(
    raw_dir: str = "raw",
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    max_file_bytes: Annotated[int, Field(gt=0)] = 20 * 1024 * 1024,
) -> IngestStats:
    logger = get_run_logger()
    names = list_files(Path(raw_dir))
    logger.info("ingest: %d files in %s", len(names), raw_dir)
    total = IngestStats()
    progress = ProgressArtifact("ingest: files read")
    for number, names_batch in enumerate(batches(names, batch_size), start=1):
        stats = ingest_batch(raw_dir, names_batch, store_url, max_file_bytes)
        total.add(stats)
        progress.update(total.seen, len(names))
        logger.info("ingest batch %d: %d files, %d new, %d unchanged, %d quarantined",
                    number, stats.seen, stats.new, stats.unchanged, stats.quarantined)
    return total
