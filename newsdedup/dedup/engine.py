"""Group copies of a story and link reports that share passages.

For each batch of new articles, in arrival order:
1. **exact**: the same normalised text, or the same canonical URL, as an article already seen joins
   its group;
2. **near-duplicate**: LSH candidates (whole-document bands, plus documents sharing a paragraph) are
   verified on the character windows of their letters (noise-tolerant): Jaccard above
   `near_duplicate_jaccard`, or most of the shorter text found in the longer with both opening alike
   (abridged, edited or OCR-noised copies; a report lifting passages from the middle opens otherwise);
3. **overlap**: paragraphs found through the paragraph-level LSH bands and verified above
   `paragraph_similarity` link the article to documents of other groups, pair by pair;
4. **rewrite**: a document of another group, among those the article was compared with, whose
   sentences it retells in other words and in the same order (rewrites.retelling) is linked too.

Signatures and bands of earlier runs come from the store: a run hashes only its new articles. The
store records the parameters its index was built with; when they change (shingle size, permutations,
banding, or how tokens are hashed), the index is rebuilt from the stored articles before new ones
are compared, so old and new band keys never silently miss each other."""

from __future__ import annotations

import contextlib
import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from newsdedup.config import DedupSettings
from newsdedup.dedup import minhash, rewrites
from newsdedup.store.store import ArticleFacts, IndexRows, Store, StoredArticle

DOC, PARAGRAPH, OPENING = 0, 1, 2  # band-key salts: document, paragraph and opening buckets share one table
_MAX_BUCKET = 1000  # members of one LSH bucket beyond which it says nothing about copying
_CLOSEST_PER_GROUP = 2  # members of a candidate story compared besides its fullest (see _shortlist)
# A paragraph that more stories than this already hold is boilerplate of many outlets (a wire service's
# notice, a disclaimer, a platform's comment rules), never evidence of copying: a lifted passage is
# shared by its source, the report and perhaps a report lifting from that (copies of one story count
# once). On 4,257 real dev articles, each page its own outlet, the paragraphs in more than three stories
# were comment rules (12 stories), "The views and opinions expressed ..." (6), a TypePad trackback
# notice, a site's "Follow us" line and an agency's press-release footer (4 each).
_COMMON_STORIES = 3
# Long paragraphs of a text that are signed and compared for shared passages: news runs to a few hundred
# at most, and two texts' paragraphs are compared pair by pair, so a book-length page is compared on its
# first ones (two 3 MB texts of 8,000 and 50,000 paragraphs took 74 s, every other page waiting).
MAX_PARAGRAPHS = 1000
# Bump when band keys of the same text would change (tokenising, shingles or key hashing), or what is
# stored. 3: signed on character windows; 4: no key list per article on SQLite.
INDEX_FORMAT = 4
_INDEX_META = "dedup_index"
_REINDEX_BATCH = 1000
# Below this share of the shorter text's windows found in the other, two texts are not compared sentence
# by sentence: a retelling keeps its source's names and long words (retold dev bodies linked: 0.23 and
# up), while most candidates of other stories met through one shared line or bucket (86 % of those on
# benchmarks/pipeline.py's pages keep under 0.1: their sentences are not read).
_RETOLD_WINDOWS = 0.1
_Pairs = list[tuple[int, int, float]]  # (paragraph here, paragraph there, similarity) of a link
_RUN, _RUN_SHARED = 32, 20  # where shared text begins: 20 of 32 consecutive character windows found


class _Shingled:
    """A batch's shingle hashes (texts concatenated) from which each article's sets are made when
    first compared: most articles meet no candidate, and sets of Python ints are costly to build."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        self.values, self.offsets = values, offsets.tolist()

    def set_of(self, text: int) -> frozenset[int]:
        return frozenset(self.values[self.offsets[text] : self.offsets[text + 1]].tolist())


@dataclass
class _Doc:
    """An article prepared for comparison."""

    id: str
    published: str | None
    ingested_at: datetime
    seq: int
    paragraphs: list[str]
    paragraph_words: list[int]
    text_hash: str  # of the normalised text: the same for exact copies
    source: _Shingled
    paragraph_texts: dict[int, int]  # paragraph index -> place in `source`, for paragraphs long enough to prove copying
    body: str  # the paragraphs, for the character windows copies are verified on
    window: int  # characters per window
    lede_offset: int  # letters within which the text two copies share must begin
    canonical_url: str | None = None
    outlet: str = ""  # "" when unknown
    # Sorted distinct character windows of the whole text (minhash.char_shingles): set for a batch at
    # once when it is signed, else computed for the few stored articles that meet a candidate.
    known_windows: np.ndarray | None = None

    @property
    def windows(self) -> np.ndarray:
        if self.known_windows is None:
            self.known_windows = minhash.char_shingles(self.body, self.window)
        return self.known_windows

    @cached_property
    def opening(self) -> np.ndarray:
        """Character windows of the text's opening, in reading order."""
        return minhash.char_windows(minhash.opening_letters(self.body, self.lede_offset + _RUN + self.window),
                                    self.window)

    @cached_property
    def paragraph_shingles(self) -> dict[int, frozenset[int]]:
        return {i: self.source.set_of(t) for i, t in self.paragraph_texts.items()}

    @cached_property
    def sentences(self) -> rewrites.Sentences:
        return rewrites.sentences(self.paragraphs)


