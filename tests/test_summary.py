"""The run summary as a person reads it in the Prefect UI: hostile titles stay plain text."""

from __future__ import annotations

import re

from newsdedup.summary import md_escape, summary_line, summary_markdown

SUMMARY = {
    "ingest": {"seen": 2, "new": 2, "new_versions": 0, "unchanged": 0, "quarantined": 0},
    "extract": {"articles": 2, "boilerplate_removed": 3, "low_confidence": 0, "quarantined": 0},
    "dedup": {"unique": 2, "exact": 0, "near": 0, "overlaps": 1, "top_overlaps": [["a1", "b2", 3]]},
    "store": {"articles": 2, "groups": 2, "overlap_links": 1, "quarantined": 0},
    "seconds": {"ingest": 0.1, "extract": 0.2, "dedup": 0.3},
}


def unescaped(markdown: str, token: str) -> bool:
    """True when `token` occurs without a backslash before its first character."""
    return re.search(r"(?<!\\)" + re.escape(token[0]) + re.escape(token[1:]), markdown) is not None


def test_hostile_titles_render_inert() -> None:
    hostile = {"a1": "<script>alert(1)</script>", "b2": "[win](javascript:alert(2)) | **bold** <img src=x>"}
    markdown = summary_markdown(SUMMARY, hostile)
    table_rows = [ln for ln in markdown.splitlines() if ln.startswith("| ") and "a1" in ln]
    assert len(table_rows) == 1
    row = table_rows[0]
    assert row.count(" | ") == 2  # the title's "|" did not open a new cell
    for token in ("<script>", "<img", "](", "**"):
        assert not unescaped(row, token), token
    assert "\\<script\\>alert\\(1\\)\\</script\\> (a1)" in row


def test_summary_lists_counts_and_escapes_every_special_character() -> None:
    markdown = summary_markdown(SUMMARY, {"a1": "Plain title", "b2": None})
    assert re.search(r"records written\s+2", markdown) and re.search(r"overlapping pairs\s+1", markdown)
    assert "| Plain title (a1) | b2 | 3 |" in markdown
    assert md_escape("line\nbreak & <b>") == "line break \\& \\<b\\>"


def test_summary_says_when_a_run_rebuilt_the_dedup_index() -> None:
    assert "index rebuilt" not in summary_markdown(SUMMARY, {})
    rebuilt = {**SUMMARY, "dedup": {**SUMMARY["dedup"], "reindexed": 1200}}
    assert re.search(r"dedup index rebuilt \(new index parameters\)\s+1200 articles", summary_markdown(rebuilt, {}))


def test_one_line_summary_for_logs() -> None:
    assert summary_line(SUMMARY) == ("2 records written, 2 new stories, 0 exact and 0 near duplicates, "
                                     "1 overlapping pairs, 0 quarantined")
