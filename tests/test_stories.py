"""Stories: a group's size and outlets on every record (export, show, Parquet), `newsdedup stories`,
and the run summary's top stories and per-outlet counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pages import STORIES, news_page
from sqlalchemy import update

from newsdedup.cli import main
from newsdedup.config import Settings
from newsdedup.pipeline import dedup_batch, extract_batch, ingest_files, pending_dedup, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.read import export_records, run_stories, show, stories
from newsdedup.store.schema import articles
from newsdedup.summary import format_stories, summary_markdown


def _run(store: Store, raw: Path) -> dict:
    """The pipeline's steps, and the run's stories as the flow reports them."""
    settings = Settings()
    ingest_files(store, raw, list_files(raw), settings, datetime.now(UTC))
    extract_batch(store, plan_extraction(store).pending, settings)
    pending = pending_dedup(store)
    dedup_batch(store, pending, settings)
    return run_stories(store, pending)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """One story carried by three outlets (the wire's copy published first, ingested last), one carried
    by the Courier, and a Gazette report that lifted two of its paragraphs into its own story."""
    raw = tmp_path / "raw"
    for outlet in ("wire", "agency", "courier", "gazette"):
        (raw / outlet).mkdir(parents=True)
    (raw / "agency" / "bridge.html").write_bytes(news_page("bridge", title="Bridge closed", published="2026-11-02"))
    (raw / "courier" / "bridge.html").write_bytes(news_page("bridge", title="Bridge shut", published="2026-11-02"))
    (raw / "wire" / "bridge.html").write_bytes(news_page("bridge", title="Bridge to close", published="2026-11-01"))
    (raw / "courier" / "orchestra.html").write_bytes(news_page("orchestra"))
    lifted = STORIES["harvest"] + STORIES["orchestra"][:2]
    (raw / "gazette" / "harvest.html").write_bytes(news_page("harvest", paragraphs=lifted))
    return raw


def test_records_carry_their_storys_size_and_outlets(store: Store, raw: Path) -> None:
    _run(store, raw)
    by_source = {r["source"]: r for r in export_records(store, include_duplicates=True)}
    bridge = by_source["wire/bridge.html"]
    assert bridge["canonical"] and bridge["group_size"] == 3
    # the canonical record's outlet first, then the others in order of arrival
    assert bridge["outlets"] == ["wire", "agency", "courier"]
    assert by_source["agency/bridge.html"]["outlets"] == bridge["outlets"]
    assert by_source["agency/bridge.html"]["group_size"] == 3
    assert by_source["courier/orchestra.html"]["group_size"] == 1
    assert by_source["courier/orchestra.html"]["outlets"] == ["courier"]
    canonical_only = list(export_records(store))
    assert [r["source"] for r in canonical_only if r["group_size"] == 3] == ["wire/bridge.html"]
    shown = show(store, by_source["courier/bridge.html"]["id"])
    assert shown is not None and shown["group_size"] == 3 and shown["outlets"] == ["wire", "agency", "courier"]


def test_stories_are_listed_by_size(store: Store, raw: Path) -> None:
    _run(store, raw)
    found = stories(store)
    assert [s["size"] for s in found] == [3, 1, 1]
    bridge, *singles = found
    assert bridge["title"] == "Bridge to close" and bridge["published"] == "2026-11-01"
    assert bridge["outlets"] == ["wire", "agency", "courier"] and bridge["overlap_links"] == 0
    assert {s["title"] for s in singles} == {"Orchestra", "Harvest"}
    assert all(s["overlap_links"] == 1 for s in singles)
    orchestra, harvest = sorted(singles, key=lambda s: s["title"] != "Orchestra")
    assert orchestra["linked_stories"] == [harvest["group"]] and harvest["linked_stories"] == [orchestra["group"]]
    assert [s["group"] for s in stories(store, limit=2)] == [bridge["group"], found[1]["group"]]
    # first seen: the earliest arrival of any of its records
    with store.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.group_id == orchestra["group"])
                     .values(ingested_at=datetime(2020, 5, 1, tzinfo=UTC)))
    assert stories(store, limit=5)[-1]["first_seen"] == "2020-05-01T00:00:00+00:00"
    two_hours_east = timezone(timedelta(hours=2))  # 01:00 there is 23:00 UTC the day before
    east = stories(store, since=datetime(2020, 5, 1, 1, tzinfo=two_hours_east))
    assert orchestra["group"] in {s["group"] for s in east}
    recent = stories(store, since=datetime(2021, 1, 1, tzinfo=UTC))
    assert orchestra["group"] not in {s["group"] for s in recent} and len(recent) == 2
    assert [s["group"] for s in stories(store, since=datetime(2020, 1, 1, tzinfo=UTC))] == [
        s["group"] for s in stories(store)]  # the older story now last among equals


def test_a_runs_stories_and_outlet_counts(store: Store, raw: Path) -> None:
    first = _run(store, raw)
    assert first["outlets"] == {
        "courier": {"new": 1, "exact": 1, "near": 0, "overlapping": 0},
        "agency": {"new": 1, "exact": 0, "near": 0, "overlapping": 0},
        "gazette": {"new": 1, "exact": 0, "near": 0, "overlapping": 1},
        "wire": {"new": 0, "exact": 1, "near": 0, "overlapping": 0},
    }
    top = first["top_stories"]
    assert [(s["title"], s["size"], s["added"], s["new"]) for s in top[:1]] == [("Bridge to close", 3, 3, True)]
    assert len(top) == 3
    # A later run: one more copy of the bridge story; the story is not new, it gained one record.
    (raw / "gazette" / "bridge.html").write_bytes(news_page("bridge", title="Bridge: lorries barred"))
    second = _run(store, raw)
    assert second["outlets"] == {"gazette": {"new": 0, "exact": 1, "near": 0, "overlapping": 0}}
    assert [(s["size"], s["added"], s["new"], s["outlets"]) for s in second["top_stories"]] == [
        (4, 1, False, ["wire", "agency", "courier", "gazette"])]
    assert _run(store, raw) == {"top_stories": [], "outlets": {}}  # nothing arrived


def test_the_run_summary_shows_top_stories_and_outlets_escaped() -> None:
    story = {"group": "g1", "canonical_id": "a1", "title": "<img src=x onerror=alert(1)> | [x](javascript:1)",
             "published": None, "canonical_url": None, "first_seen": "2026-12-01T08:00:00+00:00", "size": 4,
             "outlets": ["**Bold** Times", "<b>", *[f"o{n}" for n in range(9)]], "overlap_links": 2,
             "linked_stories": ["g2"], "added": 1, "new": False}
    summary = {
        "ingest": {"seen": 1, "new": 1, "new_versions": 0, "unchanged": 0, "quarantined": 0},
        "extract": {"articles": 1, "boilerplate_removed": 0, "low_confidence": 0, "quarantined": 0},
        "dedup": {"unique": 0, "exact": 1, "near": 0, "overlaps": 0, "top_overlaps": []},
        "store": {"articles": 4, "groups": 1, "overlap_links": 2, "quarantined": 0},
        "seconds": {"ingest": 0.1},
        "stories": {"top_stories": [story],
                    "outlets": {"": {"new": 0, "exact": 1, "near": 0, "overlapping": 0},
                                "[evil](javascript:x)": {"new": 2, "exact": 0, "near": 1, "overlapping": 3}}},
    }
    markdown = summary_markdown(summary, {})
    assert "## Top stories of this run" in markdown and "## Outlets of this run" in markdown
    row = next(ln for ln in markdown.splitlines() if "a1" in ln)
    assert row.count(" | ") == 5  # the title's "|" opened no cell
    for token in ("<img", "](", "**", "<b>"):
        assert re.search(r"(?<!\\)" + re.escape(token), row) is None, token
    assert "| 4 | 1 |" in row and "\\+3 more" in row and "| 2 |" in row
    assert "| (no outlet) | 0 | 1 | 0 | 0 |" in markdown
    assert "| \\[evil\\]\\(javascript:x\\) | 2 | 0 | 1 | 3 |" in markdown
    # a summary without stories (an earlier run's) renders as before
    assert "Top stories" not in summary_markdown({**summary, "stories": {}}, {})


@pytest.fixture
def processed(raw: Path, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url)
    _run(store, raw)
    store.close()
    return url


def test_stories_command(processed: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", processed, "stories", "--json", "--limit", "2"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["size"] for s in listed] == [3, 1] and listed[0]["outlets"] == ["wire", "agency", "courier"]
    assert main(["--store", processed, "stories"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["records", "first", "seen", "overlaps", "outlets", "story"]
    assert re.match(r"\s*3\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+0\s+wire, agency, courier\s+Bridge to close \[", table[1])
    assert len(table) == 4
    assert main(["--store", processed, "stories", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out.startswith("no stories")
    with pytest.raises(SystemExit):
        main(["--store", processed, "stories", "--since", "last week"])
    assert "not a date" in capsys.readouterr().err


def test_export_and_parquet_carry_group_size_and_outlets(processed: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", processed, "export", "--all"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["source"]: r["group_size"] for r in rows}["courier/bridge.html"] == 3
    out = tmp_path / "out.parquet"
    assert main(["--store", processed, "export", "--format", "parquet", "--all", "-o", str(out)]) == 0
    table = pq.read_table(out).to_pylist()
    wire = next(r for r in table if r["source"] == "wire/bridge.html")
    assert wire["group_size"] == 3 and wire["outlets"] == ["wire", "agency", "courier"]


def test_the_stories_table_names_untitled_stories_and_keeps_control_characters_out() -> None:
    story = {"group": "g", "title": None, "first_seen": "2026-12-01T08:00:00+00:00", "size": 2,
             "overlap_links": 0, "outlets": ["a", "b", "c", "d", "e"]}
    lines = format_stories([story]).splitlines()
    assert "a, b, c +2" in lines[1] and "(untitled) [g]" in lines[1]
    hostile = format_stories([{**story, "title": "Line\nbreak \x1b[31mred", "outlets": ["\x1b]0;x\x07"]}])
    assert "\x1b" not in hostile and "\x07" not in hostile and len(hostile.splitlines()) == 2
