"""A hostile raw/ folder, as a careless or malicious drop would make it: binary and empty files,
a page nested 20,000 deep, invalid UTF-8, script-laden titles, links out of the folder and to
nowhere, a FIFO, twenty exact copies, a file that cannot be opened, one too large, a legacy encoding.
Every entry is accounted for (kept or quarantined with a reason), every kept page becomes an article
or an extraction quarantine record, on SQLite and PostgreSQL; a re-run changes nothing."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, run_steps
from sqlalchemy import func, select

from newsdedup.config import Settings
from newsdedup.extract.decode import decode
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles, quarantine, raw_documents, raw_sources
from newsdedup.summary import md_escape

PROSE = ("The harbour authority said on Tuesday that the new ferry terminal would open in the spring, after "
         "two years of delays caused by storms, a shortage of steel and a dispute over the builders' contract.")
XSS_TITLE = "<script>alert('owned')</script><img src=x onerror=alert(1)> Ferry terminal to open"
DEPTH = 20_000
MAX_FILE_BYTES = 256 * 1024


def deep_page(depth: int) -> str:
    paragraphs = "".join(f"<p>{PROSE} Paragraph {n} adds its own detail about the terminal.</p>" for n in range(3))
    return ("<html><head><title>Deep page keeps its article</title></head><body>" + "<div>" * depth
            + "<h1>Deep page keeps its article</h1>" + paragraphs + "</div>" * depth + "</body></html>")


def build_corpus(raw: Path, outside: Path) -> dict[str, str | None]:
    """Writes the corpus; returns each entry's expected ingest quarantine reason (None: kept)."""
    expected: dict[str, str | None] = {}

    def put(name: str, content: bytes, reason: str | None = None) -> None:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        expected[name] = reason

    put("binary.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    put("random.bin", bytes((n * 7919) % 256 for n in range(50_000)))
    put("empty.txt", b"")
    put("deep.html", deep_page(DEPTH).encode())
    put("invalid_utf8.txt", f"Harbour news\n\n{PROSE}\n".encode().replace(b"Tuesday", b"Tues\xff\xfe\xc3day"))
    put("xss.html", f"<html><head><title>{XSS_TITLE}</title></head><body><h1>{html.escape(XSS_TITLE)}</h1>"
                    f"<p>{PROSE}</p><p>{PROSE} It will carry cars as well.</p></body></html>".encode())
    japanese = ["港湾局は火曜日、新しいフェリーターミナルが春に開業すると発表した。"
                "嵐や鉄鋼不足、建設業者との契約をめぐる争いで工事は二年間遅れていた。",
                "新しいターミナルは一日に六千人の乗客と八百台の車を扱うことができ、島と本土を結ぶ航路の待ち時間は半分に"
                "なる見込みだという。",
                "地元の商店主たちは開業を歓迎しているが、周辺の道路の渋滞を心配する声も上がっており、市は新しい駐車場の"
                "建設を検討している。"]
    put("shift_jis.txt", ("港の新しいフェリーターミナル\n\n" + "\n\n".join(japanese) + "\n").encode("shift_jis"))
    seed = next(SEEDS.glob("001_*.txt")).read_bytes()
    for n in range(20):
        put(f"copies/copy_{n:02d}.txt", seed)
    put("too_large.txt", b"word " * (MAX_FILE_BYTES // 4), "too_large")
    put("denied.txt", f"Locked away\n\n{PROSE}\n".encode(), "unreadable")
    secret = outside / "secret.txt"
    secret.write_text("Credentials outside the raw folder; never to be read.\n")
    (raw / "escape.txt").symlink_to(secret)
    expected["escape.txt"] = "link_outside"
    (raw / "dangling.txt").symlink_to(outside / "gone.txt")
    expected["dangling.txt"] = "dangling_link"
    os.mkfifo(raw / "pipe.html")
    expected["pipe.html"] = "special_file"
    return expected


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str | None]]:
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    raw.mkdir()
    outside.mkdir()
    expected = build_corpus(raw, outside)
    # Tests run as root, whom file modes do not stop: the refusal is made where the code opens files.
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "denied.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    return raw, expected


def _rows(store: Store, *columns: Any) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(*columns)).all())


