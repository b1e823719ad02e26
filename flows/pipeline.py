"""pipeline: ingest raw/, extract, de-duplicate; one readable summary per run (log, artifacts, store).

`process_and_report` is the part every door shares: the `fetch` flow runs it after fetching."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import Field

from flows.common import open_store, settings_for
from flows.dedup import DEDUP_DEFAULTS, Share, dedup
from flows.extract import extract
from flows.ingest import ingest
from newsdedup.config import DEFAULT_STORE_URL
from newsdedup.pipeline import pending_dedup
from newsdedup.store.read import recent_quarantine, run_stories, stats, titles
from newsdedup.summary import md_escape, summary_line, summary_markdown


@flow(name="pipeline", description="Ingest the files of raw/, extract clean articles, de-duplicate them.")
def pipeline(
    raw_dir: str = "raw",
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    max_file_bytes: Annotated[int, Field(gt=0)] = 20 * 1024 * 1024,
    near_duplicate_jaccard: Share = DEDUP_DEFAULTS.near_duplicate_jaccard,
    containment: Share = DEDUP_DEFAULTS.containment,
    paragraph_similarity: Share = DEDUP_DEFAULTS.paragraph_similarity,
    match_window_days: Annotated[int, Field(ge=0)] | None = None,
    task_runner: str | None = None,
) -> dict[str, Any]:
    """Ingest the files of raw/, extract clean articles and de-duplicate them into the store.

    Args:
        raw_dir: directory of raw articles (HTML or flattened text, any encoding); sub-folders are outlets.
        store_url: the processed store, `sqlite:///...` or `postgresql+psycopg://...`.
        batch_size: documents per task; thousands keep Prefect's per-task cost negligible.
        max_file_bytes: larger files are quarantined as too_large and left unread.
        near_duplicate_jaccard: character-window Jaccard from which two articles are one story.
        containment: share of the shorter article found in the longer that makes it an abridged or noisy
            copy (when both open alike).
        paragraph_similarity: Jaccard from which two paragraphs are the same passage (overlap links).
        match_window_days: copies and lifts are matched only between stories that ran within this many
            days of each other; 0 is no window, None the environment's or the default (0).
        task_runner: where extraction's per-page work runs: "local" (worker processes), "dask" (a Dask
            LocalCluster, one worker per core) or a Dask scheduler's address; None: the environment's or local.
    """
    store = open_store(store_url)
    run_id = store.start_run("pipeline", {"raw_dir": raw_dir, "batch_size": batch_size})
    started = time.perf_counter()
    ingested = ingest(raw_dir, store_url, batch_size, max_file_bytes)
    return process_and_report(
        run_id, store_url, batch_size, {"ingest": asdict(ingested)}, {"ingest": time.perf_counter() - started},
        near_duplicate_jaccard, containment, paragraph_similarity, match_window_days, task_runner)


def process_and_report(
    run_id: int,
    store_url: str,
    batch_size: int,
    arrival: dict[str, Any],
    timings: dict[str, float],
    near_duplicate_jaccard: float = DEDUP_DEFAULTS.near_duplicate_jaccard,
    containment: float = DEDUP_DEFAULTS.containment,
    paragraph_similarity: float = DEDUP_DEFAULTS.paragraph_similarity,
    match_window_days: int | None = None,
    task_runner: str | None = None,
) -> dict[str, Any]:
    """Extract and de-duplicate what arrived, then record and publish the run's summary."""
    logger = get_run_logger()
    store = open_store(store_url)

    started = time.perf_counter()
    extracted = extract(store_url, batch_size, task_runner or settings_for().task_runner)
    timings["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    pending = pending_dedup(store)  # this run's records, for its stories and per-outlet counts
    deduped = dedup(store_url, batch_size, near_duplicate_jaccard, containment, paragraph_similarity,
                    match_window_days)
    timings["dedup"] = time.perf_counter() - started

    summary: dict[str, Any] = {
        **arrival,
        "extract": asdict(extracted),
        "dedup": {k: v for k, v in asdict(deduped).items() if k != "new_groups"},
        "stories": run_stories(store, pending),
        "store": stats(store),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    store.finish_run(run_id, summary)
    # One line for the log: the table itself is the run-summary artifact (and what the CLI prints).
    logger.info("run done: %s; see the run-summary artifact", summary_line(summary))
    pairs = summary["dedup"]["top_overlaps"][:10]
    publish(summary, titles(store, [i for a, b, _ in pairs for i in (a, b)]),
            recent_quarantine(store, since_run=run_id))
    return summary


def publish(summary: dict[str, Any], article_titles: dict[str, str | None], quarantined: list[dict[str, Any]]) -> None:
    """Artifacts for the Prefect UI; every untrusted string (titles, URLs, paths, reasons) is escaped."""
    create_markdown_artifact(markdown=summary_markdown(summary, article_titles), key="run-summary",
                             description="Counts, top stories, outlets, overlaps and timings of this run")
    if quarantined:
        create_table_artifact(
            table=[{k: md_escape(v) for k, v in row.items()} for row in quarantined],
            key="quarantined-inputs", description="Inputs quarantined by this run, with the reason")
