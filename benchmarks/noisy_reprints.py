"""A noisy-reprints set made from other bodies than the dev dedup files: a check that the copy tests hold
beyond the Dragnet bodies those files were made from.

    .venv/bin/python benchmarks/noisy_reprints.py [--seed 1] [--out benchmarks/out/noisy_reprints_other.jsonl.gz]

The 88 hand-made bodies of `extraction/dev.jsonl.gz` (many sites, a few languages: Portuguese, Russian,
Korean, Italian beside English) are each printed 1 to 15 times, as often as the stories of
`noisy_reprints_dragnet.jsonl.gz` are, and every print goes through what the eval README says of that
file: abridged from the end, copy-edited, OCR-noised (up to 2 % of the characters), under a credit line.
The edits are this script's own model of those steps, written from the README and not fitted to the
file: its figure is a check on other text, not a second dev file to tune on. Rows carry what
score_dedup.py reads (id, outlet, text, body, cluster, overlaps); `benchmarks/dedup.py` scores it beside
the dev files."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._eval import EVAL, ROOT

OUT = ROOT / "benchmarks" / "out" / "noisy_reprints_other.jsonl.gz"
# How many times a story is printed, and how often (the story sizes of noisy_reprints_dragnet).
PRINTS = {1: 591, 2: 114, 3: 65, 4: 37, 6: 40, 10: 26, 15: 19}
CREDITS = ["", "", "By Associated Press.", "Special to the Times.", "From our correspondent.", "Wire report."]
# Characters OCR takes for one another, both ways.
CONFUSIONS = [("o", "0"), ("l", "1"), ("e", "c"), ("h", "b"), ("rn", "m"), ("i", "l"), ("S", "5"), ("a", "e"),
              ("n", "u"), ("t", "f")]
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def sentences(body: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(body.split())) if s.strip()]


def copy_edit(parts: list[str], rng: random.Random) -> list[str]:
    """Drop a sentence now and then (the first as well), and swap a few words for other words of the
    text (any language: the replacements come from the story itself)."""
    kept = [s for s in parts if rng.random() > 0.08] or parts[:1]
    vocabulary = [w for s in parts for w in s.split()]
    edited = []
    for sentence in kept:
        words = sentence.split()
        for k in range(len(words)):
            if rng.random() < 0.02:
                words[k] = rng.choice(vocabulary)
        edited.append(" ".join(words))
    return edited


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    """Characters confused, dropped, or spaces added and lost, each at about `rate`."""
    out: list[str] = []
    k = 0
    while k < len(text):
        if rng.random() >= rate:
            out.append(text[k])
            k += 1
            continue
        roll = rng.random()
        swap = next(((a, b) for a, b in CONFUSIONS if text.startswith(a, k)), None)
        if roll < 0.4 and swap:
            out.append(swap[1])
            k += len(swap[0])
        elif roll < 0.6:
            k += 1  # dropped
        elif roll < 0.8:
            out.append(text[k] + " ")  # a space where there was none
            k += 1
        elif text[k] == " ":
            k += 1  # two words run together
        else:
            out.append(text[k])
            k += 1
    return "".join(out)


def reprint(body: str, rng: random.Random) -> str:
    parts = sentences(body)
    cut = max(1, round(len(parts) * rng.uniform(0.3, 1.0)))  # abridged from the end
    text = " ".join(copy_edit(parts[:cut], rng))
    text = ocr_noise(text, rng.uniform(0.0, 0.02), rng)
    credit = rng.choice(CREDITS)
    return f"{credit}\n{text}\n" if credit else f"{text}\n"


def make(bodies: list[str], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    sizes, weights = list(PRINTS), list(PRINTS.values())
    rows: list[dict[str, Any]] = []
    for story, body in enumerate(bodies):
        for _ in range(rng.choices(sizes, weights)[0]):
            text = reprint(body, rng)
            rows.append({"id": "", "outlet": "unknown", "text": text, "body": text, "cluster": f"story-{story}",
                         "overlaps": []})
    rng.shuffle(rows)  # arrival order: prints of a story need not come together
    for k, row in enumerate(rows):
        row["id"] = f"other-{k:05d}"
    return rows


def bodies(eval_dir: Path = EVAL) -> list[str]:
    with gzip.open(eval_dir / "extraction" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["body"] for line in f]


def write(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = make(bodies(), args.seed)
    write(rows, args.out)
    stories = len({row["cluster"] for row in rows})
    print(f"wrote {args.out}: {len(rows)} prints of {stories} stories")


if __name__ == "__main__":
    main()
