"""End-to-end throughput of the `pipeline` flow, beside the loop a user glues together instead.

    python benchmarks/pipeline.py --pages [--docs 10000] [--batch-size 1000]   # real pages (make bench)
    python benchmarks/pipeline.py [--docs 10000]                               # synthetic flattened text

--pages writes the dev extraction pages (../shared/eval/extraction: dev + dragnet_train, their `html`)
as raw/*.html, then syndicated copies of them up to --docs: each copy sits in a wire outlet's folder
and wears that outlet's furniture (menu, most-read teasers, footer), and is a verbatim copy, an
abridged one (its last paragraphs cut) or an edited one (words changed in every paragraph). In the
same run it times the glue, trafilatura (text, title, date) and datasketch MinHashLSH in one Python
loop writing to SQLite, and the real pipeline flow (ephemeral Prefect) into a fresh SQLite store, and
prints each one's docs/s and peak memory, with newsdedup per stage. Prefect's temporary server is
started by a warm-up flow first and timed apart (a scheduled deployment runs against a server that is
already up); its memory is reported apart too. The machine's load average is printed beside each run:
compare ratios measured in one run, never figures of different runs.

The synthetic mode generates N flattened pages (navigation, captions, prompts and teasers around a
body of random sentences; a share are copies in other furniture, abridged or edited) and times the
flow alone. The last line is `docs_per_s=...` (the flow run)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from benchmarks._eval import EVAL

PAGE_FILES = ("extraction/dev.jsonl.gz", "extraction/dragnet_train.jsonl.gz")

VOCABULARY = [f"{stem}{suffix}" for stem in (
    "minister", "council", "harbour", "budget", "missile", "election", "market", "court", "school", "storm",
    "company", "report", "police", "border", "energy", "health", "farmer", "river", "bridge", "station",
    "trade", "union", "leader", "vote", "price", "rate", "plan", "deal", "talk", "claim") for suffix in ("", "s", "ed")]
FUNCTION = ["the", "a", "of", "to", "in", "on", "and", "said", "after", "with", "for", "by", "that", "was"]


# -- synthetic flattened text ---------------------------------------------------------------------------

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


# -- real pages and their syndicated copies -------------------------------------------------------------

_PARAGRAPH = re.compile(r"<p\b[^>]*>.*?</p\s*>", re.IGNORECASE | re.DOTALL)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_EDITS = ((" the ", " a "), (" said ", " told reporters "), (" and ", " as well as "), (" is ", " was "))
WIRE_OUTLETS = 40


def _furniture(rng: random.Random, outlet: int, titles: list[str]) -> tuple[str, str]:
    """A wire outlet's page furniture: its own menu and footer (the same on every page of it) and a
    most-read box whose teasers change from page to page."""
    sections = random.Random(outlet).sample(["World", "Business", "Sport", "Politics", "Science", "Health",
                                             "Opinion", "Culture", "Travel", "Weather", "Money", "Tech"], 7)
    menu = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in sections)
    teasers = "".join(f'<li><a href="/story/{rng.randint(1, 10**6)}">{t}</a></li>' for t in rng.sample(titles, 5))
    head = (f'<header class="masthead"><a href="/">Wire Desk {outlet}</a><nav class="menu"><ul>{menu}</ul></nav>'
            f'</header><aside class="most-read"><h3>Most read</h3><ol>{teasers}</ol></aside>')
    foot = (f'<footer><p>© 2024 Wire Desk {outlet}. All rights reserved.</p><a href="/privacy">Privacy</a> '
            f'<a href="/terms">Terms</a> <a href="/newsletter">Sign up to our newsletter</a></footer>')
    return head, foot


def syndicated(html: str, kind: str, rng: random.Random, outlet: int, titles: list[str]) -> str:
    """`html` as another outlet reprints it: in its furniture, and abridged or edited by `kind`."""
    if kind == "abridged":
        paragraphs = list(_PARAGRAPH.finditer(html))
        keep = max(3, int(len(paragraphs) * 0.6))
        for match in reversed(paragraphs[keep:]):
            html = html[: match.start()] + html[match.end():]
    elif kind == "edited":
        def edit(match: re.Match[str]) -> str:
            text = match.group(0)
            for old, new in rng.sample(_EDITS, 2):
                text = text.replace(old, new, 1)
            return text
        html = _PARAGRAPH.sub(edit, html)
    head, foot = _furniture(rng, outlet, titles)
    opened = _BODY_OPEN.search(html)
    html = html[: opened.end()] + head + html[opened.end():] if opened else head + html
    closed = list(_BODY_CLOSE.finditer(html))
    return html[: closed[-1].start()] + foot + html[closed[-1].start():] if closed else html + foot


def write_pages(root: Path, n: int, seed: int = 7) -> dict[str, int]:
    """The dev pages as raw/<id>.html and syndicated copies under raw/wireNN/ up to `n` files."""
    htmls: list[str] = []
    for name in PAGE_FILES:
        with gzip.open(EVAL / name, "rt", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                htmls.append(row["html"])
                (root / f"{len(htmls):05d}.html").write_text(row["html"], encoding="utf-8")
                if len(htmls) >= n:
                    return {"original": len(htmls), "copy": 0, "abridged": 0, "edited": 0}
    titles = [t.group(1).strip()[:120] for h in htmls if (t := _TITLE.search(h)) and t.group(1).strip()]
    rng = random.Random(seed)
    kinds = {"original": len(htmls), "copy": 0, "abridged": 0, "edited": 0}
    for k in range(n - len(htmls)):
        kind = rng.choice(("copy", "abridged", "edited"))
        outlet = rng.randint(1, WIRE_OUTLETS)
        folder = root / f"wire{outlet:02d}"
        folder.mkdir(exist_ok=True)
        copy = syndicated(rng.choice(htmls), kind, rng, outlet, titles)
        (folder / f"{k:06d}.html").write_text(copy, encoding="utf-8")
        kinds[kind] += 1
    return kinds


# -- the glue ---------------------------------------------------------------------------------------------

def glue(root: Path, db_path: Path) -> dict[str, float]:
    """What a user writes instead: for each file, trafilatura's text, title and date, a datasketch
    MinHash of its word 3-grams, a MinHashLSH query (the first candidate's group, else a new one), a
    row in SQLite. One process, one loop."""
    import sqlite3

    import trafilatura
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, path TEXT, title TEXT, published TEXT, "
               "text TEXT, group_id INTEGER)")
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    group: dict[int, int] = {}
    word = re.compile(r"\w+")
    articles = duplicates = 0
    for n, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        extracted = trafilatura.bare_extraction(path.read_bytes(), with_metadata=True, as_dict=True)
        if not isinstance(extracted, dict) or not extracted.get("text"):
            continue
        words = word.findall(extracted["text"].casefold())
        signature = MinHash(num_perm=128)
        signature.update_batch([" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))])
        candidates = sorted(lsh.query(signature))
        group[n] = group[candidates[0]] if candidates else n
        duplicates += bool(candidates)
        lsh.insert(n, signature)
        db.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)",
                   (n, str(path.relative_to(root)), extracted.get("title"), extracted.get("date"), extracted["text"],
                    group[n]))
        articles += 1
        if n % 1000 == 999:
            db.commit()
    db.commit()
    db.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": time.perf_counter() - started, "articles": articles, "duplicates": duplicates,
            "peak_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime}


# -- measuring ------------------------------------------------------------------------------------------

class TreeUsage:
    """Peak summed RSS and CPU seconds of this process and its descendants (the extraction workers),
    sampled every 0.1 s in a thread, with the Prefect temporary server's process tree (uvicorn) apart.
    CPU seconds do not depend on how busy the machine is: docs per CPU-second compares the work done."""

    def __init__(self) -> None:
        self.peak = 0
        self.server_peak = 0
        self._cpu: dict[int, float] = {}  # last CPU seconds seen per process (workers end with the run)
        self.process_peaks: dict[int, int] = {}
        self._page, self._tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
        threading.Thread(target=self._sample, daemon=True).start()

    def cpu_seconds(self) -> float:
        me = os.times()
        return me.user + me.system + sum(seconds for pid, seconds in self._cpu.items() if pid != os.getpid())

    def _sample(self) -> None:
        me = os.getpid()
        while True:
            from newsdedup.parallel import process_stats

            table = {pid: (int(fields[1]), int(fields[21]) * self._page,
                           (int(fields[11]) + int(fields[12])) / self._tick)
                     for pid, fields in process_stats().items()}
            ours = server = 0
            for pid, (_, rss, cpu) in table.items():
                chain: list[int] = []
                node, in_server = pid, False
                while node in table and node != me and len(chain) < 50:
                    chain.append(node)
                    node = table[node][0]
                if node != me:
                    continue
                for link in chain:
                    try:
                        with open(f"/proc/{link}/cmdline", "rb") as f:
                            in_server = in_server or b"uvicorn" in f.read()
                    except OSError:
                        pass
                if in_server:
                    server += rss
                else:
                    ours += rss
                    self._cpu[pid] = cpu
                    self.process_peaks[pid] = max(self.process_peaks.get(pid, 0), rss)
            self.peak = max(self.peak, ours)  # this process is in `ours` (its chain is empty)
            self.server_peak = max(self.server_peak, server)
            time.sleep(0.1)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def warm_prefect() -> float:
    from prefect import flow

    @flow(name="warm-up")
    def warm_up() -> None:
        """Starts Prefect's temporary server (when no PREFECT_API_URL is set): a one-off cost, timed apart."""

    started = time.perf_counter()
    warm_up()
    return time.perf_counter() - started


def run_flow(root: Path, store: Path, batch_size: int, docs: int) -> dict[str, object]:
    from flows.pipeline import pipeline

    started = time.perf_counter()
    summary = pipeline(raw_dir=str(root), store_url=f"sqlite:///{store}", batch_size=batch_size)
    elapsed = time.perf_counter() - started
    seconds = summary["seconds"]
    print(f"\n{'stage':<10}{'seconds':>10}{'docs/s':>10}")
    for stage in ("ingest", "extract", "dedup"):
        print(f"{stage:<10}{seconds[stage]:>10.2f}{docs / seconds[stage]:>10.0f}")
    print(f"{'total':<10}{elapsed:>10.2f}{docs / elapsed:>10.0f}   (the pipeline flow run, Prefect included)")
    return {"seconds": elapsed, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", action="store_true", help="real HTML pages and their copies, beside the glue")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--no-glue", action="store_true", help="--pages without the glue run")
    parser.add_argument("--write", metavar="DIR", help=argparse.SUPPRESS)  # child process: write the pages
    parser.add_argument("--glue", nargs=2, metavar=("RAW", "DB"), help=argparse.SUPPRESS)  # child: run the glue
    args = parser.parse_args()

    if args.write:
        print(json.dumps(write_pages(Path(args.write), args.docs)))
        return
    if args.glue:
        print(json.dumps(glue(Path(args.glue[0]), Path(args.glue[1]))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "raw"
        root.mkdir()
        started = time.perf_counter()
        if args.pages:
            # In a child process: the dev pages held while writing stay out of this process's memory.
            written = subprocess.run([sys.executable, __file__, "--write", str(root), "--docs", str(args.docs)],
                                     check=True, capture_output=True, text=True)
            kinds = json.loads(written.stdout)
        else:
            kinds = generate(root, args.docs)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"wrote {args.docs} pages ({size / 2**20:,.0f} MB) in {time.perf_counter() - started:.1f}s: {kinds}")

        glued: dict[str, float] | None = None
        if args.pages and not args.no_glue:
            print(f"glue: trafilatura + datasketch MinHashLSH + SQLite, one process ({load()})")
            ran = subprocess.run([sys.executable, __file__, "--glue", str(root), f"{tmp}/glue.db"],
                                 check=True, capture_output=True, text=True)
            glued = json.loads(ran.stdout.strip().splitlines()[-1])
            print(f"glue: {glued['seconds']:.1f} s, {args.docs / glued['seconds']:.1f} docs/s, "
                  f"peak {glued['peak_mb']:,.0f} MB, {glued['cpu']:,.0f} CPU seconds, "
                  f"{args.docs / glued['cpu']:.1f} docs per CPU-second, {glued['articles']:.0f} articles, "
                  f"{glued['duplicates']:.0f} joined a group ({load()})")

        startup = warm_prefect()
        memory = TreeUsage()
        print(f"newsdedup: the pipeline flow ({load()})")
        cpu_before = memory.cpu_seconds()
        flow = run_flow(root, Path(tmp) / "bench.db", args.batch_size, args.docs)
        time.sleep(0.3)  # a last sample of the workers
        cpu = memory.cpu_seconds() - cpu_before
        elapsed = float(flow["seconds"])  # type: ignore[arg-type]
        summary: dict[str, Any] = flow["summary"]  # type: ignore[assignment]

    print(f"Prefect start-up before it (temporary server, once per process): {startup:.1f} s; "
          f"with it {args.docs / (elapsed + startup):.0f} docs/s; ({load()})")
    print(f"newsdedup peak memory {memory.peak / 2**20:,.0f} MB (this process and its workers; this process alone "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB); "
          f"Prefect's temporary server {memory.server_peak / 2**20:,.0f} MB apart; "
          f"{cpu:,.0f} CPU seconds, {args.docs / cpu:.1f} docs per CPU-second")
    others = sorted((peak for pid, peak in memory.process_peaks.items() if pid != os.getpid()), reverse=True)
    print("  its other processes' peaks (workers): " + ", ".join(f"{peak / 2**20:,.0f} MB" for peak in others))
    d = summary["dedup"]
    print(f"articles={summary['extract']['articles']} quarantined={summary['extract']['quarantined']} "
          f"groups={summary['store']['groups']} exact={d['exact']} near={d['near']} overlaps={d['overlaps']} "
          f"expected_duplicates={kinds['copy'] + kinds['abridged'] + kinds['edited']}")
    if glued:
        print(f"\nnewsdedup {args.docs / elapsed:.1f} docs/s vs glue {args.docs / glued['seconds']:.1f} docs/s: "
              f"{glued['seconds'] / elapsed:.2f}x; peak {memory.peak / 2**20:,.0f} MB vs {glued['peak_mb']:,.0f} MB; "
              f"docs per CPU-second {args.docs / cpu:.1f} vs {args.docs / glued['cpu']:.1f}")
    print(f"docs_per_s={args.docs / elapsed:.1f}")


if __name__ == "__main__":
    main()
