"""Files dropped in a directory (raw/): listed, read and hashed, oversized ones hashed by streaming."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsdedup.documents import Quarantined, RawDocument

_STREAM_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileBatchResult:
    documents: list[RawDocument]
    quarantined: list[Quarantined]
    unchanged: list[tuple[str, str]]  # (source, sha256) of files whose content is already kept


def list_files(root: Path) -> list[str]:
    """Regular files under `root` as sorted relative POSIX paths; hidden files, README files and
    links leading outside `root` are skipped."""
    if not root.is_dir():
        raise FileNotFoundError(f"raw directory {root} does not exist (create it and drop articles in it)")
    base = root.resolve()
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.name.lower().startswith("readme"):
            continue
        if not path.is_file():
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(base):
            continue
        out.append(rel.as_posix())
    return sorted(out)


def _stream_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_STREAM_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def read_files(
    root: Path, names: list[str], known: set[tuple[str, str]], max_bytes: int, seen_at: datetime
) -> FileBatchResult:
    """Read one batch of files. Unchanged ones (same path, same content hash) are reported, not
    returned; oversized or unreadable ones become quarantine records; nothing raises per file."""
    documents: list[RawDocument] = []
    quarantined: list[Quarantined] = []
    unchanged: list[tuple[str, str]] = []
    for name in names:
        path = root / name
        try:
            size = path.stat().st_size
            if size > max_bytes:
                sha = _stream_sha256(path)
                if (name, sha) not in known:
                    quarantined.append(Quarantined(
                        name, "ingest", "too_large",
                        f"{size:,} bytes exceeds the {max_bytes:,}-byte limit (max_file_bytes); the file stays "
                        "in place, unread", sha))
                continue
            content = path.read_bytes()
        except OSError as exc:
            quarantined.append(Quarantined(name, "ingest", "unreadable", f"{type(exc).__name__}: {exc}", ""))
            continue
        doc = RawDocument.from_bytes(name, content, seen_at, mimetypes.guess_type(name)[0])
        if (name, doc.sha256) in known:
            unchanged.append((name, doc.sha256))
        else:
            documents.append(doc)
    return FileBatchResult(documents, quarantined, unchanged)
