"""Calibration of the copy test over every labelled dev dedup file at once: each setting of the
thresholds that tell a copy from a report lifting passages is scored on all files in one run, so a
threshold is chosen for holding across files, not for one.

    .venv/bin/python benchmarks/calibrate_dedup.py [--files ...]

Prints one row per setting: pair F1 / precision / recall and overlap recall / precision per file."""

from __future__ import annotations

import argparse
import os
import re

from _eval import score

FILES = ["dev", "syndicated_dragnet", "noisy_reprints_dragnet"]
# (lede_offset, containment): each threshold moved alone around the defaults of newsdedup/config.py.
GRID = [(40, 0.5), (60, 0.5), (100, 0.5), (150, 0.5), (100, 0.4), (100, 0.6)]
_FIGURES = re.compile(r"pairF1=([\d.]+) P=([\d.]+) R=([\d.]+) .*overlapR=([\d.]+) overlapP=([\d.]+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=FILES, choices=FILES)
    args = parser.parse_args()
    print("lede_offset containment | " + " | ".join(f"{f}: F1 P R oR oP" for f in args.files))
    for offset, containment in GRID:
        os.environ.update(NEWSDEDUP_LEDE_OFFSET=str(offset), NEWSDEDUP_CONTAINMENT=str(containment))
        cells = []
        for name in args.files:
            line = score("score_dedup.py", f"dedup/{name}.jsonl.gz", "newsdedup.evaluation:dedup_pages")
            found = _FIGURES.search(line)
            cells.append(" ".join(found.groups()) if found else "failed")
        print(f"{offset:11} {containment:11} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
