"""The human-readable run summary printed by the CLI and published to the Prefect UI, and the
escaping that keeps untrusted text (titles, URLs, file names) inert in Markdown."""

from __future__ import annotations

import re
from typing import Any

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")
_OUTLETS_PER_STORY = 8
_OUTLET_ROWS = 30  # outlets listed in the artifact, most records first


def md_escape(text: object) -> str:
    """Every character that could start a tag, link, emphasis or table cell is escaped, and line
    breaks become spaces, so a title like `<script>` or `[x](javascript:...)` renders as plain text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def summary_markdown(summary: dict[str, Any], titles: dict[str, str | None]) -> str:
    """The run's Markdown artifact: the summary table and its top overlapping pairs, by title."""
    lines = ["# newsdedup run", "", "```", format_summary(summary), "```"]
    overlaps = summary["dedup"]["top_overlaps"][:10]
    if overlaps:
        lines += ["", "## Top overlapping pairs", "", "| article | shares passages with | paragraph pairs |",
                  "|---|---|---|"]
        for a, b, n in overlaps:
            lines.append(f"| {_labelled(a, titles)} | {_labelled(b, titles)} | {n} |")
    stories = summary.get("stories") or {}
    return "\n".join(lines + _top_stories(stories.get("top_stories", []))
                     + _outlet_counts(stories.get("outlets", {})))


def _top_stories(stories: list[dict[str, Any]]) -> list[str]:
    """The largest stories this run's records founded or joined (`store.read.run_stories`)."""
    if not stories:
        return []
    lines = ["", "## Top stories of this run", "",
             "| story | records | added this run | outlets | first seen | overlap links |", "|---|---|---|---|---|---|"]
    for story in stories:
        label = _labelled(story["canonical_id"], {story["canonical_id"]: story["title"]})
        outlets = ", ".join(md_escape(o) for o in story["outlets"][:_OUTLETS_PER_STORY])
        if len(story["outlets"]) > _OUTLETS_PER_STORY:
            outlets += " " + md_escape(f"+{len(story['outlets']) - _OUTLETS_PER_STORY} more")
        lines.append(f"| {label}{' (new)' if story.get('new') else ''} | {story['size']} | {story.get('added', '')} "
                     f"| {outlets} | {md_escape(story['first_seen'])} | {story['overlap_links']} |")
    return lines


def _outlet_counts(outlets: dict[str, dict[str, int]]) -> list[str]:
    """Per outlet, what became of this run's records: new stories, exact and near duplicates, and
    records linked to other stories by shared passages."""
    if not outlets:
        return []
    lines = ["", "## Outlets of this run", "", "| outlet | new | exact | near | overlapping |", "|---|---|---|---|---|"]
    for outlet, n in list(outlets.items())[:_OUTLET_ROWS]:
        name = md_escape(outlet) if outlet else "(no outlet)"
        lines.append(f"| {name} | {n['new']} | {n['exact']} | {n['near']} | {n['overlapping']} |")
    if len(outlets) > _OUTLET_ROWS:
        lines += ["", f"and {len(outlets) - _OUTLET_ROWS} more outlets (the run's summary in the store has all)"]
    return lines


def _labelled(article_id: str, titles: dict[str, str | None]) -> str:
    title = titles.get(article_id)
    if title and len(title) > 80:
        title = title[:79] + "…"
    return f"{md_escape(title)} ({md_escape(article_id)})" if title else md_escape(article_id)


def _arrival_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    if "fetch" in summary:
        f = summary["fetch"]
        return [
            ("feeds and sitemaps polled", f["listings"]),
            ("  pages listed", f["listed"]),
            ("  listed, unchanged (not requested)", f["skipped"]),
            ("pages requested", f["requested"]),
            ("  new", f["new"]),
            ("  unchanged (304 or same bytes)", f["unchanged"]),
        ]
    ingest = summary["ingest"]
    return [
        ("inputs seen", ingest["seen"]),
        ("  new", ingest["new"]),
        ("  of which changed versions", ingest["new_versions"]),
        ("  unchanged (skipped)", ingest["unchanged"]),
    ]


def quarantined_this_run(summary: dict[str, Any]) -> int:
    arrival = summary.get("fetch") or summary["ingest"]
    return int(arrival["quarantined"] + summary["extract"]["quarantined"])


def summary_line(summary: dict[str, Any]) -> str:
    """The run in one line, for logs (the table is the run-summary artifact)."""
    extract, dedup = summary["extract"], summary["dedup"]
    return (f"{extract['articles']} records written, {dedup['unique']} new stories, {dedup['exact']} exact and "
            f"{dedup['near']} near duplicates, {dedup['overlaps']} overlapping pairs, "
            f"{quarantined_this_run(summary)} quarantined")


def format_summary(summary: dict[str, Any]) -> str:
    extract, dedup, store = summary["extract"], summary["dedup"], summary["store"]
    seconds = summary.get("seconds", {})
    total = sum(seconds.values())
    rows = [
        *_arrival_rows(summary),
        ("records written", extract["articles"]),
        ("boilerplate lines removed", extract["boilerplate_removed"]),
        ("low-confidence extractions", extract["low_confidence"]),
        *([("earlier extractions superseded", extract["superseded"])] if extract.get("superseded") else []),
        ("new stories (groups)", dedup["unique"]),
        ("exact duplicates", dedup["exact"]),
        ("near duplicates", dedup["near"]),
        ("overlapping pairs", dedup["overlaps"]),
        *([("dedup index rebuilt (new index parameters)", f"{dedup['reindexed']} articles")]
          if dedup.get("reindexed") else []),
        ("quarantined this run", quarantined_this_run(summary)),
        ("store: articles / groups", f"{store['articles']} / {store['groups']}"),
        ("store: overlap links", store["overlap_links"]),
        ("store: quarantined", store["quarantined"]),
        ("seconds (" + "/".join(seconds) + ")",
         " / ".join(f"{v:.2f}" for v in seconds.values()) + f"  total {total:.2f}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _printable(text: str) -> str:
    """Untrusted text for a terminal: control characters (escape sequences, line breaks) become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def format_stories(stories: list[dict[str, Any]]) -> str:
    """`newsdedup stories` as a terminal table: one line a story, its canonical title last."""
    if not stories:
        return "no stories (nothing de-duplicated yet, or none first seen since then)"
    rows = [("records", "first seen", "overlaps", "outlets", "story")]
    for story in stories:
        more = len(story["outlets"]) - 3
        outlets = _printable(", ".join(story["outlets"][:3]) + (f" +{more}" if more > 0 else ""))
        title = _printable(story["title"] or "(untitled)")
        rows.append((str(story["size"]), story["first_seen"][:16].replace("T", " "), str(story["overlap_links"]),
                     outlets or "-", f"{title[:90]} [{story['group']}]"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:<{widths[3]}}  {r[4]}"
                     for r in rows)
