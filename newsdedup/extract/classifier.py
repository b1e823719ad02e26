"""The learned line classifier: after the rules have judged every line, a small gradient-boosted tree
model (trained by benchmarks/train_extraction.py on labelled pages, shipped as JSON beside this file)
reads generic features of each line and of its neighbours — length, punctuation, position, text and
link density, the block it sits in, and the rules' own verdicts — and says which lines are the body; a
second model reads the same features and what the first said of the lines around each one.

Only numpy is needed to apply it: the trees are arrays walked for all lines of a page at once."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from newsdedup.extract import rules

if TYPE_CHECKING:
    from newsdedup.extract.lines import Line, PageHints

_COMMA = re.compile("[,、،，]")
_STOP = re.compile("[.!?。！？]")
_DIGITS = re.compile(r"\d+")
_CAPITAL = re.compile("[A-ZÀ-ÖØ-ÞА-ЯЁΑ-Ω]")
MODEL_FILE = Path(__file__).with_name("line_model.json")
_ROWS_AT_ONCE = 512  # lines a tree walk takes at once: its arrays stay in the processor's cache
LABELS = ("body", "title", "meta", "drop")
TAGS = ("p", "div", "li", "td", "h", "blockquote", "br", "dd")


@dataclass(frozen=True)
class Trees:
    """A boosted tree ensemble as flat arrays: node i of tree t tests feature[t, i] <= threshold[t, i]
    and goes left or right; a negative child -1-j is leaf j of that tree."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    leaf: np.ndarray  # (trees, leaves) float
    depth: int
    bias: float
    # The model overrules the rules only where it is sure: a line the rules call body is dropped below
    # band[0], a line they drop is kept from band[1]; in between the rules' verdict stands.
    band: tuple[float, float]
    # Asked only within the rules' body (`asked_lines`): the first ensemble about the lines they kept, the
    # model's verdict taken on those, on dropped lines between them that run on from a neighbour (a
    # list's entries, a verse) and on dropped lines as long as a paragraph but captions; never on the
    # page's short lines around the body (menus, labels, headlines of other stories).
    within_body: bool = False
    # A second ensemble that reads the line's features and what this one said of the lines around it
    # (`context_features`); its probability is the model's verdict.
    context: Trees | None = None

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability that each row of `x` (lines × features) is body: every tree walked for every line
        at once, one level a step (`_table`); a long page `_ROWS_AT_ONCE` lines at a time (the walk holds
        a few numbers per line and tree: for 80,000 lines, 1.5 GB at once)."""
        if len(x) > _ROWS_AT_ONCE:
            return np.concatenate([self.predict(x[at:at + _ROWS_AT_ONCE]) for at in range(0, len(x), _ROWS_AT_ONCE)])
        feature, threshold, child, value, roots = self._table
        rows, width = x.shape
        values = np.ascontiguousarray(x, dtype=np.float64).ravel()
        row_start = np.arange(0, rows * width, width)[:, None]
        node = np.repeat(roots[None, :], rows, axis=0)
        for _ in range(self.depth):
            node = child[2 * node + (values[row_start + feature[node]] <= threshold[node])]
        margin = value[node].sum(axis=1) + self.bias
        return 1.0 / (1.0 + np.exp(-margin))

    @cached_property
    def _table(self) -> tuple[np.ndarray, ...]:
        """The ensemble as one table of nodes, so that a step of the walk is four lookups: each tree's
        leaves become nodes of their own that lead back to themselves (threshold +inf, so that a walk
        ended early stays put), children are numbered across all trees, and node i's children sit at
        2i (the test fails: right) and 2i + 1 (it holds: left). Returns, in this order, each node's
        feature and threshold, the children table, each node's leaf value (0 for a split) and each
        tree's root."""
        n_trees, width = self.feature.shape
        size = width + self.leaf.shape[1]
        start = np.arange(n_trees)[:, None] * size
        itself = start + np.arange(size)

        def numbered(local: np.ndarray) -> np.ndarray:  # a child -1-j is leaf j: node width + j
            return start + np.where(local >= 0, local, width - 1 - local)

        feature = np.zeros((n_trees, size), dtype=np.intp)
        feature[:, :width] = self.feature
        threshold = np.full((n_trees, size), np.inf)
        threshold[:, :width] = self.threshold
        right, left = itself.copy(), itself.copy()
        right[:, :width], left[:, :width] = numbered(self.right), numbered(self.left)
        value = np.zeros((n_trees, size))
        value[:, width:] = self.leaf
        child = np.column_stack([right.ravel(), left.ravel()]).ravel()
        return feature.ravel(), threshold.ravel(), child, value.ravel(), start.ravel()

    @classmethod
    def from_json(cls, data: dict) -> Trees:
        return cls(
            feature=np.array(data["feature"], dtype=np.int64), threshold=np.array(data["threshold"]),
            left=np.array(data["left"], dtype=np.int64), right=np.array(data["right"], dtype=np.int64),
            leaf=np.array(data["leaf"]), depth=int(data["depth"]), bias=float(data.get("bias", 0.0)),
            band=(float(data["band"][0]), float(data["band"][1])), within_body=bool(data.get("within_body", False)),
            context=cls.from_json(data["context"]) if data.get("context") else None,
        )


