"""The HTTP door into the pipeline: poll feeds and sitemaps, fetch the pages they list and the pages
asked for by URL, and keep every response raw in the store as it arrives.

Re-polling is incremental: listings and pages are fetched conditionally (ETag / Last-Modified), and a
listed item is fetched again only when it is new, its listed date changed, or its last fetch failed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from newsdedup.config import FetchSettings
from newsdedup.documents import Quarantined, RawDocument, sha256_hex
from newsdedup.sources.feeds import ListedItem, ListingError, parse_feed, parse_sitemap
from newsdedup.sources.http import Fetcher, FetchResult, Validators
from newsdedup.sources.urls import normalise_url, web_url
from newsdedup.store.store import FetchState, Store

_FLUSH_EVERY = 50  # responses kept per store write: little is at risk if the process dies


@dataclass(frozen=True)
class SourceList:
    """What to fetch: article pages, RSS/Atom feeds and sitemaps (or sitemap indexes), by URL."""

    pages: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()

    def __post_init__(self) -> None:  # (as a browser reads each: `web_url`)
        for kind in ("pages", "feeds", "sitemaps"):
            object.__setattr__(self, kind, tuple(web_url(url) for url in getattr(self, kind)))

    @classmethod
    def from_yaml(cls, path: Path) -> SourceList:
        """Read a `sources.yaml` with optional `pages:`, `feeds:` and `sitemaps:` lists of URLs."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path} must be a mapping with pages:, feeds: and sitemaps: lists")
        unknown = set(data) - {"pages", "feeds", "sitemaps"}
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} (use pages, feeds, sitemaps)")
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("pages", "feeds", "sitemaps"):
            value = data.get(key) or []
            if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
                raise ValueError(f"{path}: {key} must be a list of URLs")
            lists[key] = tuple(value)
        return cls(**lists)

    def __add__(self, other: SourceList) -> SourceList:
        return SourceList(*(tuple(dict.fromkeys(a + b)) for a, b in
                            ((self.pages, other.pages), (self.feeds, other.feeds), (self.sitemaps, other.sitemaps))))

    def __len__(self) -> int:
        return len(self.pages) + len(self.feeds) + len(self.sitemaps)


@dataclass
class FetchStats:
    listings: int = 0  # feeds and sitemaps polled
    listed: int = 0  # distinct page URLs they list
    skipped: int = 0  # listed pages known and unchanged by their listing: not requested
    requested: int = 0  # page URLs requested
    new: int = 0  # responses with content not kept before
    unchanged: int = 0  # 304 Not Modified, or the same bytes again
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


Progress = Callable[[int, int], None]  # (pages done, pages to do)


