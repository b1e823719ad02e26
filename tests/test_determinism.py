"""Same input, same groups: de-duplication (and the whole pipeline) give identical groups, canonical
records and overlap links whatever Python's string-hash seed and however the work is batched. Each run
is a fresh process, since the hash seed is fixed when a process starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsdedup.config import Settings
from newsdedup.documents import RawDocument
from newsdedup.pipeline import batches, dedup_batch, extract_batch, pending_dedup, plan_extraction
from newsdedup.store import Store
from newsdedup.store.schema import articles, groups, overlaps

TESTS = Path(__file__).parent
ROOT = TESTS.parent
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NEWSDEDUP = str(Path(sys.executable).parent / "newsdedup")  # the console script beside this interpreter


def dedup_corpus(store_url: str, batch_size: int) -> dict[str, Any]:
    """Ingest and extract the synthetic corpus in arrival order, de-duplicate it `batch_size` articles
    at a time, and return what dedup decided, in a form independent of row order."""
    from synthetic import corpus

    store = Store.open(store_url)
    try:
        store.add_raw(RawDocument.from_bytes(doc.name, doc.text.encode(), _EPOCH + timedelta(seconds=n), "text/plain")
                      for n, doc in enumerate(corpus()))
        settings = Settings(extract_workers=1)
        extract_batch(store, plan_extraction(store).pending, settings)
        for ids in batches(pending_dedup(store), batch_size):
            dedup_batch(store, ids, settings)
        with store.engine.connect() as conn:
            placed = conn.execute(select(articles.c.source, articles.c.id, articles.c.group_id,
                                         articles.c.duplicate_kind)).tuples().all()
            canonical = dict(conn.execute(select(groups.c.id, groups.c.canonical_id)).tuples().all())
            links = conn.execute(select(overlaps.c.article_a, overlaps.c.article_b, overlaps.c.pairs,
                                        overlaps.c.share_a, overlaps.c.share_b)).tuples().all()
    finally:
        store.close()
    return {
        "articles": sorted([source, article, group, canonical[group], kind] for source, article, group, kind in placed),
        "overlaps": sorted([a, b, pairs, share_a, share_b] for a, b, pairs, share_a, share_b in links),
    }


def _in_fresh_process(hash_seed: int, store_url: str, batch_size: int) -> dict[str, Any]:
    code = (f"import json, sys; sys.path[:0] = [{str(TESTS)!r}, {str(ROOT)!r}]\n"
            "from test_determinism import dedup_corpus\n"
            f"print(json.dumps(dedup_corpus({store_url!r}, {batch_size})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONHASHSEED": str(hash_seed)})
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_dedup_is_the_same_under_any_hash_seed_and_batch_size(tmp_path: Path) -> None:
    runs = {(seed, size): _in_fresh_process(seed, f"sqlite:///{tmp_path / f'{seed}-{size}.db'}", size)
            for seed, size in [(0, 1000), (1, 1000), (2, 300), (3, 300), (4, 1000)]}
    first = runs[(0, 1000)]
    # The corpus exercises what the decisions are about: copies grouped, lifts linked.
    group_sizes: dict[str, int] = {}
    for _, _, group, _, _ in first["articles"]:
        group_sizes[group] = group_sizes.get(group, 0) + 1
    assert sum(size > 1 for size in group_sizes.values()) >= 100
    assert len(first["overlaps"]) >= 10
    for key, run in runs.items():
        assert run["articles"] == first["articles"], f"groups or canonical records differ under {key}"
        assert run["overlaps"] == first["overlaps"], f"overlap links differ under {key}"


def _export(store_url: str) -> list[dict[str, Any]]:
    done = subprocess.run([NEWSDEDUP, "--store", store_url, "export", "--all"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    timestamps = {"ingested_at", "first_seen", "fetched_at", "seen_at", "created_at", "updated_at"}
    rows = [{k: v for k, v in json.loads(line).items() if k not in timestamps} for line in done.stdout.splitlines()]
    return sorted(rows, key=lambda r: str(r["id"]))


@pytest.mark.flow
def test_pipeline_flow_gives_identical_stores_under_any_hash_seed(tmp_path: Path) -> None:
    """Two fresh stores built by `newsdedup run` (the `pipeline` flow, in-process Prefect) from one raw
    folder, in processes with different hash seeds, export the same records."""
    from synthetic import corpus

    raw = tmp_path / "raw"
    for doc in corpus(seed=11, stories=40):
        (raw / doc.name).parent.mkdir(parents=True, exist_ok=True)
        (raw / doc.name).write_text(doc.text, encoding="utf-8")
    exports = []
    for seed in (1, 2):
        url = f"sqlite:///{tmp_path / f'store-{seed}.db'}"
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PREFECT_HOME": str(tmp_path / f"prefect-{seed}")}
        done = subprocess.run([NEWSDEDUP, "--store", url, "run", "--raw", str(raw),
                               "--batch-size", "50"], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        exports.append(_export(url))
    assert len(exports[0]) >= 100 and any(r.get("duplicate_of") or r.get("overlaps") for r in exports[0])
    assert exports[0] == exports[1]
