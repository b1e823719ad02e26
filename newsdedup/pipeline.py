"""The pipeline's steps as plain functions over batches: what a Prefect task (or a test, or a
benchmark) calls. Each step reads its input from the store and writes its output back, so any step
can be re-run alone and a failure loses nothing already kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsdedup.config import Settings
from newsdedup.dedup import BatchOutcome, Deduplicator
from newsdedup.extract import EXTRACTOR_VERSION, recurring_lines
from newsdedup.page_work import LocalWorkers, PageWorkers, extract_pages
from newsdedup.parallel import MIN_ITEMS_PER_WORKER, worker_count
from newsdedup.sources.files import READ_BUDGET_BYTES, file_size, path_of, read_files
from newsdedup.store import Store

# Raw bytes one extraction pass holds (pages, decoded text and articles come to ~3x that, plus workers).
EXTRACT_BUDGET_BYTES = 128 << 20


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    """Work units for one task each: ids or paths, `size` at a time."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def runs_within(items: list[str], size_of: Callable[[str], int], budget: int) -> Iterator[list[str]]:
    """`items` in order, in runs of about `budget` bytes together (at least one item a run)."""
    run: list[str] = []
    held = 0
    for item in items:
        size = size_of(item)
        if run and held + size > budget:
            yield run
            run, held = [], 0
        run.append(item)
        held += size
    if run:
        yield run


@dataclass
class IngestStats:
    seen: int = 0
    new: int = 0  # new contents kept
    new_versions: int = 0  # of those, changed versions of a known path
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: IngestStats) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ExtractStats:
    pages: int = 0
    articles: int = 0
    quarantined: int = 0
    boilerplate_removed: int = 0
    low_confidence: int = 0
    superseded: int = 0  # records of an earlier extractor version retired
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: ExtractStats) -> None:
        self.pages += other.pages
        self.articles += other.articles
        self.quarantined += other.quarantined
        self.boilerplate_removed += other.boilerplate_removed
        self.low_confidence += other.low_confidence
        self.superseded += other.superseded
        for reason, n in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + n


def ingest_files(store: Store, root: Path, names: list[str], settings: Settings, seen_at: datetime) -> IngestStats:
    known = store.known_sources(names)  # only this batch's paths: cost stays flat as the store grows
    stamps = store.known_file_stamps(names)
    stats = IngestStats(seen=len(names))
    # Kept a few dozen megabytes at a time: a batch of large files is never all in memory at once.
    for part in runs_within(names, lambda name: file_size(path_of(root, name)), READ_BUDGET_BYTES):
        result = read_files(root, part, known, settings.max_file_bytes, seen_at, stamps)
        new, versions = store.add_raw(result.documents)
        store.touch_sources(result.unchanged, seen_at)
        store.quarantine(result.quarantined)
        stats.add(IngestStats(0, new, versions, len(result.unchanged), len(result.quarantined)))
    return stats


@dataclass
class ExtractionPlan:
    pending: list[str]  # raw documents to extract, in arrival order
    replaced_version: str | None = None  # an earlier extractor whose records this run supersedes


def plan_extraction(store: Store) -> ExtractionPlan:
    """What to extract. After an upgrade of the extractor, that is every stored page: the store adopts
    the new version (resetting what was derived across pages) and each page's old record is superseded
    when it is extracted again, so old and new records of one page never stand side by side."""
    replaced = store.adopt_extractor_version(EXTRACTOR_VERSION)
    return ExtractionPlan(store.pending_extraction(EXTRACTOR_VERSION), replaced)


def extract_batch(store: Store, hashes: list[str], settings: Settings,
                  workers: PageWorkers | None = None) -> ExtractStats:
    """Extract the pages of `hashes` that are still pending and not claimed by another run. A batch
    holding more than EXTRACT_BUDGET_BYTES of raw content goes in parts of about that size, each a
    batch of its own (claimed, learned from and written whole), so memory stays bounded. The per-page
    work runs on `workers` (a Dask cluster, say), by default this machine's worker processes."""
    total = ExtractStats()
    sizes = store.raw_sizes(hashes)
    for part in runs_within(hashes, lambda h: sizes.get(h, 0), EXTRACT_BUDGET_BYTES):
        with store.claim_extraction(part, EXTRACTOR_VERSION) as claimed:
            total.add(_extract_claimed(store, claimed, settings, workers))
    return total


def _extract_claimed(store: Store, hashes: list[str], settings: Settings,
                     workers: PageWorkers | None = None) -> ExtractStats:
    # All per-page work (decode, parse, classify) runs on worker processes, in chunks of a few
    # megabytes; this process loads and ships their raw bytes, learns the outlets' furniture between
    # the two passes (lines recurring across their pages, in this batch and in their history), writes.
    sizes = store.raw_sizes(hashes)
    if workers is None:
        local = worker_count(settings.extract_workers) if len(hashes) >= 2 * MIN_ITEMS_PER_WORKER else 1
        workers = LocalWorkers(store.load_raw, local)
    # Chunks of a few megabytes, and at least four a worker: a small batch is spread over them all too.
    chunk_bytes = min(workers.chunk_bytes, max(1, sum(sizes.get(h, 0) for h in hashes) // (4 * workers.slots)))
    done = extract_pages(list(runs_within(hashes, lambda h: sizes.get(h, 0), chunk_bytes)), workers,
                         lambda counts: recurring_lines(counts, store.line_history(counts)), settings.extraction)
    produced, failed = done.articles, done.failed
    # Articles, line counts and quarantine records in one transaction: a crash loses the batch whole.
    extracted = [h for h in hashes if h in sizes]
    _, superseded = store.save_extraction(produced, done.seen_at, extracted, done.counts, failed)
    reasons: dict[str, int] = {}
    for q in failed:
        reasons[q.reason] = reasons.get(q.reason, 0) + 1
    return ExtractStats(
        pages=done.pages,
        articles=len(produced),
        quarantined=len(failed),
        boilerplate_removed=sum(a.boilerplate_removed for a in produced),
        low_confidence=sum(a.confidence < 0.5 for a in produced),
        superseded=superseded,
        quarantine_reasons=reasons,
    )


def pending_dedup(store: Store) -> list[str]:
    return store.pending_dedup(EXTRACTOR_VERSION)


def dedup_batch(store: Store, ids: list[str], settings: Settings) -> BatchOutcome:
    return Deduplicator(store, settings.dedup).run_batch(ids)
