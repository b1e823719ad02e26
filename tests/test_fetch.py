"""The HTTP door against real servers on 127.0.0.1: pages, feeds, sitemaps, failing and hostile servers."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest
from conftest import SEEDS
from http_server import (
    LocalServer,
    article_html,
    atom,
    failing,
    gzip_bomb,
    redirect,
    rss,
    send,
    sitemap,
    slow,
    static,
    truncated,
)
from sqlalchemy import select

import newsdedup.sources.http as http_module
from newsdedup.config import FetchSettings, Settings
from newsdedup.pipeline import dedup_batch, extract_batch, pending_dedup, plan_extraction
from newsdedup.sources.crawl import SourceList, fetch_sources
from newsdedup.sources.feeds import ListingError, gunzip, parse_feed
from newsdedup.sources.http import AddressPolicy, Fetcher, FetchResult, check_url, retry_after_seconds
from newsdedup.store import Store
from newsdedup.store.schema import articles, fetch_state, quarantine, raw_documents, raw_sources

# The test server is on 127.0.0.1: allowed by address, while every other private address stays refused.
LOCAL = FetchSettings(allowed_networks=("127.0.0.1/32",), per_host_interval=0.0, backoff_seconds=0.05, retries=2,
                      connect_timeout=2.0, read_timeout=1.0, max_response_bytes=1_000_000)


def seed_paragraphs(prefix: str, count: int = 6) -> list[str]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if len(ln.split()) >= 20][:count]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def fetch_one(url: str, settings: FetchSettings = LOCAL) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)
    return asyncio.run(go())


def rows(store: Store, table: object) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]  # type: ignore[call-overload]


# -- one request ---------------------------------------------------------------------------------------


def test_urls_other_than_http_are_refused() -> None:
    for url in ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "http://", "http://u:p@host/",
                "http://host:99999/"]:
        with pytest.raises(Exception) as info:
            check_url(url)
        assert getattr(info.value, "reason", None) == "bad_url", url
    assert check_url("HTTP://Example.org") == "http://example.org/"


def test_address_policy() -> None:
    default = AddressPolicy()
    for address in ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "::1",
                    "fe80::1", "::ffff:127.0.0.1", "100.100.100.200", "0.0.0.0"]:
        assert default.refusal("h", address), address
    assert "metadata" in (default.refusal("h", "169.254.169.254") or "")
    assert default.refusal("h", "93.184.216.34") is None
    assert AddressPolicy(allow_private=True).refusal("h", "10.0.0.1") is None
    assert AddressPolicy(allowed_networks=("127.0.0.1/32",)).refusal("h", "127.0.0.2")


def test_retry_after_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert retry_after_seconds("soon") is None


def test_default_settings_refuse_a_loopback_server_without_contacting_it(server: LocalServer) -> None:
    server.routes["/a"] = static(b"<p>hello</p>")
    for url in (server.url("/a"), f"http://localhost:{server.port}/a"):
        result = fetch_one(url, FetchSettings(per_host_interval=0))
        assert result.reason == "blocked_address", result
        assert "loopback" in result.detail
    assert server.hits["/a"] == 0 and server.hits["/robots.txt"] == 0


def test_redirects_to_private_or_metadata_addresses_are_refused(server: LocalServer) -> None:
    server.routes["/to-loopback"] = redirect(f"http://127.0.0.2:{server.port}/secret")
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    server.routes["/to-file"] = redirect("file:///etc/passwd")
    assert fetch_one(server.url("/to-loopback")).reason == "blocked_address"
    metadata = fetch_one(server.url("/to-metadata"))
    assert metadata.reason == "blocked_address" and "metadata" in metadata.detail
    assert fetch_one(server.url("/to-file")).reason == "bad_url"
    # Allowed, the redirect is followed to 127.0.0.2, where nothing listens (the server binds 127.0.0.1 only).
    allowed = fetch_one(server.url("/to-loopback"), FetchSettings(**{**vars(LOCAL), "allow_private": True}))
    assert allowed.reason == "robots_unreachable" and "127.0.0.2" in allowed.detail


def test_retries_5xx_and_honours_retry_after(server: LocalServer) -> None:
    ok = static(b"<p>fine</p>")
    server.routes["/flaky"] = failing(2, 503, ok)
    server.routes["/limited"] = failing(1, 429, ok, {"Retry-After": "1"})
    server.routes["/down"] = failing(99, 500, ok)
    server.routes["/patient"] = failing(99, 429, ok, {"Retry-After": "3600"})
    flaky = fetch_one(server.url("/flaky"))
    assert flaky.ok and flaky.attempts == 3 and server.hits["/flaky"] == 3

    loop = asyncio.new_event_loop()
    started = loop.time()
    limited = fetch_one(server.url("/limited"))
    assert limited.ok and loop.time() - started >= 0.95  # waited as told, not the 0.05 s backoff
    loop.close()

    down = fetch_one(server.url("/down"))
    assert down.reason == "http_500" and server.hits["/down"] == 3 and "after 3 attempts" in down.detail
    patient = fetch_one(server.url("/patient"))
    assert patient.reason == "http_429" and server.hits["/patient"] == 1 and "max_retry_after" in patient.detail


def test_slow_truncated_looping_and_client_errors(server: LocalServer) -> None:
    server.routes["/slow"] = slow(3, static(b"<p>late</p>"))
    server.routes["/truncated"] = truncated
    server.routes["/loop1"] = redirect("/loop2")
    server.routes["/loop2"] = redirect("/loop1")
    server.routes["/gone"] = lambda h: send(h, 410, b"gone", "text/plain")
    assert fetch_one(server.url("/slow"), FetchSettings(**{**vars(LOCAL), "retries": 0})).reason == "timeout"
    truncated_result = fetch_one(server.url("/truncated"))
    assert truncated_result.reason == "network_error" and server.hits["/truncated"] == 3
    assert fetch_one(server.url("/loop1")).reason == "redirect_loop"
    gone = fetch_one(server.url("/gone"))
    assert gone.reason == "http_410" and server.hits["/gone"] == 1  # 4xx is final: no retry


def test_size_caps_hold_for_declared_streamed_and_decompressed_bodies(server: LocalServer) -> None:
    server.routes["/big"] = static(b"x" * 2_000_000)
    server.routes["/bomb"] = gzip_bomb(50_000_000)
    server.routes["/small-gzip"] = lambda h: send(h, 200, gzip.compress(b"<p>small</p>"), "text/html",
                                                  {"Content-Encoding": "gzip"})
    assert fetch_one(server.url("/big")).reason == "too_large"
    bomb = fetch_one(server.url("/bomb"))
    assert bomb.reason == "too_large" and "decompression" in bomb.detail
    small = fetch_one(server.url("/small-gzip"))
    assert small.response is not None and small.response.content == b"<p>small</p>"
    with pytest.raises(ListingError):
        gunzip(gzip.compress(b"\0" * 5_000_000), 1_000_000)


def test_robots_txt_is_obeyed_unless_switched_off(server: LocalServer) -> None:
    server.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/private/page"] = static(b"<p>secret</p>")
    server.routes["/public"] = static(b"<p>open</p>")
    assert fetch_one(server.url("/private/page")).reason == "robots"
    assert server.hits["/private/page"] == 0
    assert fetch_one(server.url("/public")).ok
    assert fetch_one(server.url("/private/page"), FetchSettings(**{**vars(LOCAL), "respect_robots": False})).ok
    user_agents = {h["user-agent"] for h in server.request_headers["/public"]}
    assert all(ua.startswith("newsdedup/") for ua in user_agents)


def test_unreachable_robots_txt_suspends_the_host(server: LocalServer) -> None:
    server.routes["/robots.txt"] = failing(99, 503, static(b""))
    server.routes["/page"] = static(b"<p>x</p>")
    assert fetch_one(server.url("/page")).reason == "robots_unreachable"
    assert server.hits["/page"] == 0


# -- listings ------------------------------------------------------------------------------------------


def test_feed_parsing_resolves_links_and_dates() -> None:
    items = parse_feed(atom([("/a.html", "A", "2026-11-20T10:00:00Z")]), "http://news.example/feed")
    assert items[0].url == "http://news.example/a.html" and items[0].updated == "2026-11-20T10:00:00+00:00"
    with pytest.raises(ListingError):
        parse_feed(b"<html><body>not a feed</body></html>", "http://x/")


# -- the whole door: store, incremental re-polls, extraction, dedup ----------------------------------------


@pytest.fixture
def newsroom(server: LocalServer) -> LocalServer:
    """An outlet with an RSS feed, an Atom feed and a gzipped sitemap index, all listing its articles;
    one article is also republished (same canonical URL) under a second address."""
    p1, p2 = seed_paragraphs("001"), seed_paragraphs("003")
    base = f"http://127.0.0.1:{server.port}"
    server.routes["/news/one.html"] = static(article_html("First story", p1, f"{base}/news/one.html"), etag='"v1"')
    server.routes["/news/two.html"] = static(article_html("Second story", p2), etag='"v2"')
    server.routes["/amp/one.html"] = static(article_html("First story", p1[:-1], f"{base}/news/one.html"))
    server.routes["/latin1.html"] = static(
        article_html("Café société", [p2[0] + " Café crème à la française."], charset="latin-1"),
        content_type="text/html; charset=utf-8")  # the header lies: the bytes are Latin-1
    server.routes["/feed.rss"] = static(rss([("/news/one.html", "First"), ("/news/two.html", "Second")], base),
                                        "application/rss+xml", etag='"feed1"')
    server.routes["/feed.atom"] = static(atom([("/amp/one.html", "First (AMP)", "2026-11-20T10:00:00Z")]),
                                         "application/atom+xml")
    server.routes["/sitemap.xml"] = static(sitemap([(f"{base}/sitemap-news.xml.gz", None)], index=True),
                                           "application/xml")
    server.routes["/sitemap-news.xml.gz"] = static(
        gzip.compress(sitemap([(f"{base}/news/two.html", "2026-11-20"), (f"{base}/latin1.html", None)])),
        "application/gzip")
    server.routes["/broken"] = failing(99, 500, static(b""))
    return server


def test_fetch_keeps_everything_raw_then_extracts_and_dedups(newsroom: LocalServer, store: Store) -> None:
    sources = SourceList(pages=(newsroom.url("/broken"),),
                         feeds=(newsroom.url("/feed.rss"), newsroom.url("/feed.atom")),
                         sitemaps=(newsroom.url("/sitemap.xml"),))
    stats = fetch_sources(store, sources, LOCAL)
    assert stats.listings == 4  # two feeds, the index and its child sitemap
    assert stats.listed == 4 and stats.requested == 5 and stats.new == 4 and stats.quarantined == 1

    kept = {r["sha256"]: r for r in rows(store, raw_documents)}
    roles = sorted(r["role"] for r in kept.values())
    assert roles == ["feed", "feed", "page", "page", "page", "page", "sitemap", "sitemap"]
    page = next(r for r in kept.values() if b"Second story" in r["content"])
    assert page["headers"]["etag"] == '"v2"' and page["media_type"] == "text/html"
    assert {q["reason"] for q in rows(store, quarantine)} == {"http_500"}

    settings = Settings()
    extracted = extract_batch(store, plan_extraction(store).pending, settings)
    assert extracted.articles == 4  # listings are kept, never extracted
    deduped = dedup_batch(store, pending_dedup(store), settings)
    by_source = {r["source"]: r for r in rows(store, articles)}
    one, amp = by_source[newsroom.url("/news/one.html")], by_source[newsroom.url("/amp/one.html")]
    assert one["canonical_url"] == amp["canonical_url"] == newsroom.url("/news/one.html")
    assert amp["group_id"] == one["group_id"]
    latin = by_source[newsroom.url("/latin1.html")]
    # The Latin-1 page prints the second story's opening paragraph: an abridged copy of it.
    assert latin["group_id"] == by_source[newsroom.url("/news/two.html")]["group_id"]
    assert (deduped.exact, deduped.near) == (1, 1)
    assert "Café crème à la française" in " ".join(latin["paragraphs"])  # mislabelled charset, decoded right


def test_re_polling_fetches_only_new_or_changed_items(newsroom: LocalServer, store: Store) -> None:
    sources = SourceList(feeds=(newsroom.url("/feed.rss"),), sitemaps=(newsroom.url("/sitemap.xml"),))
    first = fetch_sources(store, sources, LOCAL)
    assert first.new == 3 and first.quarantined == 0
    hits_before = dict(newsroom.hits)

    again = fetch_sources(store, sources, LOCAL)
    assert again.new == 0 and again.requested == 0 and again.skipped == 3
    assert newsroom.hits["/news/one.html"] == hits_before["/news/one.html"]  # not requested again
    feed_requests = newsroom.request_headers["/feed.rss"]
    assert feed_requests[-1].get("if-none-match") == '"feed1"'  # conditional GET, answered 304

    # The sitemap now gives item two a new date: only that page is requested, conditionally.
    base = f"http://127.0.0.1:{newsroom.port}"
    newsroom.routes["/sitemap-news.xml.gz"] = static(gzip.compress(sitemap(
        [(f"{base}/news/two.html", "2026-11-21"), (f"{base}/latin1.html", None)])), "application/gzip")
    changed = fetch_sources(store, sources, LOCAL)
    assert changed.requested == 1 and changed.unchanged == 1 and changed.new == 0
    assert newsroom.request_headers["/news/two.html"][-1].get("if-none-match") == '"v2"'
    states = {r["url"]: r for r in rows(store, fetch_state)}
    assert states[f"{base}/news/two.html"]["listed_updated"] == "2026-11-21"


def test_explicit_pages_are_refetched_conditionally(newsroom: LocalServer, store: Store) -> None:
    sources = SourceList(pages=(newsroom.url("/news/one.html"),))
    assert fetch_sources(store, sources, LOCAL).new == 1
    second = fetch_sources(store, sources, LOCAL)
    assert second.unchanged == 1 and second.new == 0
    assert newsroom.request_headers["/news/one.html"][-1].get("if-none-match") == '"v1"'
    # A changed page is kept as a new version of the same URL.
    newsroom.routes["/news/one.html"] = static(article_html("First story, updated", seed_paragraphs("001")),
                                               etag='"v1b"')
    assert fetch_sources(store, sources, LOCAL).new == 1
    versions = [r for r in rows(store, raw_sources) if r["source"] == newsroom.url("/news/one.html")]
    assert sorted(r["version"] for r in versions) == [1, 2]


def test_nothing_fetched_is_lost_when_a_later_step_fails(newsroom: LocalServer, store: Store,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import newsdedup.extract as extract_module

    sources = SourceList(feeds=(newsroom.url("/feed.rss"),))
    fetch_sources(store, sources, LOCAL)

    def broken(*args: object) -> object:
        raise RuntimeError("extractor crashed")
    monkeypatch.setattr(extract_module, "extract_page", broken)
    with pytest.raises(RuntimeError):
        extract_batch(store, plan_extraction(store).pending, Settings())
    assert len(plan_extraction(store).pending) == 2  # both pages kept, still waiting for extraction
    monkeypatch.undo()
    assert extract_batch(store, plan_extraction(store).pending, Settings()).articles == 2


def test_sources_file(tmp_path: Path) -> None:
    good = tmp_path / "sources.yaml"
    good.write_text("feeds:\n  - https://news.example/rss\nsitemaps: []\n", encoding="utf-8")
    assert SourceList.from_yaml(good).feeds == ("https://news.example/rss",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds: https://news.example/rss\n", encoding="utf-8")
    with pytest.raises(ValueError, match="list of URLs"):
        SourceList.from_yaml(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("feed:\n  - https://news.example/rss\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key"):
        SourceList.from_yaml(typo)


def test_per_host_pacing_concurrency_and_redirect_limit(server: LocalServer) -> None:
    import threading
    import time

    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def counted(handler: object) -> None:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.2)
        with lock:
            active["now"] -= 1
        send(handler, 200, b"<p>ok</p>", "text/html")  # type: ignore[arg-type]

    for n in range(4):
        server.routes[f"/p{n}"] = counted
    for n in range(8):
        server.routes[f"/hop{n}"] = redirect(f"/hop{n + 1}")
    paced = FetchSettings(**{**vars(LOCAL), "per_host_interval": 0.3, "per_host_concurrency": 1})

    async def go() -> list[FetchResult]:
        async with Fetcher(paced) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(server.url(f"/p{n}")) for n in range(4))))

    started = time.monotonic()
    results = asyncio.run(go())
    assert all(r.ok for r in results)
    assert active["max"] == 1 and time.monotonic() - started >= 0.9  # one at a time, starts 0.3 s apart
    too_far = fetch_one(server.url("/hop0"))
    assert too_far.reason == "too_many_redirects" and server.hits["/hop5"] == 1 and server.hits["/hop6"] == 0


def test_final_url_after_redirects_is_kept(server: LocalServer, store: Store) -> None:
    server.routes["/old-address"] = redirect("/new-address", status=301)
    server.routes["/new-address"] = static(article_html("Moved story", seed_paragraphs("003")),
                                           etag='"m1"')
    stats = fetch_sources(store, SourceList(pages=(server.url("/old-address"),)), LOCAL)
    assert stats.new == 1
    kept = {r["source"]: r for r in rows(store, raw_sources)}
    assert kept[server.url("/old-address")]["final_url"] == server.url("/new-address")


def test_a_feed_that_is_not_one_is_kept_and_quarantined(server: LocalServer, store: Store) -> None:
    server.routes["/not-a-feed"] = static(b"<html><body><p>Just a page</p></body></html>")
    server.routes["/broken-sitemap.xml"] = static(b"<urlset><url><loc>unclosed", "application/xml")
    stats = fetch_sources(store, SourceList(feeds=(server.url("/not-a-feed"),),
                                            sitemaps=(server.url("/broken-sitemap.xml"),)), LOCAL)
    assert stats.quarantined == 2 and stats.requested == 0
    kept = {r["sha256"]: r["role"] for r in rows(store, raw_documents)}
    reasons = {q["reason"]: q["raw_sha256"] for q in rows(store, quarantine)}
    assert set(reasons) == {"not_a_feed", "not_a_sitemap"}
    assert kept[reasons["not_a_feed"]] == "feed" and kept[reasons["not_a_sitemap"]] == "sitemap"


class _LoopbackOnly(httpcore.AsyncNetworkBackend):
    """The guard's connector in tests: records every connection attempt and refuses any address
    outside 127.0.0.0/8 itself, so no test can reach the network whatever the policy decides."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, attempts: list[str]) -> None:
        self.inner, self.attempts = inner, attempts

    async def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.attempts.append(host)
        if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
            raise httpcore.ConnectError(f"test connector: {host} is outside 127.0.0.0/8")
        return await self.inner.connect_tcp(host, port, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def test_metadata_addresses_stay_refused_with_allow_private(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []
    real_init = http_module._GuardedBackend.__init__

    def recording(self: Any, policy: AddressPolicy) -> None:
        real_init(self, policy)
        self.inner = _LoopbackOnly(self.inner, attempts)

    monkeypatch.setattr(http_module._GuardedBackend, "__init__", recording)
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    server.routes["/to-ecs"] = redirect("http://169.254.170.2/v2/credentials")
    intranet = FetchSettings(**{**vars(LOCAL), "allowed_networks": (), "allow_private": True})
    for path in ("/to-metadata", "/to-ecs"):
        refused = fetch_one(server.url(path), intranet)
        assert refused.reason == "blocked_address" and "cloud metadata" in refused.detail, refused
    assert server.hits["/to-metadata"] == 1 and set(attempts) == {"127.0.0.1"}  # the policy refused, not the test
    # A wide network does not name it; an entry naming the address opens it (the test connector then refuses).
    wide = FetchSettings(**{**vars(intranet), "allowed_networks": ("169.254.0.0/16",)})
    assert fetch_one(server.url("/to-metadata"), wide).reason == "blocked_address"
    assert set(attempts) == {"127.0.0.1"}
    named = FetchSettings(**{**vars(intranet), "allowed_networks": ("169.254.169.254/32",)})
    opened = fetch_one(server.url("/to-metadata"), named)
    assert opened.reason == "robots_unreachable" and set(attempts) == {"127.0.0.1", "169.254.169.254"}


def test_a_feed_linking_to_a_url_with_a_nul_or_spaces_fetches_it_as_a_browser_would_and_a_broken_one_is_quarantined(
    server: LocalServer, store: Store
) -> None:
    # A NUL in a listed URL (a character reference in the feed) failed the whole fetch on PostgreSQL,
    # whose text columns take none: the URL is percent-encoded, as browsers encode one.
    base = f"http://127.0.0.1:{server.port}"
    server.routes["/news/nul%00page%20two.html"] = static(article_html("Odd address", seed_paragraphs("001")))
    server.routes["/odd.rss"] = static(rss([("/news/nul&#0;page two.html", "Odd")], base), "application/rss+xml")
    # A reference to a lone surrogate made the feed parser raise, and the fetch with it: not a feed.
    server.routes["/surrogate.rss"] = static(rss([("/news/a&#xd800;b.html", "Bad")], base), "application/rss+xml")
    stats = fetch_sources(store, SourceList(feeds=(f" {server.url('/odd.rss')}\t\n", server.url("/surrogate.rss"))),
                          LOCAL)
    assert stats.listed == stats.requested == stats.new == 1
    assert stats.quarantined == 1 and {q["reason"] for q in rows(store, quarantine)} == {"not_a_feed"}
    kept = {r["source"] for r in rows(store, raw_sources)}
    assert kept == {server.url("/odd.rss"), server.url("/surrogate.rss"), server.url("/news/nul%00page%20two.html")}


def test_a_servers_odd_content_type_and_a_sitemaps_odd_lastmod_are_no_hints_and_never_fail_the_fetch(
    server: LocalServer, store: Store
) -> None:
    # Written as given, each overflowed its store column on PostgreSQL and failed the whole fetch.
    base = f"http://127.0.0.1:{server.port}"
    server.routes["/odd-type.html"] = static(article_html("Odd type", seed_paragraphs("001")),
                                             "text/html" + "x" * 200 + "; charset=utf-8")
    server.routes["/odd.xml"] = static(sitemap([(f"{base}/odd-type.html", "2026-11-20 " + "and later " * 10)]),
                                       "application/xml")
    stats = fetch_sources(store, SourceList(sitemaps=(server.url("/odd.xml"),)), LOCAL)
    assert stats.quarantined == 0 and stats.new == 1
    kept = {r["source"]: r["sha256"] for r in rows(store, raw_sources)}
    media = {r["sha256"]: r["media_type"] for r in rows(store, raw_documents)}
    assert media[kept[server.url("/odd-type.html")]] is None
    assert media[kept[server.url("/odd.xml")]] == "application/xml"
    assert {r["url"]: r["listed_updated"] for r in rows(store, fetch_state)}[server.url("/odd-type.html")] is None
