"""The persistent dedup index as the store grows: time to de-duplicate 1,000 new articles against a
store of N articles already ingested, and the index's bytes per indexed article, with the matching window
bounding the index (entries of articles older than the window and a margin leave it after each run).

    .venv/bin/python benchmarks/index.py [--sizes 10000 100000 1000000] [--store URL]
                                        [--window-days 30] [--per-day 1000] [--margin-days 7]

Synthetic articles arrive `--per-day` a day (published that day). The store of N holds all N records
(placed, each its own story); the index holds those within the window and margin of the newest, built the
way dedup builds it (the engine's shingling, signatures and band keys, the store's bulk insert) in
chunks, entries leaving as the window moves (`Store.drop_index_entries` with `Deduplicator.leaving_rows`:
on SQLite their keys made again from their texts). Records older than that are
written placed but never signed: their entries would have left already. The timed 1,000 go through the
real `Deduplicator`; the expiry after them is timed apart. `--window-days 0` indexes everything (no
window). Sizes are the database's own (`newsdedup.store.read.index_size`: pg_total_relation_size, or
SQLite's dbstat)."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdedup.config import DedupSettings, Settings
from newsdedup.dedup import Deduplicator
from newsdedup.documents import Article
from newsdedup.extract import EXTRACTOR_VERSION
from newsdedup.store import Store
from newsdedup.store.read import index_size
from newsdedup.store.schema import metadata
from newsdedup.store.store import IndexRows, StoredArticle

WORDS = [f"w{i}" for i in range(30_000)]
FIRST_DAY = date(2020, 1, 1)
_CHUNK = 5000


def synthetic(rng: random.Random, first: int, n: int, per_day: int) -> list[Article]:
    """Articles number `first` to `first + n - 1`, `per_day` of them published each day."""
    out = []
    for k in range(first, first + n):
        paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(25, 60))) + "." for _ in range(rng.randint(6, 14))]
        out.append(Article(id=f"a{k:019d}", raw_sha256=f"a{k}", source=f"bench/{k}", outlet="bench", title=None,
                           published=(FIRST_DAY + timedelta(days=k // per_day)).isoformat(), byline=None,
                           language="en", paragraphs=paragraphs, confidence=1.0, boilerplate_removed=0,
                           extractor_version=EXTRACTOR_VERSION))
    return out


def place(store: Store, articles: list[Article], engine: Deduplicator, index: bool) -> None:
    """Store articles as dedup leaves unique ones (each its own story), with their index entries if
    `index`: the engine's own shingling, signatures, band keys and index rows."""
    now = datetime.now(UTC)
    store.add_articles(articles, {a.raw_sha256: now for a in articles})
    if index:
        stored = [StoredArticle(a.id, a.paragraphs, a.published, now, n, None) for n, a in enumerate(articles)]
        _, signed = engine.prepare(stored)
        assert signed is not None
        rows = signed.rows
    else:
        rows = IndexRows([], [])
    decisions = [{"id": a.id, "text_hash": f"{a.id:0>64}", "group_id": a.id, "kind": "unique", "matched": None,
                  "similarity": None} for a in articles]
    store.save_dedup(decisions, rows, [], {a.id: (a.id, 1) for a in articles})


def expire(store: Store, engine: Deduplicator, newest: int, kept: int, dropped_to: int) -> int:
    """Drop the entries of articles `dropped_to`.. that fell out of the `kept` newest (by publication
    day: the window and margin) as `Deduplicator.expire_index` does; returns the new low-water mark."""
    oldest_kept = max(0, newest + 1 - kept)
    leaving = [f"a{k:019d}" for k in range(dropped_to, oldest_kept)]
    for start in range(0, len(leaving), _CHUNK):
        store.drop_index_entries(engine.leaving_rows(leaving[start : start + _CHUNK]))
    return max(dropped_to, oldest_kept)


def measure(size: int, store_url: str | None, settings: DedupSettings, per_day: int, margin_days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = store_url or f"sqlite:///{tmp}/index.db"
        store = Store.open(url)
        if store_url:
            metadata.drop_all(store.engine)
            store = Store.open(url)
        engine = Deduplicator(store, settings)
        engine.ensure_index()
        window = settings.match_window_days
        kept = (window + margin_days) * per_day if window else size + 1000
        rng = random.Random(size)
        started = time.perf_counter()
        first_indexed = max(0, size - kept - _CHUNK)  # the index is built (and expired) over its last stretch
        dropped_to = first_indexed
        for first in range(0, size, _CHUNK):
            n = min(_CHUNK, size - first)
            place(store, synthetic(rng, first, n, per_day), engine, index=first + n > first_indexed)
            if window:
                dropped_to = expire(store, engine, first + n - 1, kept, dropped_to)
        built = time.perf_counter() - started
        new = synthetic(rng, size, 1000, per_day)
        store.add_articles(new, {a.raw_sha256: datetime.now(UTC) for a in new})
        started = time.perf_counter()
        engine.run_batch([a.id for a in new])
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        if window:
            expire(store, engine, size + 999, kept, dropped_to)
        expiry = time.perf_counter() - started
        sizes = index_size(store)
        per_article = sizes["index_bytes_per_article"]
        shown = f"{per_article:,} B" if per_article is not None else "n/a (no dbstat)"
        print(f"{size:>9,} ingested (built in {built:6.1f} s), {sizes['indexed_articles']:>7,} indexed: "
              f"+1,000 articles in {seconds:5.2f} s, expiry {expiry:5.2f} s; index bytes per article {shown}",
              flush=True)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--store", help="a PostgreSQL URL to measure there (its tables are dropped first)")
    parser.add_argument("--window-days", type=int, default=30, help="match_window_days (0: no window)")
    parser.add_argument("--per-day", type=int, default=1000, help="articles published a day")
    parser.add_argument("--margin-days", type=int, default=DedupSettings().index_margin_days,
                        help="days entries stay past the window")
    args = parser.parse_args()
    # NEWSDEDUP_* variables (e.g. NEWSDEDUP_PARAGRAPH_BANDS) set the banding, as for the other benchmarks.
    settings = Settings.from_env().replace(match_window_days=args.window_days).dedup
    for size in args.sizes:
        measure(size, args.store, settings, args.per_day, args.margin_days)


if __name__ == "__main__":
    main()
