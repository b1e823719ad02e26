"""The records that flow through the pipeline: plain dataclasses, no behaviour beyond small helpers."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")


def writable(text: str) -> str:
    """`text` with what no store takes shown as U+FFFD, as a page's markup shows it: a NUL (no
    PostgreSQL text column holds one) and a lone surrogate (no UTF-8 encoder writes one)."""
    return _UNWRITABLE.sub("\ufffd", text)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RawDocument:
    """Exact bytes of one input as it came, identified by their sha256."""

    sha256: str
    source: str  # file path relative to the scanned directory, or a URL
    content: bytes
    seen_at: datetime
    media_type: str | None = None  # from HTTP headers or the file suffix; a hint, never trusted
    headers: dict[str, str] = field(default_factory=dict)  # HTTP response headers, lower-case names
    role: str = "page"  # "page" is extracted; "feed" and "sitemap" listings are only kept
    final_url: str | None = None  # where redirects ended, for a URL

    @classmethod
    def from_bytes(
        cls, source: str, content: bytes, seen_at: datetime, media_type: str | None = None, **extra: Any
    ) -> RawDocument:
        return cls(sha256_hex(content), source, content, seen_at, media_type, **extra)

    @property
    def declared_charset(self) -> str | None:
        """The charset of an HTTP Content-Type header, when there is one."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"'):
                return value.strip().strip('"')
        return None


@dataclass
class Article:
    """A clean record extracted from one raw document."""

    id: str
    raw_sha256: str
    source: str
    outlet: str
    title: str | None
    published: str | None  # ISO date (YYYY-MM-DD) when the page states one
    byline: str | None
    language: str | None
    paragraphs: list[str]
    confidence: float
    boilerplate_removed: int
    extractor_version: str
    canonical_url: str | None = None  # normalised (sources.urls): what dedup compares
    declared_canonical_url: str | None = None  # as the page declared it (made absolute)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class LineCounts:
    """Per outlet: how many pages were seen and, per line fingerprint, on how many of them the line
    appeared. What cross-page learning counts, batch by batch and in the store."""

    pages: Counter[str] = field(default_factory=Counter)
    lines: dict[str, Counter[int]] = field(default_factory=dict)


class RejectedInput(ValueError):
    """An input that cannot go on: `reason` is the quarantine code, the message says why to a person."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Quarantined:
    """An input that could not be turned into an article, with the reason a person can act on."""

    source: str
    stage: str  # "ingest", "extract", "dedup"
    reason: str  # short machine-friendly code, e.g. "binary", "too_large", "empty"
    detail: str
    raw_sha256: str | None = None
    file_stamp: str | None = None  # "size:mtime_ns" of a file refused unread (too large)
