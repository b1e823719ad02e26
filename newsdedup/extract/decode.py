"""Bytes to text: recognise binary and empty inputs, then find the encoding (BOM, declared charset,
UTF-8, charset detection, Windows-1252 as the last resort) without ever raising."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

from newsdedup.documents import RejectedInput

# Signatures of formats that are never articles; anything else with NUL bytes is binary too.
_MAGIC = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"%PDF": "PDF document",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip data",
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
# A well-formed multi-byte UTF-8 sequence: its presence means "UTF-8 with some damage", not a legacy codepage.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class UndecodableInput(RejectedInput):
    """Raised for inputs that are not text."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    damaged: bool  # some bytes were invalid and replaced with U+FFFD


def decode(data: bytes, declared: str | None = None) -> DecodedText:
    """`declared` is the charset an HTTP header gave; the BOM outranks it, and a header that the
    bytes contradict (invalid in that charset, or valid multi-byte UTF-8 under a single-byte label)
    is ignored in favour of the page's own evidence."""
    if not data.strip():
        raise UndecodableInput("empty", "the input has no content")
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise UndecodableInput("binary", f"the input is a {kind}, not an article")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding)
    if b"\x00" in data[:8192]:
        raise UndecodableInput("binary", "the input contains NUL bytes: binary data, not text")
    if declared and (text := _strict(data, declared)) is not None:
        return text
    in_page = _META_CHARSET.search(data[:4096])
    if in_page:
        name = in_page.group(1).decode("ascii", "replace")
        try:
            codecs.lookup(name)
        except LookupError:
            pass
        else:
            return _decode_as(data, name)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", damaged=False)
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        return _decode_as(data, "utf-8")
    best = charset_normalizer.from_bytes(data[:65536]).best()
    if best is not None and best.encoding:
        return _decode_as(data, best.encoding)
    return _decode_as(data, "cp1252")


def _strict(data: bytes, encoding: str) -> DecodedText | None:
    """The text if `encoding` is known and decodes every byte; None when the bytes say otherwise."""
    try:
        info = codecs.lookup(encoding)
        text = data.decode(info.name)
    except (LookupError, UnicodeDecodeError):
        return None
    single_byte = info.name not in ("utf-8", "utf-8-sig") and not info.name.startswith(("utf-16", "utf-32"))
    if single_byte and _UTF8_MULTIBYTE.search(data):
        try:
            return DecodedText(data.decode("utf-8"), "utf-8", damaged=False)
        except UnicodeDecodeError:
            pass
    return DecodedText(text, info.name, damaged=False)


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


def looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")):
        return True
    return len(re.findall(r"</?(?:p|div|span|a|body|head|article|h[1-6]|br)\b", head)) >= 3
