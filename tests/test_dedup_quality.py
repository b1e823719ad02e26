"""De-duplication quality on a labelled sample of syndicated pages (29 pages from the project's dedup
dev set): wire copies in other outlets' furniture, abridged, edited and OCR-noised, reports that lift
passages, and teasers of other stories that must link nothing."""

from __future__ import annotations

import gzip
import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from newsdedup.config import ExtractionSettings
from newsdedup.evaluation import dedup_pages
from newsdedup.extract.lines import classify, lines_from_text

SAMPLE = Path(__file__).parent / "fixtures" / "dedup" / "sample.jsonl.gz"


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def result(sample: list[dict[str, Any]]) -> dict[str, Any]:
    return dedup_pages([{"id": r["id"], "outlet": r["outlet"], "text": r["text"]} for r in sample])


def test_every_copy_joins_its_story_and_no_two_stories_merge(sample: list[dict[str, Any]],
                                                            result: dict[str, Any]) -> None:
    truth = {r["id"]: r["cluster"] for r in sample}
    predicted = result["clusters"]
    wrong = [(a, b) for a, b in combinations(sorted(truth), 2)
             if (truth[a] == truth[b]) != (predicted[a] == predicted[b])]
    assert not wrong, wrong
    assert len(set(truth.values())) == len(set(predicted.values()))


def test_lifted_passages_link_and_teasers_do_not(sample: list[dict[str, Any]], result: dict[str, Any]) -> None:
    cluster = {r["id"]: r["cluster"] for r in sample}
    labelled = {frozenset((cluster[r["id"]], cluster[o])) for r in sample for o in r["overlaps"]}
    linked = {frozenset((cluster[a], cluster[b])) for a, b in result["overlaps"]}
    assert labelled and linked == labelled
    for a, b in result["overlaps"]:
        assert result["clusters"][a] != result["clusters"][b]  # copies are grouped, never linked


def test_teaser_headline_and_snippet_pairs_are_dropped() -> None:
    article = [
        "Councils across the region approved new flood defences on Tuesday after a long debate about costs.",
        "The plan raises river walls along the old town and adds pumps at three bridges before winter.",
        "Engineers said the work would protect about four thousand homes from the kind of floods seen last year.",
    ]
    page = "\n\n".join([
        "Flood plan approved", *article,
        "A row involving a famous singer and her former label — report",
        "A row involving a famous singer and her former label looks like it is coming to an end, lawyers say.",
        "Other news at The Daily",
        "Astronomers found traces of water vapour above the surface of an icy moon of Jupiter, a team says.",
    ])
    result = classify(lines_from_text(page), ExtractionSettings())
    assert result.paragraphs == article



def test_grouping_does_not_depend_on_arrival_order(sample: list[dict[str, Any]], result: dict[str, Any]) -> None:
    reversed_result = dedup_pages([{"id": r["id"], "outlet": r["outlet"], "text": r["text"]} for r in sample[::-1]])
    ids = sorted(result["clusters"])
    for a, b in combinations(ids, 2):
        same_forward = result["clusters"][a] == result["clusters"][b]
        assert same_forward == (reversed_result["clusters"][a] == reversed_result["clusters"][b]), (a, b)
