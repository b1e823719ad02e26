"""A batch's per-page extraction work (decode, parse, classify) done away from the process that holds
the store, in two passes around the cross-page learning that needs the whole batch:

1. `read_chunk`: raw bytes in; each page decoded, parsed and split into lines, and kept where it was
   parsed; out go only what learning counts (outlet and short-line fingerprints) and quarantine records.
2. The caller counts lines over the batch and its history and learns each outlet's furniture.
3. `classify_held`: the learned fingerprints of the chunk's outlets in, articles out.

A chunk's two passes run in the same worker process (`PageWorkers` slots: one single-process executor
per local worker, or one Dask worker each), so parsed pages never cross a process boundary and the
parent only moves bytes in and compact results out. Locally raw documents are loaded a chunk at a
time, a few chunks ahead of the workers, so the parent never holds a batch's pages. Results come back
in page order: the articles are exactly those of a sequential run. A worker that dies costs its
chunks a second read, never the batch."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from newsdedup.config import ExtractionSettings
from newsdedup.documents import Article, LineCounts, Quarantined, RawDocument
from newsdedup.extract import Page, extract_job, read_page
from newsdedup.extract.limits import forget_large_page
from newsdedup.parallel import pinned_executors, replace_pinned

CHUNK_BYTES = 2 << 20  # raw bytes per unit of work: a few dozen pages, a second or so of work
CHUNKS_AHEAD = 2  # chunks loaded and queued per worker beyond the one it works on
_log = logging.getLogger(__name__)
_tokens = itertools.count()
# In a worker: parsed pages waiting for their second pass (without their raw bytes, which the second
# pass never reads), with their raw sizes, by chunk.
_held: dict[int, list[tuple[Page, int]]] = {}

T = TypeVar("T", covariant=True)
Digests = list["PageDigest | Quarantined"]
Items = list[Article | Quarantined]


@dataclass(frozen=True)
class PageDigest:
    """What cross-page learning needs of a parsed page, and when the page arrived (for its record)."""

    outlet: str
    fingerprints: frozenset[int]
    raw_sha256: str
    seen_at: datetime


@dataclass
class Extracted:
    """A batch's outcome, in page order."""

    articles: list[Article] = field(default_factory=list)
    failed: list[Quarantined] = field(default_factory=list)
    counts: LineCounts = field(default_factory=LineCounts)
    seen_at: dict[str, datetime] = field(default_factory=dict)  # of each page read, by raw sha256
    pages: int = 0


# -- what runs in a worker -------------------------------------------------------------------------------

def read_chunk(token: int, raws: list[RawDocument]) -> Digests:
    """First pass: parse the chunk's pages and keep them here under `token`."""
    pages: list[tuple[Page, int]] = []
    digests: Digests = []
    for raw in raws:
        page = read_page(raw)
        forget_large_page(len(raw.content))
        if isinstance(page, Quarantined):
            digests.append(page)
        else:
            pages.append((dataclasses.replace(page, raw=dataclasses.replace(raw, content=b"")), len(raw.content)))
            digests.append(PageDigest(page.outlet, page.fingerprints, raw.sha256, raw.seen_at))
    _held[token] = pages
    return digests


def classify_held(token: int, settings: ExtractionSettings, learned: dict[str, frozenset[int]],
                  reload: Callable[[], list[RawDocument]] | None = None) -> Items:
    """Second pass: classify the chunk's pages with their outlets' furniture. Pages that are not here
    (their worker died and this is another) are read again from `reload`."""
    if token not in _held:
        if reload is None:
            raise LookupError(f"chunk {token} is not held here and cannot be read again")
        read_chunk(token, reload())
    items: Items = []
    for page, size in _held.pop(token):
        items.append(extract_job((page, settings, learned.get(page.outlet, frozenset()))))
        forget_large_page(size)
    return items


def forget_chunks(tokens: Sequence[int]) -> None:
    """Drop the pages of a batch that failed before its second pass."""
    for token in tokens:
        _held.pop(token, None)


# -- where it runs ---------------------------------------------------------------------------------------

class Pending(Protocol[T]):
    def result(self) -> T: ...


class PageWorkers(Protocol):
    """Slots that run a chunk's two passes; work sent to one slot runs in one process."""

    slots: int
    chunk_bytes: int  # raw bytes a chunk holds at most: the unit of work sent to a slot

    def read(self, slot: int, token: int, chunk: Sequence[str]) -> Pending[Digests]: ...

    def classify(self, slot: int, token: int, chunk: Sequence[str], settings: ExtractionSettings,
                 learned: dict[str, frozenset[int]]) -> Pending[Items]: ...

    def forget(self, tokens: Sequence[int]) -> None: ...


class _Done(Future[Any]):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.set_result(value)


class _Guarded:
    """A worker's result, or when its process died meanwhile, the same work done here."""

    def __init__(self, future: Future[Any], fallback: Callable[[], Any], lost: Callable[[], None]) -> None:
        self.future, self.fallback, self.lost = future, fallback, lost

    def result(self) -> Any:
        try:
            return self.future.result()
        except BrokenProcessPool:
            self.lost()
            return self.fallback()


