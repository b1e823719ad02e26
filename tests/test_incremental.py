"""Re-runs are idempotent; a new file is processed alone against the index kept from earlier runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, article_by_source, run_steps
from sqlalchemy import select

import newsdedup.extract as extract_module
import newsdedup.pipeline as pipeline_module
from newsdedup.config import Settings
from newsdedup.pipeline import plan_extraction
from newsdedup.store import Store
from newsdedup.store.read import show
from newsdedup.store.schema import articles, groups, index_documents, lsh_buckets, overlaps, raw_sources


def _snapshot(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {
            "articles": sorted(
                conn.execute(select(articles.c.id, articles.c.group_id, articles.c.duplicate_kind, articles.c.seq))
                .tuples()
                .all()
            ),
            "groups": sorted(conn.execute(select(groups)).tuples().all()),
            "overlaps": sorted((a, b) for a, b in conn.execute(select(overlaps.c.article_a, overlaps.c.article_b))),
            "index": _index_keys(conn, store.dialect),
        }


def _index_keys(conn: Any, dialect: str) -> list[tuple[int, tuple[int, ...]]]:
    """(seq, its band keys) of every indexed article: PostgreSQL keeps them on the article's row, SQLite
    as bucket rows."""
    if dialect == "postgresql":
        return sorted((seq, tuple(keys)) for seq, keys in conn.execute(select(index_documents)))
    keys: dict[int, list[int]] = {seq: [] for seq in conn.execute(select(index_documents.c.seq)).scalars()}
    for key, member in conn.execute(select(lsh_buckets)):
        keys[member].append(key)
    return sorted((seq, tuple(sorted(found))) for seq, found in keys.items())


def test_second_run_changes_nothing(store: Store, raw_dir: Path) -> None:
    run_steps(store, raw_dir)
    before = _snapshot(store)
    ingested, extracted, deduped = run_steps(store, raw_dir)
    assert (ingested.new, ingested.unchanged) == (0, 5)
    assert extracted.pages == 0 and deduped.articles == 0
    assert _snapshot(store) == before


def test_new_file_is_deduplicated_against_the_kept_index(store: Store, raw_dir: Path) -> None:
    run_steps(store, raw_dir)
    before = _snapshot(store)
    # A report lifting the first paragraphs of seed 001, dropped in raw/ later.
    seed = (SEEDS / "001_233dc4c3cfabbe5b.txt").read_text(encoding="utf-8").split("\n")
    lifted = [
        "Analysts weigh the missile deal",
        "",
        "Regional analysts on Friday debated what the purchase means for the balance of power and for the "
        "defence budgets of both countries over the coming decade.",
        "",
        seed[4],
        "",
        seed[6],
        "",
        "Officials in both capitals declined to comment further on the negotiations or on any future orders.",
    ]
    (raw_dir / "later_report.txt").write_text("\n".join(lifted), encoding="utf-8")
    ingested, extracted, deduped = run_steps(store, raw_dir)
    assert (ingested.new, ingested.unchanged) == (1, 5)
    assert extracted.pages == 1 and deduped.articles == 1  # only the new document is hashed
    after = _snapshot(store)
    old_seqs = {a[3] for a in before["articles"]}
    assert [s for s in after["index"] if s[0] in old_seqs] == before["index"]
    assert set(before["articles"]) <= set(after["articles"])
    new_links = set(after["overlaps"]) - set(before["overlaps"])
    # Both seed 001 and seed 002 (which quotes 001) hold the lifted passages.
    with store.engine.connect() as conn:
        sources = dict(conn.execute(select(articles.c.id, articles.c.source)).tuples().all())
    assert {(sources[a], sources[b]) for a, b in new_links} == {
        ("later_report.txt", "001_233dc4c3cfabbe5b.txt"),
        ("later_report.txt", "002_8d077245f715231b.txt"),
    }


def test_index_built_with_other_parameters_is_rebuilt_before_new_articles_are_compared(
    store: Store, raw_dir: Path
) -> None:
    """Band keys made with other parameters would never meet the new ones: the store knows what its
    index was built with and rebuilds it from the stored articles first."""
    settings = Settings()
    run_steps(store, raw_dir, settings.replace(num_perm=64, doc_bands=21, paragraph_rows=2))
    before = _snapshot(store)
    # An edited copy: found only through LSH buckets (an exact copy would be found by its text hash).
    original = (SEEDS / "001_233dc4c3cfabbe5b.txt").read_text(encoding="utf-8")
    (raw_dir / "zz_copy.txt").write_text(original.replace(" the ", " a ", 4), encoding="utf-8")
    _, _, deduped = run_steps(store, raw_dir, settings)
    assert deduped.reindexed == 5 and deduped.articles == 1
    assert deduped.near == 1, "the edited copy finds its original through the rebuilt index"
    after = _snapshot(store)
    old_ids = {a[0] for a in before["articles"]}
    rebuilt = [s for s in after["index"] if s[0] in {a[3] for a in before["articles"]}]
    assert len(rebuilt) == 5 and not set(rebuilt) & set(before["index"]), "every article's keys were made anew"
    assert [a for a in after["articles"] if a[0] in old_ids] == before["articles"], "groups are kept as they were"
    _, _, again = run_steps(store, raw_dir, settings)
    assert again.reindexed == 0


def test_changed_file_becomes_a_new_version(store: Store, raw_dir: Path) -> None:
    run_steps(store, raw_dir)
    path = raw_dir / "003_c73d2bbacf694d4f.txt"
    # The outlet updates the story: a paragraph added at the end of the article, above the comments.
    original = path.read_text(encoding="utf-8")
    assert "Leave A Reply" in original
    path.write_text(original.replace("Leave A Reply", "Update: the ministry later confirmed the talks took place "
                                     "and said a further round was planned for the autumn.\n\nLeave A Reply"),
                    encoding="utf-8")
    ingested, extracted, deduped = run_steps(store, raw_dir)
    assert (ingested.new, ingested.new_versions, ingested.unchanged) == (1, 1, 4)
    assert extracted.articles == 1 and deduped.near == 1  # the update is a near-duplicate of its first version
    with store.engine.connect() as conn:
        versions = conn.execute(select(raw_sources.c.version).where(raw_sources.c.source == path.name)).scalars()
        assert sorted(versions) == [1, 2]


def test_outlet_furniture_is_learned_across_runs_from_the_store(store: Store, tmp_path: Path) -> None:
    """One page per run: the outlet's recurring line is learned from the store's history, while a
    sentence that two of its articles share stays article text."""
    raw = tmp_path / "raw"
    (raw / "daily").mkdir(parents=True)
    furniture = "Our reporters work around the clock so that you never miss what matters to you."
    shared_quote = "“We will not rest until the bridge is open to every family in this valley,” the mayor said."
    kept: list[bool] = []
    quote_kept: list[bool] = []
    for n in range(5):
        paragraphs = [
            f"Officials in district {n} said on Monday that the new crossing number {n} would open in spring "
            f"after {n + 3} years of delays, rising costs and a long dispute with contractor {n}.",
            furniture,
            f"Residents of ward {n} welcomed the news, though some said the {n + 2} month closure of the old "
            f"road had already cost shops on street {n} a great deal of trade this year.",
        ]
        if n in (1, 3):
            paragraphs.append(shared_quote)
        (raw / "daily" / f"page{n}.txt").write_text(f"Crossing {n} to open\n\n" + "\n\n".join(paragraphs) + "\n",
                                                    encoding="utf-8")
        run_steps(store, raw)
        body = article_by_source(store)[f"daily/page{n}.txt"]["paragraphs"]
        kept.append(furniture in body)
        if n in (1, 3):
            quote_kept.append(shared_quote in body)
    # Seen on 1, 2 pages: kept; from the third page on it is the outlet's furniture.
    assert kept == [True, True, False, False, False]
    assert quote_kept == [True, True]


def _partition(store: Store) -> set[frozenset[str]]:
    """The grouping of the store's articles, by source: comparable across article ids."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(articles.c.source, articles.c.group_id)).tuples().all()
    by_group: dict[str, set[str]] = {}
    for source, group_id in rows:
        by_group.setdefault(group_id, set()).add(source)
    return {frozenset(members) for members in by_group.values()}


