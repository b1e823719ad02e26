"""Outlets: the folder a file sits in, else what the page says of itself, else its canonical (or
fetched) host; cross-page learning of recurring lines is per outlet, so one flat folder holding pages
of several sites learns each site's furniture apart."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from conftest import article_by_source, run_steps
from pages import STORIES, news_page

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import Page, count_lines, extract, fingerprint, outlet_of, read_page, recurring_lines
from newsdedup.store import Store

# A sentence a site prints on every page: it reads like the article's own, so only cross-page
# learning can tell it is the site's furniture.
COURIER_LINE = "The Courier is owned by a cooperative of its readers and has no shareholders."


def _article(source: str, page: bytes) -> Article:
    article = extract(RawDocument.from_bytes(source, page, datetime.now(UTC)))
    assert isinstance(article, Article), article
    return article


def test_the_outlet_of_a_page_in_no_outlet_folder() -> None:
    canonical = "https://www.valley.example/news/bridge?utm_source=x"
    named = news_page("bridge", canonical=canonical, site_name="Valley  Courier", publisher="Courier Media Ltd")
    assert _article("bridge.html", named).outlet == "Valley Courier"  # og:site_name first
    published = news_page("bridge", canonical=canonical, publisher="Courier Media Ltd")
    assert _article("bridge.html", published).outlet == "Courier Media Ltd"  # then the JSON-LD publisher
    assert _article("bridge.html", news_page("bridge", canonical=canonical)).outlet == "valley.example"
    assert _article("bridge.html", news_page("bridge")).outlet == ""  # nothing says
    # a sub-folder of raw/ is the outlet, whatever the page says
    assert _article("courier/bridge.html", named).outlet == "courier"


def test_the_outlet_of_a_fetched_page_is_its_host_unless_the_page_names_itself() -> None:
    url = "https://www.valley.example/news/bridge.html?utm_source=rss"
    elsewhere = "https://syndication.example/bridge"
    assert _article(url, news_page("bridge", canonical=elsewhere)).outlet == "valley.example"
    assert _article(url, news_page("bridge", site_name="Valley Courier")).outlet == "Valley Courier"
    assert _article(url, news_page("bridge", publisher="Courier Media Ltd")).outlet == "Courier Media Ltd"


def test_outlet_of_without_a_page() -> None:
    assert outlet_of("courier/2026/bridge.html") == "courier"
    assert outlet_of("bridge.txt") == ""
    assert outlet_of("https://AMP.Valley.example:8443/x") == "valley.example"


def _pages(sources_and_bytes: list[tuple[str, bytes]]) -> list[Page]:
    pages = [read_page(RawDocument.from_bytes(s, b, datetime.now(UTC))) for s, b in sources_and_bytes]
    assert all(isinstance(p, Page) for p in pages)
    return pages  # type: ignore[return-value]


def _flat_folder() -> list[tuple[str, bytes]]:
    """Three pages of the Courier, each with its line, and eight of the Gazette in one folder."""
    courier = [(f"c{n}.html", news_page(story, site_name="Valley Courier", furniture=(COURIER_LINE,)))
               for n, story in enumerate(["bridge", "orchestra", "harvest"])]
    gazette = [(f"g{n}.html", news_page(story, site_name="Harbour Gazette", title=f"{story} {n}"))
               for n, story in enumerate([*STORIES, "bridge", "ferry"])]
    return courier + gazette


def test_lines_recurring_on_one_sites_pages_are_learnt_per_site() -> None:
    pages = _pages(_flat_folder())
    learned = recurring_lines(count_lines(pages))
    assert fingerprint(COURIER_LINE) in learned["Valley Courier"]
    assert fingerprint(COURIER_LINE) not in learned["Harbour Gazette"]
    # Counted as one outlet (what a flat folder was before), the line is on too few of its 11 pages.
    as_one = [dataclasses.replace(p, outlet="") for p in pages]
    assert fingerprint(COURIER_LINE) not in recurring_lines(count_lines(as_one))[""]


def test_a_flat_folder_of_several_sites_learns_each_sites_furniture(store: Store, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, content in _flat_folder():
        (raw / name).write_bytes(content)
    _, extracted, _ = run_steps(store, raw)
    assert extracted.articles == 11
    records = article_by_source(store)
    for name in ("c0.html", "c1.html", "c2.html"):
        assert records[name]["outlet"] == "Valley Courier"  # kept on the record
        assert COURIER_LINE not in records[name]["paragraphs"]
        assert len(records[name]["paragraphs"]) == 3
    assert {records[f"g{n}.html"]["outlet"] for n in range(8)} == {"Harbour Gazette"}
    # The learning is kept per outlet: a later page of the Courier alone loses the line too.
    (raw / "c3.html").write_bytes(news_page("museum", site_name="Valley Courier", furniture=(COURIER_LINE,)))
    run_steps(store, raw)
    later = article_by_source(store)["c3.html"]
    assert later["outlet"] == "Valley Courier" and COURIER_LINE not in later["paragraphs"]


def _blog_page(story: str, feed: str, links: list[str]) -> bytes:
    """A page naming neither itself nor its URL: only its feed and its links say whose it is."""
    page = news_page(story).decode()
    anchors = "".join(f'<a href="{href}">more</a>' for href in links)
    page = page.replace("</head>", f'<link rel="alternate" type="application/rss+xml" href="{feed}"></head>')
    return page.replace("</body>", f"<nav>{anchors}</nav></body>").encode()


def test_a_page_naming_nothing_belongs_to_the_site_of_its_feed_when_it_links_there() -> None:
    own = [f"https://www.quietblog.example/2026/{n}.html" for n in range(3)]
    page = _blog_page("bridge", "https://www.quietblog.example/feed.xml", own)
    assert _article("bridge.html", page).outlet == "quietblog.example"
    # A feed kept by a feed service, linked only as the feed itself: the service is nobody's outlet.
    service = "https://feeds.service.example/QuietBlog"
    assert _article("bridge.html", _blog_page("bridge", service, [service] * 3)).outlet == ""
    # A feed announced by a page that never links to its site's other pages says too little.
    assert _article("bridge.html", _blog_page("bridge", "https://www.quietblog.example/feed.xml", own[:2])).outlet == ""
    # What the page says of itself comes first.
    named = news_page("bridge", canonical="https://paper.example/bridge").decode()
    named = named.replace("</head>", '<link rel="alternate" type="application/rss+xml" '
                          'href="https://www.quietblog.example/feed.xml"></head>')
    named += "".join(f'<a href="{href}">x</a>' for href in own)
    assert _article("bridge.html", named.encode()).outlet == "paper.example"
