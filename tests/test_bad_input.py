"""Bad input is extracted or quarantined with a reason; the rest of the batch always goes through."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import article_by_source, run_steps
from sqlalchemy import select

import newsdedup.sources.files as files_module
from newsdedup.config import Settings
from newsdedup.extract.decode import _UTF8_MULTIBYTE, UndecodableInput, decode, listing_kind
from newsdedup.sources.files import RawDirectoryError, list_files
from newsdedup.store import Store
from newsdedup.store.schema import quarantine, raw_documents, raw_sources

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


def test_a_nul_or_a_lone_surrogate_in_a_page_never_reaches_the_store(store: Store, raw_dir: Path) -> None:
    """No PostgreSQL text column takes a NUL, and no UTF-8 encoder a lone surrogate: one page holding
    a NUL past the first 8 KB (there it makes the input binary), or either as a JSON-LD escape, failed
    the whole extraction batch. Each is shown as U+FFFD."""
    paragraphs = [f"{PROSE} Paragraph {n} adds its own detail about the budget." for n in range(45)]
    late = "Budget approved after long debate\n\n" + "\n\n".join(paragraphs) + "\n\nThe vote \x00 came late. " + PROSE
    assert late.encode().index(b"\x00") > 8192
    (raw_dir / "late_nul.txt").write_bytes(late.encode())
    ld = ('{"@type": "NewsArticle", "headline": "Budget\\u0000approved", "author": {"name": "Ann\\ud800Lee"}, '
          f'"articleBody": "{PROSE} The vote\\u0000came late."}}')
    (raw_dir / "ld_nul.html").write_bytes(
        f"<html><head><script type='application/ld+json'>{ld}</script></head><body><p>Menu</p></body></html>".encode())
    _, extracted, _ = run_steps(store, raw_dir)
    assert extracted.articles == 7 and extracted.quarantined == 0
    records = article_by_source(store)
    assert "The vote \ufffd came late." in " ".join(records["late_nul.txt"]["paragraphs"])
    page = records["ld_nul.html"]
    assert page["title"] == "Budget\ufffdapproved" and page["byline"] == "Ann\ufffdLee"
    assert "The vote\ufffdcame late." in " ".join(page["paragraphs"])
    assert not any("\x00" in str(value) for record in records.values() for value in record.values())


def test_a_file_whose_name_is_not_utf8_is_read_and_recorded_with_its_odd_bytes_escaped(
    store: Store, raw_dir: Path
) -> None:
    # A Latin-1 name ("caf\xe9"), as archives from older systems carry: Python holds its byte as a lone
    # surrogate, which no store takes; the whole ingest failed.
    (raw_dir / os.fsdecode(b"caf\xe9 news.txt")).write_bytes(f"Caf\u00e9 news\n\n{PROSE}\n".encode())
    ingested, extracted, _ = run_steps(store, raw_dir)
    assert ingested.new == 6 and ingested.quarantined == 0 and extracted.articles == 6
    assert PROSE in " ".join(article_by_source(store)["caf\\xe9 news.txt"]["paragraphs"])
    again, _, _ = run_steps(store, raw_dir)
    assert again.unchanged == 6 and again.new == 0


def test_a_lang_attribute_that_names_no_language_is_no_hint(store: Store, raw_dir: Path) -> None:
    # "englishlanguage" overflowed the store's language column on PostgreSQL: the whole batch failed.
    for name, lang in (("odd_lang.html", "englishlanguage"), ("pt_lang.html", "pt_BR"), ("fil_lang.html", "fil")):
        (raw_dir / name).write_text(f"<html lang='{lang}'><head><title>Budget {lang}</title></head><body>"
                                    f"<h1>Budget {lang}</h1><p>{PROSE} ({lang})</p></body></html>", encoding="utf-8")
    _, extracted, _ = run_steps(store, raw_dir)
    assert extracted.articles == 8
    records = article_by_source(store)
    assert records["odd_lang.html"]["language"] == "en"  # read from the text
    assert records["pt_lang.html"]["language"] == "pt" and records["fil_lang.html"]["language"] == "fil"


def test_a_feed_or_a_sitemap_dropped_in_raw_is_quarantined_as_a_listing_not_glued_into_an_article(
    store: Store, raw_dir: Path
) -> None:
    # Read as a page, each became one "article" of its items glued together ("http://x/0http://x/1...").
    (raw_dir / "feed.xml").write_text(
        f'<?xml version="1.0"?>\n<!-- the daily -->\n<rss version="2.0"><channel><title>The Daily</title><item>'
        f"<title>Budget</title><link>http://example.com/budget</link><description>{PROSE}</description></item>"
        "</channel></rss>", encoding="utf-8")
    (raw_dir / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>http://example.com/{n}</loc></url>" for n in range(20)) + "</urlset>", encoding="utf-8")
    (raw_dir / "page.xhtml").write_text(
        f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Budget</title></head>'
        f"<body><h1>Budget</h1><p>{PROSE}</p></body></html>", encoding="utf-8")
    _, extracted, _ = run_steps(store, raw_dir)
    assert extracted.articles == 6 and extracted.quarantined == 2
    q = _quarantined(store)
    assert q["feed.xml"][0] == q["sitemap.xml"][0] == "listing"
    assert "feeds:" in q["feed.xml"][1] and q["sitemap.xml"][1].startswith("a sitemap")
    assert PROSE in article_by_source(store)["page.xhtml"]["paragraphs"][0]
    # What comes before the first element is skipped in one pass: a regular expression over many comments
    # before no element backtracked for minutes.
    assert listing_kind("<!-- a -->" * 400 + "x") is None
    assert listing_kind("<!-- a -->" * 400 + "<urlset>") == "a sitemap"


def test_huge_file_is_quarantined_unread_and_not_requarantined(
    store: Store, raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = raw_dir / "huge.txt"
    with big.open("wb") as f:
        f.write(b"word " * (50 * 1024 * 1024 // 5))  # 50 MB
    settings = Settings(max_file_bytes=20 * 1024 * 1024)
    ingested, extracted, _ = run_steps(store, raw_dir, settings)
    assert ingested.quarantined == 1 and extracted.articles == 5
    reason, detail = _quarantined(store)["huge.txt"]
    assert reason == "too_large" and "52,428,800 bytes" in detail
    # A re-run knows the file by its size and modification time: unchanged, and not even hashed again.
    monkeypatch.setattr(files_module, "_stream_sha256", lambda fd: pytest.fail("hashed again"))
    again, _, _ = run_steps(store, raw_dir, settings)
    assert again.unchanged == 6 and again.quarantined == 0
    with store.engine.connect() as conn:
        assert len(conn.execute(select(quarantine.c.id)).all()) == 1


def test_every_entry_is_kept_or_quarantined_with_its_reason(
    store: Store, raw_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Secret text that lives outside the raw folder and must never be read.\n")
    (raw_dir / "escape.txt").symlink_to(outside)
    (raw_dir / "nowhere.txt").symlink_to(tmp_path / "missing.txt")
    (raw_dir / "inside.txt").symlink_to(raw_dir / "001_233dc4c3cfabbe5b.txt")  # kept: it stays in the folder
    os.mkfifo(raw_dir / "pipe.txt")
    locked = raw_dir / "locked"
    locked.mkdir()
    (raw_dir / "folder_link").symlink_to(locked)
    (locked / "lost.txt").write_text("A file in a folder that cannot be listed.\n")
    (raw_dir / "denied.txt").write_text("A file that cannot be opened.\n")
    # Tests run as root, who reads anything: the refusals are made where the code asks the system.
    real_scandir, real_open = os.scandir, os.open

    def scandir(path: Any = ".") -> Any:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def listdir(path: Any = ".") -> list[str]:
        with scandir(path) as entries:
            return [e.name for e in entries]

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "denied.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(os, "open", open_)

    names = list_files(raw_dir)
    assert {"escape.txt", "nowhere.txt", "inside.txt", "folder_link", "pipe.txt", "locked", "denied.txt"} <= set(names)
    ingested, _, _ = run_steps(store, raw_dir)
    reasons = {source: reason for source, (reason, _) in _quarantined(store).items()}
    assert reasons == {"escape.txt": "link_outside", "nowhere.txt": "dangling_link", "folder_link": "link_to_folder",
                       "pipe.txt": "special_file", "locked": "unreadable", "denied.txt": "unreadable"}
    assert "Permission denied" in _quarantined(store)["locked"][1]
    assert ingested.seen == len(names) == 5 + 7 and ingested.quarantined == 6
    with store.engine.connect() as conn:
        kept = conn.execute(select(raw_documents.c.content)).scalars().all()
        sources = set(conn.execute(select(raw_sources.c.source)).scalars())
    assert "inside.txt" in sources  # a link inside the folder is read: a second name for the seed's content
    assert not any(b"Secret text" in bytes(c) for c in kept)
    # A re-run finds every refusal already recorded: nothing is counted twice.
    again, _, _ = run_steps(store, raw_dir)
    assert again.quarantined == 0 and again.unchanged == len(names)


@pytest.mark.parametrize("problem", ["missing", "file", "unreadable"])
def test_a_raw_directory_that_cannot_be_read_fails_in_one_line(
    problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    if problem == "file":
        raw.write_text("not a folder")
    elif problem == "unreadable":
        raw.mkdir()
        real_scandir = os.scandir

        def scandir(path: Any = ".") -> Any:
            if Path(path) == raw:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(RawDirectoryError) as error:
        list_files(raw)
    assert {"missing": "does not exist", "file": "is not a directory",
            "unreadable": "cannot be read: Permission denied"}[problem] in str(error.value)
    assert "\n" not in str(error.value)


# Invented sentences, one per legacy encoding the issue names.
LEGACY = {
    "shift_jis": "東京都は月曜日、新しい公園の建設計画を発表した。計画によると、公園は来年の春に開園する予定で、"
                 "市民の憩いの場になることが期待されている。担当者は「多くの人に利用してほしい」と話した。",
    "euc_jp": "大阪市の図書館は、来月から開館時間を延長すると発表した。平日は午後九時まで利用できるようになり、"
              "学生や会社員からは歓迎の声が上がっている。",
    "gb18030": "北京市政府周一宣布，将在明年春天开放一座新的城市公园。官员表示，公园将为市民提供休闲和运动的场所，"
               "预计每年接待游客超过一百万人次。",
    "big5": "台北市政府週一宣布，將在明年春天開放一座新的城市公園。官員表示，公園將為市民提供休閒和運動的場所，"
            "預計每年接待遊客超過一百萬人次。",
    "cp1251": "Городской совет в понедельник утвердил новый бюджет после долгих споров о школах, дорогах и "
              "стоимости отопления общественных зданий в предстоящие зимние месяцы.",
    "cp1256": "وافق مجلس المدينة يوم الاثنين على الميزانية الجديدة بعد نقاش طويل حول المدارس والطرق وتكلفة "
              "تدفئة المباني العامة خلال أشهر الشتاء المقبلة.",
}


@pytest.mark.parametrize("form", ["text", "html"])
@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_legacy_encodings_without_a_bom_decode(encoding: str, form: str) -> None:
    sentence = LEGACY[encoding]
    page = (f"Headline\n\n{sentence}\n" if form == "text"
            else f"<html><head><title>Headline</title></head><body><p>{sentence}</p></body></html>")
    data = page.encode(encoding)
    if encoding in ("shift_jis", "euc_jp", "gb18030", "big5"):
        assert _UTF8_MULTIBYTE.search(data), "the bytes hold valid UTF-8 pairs by chance: the case that fooled us"
    decoded = decode(data)
    assert sentence in decoded.text and not decoded.damaged


def test_a_declared_charset_the_bytes_contradict_loses_to_detection() -> None:
    page = ("<html><head><meta charset=\"utf-8\"><title>Caf\u00e9 owners \u2018protest\u2019</title></head><body>"
            "<p>Owners said \u201cenough\u201d at the caf\u00e9 on Monday, and the council listened.</p></body></html>")
    decoded = decode(page.encode("cp1252"))
    assert "\u201cenough\u201d" in decoded.text and "Caf\u00e9 owners \u2018protest\u2019" in decoded.text
    assert not decoded.damaged
    # The same in the other direction: UTF-8 bytes under a single-byte label are UTF-8.
    mislabelled = page.replace("utf-8", "iso-8859-1").encode("utf-8")
    assert "\u201cenough\u201d" in decode(mislabelled).text
    # UTF-16 saved without a BOM (either byte order) is text, not binary; NUL bytes elsewhere are binary.
    for order in ("utf-16-le", "utf-16-be"):
        assert "\u201cenough\u201d" in decode(page.encode(order)).text
    with pytest.raises(UndecodableInput):
        decode(b"abc\x00def" * 100)
    # UTF-16 or UTF-32 declared, in the page or by the server, over bytes that hold no NUL: no such text
    # (its every space and tag would hold one); decoded so, the page became a line of CJK characters.
    # Nor does one that names an encoding web pages are never written in (EBCDIC, UTF-7): browsers ignore it.
    for label in ("utf-16", "UTF-16LE", "utf-32", "cp037", "utf-7"):
        declared_wide = page.replace("utf-8", label).encode("utf-8")
        assert "\u201cenough\u201d" in decode(declared_wide).text
        assert "\u201cenough\u201d" in decode(page.encode("utf-8"), label).text


def test_nearly_valid_utf8_stays_utf8_and_mostly_invalid_does_not() -> None:
    long_text = ("The caf\u00e9 reopened \u2014 owners said. " * 50).encode("utf-8")
    damaged = long_text[:400] + b"\xff\xfe" + long_text[400:]
    decoded = decode(damaged)
    assert decoded.encoding == "utf-8" and decoded.damaged and "caf\u00e9" in decoded.text
    # Windows-1252 French with one accidental UTF-8 pair ('\u00c9' then a no-break space: \xc9\xa0) is not UTF-8.
    legacy = ("Les propri\u00e9taires des caf\u00e9s du quartier ont protest\u00e9 lundi contre la hausse des loyers. "
              "Selon eux, la d\u00e9cision les obligera \u00e0 fermer avant l'\u00e9t\u00e9. Sur la vitrine, une "
              "affiche disait \u00ab\u00a0FERM\u00c9\u00a0\u00bb en lettres rouges.")
    data = legacy.encode("cp1252")
    assert _UTF8_MULTIBYTE.search(data)
    assert decode(data).text == legacy