@dataclass(frozen=True)
class Models:
    """One model for HTML pages (whose lines know their markup), one for flattened text."""

    html: Trees | None
    text: Trees | None


def _load(path: Path) -> Models:
    if not path.exists():
        return Models(None, None)
    data = json.loads(path.read_text(encoding="utf-8"))
    return Models(*(Trees.from_json(data[k]) if data.get(k) else None for k in ("html", "text")))


_active: Models | None = None


def models() -> Models:
    global _active
    if _active is None:
        _active = _load(MODEL_FILE)
    return _active


@contextmanager
def using(replacement: Models) -> Iterator[None]:
    """Apply other models for a while (the benchmark's cross-file runs train their own)."""
    global _active
    before = _active
    _active = replacement
    try:
        yield
    finally:
        _active = before


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    padded = np.concatenate([[0.0], np.cumsum(values)])
    n = len(values)
    idx = np.arange(n)
    lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, n)
    return (padded[hi] - padded[lo]) / (hi - lo)


def features(lines: Sequence[Line], labels: Sequence[str], units: Sequence[int], hints: PageHints,
             at: np.ndarray | None = None) -> np.ndarray:
    """One row of generic features per line, or per line of `at` (indices): the page-wide context is
    read from every line, each line's own shape only where asked (the order of the columns is the
    model's: never reorder, only append)."""
    n = len(lines)
    at = np.arange(n) if at is None else at
    rows: list[list[float]] = []
    title = hints.title.lower() if hints.title else None
    recurring = hints.recurring
    for k in at.tolist():
        ln, unit = lines[k], units[k]
        text = ln.text
        length = len(text) or 1
        rows.append([
            math.log1p(unit), math.log1p(length), float(rules.ends_sentence(text)), rules.title_case_ratio(text),
            len(_COMMA.findall(text)) / (unit + 1), len(_STOP.findall(text)) / (unit + 1),
            len(rules.DIGIT.findall(text)) / length, len(_CAPITAL.findall(text)) / length,
            float(ln.blank_after), float(ln.list_item), float(ln.outside), ln.link_share, float(ln.depth),
            *(float(ln.tag[:1] == "h" if tag == "h" else ln.tag == tag) for tag in TAGS),
            float(bool(rules.PROMPT.match(text))), float(unit <= 120 and rules.is_site_notice(text)),
            float(unit <= 60 and rules.has_credit(text)), float(unit <= 24 and rules.is_date_line(text)),
            float(bool(rules.BYLINE.match(text))), float(bool(rules.TEASER_HEADING.match(text))),
            float(bool(rules.COMMENTS_HEADING.match(text))), float(bool(rules.TRUNCATED.search(text))),
            float(bool(recurring) and _fingerprint(text) in recurring),
            float(title is not None and text.lower() == title),
            float(ln.marks & 1), float(ln.marks >> 1 & 1), float(ln.marks >> 2 & 1),
            float(bool(rules.SITE_SUFFIX.search(text))),
        ])
    x = np.array(rows, dtype=np.float64).reshape(len(at), -1)
    label_hot = (np.array(labels, dtype=str).reshape(n, 1) == np.array(LABELS)).astype(np.float64)
    body = label_hot[:, 0]
    position = np.arange(n) / max(n - 1, 1)
    body_at = np.flatnonzero(body)
    first, last = (body_at[0], body_at[-1]) if len(body_at) else (n, -1)
    idx = np.arange(n)
    unit_arr = np.asarray(units, dtype=np.float64)
    mass = np.cumsum(unit_arr) / max(unit_arr.sum(), 1.0)
    log_units = np.log1p(unit_arr)
    prev_units = np.concatenate([[0.0], log_units[:-1]])
    next_units = np.concatenate([log_units[1:], [0.0]])
    prev_body = np.concatenate([[0.0], body[:-1]])
    next_body = np.concatenate([body[1:], [0.0]])
    link = np.array([ln.link_share for ln in lines], dtype=np.float64)
    page = np.column_stack([
        position, (idx - first) / max(n, 1), (idx - last) / max(n, 1), ((idx >= first) & (idx <= last)).astype(float),
        mass, prev_units, next_units, prev_body, next_body,
        _window_mean(body, 2), _window_mean(body, 6), _window_mean(log_units, 2), _window_mean(log_units, 6),
        _window_mean(link, 3), np.full(n, math.log1p(unit_arr.sum())), np.full(n, body.mean() if n else 0.0),
        np.full(n, float(link.mean()) if n else 0.0),
    ])
    # What surrounds the line in the markup: its sibling lines (a list's items, a container's paragraphs)
    # taken together, as readability scores a node by the text it holds.
    groups, paths = places(lines)
    _, group = np.unique(groups, return_inverse=True)
    size = np.bincount(group).astype(np.float64)
    group_units = np.bincount(group, weights=unit_arr)
    group_body_units = np.bincount(group, weights=unit_arr * body)
    siblings = np.column_stack([
        np.log1p(size[group]), np.log1p(group_units[group]), (group_body_units / np.maximum(group_units, 1))[group],
        (np.bincount(group, weights=link) / size)[group], (np.bincount(group, weights=body) / size)[group],
    ])
    vocabulary: set[str] = set()
    for ln, label in zip(lines, labels, strict=True):
        if label == "body":
            vocabulary.update(rules.content_words(ln.text))
    shape = np.array([[_cohesion(lines[k].text, vocabulary), float(bool(rules.NUMBERED_ITEM.match(lines[k].text))),
                       float(bool(rules.PRICE.search(lines[k].text) or rules.QUANTITY.match(lines[k].text)))]
                      for k in at.tolist()]).reshape(len(at), 3)
    alike = np.column_stack(_path_columns(body, paths, unit_arr))
    stamped = np.array([float(unit <= 12 and bool(rules.STAMP.search(ln.text)))
                        for ln, unit in zip(lines, units, strict=True)])
    stamps = np.column_stack([stamped, np.log1p(np.cumsum(stamped) - stamped), _distance(stamped, 1)])
    return np.hstack([x, label_hot[at], page[at], siblings[at], shape, _repeats(lines, units, label_hot, first)[at],
                      alike[at], stamps[at]])


