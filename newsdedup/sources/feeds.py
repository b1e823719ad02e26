"""What listing documents point at: RSS/Atom feeds (feedparser) and XML sitemaps, plain or gzipped,
including sitemap indexes. Pure functions of the fetched bytes."""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from newsdedup.documents import RejectedInput
from newsdedup.sources.urls import web_url

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class ListingError(RejectedInput):
    """The bytes are not the listing they were fetched as."""


@dataclass(frozen=True)
class ListedItem:
    url: str
    updated: str | None = None  # ISO timestamp the listing gives for the item, when it gives one


@dataclass(frozen=True)
class Sitemap:
    pages: list[ListedItem]
    sitemaps: list[ListedItem]  # children, when this is a sitemap index


def parse_feed(content: bytes, base_url: str) -> list[ListedItem]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order, relative links resolved."""
    with warnings.catch_warnings():  # feedparser warns about its own updated/published aliasing
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            parsed: Any = feedparser.parse(content, response_headers={"content-location": base_url})
        except Exception as exc:  # (its loose parser raises on a reference to a lone surrogate, "&#xd800;")
            raise ListingError("not_a_feed", f"{base_url} could not be read as a feed: {exc!r}") from exc
        return _feed_items(parsed, base_url)


def _feed_items(parsed: Any, base_url: str) -> list[ListedItem]:
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        why = f" ({problem})" if problem else ""
        raise ListingError("not_a_feed", f"{base_url} is not an RSS or Atom feed{why}")
    items: list[ListedItem] = []
    for entry in parsed.entries:
        link = entry.get("link") or next((ln.get("href") for ln in entry.get("links", []) if ln.get("href")), None)
        if not link:
            continue
        stamp = entry.get("updated_parsed") or entry.get("published_parsed")
        items.append(ListedItem(urljoin(base_url, web_url(link)), _iso(stamp)))
    return items


def parse_sitemap(content: bytes, base_url: str, max_bytes: int, max_urls: int) -> Sitemap:
    """`<urlset>` pages or `<sitemapindex>` children of a sitemap (gzip-compressed or not)."""
    if content[:2] == b"\x1f\x8b":
        content = gunzip(content, max_bytes)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ListingError("not_a_sitemap", f"{base_url} is not well-formed XML: {exc}") from exc
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        raise ListingError("not_a_sitemap", f"{base_url} is XML but not a sitemap (root <{tag}>)")
    items: list[ListedItem] = []
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).localname not in ("url", "sitemap"):
            continue
        loc = _child_text(element, "loc")
        if loc:
            lastmod = _child_text(element, "lastmod")
            if lastmod and len(lastmod) > 40:  # a W3C date and time is shorter: this is none
                lastmod = None
            items.append(ListedItem(urljoin(base_url, web_url(loc)), lastmod))
        if len(items) >= max_urls:
            break
    return Sitemap(items, []) if tag == "urlset" else Sitemap([], items)


def gunzip(content: bytes, max_bytes: int) -> bytes:
    """Decompress, refusing output over `max_bytes` (a gzip bomb stops there, not in memory)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise ListingError("bad_gzip", f"corrupt gzip data: {exc}") from exc
    if len(out) > max_bytes:
        raise ListingError("too_large", f"decompresses to over {max_bytes:,} bytes (max_response_bytes)")
    return out


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name and child.text:
            return str(child.text).strip() or None
    return None


def _iso(stamp: struct_time | None) -> str | None:
    if stamp is None:
        return None
    return datetime(*stamp[:6], tzinfo=UTC).isoformat()
