"""The dedup index in the store (issue 15, point 5): its size in `stats`, entries leaving it by article,
lookups on the stored key width, and stores of the earlier layout rebuilt, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, article_by_source, run_steps
from sqlalchemy import func, inspect, select, text

from newsdedup.config import Settings
from newsdedup.dedup import Deduplicator
from newsdedup.store import Store
from newsdedup.store.read import stats
from newsdedup.store.schema import lsh_buckets, store_meta
from newsdedup.store.store import IndexRows

SEED = "001_233dc4c3cfabbe5b.txt"


def _keys(store: Store, article_id: str) -> list[int]:
    """The band keys the engine makes for a stored article (64-bit, as it looks them up)."""
    _, signed = Deduplicator(store).prepare(store.load_articles([article_id]))
    assert signed is not None
    return sorted({key for key, _ in signed.rows.buckets})


def _rows(store: Store, article_ids: list[str]) -> IndexRows:
    """The index rows of stored articles, as the engine makes them again when they leave the index."""
    return Deduplicator(store).leaving_rows(article_ids)


def test_stats_report_index_bytes_per_indexed_article(store: Store, raw_dir: Path) -> None:
    run_steps(store, raw_dir)
    report = stats(store)
    assert report["indexed_articles"] == report["articles"] == 5
    assert isinstance(report["index_bytes_per_article"], int) and report["index_bytes_per_article"] > 0
    store.drop_index_entries(_rows(store, [article_by_source(store)[SEED]["id"]]))
    assert stats(store)["indexed_articles"] == 4


def test_dropped_articles_leave_the_index_and_keep_their_records(store: Store, raw_dir: Path) -> None:
    run_steps(store, raw_dir)
    records = article_by_source(store)
    dropped = records[SEED]["id"]
    others = {name: r["id"] for name, r in records.items() if name != SEED}
    keys = _keys(store, dropped)
    assert all(dropped in members for members in store.bucket_members(keys).values())
    assert len(store.bucket_members(keys)) == len(keys)
    before = {name: store.bucket_members(_keys(store, article)) for name, article in others.items()}

    assert store.drop_index_entries(_rows(store, [dropped, "no-such-article"])) == 1
    assert not any(dropped in members for members in store.bucket_members(keys).values())
    assert {name: store.bucket_members(_keys(store, article)) for name, article in others.items()} == {
        name: {key: [a for a in members if a != dropped] for key, members in found.items() if members != [dropped]}
        for name, found in before.items()
    }
    if store.dialect == "sqlite":  # no bucket row of it is left behind
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(lsh_buckets)
                                .where(lsh_buckets.c.member == records[SEED]["seq"])).scalar_one() == 0
    assert article_by_source(store)[SEED]["group_id"] == records[SEED]["group_id"], "the record keeps its group"
    assert store.drop_index_entries(_rows(store, [dropped])) == 0
    assert stats(store)["indexed_articles"] == 4


def test_articles_leave_postgresqls_index_without_their_texts_signed_again(store: Store, raw_dir: Path) -> None:
    # SQLite deletes each bucket row by its key, made again from the text; on PostgreSQL the buckets
    # leave with the document row, so what leaves is named by its document row alone.
    run_steps(store, raw_dir)
    article = article_by_source(store)[SEED]["id"]
    rows = _rows(store, [article])
    assert [a for _, a in rows.documents] == [article]
    assert bool(rows.buckets) == (store.dialect == "sqlite")
    assert store.drop_index_entries(rows) == 1 and _keys(store, article)
    assert not any(article in members for members in store.bucket_members(_keys(store, article)).values())


def test_lookups_compare_the_stored_32_bits_of_a_key(store: Store, raw_dir: Path) -> None:
    """A key is stored by its high 32 bits: a key differing below them meets the article (a candidate
    that verification drops), one differing above them does not."""
    run_steps(store, raw_dir)
    article = article_by_source(store)[SEED]["id"]
    key = _keys(store, article)[0]
    assert article in store.bucket_members([key ^ 1])[key ^ 1]
    assert article not in store.bucket_members([key ^ (1 << 40)]).get(key ^ (1 << 40), [])


def test_a_store_with_the_earlier_index_layout_is_rebuilt(store_url: str, raw_dir: Path) -> None:
    """Index tables of layout 1 (64-bit keys, members by hash, 512-byte signatures) are made anew on
    open, and the next run rebuilds the index from the stored articles before comparing."""
    store = Store.open(store_url)
    run_steps(store, raw_dir)
    blob = "BYTEA" if store.dialect == "postgresql" else "BLOB"
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE lsh_buckets"))
        conn.execute(text("DROP TABLE index_documents"))
        conn.execute(text(f"CREATE TABLE index_documents (key BIGINT PRIMARY KEY, article_id VARCHAR(20) NOT NULL, "
                          f"hashvalues {blob} NOT NULL, n_shingles INTEGER NOT NULL)"))
        conn.execute(text("CREATE TABLE lsh_buckets (key BIGINT, member BIGINT, PRIMARY KEY (key, member))"))
        conn.execute(text("INSERT INTO lsh_buckets VALUES (1, 2)"))
        conn.execute(store_meta.delete().where(store_meta.c.name == "index_layout"))
    store.close()

    store = Store.open(store_url)
    try:
        columns = {c["name"] for c in inspect(store.engine).get_columns("index_documents")}
        assert columns == {"seq", "band_keys"}
        assert stats(store)["indexed_articles"] == 0
        assert store.meta("dedup_index") is None and store.meta("index_layout") == "2"
        original = (SEEDS / SEED).read_text(encoding="utf-8")
        (raw_dir / "zz_copy.txt").write_text(original.replace(" the ", " a ", 4), encoding="utf-8")
        _, _, deduped = run_steps(store, raw_dir)
        assert deduped.reindexed == 5 and deduped.near == 1, "the edited copy finds its original"
        assert stats(store)["indexed_articles"] == 6
    finally:
        store.close()
    again = Store.open(store_url)  # a store of the present layout is left as it is
    try:
        assert stats(again)["indexed_articles"] == 6
    finally:
        again.close()


@pytest.mark.parametrize(("window", "indexed"), [(0, 5), (30, 6)])
def test_a_verbatim_copy_adds_index_entries_only_under_a_matching_window(
        store: Store, raw_dir: Path, window: int, indexed: int) -> None:
    """Wire copy re-published verbatim is found by its text hash: without a window its index entries
    would only repeat the first run's. With one, it is indexed, so that a copy still finds the story
    within the window after the first run has left the index."""
    settings = Settings().replace(match_window_days=window)
    original = (SEEDS / SEED).read_text(encoding="utf-8")
    (raw_dir / "wire").mkdir()
    (raw_dir / "wire" / "copy.txt").write_text(original + "\n\n\n", encoding="utf-8")  # other bytes, same text
    _, _, deduped = run_steps(store, raw_dir, settings)
    assert deduped.exact == 1
    assert stats(store)["indexed_articles"] == indexed
    # An edited copy arriving later still finds the story through the index.
    (raw_dir / "wire" / "edited.txt").write_text(original.replace(" the ", " a ", 4), encoding="utf-8")
    _, _, later = run_steps(store, raw_dir, settings)
    assert later.near == 1
    records = article_by_source(store)
    assert records["wire/edited.txt"]["group_id"] == records["wire/copy.txt"]["group_id"] == records[SEED]["group_id"]
