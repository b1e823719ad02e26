"""Title, date and byline: chosen from the candidates a page offers, on evidence, in one place.

The headline is the candidate the page's own signals agree on. Candidates: `og:title`, `twitter:title`,
JSON-LD `headline` (the *meta* titles), the `<title>` and the runs of its parts between separators,
every `<h1>`–`<h3>`, and the first line of the article block. Evidence for a candidate
(`TitleWeights`):
- agreement: how many kinds of source (meta, `<title>`, a heading, the article's first line) carry it,
  and half as much for a differently worded one ("NHL to resume talks" / "NHL resume talks");
- closeness to the article: its words in the article's prose, its place right above the first
  paragraph, an <h1>, a headline's length; a heading the page's furniture removal took is suspect;
- the outlet's own name: what the page calls itself (`og:site_name`, `application-name`, JSON-LD
  publisher), its host name, a string spelled as a host ("Example.com"), a heading that links to the
  site's front page, and — across the outlet's pages — a string that repeats as an <h1> or a <title>
  part on many of them (`title_fingerprints`, counted by the pipeline's cross-page learning like
  recurring lines) is the outlet's name or a section label, never a headline. Site names are learned
  so, never listed;
- shapes that are something else: a date ("Oct 30"), a label ("Likes:"), a prompt ("Leave a reply").

The published date is the first plausible one, in order of trust: JSON-LD `datePublished`,
`article:published_time` (or itemprop `datePublished`), the first `<time>` outside furniture, the URL
path (`/2012/07/28/`), generic date metas ("date", "DC.date": they may date the page's last change)
and elements whose class names a date, then a date line in the text (found by the line classifier).
A date after the page was seen, or before 1990, is no publication date. Day names are English only
(`_DAY_NAMES`), month names those of `rules.MONTHS`; dates with a year are read in every form
`rules.find_date` knows.

Everything here is a pure function of plain data: the HTML reader gathers `PageMetadata`, the
extractor calls `choose_title` / `choose_date` / `choose_byline` with what it knows of the page."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Protocol
from urllib.parse import urlsplit

from newsdedup.extract import rules

EARLIEST_DATE = date(1990, 1, 1)  # before the web: a date this old on a page is never its publication date
# Separators between a headline and the site's or section's name in a <title> or og:title.
_STRONG_SEPARATOR = re.compile(r"\s+[|–—«»‹›·•]\s+|\s+-{1,2}\s+|\s*::\s*|\s*\|\s*")
# A colon sets "Site: Headline" apart as often as a headline's own two halves: split at only when a
# title has no other separator, and the whole stays a candidate beside its parts.
_WEAK_SEPARATOR = re.compile(r":\s+")
_MAX_HEADLINE_WORDS = 40
HEADING_SEARCH = 40  # headings of each level read per page (sidebars can hold hundreds)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=[/._-]|$)")
_URL_AUTHOR = re.compile(r"^(?:https?:|www\.)|\.(?:com|org|net)\b|/", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1, 2 or 3
    links_home: bool = False  # it links to a site's front page (a masthead, a logo)


@dataclass(frozen=True)
class PageMetadata:
    """What a page's markup says of its headline, date and author, before anything is chosen."""

    meta_titles: tuple[str, ...] = ()  # og:title, twitter:title, JSON-LD headline
    document_title: str | None = None  # <title>
    headings: tuple[Heading, ...] = ()  # <h1>–<h3>, the first `HEADING_SEARCH` of each level
    site_names: tuple[str, ...] = ()  # og:site_name, application-name, JSON-LD publisher
    dates: tuple[str, ...] = ()  # date texts in order of trust: JSON-LD, article metas, <time>
    loose_dates: tuple[str, ...] = ()  # generic date metas ("date", "DC.date"): trusted below the URL
    authors: tuple[str, ...] = ()  # author metas and JSON-LD author names


class TextLine(Protocol):
    """What the chooser reads of a page's lines (`lines.Line`)."""

    @property
    def text(self) -> str: ...
    @property
    def outside(self) -> bool: ...


# --- titles -------------------------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[\W_]+")


def key(text: str) -> str:
    """The form in which candidates are compared: letters and digits only, lower case."""
    return _NOT_ALNUM.sub("", text.lower())


