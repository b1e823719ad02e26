"""Extraction quality and speed on the labelled dev files, newsdedup beside trafilatura, readability-lxml
and BeautifulSoup's get_text, on the raw HTML and on the flattened text, in one run:

    .venv/bin/python benchmarks/extraction.py [--files dev dragnet] [--rounds 1] [--refresh] [--cross-file]

For each file and for the files pooled (every page counted once): F1, precision and recall as the shared
scorer computes them (word 4-gram shingles per page, averaged; `score_extraction.page_scores`), and
pages/s. The other tools' outputs do not change from run to run, so they are kept in
benchmarks/out/extraction_baselines.json.gz and re-scored (`--refresh` runs them again). Speeds are
compared within one run: every contender is timed again on the same `--speed-pages` pages of each file,
`--rounds` interleaved passes, the fastest shown (speeds on this shared machine move ±20 %), then
newsdedup's speed over each other tool's pass by pass, with the median.

`--cross-file` trains the line classifier on one file and scores newsdedup on the other (both ways):
the figure that says whether what was learned holds on pages it has not seen. `--folds 5` trains and
scores by site over both files, also with the rules' phrase lists silenced: what a page in a language
the lists do not speak gets (train_extraction.unlisted_language)."""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._eval import EVAL, ROOT

FILES = {"dev": "extraction/dev.jsonl.gz", "dragnet": "extraction/dragnet_train.jsonl.gz"}
# (name, module:function, input, cached): cached contenders are other tools, whose output never changes.
CONTENDERS = [
    ("newsdedup", "newsdedup.evaluation:extract_body_html", "html", False),
    ("rules only", "benchmarks.baselines:newsdedup_rules_html", "html", False),
    ("trafilatura", "benchmarks.baselines:trafilatura_body", "html", True),
    ("readability", "benchmarks.baselines:readability_body", "html", True),
    ("bs4 get_text", "benchmarks.baselines:bs4_get_text", "html", True),
    ("newsdedup", "newsdedup.evaluation:extract_body_text", "text", False),
    ("rules only", "benchmarks.baselines:newsdedup_rules_text", "text", False),
    ("trafilatura", "benchmarks.baselines:trafilatura_text", "text", True),
    ("readability", "benchmarks.baselines:readability_text", "text", True),
    ("keep everything", "benchmarks.baselines:keep_everything", "text", True),
]
CACHE = ROOT / "benchmarks" / "out" / "extraction_baselines.json.gz"
Outputs = dict[str, tuple[str, float]]  # page id -> (body, seconds)


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_extraction", EVAL / "score_extraction.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{EVAL / 'score_extraction.py'} not found: set NEWSDEDUP_EVAL_DIR")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def function_of(target: str) -> Callable[[str], str]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def forget_lines() -> None:
    """Empty newsdedup's per-line caches: every contender meets the pages as new (a pass over pages
    already judged would time cache hits)."""
    from newsdedup.extract import html, lines, rules

    for module in (rules, html, lines):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def run(extract: Callable[[str], str], rows: list[dict[str, Any]], kind: str) -> Outputs:
    forget_lines()
    out: Outputs = {}
    for row in rows:
        start = time.perf_counter()
        try:
            body = extract(row[kind]) or ""
        except Exception as exc:  # an extractor that raises scores an empty body, as in the scorer
            print(f"error on {row['id'][:12]}: {exc!r}", file=sys.stderr)
            body = ""
        out[row["id"]] = (body, time.perf_counter() - start)
    return out


def figures(score: ModuleType, rows: list[dict[str, Any]], outputs: Outputs) -> dict[str, float]:
    """The scorer's F1/P/R (mean precision and mean recall over pages), pages/s and empty bodies."""
    precisions, recalls = [], []
    for row in rows:
        p, r = score.page_scores(row["body"], outputs[row["id"]][0])
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    seconds = sum(outputs[row["id"]][1] for row in rows)
    return {
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "p": precision, "r": recall, "pages_s": len(rows) / seconds if seconds else 0.0,
        "empty": sum(not outputs[row["id"]][0].strip() for row in rows),
    }


