"""Memory limits of extraction that concern the rules' caches.

The per-line caches of `extract.rules` (lru_cache) are bounded by their count of lines, not by bytes:
the long lines of a large page (a megabyte of flattened text) would keep hundreds of megabytes there
(measured: 40 text files of 1 MB peaked at 1.3 GB, 0.4 GB with the caches emptied). They are emptied
after each large page, where a page's lines are judged; normal pages keep the caches' benefit."""

from __future__ import annotations

from newsdedup.config import ExtractionSettings
from newsdedup.documents import Article, Quarantined
from newsdedup.extract import Page, extract_job, rules

LARGE_PAGE_BYTES = 256 * 1024


def forget_large_page(raw_size: int) -> None:
    """Empty the rules' caches after a page of over LARGE_PAGE_BYTES."""
    if raw_size > LARGE_PAGE_BYTES:
        for value in vars(rules).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def extract_job_bounded(job: tuple[Page, ExtractionSettings, frozenset[int]]) -> Article | Quarantined:
    """`extract_job`, then the caches emptied if the page was large: what worker processes run."""
    try:
        return extract_job(job)
    finally:
        forget_large_page(len(job[0].raw.content))
