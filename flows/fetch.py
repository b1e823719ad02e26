"""fetch: poll feeds and sitemaps, fetch the pages they list (and pages asked for by URL), keep every
response raw, then extract and de-duplicate exactly as for files."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from pydantic import Field

from flows.common import ProgressArtifact, open_store, settings_for
from flows.pipeline import process_and_report
from newsdedup.config import DEFAULT_STORE_URL
from newsdedup.sources.crawl import FetchStats, SourceList, fetch_sources


@task(name="fetch-sources", retries=1, retry_delay_seconds=10, cache_policy=NONE, timeout_seconds=6 * 3600)
def fetch_all(sources: SourceList, store_url: str, allow_private: bool, respect_robots: bool) -> FetchStats:
    """One task for the whole polling round: HTTP concurrency lives inside it (async, per-host limits),
    not in Prefect task runs, which would cost more than most fetches."""
    settings = settings_for(store_url=store_url, allow_private=allow_private, respect_robots=respect_robots)
    progress = ProgressArtifact("fetch: pages fetched")
    return fetch_sources(open_store(store_url), sources, settings.fetch, progress.update)


@flow(name="fetch", description="Fetch pages, RSS/Atom feeds and sitemaps over HTTP; extract and de-duplicate.")
def fetch(
    pages: list[str] | None = None,
    feeds: list[str] | None = None,
    sitemaps: list[str] | None = None,
    sources_file: str | None = "deploy/sources.yaml",
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    allow_private: bool = False,
    respect_robots: bool = True,
) -> dict[str, Any]:
    """Poll feeds and sitemaps, fetch new or changed pages, then extract and de-duplicate them.

    Args:
        pages: article URLs, fetched (conditionally) on every run.
        feeds: RSS or Atom feed URLs; their new or changed entries are fetched.
        sitemaps: sitemap or sitemap-index URLs (`.xml` or `.xml.gz`); new or changed pages are fetched.
        sources_file: a YAML file with `pages:`, `feeds:` and `sitemaps:` lists, added to the above;
            skipped when it does not exist, or when empty.
        store_url: the processed store, `sqlite:///...` or `postgresql+psycopg://...`.
        batch_size: documents per extract/dedup task.
        allow_private: fetch from hosts on private, loopback or link-local addresses (local use only).
        respect_robots: obey each host's robots.txt.
    """
    logger = get_run_logger()
    sources = SourceList(tuple(pages or ()), tuple(feeds or ()), tuple(sitemaps or ()))
    if sources_file and Path(sources_file).is_file():
        sources = sources + SourceList.from_yaml(Path(sources_file))
    logger.info("fetch: %d pages, %d feeds, %d sitemaps", len(sources.pages), len(sources.feeds),
                len(sources.sitemaps))
    store = open_store(store_url)
    run_id = store.start_run("fetch", {"sources": len(sources), "allow_private": allow_private})
    started = time.perf_counter()
    fetched = fetch_all(sources, store_url, allow_private, respect_robots)
    logger.info("fetch: %d requested, %d new, %d unchanged, %d listed items skipped, %d quarantined",
                fetched.requested, fetched.new, fetched.unchanged, fetched.skipped, fetched.quarantined)
    return process_and_report(run_id, store_url, batch_size, {"fetch": asdict(fetched)},
                              {"fetch": time.perf_counter() - started})
