"""Extraction never raises, whatever the bytes: random binary, random text, and HTML built from
random tags, attributes and text (hypothesis). Every input ends as an article or a quarantine record."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdedup.documents import Article, Quarantined, RawDocument
from newsdedup.extract import extract

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TAGS = ["p", "div", "span", "a", "nav", "article", "table", "tr", "td", "li", "ul", "h1", "script", "meta", "br",
        "aside", "footer", "time", "link", "title", "figure", "section", "main"]
ATTRIBUTES = st.sampled_from(['', ' class="related share"', ' role="navigation"', ' hidden', ' style="display:none"',
                              ' property="og:title" content="x"', ' rel="canonical" href="::bad"', ' lang="zz"',
                              ' datetime="2019-13-45"', ' class="article-body"', ' id="comments"'])
WORDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        tag = draw(st.sampled_from(TAGS))
        if draw(st.booleans()):
            parts.append(f"<{tag}{draw(ATTRIBUTES)}>{draw(WORDS)}")
        else:
            parts.append(f"</{tag}>{draw(WORDS)}")
    return "<html>" * draw(st.integers(0, 2)) + "".join(parts)


def _check(content: bytes, name: str, media_type: str | None) -> None:
    result = extract(RawDocument.from_bytes(name, content, NOW, media_type))
    assert isinstance(result, Article | Quarantined)
    if isinstance(result, Article):
        assert result.paragraphs and 0.0 <= result.confidence <= 1.0


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=4000))
def test_random_bytes(content: bytes) -> None:
    _check(content, "x.bin", None)


@FAST
@given(st.text(max_size=3000))
def test_random_text(text: str) -> None:
    _check(text.encode("utf-8", errors="surrogatepass"), "x.txt", "text/plain")


@FAST
@given(html_pages())
def test_random_html(page: str) -> None:
    _check(page.encode("utf-8", errors="surrogatepass"), "x.html", "text/html")


@FAST
@given(st.text(max_size=2000), st.sampled_from(["utf-16", "latin-1", "cp1252", "shift_jis", "utf-8-sig"]))
def test_text_in_other_encodings(text: str, encoding: str) -> None:
    _check(text.encode(encoding, errors="replace"), "x.txt", None)
