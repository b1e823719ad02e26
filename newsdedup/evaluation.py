"""Adapters for the evaluation scorers in ../shared/eval: the pipeline's real extractors and its real
extract + dedup path, behind the scorers' function interfaces. Used by benchmarks/."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from newsdedup.config import Settings
from newsdedup.documents import Article, RawDocument, sha256_hex
from newsdedup.extract import extract
from newsdedup.pipeline import dedup_batch, extract_batch, pending_dedup, plan_extraction
from newsdedup.store import Store
from newsdedup.store.schema import articles, overlaps

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _body(name: str, page: str, media_type: str) -> str:
    item = extract(RawDocument.from_bytes(name, page.encode("utf-8"), _EPOCH, media_type))
    return "\n".join(item.paragraphs) if hasattr(item, "paragraphs") else ""


def extract_body_html(page: str) -> str:
    """The article body the pipeline extracts from an HTML page (empty when it finds none)."""
    return _body("page.html", page, "text/html")


def extract_body_text(page: str) -> str:
    """The article body the pipeline extracts from a flattened-text page (empty when it finds none)."""
    return _body("page.txt", page, "text/plain")


def extract_title_html(page: str) -> str:
    """The title the pipeline stores for an HTML page (empty when it finds none or no article)."""
    item = extract(RawDocument.from_bytes("page.html", page.encode("utf-8"), _EPOCH, "text/html"))
    return (item.title or "") if isinstance(item, Article) else ""


def dedup_pages(docs: list[dict[str, Any]], settings: Settings | None = None) -> dict[str, Any]:
    """Run ingest (in arrival order), extraction and de-duplication over raw pages in a temporary
    store; returns {"clusters": {id: group}, "overlaps": [(id, id), ...]} for score_dedup.py."""
    settings = settings or Settings.from_env()  # NEWSDEDUP_* variables: what benchmarks calibrate
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            # The outlet is the first path part, as for raw/<outlet>/<file>: cross-page learning per outlet.
            # (A document of no known outlet sits in no folder: its outlet is then what the page says.)
            source_of = {d["id"]: f"{d['outlet']}/{d['id']}" if d.get("outlet") not in (None, "", "unknown")
                         else d["id"] for d in docs}
            store.add_raw(
                RawDocument.from_bytes(source_of[d["id"]], d["text"].encode("utf-8"), _EPOCH + timedelta(seconds=n),
                                       "text/plain")
                for n, d in enumerate(docs))
            hashes = plan_extraction(store).pending
            for start in range(0, len(hashes), settings.batch_size):
                extract_batch(store, hashes[start:start + settings.batch_size], settings)
            ids = pending_dedup(store)
            for start in range(0, len(ids), settings.batch_size):
                dedup_batch(store, ids[start:start + settings.batch_size], settings)
            with store.engine.connect() as conn:
                rows = conn.execute(select(articles.c.id, articles.c.raw_sha256, articles.c.group_id)).tuples().all()
                links = conn.execute(select(overlaps.c.article_a, overlaps.c.article_b)).tuples().all()
        finally:
            store.close()
    # Byte-identical pages are one raw document (one article) seen at several sources.
    group_of_raw = {raw: group for _, raw, group in rows}
    raw_of_doc = {d["id"]: sha256_hex(d["text"].encode("utf-8")) for d in docs}
    clusters = {i: group_of_raw.get(raw) or f"unextracted:{i}" for i, raw in raw_of_doc.items()}
    docs_of_raw: dict[str, list[str]] = {}
    for i, raw in raw_of_doc.items():
        docs_of_raw.setdefault(raw, []).append(i)
    raw_of_article = {article: raw for article, raw, _ in rows}
    pages = {article: docs_of_raw[raw] for article, raw in raw_of_article.items()}
    return {"clusters": clusters, "overlaps": [(a, b) for x, y in links for a in pages[x] for b in pages[y]]}
