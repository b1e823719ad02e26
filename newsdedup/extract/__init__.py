"""Extraction: raw bytes to a clean Article, or a quarantine record saying why not.

`extract` is a pure function of (raw document, settings, the source's recurring lines): it never
touches the store or the network and never raises on page content."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from newsdedup.config import ExtractionSettings
from newsdedup.documents import Article, LineCounts, Quarantined, RawDocument
from newsdedup.extract import metadata, rules
from newsdedup.extract.decode import UndecodableInput, decode, listing_kind, looks_like_html
from newsdedup.extract.html import parse_html
from newsdedup.extract.lines import Line, PageHints, classify, fingerprint, fold_spaces, lines_from_text
from newsdedup.sources.urls import normalise_url, url_host

# Bump when extraction output changes: article ids include it, and a store holding records of another
# version re-extracts every page, each new record superseding the old one (pipeline.plan_extraction).
# 5: the line classifier reads what repeats within the page; tagged teasers are never the article; a
# prompt's date is never the article's.
# 6: class names that are taxonomy slugs (category-promo) are no furniture label; an article marked
# by hAtom, schema.org microdata or a lone <article> keeps its wrappers and outweighs what is beside it.
# A standfirst stands right above the byline: a date further down (a comment's) drops no paragraph.
# A comment section headed by its count ("15 comments") ends the article.
# 7: dates with month names in eight languages, and Chinese/Japanese/Korean dates, are read; comment
# headings in nine more languages; the text model also learned from phrase-blind copies of its pages.
# The tree is built from lxml's own (no doctype in it, which counted as the page's prose).
# 8: published dates from elements classed as dates, and meta names read without regard to case.
# 9: class names written as one word ("commentlist") say what they hold; an article shown twice on
# its page is extracted once.
# 10: a container inside a labelled element kept for its size (a long comment thread) gives way to the
# prose outside such elements, when there is enough of it (a short post above the thread).
# 11: the line classifier in two stages (the second reads the first's verdicts around each line).
# 12: the line classifier also reads what is said of the lines in alike places on the page (Line.path),
# and timestamps written in figures.
# 13: the text model averages three ensembles grown from different seeds.
# 14: the text model also adds lines the rules dropped between the first and the last they kept.
# 15: ...and lines as long as a paragraph the rules dropped anywhere on the page.
# 16: ...from p 0.6 instead of 0.7, never a line the rules took for a photo's caption.
# 17: on pages with markup, a small run of body lines set apart from the article is dropped.
EXTRACTOR_VERSION = "17"


_MAX_OUTLET_CHARS = 100  # a page-given site name is a key, not prose


def article_id(raw_sha256: str) -> str:
    return hashlib.sha256(f"{raw_sha256}:{EXTRACTOR_VERSION}".encode()).hexdigest()[:20]


def outlet_of(source: str, hints: PageHints | None = None) -> str:
    """The outlet a raw document belongs to: the folder it sits in under raw/; else the name the page
    gives itself (og:site_name, JSON-LD publisher); else the host of the URL it was fetched from, or
    for a file the host of its canonical URL, else of its own feed (`PageHints.site_host`). "" when
    nothing says."""
    is_url = "://" in source
    parts = PurePosixPath(source).parts
    if not is_url and len(parts) > 1:
        return parts[0]
    hints = hints or PageHints()
    if hints.site_name:
        return fold_spaces(hints.site_name)[:_MAX_OUTLET_CHARS]
    named_by = source if is_url else hints.canonical_url
    return (url_host(named_by) if named_by else None) or hints.site_host or ""


@dataclass(frozen=True)
class Page:
    """A decoded page split into lines, before classification."""

    raw: RawDocument
    lines: list[Line]
    hints: PageHints
    damaged: bool  # the bytes had invalid sequences, replaced
    # Fingerprints of its short lines: what cross-page learning counts. Long prose is never counted,
    # so an article paragraph quoted on a few pages is never learned as furniture.
    fingerprints: frozenset[int] = frozenset()
    outlet: str = ""  # see `outlet_of`: whose furniture the page's recurring lines are


def read_page(raw: RawDocument) -> Page | Quarantined:
    """Decode and split a raw document; binary, empty or unparseable inputs become quarantine records."""
    try:
        decoded = decode(raw.content, raw.declared_charset)
    except UndecodableInput as exc:
        return Quarantined(raw.source, "extract", exc.reason, str(exc), raw.sha256)
    if listing := listing_kind(decoded.text):
        return Quarantined(raw.source, "extract", "listing",
                           f"{listing}, not an article: name its URL under feeds: or sitemaps: in a sources "
                           "file for `newsdedup fetch`, which fetches the articles it lists", raw.sha256)
    try:
        if looks_like_html(decoded.text) or (raw.media_type or "").endswith("html"):
            lines, hints = parse_html(decoded.text)
        else:
            lines, hints = lines_from_text(decoded.text), PageHints()
        short = frozenset(fingerprint(ln.text) for ln in lines if len(rules.words(ln.text)) < 20)
        short |= metadata.title_fingerprints(hints.metadata)  # what recurs as a heading or title part
    except Exception as exc:  # a parser bug must cost one page, never the batch
        return Quarantined(raw.source, "extract", "parse_error", f"{type(exc).__name__}: {exc}", raw.sha256)
    return Page(raw, lines, hints, decoded.damaged, short, outlet_of(raw.source, hints))


def count_lines(pages: Iterable[Page]) -> LineCounts:
    """Per outlet, on how many of these pages each short line appears."""
    counts = LineCounts()
    for page in pages:
        counts.pages[page.outlet] += 1
        counts.lines.setdefault(page.outlet, Counter()).update(page.fingerprints)
    return counts


def recurring_lines(
    batch: LineCounts, history: LineCounts | None = None, min_pages: int = 3, min_share: float = 0.3
) -> dict[str, frozenset[int]]:
    """Per outlet, fingerprints of the lines on at least `min_pages` and `min_share` of its pages,
    counting this batch and the outlet's history: navigation, footers, prompts, teaser lists."""
    history = history or LineCounts()
    learned: dict[str, frozenset[int]] = {}
    for outlet, counts in batch.lines.items():
        seen = history.lines.get(outlet, Counter())
        needed = max(min_pages, min_share * (batch.pages[outlet] + history.pages[outlet]))
        learned[outlet] = frozenset(f for f, n in counts.items() if n + seen[f] >= needed)
    return learned


