"""Peak memory of ingesting and extracting one batch of large files (issue 16: 1,000 files of 1 MB
must stay under 1 GB). Prints the peak resident memory of the whole process tree (this process and its
extraction workers), sampled every 0.1 s, after each step.

    python benchmarks/memory.py [--files 1000] [--size 1000000]

The files are invented news pages whose bulk is an inline script, as on large real pages."""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from newsdedup.config import Settings
from newsdedup.parallel import process_stats
from newsdedup.pipeline import extract_batch, ingest_files, plan_extraction
from newsdedup.sources.files import list_files
from newsdedup.store import Store


def write_pages(root: Path, files: int, size: int) -> None:
    rng = random.Random(11)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(20000)]

    def sentence(words: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(words)).capitalize() + "."

    for n in range(files):
        paragraphs = "".join(f"<p>{' '.join(sentence(rng.randint(12, 25)) for _ in range(4))}</p>" for _ in range(8))
        nav = "<nav><ul>" + "".join(f"<li><a href='/s{k}'>Section {k}</a></li>" for k in range(40)) + "</ul></nav>"
        head = f"<html><head><title>Story {n} {sentence(6)}</title>"
        body = f"</head><body>{nav}<article><h1>Story {n}</h1>{paragraphs}</article></body></html>"
        script = "<script>var data = '" + "x" * max(0, size - len(head) - len(body) - 40) + "';</script>"
        (root / f"{n:04d}.html").write_text(head + script + body)


class TreeMemory:
    """The peak summed RSS of this process and its children, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        me, page = os.getpid(), os.sysconf("SC_PAGE_SIZE")
        while True:
            total = sum(int(fields[21]) * page for pid, fields in process_stats().items()
                        if pid == me or int(fields[1]) == me)
            self.peak = max(self.peak, total)
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        write_pages(raw, args.files, args.size)
        memory = TreeMemory()
        store, settings = Store.open(f"sqlite:///{tmp}/store.db"), Settings()
        started = time.perf_counter()
        ingested = ingest_files(store, raw, list_files(raw), settings, datetime.now(UTC))
        print(f"ingest:  {ingested.new} files of {args.size:,} bytes in {time.perf_counter() - started:.1f} s, "
              f"peak {memory.peak / 2**20:,.0f} MB")
        started = time.perf_counter()
        extracted = extract_batch(store, plan_extraction(store).pending, settings)
        print(f"extract: {extracted.articles} articles in {time.perf_counter() - started:.1f} s, "
              f"peak {memory.peak / 2**20:,.0f} MB (process tree)")
        store.close()


if __name__ == "__main__":
    main()
