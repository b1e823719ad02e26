"""The human-readable run summary printed by the CLI and published to the Prefect UI."""

from __future__ import annotations

from typing import Any


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


def format_summary(summary: dict[str, Any]) -> str:
    extract, dedup, store = summary["extract"], summary["dedup"], summary["store"]
    arrival = summary.get("fetch") or summary["ingest"]
    seconds = summary.get("seconds", {})
    total = sum(seconds.values())
    rows = [
        *_arrival_rows(summary),
        ("records written", extract["articles"]),
        ("boilerplate lines removed", extract["boilerplate_removed"]),
        ("low-confidence extractions", extract["low_confidence"]),
        ("exact duplicates", dedup["exact"]),
        ("near duplicates", dedup["near"]),
        ("overlapping pairs", dedup["overlaps"]),
        ("quarantined this run", arrival["quarantined"] + extract["quarantined"]),
        ("store: articles / groups", f"{store['articles']} / {store['groups']}"),
        ("store: overlap links", store["overlap_links"]),
        ("store: quarantined", store["quarantined"]),
        ("seconds (" + "/".join(seconds) + ")",
         " / ".join(f"{v:.2f}" for v in seconds.values()) + f"  total {total:.2f}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