def page_hints(page: Page, recurring: frozenset[int] = frozenset()) -> PageHints:
    """What the line classifier is told of a page. Headline and date are chosen here, with what only the
    extractor knows: the outlet's recurring titles, the page's URL and when it was seen (metadata.py)."""
    raw = page.raw
    url = raw.final_url or (raw.source if "://" in raw.source else None)
    seen = raw.seen_at.date()
    found = page.hints.metadata
    return dataclasses.replace(
        page.hints, recurring=recurring,
        title=metadata.choose_title(found, page.lines, recurring, url or page.hints.canonical_url) if found
        else page.hints.title,
        published=metadata.choose_date(found, (url, page.hints.canonical_url), seen) or page.hints.published,
    )


def extract_page(
    page: Page, settings: ExtractionSettings | None = None, recurring: frozenset[int] = frozenset()
) -> Article | Quarantined:
    raw = page.raw
    settings = settings or ExtractionSettings()
    seen = raw.seen_at.date()
    hints = page_hints(page, recurring)
    try:
        result = classify(page.lines, settings, hints)
        if not result.paragraphs and hints.title:
            # The headline's line may stand below the article (repeated in a teaser, say), and the
            # article was looked for after it: it is looked for again without, the headline kept.
            result = dataclasses.replace(classify(page.lines, settings, dataclasses.replace(hints, title=None)),
                                         title=hints.title)
    except Exception as exc:  # a classifier bug must cost one page, never the batch
        return Quarantined(raw.source, "extract", "parse_error", f"{type(exc).__name__}: {exc}", raw.sha256)
    if not result.paragraphs:
        return Quarantined(raw.source, "extract", "no_article", "no article text found on the page", raw.sha256)
    confidence = result.confidence * (0.8 if page.damaged else 1.0)
    declared_url = canonical_url(hints.canonical_url, raw.final_url or raw.source)
    return Article(
        id=article_id(raw.sha256),
        raw_sha256=raw.sha256,
        source=raw.source,
        outlet=page.outlet,
        title=result.title,
        published=published.isoformat() if (published := metadata.plausible_date(result.published, seen)) else None,
        byline=result.byline,
        language=hints.language or rules.detect_language(" ".join(result.paragraphs)),
        paragraphs=result.paragraphs,
        confidence=round(confidence, 3),
        boilerplate_removed=result.removed,
        extractor_version=EXTRACTOR_VERSION,
        canonical_url=normalise_url(declared_url) if declared_url else None,
        declared_canonical_url=declared_url,
    )


def extract_job(job: tuple[Page, ExtractionSettings, frozenset[int]]) -> Article | Quarantined:
    """`extract_page` with its arguments in one tuple: the unit of work a worker process runs."""
    return extract_page(*job)


def canonical_url(declared: str | None, page_url: str) -> str | None:
    """The page's canonical URL (or og:url) made absolute against its own URL, otherwise as declared
    (the record keeps it so; dedup compares its `normalise_url` form). None unless it is http(s) and
    names more than a site's home page."""
    if not declared:
        return None
    try:
        url = urljoin(page_url, declared) if "://" in page_url else declared
        parts = urlsplit(normalise_url(url))
    except ValueError:  # a malformed URL names no page
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if not parts.path and not parts.query:
        return None  # a site's home page declared as canonical says nothing about the article
    return url


def extract(raw: RawDocument, settings: ExtractionSettings | None = None) -> Article | Quarantined:
    """One raw document to an article (or a quarantine record), with no cross-page knowledge."""
    page = read_page(raw)
    return page if isinstance(page, Quarantined) else extract_page(page, settings)