@dataclass
class BatchOutcome:
    articles: int = 0
    unique: int = 0
    exact: int = 0
    near: int = 0
    overlaps: int = 0
    merged: int = 0  # groups found to be one story with another, and merged into it
    new_groups: list[str] = field(default_factory=list)
    reindexed: int = 0  # articles whose index entries were rebuilt (new index parameters)
    expired: int = 0  # articles that left the index, older than the matching window
    top_overlaps: list[tuple[str, str, int]] = field(default_factory=list)  # (a, b, paragraph pairs)

    def merge(self, other: BatchOutcome, keep_top: int = 20) -> None:
        self.articles += other.articles
        self.unique += other.unique
        self.exact += other.exact
        self.near += other.near
        self.overlaps += other.overlaps
        self.merged += other.merged
        self.reindexed += other.reindexed
        self.expired += other.expired
        self.new_groups.extend(other.new_groups)
        self.top_overlaps = sorted(self.top_overlaps + other.top_overlaps, key=lambda t: -t[2])[:keep_top]


@lru_cache(maxsize=16)
def member_key(article_id: str) -> int:
    """The signed 64-bit key that names an article in the LSH buckets."""
    return int.from_bytes(hashlib.blake2b(article_id.encode(), digest_size=8).digest(), "big", signed=True)


@dataclass
class _Signed:
    """A batch's index entries: document band keys per article, paragraph band keys per article
    (one row per long paragraph), and the rows the store keeps."""

    doc_keys: np.ndarray
    paragraph_keys: list[np.ndarray]
    rows: IndexRows


