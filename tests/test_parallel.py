"""Extraction spread over worker processes gives exactly the sequential result, and a worker that
dies costs no batch."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SEEDS, seed_names
from sqlalchemy import select

from newsdedup import parallel
from newsdedup.config import Settings
from newsdedup.pipeline import extract_batch, ingest_files, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles


def _square_or_die(n: int) -> int:
    if multiprocessing.parent_process() is not None:
        os._exit(3)  # a worker killed mid-batch (out of memory, say)
    return n * n


def _square(n: int) -> int:
    return n * n


def test_results_come_back_in_order_from_worker_processes() -> None:
    items = list(range(2 * parallel.MIN_ITEMS_PER_WORKER + 7))
    assert parallel.map_in_processes(_square, items, workers=2) == [n * n for n in items]


def test_a_dying_worker_costs_no_batch() -> None:
    items = list(range(2 * parallel.MIN_ITEMS_PER_WORKER))
    assert parallel.map_in_processes(_square_or_die, items, workers=2) == [n * n for n in items]
    assert parallel.map_in_processes(_square, items, workers=2) == [n * n for n in items], "a new pool serves on"


def _extract_all(tmp_path: Path, name: str, workers: int) -> list[tuple[object, ...]]:
    """Seeds copied into several outlets with small variations: enough pages for the worker pool."""
    raw = tmp_path / name / "raw"
    for n in range(50):
        outlet = raw / f"outlet{n % 5}"
        outlet.mkdir(parents=True, exist_ok=True)
        for seed in seed_names():
            text = (SEEDS / seed).read_text(encoding="utf-8")
            (outlet / f"{n}_{seed}").write_text(text.replace(" the ", f" the{n} ", 1), encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / name / 'store.db'}")
    settings = Settings().replace(extract_workers=workers)
    ingest_files(store, raw, list_files(raw), settings, datetime.now(UTC))
    hashes = plan_extraction(store).pending
    assert len(hashes) >= 2 * parallel.MIN_ITEMS_PER_WORKER
    stats = extract_batch(store, hashes, settings)
    with store.engine.connect() as conn:
        rows = conn.execute(select(articles.c.id, articles.c.seq, articles.c.title, articles.c.paragraphs,
                                   articles.c.boilerplate_removed, articles.c.confidence)).tuples().all()
    store.close()
    assert stats.articles == len(rows) > 0
    return sorted(rows)


def test_parallel_extraction_equals_sequential(tmp_path: Path) -> None:
    assert _extract_all(tmp_path, "parallel", workers=2) == _extract_all(tmp_path, "sequential", workers=1)


ORPHAN_SCRIPT = """
import subprocess, sys, time
from newsdedup import parallel

if __name__ == "__main__":
    parallel.watch_for_orphans()
    # A child in a session of its own, as the Prefect server of `make serve` is, and pool workers.
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    pool = parallel._executor(2)
    list(pool.map(abs, range(4)))
    print(server.pid, *[p.pid for p in pool._processes.values()], flush=True)
    time.sleep(300)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a zombie has ended
    except OSError:
        return False


def test_the_main_process_death_takes_its_children(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text(ORPHAN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    assert main.stdout is not None
    children = [int(pid) for pid in main.stdout.readline().split()]
    assert len(children) == 3 and all(_running(pid) for pid in children)
    time.sleep(1.5)  # the watchdog has seen them
    os.kill(main.pid, signal.SIGKILL)  # as the OOM killer would
    main.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in children if _running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "children outlived the main process"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_make_serve_stops_within_seconds_with_its_server(stop: signal.Signals, tmp_path: Path) -> None:
    from prefect_processes import ROOT, client_env, free_port, serve_module

    port = free_port()
    env = {**client_env("", tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_API_URL")
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--port", str(port)], env=env,
                             cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        serve_module().wait_for(f"http://127.0.0.1:{port}/api/health", "the served Prefect server")
        time.sleep(3)  # serving its deployments
        tree = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc"))) if _parent(pid) == serve.pid]
        started = time.monotonic()
        serve.send_signal(stop)
        serve.wait(30)
        stopped = time.monotonic() - started
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stopped < 8, f"serve took {stopped:.1f} s to stop"
        assert not [pid for pid in tree if _running(pid)], "the server outlived serve"
    finally:
        if serve.poll() is None:
            serve.kill()
        log.close()


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        return 0


def test_a_killed_run_takes_the_prefect_temporary_server_with_it(raw_dir: Path, tmp_path: Path) -> None:
    """`newsdedup run` killed with SIGKILL (as by the OOM killer) once its temporary Prefect server is up."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("PREFECT_API_URL", None)
    for n in range(300):  # enough work that the run is still going when it is killed
        (raw_dir / f"extra_{n}.txt").write_text(f"Story {n}\n\n" + " ".join(f"w{n}x{k}" for k in range(400)) + "\n")
    run = subprocess.Popen([sys.executable, "-m", "newsdedup.cli", "run", "--raw", str(raw_dir), "--store",
                            f"sqlite:///{tmp_path / 's.db'}"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    server: list[int] = []
    deadline = time.monotonic() + 60
    while not server and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        server = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                  if _parent(pid) == run.pid and b"uvicorn" in _command(pid)]
    assert server, "the run started no temporary Prefect server"
    time.sleep(1.0)  # the watchdog's next look at the tree
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while _running(server[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = _running(server[0])
    if alive:
        os.kill(server[0], signal.SIGKILL)
    assert not alive, "the temporary Prefect server outlived the killed run"


def _command(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_a_worker_dying_between_the_two_passes_costs_no_page(caplog: pytest.LogCaptureFixture) -> None:
    """The pages a worker parsed die with it; they are read again and classified in-process."""
    from newsdedup.config import ExtractionSettings
    from newsdedup.documents import RawDocument
    from newsdedup.extract import recurring_lines
    from newsdedup.page_work import LocalWorkers, extract_pages

    now = datetime.now(UTC)
    raws: dict[str, RawDocument] = {}
    for n in range(30):
        for seed in seed_names():
            text = (SEEDS / seed).read_text(encoding="utf-8").replace(" the ", f" the{n} ", 1)
            raw = RawDocument.from_bytes(f"outlet{n % 5}/{n}_{seed}", text.encode(), now, "text/plain")
            raws[raw.sha256] = raw
    hashes = list(raws)
    chunks = [hashes[start : start + 10] for start in range(0, len(hashes), 10)]

    def run(workers: int, kill: bool = False) -> list[tuple[object, ...]]:
        pool = LocalWorkers(lambda chunk: [raws[h] for h in chunk], workers)

        def learn(counts: object) -> dict[str, frozenset[int]]:
            if kill:  # after the first pass: the pages parsed by worker 0 are gone with it
                for process in list(pool.executors[0]._processes.values()):  # type: ignore[attr-defined]
                    os.kill(process.pid, signal.SIGKILL)
                time.sleep(0.5)
            return recurring_lines(counts)  # type: ignore[arg-type]

        done = extract_pages(chunks, pool, learn, ExtractionSettings())
        assert done.pages == len(raws)
        return [(a.id, a.title, a.paragraphs, a.boilerplate_removed) for a in done.articles]

    sequential = run(1)
    assert len(sequential) == len(raws)
    assert run(2, kill=True) == sequential
    assert "worker died" in caplog.text
    assert run(2) == sequential, "a new worker serves on"
