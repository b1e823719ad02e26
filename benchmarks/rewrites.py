"""Rewritten reports: how many retold copies de-duplication links to their source, and what it links
that it should not, on the hand-made bodies of the 1,015 labelled extraction dev pages.

    .venv/bin/python benchmarks/rewrites.py [--sample 200] [--keep 0.5 0.6 0.7]

No dev file holds human rewrites, so retellings are made here, and the figure says only what this
simple model of rewording does: each sentence of a sampled body keeps a word with probability `keep`
(the others become filler words), and half of the sentences are told back to front (second half first).
Word order inside a sentence is lost, its content words partly kept: no shared word n-gram, few shared
letter windows. Every body is its own document of its page's host, the retellings of another outlet.

Prints, per `keep`: retellings linked to (or grouped with) their source; links between the real
bodies of different hosts (each printed: wire stories told twice, quotes), and dedup docs/s."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import time
from urllib.parse import urlsplit

from _eval import EVAL

from newsdedup.evaluation import dedup_pages

FILLERS = ("thing", "matter", "people", "really", "many", "indeed", "perhaps", "very")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def bodies() -> list[dict[str, str]]:
    rows = []
    for name in ("dev", "dragnet_train"):
        with gzip.open(EVAL / "extraction" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                host = (urlsplit(row["url"]).hostname or "").removeprefix("www.")
                rows.append({"id": row["id"], "outlet": host or "unknown", "text": row["body"], "url": row["url"]})
    return rows


def retell(text: str, keep: float, rng: random.Random) -> str:
    paragraphs = []
    for paragraph in text.split("\n"):
        told = []
        for sentence in _SENTENCE_END.split(paragraph):
            words = [w if rng.random() < keep else rng.choice(FILLERS) for w in sentence.split()]
            if rng.random() < 0.5:
                words = words[len(words) // 2 :] + words[: len(words) // 2]
            told.append(" ".join(words))
        paragraphs.append(" ".join(told))
    return "\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="bodies retold per run")
    parser.add_argument("--keep", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    args = parser.parse_args()
    real = bodies()
    by_id = {d["id"]: d for d in real}
    for keep in args.keep:
        rng = random.Random(1)
        sources = rng.sample(real, args.sample)
        retold = [{"id": f"retold-{d['id']}", "outlet": "retold", "text": retell(d["text"], keep, rng)}
                  for d in sources]
        start = time.perf_counter()
        result = dedup_pages(real + retold)
        seconds = time.perf_counter() - start
        clusters = result["clusters"]
        linked = {frozenset(pair) for pair in result["overlaps"]}
        found = sum(clusters[r["id"]] == clusters[d["id"]] or frozenset((r["id"], d["id"])) in linked
                    for r, d in zip(retold, sources, strict=True))
        between = sorted(tuple(sorted(pair)) for pair in linked
                         if all(i in by_id for i in pair) and len({by_id[i]["outlet"] for i in pair}) == 2)
        print(f"keep {keep}: {found} of {len(retold)} retellings linked to their source ({found / len(retold):.0%}); "
              f"{len(between)} links between real bodies of two hosts; {len(real + retold) / seconds:.0f} docs/s "
              "(extraction included)")
        if keep == args.keep[0]:
            for a, b in between:
                print(f"   {by_id[a]['url']}  <->  {by_id[b]['url']}")


if __name__ == "__main__":
    main()
