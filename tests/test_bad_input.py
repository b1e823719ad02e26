"""Bad input is extracted or quarantined with a reason; the rest of the batch always goes through."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import article_by_source, run_steps
from sqlalchemy import select

from newsdedup.config import Settings
from newsdedup.store import Store
from newsdedup.store.schema import quarantine, raw_documents

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PROSE = (
    "The council approved the new budget on Monday after a long debate about schools, roads and "
    "the cost of heating public buildings during the coming winter months."
)


def _quarantined(store: Store) -> dict[str, tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source, quarantine.c.reason, quarantine.c.detail)).all()
    return {r.source: (r.reason, r.detail) for r in rows}


@pytest.fixture
def bad_raw(raw_dir: Path) -> Path:
    (raw_dir / "empty.txt").write_bytes(b"")
    (raw_dir / "blank.txt").write_bytes(b"  \n\n \t\n")
    (raw_dir / "image.png").write_bytes(PNG)
    (raw_dir / "nul.txt").write_bytes(b"abc\x00def" * 100)
    cp1252 = (
        "Caf\u00e9 owners \u2018protest\u2019 rent rise\n\nCaf\u00e9 owners protested on Monday against the "
        "rent rise approved by the council, saying the new rent would force them to close. Owners said "
        "\u201cenough\u201d.\n"
    )
    (raw_dir / "windows1252.txt").write_bytes(cp1252.encode("cp1252"))
    (raw_dir / "broken_utf8.txt").write_bytes(
        ("Budget approved after long debate\n\n" + PROSE + " \u2014 officials said.\n")
        .encode("utf-8")
        .replace(b"Monday", b"Mon\xff\xfeday")
    )
    (raw_dir / "malformed.html").write_bytes(
        b"<html><head><title>Broken page</title><body><div><p>" + PROSE.encode() + b"<p>Second <b>unclosed "
        b"paragraph with enough words to count as article text for the extractor here.</div></span></html"
    )
    return raw_dir


def test_each_bad_input_is_extracted_or_quarantined(store: Store, bad_raw: Path) -> None:
    ingested, extracted, _ = run_steps(store, bad_raw)
    assert ingested.seen == 12 and ingested.quarantined == 0
    q = _quarantined(store)
    assert q["empty.txt"][0] == "empty"
    assert "blank.txt" in q and q["blank.txt"][0] == "empty"
    assert q["image.png"][0] == "binary" and "PNG" in q["image.png"][1]
    assert q["nul.txt"][0] == "binary"
    records = article_by_source(store)
    # Windows-1252 is decoded as such: the curly quotes and accents survive.
    assert records["windows1252.txt"]["title"] == "Caf\u00e9 owners \u2018protest\u2019 rent rise"
    assert "\u201cenough\u201d" in records["windows1252.txt"]["paragraphs"][0]
    # Damaged UTF-8 keeps its good characters and is marked by a lower confidence.
    assert "\u2014 officials said." in records["broken_utf8.txt"]["paragraphs"][0]
    assert records["broken_utf8.txt"]["confidence"] < 1.0
    assert records["malformed.html"]["title"] == "Broken page"
    assert len(records["malformed.html"]["paragraphs"]) == 2
    # The seeds in the same batch went through, and every bad input's bytes are kept.
    assert sum(name.startswith("00") for name in records) == 5
    assert extracted.articles == 8 and extracted.quarantined == 4
    with store.engine.connect() as conn:
        assert conn.execute(select(raw_documents.c.sha256)).scalars().all().__len__() == 12


def test_huge_file_is_quarantined_unread_and_not_requarantined(store: Store, raw_dir: Path) -> None:
    big = raw_dir / "huge.txt"
    with big.open("wb") as f:
        f.write(b"word " * (50 * 1024 * 1024 // 5))  # 50 MB
    settings = Settings(max_file_bytes=20 * 1024 * 1024)
    ingested, extracted, _ = run_steps(store, raw_dir, settings)
    assert ingested.quarantined == 1 and extracted.articles == 5
    reason, detail = _quarantined(store)["huge.txt"]
    assert reason == "too_large" and "52,428,800 bytes" in detail
    again, _, _ = run_steps(store, raw_dir, settings)
    assert again.unchanged == 5
    with store.engine.connect() as conn:
        assert len(conn.execute(select(quarantine.c.id)).all()) == 1
