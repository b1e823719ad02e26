"""Extraction quality and speed on the labelled dev set (88 real news pages): newsdedup beside
trafilatura and BeautifulSoup's get_text, on the raw HTML and on the flattened text, in one run.

    .venv/bin/python benchmarks/extraction.py [--rounds 3]      (trafilatura: pip install '.[bench]')

Prints the scorer's line for each: F1, precision, recall (word 4-gram shingles), pages/s. Speeds on
this shared machine move ±20 % from one pass to the next, so every contender is scored `--rounds`
times, the rounds interleaved, and its fastest pass is the one printed (all passes listed after it)."""

from __future__ import annotations

import argparse
import importlib.util
import re

from _eval import score

CONTENDERS = [
    ("newsdedup.evaluation:extract_body_html", "html"),
    ("benchmarks.baselines:trafilatura_body", "html"),
    ("benchmarks.baselines:bs4_get_text", "html"),
    ("newsdedup.evaluation:extract_body_text", "text"),
    ("benchmarks.baselines:trafilatura_text", "text"),
    ("benchmarks.baselines:keep_everything", "text"),
]
_SPEED = re.compile(r"pages/s=([\d.]+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="scorer passes per contender (the fastest is shown)")
    args = parser.parse_args()
    if importlib.util.find_spec("trafilatura") is None:
        raise SystemExit("trafilatura is not installed: .venv/bin/pip install -e '.[bench]' (or make bench)")
    passes: dict[str, list[str]] = {function: [] for function, _ in CONTENDERS}
    for _ in range(args.rounds):
        for function, kind in CONTENDERS:
            passes[function].append(score("score_extraction.py", "extraction/dev.jsonl.gz", function, "--input", kind))
    for function, _ in CONTENDERS:
        lines = passes[function]
        speeds = [float(m.group(1)) if (m := _SPEED.search(line)) else 0.0 for line in lines]
        best = max(range(len(lines)), key=speeds.__getitem__)
        print(f"{lines[best]}   (passes: {' '.join(f'{s:.1f}' for s in speeds)})")


if __name__ == "__main__":
    main()
