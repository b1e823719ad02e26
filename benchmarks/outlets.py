"""Cross-page learning in one flat folder of many sites: outlets named by the pages themselves
(og:site_name, JSON-LD publisher, canonical host) against one outlet for the whole folder (what a
flat folder was before). The pages of each file are extracted together, as one batch of a run; the
learning of recurring lines is the only difference between the two.

    python benchmarks/outlets.py [FILE ...]   (default: both extraction dev files)

Prints, per file, the mean per-page word 4-gram F1 (the extraction scorer's precision and recall) of
each mode, and how many pages each one scores better."""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._eval import EVAL

sys.path.insert(0, str(EVAL))
from score_extraction import load, page_scores

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import Page, count_lines, extract_page, read_page, recurring_lines

FILES = ["extraction/dev.jsonl.gz", "extraction/dragnet_train.jsonl.gz"]


def _f1(truth: str, predicted: str) -> float:
    precision, recall = page_scores(truth, predicted)
    p, r = precision or 0.0, recall or 0.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _scores(rows: list[dict], pages: list[Page]) -> list[float]:
    learned = recurring_lines(count_lines(pages))
    scores = []
    for row, page in zip(rows, pages, strict=True):
        article = extract_page(page, None, learned.get(page.outlet, frozenset()))
        scores.append(_f1(row["body"], "\n".join(article.paragraphs) if isinstance(article, Article) else ""))
    return scores


def main(paths: list[str]) -> None:
    for path in paths:
        rows, pages = [], []
        for row in load(path):
            page = read_page(RawDocument.from_bytes(f"{row['id']}.html", row["html"].encode("utf-8"),
                                                    datetime(2026, 1, 1, tzinfo=UTC), "text/html"))
            if isinstance(page, Page):
                rows.append(row)
                pages.append(page)
        outlets = Counter(page.outlet for page in pages)
        per_site = _scores(rows, pages)
        one_folder = _scores(rows, [dataclasses.replace(page, outlet="") for page in pages])
        better = sum(a > b + 1e-9 for a, b in zip(per_site, one_folder, strict=True))
        worse = sum(a < b - 1e-9 for a, b in zip(per_site, one_folder, strict=True))
        print(f"{Path(path).name}: {len(pages)} pages, {len(outlets)} outlets named by the pages "
              f"({outlets['']} unnamed, the largest {outlets.most_common(1)[0][1]} pages)")
        print(f"  mean F1  per-site outlets {sum(per_site) / len(per_site):.4f}  "
              f"one outlet for the folder {sum(one_folder) / len(one_folder):.4f}  "
              f"(per-site better on {better} pages, worse on {worse})")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(EVAL / name) for name in FILES])