class Deduplicator:
    def __init__(self, store: Store, settings: DedupSettings | None = None) -> None:
        self.store = store
        self.settings = settings or DedupSettings()
        s = self.settings
        self.doc_bands: tuple[int, int] = (s.doc_bands, s.doc_rows)
        self.paragraph_bands: tuple[int, int] = (s.paragraph_bands, s.paragraph_rows)
        # Without a matching window an article whose text is exactly an earlier one's adds nothing to the
        # index (the same keys would bring the same candidates; it is found by its text hash): wire copy
        # re-published verbatim costs no index rows. With a window every copy is indexed, so that a copy
        # within the window still finds the story when its first run has left.
        self.index_text_copies = bool(s.match_window_days)
        self.index_parameters = (f"format={INDEX_FORMAT} k={s.shingle_size} perm={s.num_perm} seed={s.seed} "
                                 f"doc={self.doc_bands[0]}x{self.doc_bands[1]} "
                                 f"paragraph={s.paragraph_bands}x{s.paragraph_rows} words={s.min_paragraph_words} "
                                 f"window={s.char_shingle_size} text_copies={int(self.index_text_copies)} "
                                 f"opening={s.opening_bands}x{s.opening_rows}/{s.opening_letters}")

    # -- preparation -----------------------------------------------------------------------------

    def prepare(self, stored: list[StoredArticle], sign: bool = True) -> tuple[list[_Doc], _Signed | None]:
        """Shingle a batch of articles for comparison, all in one pass of array operations: each
        article's paragraphs long enough to prove copying and, with `sign`, its character windows, the
        MinHash signatures, band keys and the index rows to keep."""
        s = self.settings
        tokens = minhash.tokenise([p for a in stored for p in a.paragraphs])
        words = tokens.counts
        bounds = np.cumsum([0] + [len(a.paragraphs) for a in stored])  # article a: paragraphs bounds[a]:bounds[a+1]
        long = np.flatnonzero(words >= s.min_paragraph_words)
        first_long = np.searchsorted(long, bounds)  # each article's first long paragraph, in `long`
        rank = np.arange(len(long)) - first_long[np.searchsorted(bounds, long, "right") - 1]
        long = long[rank < MAX_PARAGRAPHS]
        # Word n-grams of the long paragraphs only: they verify shared passages (whole texts are
        # compared on their character windows).
        values, offsets = minhash.shingles(tokens.hashes, tokens.offsets[long], words[long], s.shingle_size)
        source = _Shingled(values, offsets)
        long_bounds = np.searchsorted(long, bounds).tolist()  # article a: long[long_bounds[a]:long_bounds[a+1]]
        words_list, long_list, n = words.tolist(), long.tolist(), len(stored)
        token_bytes = tokens.hashes.tobytes()  # the text hash is over the article's token hashes
        token_bounds, paragraph_bounds = tokens.offsets[bounds].tolist(), bounds.tolist()
        docs = []
        for a, article in enumerate(stored):
            first = paragraph_bounds[a]
            text = token_bytes[8 * token_bounds[a] : 8 * token_bounds[a + 1]]
            docs.append(_Doc(
                article.id, article.published, article.ingested_at, article.seq, article.paragraphs,
                words_list[first : paragraph_bounds[a + 1]], hashlib.sha256(text).hexdigest(), source,
                {long_list[m] - first: m for m in range(long_bounds[a], long_bounds[a + 1])},
                "\n".join(article.paragraphs), s.char_shingle_size, s.lede_offset,
                article.canonical_url, article.outlet))
        if not sign:
            return docs, None
        k = s.char_shingle_size
        doc_windows, doc_offsets = minhash.char_shingle_sets([d.body for d in docs], k)
        for a, d in enumerate(docs):
            d.known_windows = doc_windows[doc_offsets[a] : doc_offsets[a + 1]]
        # Signed on character windows (noise-tolerant, like the verification), every article's and
        # every long paragraph's; a fixed quarter of the windows by hash value keeps signing as cheap as
        # word n-grams were, and a MinHash of that sample still estimates the Jaccard of the whole sets.
        paragraphs = [p for a in stored for p in a.paragraphs]
        paragraph_windows, paragraph_offsets = minhash.char_shingle_sets([paragraphs[m] for m in long_list], k)
        values = np.concatenate([doc_windows, paragraph_windows])
        counts = np.diff(np.concatenate([doc_offsets, paragraph_offsets[1:] + doc_offsets[-1]]))
        owner = np.repeat(np.arange(len(counts)), counts)
        sampled = (np.repeat(counts, counts) < 16) | ((values & np.uint64(3)) == 0)
        window_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner[sampled], minlength=len(counts)), out=window_offsets[1:])
        sigs = minhash.signatures(values[sampled], window_offsets, s.num_perm, s.seed)
        # An article's opening, signed apart: a reprint cut short or copy-edited keeps the story's
        # opening, so its copies meet there even when too little of the whole text is shared for the
        # whole-text bands to bring them together (the copies the verification's lede test accepts).
        openings = [minhash.opening_letters(d.body, s.opening_letters) for d in docs]
        opening_windows, opening_offsets = minhash.char_shingle_sets(openings, k)
        opening_sigs = minhash.signatures(opening_windows, opening_offsets, s.opening_bands * s.opening_rows, s.seed)
        doc_keys = np.hstack([minhash.band_keys(sigs[:n], *self.doc_bands, salt=DOC),
                              minhash.band_keys(opening_sigs, s.opening_bands, s.opening_rows, salt=OPENING)])
        all_paragraph_keys = minhash.band_keys(sigs[n:], *self.paragraph_bands, salt=PARAGRAPH)
        paragraph_keys = [all_paragraph_keys[long_bounds[a] : long_bounds[a + 1]] for a in range(n)]
        member = np.array([member_key(d.id) for d in docs], dtype=np.int64)
        documents = [(int(member[a]), d.id) for a, d in enumerate(docs)]
        # Bucket rows of the whole batch at once, each (key, article) once, sorted by key: B-tree
        # inserts in key order touch each page once instead of at random.
        keys = np.concatenate([doc_keys.ravel(), all_paragraph_keys.ravel()])
        owners = np.concatenate([np.repeat(member, doc_keys.shape[1]),
                                 np.repeat(member[np.searchsorted(long_bounds[1:], np.arange(len(long)), "right")],
                                           all_paragraph_keys.shape[1])])
        order = np.lexsort((owners, keys))
        keys, owners = keys[order], owners[order]
        first = np.r_[True, (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])]
        buckets = list(zip(keys[first].tolist(), owners[first].tolist(), strict=True))
        return docs, _Signed(doc_keys, paragraph_keys, IndexRows(documents, buckets))

    def _known(self, ids: set[str], cache: dict[str, _Doc]) -> None:
        missing = [i for i in ids if i not in cache]
        if missing:
            for doc in self.prepare(self.store.load_articles(missing), sign=False)[0]:
                cache[doc.id] = doc

    # -- the index ---------------------------------------------------------------------------------

    def ensure_index(self) -> int:
        """Rebuild the store's index when it was built with other parameters (or by an earlier
        version); returns how many articles were re-indexed. Runs under the dedup lock."""
        if self.store.meta(_INDEX_META) == self.index_parameters:
            return 0
        placed = self.store.placed_articles()
        self.store.clear_index()
        texts: set[str] = set()
        for start in range(0, len(placed), _REINDEX_BATCH):
            docs, signed = self.prepare(self.store.load_articles(placed[start : start + _REINDEX_BATCH]))
            assert signed is not None
            copies = set()
            for d in docs:
                if d.text_hash in texts and not self.index_text_copies:
                    copies.add(d.id)
                texts.add(d.text_hash)
            self.store.reindex(signed.rows.without(copies), [(d.id, d.text_hash) for d in docs])
        self.store.set_meta(_INDEX_META, self.index_parameters)
        return len(placed)

    def expire_index(self) -> int:
        """With a matching window, take out of the index the articles that can no longer match anything
        new: those that ran more than `match_window_days` plus `index_margin_days` before the newest one
        indexed (a day taken from the data, not the clock, so a re-run expires the same). Their records
        keep their groups and links. Returns how many left the index."""
        s = self.settings
        if not s.match_window_days:
            return 0
        with self.store.dedup_lock():
            newest = self.store.newest_indexed_day()
            if newest is None:
                return 0
            cutoff = newest - timedelta(days=s.match_window_days + s.index_margin_days)
            self.ensure_index()  # the keys made again below are those the index holds
            leaving, dropped = self.store.index_entries_before(cutoff), 0
            for start in range(0, len(leaving), _REINDEX_BATCH):
                dropped += self.store.drop_index_entries(self.leaving_rows(leaving[start : start + _REINDEX_BATCH]))
            return dropped

    def leaving_rows(self, article_ids: list[str]) -> IndexRows:
        """What the store needs to take stored articles out of the index: their bucket rows made again
        from their texts where it deletes buckets by key (SQLite); elsewhere (PostgreSQL, whose buckets go
        with the document row) their document rows alone, without signing any text."""
        if not self.store.drops_buckets_by_key:
            return IndexRows([(member_key(a), a) for a in article_ids], [])
        _, signed = self.prepare(self.store.load_articles(article_ids))
        assert signed is not None
        return signed.rows

    # -- one batch -------------------------------------------------------------------------------

    def run_batch(self, ids: list[str]) -> BatchOutcome:
        """De-duplicate the articles `ids` that are still pending, holding the store's dedup lock:
        concurrent runs over overlapping inputs take turns, and the later one skips what the earlier
        one already placed."""
        with self.store.dedup_lock():
            reindexed = self.ensure_index()
            outcome = self._run_locked(ids)
            outcome.reindexed = reindexed
            return outcome

    def _run_locked(self, ids: list[str]) -> BatchOutcome:
        s = self.settings
        batch = [a for a in self.store.load_articles(ids) if a.group_id is None]
        outcome = BatchOutcome(articles=len(batch))
        if not batch:
            return outcome
        prepared, signed = self.prepare(batch)
        assert signed is not None

        # Everything earlier runs know about these keys, fetched once for the whole batch: which articles
        # share them, and those articles' groups, sizes and dates (not their texts, which are loaded only
        # for the few candidates each article is compared with).
        text_owner = self.store.text_hash_owners([d.text_hash for d in prepared])
        url_owner = self.store.canonical_url_owners([a.canonical_url for a in batch if a.canonical_url])
        members = self.store.bucket_members([b for b, _ in signed.rows.buckets])
        facts = self.store.article_facts(sorted({a for m in members.values() for a in m} | set(text_owner.values())
                                                | set(url_owner.values()) | {d.id for d in prepared}))
        group_state = self.store.group_canonicals(sorted({f.group_id for f in facts.values() if f.group_id}))
        facts.update(self.store.article_facts(sorted({c for c, _ in group_state.values()} - set(facts))))
        canonical_key = {gid: _canonical_key(facts[c]) for gid, (c, _) in group_state.items() if c in facts}
        group_of = {a: f.group_id for a, f in facts.items()}  # kept current as this batch places and merges
        keys_of = [(signed.doc_keys[n].tolist(), signed.paragraph_keys[n].ravel().tolist())
                   for n in range(len(prepared))]
        cache: dict[str, _Doc] = {d.id: d for d in prepared}
        # The candidates earlier runs hold, loaded in one go. A shortlist (and which paragraphs are
        # boilerplate) is made again only when an article placed earlier in this batch joined one of its
        # buckets, or stories merged (`touched`).
        stories = _BucketStories(members, group_of)
        telling = [_telling_paragraphs(d, signed.paragraph_keys[n], stories) for n, d in enumerate(prepared)]
        shortlists = [self._shortlist(d, keys_of[n][0], telling[n][0], members, facts, group_of)
                      for n, d in enumerate(prepared)]
        self._known(set().union(*shortlists), cache)
        touched: set[int] = set()  # the bucket keys this batch's articles joined

        decisions: list[dict[str, Any]] = []
        overlap_rows: list[dict[str, Any]] = []
        changed_groups: dict[str, tuple[str, int]] = {}
        merged_into: dict[str, str] = {}  # group -> the group it merged into, this batch
        text_copies: set[str] = set()  # articles whose text is exactly an earlier one's: not indexed

        for n, doc in enumerate(prepared):
            my_doc_keys, my_paragraph_keys = keys_of[n]
            candidates, (telling_keys, boilerplate) = shortlists[n], telling[n]
            if outcome.merged or not (touched.isdisjoint(my_doc_keys) and touched.isdisjoint(my_paragraph_keys)):
                telling_keys, boilerplate = _telling_paragraphs(doc, signed.paragraph_keys[n], stories)
                candidates = self._shortlist(doc, my_doc_keys, telling_keys, members, facts, group_of)
                self._known(candidates, cache)
            kind, matched, similarity = "unique", None, None
            copied: list[tuple[str, float, _Doc]] = []
            # The same text, or a page declaring the same canonical URL (a re-fetched or re-published copy).
            # (Text that ran again outside the window is a new story; the same page is the same page.)
            owner = text_owner.get(doc.text_hash)
            if owner is not None and (group_of.get(owner) is None or not self._in_window(doc, facts[owner])):
                owner = None
            if owner is not None and not self.index_text_copies:
                text_copies.add(doc.id)
            owner = owner or (url_owner.get(doc.canonical_url) if doc.canonical_url else None)
            if owner is not None and group_of.get(owner) is not None:
                kind, matched, similarity = "exact", owner, 1.0
            else:
                # Articles sharing a document bucket, or a paragraph bucket that is not boilerplate: an
                # abridged or noisy reprint may share no whole-text band, and no paragraph verified on
                # words, yet its paragraphs' character windows meet the story's.
                copied = self._copied_groups(doc, candidates, cache, group_of)
                if copied:
                    kind, matched, similarity = "near", copied[0][0], copied[0][1]

            if matched is not None:
                gid = group_of[matched]
                assert gid is not None
                # A copy of two groups' fullest members, themselves copies of each other, shows one story
                # that arrived split (two short reprints the index did not bring together, then the full
                # text): the groups merge into the one with the earlier canonical record. A report that
                # lifted a story's opening is no copy of the story's fullest member, so it never merges.
                for other, _, their_fullest in copied[1:]:
                    loser = group_of[other]
                    assert loser is not None
                    if loser == gid or self._copy_score(copied[0][2], their_fullest) is None:
                        continue
                    if canonical_key[loser] < canonical_key[gid]:
                        gid, loser = loser, gid
                    merged_into[loser] = gid
                    for article, group in group_of.items():
                        if group == loser:
                            group_of[article] = gid
                    group_state[gid] = (group_state[gid][0], group_state[gid][1] + group_state.pop(loser)[1])
                    changed_groups.pop(loser, None)
                    outcome.merged += 1
                    stories.forget()
                size = group_state[gid][1] + 1
                canonical = group_state[gid][0]
                if _canonical_key(facts[doc.id]) < canonical_key[gid]:
                    canonical, canonical_key[gid] = doc.id, _canonical_key(facts[doc.id])
                if kind == "exact":
                    outcome.exact += 1
                else:
                    outcome.near += 1
            else:
                gid, size, canonical = doc.id, 1, doc.id
                canonical_key[gid] = _canonical_key(facts[doc.id])
                outcome.unique += 1
                outcome.new_groups.append(gid)
            group_of[doc.id] = gid
            group_state[gid] = (canonical, size)
            changed_groups[gid] = (canonical, size)

            # Passages shared with other stories (copies of this one are grouped, not linked): lifted
            # verbatim, or else retold in other words.
            lifted_from = [c for c in candidates if group_of[c] != gid]
            links = {other: pairs for other, pairs in
                     self._paragraph_matches(doc, telling_keys, boilerplate, lifted_from, members, cache).items()
                     if not _same_outlet(doc, cache[other]) and (len(pairs) >= s.min_overlap_paragraphs or any(
                         sim >= s.verbatim_paragraph and doc.paragraph_words[i] >= 2 * s.min_paragraph_words
                         for i, _, sim in pairs))}
            # (One loosely shared paragraph is a common quote, one short line a slogan or a site's
            # tagline, not a lifted passage.)
            retold = self._rewrite_matches(doc, lifted_from, links, group_of, cache) if kind != "exact" else {}
            # (An exact copy's text was compared when it first came: its story is linked.)
            for other, pairs in (links | retold).items():
                overlap_rows.append({
                    "article_a": doc.id, "article_b": other, "pairs": [[i, j, round(sim, 3)] for i, j, sim in pairs],
                    "share_a": _share(doc, [i for i, _, _ in pairs]),
                    "share_b": _share(cache[other], [j for _, j, _ in pairs]),
                    "kind": "retold" if other in retold else "lifted",
                })
                outcome.overlaps += 1
                outcome.top_overlaps.append((doc.id, other, len(pairs)))

            # Register this article so later ones in the batch (and later runs) find it.
            text_owner.setdefault(doc.text_hash, doc.id)
            if doc.canonical_url:
                url_owner.setdefault(doc.canonical_url, doc.id)
            if doc.id not in text_copies:
                mine = {*my_doc_keys, *my_paragraph_keys}
                for key in mine:
                    members.setdefault(key, []).append(doc.id)
                touched |= mine
            decisions.append({"id": doc.id, "text_hash": doc.text_hash, "group_id": gid, "kind": kind,
                              "matched": matched, "similarity": similarity})

        merges = {loser: _final_group(loser, merged_into) for loser in merged_into}
        for decision in decisions:
            decision["group_id"] = _final_group(decision["group_id"], merged_into)
        # Links made earlier in the batch between stories that have since merged are not links: copies
        # are grouped (the store drops such links already kept).
        kept = [row for row in overlap_rows if group_of[row["article_a"]] != group_of[row["article_b"]]]
        if len(kept) < len(overlap_rows):
            outcome.overlaps -= len(overlap_rows) - len(kept)
            linked = {(row["article_a"], row["article_b"]) for row in kept}
            outcome.top_overlaps = [top for top in outcome.top_overlaps if top[:2] in linked]
            overlap_rows = kept
        self.store.save_dedup(decisions, signed.rows.without(text_copies), overlap_rows, changed_groups, merges)
        outcome.top_overlaps.sort(key=lambda t: -t[2])
        return outcome

    def _shortlist(self, doc: _Doc, doc_keys: list[int], paragraph_keys: list[int], members: dict[int, list[str]],
                   facts: dict[str, ArticleFacts], group_of: dict[str, str | None]) -> set[str]:
        """The articles `doc` is compared with: of each story (group) sharing a document bucket, or a
        paragraph bucket that is not boilerplate, with it, within the matching window, its fullest
        member and the `_CLOSEST_PER_GROUP` members sharing the most buckets. A story run by many
        outlets is then a few comparisons, not one per copy: a copy of the story is a copy of its
        fullest member, and the closest members are the likeliest source of a lifted passage."""
        shared: Counter[str] = Counter()
        for key in doc_keys:
            shared.update(members.get(key, ()))
        for key in paragraph_keys:
            if len(bucket := members.get(key, ())) <= _MAX_BUCKET:
                shared.update(bucket)
        shared.pop(doc.id, None)
        by_group: dict[str, list[str]] = {}
        for article in shared:
            group = group_of.get(article)
            if group is not None and self._in_window(doc, facts[article]):
                by_group.setdefault(group, []).append(article)
        kept: set[str] = set()
        for group_members in by_group.values():
            # Ties go to the earliest arrival. (One pass each, not a sort: a story copied thousands of
            # times has thousands of members here.)
            kept.add(min(group_members, key=lambda a: (-facts[a].size, facts[a].seq, a)))
            kept.update(heapq.nsmallest(_CLOSEST_PER_GROUP, group_members, key=lambda a: (-shared[a], facts[a].seq, a)))
        return kept

    # -- verification ----------------------------------------------------------------------------

    def _in_window(self, doc: _Doc | ArticleFacts, other: _Doc | ArticleFacts) -> bool:
        """Copies and lifts are matched only between stories that ran within `match_window_days` of each
        other (0: no window)."""
        window = self.settings.match_window_days
        if not window:
            return True
        # Like with like: publication dates when both pages state one, else the days they were first
        # seen (an undated page fetched today says nothing about how old the dated page beside it is).
        mine, theirs = _day(doc.published), _day(other.published)
        if mine is None or theirs is None:
            mine, theirs = doc.ingested_at.date(), other.ingested_at.date()
        return abs((mine - theirs).days) <= window

    def _copied_groups(self, doc: _Doc, candidates: set[str], cache: dict[str, _Doc],
                       group_of: dict[str, str | None]) -> list[tuple[str, float, _Doc]]:
        """For each group `doc` is a copy of, its closest member there and the group's fullest candidate
        member, best first. A group counts only when `doc` is also a copy of that fullest member (a
        report that lifted most of a short excerpt of a story is close to the excerpt, not to the story),
        or of most of the members it was compared with (a fullest member may be a scan cut at the wrong
        place, opening with another story's text), or opens like the member it copies and shares most of
        the shorter text with the fullest (a print whose copy-editing cut the story's first sentences
        opens like none of the fuller prints, yet like a member that lost them too; a report opens with
        its own lede)."""
        s = self.settings
        # In arrival order, so that ties (equal scores, equally full members) go to the earliest article
        # whatever the order the candidates were found in.
        others = _in_arrival_order(cache[c] for c in candidates if len(cache[c].windows))
        if not len(doc.windows) or not others:
            return []
        fullest: dict[str | None, _Doc] = {}
        for other in others:
            group = group_of[other.id]
            if group not in fullest or len(other.windows) > len(fullest[group].windows):
                fullest[group] = other
        scores = {other.id: self._copy_score(doc, other) for other in others}
        compared: Counter[str | None] = Counter(group_of[other.id] for other in others)
        copied: Counter[str | None] = Counter(group_of[other.id] for other in others if scores[other.id] is not None)
        best: dict[str | None, tuple[str, float, _Doc]] = {}
        holds_fullest: dict[str | None, bool] = {}  # `doc` and the group's fullest share `containment`
        for other in others:
            group, score = group_of[other.id], scores[other.id]
            if score is None:
                continue
            if scores[fullest[group].id] is None and 2 * copied[group] <= compared[group]:
                if group not in holds_fullest:
                    holds_fullest[group] = _contained(doc, fullest[group]) >= s.containment
                if not (holds_fullest[group] and self._opens_alike(doc, other)):
                    continue
            if group not in best or score > best[group][1]:
                best[group] = (other.id, round(score, 3), fullest[group])
        return sorted(best.values(), key=lambda match: -match[1])  # stable: ties stay in arrival order

    def _copy_score(self, doc: _Doc, other: _Doc) -> float | None:
        """How close `doc` is to `other` if it is a copy of it (same story), else None. Decided by the
        shorter document's share found in the longer and by how the two open, never by one whole-text
        figure: a short copy of a long story has a low Jaccard, a report lifting long passages a high
        containment."""
        s = self.settings
        mine, theirs = doc.windows, other.windows
        common = _common(mine, theirs)
        jaccard = common / (len(mine) + len(theirs) - common)
        contained = common / min(len(mine), len(theirs))
        is_copy = jaccard >= s.near_duplicate_jaccard or (
            contained >= s.containment and self._opens_alike(doc, other))  # (the opening read only then)
        return max(jaccard, contained) if is_copy else None

    def _opens_alike(self, doc: _Doc, other: _Doc) -> bool:
        """Whether the text the two share begins within the first `lede_offset` letters of each."""
        return max(_shared_from(doc.opening, other.windows), _shared_from(other.opening, doc.windows)) \
            <= self.settings.lede_offset

    def _rewrite_matches(self, doc: _Doc, others: list[str], linked: dict[str, _Pairs],
                         group_of: dict[str, str | None], cache: dict[str, _Doc]) -> dict[str, _Pairs]:
        """Of the other stories `doc` was compared with (`others`, their closest members) and is not
        `linked` to yet, a member whose sentences `doc` retells in other words, in the same order, with
        its paragraph pairs (the best Dice of their sentences): rewrites.retelling, at least
        `rewrite_sentences` sentence pairs making up `rewrite_share` of the shorter text's sentences. A
        text found mostly verbatim in the other is a copy or a lift, for the tests above to judge; one
        keeping under `_RETOLD_WINDOWS` of its letter windows there met it through a shared line, not a
        retelling (which keeps its source's names and long words)."""
        s = self.settings
        done = {group_of[a] for a in linked}
        found: dict[str, _Pairs] = {}
        for other in _in_arrival_order(cache[a] for a in others if a not in linked):
            if group_of[other.id] in done or _same_outlet(doc, other):
                continue
            if not _RETOLD_WINDOWS <= _contained(doc, other) < s.containment:
                continue
            chain = rewrites.retelling(doc.sentences, other.sentences, s.rewrite_similarity, s.rewrite_sentences,
                                       s.rewrite_share)
            if not chain:
                continue
            best: dict[tuple[int, int], float] = {}
            for i, j, dice in chain:
                pair = (doc.sentences[i].paragraph, other.sentences[j].paragraph)
                best[pair] = max(best.get(pair, 0.0), dice)
            found[other.id] = [(i, j, dice) for (i, j), dice in sorted(best.items())]
            done.add(group_of[other.id])  # one link to a story
        return found

    def _paragraph_matches(
        self,
        doc: _Doc,
        my_keys: list[int],
        boilerplate: set[int],
        others: list[str],
        members: dict[int, list[str]],
        cache: dict[str, _Doc],
    ) -> dict[str, list[tuple[int, int, float]]]:
        """Verified paragraph pairs with each of `others` that shares an LSH bucket with one of this
        article's paragraphs (`my_keys`): all their paragraph pairs are compared exactly, one partner per
        paragraph on each side, but for this article's `boilerplate` paragraphs. A bucket shared by very many
        paragraphs, or a paragraph many stories hold, is boilerplate, not evidence."""
        threshold = self.settings.paragraph_similarity
        sharing: set[str] = set()
        for key in my_keys:
            bucket = members.get(key, ())
            if len(bucket) <= _MAX_BUCKET:
                sharing.update(bucket)
        scored: list[tuple[float, str, int, int]] = []
        for other_id in sorted(sharing.intersection(others)):
            other = cache[other_id]
            for i, mine in doc.paragraph_shingles.items():
                if i in boilerplate:
                    continue
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


