"""Rewritten reports: how many retold copies de-duplication links to their source, and what it links
that it should not, on the hand-made bodies of the 1,015 labelled extraction dev pages.

    .venv/bin/python benchmarks/rewrites.py [--sample 200] [--keep 0.5 0.6 0.7]

No dev file holds human rewrites, so retellings are made here, and the figure says only what this
simple model of rewording does: each sentence of a sampled body keeps a word with probability `keep`
(the others become filler words), and half of the sentences are told back to front (second half first).
Word order inside a sentence is lost, its content words partly kept: no shared word n-gram, few shared
letter windows. Every body is its own document of its page's host, the retellings of another outlet.

Prints, per `keep`: retellings linked to (or grouped with) their source; links between the real
bodies of different hosts (each printed: wire stories told twice, quotes), and dedup docs/s. Then the
sentence test alone on the real bodies' topical neighbours (pairs of two hosts sharing rarer word
stems: reports of one event written apart among them), and the pairs it would link."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import time
from collections import Counter
from itertools import combinations

from _eval import EVAL

from newsdedup.config import DedupSettings, Settings
from newsdedup.dedup import rewrites
from newsdedup.evaluation import dedup_pages
from newsdedup.sources.urls import url_host

FILLERS = ("thing", "matter", "people", "really", "many", "indeed", "perhaps", "very")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def bodies() -> list[dict[str, str]]:
    rows = []
    for name in ("dev", "dragnet_train"):
        with gzip.open(EVAL / "extraction" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                outlet = url_host(row["url"]) or "unknown"
                rows.append({"id": row["id"], "outlet": outlet, "text": row["body"], "url": row["url"]})
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


def measure(real: list[dict[str, str]], keep: float, sample: int) -> tuple[int, list[tuple[str, str]], float]:
    """Retellings of `sample` bodies linked to (or grouped with) their source; links between the real
    bodies of two hosts; docs/s (extraction included)."""
    rng = random.Random(1)
    sources = rng.sample(real, sample)
    retold = [{"id": f"retold-{d['id']}", "outlet": "retold", "text": retell(d["text"], keep, rng)} for d in sources]
    start = time.perf_counter()
    result = dedup_pages(real + retold)
    rate = len(real + retold) / (time.perf_counter() - start)
    clusters, by_id = result["clusters"], {d["id"]: d for d in real}
    linked = {frozenset(pair) for pair in result["overlaps"]}
    found = sum(clusters[r["id"]] == clusters[d["id"]] or frozenset((r["id"], d["id"])) in linked
                for r, d in zip(retold, sources, strict=True))
    between = sorted((by_id[a]["url"], by_id[b]["url"]) for a, b in (sorted(pair) for pair in linked)
                     if a in by_id and b in by_id and by_id[a]["outlet"] != by_id[b]["outlet"])
    return found, between, rate


def neighbours(real: list[dict[str, str]], settings: DedupSettings) -> tuple[int, list[tuple[str, str, int]]]:
    """The sentence test alone on every pair of real bodies of two hosts sharing 5 or more of the rarer
    word stems (held by at most 40 bodies): the topical neighbours, reports of one event written apart
    among them, whether or not dedup's buckets would bring them together. Returns how many pairs, and
    those it would link (urls, sentence pairs)."""
    told = [rewrites.sentences(d["text"].split("\n")) for d in real]
    holders: dict[str, list[int]] = {}
    for k, sentences in enumerate(told):
        for stem in sentences.stems:
            holders.setdefault(stem, []).append(k)
    shared: Counter[tuple[int, int]] = Counter()
    for ks in holders.values():
        if len(ks) <= 40:
            shared.update(combinations(ks, 2))
    pairs = [(a, b) for (a, b), n in shared.items() if n >= 5 and real[a]["outlet"] != real[b]["outlet"]]
    linked = []
    for a, b in sorted(pairs):
        chain = rewrites.retelling(told[a], told[b], settings.rewrite_similarity, settings.rewrite_sentences,
                                   settings.rewrite_share)
        if chain:
            linked.append((real[a]["url"], real[b]["url"], len(chain)))
    return len(pairs), linked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="bodies retold per run")
    parser.add_argument("--keep", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    args = parser.parse_args()
    real = bodies()
    for keep in args.keep:
        found, between, rate = measure(real, keep, args.sample)
        print(f"keep {keep}: {found} of {args.sample} retellings linked to their source ({found / args.sample:.0%}); "
              f"{len(between)} links between real bodies of two hosts; {rate:.0f} docs/s (extraction included)")
        if keep == args.keep[0]:
            for a, b in between:
                print(f"   {a}  <->  {b}")
    count, linked = neighbours(real, Settings.from_env().dedup)
    print(f"topical neighbours (real bodies of two hosts sharing >= 5 rarer stems): {count} pairs, "
          f"{len(linked)} retold by the sentence test alone")
    for a, b, n in linked:
        print(f"   {n} sentences: {a}  <->  {b}")


if __name__ == "__main__":
    main()