class LocalWorkers:
    """This machine's worker processes (one pinned executor each), fed raw bytes by `load`; with one
    worker, or none, everything runs in this process."""

    def __init__(self, load: Callable[[Sequence[str]], list[RawDocument]], workers: int) -> None:
        self.load = load
        self.executors = pinned_executors(workers) if workers > 1 else []
        self.slots = max(1, len(self.executors))
        self.chunk_bytes = CHUNK_BYTES
        self.broken: set[int] = set()

    def _lost(self, slot: int) -> Callable[[], None]:
        def lost() -> None:
            if slot not in self.broken:
                _log.warning("an extraction worker died; its pages are read again in this process")
                self.broken.add(slot)
                replace_pinned(self.executors[slot])
        return lost

    def read(self, slot: int, token: int, chunk: Sequence[str]) -> Pending[Digests]:
        def here() -> Digests:
            return read_chunk(token, self.load(chunk))

        if not self.executors or slot in self.broken:
            return _Done(here())
        return self._submit(slot, here, read_chunk, token, self.load(chunk))

    def classify(self, slot: int, token: int, chunk: Sequence[str], settings: ExtractionSettings,
                 learned: dict[str, frozenset[int]]) -> Pending[Items]:
        def here() -> Items:
            return classify_held(token, settings, learned, lambda: self.load(chunk))

        if token in _held:  # read here after its worker died
            return _Done(here())
        return self._submit(slot, here, classify_held, token, settings, learned)

    def _submit(self, slot: int, here: Callable[[], Any], function: Callable[..., Any], *args: Any) -> Pending[Any]:
        """`function(*args)` on the slot's worker; `here()` in this process when there is none or it died."""
        if not self.executors or slot in self.broken:
            return _Done(here())
        try:
            return _Guarded(self.executors[slot].submit(function, *args), here, self._lost(slot))
        except BrokenProcessPool:  # it died since its last answer
            self._lost(slot)()
            return _Done(here())

    def forget(self, tokens: Sequence[int]) -> None:
        forget_chunks(tokens)
        for slot, executor in enumerate(self.executors):
            if slot not in self.broken:
                executor.submit(forget_chunks, list(tokens))


# -- the batch -------------------------------------------------------------------------------------------

def count_digests(digests: Sequence[PageDigest | Quarantined]) -> LineCounts:
    """Per outlet, on how many of these pages each short line appears (as `extract.count_lines`)."""
    counts = LineCounts()
    for digest in digests:
        if isinstance(digest, PageDigest):
            counts.pages[digest.outlet] += 1
            counts.lines.setdefault(digest.outlet, Counter()).update(digest.fingerprints)
    return counts


def extract_pages(
    chunks: Sequence[Sequence[str]],
    workers: PageWorkers,
    learn: Callable[[LineCounts], dict[str, frozenset[int]]],
    settings: ExtractionSettings,
) -> Extracted:
    """Extract the pages of `chunks` (raw document hashes, in order) on `workers`, learning the
    outlets' furniture with `learn` between the two passes."""
    tokens = [next(_tokens) for _ in chunks]
    slot_of = [n % workers.slots for n in range(len(chunks))]
    digests: list[Digests] = [[] for _ in chunks]
    finished = False
    try:
        # Pass 1, streamed: at most a few chunks per worker sent and not yet answered.
        waiting: deque[tuple[int, Pending[Digests]]] = deque()
        for n, chunk in enumerate(chunks):
            while len(waiting) >= (CHUNKS_AHEAD + 1) * workers.slots:
                done, pending = waiting.popleft()
                digests[done] = pending.result()
            waiting.append((n, workers.read(slot_of[n], tokens[n], chunk)))
        while waiting:
            done, pending = waiting.popleft()
            digests[done] = pending.result()

        everything = [d for chunk_digests in digests for d in chunk_digests]
        counts = count_digests(everything)
        learned = learn(counts)

        # Pass 2: each chunk where its pages are, with the furniture of its own outlets only.
        second = []
        for n, chunk in enumerate(chunks):
            outlets = {d.outlet for d in digests[n] if isinstance(d, PageDigest)}
            mine = {o: learned[o] for o in sorted(outlets) if o in learned}
            second.append(workers.classify(slot_of[n], tokens[n], chunk, settings, mine))
        outcome = Extracted(counts=counts, failed=[d for d in everything if isinstance(d, Quarantined)],
                            pages=len(everything),
                            seen_at={d.raw_sha256: d.seen_at for d in everything if isinstance(d, PageDigest)})
        for pending_items in second:
            for item in pending_items.result():
                (outcome.failed if isinstance(item, Quarantined) else outcome.articles).append(item)  # type: ignore[arg-type]
        finished = True
        return outcome
    finally:
        if not finished:
            workers.forget(tokens)