def test_every_hostile_input_is_accounted_for(store: Store, hostile: tuple[Path, dict[str, str | None]]) -> None:
    raw, expected = hostile
    settings = Settings(max_file_bytes=MAX_FILE_BYTES)
    names = list_files(raw)
    assert set(names) == set(expected)
    ingested, extracted, deduped = run_steps(store, raw, settings)

    # Ingest: every entry kept or quarantined with its reason, nothing else.
    kept = {source for (source,) in _rows(store, raw_sources.c.source)}
    refused = {source: reason for source, reason in _rows(store, quarantine.c.source, quarantine.c.reason)
               if source in expected and expected[source] is not None}
    assert refused == {name: reason for name, reason in expected.items() if reason}
    assert kept == {name for name, reason in expected.items() if reason is None}
    assert ingested.seen == len(expected) and ingested.quarantined == len(refused)
    assert not any(b"Credentials" in bytes(c) for (c,) in _rows(store, raw_documents.c.content))

    # Extraction: every kept content is an article or an extraction quarantine record.
    contents = {sha for (sha,) in _rows(store, raw_documents.c.sha256)}
    extracted_from = {sha for (sha,) in _rows(store, articles.c.raw_sha256)}
    failed = {sha: reason for sha, reason, stage in _rows(store, quarantine.c.raw_sha256, quarantine.c.reason,
                                                          quarantine.c.stage) if stage == "extract"}
    assert extracted_from | set(failed) == contents and not extracted_from & set(failed)
    # (Plain-text Japanese is decoded right but may still find no article: the extractor's business.)
    shift_jis = next(r for r in _rows(store, raw_sources.c.source, raw_sources.c.sha256) if r.source == "shift_jis.txt")
    assert sorted(reason for sha, reason in failed.items() if sha != shift_jis.sha256) == ["binary", "binary", "empty"]
    assert failed.get(shift_jis.sha256, "no_article") == "no_article"
    (content,) = [c for sha, c in _rows(store, raw_documents.c.sha256, raw_documents.c.content)
                  if sha == shift_jis.sha256]
    assert "フェリーターミナル" in decode(bytes(content)).text
    assert extracted.pages == len(contents) == len(kept) - 19  # the twenty copies are one content

    records = {r.source: r for r in _rows(store, articles)}
    assert records["deep.html"].title == "Deep page keeps its article" and len(records["deep.html"].paragraphs) == 3
    title = records["xss.html"].title  # markup in a title is text; escaped wherever it is shown
    assert "Ferry terminal to open" in title and "<" not in md_escape(title).replace("\\<", "")
    damaged = records["invalid_utf8.txt"]
    assert damaged.confidence < 1.0 and "ferry terminal" in damaged.paragraphs[0]
    if "shift_jis.txt" in records:
        assert "フェリーターミナル" in " ".join(records["shift_jis.txt"].paragraphs)
    assert deduped.articles == len(records)

    # A re-run reads nothing new and counts no refusal twice.
    again, extracted_again, _ = run_steps(store, raw, settings)
    assert (again.new, again.quarantined, again.unchanged) == (0, 0, len(expected))
    assert extracted_again.pages == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)).scalar_one() == len(refused) + len(failed)


def test_large_batches_are_held_in_bounded_parts(
    store: Store, raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a batch holds at once is bounded by bytes, not by its count of files (the memory measured
    by benchmarks/memory.py): files are read and kept, and pages extracted, a budget's worth at a time."""
    import newsdedup.pipeline as pipeline_module

    budget = 6_000  # bytes: one or two seed files
    monkeypatch.setattr(pipeline_module, "READ_BUDGET_BYTES", budget)
    monkeypatch.setattr(pipeline_module, "EXTRACT_BUDGET_BYTES", budget)
    held: dict[str, list[int]] = {"read": [], "extract": []}
    real_add_raw, real_extract = Store.add_raw, pipeline_module._extract_claimed

    def add_raw(self: Store, docs: Any) -> tuple[int, int]:
        docs = list(docs)
        held["read"].append(sum(len(d.content) for d in docs))
        return real_add_raw(self, docs)

    def extract(store_: Store, hashes: list[str], settings: Settings, *workers: Any) -> Any:
        held["extract"].append(sum(store_.raw_sizes(hashes).values()))
        return real_extract(store_, hashes, settings, *workers)

    monkeypatch.setattr(Store, "add_raw", add_raw)
    monkeypatch.setattr(pipeline_module, "_extract_claimed", extract)
    sizes = sorted((p.stat().st_size for p in raw_dir.iterdir()), reverse=True)
    ingested, extracted, _ = run_steps(store, raw_dir)
    assert ingested.new == 5 and extracted.pages == 5 and extracted.articles == 5
    for step in ("read", "extract"):
        assert len(held[step]) > 1 and sum(held[step]) == sum(sizes)
        assert all(part <= max(budget, sizes[0]) for part in held[step])


def test_large_pages_leave_nothing_in_the_rules_caches() -> None:
    """The rules' per-line caches are bounded by count, not bytes: a large page's lines are not kept."""
    from datetime import UTC, datetime

    from newsdedup.documents import RawDocument
    from newsdedup.extract import extract_job, read_page, rules
    from newsdedup.extract.limits import LARGE_PAGE_BYTES, extract_job_bounded

    def page(paragraphs: int) -> Any:
        text = "Harbour news\n\n" + "\n\n".join(f"{PROSE} Paragraph {n}." for n in range(paragraphs))
        return read_page(RawDocument.from_bytes(f"p{paragraphs}.txt", text.encode(), datetime.now(UTC)))

    small, large = page(5), page(LARGE_PAGE_BYTES // len(PROSE) + 10)
    assert len(large.raw.content) > LARGE_PAGE_BYTES > len(small.raw.content)
    expected = extract_job((large, Settings().extraction, frozenset()))
    assert extract_job_bounded((large, Settings().extraction, frozenset())) == expected
    assert rules.words.cache_info().currsize == 0
    extract_job_bounded((small, Settings().extraction, frozenset()))
    assert rules.words.cache_info().currsize > 0  # a normal page keeps the caches' benefit
