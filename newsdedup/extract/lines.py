"""The line classifier shared by both extractors: a page is a sequence of text lines (the flattened
form, or HTML blocks turned into lines); each line is body, metadata or furniture.

Signals, in the order they are applied:
1. the line's own shape: furniture patterns (rules.py), length, sentence punctuation, title case;
2. its place: the article runs from the title to the last prose paragraph, so what sits outside is page
   furniture (navigation before, teasers and widgets after);
3. its cohesion with the article: a short heading-like line inside the body is kept only when its words
   recur in the article (sub-headings introduce the text; teasers of other stories do not);
4. recurrence across the source's other pages (navigation, footers), given by the caller;
5. the article's edges and what it embeds: the standfirst above the byline, the lead-in of an untitled
   page, the author's note or box and readers' comments that end it; tables, numbered and bulleted
   lists (a recipe's, a deals post's), quoted social posts and interview answers inside it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise

from newsdedup.config import ExtractionSettings
from newsdedup.extract import classifier, rules
from newsdedup.extract.metadata import PageMetadata


@dataclass(slots=True)  # (not frozen: a frozen dataclass is built four times slower, and pages have thousands)
class Line:
    text: str
    blank_after: bool = False
    list_item: bool = False
    # HTML only: the line lies outside the element that holds most of the page's prose.
    outside: bool = False
    # HTML only: the block element holding the line ("" for flattened text), its depth among blocks,
    # the share of its characters that are link text, and which block holds that block (lines with the
    # same `group` are siblings: a list's items, a container's paragraphs; 0: none known).
    tag: str = ""
    depth: int = 0
    link_share: float = 0.0
    group: int = 0
    # HTML only: the chain of block elements above the line, by name and class (figures left out of
    # class names): lines in alike places share it, whichever element holds them (every comment's
    # paragraphs, every teaser of a list). 0: none known.
    path: int = 0
    marks: int = 0  # bits: inside elements whose class/id words say furniture (1), article (2), comments (4)


@dataclass(frozen=True)
class PageHints:
    """What the caller already knows about the page (HTML metadata, the source's recurring lines)."""

    title: str | None = None
    published: date | None = None
    byline: str | None = None
    language: str | None = None
    canonical_url: str | None = None  # as written in the page: may be relative
    site_name: str | None = None  # what the page calls its outlet (og:site_name, JSON-LD publisher)
    site_host: str | None = None  # HTML only: the host of the page's own feed, when its links point there too
    recurring: frozenset[int] = frozenset()  # fingerprints of lines recurring on the source's pages
    metadata: PageMetadata | None = None  # HTML only: title, date and byline candidates (metadata.py)
    article_body: str | None = None  # HTML only: the JSON-LD articleBody, a fallback when the page yields little


@dataclass
class PageText:
    title: str | None
    published: date | None
    byline: str | None
    paragraphs: list[str]
    removed: int  # furniture lines dropped
    confidence: float
    labels: list[str] = field(default_factory=list)  # per input line: body/title/meta/drop/blank


def fold_spaces(text: str) -> str:
    """Runs of white space as one space, none at the ends (`str.split` knows the same white space as
    the regex `\\s`, every Unicode space included, and is several times faster on every line)."""
    return " ".join(text.split())


def normalise_line(text: str) -> str:
    """The form in which lines are compared across pages."""
    return fold_spaces(text).lower()


@lru_cache(maxsize=1 << 16)
def fingerprint(text: str) -> int:
    """A stable signed 64-bit fingerprint of a line's normalised form (stored per outlet). Cached: a
    page's lines are fingerprinted when it is read and again when classified, and an outlet's furniture
    recurs on its pages."""
    digest = hashlib.blake2b(normalise_line(text).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lines_from_text(text: str) -> list[Line]:
    """Split flattened page text into lines, remembering which were followed by a blank line
    (paragraph-like blocks are, navigation entries and captions usually are not)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[Line] = []
    for k, row in enumerate(raw):
        stripped = fold_spaces(row)
        if not stripped:
            continue
        nxt = raw[k + 1] if k + 1 < len(raw) else ""
        is_list = bool(rules.LIST_ITEM.match(stripped))
        if is_list:
            stripped = rules.LIST_ITEM.sub("", stripped, count=1).strip()
        out.append(Line(stripped, blank_after=not nxt.strip(), list_item=is_list))
    return out


def _is_prose(text: str, n_words: int, settings: ExtractionSettings) -> bool:
    """A sentence-like line long enough to be article text on its own."""
    if n_words >= 3 * settings.min_body_words and rules.title_case_ratio(text) < 0.8:
        return True
    return (
        n_words >= settings.min_body_words
        and rules.ends_sentence(text)
        and rules.title_case_ratio(text) < 0.7
    )


def _site_names(lines: list[Line]) -> set[str]:
    """Outlet names a page appends to captions (" - Outlet"): suffixes that recur on the page or also
    stand alone as a line (a logo or navigation entry)."""
    suffixes = Counter(m.group(1).strip().lower() for ln in lines if (m := rules.SITE_SUFFIX.search(ln.text)))
    if not suffixes:
        return set()
    standalone = {normalise_line(ln.text) for ln in lines}
    return {s for s, n in suffixes.items() if n >= 2 or s in standalone}


def _is_furniture(
    ln: Line, count: int, sites: set[str], blank_structure: bool, settings: ExtractionSettings
) -> bool:
    """Furniture by the line's own shape: navigation entries, prompts, credits, captions, teasers."""
    text = ln.text
    if ln.list_item and count < rules.PARAGRAPH_UNITS:
        return True  # navigation and link lists; long list items may be article text
    if count <= 15 and rules.PROMPT.match(text):
        return True
    if (count <= 120 and rules.is_site_notice(text)) or rules.is_squashed_list(text):
        return True
    if count <= 60 and rules.has_credit(text) and not _is_prose(text, count, settings):
        return True
    if rules.signed_by(text, sites):
        return True  # a caption signed with the outlet's name
    # A teaser snippet is cut off mid-sentence; a long paragraph ending in an ellipsis is prose.
    return bool(rules.TRUNCATED.search(text)) and not (blank_structure and ln.blank_after and count > 40)


def _cohesion(text: str, vocabulary: Counter[str]) -> float:
    words = rules.content_words(text)
    if not words:
        return 0.0
    return sum(w in vocabulary for w in words) / len(words)


def classify(lines: list[Line], settings: ExtractionSettings, hints: PageHints | None = None,
             learned: bool = True) -> PageText:
    """Label every line; with `learned` (and a model shipped), the line classifier has the last word
    on which lines are body, reading the rules' labels among its features."""
    hints = hints or PageHints()
    n = len(lines)
    # Lengths in words where words are spaced, in characters / 3 where they are not (CJK, Thai).
    counts = [rules.units(ln.text) for ln in lines]
    sites = _site_names(lines)
    long_lines = [ln for ln, c in zip(lines, counts, strict=True) if c >= rules.PARAGRAPH_UNITS]
    # Pages flattened from paragraph markup put a blank line after every paragraph; when that holds,
    # a short line without one is a div-level label, not article text.
    blank_structure = bool(long_lines) and sum(ln.blank_after for ln in long_lines) >= 0.5 * len(long_lines)

    labels = ["?"] * n
    published = hints.published
    byline = hints.byline
    for k, (ln, count) in enumerate(zip(lines, counts, strict=True)):
        text = ln.text
        if hints.recurring and fingerprint(text) in hints.recurring:
            labels[k] = "drop"
        elif count <= 24 and rules.is_date_line(text) and not rules.ends_sentence(text.rstrip(")")) \
                and not rules.PROMPT.match(text):  # ("Also on …: <a teaser dated …>" dates another story)
            labels[k] = "meta"
            published = published or rules.find_date(text)
        elif count <= 8 and rules.BYLINE.match(text):
            labels[k] = "meta"
            if not byline and count > 1:  # ("By" alone on its line names no one)
                byline = re.sub(r"^(?:by|written by|reporting by|author:)\s+", "", text, flags=re.I)
        elif ln.outside or _is_furniture(ln, count, sites, blank_structure, settings):
            labels[k] = "drop"
        elif _is_prose(text, count, settings) and (ln.blank_after or not blank_structure or count >= 25):
            labels[k] = "body"

    # A table of figures next to the article's text (standings, results, prices) is part of it.
    cell_tables = _cell_tables(lines)
    tables = _data_tables(lines, labels) + cell_tables
    in_table = {k for rows in tables for k in rows}
    prose_at = [k for k, label in enumerate(labels) if label == "body"]
    for rows in tables:
        head = rows[0] - 1  # the column headings: a row without figures right above the first
        if head >= 0 and labels[head] == "?" and not lines[head].blank_after and counts[head] <= 15 \
                and not rules.ends_sentence(lines[head].text):
            in_table.add(head)  # judged with the article's other short lines, never as its headline
        if any(rows[0] - 3 <= k <= rows[-1] + 3 for k in prose_at):
            for j in rows:
                if fingerprint(lines[j].text) not in hints.recurring:
                    labels[j] = "body"

    vocabulary: Counter[str] = Counter()
    for ln, label in zip(lines, labels, strict=True):
        if label == "body":
            vocabulary.update(rules.content_words(ln.text))

    body_at = [k for k, label in enumerate(labels) if label == "body"]
    title, title_at = _find_title(lines, labels, counts, body_at, vocabulary, hints)
    if title_at is not None:
        labels[title_at] = "title"

    start = title_at + 1 if title_at is not None else (body_at[0] if body_at else n)
    if title_at is None:
        start = _lead_in(lines, labels, counts, start, settings)
    _drop_standfirst(lines, labels, title_at if title_at is not None else start - 1)
    teasers = _drop_teasers(lines, labels, counts, start, settings)
    _keep_numbered_lists(lines, labels, hints.recurring)
    _keep_embedded_posts(lines, labels, start)
    body_at = [k for k, label in enumerate(labels) if label == "body"]
    end = body_at[-1] if body_at else -1
    _keep_instruction_lists(lines, labels, counts, start, end, hints.recurring)
    # The article's last paragraph may be one short sentence ("The trial continues.").
    while 0 <= end < n - 1 and labels[end + 1] == "?" and counts[end + 1] >= 4 \
            and rules.ends_sentence(lines[end + 1].text) and rules.title_case_ratio(lines[end + 1].text) < 0.5 \
            and (lines[end + 1].blank_after or not blank_structure):
        end += 1
    in_teaser_block = False
    for k in range(n):
        if labels[k] in ("title", "meta"):
            continue
        if k < start or k > end:
            labels[k] = "drop"
            continue
        if labels[k] == "body":
            in_teaser_block = False
            continue
        if labels[k] == "drop":
            continue
        ln, count = lines[k], counts[k]
        if rules.TEASER_HEADING.match(ln.text) and count <= 8:
            in_teaser_block = True
            labels[k] = "drop"
            continue
        shaped_ok = ln.blank_after or not blank_structure
        sentence = rules.ends_sentence(ln.text) and rules.title_case_ratio(ln.text) < 0.7
        if k in in_table and not in_teaser_block:
            labels[k] = "body"  # a table of figures inside the article is part of it
        elif count >= 6 and rules.DATELINE.match(ln.text) and not in_teaser_block:
            labels[k] = "body"  # a paragraph opened by a wire dateline is reporting, however short
        elif k > 0 and rules.ANSWER.match(ln.text) and labels[k - 1] == "body" \
                and rules.QUESTION.match(lines[k - 1].text):
            labels[k] = "body"  # an interview's answer, however short, follows its question
        elif in_teaser_block or not shaped_ok or count > 40:
            labels[k] = "drop"
        elif sentence or _cohesion(ln.text, vocabulary) >= settings.heading_cohesion or (
                count >= 2 * settings.min_body_words and rules.title_case_ratio(ln.text) < 0.5):
            # (a long line in sentence case inside the article is prose, final stop or not)
            labels[k] = "body"
        else:
            labels[k] = "drop"

    model_says = classifier.body_lines(lines, labels, counts, hints, sites) if learned else None
    if model_says is not None:
        # (The headline, byline and date lines stay what the rules found: the article's metadata. What
        # recurs on the outlet's pages is its furniture: the model never brings it back.)
        furniture = [bool(hints.recurring) and fingerprint(ln.text) in hints.recurring for ln in lines]
        by_model = [label if label in ("title", "meta") else "body" if keep and not recurs else "drop"
                    for keep, label, recurs in zip(model_says, labels, furniture, strict=True)]
        # Where the model keeps less than an article and the rules more, the rules stand.
        if _units(by_model, counts) >= min(settings.min_article_units, _units(labels, counts)):
            labels = by_model
    if learned:
        # (Not in the rules' own verdicts: the model is trained on those, where a second copy is body.)
        _drop_repeated_text(lines, labels, counts)
        judge = classifier.model_for(lines)
        if model_says is not None and judge is not None and not judge.within_body:
            _drop_stray_runs(labels, counts)
    if _units(labels, counts) < settings.min_article_units:
        labels = _fallback(lines, labels, counts, teasers, settings)
    # A table flattened one cell a line is one paragraph, its cells in reading order.
    table_at = {rows[0]: rows for rows in cell_tables if all(labels[k] == "body" for k in rows)}
    in_cell_table = {k for rows in table_at.values() for k in rows[1:]}
    paragraphs = [" ".join(lines[j].text for j in table_at[k]) if k in table_at else lines[k].text
                  for k in range(n) if labels[k] == "body" and k not in in_cell_table]
    # The page's own JSON-LD articleBody, when it holds more than the little the page's lines gave.
    if hints.article_body and _units(labels, counts) < settings.min_article_units:
        declared = [fold_spaces(p) for p in hints.article_body.splitlines() if p.strip()]
        if sum(map(rules.units, declared)) > _units(labels, counts):
            paragraphs = declared
    removed = sum(label == "drop" for label in labels)
    body_words = sum(map(rules.units, paragraphs))
    confidence = _confidence(body_words, len(body_at), title is not None, settings)
    return PageText(title, published, byline, paragraphs, removed, confidence, labels)


def _drop_repeated_text(lines: list[Line], labels: list[str], counts: list[int], min_words: int = 8,
                        min_run: int = 3, opening: int = 2) -> None:
    """A page that shows its article twice (a print or mobile copy) yields it once: body paragraphs
    that repeat, in the same order, at least `min_run` earlier ones from the article's opening (its
    first `opening` paragraphs of `min_words` words or more) are dropped. A paragraph the article
    repeats stays (a refrain), and so do repeated runs inside it (a menu's plans, a recipe's steps)."""
    at = [k for k in range(len(lines)) if labels[k] == "body" and counts[k] >= min_words]
    texts = [normalise_line(lines[k].text) for k in at]
    first: dict[str, int] = {}
    run: list[int] = []  # places in `at` repeating, one after another, the places from `source` on
    source = 0
    for place, text in enumerate(texts):
        if run and texts[source + 1] == text:
            source += 1
            run.append(place)
        elif first.get(text, opening) < opening:
            source, run = first[text], [place]
        else:
            run = []
        first.setdefault(text, place)
        if len(run) >= min_run:
            for repeated in run[-1 if len(run) > min_run else 0:]:
                labels[at[repeated]] = "drop"


def _drop_stray_runs(labels: list[str], counts: list[int], gap_lines: int = 5, gap_units: int = 40,
                     share: float = 0.15) -> None:
    """An article is one run of body lines. Body lines set apart from the rest by `gap_lines` dropped
    lines or more, holding `gap_units` words or more (a thread, a list of teasers), are another run; a
    run under `share` of the largest run's words is something else kept by mistake (an author's note, a
    comment, a teaser), and is dropped. Only where the model judges every line (HTML): where it is
    asked only within the rules' body (flattened text), the rules drop a caption or a short line inside
    the article that the model never sees, and such gaps split articles."""
    runs: list[list[int]] = [[]]
    gap: list[int] = []
    for k, label in enumerate(labels):
        if label == "body":
            if runs[-1] and len(gap) >= gap_lines and sum(counts[j] for j in gap) >= gap_units:
                runs.append([])
            runs[-1].append(k)
            gap = []
        elif label == "drop":
            gap.append(k)
    sizes = [sum(counts[k] for k in run) for run in runs]
    for run, size in zip(runs, sizes, strict=True):
        if size < share * max(sizes):
            for k in run:
                labels[k] = "drop"


def _units(labels: list[str], counts: list[int]) -> int:
    return sum(c for label, c in zip(labels, counts, strict=True) if label == "body")


def _fallback(lines: list[Line], labels: list[str], counts: list[int], teasers: set[int],
              settings: ExtractionSettings) -> list[str]:
    """When the main path finds less than an article, the densest run of text is compared with what it
    found, and the larger is the body: consecutive lines that are not links, headings or list entries,
    each long enough to be prose in any script (a blog post of two paragraphs; a page whose sentences
    the rules do not recognise). A real article is never lost for want of the usual shape."""
    best: tuple[int, int, int] = (0, 0, -1)  # (units, first, last)
    start, total = 0, 0
    for k, (ln, count) in enumerate(zip(lines, counts, strict=True)):
        dense = (count >= 8 and ln.link_share < 0.5 and not ln.list_item and not ln.tag.startswith("h")
                 and labels[k] not in ("title", "meta") and k not in teasers and not rules.PROMPT.match(ln.text)
                 and not rules.is_site_notice(ln.text))
        if not dense:
            start, total = k + 1, 0
            continue
        total += count
        if total > best[0]:
            best = (total, start, k)
    units, first, last = best
    if units <= _units(labels, counts) or units < settings.min_body_words:
        return labels
    return ["body" if first <= k <= last else "drop" if label == "body" else label for k, label in enumerate(labels)]


def _is_author_heading(text: str, next_text: str) -> bool:
    """ "About the author", or "About Jane Doe" over a note that names her."""
    heading = rules.AUTHOR_HEADING.match(text)
    if not heading:
        return False
    name = heading.group("name")
    return name is None or name.split()[-1] in next_text


def _lead_in(lines: list[Line], labels: list[str], counts: list[int], first_body: int,
             settings: ExtractionSettings) -> int:
    """Without a headline to start from, the article starts at its first paragraph, or above it at
    the sentence-case lines that lead into it with no break between (an intro set without a final
    stop). Returns where the article starts."""
    k = first_body
    while k > 0 and labels[k - 1] == "?" and not lines[k - 1].blank_after \
            and counts[k - 1] >= settings.min_body_words and rules.title_case_ratio(lines[k - 1].text) < 0.7:
        k -= 1
        labels[k] = "body"
    return k


def _drop_standfirst(lines: list[Line], labels: list[str], above_start: int) -> None:
    """The summary printed between the headline (or wherever the article starts) and the byline or date
    (a dek, a standfirst) restates the article; the article proper starts below the byline. A standfirst
    never opens with a wire dateline ("LONDON (Reuters) —" starts the report itself)."""
    region = labels[above_start + 1 : above_start + 8]
    if "meta" not in region:
        return
    first_meta = above_start + 1 + region.index("meta")
    above = [k for k in range(above_start + 1, first_meta) if labels[k] == "body"]
    below = labels[first_meta:].count("body")
    # ...and stands right above the byline (a photo credit may sit between): a date further down heads
    # something else, a comment below a thread's heading and its author's name.
    between = sum(bool(lines[k].text.strip()) for k in range(above[-1] + 1, first_meta)) if above else 0
    if above and len(above) <= 2 and below >= 2 and between <= 1 \
            and not any(rules.DATELINE.match(lines[k].text) for k in above):
        for k in above:
            labels[k] = "drop"


def _drop_teasers(
    lines: list[Line], labels: list[str], counts: list[int], first_body: int, settings: ExtractionSettings
) -> set[int]:
    """Snippets of other stories inside or after the article, which read like prose:
    - a teaser headline followed by the snippet it truncates ("A row involving X — report" then
      "A row involving X and Y ..."): both go;
    - after a section heading such as "Other news at ..." or "Related", prose that shares too few
      words with the article so far (`teaser_cohesion`) belongs to other stories; the first paragraph
      that does share them ends the block. Teasers are shorter than the article they follow: a "block"
      outweighing the text before it is the article itself, and is kept.
    Returns the lines of the headline-and-snippet pairs: furniture by their shape, never prose to fall
    back on."""
    pairs: set[int] = set()
    vocabulary: Counter[str] = Counter()
    in_block = False
    kept_words = kept_paragraphs = 0
    block: list[int] = []

    def end_block() -> None:
        nonlocal in_block
        if sum(counts[i] for i in block) > kept_words:
            for i in block:
                labels[i] = "body"
        block.clear()
        in_block = False

    for k in range(max(first_body, 1), len(lines)):
        ln = lines[k]
        established = kept_paragraphs >= 3 and kept_words >= 150
        # Readers' comments (on-topic prose, never the article), an author box, or the author's note
        # when the story does not go on below it (a story about a reporter may say "she is a
        # correspondent"): the article ended above.
        if established and ((labels[k] != "body" and counts[k] <= 8 and rules.COMMENTS_HEADING.match(ln.text))
                            or _is_author_heading(ln.text, lines[k + 1].text if k + 1 < len(lines) else "")
                            or (counts[k] <= 80 and rules.AUTHOR_BIO.match(ln.text)
                                and not _story_goes_on(lines, labels, k, vocabulary, settings))):
            for j in range(k, len(lines)):
                if labels[j] == "body":
                    labels[j] = "drop"
            break
        if labels[k] != "body":
            # A section heading, or a site notice, once the article is under way (a "Subscribe" above
            # it starts nothing): what follows and shares little with the article is not the article.
            if (counts[k] <= 8 and rules.TEASER_HEADING.match(ln.text)) or (
                    kept_paragraphs >= 3 and rules.is_site_notice(ln.text)):
                end_block()
                in_block = True
            continue
        under_way = sum(vocabulary.values()) >= 30
        foreign = under_way and _cohesion(ln.text, vocabulary) < settings.teaser_cohesion
        headline = lines[k - 1].text
        # A tagged headline ("... — report") over the snippet it cuts short is a teaser even in a short
        # article, and even where it was taken for the article's first line or stands just above it (a
        # page whose own story the rules missed, its teasers left as the only prose); an untagged one
        # only inside the article region, and when its snippet is foreign to the article.
        tagged = bool(rules.TEASER_TAIL.search(headline))
        if (tagged or (k - 1 >= first_body and labels[k - 1] != "body" and foreign)) \
                and labels[k - 1] not in ("title", "meta") and _is_teaser_pair(headline, ln.text):
            if labels[k - 1] == "body":  # counted above as the article's: it was not
                kept_words -= counts[k - 1]
                kept_paragraphs -= 1
            labels[k - 1] = labels[k] = "drop"
            pairs.update((k - 1, k))
            continue
        if in_block and foreign:
            labels[k] = "drop"
            block.append(k)
            continue
        end_block()
        kept_words += counts[k]
        kept_paragraphs += 1
        vocabulary.update(rules.content_words(ln.text))
    end_block()
    return pairs


def _story_goes_on(lines: list[Line], labels: list[str], after: int, vocabulary: Counter[str],
                   settings: ExtractionSettings) -> bool:
    """The paragraphs below line `after` (up to three) carry on the article's story: they share its
    words as its own paragraphs do, where other stories' teasers do not."""
    following = [j for j in range(after + 1, len(lines)) if labels[j] == "body"][:3]
    return bool(following) and sum(_cohesion(lines[j].text, vocabulary) for j in following) / len(following) \
        >= 2 * settings.teaser_cohesion


def _data_tables(lines: list[Line], labels: list[str], min_rows: int = 2) -> list[list[int]]:
    """Rows of figures (results, standings, prices), at least `min_rows` to a table. A table's rows
    stay one table across lines already judged furniture: pages insert prompts and teasers anywhere."""
    tables: list[list[int]] = []
    rows: list[int] = []
    for k, ln in enumerate([*lines, Line("")]):  # a blank sentinel closes a run at the end
        if rules.is_data_row(ln.text) and labels[k] != "meta":  # a dateline is no table row
            rows.append(k)
        elif k < len(lines) and labels[k] == "drop" and rows:
            continue
        elif rows:
            if len(rows) >= min_rows:
                tables.append(rows)
            rows = []
    return tables


def _cell_tables(lines: list[Line], min_cells: int = 8) -> list[list[int]]:
    """Tables flattened one cell a line: runs of at least `min_cells` short lines with no blank line
    between them, at least 30 % of them bare figures (standings, results, prices). Navigation menus
    have no figures; a pager or a calendar ("1 2 3 … Next") counts up one by one, a table's columns
    interleave."""
    tables: list[list[int]] = []
    run: list[int] = []

    def close() -> None:
        figures = [lines[k].text for k in run if rules.is_figure(lines[k].text)]
        if len(run) >= min_cells and len(figures) >= 0.3 * len(run) and not _counts_up(figures):
            tables.append(list(run))
        run.clear()

    for k, ln in enumerate(lines):
        if len(rules.words(ln.text)) > 6 or ln.list_item:
            close()
            continue
        run.append(k)
        if ln.blank_after:  # the flattened table ends with its last cell
            close()
    close()
    return tables


def _keep_numbered_lists(lines: list[Line], labels: list[str], recurring: frozenset[int]) -> None:
    """A numbered list that starts right after the article's prose ("1) …", "2) …", counting up, 3
    items or more: a listicle's picks, a how-to's steps) is the article's, with the lines each item
    brings (a link, a price). A list under a heading judged furniture ("Most read") does not follow prose."""
    k = 0
    while k < len(lines):
        match = rules.NUMBERED_ITEM.match(lines[k].text)
        before = labels[max(0, k - 2) : k]  # prose, or prose and one unjudged line ("Here they are:")
        follows_prose = before[-1:] == ["body"] or before == ["body", "?"]
        if not (match and match.group(1) == "1" and follows_prose):
            k += 1
            continue
        items = [k]
        for j in range(k + 1, len(lines)):
            if j - items[-1] > 3:
                break
            following = rules.NUMBERED_ITEM.match(lines[j].text)
            if following and int(following.group(1)) == len(items) + 1:
                items.append(j)
        if len(items) >= 3:
            gap = min(b - a for a, b in pairwise(items)) - 1  # lines each item brings after it
            for j in range(items[0], min(items[-1] + gap, len(lines) - 1) + 1):
                if labels[j] not in ("title", "meta") and fingerprint(lines[j].text) not in recurring:
                    labels[j] = "body"
        k = items[-1] + 1


def _keep_instruction_lists(lines: list[Line], labels: list[str], counts: list[int], start: int, end: int,
                            recurring: frozenset[int]) -> None:
    """A bulleted list inside the article whose items are quantities ("2 cups flour", a recipe's
    ingredients) or whole sentences (a how-to's steps) is the article's, and so are bulleted lines
    with prices (a deals post's "Get it at the shop for $40"). Navigation, share bars and headline
    lists are none of these."""
    k = start
    while k <= end:
        if not lines[k].list_item:
            k += 1
            continue
        run = [k]
        while run[-1] + 1 <= end and lines[run[-1] + 1].list_item:
            run.append(run[-1] + 1)
        k = run[-1] + 1
        items = [lines[j].text for j in run]
        quantities = sum(bool(rules.QUANTITY.match(t)) for t in items)
        steps = sum(counts[j] >= 5 and rules.ends_sentence(lines[j].text) and not lines[j].text.endswith("..")
                    and rules.title_case_ratio(lines[j].text) < 0.5 for j in run)
        prices = sum(bool(rules.PRICE.search(t)) for t in items)
        if (len(run) >= 3 and max(quantities, steps) >= 0.6 * len(run)) or prices >= 0.5 * len(run):
            for j in run:
                if labels[j] == "drop" and fingerprint(lines[j].text) not in recurring:
                    labels[j] = "body"


def _keep_embedded_posts(lines: list[Line], labels: list[str], start: int) -> None:
    """A social post quoted in the article (its text, then "— Name (@handle) date") is the article's,
    as the reader sees it: when it sits among the article's paragraphs, its lines are body, from the
    signature up to the end of the paragraph above it."""
    judged = list(labels)  # posts are placed by the article's own lines, not by one another
    for k in range(start + 1, len(lines)):
        signature = rules.POST_SIGNATURE.match(lines[k].text)
        if not signature or rules.find_date(signature.group(1)) is None:
            continue
        top = k - 1
        while top > start and not lines[top - 1].blank_after and judged[top - 1] not in ("body", "title", "meta"):
            top -= 1
        if "body" in judged[max(start, top - 3) : top] + judged[k + 1 : k + 4]:
            for j in range(top, k + 1):
                labels[j] = "body"


def _counts_up(figures: list[str]) -> bool:
    """1, 2, 3, …: the figures of a pager or a calendar, not of a table."""
    if not all(f.isdigit() for f in figures):
        return False
    numbers = [int(f) for f in figures]
    return all(b == a + 1 for a, b in pairwise(numbers))


def _is_teaser_pair(headline: str, snippet: str) -> bool:
    """The headline is the snippet's own opening words, cut short (and maybe tagged "— report")."""
    head = rules.words(rules.TEASER_TAIL.sub("", headline))
    return len(head) >= 5 and rules.words(snippet)[: len(head)] == head and len(rules.words(snippet)) > len(head)


def _find_title(
    lines: list[Line],
    labels: list[str],
    counts: list[int],
    body_at: list[int],
    vocabulary: Counter[str],
    hints: PageHints,
) -> tuple[str | None, int | None]:
    """The headline: the metadata title when known (and the line that repeats it), else the
    headline-shaped line before the article's first paragraphs that best matches the article's words."""
    if hints.title:
        wanted = normalise_line(hints.title)
        for k, ln in enumerate(lines):
            if normalise_line(ln.text) == wanted:
                return hints.title, k
        return hints.title, None
    # Prefer a headline above the first paragraph; look a little further when the first "paragraph"
    # is a section blurb printed above the headline.
    for depth in (0, 2):
        limit = body_at[min(depth, len(body_at) - 1)] if body_at else len(lines)
        best: tuple[float, int] | None = None
        for k in range(limit):
            ln, count = lines[k], counts[k]
            if labels[k] != "?" or ln.list_item or not 3 <= count <= 30:
                continue
            if ln.text.endswith(".") and not ln.text.endswith("..."):
                continue
            score = _cohesion(ln.text, vocabulary)
            if best is None or score >= best[0]:
                best = (score, k)
        if best is not None and best[0] >= 0.3:
            return lines[best[1]].text, best[1]
    return None, None


def _confidence(body_words: int, prose_lines: int, has_title: bool, settings: ExtractionSettings) -> float:
    length = min(1.0, body_words / (3 * settings.low_confidence_words))
    structure = min(1.0, prose_lines / 3)
    return round(0.6 * length + 0.25 * structure + 0.15 * has_title, 3)