class _BucketStories:
    """Whether more than `_COMMON_STORIES` stories (groups) hold members of a bucket. Each bucket's
    members are read once as it grows (a batch only appends to them: a story copied a thousand times
    fills its buckets with one group), and read again after stories merge."""

    def __init__(self, members: dict[int, list[str]], group_of: dict[str, str | None]) -> None:
        self.members, self.group_of = members, group_of
        self.read: dict[int, tuple[int, set[str | None]]] = {}  # key -> (members read, their groups)

    def crowded(self, key: int) -> bool:
        bucket = self.members.get(key, ())
        done, groups = self.read.get(key, (0, set()))
        if done < len(bucket) and len(groups) <= _COMMON_STORIES:
            groups.update(self.group_of.get(member) for member in bucket[done:])
        self.read[key] = (len(bucket), groups)
        return len(groups) > _COMMON_STORIES

    def forget(self) -> None:
        self.read.clear()


def _telling_paragraphs(doc: _Doc, paragraph_keys: np.ndarray, stories: _BucketStories) -> tuple[list[int], set[int]]:
    """The band keys of the article's long paragraphs that can tell of copying, and the paragraphs (by
    index) that cannot: those more than `_COMMON_STORIES` other stories hold, as at least half of their
    band buckets say (one bucket may gather a few unrelated paragraphs by chance)."""
    telling: list[int] = []
    boilerplate: set[int] = set()
    for row, paragraph in zip(paragraph_keys.tolist(), sorted(doc.paragraph_texts), strict=True):
        if 2 * sum(map(stories.crowded, row)) >= len(row):
            boilerplate.add(paragraph)
        else:
            telling.extend(row)
    return telling, boilerplate


