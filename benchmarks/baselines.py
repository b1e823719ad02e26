"""The extractors newsdedup is compared with, behind the scorer's `function(page) -> body` interface."""

from __future__ import annotations

import html

from bs4 import BeautifulSoup


def trafilatura_body(page: str) -> str:
    """trafilatura's main text without readers' comments (the labelled bodies have none; its default
    keeps them)."""
    import trafilatura

    return trafilatura.extract(page, include_comments=False) or ""


def readability_body(page: str) -> str:
    """readability-lxml's main content (Mozilla Readability's scoring), as text one block a line."""
    from readability import Document

    if not page.strip():
        return ""
    summary = Document(page).summary(html_partial=True)
    return BeautifulSoup(summary, "lxml").get_text("\n")


def bs4_get_text(page: str) -> str:
    return BeautifulSoup(page, "lxml").get_text("\n")


def keep_everything(page: str) -> str:
    return page


def _lines_as_html(page: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in page.splitlines() if line.strip())
    return f"<html><body>{paragraphs}</body></html>"


def trafilatura_text(page: str) -> str:
    """trafilatura reads HTML only: each line of the flattened page becomes a paragraph."""
    return trafilatura_body(_lines_as_html(page))


def readability_text(page: str) -> str:
    """readability-lxml reads HTML only: each line of the flattened page becomes a paragraph."""
    return readability_body(_lines_as_html(page))


def newsdedup_rules_html(page: str) -> str:
    """newsdedup with its rules alone (no line classifier): what the model adds, measured in one run."""
    from newsdedup.evaluation import extract_body_html
    from newsdedup.extract import classifier

    with classifier.using(classifier.Models(None, None)):
        return extract_body_html(page)


def newsdedup_rules_text(page: str) -> str:
    from newsdedup.evaluation import extract_body_text
    from newsdedup.extract import classifier

    with classifier.using(classifier.Models(None, None)):
        return extract_body_text(page)
