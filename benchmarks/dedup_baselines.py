"""Plain datasketch MinHashLSH de-duplicators, behind score_dedup.py's `function(docs)` interface: what a
user writes instead of newsdedup. Each hashes the raw text's word n-grams, queries a MinHashLSH index
in arrival order and joins a document to the group of its first candidate (optionally only when the
exact Jaccard of the two shingle sets reaches a floor). No extraction, no overlap links."""

from __future__ import annotations

import re
from typing import Any

from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"\w+")


def _shingles(text: str, k: int) -> set[bytes]:
    words = _WORD.findall(text.casefold())
    return {" ".join(words[i : i + k]).encode() for i in range(max(1, len(words) - k + 1))} if words else set()


def _groups(docs: list[dict[str, Any]], k: int, threshold: float, verify: float | None) -> dict[str, Any]:
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    group: dict[str, str] = {}
    sets: dict[str, set[bytes]] = {}
    for doc in docs:
        shingles = _shingles(doc["text"], k)
        signature = MinHash(num_perm=128)
        signature.update_batch(list(shingles))
        sets[doc["id"]] = shingles
        match = None
        for other in sorted(lsh.query(signature)):  # sorted: independent of the hash seed
            if verify is None or len(shingles & sets[other]) >= verify * len(shingles | sets[other]):
                match = other
                break
        group[doc["id"]] = group[match] if match else doc["id"]
        lsh.insert(doc["id"], signature)
    return {"clusters": group, "overlaps": []}


def lsh_5grams_at_05(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return _groups(docs, 5, 0.5, None)


def lsh_3grams_at_03(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return _groups(docs, 3, 0.3, None)


def lsh_3grams_at_02_checked(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return _groups(docs, 3, 0.2, 0.2)
