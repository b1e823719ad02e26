"""Rewritten passages: sentences that say what another document's say, in other words and in its order.

A report rewritten from another (wire copy put in an outlet's own words, a heavily revised copy) shares
few word n-grams with its source and too few letter windows for the copy test, and no paragraph
verbatim. But each rewritten sentence keeps most of its source sentence's content words, and the
sentences follow the source's order. Sentences are compared as sets of word stems (lower-cased, cut to
`_STEM` letters; words under four letters and the listed languages' stop words left out), and what a
rewrite leaves is a chain of similar sentence pairs in the same order in both texts. Two independent
reports of one event share words too, but not sentence after sentence in order.

Scripts written without spaces have no words to compare here: their rewrites are not found."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import itemgetter

from newsdedup.extract import rules

# Words of four letters or more: shorter ones are mostly function words, in any language.
_WORD = re.compile(r"[^\W\d_]{4,}")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
_STEM = 6  # letters kept of a word: inflections (election/elections, reported/reporter) meet
_stem = itemgetter(slice(None, _STEM))
_STOP = frozenset(rules.FUNCTION_WORDS.union(*(words.split() for words in rules.STOPWORDS.values())))
MIN_STEMS = 4  # a sentence with fewer content words is too short to say whose it is
# Sentences of a text that are compared: news runs to a few hundred at most, and comparing two texts
# costs up to the product of their lengths, so a book-length page is compared on its opening.
MAX_SENTENCES = 1000


@dataclass(frozen=True)
class Sentence:
    paragraph: int  # the paragraph it stands in
    stems: frozenset[str]


class Sentences(list[Sentence]):
    """A text's sentences, with which of them hold each stem: made once per text when it is first
    compared (most texts never are), then asked by every comparison."""

    @cached_property
    def holding(self) -> dict[str, list[int]]:
        holding: dict[str, list[int]] = {}
        for j, sentence in enumerate(self):
            for stem in sentence.stems:
                holding.setdefault(stem, []).append(j)
        return holding

    @cached_property
    def stems(self) -> frozenset[str]:
        return frozenset().union(*(sentence.stems for sentence in self))


def retelling(a: Sentences, b: Sentences, similarity: float, fewest: int, share: float) -> list[tuple[int, int, float]]:
    """The chain of `aligned` sentence pairs by which one text retells the other, when it holds at least
    `fewest` pairs and `share` of the shorter text's sentences; else empty."""
    shorter = min(len(a), len(b))
    if shorter < fewest or not _may_align(a, b, similarity, share):
        return []
    needed = max(fewest, share * shorter)
    chain = aligned(a, b, similarity, needed)
    return chain if len(chain) >= needed else []


def _may_align(a: Sentences, b: Sentences, similarity: float, share: float) -> bool:
    """Whether `a` and `b` share enough stems for `share` of the shorter's sentences to find a partner of
    Dice `similarity` (about `share` x `similarity` of its stems): the cheap test before `aligned`."""
    return len(a.stems & b.stems) >= share * similarity * min(len(a.stems), len(b.stems))


def sentences(paragraphs: Sequence[str]) -> Sentences:
    """The first `MAX_SENTENCES` sentences of a text with at least `MIN_STEMS` content stems, in
    reading order."""
    out: list[Sentence] = []
    for number, paragraph in enumerate(paragraphs):
        for sentence in _SENTENCE_END.split(paragraph.lower()):
            words = set(_WORD.findall(sentence))
            words -= _STOP
            stems = frozenset(map(_stem, words))
            if len(stems) >= MIN_STEMS:
                out.append(Sentence(number, stems))
                if len(out) == MAX_SENTENCES:
                    return Sentences(out)
    return Sentences(out)


def aligned(a: Sentences, b: Sentences, similarity: float, needed: float = 1) -> list[tuple[int, int, float]]:
    """The longest chain of sentence pairs (i, j, Dice of their stems) with Dice at least `similarity`,
    in order in both texts (i and j both increasing): what a rewrite of one text into the other keeps.
    Empty when it cannot hold `needed` pairs (told before any pair is compared)."""
    # Sentences of `a` holding enough of b's stems to reach `similarity` with some sentence of b (most
    # stems of an unrelated text's sentence are nowhere in b).
    near = [(i, common) for i, sentence in enumerate(a)
            if 2 * len(common := sentence.stems & b.stems) >= similarity * (len(sentence.stems) + MIN_STEMS)]
    if len(near) < needed:
        return []
    pairs = []
    for i, common in near:
        for j, shared in Counter(chain.from_iterable(b.holding[stem] for stem in common)).items():
            dice = 2 * shared / (len(a[i].stems) + len(b[j].stems))
            if dice >= similarity:
                pairs.append((i, j, dice))
    # Longest chain increasing in both: pairs by i (j descending within one i, so two pairs of one
    # sentence never chain), then the longest strictly increasing run of j, with back-links.
    pairs.sort(key=lambda p: (p[0], -p[1]))
    tails: list[int] = []  # tails[n]: the smallest j ending a chain of n + 1 pairs
    ends: list[int] = []  # the pair ending that chain
    back = [-1] * len(pairs)
    for k, (_, j, _) in enumerate(pairs):
        n = bisect_left(tails, j)
        back[k] = ends[n - 1] if n else -1
        if n == len(tails):
            tails.append(j)
            ends.append(k)
        else:
            tails[n], ends[n] = j, k
    found, k = [], ends[-1] if ends else -1
    while k >= 0:
        found.append(pairs[k])
        k = back[k]
    return found[::-1]
