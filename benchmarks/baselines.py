"""The extractors newsdedup is compared with, behind the scorer's `function(page) -> body` interface."""

from __future__ import annotations

from bs4 import BeautifulSoup


def trafilatura_body(page: str) -> str:
    import trafilatura

    return trafilatura.extract(page) or ""


def bs4_get_text(page: str) -> str:
    return BeautifulSoup(page, "lxml").get_text("\n")


def keep_everything(page: str) -> str:
    return page


def trafilatura_text(page: str) -> str:
    """trafilatura reads HTML only: each line of the flattened page becomes a paragraph."""
    import html

    import trafilatura

    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in page.splitlines() if line.strip())
    return trafilatura.extract(f"<html><body>{paragraphs}</body></html>") or ""
