"""Vectorised MinHash: a whole batch of texts (documents and paragraphs) hashed with numpy array
operations, producing exactly the signatures datasketch's `MinHash` (its default `affine32` scheme:
32-bit values, 4 bytes per permutation) computes for the same shingle hash values, so `LeanMinHash`,
`MinHashLSH` and datasketch storage all apply.

Tokens are hashed once per distinct token (crc32, stable across processes), word n-grams combine the
token hashes arithmetically, and the permutations run as one (num_perm x shingles) matrix per
cache-sized chunk, reduced per text with `np.minimum.reduceat`."""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
_MAX_HASH = np.uint64((1 << 32) - 1)
_EMPTY = np.uint32((1 << 32) - 1)  # datasketch's value for a MinHash that saw nothing
_FMIX32 = [np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)]  # MurmurHash3 finalizer
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Every ASCII character but letters and digits separates tokens (as [^\W_]+ does for ASCII text).
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_CHUNK_SHINGLES = 4096  # shingles per permutation matrix: 2 MB at 128 permutations, stays in cache
# Odd 64-bit multipliers for combining token hashes position by position (from splitmix64/xxhash).
_MIXERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
     0x27D4EB2F165667C5, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB],
    dtype=np.uint64,
)


def normalise_tokens(text: str) -> list[str]:
    """Lower-cased word tokens after Unicode compatibility folding: punctuation, quotes, case and
    spacing differences between copies of a text disappear."""
    if text.isascii():  # the same tokens as the regex below, by C-level translate and split
        return text.lower().translate(_ASCII_SEPARATORS).split()
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


_token_hashes: dict[str, int] = {}


def _token_ids(tokens: Sequence[str]) -> np.ndarray:
    """crc32 of each token (stable across processes), computed once per distinct token."""
    cache = _token_hashes
    if len(cache) > 2_000_000:
        cache.clear()  # bounded memory on an endless stream of new words
    found = list(map(cache.get, tokens))
    if None in found:
        for n, value in enumerate(found):
            if value is None:
                found[n] = cache[tokens[n]] = zlib.crc32(tokens[n].encode("utf-8"))
    return np.array(found, dtype=np.uint64)


def _mix_ngrams(ids: np.ndarray, width: int, count: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        combined = np.zeros(count, dtype=np.uint64)
        for pos in range(width):
            combined += ids[pos : pos + count] * _MIXERS[pos % len(_MIXERS)]
        combined ^= combined >> np.uint64(31)
        combined *= np.uint64(0xBF58476D1CE4E5B9)
        combined ^= combined >> np.uint64(29)
    return combined & _MAX_HASH


def shingle_hashes(tokens: Sequence[str], k: int) -> np.ndarray:
    """32-bit hashes of the word k-grams of `tokens` (one shingle for texts shorter than k)."""
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    width = min(k, len(tokens))
    return _mix_ngrams(_token_ids(tokens), width, len(tokens) - width + 1)


def shingle_hashes_batch(token_lists: Sequence[Sequence[str]], k: int) -> list[np.ndarray]:
    """`shingle_hashes` of many texts with one pass of array operations over all their tokens."""
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    flat = [t for tokens in token_lists for t in tokens]
    if not flat:
        return [np.empty(0, dtype=np.uint64) for _ in token_lists]
    mixed = _mix_ngrams(np.concatenate([_token_ids(flat), np.zeros(k, dtype=np.uint64)]), k, len(flat))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    out = []
    for n, (start, length) in enumerate(zip(starts.tolist(), lengths.tolist(), strict=True)):
        if length >= k:  # k-grams that start and end inside this text
            out.append(mixed[start : start + length - k + 1])
        else:
            out.append(shingle_hashes(token_lists[n], k))
    return out


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for (num_perm, seed)."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


def signatures(shingles: Sequence[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (len(shingles) x num_perm, uint32) for many shingle arrays at once."""
    out = np.full((len(shingles), num_perm), _EMPTY, dtype=np.uint32)
    lengths = np.fromiter((len(s) for s in shingles), dtype=np.int64, count=len(shingles))
    nonempty = np.flatnonzero(lengths)
    if not len(nonempty):
        return out
    with np.errstate(over="ignore"):
        values = _fmix32(np.concatenate([shingles[int(i)] for i in nonempty]).astype(np.uint32))
    owner = np.repeat(nonempty, lengths[nonempty])
    a, b = (p[:, None] for p in permutations(num_perm, seed))
    for start in range(0, len(values), _CHUNK_SHINGLES):
        who = owner[start : start + _CHUNK_SHINGLES]
        # (num_perm x shingles): each permutation's values of a text are contiguous, so the per-text
        # minimum below runs along memory; the chunk stays in cache.
        with np.errstate(over="ignore"):
            permuted = values[None, start : start + _CHUNK_SHINGLES] * a
            permuted += b  # wraps modulo 2**32, as datasketch's affine32 scheme does
        # Shingles of one text are contiguous: reduce each run, then merge runs cut by the chunk border.
        starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        mins = np.minimum.reduceat(permuted, starts, axis=1)
        targets = who[starts]
        out[targets] = np.minimum(out[targets], mins.T)
    return out


def signatures_of_texts(texts: Sequence[str], k: int, num_perm: int, seed: int) -> np.ndarray:
    """Signatures of whole texts: tokenise, shingle and sign a batch in one go."""
    return signatures(shingle_hashes_batch([normalise_tokens(t) for t in texts], k), num_perm, seed)


def lean(signature: np.ndarray, seed: int) -> LeanMinHash:
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One signed 64-bit key per (signature, band): rows-wide slices of the signature mixed into one
    integer, with the band number folded in so keys of different bands never meet."""
    if sigs.shape[0] == 0:
        return np.empty((0, bands), dtype=np.int64)
    sliced = sigs[:, : bands * rows].reshape(sigs.shape[0], bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.arange(1, bands + 1, dtype=np.uint64) * _MIXERS[0]
        key = np.broadcast_to(key, (sigs.shape[0], bands)).copy()
        for r in range(rows):
            key = (key ^ sliced[:, :, r]) * _MIXERS[1 + r % (len(_MIXERS) - 1)]
            key ^= key >> np.uint64(32)
    return key.view(np.int64)
