"""Two dedup runs at once over overlapping inputs (as two workers would run them), on SQLite and on
the real PostgreSQL: every story still ends in exactly one group and no record is lost."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from conftest import SEEDS
from sqlalchemy import text
from test_dedup import SEED, _variants

from newsdedup.config import Settings
from newsdedup.pipeline import batches, dedup_batch, extract_batch, ingest_files, pending_dedup, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store


def _dedup_everything(store_url: str, start: multiprocessing.synchronize.Event, reverse: bool) -> None:
    store = Store.open(store_url)
    ids = pending_dedup(store)
    start.wait(30)
    # Small batches, one worker from each end: the two runs interleave over the same articles.
    for batch in batches(ids[::-1] if reverse else ids, 2):
        dedup_batch(store, sorted(batch, key=ids.index), Settings())
    store.close()


def test_concurrent_dedup_runs_make_one_group_per_story(store_url: str, raw_dir: Path) -> None:
    _variants(raw_dir)
    for n in range(3):  # more copies, so there is something to race for
        (raw_dir / f"copy_more_{n}.txt").write_bytes((SEEDS / SEED).read_bytes() + f"\n\nShare {n}\n".encode())
    store = Store.open(store_url)
    settings = Settings()
    ingest_files(store, raw_dir, list_files(raw_dir), settings, datetime.now(UTC))
    extract_batch(store, plan_extraction(store).pending, settings)
    pending = len(pending_dedup(store))

    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_dedup_everything, args=(store_url, start, reverse)) for reverse in (False, True)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0

    with store.engine.connect() as conn:
        rows = conn.execute(text("select source, group_id from articles")).all()
        groups = dict(conn.execute(text("select id, size from groups")).tuples().all())
    store.close()
    assert len(rows) == pending and all(group for _, group in rows), "every record placed, none lost"
    group_of = dict(rows)
    copies = [s for s in group_of if s.startswith("copy_")]
    assert len({group_of[s] for s in [SEED, *copies]}) == 1, "all copies of the seed in one group"
    assert len(set(group_of.values())) == 5  # the five seed stories
    members: dict[str, int] = {}
    for group in group_of.values():
        members[group] = members.get(group, 0) + 1
    assert groups == members  # the groups table agrees with its members: no orphan or double group