def title_parts(title: str) -> list[str]:
    """A title's contiguous runs of parts between separators ("A | B | C": A, B, C, "A | B", "B | C"):
    the headline may be any of them, the rest is the site's or section's name. The whole is not among
    them. A title without separators has no parts."""
    strong = [p.strip() for p in _STRONG_SEPARATOR.split(title) if p.strip()]
    pieces = strong if len(strong) > 1 else [p.strip() for p in _WEAK_SEPARATOR.split(title) if p.strip()]
    if len(pieces) < 2 or len(pieces) > 6:
        return []
    spans: list[str] = []
    for start in range(len(pieces)):
        for end in range(start + 1, len(pieces) + 1):
            if end - start == len(pieces):
                continue
            span = _span(title, pieces[start], pieces[end - 1])
            if span:
                spans.append(span)
    return spans


def _span(title: str, first: str, last: str) -> str | None:
    start = title.find(first)
    end = title.rfind(last)
    if start < 0 or end < 0 or end + len(last) <= start:
        return None
    return title[start : end + len(last)].strip()


_FRONT_PAGE_PATHS = ("", "/", "/index.html", "/index.htm", "/index.php")


def is_front_page(href: str) -> bool:
    """A link to a site's front page: its root (or index page), with no query."""
    href = href.strip()
    if not href or href.startswith("#"):
        return False
    try:
        parts = urlsplit(href)
    except ValueError:
        return False
    return not parts.query and not parts.fragment and parts.path.lower() in _FRONT_PAGE_PATHS


