"""Two dedup runs at once over overlapping inputs (as two workers would run them), on SQLite and on
the real PostgreSQL: every story still ends in exactly one group and no record is lost."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS
from sqlalchemy import event, func, inspect, select, text
from test_dedup import SEED, _variants

import newsdedup.pipeline as pipeline_module
from newsdedup.config import Settings
from newsdedup.documents import Article
from newsdedup.pipeline import (
    ExtractStats,
    batches,
    dedup_batch,
    extract_batch,
    ingest_files,
    pending_dedup,
    plan_extraction,
)
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles, outlet_pages


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


def _pending_raw(store_url: str, raw: Path) -> tuple[Store, list[str]]:
    store = Store.open(store_url)
    ingest_files(store, raw, list_files(raw), Settings(), datetime.now(UTC))
    return store, plan_extraction(store).pending


def test_a_page_is_extracted_by_one_run_only(
    store_url: str, raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A claims the batch and is held inside it; run B starts the same batch meanwhile."""
    store, pending = _pending_raw(store_url, raw_dir)
    other = Store.open(store_url)
    b_started = threading.Event()
    real = pipeline_module._extract_claimed

    def held(store_: Store, hashes: list[str], settings: Settings, *workers: Any) -> ExtractStats:
        if threading.current_thread().name == "A":
            assert b_started.wait(30)
            time.sleep(0.5)  # B is now inside its own claim (PostgreSQL) or waiting for A's (SQLite)
        return real(store_, hashes, settings, *workers)

    monkeypatch.setattr(pipeline_module, "_extract_claimed", held)
    results: dict[str, ExtractStats] = {}

    def run(name: str, st: Store) -> None:
        if name == "B":
            b_started.set()
        results[name] = extract_batch(st, pending, Settings())

    a = threading.Thread(target=run, args=("A", store), name="A")
    a.start()
    time.sleep(0.3)  # A holds its claim before B begins
    b = threading.Thread(target=run, args=("B", other), name="B")
    b.start()
    a.join(60)
    b.join(60)
    assert results["A"].pages == len(pending) == 5 and results["B"].pages == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.sum(outlet_pages.c.pages))).scalar_one() == 5  # counted once
        assert conn.execute(select(func.count()).select_from(articles)).scalar_one() == 5
    store.close()
    other.close()


def _article(n: int, writer: str) -> Article:
    return Article(id=f"{writer}{n:019d}", raw_sha256=f"{writer}{n:063d}", source=f"{writer}/{n}.txt", outlet=writer,
                   title=f"Story {n}", published=None, byline=None, language="en",
                   paragraphs=[f"Paragraph {n} of {writer}."], confidence=1.0, boilerplate_removed=0,
                   extractor_version="test")


def test_seq_is_unique_when_batches_interleave(store_url: str) -> None:
    """A has read where arrival numbers stand and is held before its insert until B has committed."""
    store, other = Store.open(store_url), Store.open(store_url)
    b_done = threading.Event()

    @event.listens_for(store.engine, "before_cursor_execute")
    def hold_a(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            b_done.wait(3)  # on SQLite B cannot commit while A holds the write lock: A goes on after 3 s

    batches_of = {w: [_article(n, w) for n in range(10)] for w in "ab"}

    def add(st: Store, writer: str) -> None:
        st.add_articles(batches_of[writer], {a.raw_sha256: datetime.now(UTC) for a in batches_of[writer]})
        if writer == "b":
            b_done.set()

    a = threading.Thread(target=add, args=(store, "a"))
    a.start()
    time.sleep(0.5)  # A is inside its transaction, held before its insert
    b = threading.Thread(target=add, args=(other, "b"))
    b.start()
    a.join(60)
    b.join(60)
    with store.engine.connect() as conn:
        seqs = conn.execute(select(articles.c.seq)).scalars().all()
    assert len(seqs) == 20 and len(set(seqs)) == 20
    store.close()
    other.close()


def test_a_crash_between_a_batch_writes_loses_the_batch_whole(
    store_url: str, raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pending = _pending_raw(store_url, raw_dir)

    def crash(self: Store, conn: Any, counts: Any) -> None:
        raise RuntimeError("killed between the articles and the line counts")

    monkeypatch.setattr(Store, "_add_line_counts", crash)
    with pytest.raises(RuntimeError):
        extract_batch(store, pending, Settings())
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(articles)).scalar_one() == 0
    assert plan_extraction(store).pending == pending  # the whole batch is still to do
    monkeypatch.undo()
    assert extract_batch(store, pending, Settings()).articles == 5
    with store.engine.connect() as conn:
        assert conn.execute(select(func.sum(outlet_pages.c.pages))).scalar_one() == 5
    store.close()


def test_stores_made_before_the_seq_sequence_continue_after_their_last_seq(store_url: str) -> None:
    store = Store.open(store_url)
    store.add_articles([_article(n, "a") for n in range(3)], {_article(n, "a").raw_sha256: datetime.now(UTC)
                                                              for n in range(3)})
    with store.engine.begin() as conn:  # as an earlier version left the store: no sequence, no index
        conn.execute(text("UPDATE articles SET seq = seq + 100"))
        conn.execute(text("DROP INDEX articles_seq_order"))
        if store.dialect == "postgresql":
            conn.execute(text("DROP SEQUENCE articles_seq_sequence"))
    store.close()
    store = Store.open(store_url)
    store.add_articles([_article(n, "b") for n in range(3)], {_article(n, "b").raw_sha256: datetime.now(UTC)
                                                              for n in range(3)})
    with store.engine.connect() as conn:
        seqs = dict(conn.execute(select(articles.c.source, articles.c.seq)).tuples().all())
        assert inspect(conn).has_index("articles", "articles_seq_order")
    last = max(seqs[f"a/{n}.txt"] for n in range(3))
    assert sorted(seqs[f"b/{n}.txt"] for n in range(3)) == [last + 1, last + 2, last + 3]
    store.close()