class Crawl:
    """One polling round over a source list, writing to the store as responses arrive."""

    def __init__(self, store: Store, settings: FetchSettings, progress: Progress | None = None) -> None:
        self.store = store
        self.settings = settings
        self.progress = progress
        self.stats = FetchStats()
        self._pending_raw: list[RawDocument] = []
        self._pending_touch: list[tuple[str, str]] = []
        self._pending_state: list[FetchState] = []
        self._pending_quarantine: list[Quarantined] = []

    def run(self, sources: SourceList) -> FetchStats:
        try:
            asyncio.run(self._run(sources))
        finally:
            self._flush()  # whatever was fetched is kept, even if a later step raised
        return self.stats

    async def _run(self, sources: SourceList) -> None:
        async with Fetcher(self.settings) as fetcher:
            listed = await self._poll_listings(fetcher, sources)
            # URLs are compared, and their fetch states kept, normalised: a page listed with tracking
            # parameters, or as its AMP variant, is the page already fetched. It is fetched as listed.
            states = self.store.fetch_states([normalise_url(u) for u in (*sources.pages, *(i.url for i in listed))])
            todo: dict[str, ListedItem] = {}
            for url in sources.pages:
                todo.setdefault(normalise_url(url), ListedItem(url))
            unique = _one_per_url(listed)
            for item in unique:
                key = normalise_url(item.url)
                if key in todo:
                    continue
                state = states.get(key)
                if state is None or state.status not in ("ok", "not_modified") or (
                        item.updated is not None and item.updated != state.listed_updated):
                    todo[key] = item
                else:
                    self.stats.skipped += 1
            self.stats.listed = len(unique)
            await self._fetch_pages(fetcher, todo, states)

    # -- listings ----------------------------------------------------------------------------------------

    async def _poll_listings(self, fetcher: Fetcher, sources: SourceList) -> list[ListedItem]:
        """Page URLs from every feed and sitemap, following sitemap indexes `max_sitemap_depth` deep."""
        items: list[ListedItem] = []
        level: list[tuple[str, str]] = [(u, "feed") for u in sources.feeds] + [(u, "sitemap") for u in sources.sitemaps]
        seen: set[str] = set()
        for _depth in range(self.settings.max_sitemap_depth + 1):
            fresh: dict[str, tuple[str, str]] = {}  # by normalised URL: the first spelling listed
            for url, role in level:
                if normalise_url(url) not in seen:
                    fresh.setdefault(normalise_url(url), (url, role))
            level = list(fresh.values())
            if not level:
                break
            seen.update(fresh)
            states = self.store.fetch_states(list(fresh))
            results = await asyncio.gather(*(self._listing(fetcher, u, role, states.get(normalise_url(u)))
                                             for u, role in level))
            level = []
            for pages, children in results:
                items.extend(pages)
                level.extend((c.url, "sitemap") for c in children)
                if len(items) >= self.settings.max_sitemap_urls:
                    return items[: self.settings.max_sitemap_urls]
        return items

    async def _listing(
        self, fetcher: Fetcher, url: str, role: str, state: FetchState | None
    ) -> tuple[list[ListedItem], list[ListedItem]]:
        self.stats.listings += 1
        result = await fetcher.fetch(url, _validators(state))
        content = self._keep(result, state, role)
        if content is None and result.not_modified and state and state.sha256:
            # Unchanged listing: read the copy kept last time, so items that failed then are retried.
            kept = self.store.load_raw([state.sha256])
            content = kept[0].content if kept else None
        if content is None:
            return [], []
        try:
            if role == "feed":
                return parse_feed(content, url), []
            sitemap = parse_sitemap(content, url, self.settings.max_response_bytes, self.settings.max_sitemap_urls)
            return sitemap.pages, sitemap.sitemaps
        except ListingError as exc:
            self._quarantine(url, exc.reason, str(exc), sha256_hex(content))  # the kept copy that failed
            return [], []

    # -- pages ---------------------------------------------------------------------------------------------

    async def _fetch_pages(
        self, fetcher: Fetcher, todo: dict[str, ListedItem], states: dict[str, FetchState]
    ) -> None:
        """Fetch each page of `todo` (by normalised URL: the item listing it, or naming it when asked for)."""
        total, done = len(todo), 0
        self.stats.requested = total

        async def one(key: str, item: ListedItem) -> None:
            nonlocal done
            result = await fetcher.fetch(item.url, _validators(states.get(key)))
            self._keep(result, states.get(key), "page", item.updated)
            done += 1
            if self.progress and (done == total or done % 25 == 0):
                self.progress(done, total)
            if len(self._pending_raw) >= _FLUSH_EVERY:
                self._flush()

        await asyncio.gather(*(one(key, item) for key, item in todo.items()))

    # -- keeping ---------------------------------------------------------------------------------------------

    def _keep(self, result: FetchResult, state: FetchState | None, role: str,
              listed_updated: str | None = None) -> bytes | None:
        """Record one fetch: the raw response, the URL's state, or a quarantine record. Returns the body."""
        previous_sha = state.sha256 if state else None
        state_url = normalise_url(result.url)
        if result.response is not None:
            r = result.response
            raw = RawDocument.from_bytes(result.url, r.content, r.fetched_at, r.media_type, headers=r.headers,
                                         role=role, final_url=r.final_url if r.final_url != result.url else None)
            if raw.sha256 == previous_sha:
                self._pending_touch.append((raw.source, raw.sha256))
                if role == "page":
                    self.stats.unchanged += 1
            else:
                self._pending_raw.append(raw)
                if role == "page":
                    self.stats.new += 1
            self._pending_state.append(FetchState(state_url, r.validators.etag, r.validators.last_modified,
                                                  listed_updated, raw.sha256, "ok"))
            return r.content
        if result.not_modified:
            if role == "page":
                self.stats.unchanged += 1
            self._pending_state.append(FetchState(state_url, listed_updated=listed_updated, status="not_modified"))
            return None
        self._pending_state.append(FetchState(state_url, status=result.reason or "error"))
        self._quarantine(result.url, result.reason or "error", result.detail, None)
        return None

    def _quarantine(self, url: str, reason: str, detail: str, sha256: str | None) -> None:
        self._pending_quarantine.append(Quarantined(url, "fetch", reason, detail, sha256))
        self.stats.quarantined += 1
        self.stats.quarantine_reasons[reason] = self.stats.quarantine_reasons.get(reason, 0) + 1

    def _flush(self) -> None:
        now = datetime.now(UTC)
        raws, self._pending_raw = self._pending_raw, []
        touches, self._pending_touch = self._pending_touch, []
        states, self._pending_state = self._pending_state, []
        quarantined, self._pending_quarantine = self._pending_quarantine, []
        self.store.add_raw(raws)  # bytes first: a crash after this line loses nothing fetched
        self.store.touch_sources(touches, now)
        self.store.save_fetch_states(states, now)
        self.store.quarantine(quarantined)


def _one_per_url(items: list[ListedItem]) -> list[ListedItem]:
    """A page listed by several feeds or sitemaps (under any spelling of its URL) counts once, with the
    latest date any gives it."""
    latest: dict[str, ListedItem] = {}
    for item in items:
        key = normalise_url(item.url)
        known = latest.get(key)
        if known is None or (item.updated or "") > (known.updated or ""):
            latest[key] = item
    return list(latest.values())


def _validators(state: FetchState | None) -> Validators | None:
    if state is None or state.sha256 is None:
        return None  # nothing kept: ask for the whole body
    return Validators(state.etag, state.last_modified)


def fetch_sources(store: Store, sources: SourceList, settings: FetchSettings,
                  progress: Progress | None = None) -> FetchStats:
    """Poll `sources` once; every response is kept raw before anything else happens to it."""
    return Crawl(store, settings, progress).run(sources)

