"""Train the line classifier (newsdedup/extract/classifier.py) on labelled pages and write the model:

    .venv/bin/python benchmarks/train_extraction.py [--files dev dragnet] [--out newsdedup/extract/line_model.json]

Every page is parsed and judged by the rules exactly as extraction does; each line is labelled body when
most of its word 4-grams (a short line: its whole word sequence) occur in the page's hand-made body,
and weighted by its length (the scorer counts 4-grams, so long lines matter more). LightGBM (the
`bench` extra) fits the trees, twice over (`fit`: a second ensemble reads the first's verdicts around each
line); they are written as plain arrays that numpy walks at run time."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction import forget_lines
from newsdedup.config import ExtractionSettings
from newsdedup.documents import RawDocument
from newsdedup.extract import Page, classifier, page_hints, read_page, rules
from newsdedup.extract.lines import classify

TOKEN = re.compile(r"\w+", re.UNICODE)  # the scorer's tokens
PARAMS = {
    "objective": "binary", "learning_rate": 0.08, "num_leaves": 24, "max_depth": 6, "min_data_in_leaf": 40,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1,
    "num_threads": 1, "seed": 7,
}
ROUNDS = 160
# A dev.jsonl.gz page weighs four Dragnet pages: 88 pages of many sites and languages beside 927 of one
# year's English news and blogs; unweighted, the model learns Dragnet's conventions (host-grouped 5-fold
# over both files: dev 0.962 -> 0.970, Dragnet 0.937 -> 0.934).
FILE_WEIGHT = {"dev": 4.0}
# Where each model overrules the rules (classifier.Trees.band): the HTML model at even odds, on every
# line. The text model removes below 0.3, and adds from 0.6 only lines the rules dropped between the
# first and the last they kept that run on from a neighbour (WITHIN_BODY, classifier.asked_lines: a
# list's entries, a verse), and lines as long as a paragraph anywhere, captions never (one ending in an
# ellipsis, one where the rules did not look for the article); elsewhere a flattened page's short lines
# are too alike (asked about every line, at even odds it took section labels and captions for
# sub-headings), and a short line set apart by blank lines is a heading the rules judged by its words
# (added, a seed page's teasers of other stories came back). The first ensemble is asked about the kept
# lines only, as in training (the others read 0 in its column). Host-grouped 5-fold, text F1 dev /
# Dragnet: removing below 0.3 0.953 / 0.882, below 0.4 0.953 / 0.886, below 0.5 0.951 / 0.889, but
# trained on Dragnet alone and scored on dev, 0.4 lost what 0.3 keeps (0.946 against 0.951): the surer
# cut holds across files. Adding (one ensemble, seeds 7 / 1): 0.9524 / 0.8942 and 0.9526 / 0.8932 ->
# from 0.7 0.9522 / 0.8978 and 0.9522 / 0.8981, from 0.5 (seed 7) 0.9513 / 0.8999; with the set-apart
# lines too, from 0.7, 0.9532 / 0.9016 and 0.9524 / 0.9014. Cross-file (trained on dev -> Dragnet / on
# Dragnet -> dev) from 0.7: 0.8759 / 0.9541 -> 0.8776 / 0.9524 and 0.8755 / 0.9537 -> 0.8771 / 0.9513.
# Paragraph-long lines anywhere as well, captions left out (three ensembles, seeds 7 / 1): 0.9539 /
# 0.9005 -> 0.9543 / 0.9041 and 0.9540 / 0.9008 -> 0.9544 / 0.9040; cross-file 0.8759 / 0.9513 -> 0.8778
# / 0.9520 (seed 7); the trees are the same (training asks only about the kept lines). With them, from
# 0.6: 0.9550 / 0.9059 and 0.9548 / 0.9053, but a seed page's furniture came back. Adding from 0.9 on
# every line: 0.953 / 0.888, the text path 35 % slower. HTML at even odds 0.975 / 0.935, (0.4, 0.6)
# 0.979 / 0.932.
# From 0.6 once captions were left out (a photo credit, or signed with the outlet's name: the rules'
# marks): seeds 7 / 1 0.9543 / 0.9041 -> 0.9556 / 0.9057 and 0.9549 / 0.9039 -> 0.9554 / 0.9052,
# cross-file 0.8778 / 0.9520 -> 0.8783 / 0.9523 (docs/extraction.md).
BANDS = {"html": (0.5, 0.5), "text": (0.3, 0.6)}
WITHIN_BODY = {"html": False, "text": True}
# How many ensembles a model averages, grown alike from seeds s, s + 100, s + 200 (the rows and columns
# each tree sees differ): what one seed's trees learned by chance weighs less. Host-grouped 5-fold, text
# F1 dev / Dragnet: seed 7 alone 0.9524 / 0.8942, averaged with 107 and 207 0.9541 / 0.8953; seed 1
# alone 0.9535 / 0.8936, averaged 0.9541 / 0.8954: both files up from either seed; cross-file unchanged
# on the mean of the two (docs/extraction.md). The cost: three times the trees to walk, text extraction
# 1.06x the time (whole processes, 300 Dragnet pages, six pairs). HTML traded one file for the other
# (seed 7: 0.9790 / 0.9461 -> 0.9771 / 0.9479, one page empty; seed 1 the other way): it stays one.
ENSEMBLES = {"html": 1, "text": 3}
# The phrase lists speak a few languages; on a page in any other, a model must judge by shape and
# position alone. The text model learns from every page twice: as it is, and as a page in an unlisted
# language looks (`unlisted_language`). Host-grouped 5-fold, text F1 dev / Dragnet with the lists
# silenced 0.915 / 0.852 -> 0.916 / 0.866, with them 0.953 / 0.889 either way. The HTML model leans on
# markup more than on phrases (silenced 0.963 / 0.942, against 0.972 / 0.941), and taught so it lost
# dev pages (0.972 -> 0.968): it learns from pages as they are.
UNLISTED_COPIES = {"text": 1.0}  # weight of each page's second, phrase-blind copy
# A second ensemble reads each line's features and the first one's verdicts on the lines around it
# (classifier.context_features), those verdicts given by first ensembles trained on the other folds of
# sites (as at run time: the page is new). Host-grouped 5-fold, F1 dev / Dragnet, mean of LightGBM seeds
# 1, 2, 7: HTML 0.9775 / 0.9425 -> 0.9770 / 0.9461, text 0.9534 / 0.8887 -> 0.9537 / 0.8916.
CONTEXT_FOLDS = 4
# rules.py's phrase lists and patterns that read words of particular languages (the month names are
# taken out of the date patterns by `unlisted_language`).
LANGUAGE_BOUND = ("PROMPT", "COMMENTS_HEADING", "AUTHOR_BIO", "AUTHOR_HEADING", "SITE_NOTICE", "CREDIT",
                  "TEASER_HEADING", "BYLINE", "QUESTION", "ANSWER", "_DATE_LABEL")


@contextlib.contextmanager
def unlisted_language() -> Iterator[None]:
    """For a while, the rules read every page as one in a language none of their lists knows: the
    language-bound patterns never match and dates are read in digits only."""
    never = re.compile(r"(?!)")
    saved = {name: getattr(rules, name) for name in LANGUAGE_BOUND}
    dates = rules._DATE_PATTERNS
    for name in LANGUAGE_BOUND:
        setattr(rules, name, never)
    rules._DATE_PATTERNS = [(pattern, order) for pattern, order in dates if "M" not in order]
    forget_lines()
    try:
        yield
    finally:
        for name, pattern in saved.items():
            setattr(rules, name, pattern)
        rules._DATE_PATTERNS = dates
        forget_lines()


def page_of(row: dict[str, Any], kind: str) -> Page | None:
    from datetime import UTC, datetime

    name, media = ("page.html", "text/html") if kind == "html" else ("page.txt", "text/plain")
    page = read_page(RawDocument.from_bytes(name, row[kind].encode("utf-8"), datetime(2026, 1, 1, tzinfo=UTC), media))
    return page if isinstance(page, Page) else None


def gold_labels(texts: list[str], body: str) -> tuple[list[int], list[float]]:
    """Per line: 1 when it belongs to the body, and its weight (its tokens)."""
    gold = TOKEN.findall(body.lower())
    grams = {tuple(gold[i:i + 4]) for i in range(len(gold) - 3)}
    joined = f" {' '.join(gold)} "
    labels, weights = [], []
    for text in texts:
        tokens = TOKEN.findall(text.lower())
        if len(tokens) >= 4:
            own = [tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)]
            covered = sum(g in grams for g in own) / len(own)
            labels.append(int(covered >= 0.5))
        else:
            labels.append(int(bool(tokens) and f" {' '.join(tokens)} " in joined))
        weights.append(float(max(1, len(tokens))))
    return labels, weights


@dataclass
class PageRows:
    """One page's feature rows and what training needs beside them."""

    x: np.ndarray
    y: list[int]
    w: np.ndarray
    groups: np.ndarray  # each line's block group (Line.group)
    paths: np.ndarray  # each line's path (Line.path)
    units: np.ndarray
    asked: np.ndarray  # indices of the lines the first ensemble is asked about at run time (classifier.asked_lines)
    host: str


