"""De-duplication: exact copies, near-duplicates and overlapping reports, flagged and linked, never deleted."""

from newsdedup.dedup.engine import BatchOutcome, Deduplicator

__all__ = ["BatchOutcome", "Deduplicator"]
