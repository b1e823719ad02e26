"""MinHash signatures per second on one core, 400-word documents: newsdedup's vectorised batch
signatures beside datasketch (per-token `update`, `update_batch`) and rensa, in one run.

    .venv/bin/python benchmarks/minhash.py [--docs 2000] [--num-perm 128]

Every contender gets the same documents and the same word 3-gram shingling; times include
tokenising and shingling (for datasketch and rensa, by a Python tokeniser with the same rule, as
they take strings). newsdedup's signatures are checked to equal datasketch's on the same shingle
hashes before anything is timed."""

from __future__ import annotations

import argparse
import os
import random
import re
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from datasketch import MinHash

from newsdedup.dedup import minhash

WORDS = 400


def corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}{'x' * (i % 7)}" for i in range(20_000)]
    return [" ".join(rng.choices(vocabulary, k=WORDS)) for _ in range(n)]


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """newsdedup's token rule, as Python strings for the contenders that take strings."""
    return _WORD.findall(minhash.normalise(text).lower())


def shingles_of(text: str) -> list[bytes]:
    tokens = words(text)
    return [" ".join(tokens[i:i + 3]).encode() for i in range(len(tokens) - 2)]


def bench(name: str, fn: object, docs: list[str], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(docs)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    rate = len(docs) / best
    print(f"{name:<38} {rate:>10,.0f} docs/s")
    return rate


def newsdedup_batch(docs: list[str], num_perm: int) -> np.ndarray:
    return minhash.signatures_of_texts(docs, 3, num_perm, 1)


def datasketch_update(docs: list[str], num_perm: int) -> None:
    for text in docs:
        m = MinHash(num_perm=num_perm)
        for s in shingles_of(text):
            m.update(s)


def datasketch_update_batch(docs: list[str], num_perm: int) -> None:
    for text in docs:
        m = MinHash(num_perm=num_perm)
        m.update_batch(shingles_of(text))


def rensa_minhash(docs: list[str], num_perm: int) -> None:
    from rensa import RMinHash

    for text in docs:
        m = RMinHash(num_perm=num_perm, seed=1)
        tokens = words(text)
        m.update([" ".join(t) for t in zip(*(tokens[i:] for i in range(3)), strict=False)])
        m.digest()


def check_equal(docs: list[str], num_perm: int) -> None:
    sigs = newsdedup_batch(docs[:20], num_perm)
    tokens = minhash.tokenise(docs[:20])
    values, offsets = minhash.shingles(tokens.hashes, tokens.offsets[:-1], tokens.counts, 3)
    for n, sig in enumerate(sigs):
        reference = MinHash(num_perm=num_perm, seed=1, hashfunc=lambda v: v, scheme=minhash.SCHEME)
        reference.update_batch(values[offsets[n] : offsets[n + 1]].tolist())
        assert np.array_equal(reference.hashvalues, sig), "signatures differ from datasketch's"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--num-perm", type=int, default=128)
    args = parser.parse_args()
    docs = corpus(args.docs)
    check_equal(docs, args.num_perm)
    print(f"{args.docs} documents of {WORDS} words, word 3-grams, num_perm={args.num_perm}, one core")
    few = docs[: max(200, args.docs // 10)]
    bench("datasketch MinHash.update (per token)", lambda d: datasketch_update(d, args.num_perm), few)
    bench("datasketch MinHash.update_batch", lambda d: datasketch_update_batch(d, args.num_perm), few)
    try:
        bench("rensa RMinHash (Rust)", lambda d: rensa_minhash(d, args.num_perm), docs, repeat=3)
    except ImportError:
        print("rensa                                  not installed (pip install '.[bench]')")
    rate = bench("newsdedup vectorised batch", lambda d: newsdedup_batch(d, args.num_perm), docs, repeat=5)
    print(f"docs_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
