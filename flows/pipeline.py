"""pipeline: ingest raw/, extract, de-duplicate; one readable summary per run (log, artifact, store)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import Field

from flows.common import md_escape, open_store
from flows.dedup import Share, dedup
from flows.extract import extract
from flows.ingest import ingest
from newsdedup.config import DEFAULT_STORE_URL
from newsdedup.store.read import stats
from newsdedup.summary import format_summary


@flow(name="pipeline")
def pipeline(
    raw_dir: str = "raw",
    store_url: str = DEFAULT_STORE_URL,
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 1000,
    max_file_bytes: Annotated[int, Field(gt=0)] = 20 * 1024 * 1024,
    near_duplicate_jaccard: Share = 0.5,
    containment: Share = 0.8,
    paragraph_similarity: Share = 0.5,
) -> dict[str, Any]:
    logger = get_run_logger()
    store = open_store(store_url)
    run_id = store.start_run("pipeline", {"raw_dir": raw_dir, "batch_size": batch_size})
    timings: dict[str, float] = {}

    started = time.perf_counter()
    ingested = ingest(raw_dir, store_url, batch_size, max_file_bytes)
    timings["ingest"] = time.perf_counter() - started

    started = time.perf_counter()
    extracted = extract(store_url, batch_size)
    timings["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    deduped = dedup(store_url, batch_size, near_duplicate_jaccard, containment, paragraph_similarity)
    timings["dedup"] = time.perf_counter() - started

    summary: dict[str, Any] = {
        "ingest": asdict(ingested),
        "extract": asdict(extracted),
        "dedup": {k: v for k, v in asdict(deduped).items() if k != "new_groups"},
        "store": stats(store),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    store.finish_run(run_id, summary)
    logger.info("\n%s", format_summary(summary))
    _publish(summary)
    return summary


def _publish(summary: dict[str, Any]) -> None:
    """Artifacts for the Prefect UI; every untrusted string is escaped."""
    overlaps = summary["dedup"]["top_overlaps"][:10]
    lines = [
        "# newsdedup pipeline run",
        "",
        "```",
        format_summary(summary),
        "```",
    ]
    if overlaps:
        lines += ["", "## Top overlapping pairs", "", "| article | shares passages with | paragraph pairs |",
                  "|---|---|---|"]
        lines += [f"| {md_escape(a)} | {md_escape(b)} | {n} |" for a, b, n in overlaps]
    create_markdown_artifact(markdown="\n".join(lines), key="pipeline-summary",
                             description="Counts, overlaps and timings of this run")
    reasons = summary["store"]["quarantine_reasons"]
    if reasons:
        create_table_artifact(table=[{"reason": md_escape(r), "count": n} for r, n in sorted(reasons.items())],
                              key="quarantine-reasons", description="Quarantined inputs by reason")