def _canonical_key(facts: ArticleFacts) -> tuple[str, datetime, int]:
    """A group's canonical record: earliest published first, then earliest ingested."""
    return (facts.published or "9999-12-31", facts.ingested_at, facts.seq)


@lru_cache(maxsize=4096)
def _day(published: str | None) -> date | None:
    if published:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(published[:10])
    return None


def _final_group(group: str, merged_into: dict[str, str]) -> str:
    while group in merged_into:
        group = merged_into[group]
    return group


def _in_arrival_order(docs: Iterable[_Doc]) -> list[_Doc]:
    """Documents ordered by arrival (`seq`, then id): every choice among candidates is made in an order
    defined by the data, never in the iteration order of a set of strings (which follows the process's
    hash seed)."""
    return sorted(docs, key=lambda d: (d.seq, d.id))


def _found(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of `values` are in `sorted_set` (sorted, distinct): a binary search each, no sorting."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return np.asarray(sorted_set[at] == values)


def _common(a: np.ndarray, b: np.ndarray) -> int:
    """Values two sorted arrays of distinct values share."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return int(_found(small, large).sum())


def _contained(doc: _Doc, other: _Doc) -> float:
    """The share of the shorter document's character windows found in the other."""
    return _common(doc.windows, other.windows) / (min(len(doc.windows), len(other.windows)) or 1)


def _shared_from(opening: np.ndarray, other: np.ndarray) -> int:
    """Where, in letters, the text a document shares with `other` begins: the first run of `_RUN`
    windows of its opening mostly (`_RUN_SHARED`) found in the other, so that OCR noise does not
    postpone it and a chance window does not advance it. Past the opening when there is none."""
    shared = _found(opening, other).astype(np.int8)
    if len(shared) < _RUN:
        return 0 if shared.all() and len(shared) else len(opening) + 1
    runs = np.flatnonzero(np.convolve(shared, np.ones(_RUN, dtype=np.int8), "valid") >= _RUN_SHARED)
    return int(runs[0]) if len(runs) else len(opening) + 1


def _same_outlet(doc: _Doc, other: _Doc) -> bool:
    """Both pages come from one known outlet: what they share beside their stories is its furniture
    (comment rules, author boxes, a blog's sidebar), never evidence of copying."""
    return bool(doc.outlet) and doc.outlet == other.outlet


def _share(doc: _Doc, paragraphs: list[int]) -> float:
    total = sum(doc.paragraph_words) or 1
    return round(sum(doc.paragraph_words[i] for i in set(paragraphs)) / total, 3)
