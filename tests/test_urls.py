"""URL normalisation: each rule, where it is applied (canonical URL, og:url, fetched and listed URLs),
and what it means for the store: one canonical URL up to tracking and AMP is one story."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import article_by_source, run_steps
from http_server import LocalServer, rss, static
from pages import news_page
from sqlalchemy import delete, insert, select, text, update
from test_fetch import LOCAL

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import extract
from newsdedup.sources.crawl import SourceList, fetch_sources
from newsdedup.sources.urls import normalise_url, url_host, web_url
from newsdedup.store import Store
from newsdedup.store.schema import articles, fetch_state, store_meta


@pytest.mark.parametrize(("given", "expected"), [
    # scheme and host lower-case, the path as written
    ("HTTPS://News.Example.COM/World/Story-1", "https://news.example.com/World/Story-1"),
    # default ports dropped, other ports kept
    ("http://news.example:80/a", "http://news.example/a"),
    ("https://news.example:443/a", "https://news.example/a"),
    ("https://news.example:8443/a", "https://news.example:8443/a"),
    ("http://news.example:443/a", "http://news.example:443/a"),
    # the fragment and a trailing slash dropped
    ("https://news.example/a/b/#comments", "https://news.example/a/b"),
    ("https://news.example/", "https://news.example"),
    # tracking parameters dropped, whatever their case; the rest kept, sorted
    ("https://news.example/a?utm_source=tw&utm_MEDIUM=social&UTM_campaign=x", "https://news.example/a"),
    ("https://news.example/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=5&cmpid=6&ocid=7&igshid=8",
     "https://news.example/a"),
    ("https://news.example/a?page=2&id=7&utm_source=rss", "https://news.example/a?id=7&page=2"),
    ("https://news.example/a?b=2&a=1&a=0", "https://news.example/a?a=0&a=1&b=2"),
    ("https://news.example/a?q=caf%C3%A9+au+lait&referrer=x", "https://news.example/a?q=caf%C3%A9+au+lait&referrer=x"),
    # AMP variants: the amp. host, an /amp last segment, the outputType=amp and amp=1 switches
    ("https://amp.news.example/world/story", "https://news.example/world/story"),
    ("https://news.example/world/story/amp/", "https://news.example/world/story"),
    ("https://news.example/world/story/AMP", "https://news.example/world/story"),
    ("https://news.example/world/story?outputType=amp", "https://news.example/world/story"),
    ("https://news.example/world/story?amp=1&id=3", "https://news.example/world/story?id=3"),
    ("https://news.example/world/amplifier", "https://news.example/world/amplifier"),  # only a whole segment
    ("https://amp.example/world/story", "https://amp.example/world/story"),  # a site called amp keeps its name
    # not an http(s) URL: as given
    ("raw/outlet/page.html", "raw/outlet/page.html"),
    ("ftp://Files.Example/a/", "ftp://Files.Example/a/"),
    ("  https://news.example/a  ", "https://news.example/a"),
])
def test_each_normalisation_rule(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
    assert normalise_url(expected) == expected  # idempotent


def test_variants_of_one_article_url_are_one_url() -> None:
    variants = [
        "https://www.news.example/politics/vote-2026",
        "HTTPS://WWW.NEWS.EXAMPLE:443/politics/vote-2026/",
        "https://www.news.example/politics/vote-2026?utm_source=newsletter&utm_medium=email#top",
        "https://www.news.example/politics/vote-2026/amp",
        "https://amp.www.news.example/politics/vote-2026",
        "https://www.news.example/politics/vote-2026?outputType=amp&fbclid=IwAR0",
    ]
    assert {normalise_url(v) for v in variants} == {"https://www.news.example/politics/vote-2026"}
    # a different article, or a parameter that names another page, stays apart
    assert normalise_url("https://www.news.example/politics/vote-2025") != normalise_url(variants[0])
    assert normalise_url(variants[0] + "?page=2") != normalise_url(variants[0])


def test_malformed_urls_are_compared_as_written() -> None:
    assert normalise_url("http://news.example:notaport/a") == "http://news.example:notaport/a"
    assert normalise_url("https://[::1/a") == "https://[::1/a"
    assert url_host("https://[::1/a") is None


def test_url_host_names_an_outlet() -> None:
    assert url_host("https://WWW.News.Example:8080/a?utm_source=x") == "news.example"
    assert url_host("https://amp.news.example/a") == "news.example"
    assert url_host("outlet/file.html") is None


@pytest.mark.parametrize("url", [
    "https://WWW.News.Example:8080/a?utm_source=x", "HTTP://amp.news.example/a/amp", "https://amp.example/a",
    "http://user:pw@www.news.example/a", "https://[2001:db8::1]:443/a", "http://news.example:notaport/a",
    "https://news.example./a", "ftp://news.example/a", "  https://www.news.example/a  ", "https:///a",
])
def test_url_host_is_the_host_of_the_normalised_url(url: str) -> None:
    # url_host reads the host without spelling out the rest of the URL again: the same answer.
    try:
        parts = urlsplit(normalise_url(url))
        host = parts.hostname if parts.scheme in ("http", "https") else None
    except ValueError:
        host = None
    assert url_host(url) == (host.removeprefix("www.") if host else None)


def _extracted(source: str, page: bytes, final_url: str | None = None) -> Article:
    article = extract(RawDocument.from_bytes(source, page, datetime.now(UTC), final_url=final_url))
    assert isinstance(article, Article), article
    return article


def test_the_record_keeps_the_declared_canonical_url_and_compares_its_normal_form() -> None:
    declared = "https://AMP.Valley.example/news/bridge/amp?utm_source=tw&id=4#top"
    article = _extracted("flat.html", news_page("bridge", canonical=declared))
    assert article.declared_canonical_url == declared
    assert article.canonical_url == "https://valley.example/news/bridge?id=4"
    # og:url when there is no <link rel=canonical>; relative URLs resolved against the fetched URL
    og = news_page("bridge").replace(b"</head>", b'<meta property="og:url" content="/news/bridge/?ref=rss"></head>')
    fetched = _extracted("https://valley.example/feed-item?id=9", og)
    assert fetched.declared_canonical_url == "https://valley.example/news/bridge/?ref=rss"
    assert fetched.canonical_url == "https://valley.example/news/bridge"
    # a home page, even with tracking parameters, says nothing about the article
    assert _extracted("flat.html", news_page("bridge", canonical="https://valley.example/?utm_source=x")
                      ).canonical_url is None


def test_pages_with_one_canonical_url_up_to_tracking_and_amp_are_one_story(store: Store, tmp_path: Path) -> None:
    """Different texts (an updated article, a page of another story under the same URL) declaring one
    canonical URL up to tracking parameters and AMP are exact duplicates: one group."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "1.html").write_bytes(news_page("bridge", canonical="https://valley.example/news/bridge"))
    (raw / "2.html").write_bytes(news_page("orchestra", canonical="https://valley.example/news/bridge/?utm_source=rss"))
    (raw / "3.html").write_bytes(news_page("harvest", canonical="https://amp.valley.example/news/bridge/amp"))
    (raw / "4.html").write_bytes(news_page("library", canonical="https://valley.example/news/library?utm_source=rss"))
    _, extracted, deduped = run_steps(store, raw)
    assert extracted.articles == 4
    assert (deduped.unique, deduped.exact, deduped.near) == (2, 2, 0)
    records = article_by_source(store)
    assert records["1.html"]["group_id"] == records["2.html"]["group_id"] == records["3.html"]["group_id"]
    assert records["4.html"]["group_id"] != records["1.html"]["group_id"]
    assert records["2.html"]["duplicate_kind"] == records["3.html"]["duplicate_kind"] == "exact"
    assert records["3.html"]["canonical_url"] == "https://valley.example/news/bridge"
    assert records["3.html"]["declared_canonical_url"] == "https://amp.valley.example/news/bridge/amp"
    assert records["4.html"]["canonical_url"] == "https://valley.example/news/library"


