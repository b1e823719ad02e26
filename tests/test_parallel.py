"""Extraction spread over worker processes gives exactly the sequential result, and a worker that
dies costs no batch."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path

from conftest import SEEDS, seed_names
from sqlalchemy import select

from newsdedup import parallel
from newsdedup.config import Settings
from newsdedup.pipeline import extract_batch, ingest_files, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles


def _square_or_die(n: int) -> int:
    if multiprocessing.parent_process() is not None:
        os._exit(3)  # a worker killed mid-batch (out of memory, say)
    return n * n


def _square(n: int) -> int:
    return n * n


def test_results_come_back_in_order_from_worker_processes() -> None:
    items = list(range(2 * parallel.MIN_ITEMS_PER_WORKER + 7))
    assert parallel.map_in_processes(_square, items, workers=2) == [n * n for n in items]


def test_a_dying_worker_costs_no_batch() -> None:
    items = list(range(2 * parallel.MIN_ITEMS_PER_WORKER))
    assert parallel.map_in_processes(_square_or_die, items, workers=2) == [n * n for n in items]
    assert parallel.map_in_processes(_square, items, workers=2) == [n * n for n in items], "a new pool serves on"


def _extract_all(tmp_path: Path, name: str, workers: int) -> list[tuple[object, ...]]:
    """Seeds copied into several outlets with small variations: enough pages for the worker pool."""
    raw = tmp_path / name / "raw"
    for n in range(50):
        outlet = raw / f"outlet{n % 5}"
        outlet.mkdir(parents=True, exist_ok=True)
        for seed in seed_names():
            text = (SEEDS / seed).read_text(encoding="utf-8")
            (outlet / f"{n}_{seed}").write_text(text.replace(" the ", f" the{n} ", 1), encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / name / 'store.db'}")
    settings = Settings().replace(extract_workers=workers)
    ingest_files(store, raw, list_files(raw), settings, datetime.now(UTC))
    hashes = plan_extraction(store).pending
    assert len(hashes) >= 2 * parallel.MIN_ITEMS_PER_WORKER
    stats = extract_batch(store, hashes, settings)
    with store.engine.connect() as conn:
        rows = conn.execute(select(articles.c.id, articles.c.seq, articles.c.title, articles.c.paragraphs,
                                   articles.c.boilerplate_removed, articles.c.confidence)).tuples().all()
    store.close()
    assert stats.articles == len(rows) > 0
    return sorted(rows)


def test_parallel_extraction_equals_sequential(tmp_path: Path) -> None:
    assert _extract_all(tmp_path, "parallel", workers=2) == _extract_all(tmp_path, "sequential", workers=1)
