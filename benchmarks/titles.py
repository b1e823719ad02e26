"""Headline and date quality: newsdedup's stored title beside trafilatura's metadata title and the raw
<title>, on the hand-labelled titles dev file, in one run (newsdedup page by page, and with the file
as one batch so that what an outlet's pages share is learned); then how often a published date is found
on the extraction dev pages (HTML), by newsdedup and by trafilatura.

    .venv/bin/python benchmarks/titles.py [--worst N]      (trafilatura: pip install '.[bench]')

Prints the scorer's lines (exact match and bag-of-words token F1) and the date-found rates."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _eval, when imported by the scorer

CONTENDERS = [
    "newsdedup.evaluation:extract_title_html",
    "benchmarks.titles:batch_title",
    "benchmarks.titles:trafilatura_title",
    "benchmarks.titles:raw_title",
]
TITLES = "titles/dragnet_train.jsonl.gz"
DATED = ["extraction/dev.jsonl.gz", "extraction/dragnet_train.jsonl.gz"]


def trafilatura_title(page: str) -> str:
    import trafilatura

    return trafilatura.extract_metadata(page).title or ""


_BATCH_TITLES: dict[str, str] = {}


def batch_title(html: str) -> str:
    """The title the pipeline stores when the whole file comes in as one batch, each page from its URL:
    what an outlet's other pages share (recurring headings and <title> parts) is learned first."""
    if not _BATCH_TITLES:
        from _eval import EVAL

        from newsdedup.documents import Article, RawDocument
        from newsdedup.extract import Page, count_lines, extract_page, read_page, recurring_lines

        pages: list[tuple[str, Page]] = []
        with gzip.open(EVAL / TITLES, "rt", encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                source = row["url"] if "://" in (row.get("url") or "") else f"{row['id']}/page.html"
                read = read_page(RawDocument.from_bytes(source, row["html"].encode("utf-8"), datetime.now(UTC),
                                                        "text/html"))
                if isinstance(read, Page):
                    pages.append((row["html"], read))
        learned = recurring_lines(count_lines(page for _, page in pages))
        for markup, page in pages:
            item = extract_page(page, None, learned.get(page.outlet, frozenset()))
            _BATCH_TITLES[markup] = (item.title or "") if isinstance(item, Article) else ""
    return _BATCH_TITLES.get(html, "")


def raw_title(page: str) -> str:
    soup = BeautifulSoup(page, "lxml")
    return soup.title.get_text(" ", strip=True) if soup.title else ""


def _dates_found(path: Path) -> tuple[int, int, int, int, int]:
    """Pages, pages newsdedup dates, pages trafilatura dates (its metadata date, from the page alone),
    pages both date, and of those the pages where the two dates are within a day."""
    import trafilatura

    from newsdedup.documents import Article, RawDocument
    from newsdedup.extract import extract

    pages = ours = theirs = both = close = 0
    with gzip.open(path, "rt", encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            html, url = row["html"], row.get("url") or ""
            pages += 1
            source = url if "://" in url else "page.html"  # as fetched: the URL may carry the date
            item = extract(RawDocument.from_bytes(source, html.encode("utf-8"), datetime.now(UTC), "text/html"))
            mine = item.published if isinstance(item, Article) else None
            other = trafilatura.extract_metadata(html).date
            ours += mine is not None
            theirs += bool(other)
            if mine and other:
                both += 1
                close += abs((date.fromisoformat(mine) - date.fromisoformat(other[:10])).days) <= 1
    return pages, ours, theirs, both, close


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worst", type=int, default=0, help="list newsdedup's N worst pages by token F1")
    parser.add_argument("--no-dates", action="store_true", help="skip the date-found rates")
    args = parser.parse_args()
    if importlib.util.find_spec("trafilatura") is None:
        raise SystemExit("trafilatura is not installed: .venv/bin/pip install -e '.[bench]' (or make bench)")
    from _eval import EVAL, ROOT, score

    sys.path.insert(0, str(ROOT))
    for function in CONTENDERS:
        extra = ["--worst", str(args.worst)] if args.worst and function.startswith("newsdedup") else []
        print(score("score_titles.py", TITLES, function, *extra))
    if args.no_dates:
        return
    for data in DATED:
        pages, ours, theirs, both, close = _dates_found(EVAL / data)
        print(f"dates found on {data}: newsdedup {ours}/{pages} ({ours / pages:.1%})  "
              f"trafilatura {theirs}/{pages} ({theirs / pages:.1%})  both {both}, within a day {close}")


if __name__ == "__main__":
    main()
