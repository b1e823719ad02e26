"""CPU-bound per-item work spread over local processes: one pool per process, started on first use
and kept, so a run pays its start-up (~0.2 s: the workers import only the extraction code) once.

Results come back in input order, so a parallel run produces exactly what a sequential one does.
Small inputs stay in-process (a pool costs more than it saves there), and a pool that breaks (a
worker killed by the OS, say) is replaced, its batch finished in-process: never a lost batch.

Workers are spawned, so they import the main module: a script that calls this at top level needs
Python's usual `if __name__ == "__main__":` guard (the CLI, the flows and the benchmarks have it)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_WORKER = 100  # below this a batch is quicker in-process than shipped to workers
_log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pinned: list[ProcessPoolExecutor] = []


def worker_count(setting: int) -> int:
    """`setting` processes, or one per CPU this process may use when it is 0."""
    if setting > 0:
        return setting
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool = _new_executor(workers)
        _pool_size = workers
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
    while _pinned:
        _pinned.pop().shutdown(wait=True, cancel_futures=True)


def pinned_executors(workers: int) -> list[ProcessPoolExecutor]:
    """`workers` executors of one process each, kept across calls: work sent to one runs in its
    process, so a second step can find what a first step left in that process's memory."""
    while len(_pinned) > workers:
        _pinned.pop().shutdown(wait=True, cancel_futures=True)
    while len(_pinned) < workers:
        _pinned.append(_new_executor(1))
    return list(_pinned)


def replace_pinned(broken: Executor) -> None:
    """Swap a broken pinned executor (its process killed, say) for a fresh one."""
    for n, executor in enumerate(_pinned):
        if executor is broken:
            executor.shutdown(wait=False, cancel_futures=True)
            _pinned[n] = _new_executor(1)


def _new_executor(workers: int) -> ProcessPoolExecutor:
    # spawn: workers start clean (no copy of the parent's threads, locks or open connections).
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))


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


# -- no orphans -------------------------------------------------------------------------------------

_WATCH_INTERVAL = 0.5  # seconds between looks at the process tree
_watchdog: subprocess.Popen[bytes] | None = None


def _exit_with_parent(parent: int) -> None:
    """Pool worker initializer: a worker ends when the process that started it is gone (killed by the
    OOM killer, say), instead of waiting on its task queue for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def watch_for_orphans() -> None:
    """Start, once per process, a watchdog that stops every process this one started, directly or not
    (extraction workers, the Prefect temporary server and what it runs), when this one dies, however
    it dies. Linux only (it reads /proc); elsewhere a no-op."""
    global _watchdog
    if _watchdog is not None or not os.path.isdir("/proc/self"):
        return
    code = f"from newsdedup.parallel import _watch; _watch({os.getpid()})"
    _watchdog = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL)


def process_stats() -> dict[int, list[bytes]]:
    """pid -> the fields of /proc/PID/stat after the command name (state, parent pid, ...; field n of
    proc(5) is index n - 3) of every process still there when read."""
    table: dict[int, list[bytes]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    table[int(entry)] = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
    return table


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process, from /proc."""
    return {pid: (int(fields[1]), fields[19].decode()) for pid, fields in process_stats().items()}


def _descendants(root: int, table: dict[int, tuple[int, str]]) -> dict[int, str]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, str] = {}
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found[pid] = table[pid][1]
        stack.extend(children.get(pid, []))
    return found


def _watch(parent: int) -> None:
    """The watchdog's loop: note the parent's descendants while it lives; once it is gone, stop those
    still running (SIGTERM, then SIGKILL after 3 s). Start times guard against reused pids."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; the watchdog ends after it
    me = os.getpid()
    known: dict[int, str] = {}
    while os.getppid() == parent:
        known.update(_descendants(parent, _process_table()))
        known.pop(me, None)
        time.sleep(_WATCH_INTERVAL)

    def alive() -> list[int]:
        table = _process_table()
        return [pid for pid, started in known.items() if pid in table and table[pid][1] == started]

    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0.0)):
        for pid in alive():
            with contextlib.suppress(OSError):  # gone meanwhile
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while alive() and time.monotonic() < deadline:
            time.sleep(0.1)
