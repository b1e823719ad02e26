"""Vectorised MinHash: a whole batch of texts tokenised, shingled and signed with numpy array
operations, producing exactly the signatures datasketch's `MinHash` (its default `affine32` scheme:
32-bit values, 4 bytes per permutation) computes for the same shingle hash values, so `LeanMinHash`,
`MinHashLSH` and datasketch storage all apply.

No Python object is made per token: the batch's text becomes one byte string (letters lower-cased,
every other ASCII character a space), token boundaries are where that changes, and each token's hash
is a polynomial over its bytes read off one prefix sum. Word n-grams combine token hashes
arithmetically, and the permutations run as one (num_perm x shingles) matrix per cache-sized chunk,
reduced per text with `np.minimum.reduceat`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
_MAX_HASH = np.uint64((1 << 32) - 1)
_EMPTY = np.uint32((1 << 32) - 1)  # datasketch's value for a MinHash that saw nothing
_FMIX32 = [np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)]  # MurmurHash3 finalizer
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SPACE = 32
# Byte classes after UTF-8 encoding: ASCII letters (lower-cased) and digits are token bytes, every
# other ASCII byte separates tokens, and bytes of multi-byte characters belong to tokens (text with
# such characters is tokenised by the Unicode rule first, so only its tokens' bytes are left).
_BYTE_CLASS = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 or c >= 128 else _SPACE
                    for c in range(256))
_POLY = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64: a token's hash is read off a prefix sum
_CHUNK_BYTES = 1 << 18  # text tokenised per array pass: its arrays (2 MB) stay in cache
_CHUNK_SHINGLES = 8192  # shingles per permutation matrix: 4 MB at 128 permutations
# Odd 64-bit multipliers for combining token hashes position by position (from splitmix64/xxhash).
_MIXERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
     0x27D4EB2F165667C5, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB],
    dtype=np.uint64,
)


def normalise(text: str) -> str:
    """The text as its tokens see it: NFKC-folded, case-folded word tokens separated by spaces
    (`[^\\W_]+`: letters and digits). Punctuation, quotes, case and spacing differences between copies
    of a text disappear. ASCII text is left as it is: the byte classes do the same for it."""
    return text if text.isascii() else " ".join(_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


@dataclass(frozen=True)
class Tokens:
    """Token hashes of many texts, concatenated: text i's are `hashes[offsets[i]:offsets[i + 1]]`."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, one more than there are texts

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


class _Powers:
    """POLY**i and its inverse modulo 2**64 for i < n, grown on demand and kept."""

    def __init__(self) -> None:
        self.up = self.down = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up))
            with np.errstate(over="ignore"):
                self.up = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, _POLY, dtype=np.uint64)], dtype=np.uint64)
                inverse = pow(_POLY, -1, 1 << 64)
                self.down = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, inverse, dtype=np.uint64)],
                                       dtype=np.uint64)
        return self.up, self.down


_powers = _Powers()