def page_rows(row: dict[str, Any], kind: str) -> PageRows | None:
    """One page's feature rows, line labels and weights, the rules judging it as extraction does."""
    page = page_of(row, kind)
    if page is None or not page.lines:
        return None
    lines, hints = page.lines, page_hints(page)
    labels = classify(lines, ExtractionSettings(), hints, learned=False).labels
    y, w = gold_labels([ln.text for ln in lines], row["body"])
    units = [rules.units(ln.text) for ln in lines]
    asked = classifier.asked_lines(lines, labels, units, WITHIN_BODY[kind])[0]
    return PageRows(classifier.features(lines, labels, units, hints), y, np.array(w), *classifier.places(lines),
                    np.array(units, dtype=np.float64), asked,
                    (urlsplit(row.get("url") or "").hostname or "").removeprefix("www."))


def dataset(data: dict[str, list[dict[str, Any]]], kind: str) -> list[PageRows]:
    """Every page of `data` (file name -> rows); a line weighs the square root of its tokens (long lines
    matter more to the scorer, not all of it) times its file's weight, and times UNLISTED_COPIES[kind]
    in the pages' phrase-blind copies."""
    pages: list[PageRows] = []
    passes = [(1.0, False)] + ([(UNLISTED_COPIES[kind], True)] if kind in UNLISTED_COPIES else [])
    for weight, blind in passes:
        with unlisted_language() if blind else contextlib.nullcontext():
            for file, rows in data.items():
                for row in rows:
                    got = page_rows(row, kind)
                    if got is not None:
                        got.w = np.sqrt(got.w) * FILE_WEIGHT.get(file, 1.0) * weight
                        pages.append(got)
    return pages


