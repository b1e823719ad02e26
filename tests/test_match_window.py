"""The matching window: copies and lifts are matched only between stories that ran within
`match_window_days` of each other (published, else first seen); 0 means no window."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from synthetic import _ocr, _paragraph, _vocabulary

from newsdedup.config import DedupSettings
from newsdedup.dedup import Deduplicator
from newsdedup.documents import Article, sha256_hex
from newsdedup.extract import EXTRACTOR_VERSION
from newsdedup.store import Store


def _article(name: str, paragraphs: list[str], published: str | None) -> Article:
    digest = sha256_hex(f"{name}\n{published}\n".encode() + "\n".join(paragraphs).encode())
    return Article(id=digest[:20], raw_sha256=digest, source=f"{name}.txt", outlet=name, title=name,
                   published=published, byline=None, language=None, paragraphs=paragraphs, confidence=1.0,
                   boilerplate_removed=0, extractor_version=EXTRACTOR_VERSION)


def _groups(store_url: str, window: int) -> dict[str, str]:
    rng = random.Random(9)
    vocab = _vocabulary(rng, 1500)
    story = [_paragraph(rng, vocab) for _ in range(5)]
    items = [
        _article("first", story, "2026-01-01"),
        _article("noisy-copy-60-days-later", [_ocr(rng, p, 0.01) for p in story], "2026-03-02"),
        _article("same-text-60-days-later", story, "2026-03-02"),
        _article("copy-next-week", [_ocr(rng, p, 0.01) for p in story], "2026-01-08"),
    ]
    store = Store.open(store_url)
    try:
        store.add_articles(items, {a.raw_sha256: datetime(2026, 3, 5, tzinfo=UTC) for a in items})
        Deduplicator(store, DedupSettings(match_window_days=window)).run_batch([a.id for a in items])
        placed = {a.id: a.group_id for a in store.load_articles([a.id for a in items])}
    finally:
        store.close()
    return {a.source.removesuffix(".txt"): str(placed[a.id]) for a in items}


def test_a_copy_60_days_later_is_its_own_story_with_a_30_day_window(store_url: str) -> None:
    groups = _groups(store_url, 30)
    assert groups["copy-next-week"] == groups["first"]
    assert groups["noisy-copy-60-days-later"] != groups["first"]
    assert groups["same-text-60-days-later"] != groups["first"]
    # The two late copies ran together: one story of their own.
    assert groups["same-text-60-days-later"] == groups["noisy-copy-60-days-later"]


def test_without_a_window_the_late_copy_joins_the_first_story(store_url: str) -> None:
    groups = _groups(store_url, 0)
    assert len(set(groups.values())) == 1


def test_articles_older_than_the_window_leave_the_index_and_keep_their_groups(store_url: str) -> None:
    """With a 30-day window (and the 7-day margin), a run's end takes out of the index what ran more than
    37 days before the newest indexed article; those records keep their groups, and a late copy of them
    is a new story."""
    rng = random.Random(4)
    vocab = _vocabulary(rng, 1500)
    old_story, new_story = ([_paragraph(rng, vocab) for _ in range(5)] for _ in range(2))
    old = [_article("old", old_story, None), _article("old-copy", [_ocr(rng, p, 0.01) for p in old_story], None)]
    new = [_article("new", new_story, None)]
    settings = DedupSettings(match_window_days=30)
    store = Store.open(store_url)
    try:
        store.add_articles(old, {a.raw_sha256: datetime(2026, 1, 1, tzinfo=UTC) for a in old})
        store.add_articles(new, {a.raw_sha256: datetime(2026, 3, 1, tzinfo=UTC) for a in new})
        engine = Deduplicator(store, settings)
        engine.run_batch([a.id for a in old + new])
        assert engine.expire_index() == 2  # first seen 59 days before the newest: out
        assert engine.expire_index() == 0
        assert store.index_entries_before(datetime(2026, 12, 31).date()) == [new[0].id]
        groups = {a.id: a.group_id for a in store.load_articles([a.id for a in old + new])}
        assert groups[old[0].id] == groups[old[1].id] == old[0].id  # records keep their group
        # Without a window nothing ever leaves the index.
        assert Deduplicator(store, DedupSettings()).expire_index() == 0
    finally:
        store.close()


@pytest.mark.parametrize("days", ["-1", "x"])
def test_a_bad_window_is_one_line_before_anything_runs(days: str, tmp_path: object, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdedup.cli import main

    monkeypatch.setenv("NEWSDEDUP_STORE_URL", f"sqlite:///{tmp_path}/store.db")
    with pytest.raises(SystemExit) if days == "x" else _no_raise():
        status = main(["run", "--raw", str(tmp_path), "--match-window-days", days])
        assert status != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


class _no_raise:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
