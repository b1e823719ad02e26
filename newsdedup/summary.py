"""The human-readable run summary printed by `make run` and published to the Prefect UI."""

from __future__ import annotations

from typing import Any


def format_summary(summary: dict[str, Any]) -> str:
    ingest, extract, dedup, store = summary["ingest"], summary["extract"], summary["dedup"], summary["store"]
    seconds = summary.get("seconds", {})
    total = sum(seconds.values())
    rows = [
        ("inputs seen", ingest["seen"]),
        ("  new", ingest["new"]),
        ("  of which changed versions", ingest["new_versions"]),
        ("  unchanged (skipped)", ingest["unchanged"]),
        ("records written", extract["articles"]),
        ("boilerplate lines removed", extract["boilerplate_removed"]),
        ("low-confidence extractions", extract["low_confidence"]),
        ("exact duplicates", dedup["exact"]),
        ("near duplicates", dedup["near"]),
        ("overlapping pairs", dedup["overlaps"]),
        ("quarantined this run", ingest["quarantined"] + extract["quarantined"]),
        ("store: articles / groups", f"{store['articles']} / {store['groups']}"),
        ("store: overlap links", store["overlap_links"]),
        ("store: quarantined", store["quarantined"]),
        ("seconds (ingest/extract/dedup)",
         " / ".join(f"{seconds.get(k, 0):.2f}" for k in ("ingest", "extract", "dedup")) + f"  total {total:.2f}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
