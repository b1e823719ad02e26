"""De-duplication quality on the labelled syndication dev set, through the real pipeline (extract +
dedup in a temporary store), from raw pages and from clean bodies.

    .venv/bin/python benchmarks/dedup.py

Prints the scorer's figures: near-duplicate pair precision/recall/F1, adjusted Rand index,
overlap-link recall/precision, docs/s."""

from __future__ import annotations

from _eval import score


def main() -> None:
    for kind in ("text", "body"):
        print(score("score_dedup.py", "dedup/dev.jsonl.gz", "newsdedup.evaluation:dedup_pages", "--input", kind))


if __name__ == "__main__":
    main()
