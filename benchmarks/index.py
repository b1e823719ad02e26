"""The persistent dedup index as it grows: time to de-duplicate 1,000 new articles against an index
of N articles already in the store, and the index's bytes per article (band keys and signatures).

    .venv/bin/python benchmarks/index.py [--sizes 10000 100000] [--store URL]

The index of N articles is built the way dedup builds it (same shingling, signatures and band keys,
written with the store's bulk insert) from synthetic articles, without running extraction; the timed
1,000 go through the real `Deduplicator`. With a PostgreSQL URL the sizes are the tables' own
(`pg_total_relation_size`); with SQLite they come from the `dbstat` table when SQLite has it."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from newsdedup.config import DedupSettings
from newsdedup.dedup import Deduplicator
from newsdedup.documents import Article
from newsdedup.extract import EXTRACTOR_VERSION
from newsdedup.store import Store
from newsdedup.store.schema import index_documents, lsh_buckets, metadata
from newsdedup.store.store import StoredArticle

WORDS = [f"w{i}" for i in range(30_000)]


def synthetic(rng: random.Random, n: int, prefix: str) -> list[Article]:
    out = []
    for k in range(n):
        paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(25, 60))) + "." for _ in range(rng.randint(6, 14))]
        out.append(Article(id=f"{prefix}{k:014d}"[:20], raw_sha256=f"{prefix}{k}", source=f"bench/{prefix}{k}",
                           outlet="bench", title=None, published=None, byline=None, language="en",
                           paragraphs=paragraphs, confidence=1.0, boilerplate_removed=0,
                           extractor_version=EXTRACTOR_VERSION))
    return out


def build_index(store: Store, articles: list[Article], engine: Deduplicator) -> None:
    """What dedup writes for unique articles (each its own group), written in bulk: the engine's own
    shingling, signatures, band keys and index rows."""
    now = datetime.now(UTC)
    for start in range(0, len(articles), 5000):
        chunk = articles[start : start + 5000]
        store.add_articles(chunk, {a.raw_sha256: now for a in chunk})
        stored = [StoredArticle(a.id, a.paragraphs, None, now, n, None) for n, a in enumerate(chunk)]
        docs, signed = engine.prepare(stored)
        assert signed is not None
        decisions = [{"id": d.id, "text_hash": d.text_hash, "group_id": d.id, "kind": "unique", "matched": None,
                      "similarity": None} for d in docs]
        store.save_dedup(decisions, signed.rows, [], {d.id: (d.id, 1) for d in docs})


def index_bytes(store: Store) -> int | None:
    tables = [lsh_buckets.name, index_documents.name]
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            return sum(conn.execute(text("select pg_total_relation_size(:t)"), {"t": t}).scalar_one() for t in tables)
        try:
            return sum(conn.execute(text("select coalesce(sum(pgsize), 0) from dbstat where name = :t"),
                                    {"t": t}).scalar_one() for t in tables)
        except Exception:  # SQLite built without dbstat
            return None


def measure(size: int, store_url: str | None, settings: DedupSettings) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = store_url or f"sqlite:///{tmp}/index.db"
        store = Store.open(url)
        if store_url:
            metadata.drop_all(store.engine)
            store = Store.open(url)
        engine = Deduplicator(store, settings)
        rng = random.Random(size)
        started = time.perf_counter()
        engine.ensure_index()
        build_index(store, synthetic(rng, size, "i"), engine)
        built = time.perf_counter() - started
        new = synthetic(rng, 1000, "n")
        store.add_articles(new, {a.raw_sha256: datetime.now(UTC) for a in new})
        started = time.perf_counter()
        engine.run_batch([a.id for a in new])
        seconds = time.perf_counter() - started
        total = index_bytes(store)
        per_doc = f"{total / (size + 1000):,.0f} B" if total is not None else "n/a (no dbstat)"
        print(f"index of {size:>9,} articles (built in {built:6.1f} s): +1,000 articles in {seconds:6.2f} s "
              f"({1000 / seconds:,.0f}/s); index bytes per article {per_doc}")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--store", help="a PostgreSQL URL to measure there (its tables are dropped first)")
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.store, DedupSettings())


if __name__ == "__main__":
    main()
