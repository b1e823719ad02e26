"""De-duplication quality and speed on every labelled dev dedup file, newsdedup (the real extract +
dedup path in a temporary store) beside plain datasketch MinHashLSH loops, in one run.

    .venv/bin/python benchmarks/dedup.py [--files dev syndicated_dragnet ...] [--no-baselines] [--other-seeds 5]

Prints the scorer's line for each: near-duplicate pair precision/recall/F1, adjusted Rand index,
overlap-link recall/precision (the baselines make no links), docs/s (newsdedup's includes extraction).
Then the same on noisy reprints of other bodies (`benchmarks/noisy_reprints.py`), one set per seed (a
set is small, 88 stories: its figure moves with the seed), and the mean over the seeds."""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import noisy_reprints
from benchmarks._eval import EVAL, score

FILES = ["dev", "syndicated_dragnet", "noisy_reprints_dragnet"]
CONTENDERS = [
    "newsdedup.evaluation:dedup_pages",
    "benchmarks.dedup_baselines:lsh_5grams_at_05",
    "benchmarks.dedup_baselines:lsh_3grams_at_03",
    "benchmarks.dedup_baselines:lsh_3grams_at_02_checked",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=FILES, choices=FILES)
    parser.add_argument("--no-baselines", action="store_true", help="score newsdedup only")
    parser.add_argument("--other-seeds", type=int, default=5, help="noisy-reprint sets of other bodies (0: none)")
    args = parser.parse_args()
    contenders = CONTENDERS[:1] if args.no_baselines else CONTENDERS
    for name in args.files:
        print(f"== dedup/{name}.jsonl.gz")
        for function in contenders:
            print(score("score_dedup.py", f"dedup/{name}.jsonl.gz", function), flush=True)
    if args.other_seeds > 0:
        other_bodies(contenders, args.other_seeds)


def other_bodies(contenders: list[str], seeds: int) -> None:
    """Each contender on `seeds` noisy-reprint sets made from the extraction dev bodies; the mean of each
    figure over the sets."""
    bodies = noisy_reprints.bodies(EVAL)
    figures: dict[str, list[dict[str, float]]] = {function: [] for function in contenders}
    for seed in range(1, seeds + 1):
        path = noisy_reprints.write(noisy_reprints.make(bodies, seed), noisy_reprints.OUT.with_name(
            f"noisy_reprints_other-{seed}.jsonl.gz"))
        print(f"== {path.relative_to(noisy_reprints.ROOT)} (seed {seed})")
        for function in contenders:
            line = score("score_dedup.py", str(path), function)
            print(line, flush=True)
            figures[function].append({k: float(v) for k, v in re.findall(r"\b(pairF1|P|R|ARI)=([\d.]+)", line)})
    print(f"== noisy reprints of other bodies: mean of {seeds} sets")
    for function, runs in figures.items():
        if runs and all(runs):
            means = {k: statistics.mean(run[k] for run in runs) for k in runs[0]}
            low = min(run["pairF1"] for run in runs)
            high = max(run["pairF1"] for run in runs)
            print(f"{function:<52} pairF1={means['pairF1']:.3f} ({low:.3f}-{high:.3f}) P={means['P']:.3f} "
                  f"R={means['R']:.3f} ARI={means['ARI']:.3f}")


if __name__ == "__main__":
    main()
