"""End-to-end throughput of the `pipeline` flow on synthetic articles.

    python benchmarks/pipeline.py [--docs 10000] [--batch-size 1000]

Generates N flattened pages (navigation, captions, prompts and teasers around a body of random
sentences); a share of them are verbatim copies in other furniture, abridged copies, and lightly
edited copies. Runs the real pipeline flow (ephemeral Prefect) into a fresh SQLite store and prints
docs/s end to end and per stage. Prefect's temporary server is started by a warm-up flow first and
its start-up timed apart: a scheduled deployment runs against a server that is already up. The last
line is `docs_per_s=...` (the flow run)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

VOCABULARY = [f"{stem}{suffix}" for stem in (
    "minister", "council", "harbour", "budget", "missile", "election", "market", "court", "school", "storm",
    "company", "report", "police", "border", "energy", "health", "farmer", "river", "bridge", "station",
    "trade", "union", "leader", "vote", "price", "rate", "plan", "deal", "talk", "claim") for suffix in ("", "s", "ed")]
FUNCTION = ["the", "a", "of", "to", "in", "on", "and", "said", "after", "with", "for", "by", "that", "was"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY if rng.random() < 0.55 else FUNCTION) for _ in range(rng.randint(12, 28))]
    return " ".join(words).capitalize() + "."


def article(rng: random.Random) -> tuple[str, list[str]]:
    title = " ".join(rng.choice(VOCABULARY).capitalize() for _ in range(rng.randint(5, 9)))
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(6, 14))]
    return title, paragraphs


def page(rng: random.Random, title: str, paragraphs: list[str], outlet: int) -> str:
    top = [f"- Outlet {outlet}", "- Home", "- World", "- Business", "Subscribe", ""]
    body: list[str] = [title, "", f"{rng.randint(1, 28)} March, 2024", ""]
    for k, paragraph in enumerate(paragraphs):
        body += [paragraph, ""]
        if k == 2:
            body += [f"READ MORE: {' '.join(rng.choice(VOCABULARY) for _ in range(7))}", ""]
        if k == 4:
            body += [f"© Photo / Staff {' '.join(rng.choice(VOCABULARY) for _ in range(8))}"]
    end = ["Share this article", "- Facebook", "- Twitter", "Other News", "",
           " ".join(rng.choice(VOCABULARY).capitalize() for _ in range(7)), "",
           " ".join(rng.choice(VOCABULARY) for _ in range(15)) + "...", "", "Comments (3)"]
    return "\n".join(top + body + end)


def generate(root: Path, n: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    originals: list[tuple[str, list[str]]] = []
    kinds = {"original": 0, "copy": 0, "abridged": 0, "edited": 0}
    for k in range(n):
        roll = rng.random()
        if originals and roll < 0.10:
            title, paras = rng.choice(originals)
            kind = "copy"
        elif originals and roll < 0.15:
            title, paras = rng.choice(originals)
            paras = paras[: max(3, int(len(paras) * 0.7))]
            kind = "abridged"
        elif originals and roll < 0.20:
            title, paras = rng.choice(originals)
            paras = [p.replace(" the ", " a ", 1) for p in paras]
            kind = "edited"
        else:
            title, paras = article(rng)
            originals.append((title, paras))
            kind = "original"
        kinds[kind] += 1
        outlet = rng.randint(1, 20)
        folder = root / f"outlet{outlet:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"{k:06d}.txt").write_text(page(rng, title, paras, outlet), encoding="utf-8")
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    from prefect import flow

    from flows.pipeline import pipeline

    @flow(name="warm-up")
    def warm_up() -> None:
        """Starts Prefect's temporary server (when no PREFECT_API_URL is set): a one-off cost, timed apart."""

    started = time.perf_counter()
    warm_up()
    startup = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "raw"
        root.mkdir()
        started = time.perf_counter()
        kinds = generate(root, args.docs)
        print(f"generated {args.docs} pages in {time.perf_counter() - started:.1f}s: {kinds}")
        started = time.perf_counter()
        summary = pipeline(raw_dir=str(root), store_url=f"sqlite:///{tmp}/bench.db", batch_size=args.batch_size)
        elapsed = time.perf_counter() - started

    seconds = summary["seconds"]
    print(f"\n{'stage':<10}{'seconds':>10}{'docs/s':>10}")
    for stage in ("ingest", "extract", "dedup"):
        print(f"{stage:<10}{seconds[stage]:>10.2f}{args.docs / seconds[stage]:>10.0f}")
    print(f"{'total':<10}{elapsed:>10.2f}{args.docs / elapsed:>10.0f}   (the pipeline flow run, Prefect included)")
    print(f"Prefect start-up before it (temporary server, once per process): {startup:.1f} s; "
          f"with it {args.docs / (elapsed + startup):.0f} docs/s")
    d = summary["dedup"]
    print(f"groups={summary['store']['groups']} exact={d['exact']} near={d['near']} overlaps={d['overlaps']} "
          f"expected_duplicates={kinds['copy'] + kinds['abridged'] + kinds['edited']}")
    print(f"docs_per_s={args.docs / elapsed:.1f}")


if __name__ == "__main__":
    main()
