"""Group copies of a story and link reports that share passages.

For each batch of new articles, in arrival order:
1. **exact**: the same normalised text, or the same canonical URL, as an article already seen joins
   its group;
2. **near-duplicate**: LSH candidates (whole-document bands, plus documents sharing a paragraph) are
   verified on their word-shingle sets: Jaccard above `near_duplicate_jaccard`, or the shorter text
   contained in the longer (abridged copies);
3. **overlap**: paragraphs found through the paragraph-level LSH bands and verified above
   `paragraph_similarity` link the article to documents of other groups, pair by pair.

Signatures and bands of earlier runs come from the store: a run hashes only its new articles."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from datasketch.lsh import _optimal_param

from newsdedup.config import DedupSettings
from newsdedup.dedup import minhash
from newsdedup.store.store import Store, StoredArticle

DOC, PARAGRAPH = 0, 1
_MAX_BUCKET = 1000  # members of one LSH bucket beyond which it says nothing about copying


@dataclass
class _Doc:
    """An article prepared for comparison."""

    id: str
    published: str | None
    ingested_at: datetime
    seq: int
    paragraph_words: list[int]
    shingles: frozenset[int]
    paragraph_shingles: dict[int, frozenset[int]]  # only paragraphs long enough to prove copying
    group_id: str | None = None
    canonical_url: str | None = None

    @property
    def canonical_key(self) -> tuple[str, datetime, int]:
        """Earliest published first, then earliest ingested."""
        return (self.published or "9999-12-31", self.ingested_at, self.seq)


@dataclass
class BatchOutcome:
    articles: int = 0
    unique: int = 0
    exact: int = 0
    near: int = 0
    overlaps: int = 0
    new_groups: list[str] = field(default_factory=list)
    top_overlaps: list[tuple[str, str, int]] = field(default_factory=list)  # (a, b, paragraph pairs)

    def merge(self, other: BatchOutcome, keep_top: int = 20) -> None:
        self.articles += other.articles
        self.unique += other.unique
        self.exact += other.exact
        self.near += other.near
        self.overlaps += other.overlaps
        self.new_groups.extend(other.new_groups)
        self.top_overlaps = sorted(self.top_overlaps + other.top_overlaps, key=lambda t: -t[2])[:keep_top]


def text_hash(paragraphs: list[str]) -> str:
    return hashlib.sha256(" ".join(minhash.normalise_tokens(" ".join(paragraphs))).encode()).hexdigest()


class Deduplicator:
    def __init__(self, store: Store, settings: DedupSettings | None = None) -> None:
        self.store = store
        self.settings = settings or DedupSettings()
        s = self.settings
        self.doc_bands = _optimal_param(s.doc_threshold, s.num_perm, 0.5, 0.5)
        self.paragraph_bands = (s.paragraph_bands, s.paragraph_rows)

    # -- preparation -----------------------------------------------------------------------------

    def _prepare(self, stored: StoredArticle) -> tuple[_Doc, list[np.ndarray], list[int]]:
        """Shingle an article: its comparison record, the shingle arrays to sign (document first,
        then the long paragraphs) and those paragraphs' indices."""
        k, min_words = self.settings.shingle_size, self.settings.min_paragraph_words
        tokens = [minhash.normalise_tokens(p) for p in stored.paragraphs]
        para_idx = [i for i, para in enumerate(tokens) if len(para) >= min_words]
        # The whole text and each long paragraph, shingled in one batch call.
        arrays = minhash.shingle_hashes_batch([[t for para in tokens for t in para], *(tokens[i] for i in para_idx)], k)
        para_sets = {i: frozenset(arr.tolist()) for i, arr in zip(para_idx, arrays[1:], strict=True)}
        doc = _Doc(stored.id, stored.published, stored.ingested_at, stored.seq, [len(t) for t in tokens],
                   frozenset(arrays[0].tolist()), para_sets, stored.group_id, stored.canonical_url)
        return doc, arrays, para_idx

    def _known(self, ids: set[str], cache: dict[str, _Doc]) -> None:
        missing = [i for i in ids if i not in cache]
        for stored in self.store.load_articles(missing):
            cache[stored.id] = self._prepare(stored)[0]

    # -- one batch -------------------------------------------------------------------------------

    def run_batch(self, ids: list[str]) -> BatchOutcome:
        """De-duplicate the articles `ids` that are still pending, holding the store's dedup lock:
        concurrent runs over overlapping inputs take turns, and the later one skips what the earlier
        one already placed."""
        with self.store.dedup_lock():
            return self._run_locked(ids)

    def _run_locked(self, ids: list[str]) -> BatchOutcome:
        s = self.settings
        batch = [a for a in self.store.load_articles(ids) if a.group_id is None]
        outcome = BatchOutcome(articles=len(batch))
        if not batch:
            return outcome
        prepared = [self._prepare(a) for a in batch]
        arrays = [arr for _, arrs, _ in prepared for arr in arrs]
        sigs = minhash.signatures(arrays, s.num_perm, s.seed)
        doc_rows = np.cumsum([0] + [len(arrs) for _, arrs, _ in prepared])[:-1]
        doc_keys = minhash.band_keys(sigs[doc_rows], *self.doc_bands)
        para_keys = minhash.band_keys(sigs, *self.paragraph_bands)  # doc rows are skipped when read
        hashes = [text_hash(a.paragraphs) for a in batch]

        # Everything earlier runs know about these keys, fetched once for the whole batch.
        text_owner = self.store.text_hash_owners(hashes)
        url_owner = self.store.canonical_url_owners([a.canonical_url for a in batch if a.canonical_url])
        doc_members = self.store.band_members(DOC, doc_keys.ravel().tolist())
        para_members = self.store.band_members(PARAGRAPH, para_keys.ravel().tolist())
        cache: dict[str, _Doc] = {}
        self._known({a for m in (doc_members, para_members) for v in m.values() for a, _ in v}
                    | set(text_owner.values()) | set(url_owner.values()), cache)
        group_state = self.store.group_canonicals(sorted({d.group_id for d in cache.values() if d.group_id}))
        self._known({c for c, _ in group_state.values()} - set(cache), cache)
        canonical_key = {gid: cache[c].canonical_key for gid, (c, _) in group_state.items() if c in cache}

        decisions: list[dict[str, Any]] = []
        signature_rows: list[dict[str, Any]] = []
        band_rows: list[dict[str, Any]] = []
        overlap_rows: list[dict[str, Any]] = []
        changed_groups: dict[str, tuple[str, int]] = {}

        for n, ((doc, _, para_idx), h) in enumerate(zip(prepared, hashes, strict=True)):
            row = int(doc_rows[n])
            my_doc_keys = doc_keys[n].tolist()
            my_para_keys = {i: para_keys[row + 1 + m].tolist() for m, i in enumerate(para_idx)}

            paragraph_hits = self._paragraph_matches(doc, my_para_keys, para_members, cache)
            kind, matched, similarity = "unique", None, None
            # The same text, or a page declaring the same canonical URL (a re-fetched or re-published copy).
            owner = text_owner.get(h) or (url_owner.get(doc.canonical_url) if doc.canonical_url else None)
            if owner is not None and owner in cache:
                kind, matched, similarity = "exact", owner, 1.0
            else:
                candidates = {a for key in my_doc_keys for a, _ in doc_members.get(key, [])} | set(paragraph_hits)
                best = self._best_near_duplicate(doc, candidates, cache)
                if best is not None:
                    kind, matched, similarity = "near", best[0], best[1]

            if matched is not None:
                gid = cache[matched].group_id
                assert gid is not None
                size = group_state[gid][1] + 1
                canonical = group_state[gid][0]
                if doc.canonical_key < canonical_key[gid]:
                    canonical, canonical_key[gid] = doc.id, doc.canonical_key
                if kind == "exact":
                    outcome.exact += 1
                else:
                    outcome.near += 1
            else:
                gid, size, canonical = doc.id, 1, doc.id
                canonical_key[gid] = doc.canonical_key
                outcome.unique += 1
                outcome.new_groups.append(gid)
            doc.group_id = gid
            group_state[gid] = (canonical, size)
            changed_groups[gid] = (canonical, size)

            for other, pairs in paragraph_hits.items():
                other_doc = cache[other]
                if other_doc.group_id == gid:
                    continue  # copies of one story are grouped, not linked
                if len(pairs) < s.min_overlap_paragraphs and max(sim for _, _, sim in pairs) < s.verbatim_paragraph:
                    continue  # one loosely shared paragraph: a common quote, not a lifted passage
                overlap_rows.append({
                    "article_a": doc.id, "article_b": other, "pairs": [[i, j, round(sim, 3)] for i, j, sim in pairs],
                    "share_a": _share(doc, [i for i, _, _ in pairs]),
                    "share_b": _share(other_doc, [j for _, j, _ in pairs]),
                })
                outcome.overlaps += 1
                outcome.top_overlaps.append((doc.id, other, len(pairs)))

            # Register this article so later ones in the batch (and later runs) find it.
            cache[doc.id] = doc
            text_owner.setdefault(h, doc.id)
            if doc.canonical_url:
                url_owner.setdefault(doc.canonical_url, doc.id)
            signature_rows.append({"article_id": doc.id, "para_idx": -1, "hashvalues": sigs[row].tobytes(),
                                   "n_shingles": len(doc.shingles)})
            for key in my_doc_keys:
                doc_members.setdefault(key, []).append((doc.id, -1))
                band_rows.append({"level": DOC, "key": key, "article_id": doc.id, "para_idx": -1})
            # Paragraphs are indexed by their band keys alone: their signatures are never read again
            # (candidates are verified on the text), so only the document's is kept.
            for i in para_idx:
                for key in my_para_keys[i]:
                    para_members.setdefault(key, []).append((doc.id, i))
                    band_rows.append({"level": PARAGRAPH, "key": key, "article_id": doc.id, "para_idx": i})
            decisions.append({"id": doc.id, "text_hash": h, "group_id": gid, "kind": kind, "matched": matched,
                              "similarity": similarity})

        self.store.save_dedup(decisions, signature_rows, band_rows, overlap_rows, changed_groups)
        outcome.top_overlaps.sort(key=lambda t: -t[2])
        return outcome

    # -- verification ----------------------------------------------------------------------------

    def _best_near_duplicate(self, doc: _Doc, candidates: set[str], cache: dict[str, _Doc]) -> tuple[str, float] | None:
        """The closest candidate `doc` is a copy of, in a group whose fullest candidate member it is
        also a copy of: a report that lifted most of a short excerpt of a story is close to the
        excerpt, not to the story."""
        others = [cache[c] for c in candidates if c in cache and c != doc.id and cache[c].shingles]
        if not doc.shingles or not others:
            return None
        fullest: dict[str | None, _Doc] = {}
        for other in others:
            if other.group_id not in fullest or len(other.shingles) > len(fullest[other.group_id].shingles):
                fullest[other.group_id] = other
        scores = {other.id: self._copy_score(doc, other) for other in others}
        best: tuple[str, float] | None = None
        for other in others:
            score = scores[other.id]
            if score is None or (best is not None and score <= best[1]):
                continue
            if scores[fullest[other.group_id].id] is not None:
                best = (other.id, round(score, 3))
        return best

    def _copy_score(self, doc: _Doc, other: _Doc) -> float | None:
        """How close `doc` is to `other` if it is a copy of it (same story), else None."""
        s = self.settings
        common = len(doc.shingles & other.shingles)
        jaccard = common / len(doc.shingles | other.shingles)
        small, large = sorted((len(doc.shingles), len(other.shingles)))
        contained = common / small
        # An abridged copy is still a good part of the story (a page quoting one paragraph is not);
        # paragraph alignment speaks for noisy or edited copies of about the same length: a short
        # copy of a story aligns as well with any report that lifted most of what it kept.
        ratio = small / large
        is_copy = (
            jaccard >= s.near_duplicate_jaccard
            or (ratio >= s.min_containment_ratio and contained >= s.containment)
            or (ratio >= s.min_aligned_ratio and _aligned_share(doc, other, s.align_similarity) >= s.aligned_share))
        return max(jaccard, contained) if is_copy else None

    def _paragraph_matches(
        self,
        doc: _Doc,
        my_keys: dict[int, list[int]],
        members: dict[int, list[tuple[str, int]]],
        cache: dict[str, _Doc],
    ) -> dict[str, list[tuple[int, int, float]]]:
        """Verified paragraph pairs with each article that shares an LSH bucket with one of this
        article's paragraphs: all their paragraph pairs are compared exactly, one partner per
        paragraph on each side. A bucket shared by very many paragraphs is boilerplate, not evidence."""
        threshold = self.settings.paragraph_similarity
        others: set[str] = set()
        for keys in my_keys.values():
            for key in keys:
                bucket = members.get(key, [])
                if len(bucket) <= _MAX_BUCKET:
                    others.update(other_id for other_id, _ in bucket)
        others.discard(doc.id)
        scored: list[tuple[float, str, int, int]] = []
        for other_id in others:
            other = cache.get(other_id)
            if other is None:
                continue
            for i, mine in doc.paragraph_shingles.items():
                for j, theirs in other.paragraph_shingles.items():
                    common = len(mine & theirs)
                    if common and common >= threshold * (len(mine) + len(theirs) - common):
                        scored.append((common / (len(mine) + len(theirs) - common), other_id, i, j))
        pairs: dict[str, list[tuple[int, int, float]]] = {}
        used: Counter[tuple[str, str, int]] = Counter()
        for sim, other_id, i, j in sorted(scored, reverse=True):
            if used[(other_id, "a", i)] or used[(other_id, "b", j)]:
                continue
            used[(other_id, "a", i)] += 1
            used[(other_id, "b", j)] += 1
            pairs.setdefault(other_id, []).append((i, j, sim))
        return {other: sorted(p) for other, p in pairs.items()}


def _aligned_share(a: _Doc, b: _Doc, threshold: float) -> float:
    """Share of the shorter document's (long-paragraph) words in paragraphs found in the other."""
    words_a = sum(a.paragraph_words[i] for i in a.paragraph_shingles)
    words_b = sum(b.paragraph_words[i] for i in b.paragraph_shingles)
    short, other = (a, b) if words_a <= words_b else (b, a)
    total = min(words_a, words_b)
    if not total:
        return 0.0
    theirs = list(other.paragraph_shingles.values())
    found = sum(short.paragraph_words[i] for i, mine in short.paragraph_shingles.items()
                if any(len(mine & t) >= threshold * len(mine | t) for t in theirs))
    return found / total


def _share(doc: _Doc, paragraphs: list[int]) -> float:
    total = sum(doc.paragraph_words) or 1
    return round(sum(doc.paragraph_words[i] for i in set(paragraphs)) / total, 3)
