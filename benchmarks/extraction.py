"""Extraction quality and speed on the labelled dev set (88 real news pages): newsdedup beside
trafilatura and BeautifulSoup's get_text, on the raw HTML and on the flattened text, in one run.

    .venv/bin/python benchmarks/extraction.py        (trafilatura: pip install '.[bench]')

Prints the scorer's line for each: F1, precision, recall (word 4-gram shingles), pages/s."""

from __future__ import annotations

import importlib.util

from _eval import score

CONTENDERS = [
    ("newsdedup.evaluation:extract_body_html", "html"),
    ("benchmarks.baselines:trafilatura_body", "html"),
    ("benchmarks.baselines:bs4_get_text", "html"),
    ("newsdedup.evaluation:extract_body_text", "text"),
    ("benchmarks.baselines:trafilatura_text", "text"),
    ("benchmarks.baselines:keep_everything", "text"),
]


def main() -> None:
    if importlib.util.find_spec("trafilatura") is None:
        raise SystemExit("trafilatura is not installed: .venv/bin/pip install -e '.[bench]' (or make bench)")
    for function, kind in CONTENDERS:
        print(score("score_extraction.py", "extraction/dev.jsonl.gz", function, "--input", kind))


if __name__ == "__main__":
    main()
