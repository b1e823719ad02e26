"""CPU-bound per-item work spread over local processes: one pool per process, started on first use
and kept, so a run pays its start-up (~0.2 s: the workers import only the extraction code) once.

Results come back in input order, so a parallel run produces exactly what a sequential one does.
Small inputs stay in-process (a pool costs more than it saves there), and a pool that breaks (a
worker killed by the OS, say) is replaced, its batch finished in-process: never a lost batch.

Workers are spawned, so they import the main module: a script that calls this at top level needs
Python's usual `if __name__ == "__main__":` guard (the CLI, the flows and the benchmarks have it)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_WORKER = 100  # below this a batch is quicker in-process than shipped to workers
_log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def worker_count(setting: int) -> int:
    """`setting` processes, or one per CPU this process may use when it is 0."""
    if setting > 0:
        return setting
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        shutdown()
        # spawn: workers start clean (no copy of the parent's threads, locks or open connections).
        _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        _pool_size = workers
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def map_in_processes(function: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`[function(item) for item in items]`, on `workers` processes when that pays. `function` must
    be a module-level function and items picklable."""
    if workers <= 1 or len(items) < 2 * MIN_ITEMS_PER_WORKER:
        return [function(item) for item in items]
    chunk = max(1, len(items) // (4 * workers))  # a few chunks per worker: even load, little pickling
    try:
        return list(_executor(workers).map(function, items, chunksize=chunk))
    except BrokenProcessPool as exc:
        _log.warning("worker pool broke (%s); finishing this batch in-process", exc)
        shutdown()
        return [function(item) for item in items]
