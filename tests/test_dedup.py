"""De-duplication on the seeds and on copies made from them, against SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SEEDS, article_by_source, run_steps
from datasketch import MinHash, MinHashLSH
from sqlalchemy import select, text

from newsdedup.dedup import minhash
from newsdedup.store import Store
from newsdedup.store.schema import overlaps

SEED = "001_233dc4c3cfabbe5b.txt"


def _norm(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split())


def _paragraph_index(article: dict[str, Any], raw_line: str) -> int:
    return [_norm(p) for p in article["paragraphs"]].index(_norm(raw_line))


def test_signatures_equal_datasketch_and_work_with_its_lsh() -> None:
    texts = ["The harbour authority closed the port on Tuesday after a storm", "short", ""]
    tokens = minhash.tokenise(texts)
    values, offsets = minhash.shingles(tokens.hashes, tokens.offsets[:-1], tokens.counts, 3)
    sigs = minhash.signatures(values, offsets, 128, 1)
    assert np.array_equal(sigs, minhash.signatures_of_texts(texts, 3, 128, 1))
    for n, sig in enumerate(sigs):
        reference = MinHash(num_perm=128, seed=1, hashfunc=lambda v: v, scheme=minhash.SCHEME)
        reference.update_batch([int(v) for v in values[offsets[n] : offsets[n + 1]]])
        assert np.array_equal(reference.hashvalues, sig)
    assert (sigs[2] == np.iinfo(np.uint32).max).all(), "an empty text has datasketch's empty signature"
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("a", minhash.lean(sigs[0], 1))
    assert lsh.query(minhash.lean(sigs[0], 1)) == ["a"]


def test_seeds_overlap_exactly_as_labelled(store: Store, raw_dir: Path, gold: dict[str, Any]) -> None:
    _, _, outcome = run_steps(store, raw_dir)
    assert outcome.exact == outcome.near == 0, "no two seeds are near-duplicates"
    records = article_by_source(store)
    assert len({r["group_id"] for r in records.values()}) == 5
    with store.engine.connect() as conn:
        links = conn.execute(select(overlaps.c.article_a, overlaps.c.article_b, overlaps.c.pairs)).all()
    assert len(links) == 1
    a, b, pairs = links[0]
    by_id = {r["id"]: r for r in records.values()}
    assert {by_id[a]["source"], by_id[b]["source"]} == {gold["overlaps"][0]["a"], gold["overlaps"][0]["b"]}
    expected = set()
    for pair in gold["overlaps"]:
        lines = {name: (SEEDS / name).read_text(encoding="utf-8").split("\n") for name in (pair["a"], pair["b"])}
        i = _paragraph_index(records[pair["a"]], lines[pair["a"]][pair["a_line"] - 1])
        j = _paragraph_index(records[pair["b"]], lines[pair["b"]][pair["b_line"] - 1])
        expected.add((i, j) if by_id[a]["source"] == pair["a"] else (j, i))
    assert {(i, j) for i, j, _ in pairs} == expected
    assert all(similarity >= 0.5 for _, _, similarity in pairs)


def _variants(raw_dir: Path) -> None:
    """A verbatim copy in other furniture, an abridged copy, an edited copy, and an exact copy."""
    lines = (SEEDS / SEED).read_text(encoding="utf-8").split("\n")
    body = [ln for ln in lines if len(ln.split()) > 12 and not ln.startswith("Also on")]
    furniture_top = ["- Home", "- World", "- Politics", "Subscribe to our newsletter", ""]
    furniture_end = ["", "Share this article", "- Facebook", "- Twitter", "Comments (12)"]
    verbatim = [*furniture_top, lines[0], "", *[p + "\n" for p in body], *furniture_end]
    (raw_dir / "copy_verbatim.txt").write_text("\n".join(verbatim), encoding="utf-8")
    abridged = [lines[0], "", *[p + "\n" for p in body[:4]]]
    (raw_dir / "copy_abridged.txt").write_text("\n".join(abridged), encoding="utf-8")
    edits = {
        "decision": "choice",
        "Thursday": "Wednesday",
        "defense": "defence",
        "stability": "calm",
        "Washington": "The US",
        "advanced": "modern",
        "stressing": "saying",
    }
    edited_body = []
    for p in body:
        for old, new in edits.items():
            p = p.replace(old, new)
        edited_body.append(p + "\n")
    (raw_dir / "copy_edited.txt").write_text(
        "\n".join(["Edited headline about the S-400 deal", "", *edited_body]), encoding="utf-8"
    )
    # Same text in other bytes (Windows line endings): an exact duplicate of the normalised text.
    (raw_dir / "copy_exact.txt").write_bytes((SEEDS / SEED).read_bytes().replace(b"\n", b"\r\n"))
    # The very same bytes under another name: one raw document seen at two places.
    shutil.copy(SEEDS / SEED, raw_dir / "copy_bytes.txt")


def test_copies_join_the_seed_group(store: Store, raw_dir: Path) -> None:
    _variants(raw_dir)
    _, _, outcome = run_steps(store, raw_dir)
    records = article_by_source(store)
    seed_group = records[SEED]["group_id"]
    for copy in ("copy_verbatim.txt", "copy_abridged.txt", "copy_edited.txt", "copy_exact.txt"):
        assert records[copy]["group_id"] == seed_group, copy
    # The seed arrived first (files are taken in name order): every copy is flagged against it.
    assert records[SEED]["duplicate_kind"] == "unique"
    assert records["copy_exact.txt"]["duplicate_kind"] == "exact"
    assert records["copy_verbatim.txt"]["duplicate_kind"] == "exact"  # same body, other furniture
    assert records["copy_abridged.txt"]["duplicate_kind"] == "near"
    assert records["copy_edited.txt"]["duplicate_kind"] == "near"
    assert (outcome.exact, outcome.near) == (2, 2)
    assert "copy_bytes.txt" not in records
    with store.engine.connect() as conn:
        places = (
            conn.execute(text("select source from raw_sources where sha256 = :h"), {"h": records[SEED]["raw_sha256"]})
            .scalars()
            .all()
        )
    assert sorted(places) == [SEED, "copy_bytes.txt"]
    others = {r["group_id"] for name, r in records.items() if name.startswith("00") and name != SEED}
    assert seed_group not in others
    with store.engine.connect() as conn:
        size = conn.execute(text("select size from groups where id = :g"), {"g": seed_group}).scalar_one()
        total = conn.execute(text("select count(*) from articles")).scalar_one()
    assert size == sum(r["group_id"] == seed_group for r in records.values())
    assert total == len(records), "duplicates are flagged, never deleted"


def test_canonical_is_earliest_published(store: Store, raw_dir: Path) -> None:
    # The copy arrives later but states an earlier date than the seed (24 Jan 2020): it becomes canonical.
    content = (SEEDS / SEED).read_text(encoding="utf-8").replace("24 Jan, 2020 05:08", "20 Jan, 2020 09:00")
    (raw_dir / "zz_earlier.txt").write_text(content, encoding="utf-8")
    run_steps(store, raw_dir)
    records = article_by_source(store)
    assert records["zz_earlier.txt"]["group_id"] == records[SEED]["group_id"]
    with store.engine.connect() as conn:
        canonical = conn.execute(
            text("select canonical_id from groups where id = :g"), {"g": records[SEED]["group_id"]}
        ).scalar_one()
    assert canonical == records["zz_earlier.txt"]["id"]


def _token_hashes(text: str) -> list[int]:
    return minhash.tokenise([text]).hashes.tolist()


def test_byte_tokeniser_follows_the_unicode_word_rule() -> None:
    import re
    import unicodedata

    samples = ["Hello, World! It's 3:45pm -- under_score e-mail (x2) #tag", "  ", "a_b_c", "ALL CAPS.", "x\ty\nz",
               "Ｃafé ＤÉJÀ — «naïve» straße", "Ünïcödé… and ascii, mixed: ОДИН два"]
    for sample in samples:
        words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", sample).casefold())
        assert _token_hashes(sample) == _token_hashes(" ".join(words)), sample
        assert len(_token_hashes(sample)) == len(words), sample
    assert _token_hashes("Ｃafé ＤÉJÀ") == _token_hashes("café déjà")  # NFKC and case folding
    assert _token_hashes("ab") != _token_hashes("ba")


def test_token_hashes_are_distinct_and_independent_of_the_batch() -> None:
    words = [f"w{i}{'x' * (i % 7)}" for i in range(100_000)]
    assert len(set(_token_hashes(" ".join(words)))) == len(words)
    texts = ["one two three", "", "solo", " ".join(words[:50])]
    batch = minhash.tokenise(texts)
    assert batch.counts.tolist() == [3, 0, 1, 50]
    for n, sample in enumerate(texts):  # the same hashes alone as inside a batch
        assert batch.hashes[batch.offsets[n] : batch.offsets[n + 1]].tolist() == _token_hashes(sample)


def test_shingles_of_segments() -> None:
    hashes = minhash.tokenise(["a b c d e"]).hashes
    values, offsets = minhash.shingles(hashes, np.array([0, 0, 3, 4]), np.array([5, 2, 0, 1]), 3)
    assert np.diff(offsets).tolist() == [3, 1, 0, 1]  # k-grams; one for a short segment; none for an empty one
    inner, _ = minhash.shingles(hashes[1:4], np.array([0]), np.array([3]), 3)
    assert values[1] == inner[0] and values[1] != values[0]  # a k-gram's hash depends on its tokens only
    assert values[4] == minhash.shingles(hashes[4:], np.array([0]), np.array([1]), 3)[0][0]


@pytest.mark.postgres
def test_postgresql_bucket_lookups_refresh_stale_index_statistics(tmp_path: Path) -> None:
    """After a burst of index growth PostgreSQL would plan bucket lookups for the table it last
    measured (an empty one: a scan of every row per lookup); the store ANALYZEs it first."""
    from conftest import POSTGRES_URL, _reset_postgres

    _reset_postgres()
    store = Store.open(POSTGRES_URL)
    try:
        with store.engine.begin() as conn:  # only the store may analyze it while the test looks
            conn.execute(text("ALTER TABLE index_documents SET (autovacuum_enabled = false)"))
            conn.execute(text("INSERT INTO articles (id, raw_sha256, source, outlet, paragraphs, n_words, confidence, "
                              "low_confidence, boilerplate_removed, extractor_version, ingested_at, seq) VALUES "
                              "('a', 'h', 's', '', '[]', 0, 1, false, 0, 'x', now(), 7)"))
            conn.execute(text("INSERT INTO index_documents (seq, band_keys) "
                              "SELECT g, ARRAY[g, -g] FROM generate_series(1, 30000) g"))

        def statistics() -> tuple[int, Any]:
            with store.engine.connect() as conn:
                row = conn.execute(text("SELECT n_mod_since_analyze, last_analyze FROM pg_stat_user_tables "
                                        "WHERE relname = 'index_documents'")).one()
            return int(row[0]), row[1]

        deadline = time.monotonic() + 10  # the server publishes its counters shortly after a commit
        while statistics()[0] < 30_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert statistics() == (30_000, None)
        # Keys are compared on their high 32 bits; seq 8 has no article.
        assert store.bucket_members([7 << 32, -7 << 32, 8 << 32]) == {7 << 32: ["a"], -7 << 32: ["a"]}
        modified, analyzed = statistics()
        assert modified == 0 and analyzed is not None
    finally:
        store.close()
        _reset_postgres()


def _edited(text: str, n: int) -> str:
    """The text with one word changed, a different one for each n: a copy-edit of the same story."""
    words = text.split(" ")
    words[len(words) // 3 + 7 * n] = "plus"
    return " ".join(words)


def test_a_story_run_by_many_outlets_is_compared_through_a_few_of_its_copies(
        store: Store, raw_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new copy of a story already run by nine outlets joins it after loading a few of the copies (the
    story's fullest and the closest), not all nine: the cost of a copy stays flat as a story spreads."""
    original = (SEEDS / "001_233dc4c3cfabbe5b.txt").read_text(encoding="utf-8")
    for n in range(8):
        (raw_dir / f"outlet{n}").mkdir()
        (raw_dir / f"outlet{n}" / "story.txt").write_text(_edited(original, n), encoding="utf-8")
    run_steps(store, raw_dir)
    records = article_by_source(store)
    story = records["001_233dc4c3cfabbe5b.txt"]
    copies = {r["id"] for source, r in records.items() if source.endswith("story.txt")}
    assert len(copies) == 8 and {records[f"outlet{n}/story.txt"]["group_id"] for n in range(8)} == {story["group_id"]}

    loaded: list[str] = []
    load_articles = Store.load_articles

    def recording(self: Store, ids: Any) -> Any:
        loaded.extend(ids)
        return load_articles(self, ids)

    monkeypatch.setattr(Store, "load_articles", recording)
    (raw_dir / "late").mkdir()
    (raw_dir / "late" / "story.txt").write_text(_edited(original, 9), encoding="utf-8")
    _, _, late = run_steps(store, raw_dir)
    assert late.near == 1
    assert article_by_source(store)["late/story.txt"]["group_id"] == story["group_id"]
    compared = set(loaded) & (copies | {story["id"]})
    assert 1 <= len(compared) <= 3, f"{len(compared)} of the story's 9 runs loaded"
