"""De-duplication quality and speed on every labelled dev dedup file, newsdedup (the real extract +
dedup path in a temporary store) beside plain datasketch MinHashLSH loops, in one run.

    .venv/bin/python benchmarks/dedup.py [--files dev syndicated_dragnet ...] [--no-baselines]

Prints the scorer's line for each: near-duplicate pair precision/recall/F1, adjusted Rand index,
overlap-link recall/precision (the baselines make no links), docs/s (newsdedup's includes extraction)."""

from __future__ import annotations

import argparse

from _eval import score

FILES = ["dev", "syndicated_dragnet", "noisy_reprints_dragnet"]
CONTENDERS = [
    "newsdedup.evaluation:dedup_pages",
    "benchmarks.dedup_baselines:lsh_5grams_at_05",
    "benchmarks.dedup_baselines:lsh_3grams_at_03",
    "benchmarks.dedup_baselines:lsh_3grams_at_02_checked",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=FILES, choices=FILES)
    parser.add_argument("--no-baselines", action="store_true", help="score newsdedup only")
    args = parser.parse_args()
    for name in args.files:
        print(f"== dedup/{name}.jsonl.gz")
        for function in CONTENDERS[:1] if args.no_baselines else CONTENDERS:
            print(score("score_dedup.py", f"dedup/{name}.jsonl.gz", function), flush=True)


if __name__ == "__main__":
    main()
