"""Rewritten reports: a story retold in another outlet's words is linked to its source (never grouped
with it), while an independent report of the same event, sharing its vocabulary but not its
sentences in order, links to nothing. Invented texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_steps
from sqlalchemy import text

from newsdedup.dedup import rewrites
from newsdedup.evaluation import dedup_pages
from newsdedup.store import Store, read

SOURCE = [
    "Storm Elvira flooded the harbour district of Westport on Sunday night, forcing the evacuation of "
    "four hundred residents from homes along the quay.",
    "The river Ashby burst its banks shortly after midnight when a tidal surge met heavy rainfall, the "
    "regional emergency service said in a statement.",
    "Firefighters rescued eleven people trapped in flooded basements, and two elderly residents were "
    "taken to Westport General Hospital with hypothermia.",
    "Mayor Helena Brandt called the flooding the worst the town had seen since records began and asked "
    "volunteers to help clear debris from the streets.",
    "Engineers warned that the harbour wall, damaged by a previous storm in January, could collapse if "
    "another surge arrives on Tuesday.",
    "The council has opened emergency shelters in the sports centre and the cathedral hall, where "
    "families can stay until their homes are declared safe.",
    "Insurance companies estimate the damage to property and businesses at more than thirty million "
    "euros, according to preliminary figures.",
]
RETOLD = [
    "Hundreds of Westport residents living beside the quay were evacuated on Sunday night after Storm "
    "Elvira swamped the harbour district with floodwater.",
    "According to a statement from the regional emergency service, a tidal surge combined with heavy "
    "rainfall made the river Ashby burst its banks soon after midnight.",
    "Eleven people were rescued by firefighters from flooded basements, while two elderly residents "
    "suffering from hypothermia went to Westport General Hospital.",
    "Describing the flooding as the worst since records began, Mayor Helena Brandt appealed for "
    "volunteers to clear the debris left in the streets.",
    "The harbour wall, already damaged during a storm in January, might collapse should another surge "
    "hit on Tuesday, engineers cautioned.",
    "Families may stay in emergency shelters the council opened at the sports centre and cathedral hall "
    "until their homes are declared safe.",
    "Preliminary figures from insurance companies put damage to property and businesses above thirty "
    "million euros.",
]
INDEPENDENT = [
    "Residents of Westport spent Monday shovelling mud out of their kitchens as the cleanup began.",
    "Anna Kowalski, who runs a bakery on the quay, said the water reached her counter within minutes and "
    "ruined flour, ovens and a delivery van.",
    "Volunteers from neighbouring villages arrived with pumps and generators, and a local brewery "
    "offered free meals to anyone who lost their kitchen.",
    "Some residents criticised the council for cutting the budget for flood defences two years ago, a "
    "decision the mayor defended at a tense public meeting.",
    "Meteorologists expect calmer weather later this week, although the coastguard has asked boat "
    "owners to keep their vessels out of the harbour until Friday.",
    "Schools in the harbour district will remain closed until the electricity supply is restored.",
]


def _page(title: str, paragraphs: list[str]) -> str:
    return "\n\n".join([title, *paragraphs])


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    docs = [
        {"id": "source", "outlet": "wire", "text": _page("Storm floods Westport harbour", SOURCE)},
        {"id": "retold", "outlet": "gazette", "text": _page("Westport evacuated as storm hits", RETOLD)},
        {"id": "independent", "outlet": "courier", "text": _page("Westport cleans up", INDEPENDENT)},
        # The retelling run again verbatim elsewhere: one story with it, linked once through it.
        {"id": "retold-again", "outlet": "herald", "text": _page("Storm hits Westport", RETOLD)},
    ]
    return dedup_pages(docs)


def test_a_retold_report_is_linked_to_its_source_and_not_grouped(result: dict[str, Any]) -> None:
    assert result["clusters"]["retold"] != result["clusters"]["source"]
    assert result["clusters"]["retold-again"] == result["clusters"]["retold"]
    assert {frozenset(pair) for pair in result["overlaps"]} == {frozenset(("retold", "source"))}


def test_an_independent_report_of_the_same_event_links_to_nothing(result: dict[str, Any]) -> None:
    assert all("independent" not in pair for pair in result["overlaps"])
    assert len(set(result["clusters"].values())) == 3


def test_sentences_align_only_in_order() -> None:
    source, retold = rewrites.sentences(SOURCE), rewrites.sentences(RETOLD)
    chain = rewrites.aligned(retold, source, 0.5)
    assert len(chain) >= 5
    assert [i for i, _, _ in chain] == sorted({i for i, _, _ in chain})
    assert [j for _, j, _ in chain] == sorted({j for _, j, _ in chain})
    assert all(0.5 <= dice <= 1.0 for _, _, dice in chain)
    # The same sentences told in reverse order keep one pair of the chain, however similar each is.
    assert len(rewrites.aligned(rewrites.sentences(RETOLD[::-1]), source, 0.5)) == 1
    # Sentences too short to say whose they are, and scripts without spaces, give nothing to align.
    assert rewrites.sentences(["It rained.", "Storms came.", "台风袭击了港口，数百名居民被疏散。"]) == []
    # A book-length text is compared on its opening: the cost of a comparison stays bounded.
    book = rewrites.sentences([" ".join(SOURCE)] * 1000)
    assert len(book) == rewrites.MAX_SENTENCES and book[-1].paragraph == rewrites.MAX_SENTENCES // len(SOURCE)


def test_the_record_says_a_link_is_a_retelling(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    for outlet, name, title, paragraphs in (("wire", "source", "Storm floods Westport harbour", SOURCE),
                                            ("gazette", "retold", "Westport evacuated as storm hits", RETOLD)):
        (raw / outlet).mkdir(parents=True)
        (raw / outlet / f"{name}.txt").write_text(_page(title, paragraphs), encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        run_steps(store, raw)
        records = {r["source"]: r for r in read.export_records(store, include_duplicates=True)}
    finally:
        store.close()
    retold, source = records["gazette/retold.txt"], records["wire/source.txt"]
    [link] = retold["overlaps"]
    assert link["id"] == source["id"] and link["kind"] == "retold"
    assert source["overlaps"][0]["kind"] == "retold" and source["overlaps"][0]["id"] == retold["id"]
    assert len(link["paragraphs"]) >= 5 and all(0.5 <= dice <= 1.0 for _, _, dice in link["paragraphs"])


def test_links_of_a_store_made_before_kinds_read_as_lifted(store_url: str, raw_dir: Path) -> None:
    store = Store.open(store_url)
    run_steps(store, raw_dir)
    with store.engine.begin() as conn:  # as the earlier version left it
        conn.execute(text('ALTER TABLE "overlaps" DROP COLUMN kind'))
    store.close()
    migrated = Store.open(store_url)
    try:
        linked = [r for r in read.export_records(migrated, include_duplicates=True) if r["overlaps"]]
    finally:
        migrated.close()
    assert len(linked) == 2 and all(link["kind"] == "lifted" for r in linked for link in r["overlaps"])
