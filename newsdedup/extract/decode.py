"""Bytes to text: recognise binary and empty inputs, then find the encoding (BOM, declared charset,
UTF-8, charset detection, Windows-1252 as the last resort) without ever raising."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

from newsdedup.documents import RejectedInput, writable

# Signatures of formats that are never articles; anything else with NUL bytes is binary too.
_MAGIC = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"%PDF": "PDF document",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip file (decompress it into raw/ to read it)",
    b"\x7fELF": "ELF executable",
}
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# A well-formed multi-byte UTF-8 sequence. Legacy multi-byte text (Shift-JIS, GB18030, Big5...) holds
# some by chance, so one proves nothing: UTF-8 is trusted only when nearly every non-ASCII byte is in one.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# "Nearly valid" UTF-8: at most this many stray bytes, or this share of the non-ASCII bytes.
_UTF8_STRAY_BYTES = 4
_UTF8_STRAY_SHARE = 0.02
# Labels that HTML reads as Windows-1252 (the WHATWG encoding standard): pages so declared use its 0x80-0x9F.
# What detection may answer: the legacy encodings of the WHATWG encoding standard (what browsers read).
# On a short page an unrestricted guess lands on a DOS or Mac code page that no web page uses.
_WEB_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874",
    "iso8859_2", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7", "iso8859_8", "iso8859_10", "iso8859_13",
    "iso8859_14", "iso8859_15", "iso8859_16", "koi8_r", "koi8_u", "mac_roman", "mac_cyrillic", "cp866",
    "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "euc_kr", "cp949",
]
_AS_WINDOWS_1252 = {"latin-1", "iso8859-1", "ascii", "iso8859-15", "cp1252"}
# What a declaration (HTTP header or <meta>) may name, as browsers read one: the encodings above and UTF-8.
# Others are ignored, as browsers ignore them: EBCDIC (cp037) or UTF-7 over ASCII bytes reads as noise,
# and UTF-16 or UTF-32 without a BOM shows in its NUL bytes (every space and tag holds one) or is none.
_DECLARABLE = frozenset(
    codecs.lookup(label).name for label in (*_WEB_ENCODINGS, *_AS_WINDOWS_1252, "iso8859_3", "utf-8"))


class UndecodableInput(RejectedInput):
    """Raised for inputs that are not text."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    damaged: bool  # some bytes were invalid and replaced with U+FFFD


def decode(data: bytes, declared: str | None = None) -> DecodedText:
    """`declared` is the charset an HTTP header gave; the BOM outranks it. A declaration, in the
    header or in the page's <meta>, that names no encoding web pages are written in (`_DECLARABLE`) or
    that the bytes contradict (invalid in that charset, or valid multi-byte UTF-8 under a single-byte
    label) is ignored in favour of the bytes' own evidence: UTF-8 when (nearly) all of it is, else
    charset detection. A NUL past the first 8 KB (there it makes the input binary) is damage, shown as
    U+FFFD: no PostgreSQL text column takes one."""
    decoded = _decoded(data, declared)
    if "\x00" in decoded.text:
        return DecodedText(writable(decoded.text), decoded.encoding, damaged=True)
    return decoded


def _decoded(data: bytes, declared: str | None) -> DecodedText:
    if not data.strip():
        raise UndecodableInput("empty", "the input has no content")
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise UndecodableInput("binary", f"the input is a {kind}, not an article")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding)
    if b"\x00" in data[:8192]:
        if wide := _bomless_utf16(data[:8192]):
            return _decode_as(data, wide)
        raise UndecodableInput("binary", "the input contains NUL bytes: binary data, not text")
    if declared and (text := _strict(data, declared)) is not None:
        return text
    in_page = _META_CHARSET.search(data[:4096])
    if in_page and (text := _strict(data, in_page.group(1).decode("ascii", "replace"))) is not None:
        return text
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", damaged=False)
    except UnicodeDecodeError:
        pass
    if _nearly_utf8(data):
        return _decode_as(data, "utf-8")
    best = charset_normalizer.from_bytes(data[:65536], cp_isolation=_WEB_ENCODINGS).best()
    if best is not None and best.encoding:
        return _decode_as(data, best.encoding)
    return _decode_as(data, "cp1252")


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 saved without its BOM: a NUL in nearly every other byte (the high byte of each letter,
    space and tag in Latin scripts), nearly none in the rest; else None."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return None
    for encoding, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high.count(0) >= 0.9 * len(high) and low.count(0) <= 0.1 * len(low):
            return encoding
    return None


def _nearly_utf8(data: bytes) -> bool:
    """Damaged UTF-8 rather than another encoding: the bytes outside well-formed UTF-8 sequences are a
    handful, or a small share of the non-ASCII bytes."""
    high = len(_NON_ASCII.findall(data))
    in_sequences = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    stray = high - in_sequences
    return in_sequences > 0 and (stray <= _UTF8_STRAY_BYTES or stray <= _UTF8_STRAY_SHARE * high)


def _strict(data: bytes, encoding: str) -> DecodedText | None:
    """The text if `encoding` is one web pages are written in (`_DECLARABLE`) and decodes every byte;
    None when the bytes say otherwise or the label names no such encoding."""
    try:
        info = codecs.lookup(encoding)
        if info.name not in _DECLARABLE:
            return None
        name = "cp1252" if info.name in _AS_WINDOWS_1252 else info.name
        text = data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None
    if info.name != "utf-8" and _UTF8_MULTIBYTE.search(data):  # (valid UTF-8 under another label is UTF-8)
        try:
            return DecodedText(data.decode("utf-8"), "utf-8", damaged=False)
        except UnicodeDecodeError:
            pass
    return DecodedText(text, name, damaged=False)


def _decode_as(data: bytes, encoding: str) -> DecodedText:
    text = data.decode(encoding, errors="replace")
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        text = text.lstrip("\ufeff")
    if "\ufffd" in text and encoding != "utf-8":
        # A declaration or guess that leaves holes is worse than the legacy Windows default.
        fallback = data.decode("cp1252", errors="replace")
        if fallback.count("\ufffd") < text.count("\ufffd"):
            return DecodedText(fallback, "cp1252", damaged="\ufffd" in fallback)
    return DecodedText(text, encoding, damaged="\ufffd" in text)


_LISTING_ROOTS = {"rss": "an RSS or Atom feed", "feed": "an RSS or Atom feed", "rdf:rdf": "an RSS or Atom feed",
                  "urlset": "a sitemap", "sitemapindex": "a sitemap"}


def listing_kind(text: str) -> str | None:
    """"an RSS or Atom feed" or "a sitemap" when the text is one (a list of articles, not one), else None:
    its first element, after any XML declaration, comments and doctype, says."""
    head, at = text[:4096], 0
    while True:
        at = len(head) - len(head[at:].lstrip())
        if head.startswith("<!--", at):
            end = head.find("-->", at + 4)
            at = end + 3 if end >= 0 else len(head)
        elif head.startswith(("<?", "<!"), at):
            end = head.find(">", at + 2)
            at = end + 1 if end >= 0 else len(head)
        else:
            break
    name = re.match(r"<([A-Za-z:]+)[\s>]", head[at:at + 40])
    return _LISTING_ROOTS.get(name.group(1).lower()) if name else None


def looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")):
        return True
    return len(re.findall(r"</?(?:p|div|span|a|body|head|article|h[1-6]|br)\b", head)) >= 3
