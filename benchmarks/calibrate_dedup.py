"""Calibration of the copy test over every labelled dev dedup file at once: each setting of the
thresholds that tell a copy from a report lifting passages is scored on all files in one run, so a
threshold is chosen for holding across files, not for one.

    .venv/bin/python benchmarks/calibrate_dedup.py [--files ...]

Prints one row per setting: pair F1 / precision / recall and overlap recall / precision per file.
With `--rewrites`, the rewrite-link thresholds instead (sentence Dice, share of the shorter text's
sentences, fewest sentence pairs): each setting on every dev file, and on the retellings of
benchmarks/rewrites.py (share of 200 linked at keep 0.5 / 0.6 / 0.7, links between real bodies)."""

from __future__ import annotations

import argparse
import os
import re

from _eval import score

FILES = ["dev", "syndicated_dragnet", "noisy_reprints_dragnet"]
# (lede_offset, containment): each threshold moved alone around the defaults of newsdedup/config.py.
GRID = [(40, 0.5), (60, 0.5), (100, 0.5), (150, 0.5), (100, 0.4), (100, 0.6)]
# (rewrite_similarity, rewrite_share, rewrite_sentences) around the defaults.
REWRITE_GRID = [(0.5, 0.4, 3), (0.4, 0.4, 3), (0.6, 0.4, 3), (0.5, 0.3, 3), (0.5, 0.5, 3), (0.5, 0.4, 2)]
_FIGURES = re.compile(r"pairF1=([\d.]+) P=([\d.]+) R=([\d.]+) .*overlapR=([\d.]+) overlapP=([\d.]+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=FILES, choices=FILES)
    parser.add_argument("--rewrites", action="store_true", help="calibrate the rewrite links instead")
    args = parser.parse_args()
    if args.rewrites:
        calibrate_rewrites(args.files)
        return
    print("lede_offset containment | " + " | ".join(f"{f}: F1 P R oR oP" for f in args.files))
    for offset, containment in GRID:
        os.environ.update(NEWSDEDUP_LEDE_OFFSET=str(offset), NEWSDEDUP_CONTAINMENT=str(containment))
        cells = []
        for name in args.files:
            line = score("score_dedup.py", f"dedup/{name}.jsonl.gz", "newsdedup.evaluation:dedup_pages")
            found = _FIGURES.search(line)
            cells.append(" ".join(found.groups()) if found else "failed")
        print(f"{offset:11} {containment:11} | " + " | ".join(cells), flush=True)


def calibrate_rewrites(files: list[str]) -> None:
    import rewrites

    real = rewrites.bodies()
    print("similarity share sentences | retold linked at keep 0.5 / 0.6 / 0.7, real links | "
          + " | ".join(f"{f}: F1 P R oR oP" for f in files))
    for similarity, share, sentences in REWRITE_GRID:
        os.environ.update(NEWSDEDUP_REWRITE_SIMILARITY=str(similarity), NEWSDEDUP_REWRITE_SHARE=str(share),
                          NEWSDEDUP_REWRITE_SENTENCES=str(sentences))
        linked, between = [], set()
        for keep in (0.5, 0.6, 0.7):
            found, links, _ = rewrites.measure(real, keep, 200)
            linked.append(f"{found / 200:.0%}")
            between.update(links)
        cells = []
        for name in files:
            found_figures = _FIGURES.search(score("score_dedup.py", f"dedup/{name}.jsonl.gz",
                                                  "newsdedup.evaluation:dedup_pages"))
            cells.append(" ".join(found_figures.groups()) if found_figures else "failed")
        print(f"{similarity:10} {share:5} {sentences:9} | {' / '.join(linked)}, {len(between)} | " + " | ".join(cells),
              flush=True)


if __name__ == "__main__":
    main()
