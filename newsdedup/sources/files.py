"""Files dropped in a directory (raw/): listed, read and hashed, oversized ones hashed by streaming.

Every entry under the directory is accounted for: a regular file (or a link to one inside the
directory) is read; anything else (a link leading out of the directory or nowhere, a link to a
folder, a FIFO, a device, a socket, an entry or folder that cannot be read) becomes a quarantine
record with its reason. Nothing is skipped silently, and nothing but a regular file is ever opened
for reading (a FIFO would block the run)."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsdedup.documents import Quarantined, RawDocument

_STREAM_BLOCK = 1 << 20
READ_BUDGET_BYTES = 64 << 20  # bytes of file content held at once while a batch is read and kept


class RawDirectoryError(OSError):
    """The raw directory itself cannot be listed; the message says what to fix."""


@dataclass(frozen=True)
class FileBatchResult:
    documents: list[RawDocument]
    quarantined: list[Quarantined]
    unchanged: list[tuple[str, str]]  # (source, sha256) of files whose content (or quarantine) is already kept


_ESCAPED_BYTE = re.compile(r"\\x([0-9a-f]{2})")


def source_name(name: str) -> str:
    """How an entry's path is recorded and passed on: as written, or, for a name that is not UTF-8
    (bytes of another encoding, which Python holds as lone surrogates and no store or JSON takes), with
    each such byte written \\xNN ("caf\\xe9.txt")."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def path_of(root: Path, source: str) -> Path:
    """The entry a recorded path names (`source_name` undone)."""
    path = root / source
    if "\\x" in source and not os.path.lexists(path):
        return root / _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), source)
    return path


def _skipped(rel: str) -> bool:
    """Hidden entries and README files are the folder's own notes, not inputs."""
    parts = rel.split("/")
    return any(part.startswith(".") for part in parts) or parts[-1].lower().startswith("readme")


def list_files(root: Path) -> list[str]:
    """Every entry under `root` that is not a folder, as sorted relative POSIX paths, plus each
    sub-folder that cannot be listed (so it is quarantined, not forgotten). Hidden entries and
    README files are left out. Links are listed, never followed here."""
    if not root.exists():
        raise RawDirectoryError(f"raw directory {root} does not exist (create it and drop articles in it)")
    if not root.is_dir():
        raise RawDirectoryError(f"raw directory {root} is not a directory (give the folder that holds the articles)")
    try:
        with os.scandir(root):
            pass
    except OSError as exc:
        raise RawDirectoryError(f"raw directory {root} cannot be read: {exc.strerror or exc}") from exc
    out: list[str] = []
    unlistable: list[str] = []

    def note_unlistable(error: OSError) -> None:
        if error.filename is not None:
            unlistable.append(os.path.relpath(error.filename, root))

    for folder, dirs, files in os.walk(root, onerror=note_unlistable, followlinks=False):
        rel_folder = os.path.relpath(folder, root)
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            out.append(prefix + name)
        # os.walk lists a link to a folder among the folders and does not follow it: account for it.
        out.extend(prefix + d for d in dirs if os.path.islink(os.path.join(folder, d)))
    out.extend(rel for rel in unlistable if rel != ".")
    return sorted({source_name(Path(rel).as_posix()) for rel in out if not _skipped(Path(rel).as_posix())})


def file_size(path: Path) -> int:
    """The size of a file, 0 when it cannot be asked (read_files then says why)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _stream_sha256(fd: int) -> str:
    digest = hashlib.sha256()
    while block := os.read(fd, _STREAM_BLOCK):
        digest.update(block)
    return digest.hexdigest()


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    while block := os.read(fd, max(size, _STREAM_BLOCK)):
        chunks.append(block)
    return b"".join(chunks)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refusal(path: Path, base: Path, name: str) -> Quarantined | None:
    """Why the entry at `path` (recorded as `name`) is not read, or None for a regular file (or a link
    to one inside `base`, the raw directory resolved)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = os.readlink(path)
        try:
            resolved = path.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            return Quarantined(name, "ingest", "dangling_link", f"symbolic link to {target!r}, which does not exist")
        if not resolved.is_relative_to(base):
            return Quarantined(name, "ingest", "link_outside",
                               f"symbolic link to {target!r}, outside the raw directory: never followed")
        if resolved.is_dir():
            return Quarantined(name, "ingest", "link_to_folder",
                               f"symbolic link to the folder {target!r}: folder links are not followed (its files "
                               "are read where they are)")
        info = resolved.stat()
    if stat.S_ISDIR(info.st_mode):
        try:
            os.listdir(path)
        except OSError as exc:
            return Quarantined(name, "ingest", "unreadable", f"folder cannot be listed: {exc.strerror or exc}; its "
                               "files are not read")
        return Quarantined(name, "ingest", "unreadable", "folder could not be listed when the run began")
    if not stat.S_ISREG(info.st_mode):
        return Quarantined(name, "ingest", "special_file", f"{_special_kind(info.st_mode)}, not a file: never read")
    return None


def read_files(
    root: Path, names: list[str], known: set[tuple[str, str]], max_bytes: int, seen_at: datetime,
    known_stamps: set[tuple[str, str]] | None = None,
) -> FileBatchResult:
    """Read one batch of entries. Unchanged ones (same path, same content hash, or the same refusal
    already recorded) are reported, not returned; anything that cannot be read becomes a quarantine
    record; nothing raises per entry. `known` holds (source, sha256) pairs of kept contents and of
    ingest quarantine records (whose sha256 is empty when no content was read); `known_stamps` holds
    (source, "size:mtime_ns") of too-large files already refused, which are not hashed again."""
    documents: list[RawDocument] = []
    quarantined: list[Quarantined] = []
    unchanged: list[tuple[str, str]] = []
    base = root.resolve()

    def refuse(record: Quarantined) -> None:
        key = (record.source, record.raw_sha256 or "")
        if key in known:
            unchanged.append(key)
        else:
            quarantined.append(record)

    for name in names:
        path = path_of(root, name)
        try:
            refusal = _refusal(path, base, name)
            if refusal is not None:
                refuse(refusal)
                continue
            # O_NONBLOCK: an entry swapped for a FIFO since the check cannot block the run.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    refuse(Quarantined(name, "ingest", "special_file", f"{_special_kind(info.st_mode)}, not a file"))
                    continue
                if info.st_size > max_bytes:
                    stamp = f"{info.st_size}:{info.st_mtime_ns}"
                    if (name, stamp) in (known_stamps or ()):
                        unchanged.append((name, ""))
                        continue
                    refuse(Quarantined(
                        name, "ingest", "too_large",
                        f"{info.st_size:,} bytes exceeds the {max_bytes:,}-byte limit (max_file_bytes); the file "
                        "stays in place, unread", _stream_sha256(fd), stamp))
                    continue
                content = _read_all(fd, info.st_size)
            finally:
                os.close(fd)
        except OSError as exc:
            refuse(Quarantined(name, "ingest", "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}", ""))
            continue
        doc = RawDocument.from_bytes(name, content, seen_at, mimetypes.guess_type(name)[0])
        if (name, doc.sha256) in known:
            unchanged.append((name, doc.sha256))
        else:
            documents.append(doc)
    return FileBatchResult(documents, quarantined, unchanged)