def fit(pages: list[PageRows], kind: str) -> dict[str, Any]:
    """The first ensemble on every line, then the second on each line's features and the first's
    verdicts around it, as a first ensemble that never saw the page's site gave them (CONTEXT_FOLDS folds
    by host: at run time the page is new)."""
    import lightgbm

    def booster(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Averaged:
        data = lightgbm.Dataset(x, y, weight=w)
        return Averaged([lightgbm.train({**PARAMS, "seed": PARAMS["seed"] + 100 * k}, data, num_boost_round=ROUNDS)
                         for k in range(ENSEMBLES[kind])])

    def stacked(chosen: list[PageRows], extra: list[np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
        x = [np.hstack([p.x, e]) for p, e in zip(chosen, extra, strict=True)] if extra else [p.x for p in chosen]
        return np.vstack(x), np.concatenate([p.y for p in chosen]), np.concatenate([p.w for p in chosen])

    first = booster(*stacked(pages))
    model = {**first.arrays(), "band": list(BANDS[kind]), "within_body": WITHIN_BODY[kind]}
    fold = [zlib.crc32(p.host.encode()) % CONTEXT_FOLDS for p in pages]
    said = [np.zeros(len(p.y)) for p in pages]
    for k in range(CONTEXT_FOLDS):
        others = booster(*stacked([p for p, f in zip(pages, fold, strict=True) if f != k]))
        for n, page in enumerate(pages):
            if fold[n] == k and len(page.asked):
                said[n][page.asked] = others.predict(page.x[page.asked])
    extra = [classifier.context_features(s, p.groups, p.paths, p.units) for s, p in zip(said, pages, strict=True)]
    second = booster(*stacked(pages, extra))
    return {**model, "context": {**second.arrays(), "band": list(BANDS[kind])}}


@dataclass
class Averaged:
    """Ensembles grown alike from different seeds, averaged: the mean of their scores."""

    boosters: list[Any]

    def predict(self, x: np.ndarray) -> np.ndarray:
        margin = np.mean([b.predict(x, raw_score=True) for b in self.boosters], axis=0)
        return 1.0 / (1.0 + np.exp(-margin))  # (as classifier.Trees.predict gives it)

    def arrays(self) -> dict[str, Any]:
        """All the ensembles' trees as one, each leaf divided by their number: summed, the mean."""
        share = 1.0 / len(self.boosters)
        return to_arrays([t["tree_structure"] for b in self.boosters for t in b.dump_model()["tree_info"]], share)


def to_arrays(trees: list[dict[str, Any]], share: float = 1.0) -> dict[str, Any]:
    """LightGBM's dumped trees as the flat arrays classifier.Trees walks, each leaf times `share`."""
    per_tree: list[dict[str, list[Any]]] = []
    depth = 0
    for root in trees:
        arrays: dict[str, list[Any]] = {"feature": [], "threshold": [], "left": [], "right": [], "leaf": []}

        def visit(node: dict[str, Any], level: int, arrays: dict[str, list[Any]] = arrays) -> int:
            nonlocal depth
            if "leaf_value" in node:
                arrays["leaf"].append(node["leaf_value"] * share)
                depth = max(depth, level)
                return -len(arrays["leaf"])  # leaf j is written -1-j
            at = len(arrays["feature"])
            for key in ("feature", "threshold", "left", "right"):
                arrays[key].append(0)
            arrays["feature"][at] = node["split_feature"]
            arrays["threshold"][at] = float(node["threshold"])
            if node.get("default_left") and node.get("missing_type") != "None":
                raise ValueError("a split that sends missing values left: not supported by classifier.Trees")
            arrays["left"][at] = visit(node["left_child"], level + 1)
            arrays["right"][at] = visit(node["right_child"], level + 1)
            return at

        if "leaf_value" in root:  # a one-leaf tree: a constant
            arrays["feature"], arrays["threshold"], arrays["left"], arrays["right"] = [0], [0.0], [-1], [-1]
            arrays["leaf"] = [root["leaf_value"] * share]
        else:
            visit(root, 0)
        per_tree.append(arrays)
    nodes = max(len(t["feature"]) for t in per_tree)
    leaves = max(len(t["leaf"]) for t in per_tree)

    def pad(key: str, width: int, fill: float) -> list[list[Any]]:
        return [t[key] + [fill] * (width - len(t[key])) for t in per_tree]

    return {"depth": max(depth, 1), "bias": 0.0, "band": [0.5, 0.5],
            "feature": pad("feature", nodes, 0), "threshold": pad("threshold", nodes, 0.0),
            "left": pad("left", nodes, -1), "right": pad("right", nodes, -1),
            "leaf": [[round(v, 6) for v in row] for row in pad("leaf", leaves, 0.0)]}


def train(data: dict[str, list[dict[str, Any]]]) -> classifier.Models:
    """Both models trained on the pages of `data` (file name -> rows)."""
    built = {kind: fit(dataset(data, kind), kind) for kind in ("html", "text")}
    return classifier.Models(classifier.Trees.from_json(built["html"]), classifier.Trees.from_json(built["text"]))


def main() -> None:
    from benchmarks.extraction import FILES, load

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", choices=list(FILES), default=list(FILES))
    parser.add_argument("--out", default=str(classifier.MODEL_FILE))
    args = parser.parse_args()
    data = {name: load(name) for name in args.files}
    model = {kind: fit(dataset(data, kind), kind) for kind in ("html", "text")}
    Path(args.out).write_text(json.dumps({**model, "trained_on": args.files}, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: trained on {', '.join(args.files)} ({sum(map(len, data.values()))} pages)")


if __name__ == "__main__":
    main()