def load(name: str) -> list[dict[str, Any]]:
    with gzip.open(EVAL / FILES[name], "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_cache() -> dict[str, Outputs]:
    if not CACHE.exists():
        return {}
    with gzip.open(CACHE, "rt", encoding="utf-8") as f:
        return {key: {i: (b, s) for i, (b, s) in value.items()} for key, value in json.load(f).items()}


def save_cache(cache: dict[str, Outputs]) -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(CACHE, "wt", encoding="utf-8") as f:
        json.dump(cache, f)


def speeds(contenders: list[tuple[str, str, str, bool]], data: dict[str, list[dict[str, Any]]], sample: int,
           rounds: int) -> dict[tuple[str, str, str], list[float]]:
    """Pages/s of every contender on the same first `sample` pages of each file, in each of `rounds`
    interleaved passes: the ratios between contenders within a pass are the figures to compare."""
    rates: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(rounds):
        for name, target, kind, _cached in contenders:
            extract = function_of(target)
            for file, rows in data.items():
                outputs = run(extract, rows[:sample], kind)
                rates.setdefault((name, kind, file), []).append(
                    len(outputs) / (sum(s for _, s in outputs.values()) or 1e-9))
    return rates


def print_speed_ratios(rates: dict[tuple[str, str, str], list[float]], files: list[str]) -> None:
    """newsdedup's pages/s over each other tool's, pass by pass (both timed minutes apart at most, so the
    machine's drift through a run cancels), and their median: the figure the speed target is read from."""
    others = sorted({name for name, _, _ in rates if name not in ("newsdedup", "rules only")})
    print("\nSpeed ratio, newsdedup / other tool, each pass (median)")
    for kind in ("html", "text"):
        for other in others:
            cells = []
            for file in files:
                ours, theirs = rates.get(("newsdedup", kind, file)), rates.get((other, kind, file))
                if ours and theirs:
                    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
                    cells.append(f"{file} {' '.join(f'{r:.2f}' for r in ratios)} ({statistics.median(ratios):.2f})")
            if cells:
                print(f"{kind:<5} vs {other:<12} " + " · ".join(cells))


def cross_file(score: ModuleType, data: dict[str, list[dict[str, Any]]]) -> None:
    """Train the line classifier on one file, score newsdedup on the other; and on itself for contrast."""
    from benchmarks import train_extraction
    from newsdedup.extract import classifier

    print("\nCross-file: line classifier trained on one file, newsdedup scored on each")
    print(f"{'trained on':<12} {'scored on':<10} {'input':<5} {'F1':>6} {'P':>6} {'R':>6} {'empty':>5}")
    for trained_on in data:
        models = train_extraction.train({trained_on: data[trained_on]})
        with classifier.using(models):
            for scored_on, rows in data.items():
                for kind in ("html", "text"):
                    target = f"newsdedup.evaluation:extract_body_{kind}"
                    got = figures(score, rows, run(function_of(target), rows, kind))
                    mark = "" if scored_on != trained_on else "  (seen)"
                    print(f"{trained_on:<12} {scored_on:<10} {kind:<5} {got['f1']:6.3f} {got['p']:6.3f} "
                          f"{got['r']:6.3f} {got['empty']:5d}{mark}")


def host_folds(score: ModuleType, data: dict[str, list[dict[str, Any]]], folds: int) -> None:
    """Both files pooled and cut into `folds` by site (a host's pages never on both sides): the line
    classifier trained on the other folds scores each fold. The closest figure to pages never seen."""
    import zlib
    from urllib.parse import urlsplit

    from benchmarks import train_extraction
    from newsdedup.extract import classifier

    def fold_of(row: dict[str, Any]) -> int:
        host = (urlsplit(row["url"]).hostname or "").removeprefix("www.")
        return zlib.crc32(host.encode()) % folds

    outputs: dict[tuple[str, str, bool], Outputs] = {
        (file, kind, blind): {} for file in data for kind in ("html", "text") for blind in (False, True)}
    for k in range(folds):
        models = train_extraction.train({f: [r for r in rows if fold_of(r) != k] for f, rows in data.items()})
        for blind in (False, True):
            with classifier.using(models), train_extraction.unlisted_language() if blind else nullcontext():
                for file, rows in data.items():
                    held = [r for r in rows if fold_of(r) == k]
                    for kind in ("html", "text"):
                        target = f"newsdedup.evaluation:extract_body_{kind}"
                        outputs[file, kind, blind].update(run(function_of(target), held, kind))
    print(f"\n{folds}-fold by host over both files: the line classifier never saw the scored page's site; "
          "then the same with the rules' phrase lists silenced, as on a page in a language they do not know")
    for (file, kind, blind), got_outputs in outputs.items():
        got = figures(score, data[file], got_outputs)
        print(f"{file:<10} {kind:<5} {'phrases off' if blind else 'as is':<12} F1={got['f1']:.3f} P={got['p']:.3f} "
              f"R={got['r']:.3f} empty={got['empty']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", choices=list(FILES), default=list(FILES))
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per contender (the fastest is shown)")
    parser.add_argument("--speed-pages", type=int, default=100, help="pages per file every contender is timed on")
    parser.add_argument("--only", nargs="+", help="contender names to run (default: all)")
    parser.add_argument("--refresh", action="store_true", help="run the other tools again instead of their cache")
    parser.add_argument("--cross-file", action="store_true", help="train on one file, score on the other")
    parser.add_argument("--folds", type=int, default=0, help="also train and score by site folds over both files")
    args = parser.parse_args()
    score = scorer()
    data = {name: load(name) for name in args.files}
    contenders = [c for c in CONTENDERS if not args.only or c[0] in args.only]
    cache = load_cache()
    results: dict[tuple[str, str], dict[str, Outputs]] = {}
    for name, target, kind, cached in contenders:
        for file, rows in data.items():
            key = f"{name}|{kind}|{file}"
            if cached and not args.refresh and key in cache and len(cache[key]) == len(rows):
                outputs = cache[key]
            else:
                outputs = run(function_of(target), rows, kind)
                if cached:
                    cache[key] = outputs
                    save_cache(cache)
            results.setdefault((name, kind), {})[file] = outputs
    rates = speeds(contenders, data, args.speed_pages, args.rounds) if args.rounds > 0 else {}

    columns = [*data, "pooled"] if len(data) > 1 else list(data)
    print(f"F1 / P / R per file (pages/s: whole file, this run or the cache; [same-run sample of "
          f"{args.speed_pages} pages, fastest of {args.rounds}])")
    for kind in ("html", "text"):
        print(f"\n{kind.upper()}")
        print(f"{'contender':<16}" + "".join(f"{c:<42}" for c in columns))
        for (name, k), per_file in results.items():
            if k != kind:
                continue
            cells = []
            for column in columns:
                rows = [r for f in data for r in data[f]] if column == "pooled" else data[column]
                outputs = {i: v for f in per_file for i, v in per_file[f].items()}
                got = figures(score, rows, outputs)
                sample = max(rates.get((name, kind, column)) or [0.0])
                speed = f"{got['pages_s']:.0f}" + (f" [{sample:.0f}]" if sample else "")
                cells.append(f"{got['f1']:.3f} {got['p']:.3f} {got['r']:.3f} {speed:>9} p/s e{got['empty']:<3}")
            print(f"{name:<16}" + "".join(f"{c:<42}" for c in cells))
    if rates:
        print_speed_ratios(rates, list(data))
    if args.cross_file:
        cross_file(score, data)
    if args.folds > 1:
        host_folds(score, data, args.folds)


if __name__ == "__main__":
    main()