def _fmix64(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    return h


def _hash_chunk(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes of a few texts' UTF-8 bytes, and how many tokens each has."""
    joined = b" ".join(encoded).translate(_BYTE_CLASS)
    data = np.frombuffer(joined, dtype=np.uint8)
    edges = np.flatnonzero(np.diff(data != _SPACE, prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]
    up, down = _powers.get(len(data) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(data) + 1, dtype=np.uint64)
        np.cumsum(data * up[: len(data)], out=prefix[1:])
        hashes = _fmix64((prefix[ends] - prefix[starts]) * down[starts])
    text_starts = np.cumsum([0] + [len(e) + 1 for e in encoded])
    return hashes, np.diff(np.searchsorted(starts, text_starts))


def tokenise(texts: Sequence[str]) -> Tokens:
    """64-bit hashes of the normalised word tokens of every text (stable across processes)."""
    encoded = [normalise(t).encode("utf-8") for t in texts]
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    start = size = 0
    for end, data in enumerate(encoded):
        size += len(data) + 1
        if size >= _CHUNK_BYTES or end == len(encoded) - 1:
            chunk_hashes, chunk_counts = _hash_chunk(encoded[start : end + 1])
            hashes.append(chunk_hashes)
            counts.append(chunk_counts)
            start, size = end + 1, 0
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return Tokens(np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64), offsets)


def _mix_ngrams(ids: np.ndarray, width: int, count: int) -> np.ndarray:
    """32-bit hashes of the `count` n-grams of `width` token hashes starting at each position."""
    with np.errstate(over="ignore"):
        combined = np.zeros(count, dtype=np.uint64)
        for pos in range(width):
            combined += ids[pos : pos + count] * _MIXERS[pos % len(_MIXERS)]
        combined ^= combined >> np.uint64(31)
        combined *= np.uint64(0xBF58476D1CE4E5B9)
        combined ^= combined >> np.uint64(29)
    return combined & _MAX_HASH


def shingles(hashes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Word k-gram hashes of token segments (segment s is `hashes[starts[s]:starts[s] + lengths[s]]`),
    concatenated: segment s's are `values[offsets[s]:offsets[s + 1]]`. A segment shorter than k
    tokens has one shingle of all its tokens; an empty one has none."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    full = lengths >= k
    counts = np.where(full, lengths - k + 1, np.minimum(lengths, 1))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = np.empty(int(offsets[-1]), dtype=np.uint64)
    if full.any():
        mixed = _mix_ngrams(np.concatenate([hashes, np.zeros(k, dtype=np.uint64)]), k, len(hashes))
        full_counts = counts[full]
        owner = np.repeat(np.flatnonzero(full), full_counts)
        position = np.arange(len(owner)) - np.repeat(np.cumsum(full_counts) - full_counts, full_counts)
        values[offsets[:-1][owner] + position] = mixed[starts[owner] + position]
    for s in np.flatnonzero(~full & (lengths > 0)).tolist():
        values[offsets[s]] = _mix_ngrams(hashes[starts[s] : starts[s] + lengths[s]], int(lengths[s]), 1)[0]
    return values, offsets


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+", re.UNICODE)
_CHAR_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's prime: odd, spreads each code point's bits


# Letters of a text that copies are compared on: about 200,000 words, more than any article. Beyond it
# a huge page (a 20 MB text file) would cost gigabytes of window arrays and say nothing more.
MAX_LETTERS = 1_000_000


def letters(text: str) -> str:
    """The text's letters and digits only, case-folded: spaces, punctuation and line breaks gone, so an
    OCR'd word split in two ("im portant") or two run together ("leastI and") reads as in the original,
    and scripts written without spaces (Chinese, Japanese, Thai) are handled like any other."""
    return _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", text).casefold())[:MAX_LETTERS]


def opening_letters(text: str, n: int) -> str:
    """`letters(text)[:n]`, normalising no more of the text than it takes: openings are asked of every
    article, and its whole text need not be read for them. (A prefix read to more than n letters gives
    the same first n: only its last letter may sit at the cut.)"""
    head = letters(text[: 2 * n])
    return head[:n] if len(head) > n or len(text) <= 2 * n else letters(text)[:n]


def char_windows(letters_only: str, k: int) -> np.ndarray:
    """64-bit hashes of the k-character windows of a text already reduced by `letters`, in reading
    order (one window when it is shorter than k, none when empty)."""
    points = np.frombuffer(letters_only.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) == 0:
        return np.empty(0, dtype=np.uint64)
    width = min(k, len(points))
    with np.errstate(over="ignore"):
        combined = np.zeros(len(points) - width + 1, dtype=np.uint64)
        for pos in range(width):
            combined = (combined ^ points[pos : pos + len(combined)]) * _CHAR_MULTIPLIER
    return _fmix64(combined)


_BETWEEN_TEXTS = "\x00"
_NOT_LETTER_DIGIT_OR_SEPARATOR = re.compile(r"[^\w\x00]+|_+", re.UNICODE)


def char_shingle_sets(texts: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """`char_shingles` of many texts at once, concatenated: text i's sorted distinct window hashes are
    `values[offsets[i]:offsets[i + 1]]`. One regular-expression pass and one array pass for the whole
    batch instead of a few Python calls per paragraph."""
    joined = unicodedata.normalize("NFKC", _BETWEEN_TEXTS.join(t.replace(_BETWEEN_TEXTS, "") for t in texts)).casefold()
    parts = [part[:MAX_LETTERS] for part in _NOT_LETTER_DIGIT_OR_SEPARATOR.sub("", joined).split(_BETWEEN_TEXTS)]
    lengths = np.array([len(part) for part in parts], dtype=np.int64)
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    windows = char_windows("".join(parts), k)  # across the joined texts; those crossing a border unused
    full = lengths >= k  # texts with whole windows; shorter ones have one window of all they hold
    counts = np.where(full, lengths - k + 1, np.minimum(lengths, 1))
    owner = np.repeat(np.arange(len(parts)), counts)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)
    hashes = np.empty(len(owner), dtype=np.uint64)
    in_full = np.repeat(full, counts)
    if in_full.any():
        hashes[in_full] = windows[position[in_full]]
    for text in np.flatnonzero(~full & (lengths > 0)).tolist():
        hashes[int(np.searchsorted(owner, text))] = char_windows(parts[text], k)[0]
    offsets = np.searchsorted(owner, np.arange(len(parts) + 1)).tolist()
    for text in np.flatnonzero(counts > 1).tolist():  # in place, text by text: cheaper than one lexsort
        hashes[offsets[text] : offsets[text + 1]].sort()
    keep = np.r_[True, (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])] if len(hashes) else np.ones(0, bool)
    owner, hashes = owner[keep], hashes[keep]
    offsets = np.searchsorted(owner, np.arange(len(parts) + 1)).astype(np.int64)
    return hashes, offsets


def char_shingles(text: str, k: int) -> np.ndarray:
    """Sorted distinct hashes of the k-character windows of `letters(text)`. A character of noise
    spoils k windows, a noisy word spoils whole word n-grams: at 2 % character noise about 87 % of
    7-character windows survive."""
    windows = np.sort(char_windows(letters(text), k))
    # Sorted, then runs dropped: np.unique's hash table costs more than this on arrays this small.
    return windows[np.r_[True, windows[1:] != windows[:-1]]] if len(windows) else windows


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


def signatures(values: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (texts x num_perm, uint32) of many shingle sets at once: text i's shingle
    hashes are `values[offsets[i]:offsets[i + 1]]`."""
    lengths = np.diff(offsets)
    out = np.full((len(lengths), num_perm), _EMPTY, dtype=np.uint32)
    if not len(values):
        return out
    with np.errstate(over="ignore"):
        hashed = _fmix32(values.astype(np.uint32))
    owner = np.repeat(np.arange(len(lengths)), lengths)
    a, b = (p[:, None] for p in permutations(num_perm, seed))
    # (num_perm x shingles) per chunk, in one buffer reused: each permutation's values of a text are
    # contiguous, so the per-text minimum below runs along memory, and no fresh pages are touched.
    buffer = np.empty((num_perm, min(_CHUNK_SHINGLES, len(hashed))), dtype=np.uint32)
    for start in range(0, len(hashed), _CHUNK_SHINGLES):
        who = owner[start : start + _CHUNK_SHINGLES]
        permuted = buffer[:, : len(who)]
        np.multiply(hashed[None, start : start + _CHUNK_SHINGLES], a, out=permuted)
        np.add(permuted, b, out=permuted)  # wraps modulo 2**32, as datasketch's affine32 scheme does
        # Shingles of one text are contiguous: reduce each run, then merge runs cut by the chunk border.
        runs = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        mins = np.minimum.reduceat(permuted, runs, axis=1)
        targets = who[runs]
        out[targets] = np.minimum(out[targets], mins.T)
    return out


def signatures_of_texts(texts: Sequence[str], k: int, num_perm: int, seed: int) -> np.ndarray:
    """Signatures of whole texts: tokenise, shingle and sign a batch in one go."""
    tokens = tokenise(texts)
    values, offsets = shingles(tokens.hashes, tokens.offsets[:-1], tokens.counts, k)
    return signatures(values, offsets, num_perm, seed)


def lean(signature: np.ndarray, seed: int) -> LeanMinHash:
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)


def band_keys(sigs: np.ndarray, bands: int, rows: int, salt: int = 0) -> np.ndarray:
    """One signed 64-bit key per (signature, band): rows-wide slices of the signature mixed into one
    integer, with the band number and `salt` folded in so keys of different bands (and of different
    indexes sharing one table) never meet."""
    if sigs.shape[0] == 0:
        return np.empty((0, bands), dtype=np.int64)
    sliced = sigs[:, : bands * rows].reshape(sigs.shape[0], bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = (np.arange(1, bands + 1, dtype=np.uint64) + np.uint64(salt << 16)) * _MIXERS[0]
        key = np.broadcast_to(key, (sigs.shape[0], bands)).copy()
        for r in range(rows):
            key = (key ^ sliced[:, :, r]) * _MIXERS[1 + r % (len(_MIXERS) - 1)]
            key ^= key >> np.uint64(32)
    return key.view(np.int64)
