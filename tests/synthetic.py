"""An invented syndication corpus for tests: stories in made-up words, printed again as exact, abridged,
copy-edited and OCR-noised copies, plus reports that lift passages from earlier stories. Everything
follows one `random.Random(seed)`, so the same seed gives the same corpus in any process."""

from __future__ import annotations

import random
from dataclasses import dataclass

_SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "dri", "pel", "sun", "ta", "bor", "ni", "qua", "zet", "ul",
              "mar", "fe", "gon", "ish", "po", "tri", "wen", "ax", "el", "dor", "sy", "ba", "ko", "lin", "vu"]


@dataclass
class Doc:
    name: str  # outlet/file, as under raw/
    text: str  # paragraphs separated by blank lines
    story: int  # the story it prints (a lifting report is its own story)
    lifts_from: int | None = None  # the story whose passages it lifts


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _paragraph(rng: random.Random, vocab: list[str]) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        words = [rng.choice(vocab) for _ in range(rng.randint(10, 18))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _edit(rng: random.Random, paragraph: str, vocab: list[str], share: float) -> str:
    """Copy-editing: a share of the words replaced."""
    words = paragraph.split()
    for k in range(len(words)):
        if rng.random() < share:
            words[k] = rng.choice(vocab)
    return " ".join(words)


def _ocr(rng: random.Random, paragraph: str, share: float) -> str:
    """OCR noise: a share of the letters replaced by look-alikes (the word count stays)."""
    confusions = {"a": "o", "o": "a", "e": "c", "i": "l", "l": "i", "n": "m", "m": "n", "u": "v", "r": "n"}
    return "".join(confusions.get(c, c) if rng.random() < share else c for c in paragraph)


def corpus(seed: int = 7, stories: int = 150) -> list[Doc]:
    """Stories printed one to six times (exact, abridged from the end, edited, noised) and lifting
    reports, shuffled into one arrival order; a tenth of the prints, in any outlet, end in the same
    wire notice (boilerplate of many stories, too rare in any one outlet to be its furniture)."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 3000)
    notices = random.Random(seed + 1)  # apart, so the stories are those of the seed
    notice = _paragraph(notices, vocab)
    docs: list[Doc] = []
    bodies: list[list[str]] = []
    for story in range(stories):
        body = [_paragraph(rng, vocab) for _ in range(rng.randint(4, 8))]
        bodies.append(body)
        for copy in range(rng.randint(1, 6)):
            paragraphs = list(body)
            if copy and rng.random() < 0.5:
                paragraphs = paragraphs[: max(3, len(paragraphs) - rng.randint(1, 3))]
            if copy and rng.random() < 0.6:
                paragraphs = [_edit(rng, p, vocab, 0.03) for p in paragraphs]
            if copy and rng.random() < 0.6:
                paragraphs = [_ocr(rng, p, 0.02) for p in paragraphs]
            if notices.random() < 0.1:
                paragraphs.append(notice)
            docs.append(Doc(f"outlet{rng.randint(0, 9)}/s{story}-c{copy}.txt", "\n\n".join(paragraphs), story))
    for report in range(stories // 5):
        source = rng.randrange(stories)
        lifted = rng.sample(bodies[source], 2)
        own = [_paragraph(rng, vocab) for _ in range(rng.randint(5, 8))]
        at = rng.randint(1, len(own) - 1)
        docs.append(Doc(f"outlet{rng.randint(0, 9)}/lift{report}.txt", "\n\n".join(own[:at] + lifted + own[at:]),
                        stories + report, lifts_from=source))
    rng.shuffle(docs)
    return docs