def _salted(text: str) -> int:
    """A title-role fingerprint: never equal to a line's fingerprint, so learning that a string recurs
    as a heading or <title> part never makes the line itself furniture."""
    digest = hashlib.blake2b(("title\x00" + " ".join(text.lower().split())).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def title_fingerprints(found: PageMetadata | None) -> frozenset[int]:
    """Fingerprints of the page's <h1> headings and <title> / meta title parts, for cross-page learning:
    one that recurs in these roles on many of an outlet's pages is its name or a section label. (Lower
    headings are left out: lists of other stories' headlines recur in them.)"""
    if found is None:
        return frozenset()
    texts = [h.text for h in found.headings if h.level == 1]
    for title in (*found.meta_titles, *((found.document_title,) if found.document_title else ())):
        texts.append(title)
        texts += title_parts(title)
    return frozenset(_salted(t) for t in texts if t)


@dataclass
class _Candidate:
    text: str  # as shown: a heading's or line's text when one carries it
    kinds: set[str]  # the kinds of source that carry it exactly: meta, title, heading, line
    words: frozenset[str] = frozenset()  # lower-cased words, for near agreement
    at: int | None = None  # index of the first line that shows it
    links_home: bool = False
    level: int = 0  # the highest heading level that shows it (1 for <h1>), 0 for none


# How much each kind of source weighs as agreement: the article block's first line is a weaker witness.
_KIND_WEIGHT = {"meta": 1.0, "title": 1.0, "heading": 1.0, "line": 0.5}
_NEAR_AGREEMENT = 0.6  # word overlap (of the longer) at which two differently worded candidates half agree


# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar, Hangul.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                       "\uac00-\ud7af\uf900-\ufaff]")


def _is_prose(text: str) -> bool:
    """A paragraph of the article: a sentence of 15 words or more (45 characters, unspaced)."""
    long_enough = len(rules.words(text)) >= 15 or (len(text) >= 45 and bool(_UNSPACED.search(text)))
    return long_enough and rules.ends_sentence(text)


def _closeness_tokens(text: str) -> set[str]:
    """Content words, or character pairs for scripts written without spaces."""
    if _UNSPACED.search(text):
        chars = [ch for ch in text if ch.isalnum()]
        return {a + b for a, b in pairwise(chars)}
    return set(rules.content_words(text))


def _host_names(url: str | None) -> set[str]:
    """The names a host spells: 'www.big-think.co.uk' -> bigthink, bigthinkco, bigthinkcouk."""
    if not url or "://" not in url:
        return set()
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return set()
    labels = [label for label in host.split(".") if label and label != "www"]
    names = {key(label) for label in labels if len(key(label)) >= 3}
    if labels:
        names.add(key("".join(labels)))
        names.add(key("".join(labels[:-1])))
    return names - {""}


# A candidate spelled as a host name ("Example.com") names the site.
_HOST_NAME = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
# Day names and their abbreviations, in English only; month names are rules.MONTHS (eight languages).
_DAY_NAMES = {"mon", "tue", "wed", "thu", "fri", "sat", "sun",
              "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_DATE_FILLERS = {"am", "pm", "at", "on", "of", "the", "posted", "published", "updated"}


def _month_or_day(token: str) -> bool:
    lowered = token.lower()
    return lowered in rules.MONTHS or lowered in _DAY_NAMES


def _is_date(text: str) -> bool:
    """A line that is a date and little else ("Oct 30", "Friday, April 8, 2011 12:05 PM"), not a
    headline holding one ("Four short links: 6 November 2012") or a figure ("1,400 Rectangles")."""
    tokens = rules.words(text)
    if not any(t.isdigit() for t in tokens):
        return False
    named = [t for t in tokens if _month_or_day(t)]
    other = [t for t in tokens if not any(ch.isdigit() for ch in t) and not _month_or_day(t)
             and t.lower() not in _DATE_FILLERS]
    return len(other) <= 1 and (bool(named) or rules.find_date(text) is not None)


def _not_a_headline(text: str) -> bool:
    """Lines shaped as something else: a date, a label introducing what follows ("Likes:", "Jane
    says:"), a prompt ("Leave a reply")."""
    return (_is_date(text) or text.rstrip().endswith(":") or bool(rules.COMMENTS_HEADING.match(text))
            or (len(rules.words(text)) <= 5 and bool(rules.PROMPT.match(text))))


@dataclass(frozen=True)
class TitleWeights:
    """What each piece of evidence adds to (or takes from) a candidate's score, beside its agreement
    (1 per kind of source carrying it, 0.5 for the article block's first line, half that for near
    wording). The site penalty outweighs any agreement: an outlet's name is never its headline."""

    closeness: float = 1.0  # share of its words in the article's prose
    near: float = 0.5  # shown just above the first paragraph (fading over 10 lines)
    shape: float = 0.6  # words, up to six
    h1: float = 0.3  # set as an <h1>
    site: float = 3.0  # the outlet's or a section's name
    not_headline: float = 2.0  # a date, a label ("Likes:"), a prompt
    hidden: float = 0.5  # a heading removed with the page's furniture


def choose_title(
    found: PageMetadata,
    lines: Sequence[TextLine],
    recurring: frozenset[int] = frozenset(),
    url: str | None = None,
    weights: TitleWeights = TitleWeights(),  # frozen: one shared default is safe
) -> str | None:
    """The page's headline: the candidate with the most evidence (see the module's doc), as the page
    shows it. None when the page offers no candidate."""
    prose = [k for k, ln in enumerate(lines) if not ln.outside and _is_prose(ln.text)]
    first_at = prose[0] if prose else len(lines)
    article_words: set[str] = set()
    for k in prose:
        article_words |= _closeness_tokens(lines[k].text)
    candidates: dict[str, _Candidate] = {}

    def add(text: str, kind: str, links_home: bool = False, level: int = 0) -> None:
        text = " ".join(text.split())
        k = key(text)
        if not k or len(rules.words(text)) > _MAX_HEADLINE_WORDS:
            return
        candidate = candidates.get(k)
        if candidate is None:
            words = frozenset(w.lower() for w in rules.words(text))
            candidate = candidates[k] = _Candidate(text, set(), words)
        if kind in ("heading", "line") and not candidate.kinds & {"heading", "line"}:
            candidate.text = text  # shown as the page shows it
        candidate.kinds.add(kind)
        candidate.links_home |= links_home
        if level and (not candidate.level or level < candidate.level):
            candidate.level = level

    for kind, titles in (("meta", found.meta_titles), ("title", (found.document_title,))):
        for title in titles:
            if not title:
                continue
            add(title, kind)
            for part in title_parts(title):
                add(part, kind)
    for heading in found.headings:
        add(heading.text, "heading", links_home=heading.links_home, level=heading.level)
    # The first line of the article block: what opens the element holding the article's prose.
    first_inside = next((k for k, ln in enumerate(lines) if not ln.outside), None)
    if first_inside is not None and first_inside < first_at:
        add(lines[first_inside].text, "line")
    if not candidates:
        return None
    longest = max(len(c.text) for c in candidates.values()) + 20
    for k, ln in enumerate(lines):  # where the page shows each candidate first
        if len(ln.text) <= longest and (shown := candidates.get(key(ln.text))) is not None and shown.at is None:
            shown.at = k

    site_keys = {key(name) for name in found.site_names} | _host_names(url)
    site_keys.discard("")
    pool = [c for c in candidates.values() if c.words]

    def agreement(c: _Candidate) -> float:
        """Exact agreement per kind of source, and half-agreement with differently worded candidates
        ("NHL to resume talks" beside "NHL resume talks"), unless this one only pads the other with
        words of its own (a section label run into a heading)."""
        total = sum(_KIND_WEIGHT[kind] for kind in c.kinds)
        for kind in _KIND_WEIGHT.keys() - c.kinds:
            overlap = max((len(c.words & d.words) / max(len(c.words), len(d.words)) for d in pool
                           if kind in d.kinds and d is not c and not c.words > d.words), default=0.0)
            if overlap >= _NEAR_AGREEMENT:
                total += 0.5 * _KIND_WEIGHT[kind] * overlap
        return total

    def names_site(text: str) -> bool:
        return key(text) in site_keys or _salted(text) in recurring or bool(_HOST_NAME.match(text))

    def is_site(c: _Candidate) -> bool:
        """The outlet's name or a section's (or it with a few letters more or less: "Example.com",
        "Example Blog"), or a run of title parts holding one."""
        k = key(c.text)
        if c.links_home or names_site(c.text) or any(
                len(k) >= 4 and (k in s or s in k) and abs(len(s) - len(k)) <= 4 for s in site_keys):
            return True
        pieces = [p.strip() for part in _STRONG_SEPARATOR.split(c.text) for p in _WEAK_SEPARATOR.split(part)
                  if p.strip()]
        return len(pieces) > 1 and any(names_site(p) for p in pieces)

    w = weights

    def score(c: _Candidate) -> tuple[float, int]:
        tokens = _closeness_tokens(c.text)
        closeness = len(tokens & article_words) / len(tokens) if tokens else 0.0
        near = max(0.0, 1 - (first_at - c.at) / 10) if c.at is not None and c.at < first_at else 0.0
        shape = min(len(rules.words(c.text)), 6) / 6  # headlines run to several words, names to one or two
        hidden = "heading" in c.kinds and c.at is None  # removed with the page's furniture
        value = (agreement(c) + w.closeness * closeness + w.near * near + w.shape * shape + w.h1 * (c.level == 1)
                 - w.site * is_site(c) - w.not_headline * _not_a_headline(c.text) - w.hidden * hidden)
        return value, -(c.at if c.at is not None else len(lines))

    return max(candidates.values(), key=score).text


# --- dates --------------------------------------------------------------------------------------------

def plausible_date(found: date | None, seen: date | None = None) -> date | None:
    """The date, unless it cannot be a publication date: before 1990, or after the page was seen (a day
    of grace for time zones). `seen` defaults to today."""
    if found is None:
        return None
    latest = (seen or date.today()) + timedelta(days=1)
    return found if EARLIEST_DATE <= found <= latest else None


def date_from_url(url: str | None) -> date | None:
    """A date written in a URL's path: /2012/07/28/, /2012-07-28/."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _URL_DATE.search(path)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def choose_date(found: PageMetadata | None, urls: Iterable[str | None], seen: date | None = None) -> date | None:
    """The first plausible date of the markup's article dates, then of the page's URLs, then of the
    markup's generic date metas (which may date the page's last change)."""
    for text in found.dates if found else ():
        if (day := plausible_date(parse_date(text), seen)) is not None:
            return day
    for url in urls:
        if (day := plausible_date(date_from_url(url), seen)) is not None:
            return day
    for text in found.loose_dates if found else ():
        if (day := plausible_date(parse_date(text), seen)) is not None:
            return day
    return None


_SLASHED_ISO = re.compile(r"\b((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})\b")


def parse_date(text: str) -> date | None:
    """A date in any form rules.find_date reads, or year first with slashes ("2012/11/05 1:16 PM")."""
    found = rules.find_date(text)
    if found is None and (match := _SLASHED_ISO.search(text)):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    return found


# --- bylines ------------------------------------------------------------------------------------------

def choose_byline(found: PageMetadata | None) -> str | None:
    """The first author the markup names that reads as a name: not a profile URL, not a sentence."""
    for author in found.authors if found else ():
        author = " ".join(author.split())
        if author and not _URL_AUTHOR.search(author) and len(rules.words(author)) <= 10 \
                and any(ch.isalpha() for ch in author):
            return author
    return None
