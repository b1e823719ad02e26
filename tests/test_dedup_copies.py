"""What makes a copy: an abridged, OCR-noised reprint joins its story; a report that lifts passages,
however long, never joins the group it lifts from, and neither does a report lifting from that report."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from synthetic import _ocr, _paragraph, _vocabulary

from newsdedup.evaluation import dedup_pages


def _story(rng: random.Random, vocab: list[str], paragraphs: int) -> list[str]:
    return [_paragraph(rng, vocab) for _ in range(paragraphs)]


def _docs(**texts: list[str]) -> list[dict[str, Any]]:
    return [{"id": name, "outlet": f"outlet-{name}", "text": "\n\n".join(paragraphs)}
            for name, paragraphs in texts.items()]


def _split_words(rng: random.Random, paragraph: str) -> str:
    """OCR that breaks words apart and runs others together."""
    out = []
    for word in paragraph.split(" "):
        if len(word) > 6 and rng.random() < 0.1:
            word = word[:3] + " " + word[3:]
        out.append(word)
    return " ".join(out).replace(" the ", " the", 3)


def test_an_abridged_ocr_noised_reprint_joins_its_story() -> None:
    rng = random.Random(3)
    vocab = _vocabulary(rng, 2000)
    original = _story(rng, vocab, 8)
    # The first quarter of the story, with 2 % of its letters misread and words split or run together.
    reprint = [_split_words(rng, _ocr(rng, p, 0.02)) for p in original[:2]]
    other = _story(rng, vocab, 6)
    result = dedup_pages(_docs(original=original, reprint=reprint, other=other))
    clusters = result["clusters"]
    assert clusters["reprint"] == clusters["original"]
    assert clusters["other"] != clusters["original"]


def test_a_print_that_lost_the_story_s_opening_joins_it_through_a_print_cut_alike() -> None:
    rng = random.Random(13)
    vocab = _vocabulary(rng, 2000)
    story = _story(rng, vocab, 6)
    # Copy-editing cut the first paragraph of two prints; the second was abridged from the end as well.
    # Neither opens like the full print, and the short one shares too little of it for a Jaccard.
    lost_opening = [_ocr(rng, p, 0.01) for p in story[1:]]
    short = [_ocr(rng, p, 0.01) for p in story[1:3]]
    # A report opening with the same passage, then text of its own: found in the story only in part.
    report = [story[1], *_story(rng, vocab, 3)]
    result = dedup_pages(_docs(story=story, lost_opening=lost_opening, short=short, report=report))
    clusters = result["clusters"]
    assert clusters["story"] == clusters["lost_opening"] == clusters["short"]
    assert clusters["report"] != clusters["story"]
    assert any("report" in pair for pair in result["overlaps"])


def test_reports_lifting_passages_never_join_the_story_they_lift_from() -> None:
    rng = random.Random(5)
    vocab = _vocabulary(rng, 2000)
    story = _story(rng, vocab, 4)
    copy = [_ocr(rng, p, 0.01) for p in story]
    # Three of the story's four paragraphs (all but its opening), between a lede and an ending of its own:
    # the story is 75 % inside the report, yet the report is not a copy of it.
    report = [_paragraph(rng, vocab), *story[1:], _paragraph(rng, vocab)]
    # A report lifting from that report: two of its paragraphs, one of them its own.
    second = [*_story(rng, vocab, 3), report[0], report[2], _paragraph(rng, vocab)]
    result = dedup_pages(_docs(story=story, copy=copy, report=report, second=second))
    clusters = result["clusters"]
    assert clusters["copy"] == clusters["story"]
    assert len({clusters["story"], clusters["report"], clusters["second"]}) == 3
    links = {frozenset(pair) for pair in result["overlaps"]}
    assert frozenset(("report", "story")) in links or frozenset(("report", "copy")) in links
    assert frozenset(("second", "report")) in links


def test_what_pages_of_one_outlet_share_is_furniture_never_a_link() -> None:
    rng = random.Random(8)
    vocab = _vocabulary(rng, 2000)
    furniture = _story(rng, vocab, 2)  # e.g. a blog's comment rules and author box, under every post
    docs = [
        {"id": "post-1", "outlet": "blog", "text": "\n\n".join([*_story(rng, vocab, 4), *furniture])},
        {"id": "post-2", "outlet": "blog", "text": "\n\n".join([*_story(rng, vocab, 4), *furniture])},
        {"id": "elsewhere", "outlet": "paper", "text": "\n\n".join([*_story(rng, vocab, 4), *furniture])},
    ]
    links = {frozenset(pair) for pair in dedup_pages(docs)["overlaps"]}
    assert frozenset(("post-1", "post-2")) not in links
    # The same passages in another outlet's report are shared text: a link.
    assert frozenset(("elsewhere", "post-1")) in links


def test_a_paragraph_many_stories_carry_is_boilerplate_never_a_link() -> None:
    """A wire service's notice or a disclaimer under the stories of many outlets, each outlet with one
    page here (so no outlet learns it as furniture): once more than three stories hold it, it links
    nothing more; a passage really lifted beside it still makes a link."""
    rng = random.Random(19)
    vocab = _vocabulary(rng, 2000)
    notice = _paragraph(rng, vocab)
    assert len(notice.split()) >= 16  # one such paragraph, near-verbatim, is a link by itself
    stories = {f"s{k}": [*_story(rng, vocab, 4), notice] for k in range(8)}
    stories["s7"] = [*stories["s7"][:4], stories["s2"][1], stories["s2"][2], notice]
    result = dedup_pages(_docs(**stories))
    links = {frozenset(pair) for pair in result["overlaps"]}
    assert len(set(result["clusters"].values())) == 8
    assert frozenset(("s7", "s2")) in links
    later = [name for name in ("s4", "s5", "s6") if any(name in link for link in links)]
    assert not later, links
    assert len(links) <= 3 * 4 // 2 + 1  # (what the first four stories share, and the lift)


def test_one_shared_short_line_is_no_link_and_one_shared_paragraph_is() -> None:
    rng = random.Random(11)
    vocab = _vocabulary(rng, 2000)
    tagline = " ".join(rng.sample(vocab, 10)).capitalize() + "."  # a site's slogan under its posts
    passage = _paragraph(rng, vocab)  # a whole paragraph lifted word for word
    assert len(passage.split()) >= 16
    docs = _docs(first=[*_story(rng, vocab, 4), tagline], second=[*_story(rng, vocab, 4), tagline],
                 source=[*_story(rng, vocab, 4), passage], report=[*_story(rng, vocab, 4), passage])
    links = {frozenset(pair) for pair in dedup_pages(docs)["overlaps"]}
    assert frozenset(("first", "second")) not in links
    assert frozenset(("source", "report")) in links


def test_window_sets_of_a_batch_equal_each_texts_own() -> None:
    from newsdedup.dedup import minhash

    rng = random.Random(2)
    texts = ["", "ab", "Im portant, it's leastI and.", "日本語のテキストです。", "a_b c\x00d", "Ça va très bien."]
    texts += ["".join(rng.choice("abc ,.É日\n") for _ in range(rng.randint(0, 60))) for _ in range(200)]
    values, offsets = minhash.char_shingle_sets(texts, 7)
    for n, text in enumerate(texts):
        assert np.array_equal(values[offsets[n] : offsets[n + 1]], minhash.char_shingles(text, 7)), text
    # Split and run-together words read as the original.
    assert np.array_equal(minhash.char_shingles("It is im portant.", 7), minhash.char_shingles("It is important!", 7))


def test_a_huge_text_is_compared_on_its_first_letters_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdedup.dedup import minhash

    monkeypatch.setattr(minhash, "MAX_LETTERS", 40)
    text = "The first forty letters decide; what follows them is never read at all."
    head = minhash.letters(text)
    assert len(head) == 40
    values, offsets = minhash.char_shingle_sets([text, "short"], 7)
    assert np.array_equal(values[offsets[0] : offsets[1]], minhash.char_shingles(text, 7))
    assert np.array_equal(minhash.char_shingles(text, 7), minhash.char_shingles(head, 7))


def test_a_book_length_text_is_compared_on_its_first_paragraphs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two texts' paragraphs are compared pair by pair: past MAX_PARAGRAPHS long paragraphs a text's
    passages are neither signed nor compared, so two book-length pages cost what two long articles do."""
    from newsdedup.dedup import engine

    monkeypatch.setattr(engine, "MAX_PARAGRAPHS", 6)
    rng = random.Random(17)
    vocab = _vocabulary(rng, 2000)
    source = _story(rng, vocab, 10)
    early = [*_story(rng, vocab, 3), source[1], source[2], *_story(rng, vocab, 3)]
    late = [*_story(rng, vocab, 3), source[7], source[8], *_story(rng, vocab, 3)]
    links = {frozenset(pair) for pair in dedup_pages(_docs(source=source, early=early, late=late))["overlaps"]}
    assert frozenset(("source", "early")) in links
    assert frozenset(("source", "late")) not in links