def places(lines: Sequence[Line]) -> tuple[np.ndarray, np.ndarray]:
    """Each line's block group and path (Line.group, Line.path): where the stages see it sit."""
    return (np.array([ln.group for ln in lines], dtype=np.int64), np.array([ln.path for ln in lines], dtype=np.int64))


def context_features(p: np.ndarray, groups: np.ndarray, paths: np.ndarray, units: np.ndarray) -> np.ndarray:
    """What the first ensemble said of each line's surroundings (`p`: its body probability per line, 0
    where it was not asked): the mean over a few lines around and over the line's block group, the
    neighbours' verdicts, how much of the page's likely body (in words) lies above it, and how far the
    nearest sure body line is. An article is a run of body lines; a stray kept line among comments is
    not."""
    n = len(p)
    weighted = p * units
    total = float(weighted.sum()) or 1.0
    _, group = np.unique(groups, return_inverse=True)
    size = np.bincount(group).astype(np.float64)
    sure = (p >= 0.5).astype(np.float64)
    return np.column_stack([
        _window_mean(p, 1), _window_mean(p, 3), _window_mean(p, 8),
        np.concatenate([[0.0], p[:-1]]), np.concatenate([p[1:], [0.0]]),
        (np.cumsum(weighted) - weighted) / total,
        (np.bincount(group, weights=p) / size)[group], (np.bincount(group, weights=weighted) / total)[group],
        _distance(sure, 1), _distance(sure, -1), np.full(n, sure.mean() if n else 0.0),
        *_path_columns(p, paths, units),
    ])


def _path_columns(p: np.ndarray, paths: np.ndarray, units: np.ndarray) -> list[np.ndarray]:
    """Per line, of the lines sharing its path (Line.path): their mean verdict `p` by words (the rules'
    labels in the first stage, the first ensemble's probabilities in the second), their share of the
    page's words and of its likely body, and how many they are. Zeros where no line has a path
    (flattened text: the columns would only restate the page's totals)."""
    if not paths.any():
        return [np.zeros(len(p))] * 4
    _, path = np.unique(paths, return_inverse=True)
    size = np.bincount(path).astype(np.float64)
    path_units = np.bincount(path, weights=units)
    weighted = p * units
    path_weighted = np.bincount(path, weights=weighted)
    return [(path_weighted / np.maximum(path_units, 1.0))[path], (path_units / max(float(units.sum()), 1.0))[path],
            (path_weighted / max(float(weighted.sum()), 1e-9))[path], np.log1p(size[path])]


