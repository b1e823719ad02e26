"""dedup: new articles join groups (exact / near-duplicate) and get overlap links.

Batches run in arrival order, one after another: each batch is compared with everything before it."""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from pydantic import Field

from flows.common import ProgressArtifact, open_store, settings_for
from newsdedup.config import DEFAULT_STORE_URL, DedupSettings
from newsdedup.dedup import BatchOutcome, Deduplicator
from newsdedup.pipeline import batches, dedup_batch, pending_dedup

Share = Annotated[float, Field(gt=0, le=1)]

DEDUP_DEFAULTS = DedupSettings()  # flow parameters default to the library's settings, named once


@task(name="dedup-batch", retries=2, retry_delay_seconds=2, cache_policy=NONE, timeout_seconds=3600)
def dedup_articles(ids: list[str], store_url: str, thresholds: dict[str, float | int | None]) -> BatchOutcome:
    return dedup_batch(open_store(store_url), ids, settings_for(store_url=store_url, **thresholds))


@flow(name="dedup")
def dedup(
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    near_duplicate_jaccard: Share = DEDUP_DEFAULTS.near_duplicate_jaccard,
    containment: Share = DEDUP_DEFAULTS.containment,
    paragraph_similarity: Share = DEDUP_DEFAULTS.paragraph_similarity,
    match_window_days: Annotated[int, Field(ge=0)] | None = None,
) -> BatchOutcome:
    """De-duplicate the articles not yet placed; `match_window_days` None takes NEWSDEDUP_MATCH_WINDOW_DAYS
    or the default (0: no window)."""
    logger = get_run_logger()
    thresholds: dict[str, float | int | None] = {
        "near_duplicate_jaccard": near_duplicate_jaccard, "containment": containment,
        "paragraph_similarity": paragraph_similarity, "match_window_days": match_window_days}
    pending = pending_dedup(open_store(store_url))
    logger.info("dedup: %d articles pending", len(pending))
    total = BatchOutcome()
    progress = ProgressArtifact("dedup: articles compared")
    for number, ids in enumerate(batches(pending, batch_size), start=1):
        outcome = dedup_articles(ids, store_url, thresholds)
        if outcome.reindexed:
            logger.info("dedup index rebuilt for %d articles first (it was built with other parameters)",
                        outcome.reindexed)
        total.merge(outcome)
        progress.update(total.articles, len(pending))
        logger.info("dedup batch %d: %d articles, %d exact, %d near, %d overlap links",
                    number, outcome.articles, outcome.exact, outcome.near, outcome.overlaps)
    total.expired = expire_index(store_url, thresholds)
    if total.expired:
        logger.info("%d articles older than the matching window left the dedup index", total.expired)
    return total


@task(name="expire-index", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def expire_index(store_url: str, thresholds: dict[str, float | int | None]) -> int:
    return Deduplicator(open_store(store_url), settings_for(store_url=store_url, **thresholds).dedup).expire_index()