def test_a_copy_joins_its_story_when_the_fullest_member_carries_another_storys_text() -> None:
    """A scanned page cut at the wrong place holds the story after the end of another one: it is the
    story's fullest member, yet it opens with someone else's text. A short reprint that is a copy of
    most of the story's other members joins the story all the same."""
    rng = random.Random(11)
    vocab = _vocabulary(rng, 2000)
    story = _story(rng, vocab, 8)
    scan = [*_story(rng, vocab, 3), *story]  # the end of another article above the story
    reprint = [_ocr(rng, p, 0.02) for p in story[:4]]
    docs = _docs(story=story, noisy=[_ocr(rng, p, 0.01) for p in story], scan=scan, reprint=reprint)
    clusters = dedup_pages(docs)["clusters"]
    assert clusters["noisy"] == clusters["scan"] == clusters["story"]
    assert clusters["reprint"] == clusters["story"]


def test_short_reprints_of_unbroken_scans_meet_their_story_through_its_opening() -> None:
    """A scanned story is one unbroken block of text, and its reprints keep only its first quarter:
    a reprint shares a quarter of the story's windows, too little for the whole-text bands to bring the
    two together reliably, and there is no paragraph to meet in. Their openings meet."""
    rng = random.Random(4)
    vocab = _vocabulary(rng, 3000)
    texts: dict[str, list[str]] = {}
    for n in range(12):
        story = " ".join(_story(rng, vocab, 8))
        texts[f"story-{n}"] = [story]
        texts[f"reprint-{n}"] = [_ocr(rng, story[: len(story) // 4], 0.01)]
    clusters = dedup_pages(_docs(**texts))["clusters"]
    assert all(clusters[f"reprint-{n}"] == clusters[f"story-{n}"] for n in range(12))
    assert len({clusters[f"story-{n}"] for n in range(12)}) == 12


def test_an_opening_is_the_first_letters_of_the_whole_text() -> None:
    from newsdedup.dedup import minhash

    rng = random.Random(6)
    alphabet = "ab Éé\u0301 ,.—ﬁß日\n"  # spaces and punctuation to skip, a combining accent, ligatures
    texts = ["", "— — — " * 40 + "late letters", *("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
                                                    for _ in range(300))]
    for text in texts:
        for n in (1, 7, 50, 139):
            assert minhash.opening_letters(text, n) == minhash.letters(text)[:n], (text, n)
