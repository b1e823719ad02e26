"""How many overlap links rest on boilerplate, on real pages: the labelled extraction dev pages written
as raw/*.html into ONE folder (no outlet known from the folder: outlets come from the pages), run
through ingest, extraction and dedup, then every overlap link checked against the pages' gold bodies.

    .venv/bin/python benchmarks/boilerplate_links.py [--keep DIR]

A paragraph is boilerplate when under half of its word 4-grams are found in its page's gold body; a
link rests on boilerplate when most of its paragraph pairs hold such a paragraph. Unrelated pages
should share nothing but furniture, so every link here is a candidate false link; those not resting
on boilerplate are printed for reading (quotes, syndicated wire paragraphs)."""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _eval import EVAL
from sqlalchemy import select

from newsdedup.config import Settings
from newsdedup.pipeline import batches, dedup_batch, extract_batch, ingest_files, pending_dedup, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles, overlaps

FILES = ["extraction/dev.jsonl.gz", "extraction/dragnet_train.jsonl.gz"]
_WORD = re.compile(r"\w+")


def _grams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)} or ({tuple(words)} if words else set())


def _is_boilerplate(paragraph: str, gold: set[tuple[str, ...]]) -> bool:
    grams = _grams(paragraph)
    return not grams or len(grams & gold) < 0.5 * len(grams)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", help="build the raw folder and store here instead of a temporary folder")
    args = parser.parse_args()
    rows = []
    for name in FILES:
        with gzip.open(EVAL / name, "rt", encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines)
    gold = {f"{r['id']}.html": _grams(r["body"]) for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        raw = base / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for r in rows:
            (raw / f"{r['id']}.html").write_text(r["html"], encoding="utf-8")
        store = Store.open(f"sqlite:///{base / 'store.db'}")
        settings = Settings()
        started = time.perf_counter()
        names = list_files(raw)
        for chunk in batches(names, settings.batch_size):
            ingest_files(store, raw, chunk, settings, datetime.now(UTC))
        for chunk in batches(plan_extraction(store).pending, settings.batch_size):
            extract_batch(store, chunk, settings)
        for chunk in batches(pending_dedup(store), settings.batch_size):
            dedup_batch(store, chunk, settings)
        elapsed = time.perf_counter() - started
        with store.engine.connect() as conn:
            placed = {r.id: (Path(r.source).name, r.paragraphs)
                      for r in conn.execute(select(articles.c.id, articles.c.source, articles.c.paragraphs))}
            outlet = dict(conn.execute(select(articles.c.id, articles.c.outlet)).tuples().all())
            links = conn.execute(select(overlaps.c.article_a, overlaps.c.article_b, overlaps.c.pairs)).all()
        store.close()
    on_boilerplate, same_outlet, other, furniture_links = 0, 0, [], []
    for a, b, pairs in links:
        (page_a, paragraphs_a), (page_b, paragraphs_b) = placed[a], placed[b]
        furniture = sum(_is_boilerplate(paragraphs_a[i], gold[page_a]) or _is_boilerplate(paragraphs_b[j], gold[page_b])
                        for i, j, _ in pairs)
        if furniture * 2 > len(pairs):
            on_boilerplate += 1
            same_outlet += bool(outlet[a]) and outlet[a] == outlet[b]
            furniture_links.append((page_a, page_b, outlet[a], outlet[b], paragraphs_a[pairs[0][0]][:100]))
        else:
            other.append((page_a, page_b, paragraphs_a[pairs[0][0]][:100]))
    share = on_boilerplate / len(links) if links else 0.0
    print(f"{len(rows)} pages, {len(placed)} articles, {len(links)} overlap links, {on_boilerplate} on boilerplate "
          f"({share:.1%}; target < 5 %; {same_outlet} of them between pages of one outlet), {elapsed:.0f} s")
    for page_a, page_b, outlet_a, outlet_b, text in furniture_links:
        print(f"  ON BOILERPLATE: {page_a} ({outlet_a}) ~ {page_b} ({outlet_b}): {text!r}")
    for page_a, page_b, text in other:
        print(f"  not boilerplate: {page_a} ~ {page_b}: {text!r}")


if __name__ == "__main__":
    main()