def test_an_extractor_upgrade_supersedes_every_earlier_record(store: Store, raw_dir: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Records of an earlier extractor version are replaced, never left beside the new ones as their
    exact duplicates: each page is extracted again, its old record retired and pointing at the new one,
    and de-duplication starts afresh, grouping as a fresh store does."""
    (raw_dir / "zz_copy.txt").write_bytes((raw_dir / "001_233dc4c3cfabbe5b.txt").read_bytes() + b"\n")
    current = extract_module.EXTRACTOR_VERSION
    monkeypatch.setattr(extract_module, "EXTRACTOR_VERSION", "0")
    monkeypatch.setattr(pipeline_module, "EXTRACTOR_VERSION", "0")
    run_steps(store, raw_dir)
    old = article_by_source(store)
    assert len(old) == 6 and all(a["extractor_version"] == "0" for a in old.values())

    monkeypatch.setattr(extract_module, "EXTRACTOR_VERSION", current)
    monkeypatch.setattr(pipeline_module, "EXTRACTOR_VERSION", current)
    plan = plan_extraction(store)
    assert plan.replaced_version == "0" and len(plan.pending) == 6
    _, extracted, deduped = run_steps(store, raw_dir)
    assert extracted.articles == 6 and extracted.superseded == 6 and deduped.articles == 6
    new = article_by_source(store)
    assert {a["extractor_version"] for a in new.values()} == {current}
    with store.engine.connect() as conn:
        group_canonicals = set(conn.execute(select(groups.c.canonical_id)).scalars())
        linked = {i for pair in conn.execute(select(overlaps.c.article_a, overlaps.c.article_b)) for i in pair}
    assert group_canonicals | linked <= {a["id"] for a in new.values()}, "no link to a retired record"
    for source, record in old.items():
        shown = show(store, record["id"])
        assert shown is not None and shown["supersedes"] == record["id"] and shown["id"] == new[source]["id"]

    fresh = Store.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    run_steps(fresh, raw_dir)
    assert _partition(store) == _partition(fresh)
    assert plan_extraction(store).replaced_version is None  # adopted once