def _repeats(lines: Sequence[Line], units: Sequence[int], label_hot: np.ndarray, first: int) -> np.ndarray:
    """What repeats within the page: a comment thread, or a list of teasers, is a run of blocks that
    each carry the same short line ("Reply", "Permalink", a timestamp of the same shape, in any
    language); an article's own text does not repeat. Per line: how often its short shape occurs on the
    page, the share of the page's repeated lines above it, how many of them lie between the rules'
    first body line and it, how many date lines stand above it, and how far the nearest repeated line
    above and below it and the nearest date line above it are."""
    shapes = [_DIGITS.sub("0", ln.text.casefold()) if unit <= 8 else "" for ln, unit in zip(lines, units, strict=True)]
    seen = Counter(shapes)
    count = np.array([seen[shape] if shape else 0 for shape in shapes], dtype=np.float64)
    repeated = (count >= 3).astype(np.float64)
    before = np.cumsum(repeated) - repeated
    since_body = np.maximum(before - (before[first] if first < len(lines) else 0.0), 0.0)
    meta = label_hot[:, LABELS.index("meta")]
    return np.column_stack([np.log1p(count), before / max(repeated.sum(), 1.0), np.log1p(since_body),
                            np.log1p(np.cumsum(meta) - meta), _distance(repeated, 1), _distance(repeated, -1),
                            _distance(meta, 1)])


def _distance(marked: np.ndarray, direction: int) -> np.ndarray:
    """log(1 + lines) from each line to the nearest marked line above it (direction 1) or below it (-1);
    log(1 + n) when there is none."""
    n = len(marked)
    idx = np.arange(n)
    if direction < 0:
        return _distance(marked[::-1], 1)[::-1]
    last = np.maximum.accumulate(np.where(marked > 0, idx, -1))
    previous = np.concatenate([[-1], last[:-1]]) if n else last
    return np.log1p(np.where(previous >= 0, idx - previous, n))


def _cohesion(text: str, vocabulary: set[str]) -> float:
    words = rules.content_words(text)
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0


def _fingerprint(text: str) -> int:
    from newsdedup.extract.lines import fingerprint

    return fingerprint(text)




def asked_lines(lines: Sequence[Line], labels: Sequence[str], units: Sequence[int],
                within_body: bool, sites: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The lines (indices) the first ensemble is asked about, and those the model's verdict is taken on:
    every line for both; or (`Trees.within_body`) the lines the rules kept, then those, the ones they
    dropped between the first and the last of these that run on from a line above or below (a list's
    entries, a verse; not a short line set apart by blank lines, a heading the rules judged by its
    words), and any line they dropped that is as long as a paragraph (one ending in an ellipsis, or
    standing where the rules did not look for the article); of these, never a photo's caption or credit
    (`rules.has_credit`, or signed with one of `sites`, the outlet names the page signs captions with):
    the rules know those by a mark the model does not read."""
    if not within_body:
        return np.arange(len(labels)), np.arange(len(labels))
    kept = np.flatnonzero([label == "body" for label in labels])
    if not len(kept):
        return kept, kept
    first, last = kept[0], kept[-1]

    def caption(k: int) -> bool:
        return rules.has_credit(lines[k].text) or rules.signed_by(lines[k].text, sites)

    at = [k for k, label in enumerate(labels) if label == "body" or (
        label == "drop" and (units[k] >= rules.PARAGRAPH_UNITS or (
            first < k < last and not (lines[k].blank_after and lines[k - 1].blank_after))) and not caption(k))]
    return kept, np.array(at, dtype=np.int64)


def model_for(lines: Sequence[Line]) -> Trees | None:
    """The model that judges these lines: the HTML one when they carry markup, else the text one."""
    return models().html if any(ln.tag for ln in lines) else models().text


def body_lines(lines: Sequence[Line], labels: Sequence[str], units: Sequence[int],
               hints: PageHints, sites: Collection[str] = ()) -> list[bool] | None:
    """Which lines are body, by the model where it is sure and by the rules elsewhere; None when no
    model applies to the page. (`sites`: the outlet names the page signs captions with.)"""
    chosen = model_for(lines)
    if chosen is None or not lines:
        return None
    drop_below, add_above = chosen.band
    first, at = asked_lines(lines, labels, units, chosen.within_body, sites)
    keep = [label == "body" for label in labels]
    if len(at):
        x = features(lines, labels, units, hints, at)
        if chosen.context is None:
            verdicts = chosen.predict(x)
        else:
            # (The lines the first ensemble is not asked about read 0 in its column, as in training.)
            said = np.zeros(len(lines))
            said[first] = chosen.predict(x[np.isin(at, first)])
            surroundings = context_features(said, *places(lines), np.asarray(units, dtype=np.float64))
            verdicts = chosen.context.predict(np.hstack([x, surroundings[at]]))
        for k, v in zip(at.tolist(), verdicts, strict=True):
            keep[k] = bool(v >= drop_below if labels[k] == "body" else v >= add_above)
    return keep