def test_stores_of_an_earlier_version_are_migrated(store_url: str, tmp_path: Path) -> None:
    """A store written before URLs were normalised: the column is added, stored canonical URLs become
    their normal form (the old value kept as declared), and fetch states of one URL's spellings merge
    into the latest one."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "1.html").write_bytes(news_page("bridge", canonical="https://valley.example/news/bridge"))
    store = Store.open(store_url)
    run_steps(store, raw)
    old_url = "https://Valley.example/news/bridge/?utm_source=rss"
    with store.engine.begin() as conn:  # as the earlier version left it
        conn.execute(update(articles).values(canonical_url=old_url))
        conn.execute(text("ALTER TABLE articles DROP COLUMN declared_canonical_url"))
        conn.execute(delete(store_meta).where(store_meta.c.name == "url_format"))
        conn.execute(insert(fetch_state), [
            {"url": "https://valley.example/news/bridge?utm_source=rss", "etag": "old", "status": "ok",
             "fetched_at": datetime(2026, 1, 1, tzinfo=UTC)},
            {"url": "https://valley.example/news/bridge/", "etag": "new", "status": "ok",
             "fetched_at": datetime(2026, 2, 1, tzinfo=UTC)},
            {"url": "https://valley.example/news/other", "etag": "kept", "status": "ok",
             "fetched_at": datetime(2026, 1, 1, tzinfo=UTC)},
        ])
    store.close()

    migrated = Store.open(store_url)
    record = article_by_source(migrated)["1.html"]
    assert record["canonical_url"] == "https://valley.example/news/bridge"
    assert record["declared_canonical_url"] == old_url
    with migrated.engine.connect() as conn:
        states = dict(conn.execute(select(fetch_state.c.url, fetch_state.c.etag)).tuples().all())
    assert states == {"https://valley.example/news/bridge": "new", "https://valley.example/news/other": "kept"}
    # a later page declaring the old spelling joins the migrated record's story
    (raw / "2.html").write_bytes(news_page("orchestra", canonical="https://valley.example/news/bridge?fbclid=1"))
    _, _, deduped = run_steps(migrated, raw)
    assert deduped.exact == 1
    migrated.close()
    reopened = Store.open(store_url)  # the migration ran once: reopening changes nothing
    assert article_by_source(reopened)["1.html"]["declared_canonical_url"] == old_url
    reopened.close()


def test_a_page_listed_under_tracking_and_amp_spellings_is_fetched_once(store: Store) -> None:
    with LocalServer() as server:
        base = server.url("")
        server.routes["/news/bridge.html"] = static(news_page("bridge"), etag='"v1"')
        server.routes["/rss"] = static(rss([("/news/bridge.html?utm_source=rss", "Bridge"),
                                            ("/news/bridge.html?utm_medium=feed&fbclid=7#top", "Bridge again")], base))
        # (the feeds date their items by position: the page's listed date is the same in both)
        server.routes["/rss2"] = static(rss([("/news/bridge.html?utm_campaign=later", "Bridge"),
                                             ("/news/bridge.html/amp?fbclid=8", "Bridge (AMP)")], base))
        first = fetch_sources(store, SourceList(feeds=(server.url("/rss"),)), LOCAL)
        assert (first.listed, first.requested, first.new) == (1, 1, 1)
        assert server.hits["/news/bridge.html"] == 1
        with store.engine.connect() as conn:
            keys = conn.execute(select(fetch_state.c.url).where(fetch_state.c.url.contains("bridge"))).scalars().all()
        assert keys == [f"{base}/news/bridge.html"]
        # Another feed lists it with other tracking: known and unchanged, so not requested again.
        second = fetch_sources(store, SourceList(feeds=(server.url("/rss2"),)), LOCAL)
        assert (second.listed, second.skipped, second.requested) == (1, 1, 0)
        assert server.hits["/news/bridge.html"] == 1
        # Asked for by URL under another spelling, it is fetched conditionally, with the kept validators.
        third = fetch_sources(store, SourceList(pages=(server.url("/news/bridge.html?utm_source=x#a"),)), LOCAL)
        assert (third.requested, third.unchanged) == (1, 1)
        assert server.request_headers["/news/bridge.html"][-1].get("if-none-match") == '"v1"'


@pytest.mark.parametrize(("given", "expected"), [
    (" \thttps://example.com/a b\n", "https://example.com/a%20b"),
    ("https://example.com/x\x00y?q=\x7f", "https://example.com/x%00y?q=%7F"),
    ("https://exam\tple.com/li\nne", "https://example.com/line"),
    ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
    ("https://example.com/a\ud800b", "https://example.com/a\ufffdb"),
])
def test_a_url_is_read_as_browsers_read_one(given: str, expected: str) -> None:
    assert web_url(given) == expected and web_url(expected) == expected
