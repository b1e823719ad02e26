"""Headline, date and byline choice (newsdedup/extract/metadata.py) on small invented pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import Page, count_lines, extract, extract_page, metadata, read_page, recurring_lines

SEEN = datetime(2026, 1, 10, tzinfo=UTC)
PARAGRAPHS = [
    "The ferry operators' strike ended on Thursday after the union accepted a new pay offer, restoring "
    "crossings to the islands that had been cut off for nine days.",
    "Union members voted by a large majority to accept the offer, which raises wages by six per cent "
    "over two years and limits the length of night shifts on the ferries.",
    "Island shopkeepers said supplies of fresh food had run low during the strike, and the council "
    "thanked residents for their patience while the ferries were tied up in the harbour.",
    "The first crossing left the harbour at dawn on Friday, and the operators said the timetable would "
    "be back to normal by the weekend once crews had finished their safety checks.",
]


def _page(head: str = "", top: str = "", lead: str = "", paragraphs: list[str] | None = None) -> str:
    body = "".join(f"<p>{p}</p>" for p in (paragraphs or PARAGRAPHS))
    return (f"<html><head><meta charset='utf-8'>{head}</head><body>{top}"
            f"<div class='story'>{lead}{body}</div></body></html>")


def _extract(html: str, source: str = "outlet/page.html", seen: datetime = SEEN) -> Article:
    article = extract(RawDocument.from_bytes(source, html.encode("utf-8"), seen, "text/html"))
    assert isinstance(article, Article), article
    return article


# --- titles -------------------------------------------------------------------------------------------

def test_the_headline_is_what_the_candidates_agree_on() -> None:
    page = _page(head="<title>Ferry strike ends after pay deal - The Island Post</title>"
                      "<meta property='og:title' content='Ferry strike ends after pay deal | The Island Post'>",
                 top="<h2>Weather: sunny spells</h2>", lead="<h1>Ferry strike ends after pay deal</h1>")
    assert _extract(page).title == "Ferry strike ends after pay deal"


def test_a_title_alone_loses_the_part_that_is_not_about_the_article() -> None:
    page = _page(head="<title>Island Post | Ferry strike ends after union accepts pay offer</title>")
    assert _extract(page).title == "Ferry strike ends after union accepts pay offer"


def test_the_site_name_the_page_gives_itself_is_never_the_headline() -> None:
    page = _page(head="<title>The Island Post: Ferry strike ends</title>"
                      "<meta property='og:site_name' content='The Island Post'>",
                 top="<h1>The Island Post</h1>", lead="<h3>Ferry strike ends</h3>")
    assert _extract(page).title == "Ferry strike ends"
    # A masthead linking to the front page says the same, with no metadata at all.
    page = _page(head="<title>The Island Post: Ferry strike ends</title>",
                 top="<h1><a href='/'>The Island Post</a></h1>", lead="<h3>Ferry strike ends</h3>")
    assert _extract(page).title == "Ferry strike ends"


def test_a_section_label_h1_is_passed_over_for_a_later_h1_that_heads_the_article() -> None:
    page = _page(head="<title>Ferry strike ends after pay deal - The Island Post</title>",
                 top="<h1>Nation &amp; World</h1><ul><li><a href='/a'>Sport</a></li></ul>",
                 lead="<h1>Ferry strike ends after pay deal</h1><p>By Ann Writer</p>")
    article = _extract(page)
    assert article.title == "Ferry strike ends after pay deal"
    assert article.paragraphs[0] == PARAGRAPHS[0]


def test_dates_and_labels_set_as_headings_are_not_headlines() -> None:
    page = _page(head="<title>Island Post: Ferry strike ends</title>",
                 lead="<h2>Oct 30</h2><h3>Likes:</h3><h2>Ferry strike ends</h2>")
    assert _extract(page).title == "Ferry strike ends"


def _outlet_batch(titles: list[str]) -> list[Article]:
    """Pages of one outlet whose <title> and masthead <h1> both carry its name, as one batch."""
    pages = []
    for n, headline in enumerate(titles):
        words = headline.lower().split()
        paragraphs = [f"{p} The {words[-1]} and the {words[0]} were discussed." for p in PARAGRAPHS]
        html = _page(head=f"<title>Harbour Daily Bulletin | {headline}</title>",
                     top="<div class='story-head'><h1>Harbour Daily Bulletin</h1></div>",
                     paragraphs=paragraphs)
        page = read_page(RawDocument.from_bytes(f"bulletin/{n}.html", html.encode("utf-8"), SEEN, "text/html"))
        assert isinstance(page, Page)
        pages.append(page)
    learned = recurring_lines(count_lines(pages))
    articles = [extract_page(page, None, learned.get(page.outlet, frozenset())) for page in pages]
    assert all(isinstance(a, Article) for a in articles)
    return articles  # type: ignore[return-value]


def test_the_outlets_name_is_learned_from_what_its_pages_share() -> None:
    headlines = ["Ferry strike ends", "Harbour wall repaired", "Council approves new quay", "Fish market reopens"]
    # One page alone cannot tell its masthead from its headline: both are short title parts, and the
    # masthead is also the page's first heading.
    assert _outlet_batch(headlines[:1])[0].title == "Harbour Daily Bulletin"
    # Seen on the outlet's other pages, the repeated part is its name, never a headline.
    assert [a.title for a in _outlet_batch(headlines)] == headlines


# --- candidates ---------------------------------------------------------------------------------------

def test_title_parts_are_the_runs_between_separators() -> None:
    assert metadata.title_parts("A b | C d | E") == ["A b", "A b | C d", "C d", "C d | E", "E"]
    assert metadata.title_parts("Site: Headline here") == ["Site", "Headline here"]
    assert metadata.title_parts("A headline without separators") == []


def test_front_page_links() -> None:
    assert metadata.is_front_page("/") and metadata.is_front_page("https://example.org/")
    for href in ("/news/2012/07/28/story", "/?page=2", "#top", ""):
        assert not metadata.is_front_page(href), href


# --- dates --------------------------------------------------------------------------------------------

def _ld(**fields: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps({'@type': 'NewsArticle', **fields})}</script>"


@pytest.mark.parametrize(("head", "lead", "source", "expected"), [
    # In order of trust: JSON-LD over the article metas over <time> over the URL over a date line.
    (_ld(datePublished="2012-07-28T10:00:00Z") + "<meta property='article:published_time' content='2012-07-20'>",
     "<time datetime='2012-07-01'>1 July</time>", "https://news.example/2012/06/30/ferry", date(2012, 7, 28)),
    ("<meta property='article:published_time' content='2012-07-20T08:00:00+01:00'>",
     "<time datetime='2012-07-01'>1 July</time>", "https://news.example/2012/06/30/ferry", date(2012, 7, 20)),
    ("", "<p>Posted on <time datetime='2012-07-01T09:30'>Sunday</time></p>", "https://news.example/2012/06/30/ferry",
     date(2012, 7, 1)),
    ("", "", "https://news.example/2012/06/30/ferry-strike-ends", date(2012, 6, 30)),
    ("", "<p>Posted on July 28, 2012</p>", "outlet/page.html", date(2012, 7, 28)),
    ("", "<p>28 July 2012 14:05 BST</p>", "outlet/page.html", date(2012, 7, 28)),
    # A generic date meta may date the page's last change: the URL's date is trusted above it; a time in
    # readers' comments dates a comment.
    ("<meta name='date' content='2012-07-31'>", "", "https://news.example/2012/07/23/ferry", date(2012, 7, 23)),
    ("<meta name='date' content='2012-07-31'>", "", "outlet/page.html", date(2012, 7, 31)),
    ("", "<div class='comments'><p>Nice one <time datetime='2012-08-05'>5 Aug</time></p></div>",
     "https://news.example/2012/07/23/ferry", date(2012, 7, 23)),
    # Meta names in any case; then an element whose class says it holds a date (one inside a box named
    # for what it lists, "by-line-comments-views-date", whose text the body never keeps), its
    # machine-readable value (the hAtom title) before its text.
    ("<meta name='Date' content='2012-07-31'>", "", "outlet/page.html", date(2012, 7, 31)),
    ("", "<div class='by-line-comments-views-date'><span class='views'>601 views</span> "
         "<span class='date'>Nov 6, 2012</span></div>", "outlet/page.html", date(2012, 11, 6)),
    ("", "<div class='post-footer'>Posted by Jo at <abbr class='published' title='2012-08-09T12:13:00-04:00'>"
         "8/09/2012 12:13 PM</abbr></div>", "outlet/page.html", date(2012, 8, 9)),
    ("", "<div class='meta-box'><span class='date'>Nov 6, 2012</span></div>", "https://news.example/2012/07/23/ferry",
     date(2012, 7, 23)),
    # A date after the page was seen, or before 1990, is passed over for the next form.
    (_ld(datePublished="2031-05-01"), "", "https://news.example/2012/06/30/ferry", date(2012, 6, 30)),
    ("<meta property='article:published_time' content='1985-02-01'>", "<p>Posted on July 28, 2012</p>",
     "outlet/page.html", date(2012, 7, 28)),
    ("", "<p>Posted on July 28, 2031</p>", "outlet/page.html", None),
    ("", "", "https://news.example/1970/01/02/ferry", None),
])
def test_the_published_date(head: str, lead: str, source: str, expected: date | None) -> None:
    article = _extract(_page(head=f"<title>Ferry strike ends</title>{head}", lead=f"<h1>Ferry strike ends</h1>{lead}"),
                       source)
    assert article.published == (expected.isoformat() if expected else None)


def test_a_date_marked_in_a_sidebar_or_a_comment_dates_something_else() -> None:
    sidebar = ("<aside><ul><li><a href='/other'>Harbour reopens</a> <span class='date'>June 27, 2012</span></li>"
               "</ul></aside><div class='twitter widget'><p class='tweet-date'>August 5, 2012 13:08</p></div>")
    comment = "<div class='comment-list'><div class='comment'><span class='comment-date'>Aug 5, 2012</span></div></div>"
    article = _extract(_page(head="<title>Ferry strike ends</title>", top=sidebar,
                             lead="<h1>Ferry strike ends</h1>").replace("</body>", f"{comment}</body>"))
    assert article.published is None
    dated = _extract(_page(head="<title>Ferry strike ends</title>", top=sidebar,
                           lead="<h1>Ferry strike ends</h1><div class='entry-meta'><span class='entry-date'>"
                                "July 28, 2012</span></div>"))
    assert dated.published == "2012-07-28"


def test_date_from_url() -> None:
    assert metadata.date_from_url("https://x.example/2012/07/28/story") == date(2012, 7, 28)
    assert metadata.date_from_url("https://x.example/blog/2012-11-01/102535/") == date(2012, 11, 1)
    assert metadata.date_from_url("https://x.example/2012/13/28/story") is None
    assert metadata.date_from_url("https://x.example/story-20120728") is None


def test_plausible_dates() -> None:
    seen = date(2020, 5, 1)
    assert metadata.plausible_date(date(2020, 5, 2), seen) == date(2020, 5, 2)  # a time zone ahead
    assert metadata.plausible_date(date(2020, 5, 3), seen) is None
    assert metadata.plausible_date(date(1989, 12, 31), seen) is None


# --- bylines ------------------------------------------------------------------------------------------

def test_the_byline_is_a_name_not_a_profile_link() -> None:
    author = {"@type": "Person", "name": "Ann Writer"}
    profile = "<meta property='article:author' content='https://www.facebook.com/islandpost'>"
    page = _page(head="<title>Ferry strike ends</title>" + profile + _ld(headline="Ferry strike ends", author=author))
    assert _extract(page).byline == "Ann Writer"
