"""Reads and writes of the processed store. Every write is an idempotent upsert keyed by content
hash or article id, so re-running a step leaves the same records."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Text, bindparam, cast, create_engine, func, inspect, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from newsdedup.documents import Article, LineCounts, Quarantined, RawDocument
from newsdedup.store import schema
from newsdedup.store.migrations import migrate
from newsdedup.store.schema import (
    articles,
    fetch_state,
    groups,
    index_documents,
    lsh_buckets,
    outlet_lines,
    outlet_pages,
    overlaps,
    quarantine,
    raw_documents,
    raw_sources,
    store_meta,
    superseded_articles,
)

_DEDUP_LOCK_KEY = 0x6E65777364656475  # "newsdedu": the advisory lock id of de-duplication
_MIGRATION_LOCK_KEY = 0x6E65777364656476  # one store migration at a time
_SEQ_SEQUENCE = "articles_seq_sequence"  # PostgreSQL: where articles' arrival numbers come from
_ARRAY_CHUNK = 20_000  # rows or keys per PostgreSQL array parameter
# Keys per GIN lookup (measured, 20,000 articles: 22 us a key at 500 a query, 13 at 2,000, 44 at 20,000).
_GIN_CHUNK = 2_000
_IN_CHUNK = 500  # ids per IN (...) clause: well under SQLite's and PostgreSQL's parameter limits
# Index tables of earlier versions, dropped when the index is rebuilt in its present form.
_LEGACY_INDEX_TABLES = ("lsh_bands", "signatures")
_EXTRACTOR_META = "extractor_version"


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to fix."""


@dataclass(frozen=True)
class StoredArticle:
    """The columns de-duplication needs of an article already in the store."""

    id: str
    paragraphs: list[str]
    published: str | None
    ingested_at: datetime
    seq: int
    group_id: str | None
    canonical_url: str | None = None
    outlet: str = ""  # "" when unknown


@dataclass(frozen=True)
class ArticleFacts:
    """What de-duplication weighs a candidate by before it loads the candidate's text."""

    group_id: str | None
    size: int  # characters of its stored paragraphs: the fullest copy of a story is the longest
    published: str | None
    ingested_at: datetime
    seq: int


@dataclass
class IndexRows:
    """The dedup index entries of some articles, as the engine makes them: one per article (its member
    key and id) and one per (LSH bucket key, member key). See schema.index_documents for what is stored."""

    documents: list[tuple[int, str]]
    buckets: list[tuple[int, int]]

    def without(self, article_ids: set[str]) -> IndexRows:
        """These rows but those of `article_ids`."""
        dropped = {member for member, article in self.documents if article in article_ids}
        return IndexRows([row for row in self.documents if row[1] not in article_ids],
                         [row for row in self.buckets if row[1] not in dropped])


@dataclass(frozen=True)
class FetchState:
    """What the last fetch of a URL left behind."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    listed_updated: str | None = None
    sha256: str | None = None
    status: str = "ok"


def _add_missing_columns(engine: Engine) -> None:
    """Stores made by an earlier version get the columns added since (all nullable or defaulted)."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                value = getattr(column.server_default, "arg", None)
                default = f" DEFAULT '{value}'" if value is not None else ""
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{default}'))


def _migrate_arrival_order(engine: Engine) -> None:
    """Articles' seq (arrival order) is drawn from a sequence on PostgreSQL, created here for stores
    made before it and moved past their highest seq; both databases get an index on seq (read as a
    maximum on SQLite, and the order of every dedup pass). Idempotent; concurrent opens serialise."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK_KEY,))
            conn.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {_SEQ_SEQUENCE} AS bigint")
            conn.exec_driver_sql(
                f"SELECT setval('{_SEQ_SEQUENCE}', m) FROM (SELECT max(seq) AS m FROM articles) AS top "
                f"WHERE m > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {_SEQ_SEQUENCE})")
        if not inspect(conn).has_index("articles", "articles_seq_order"):  # (PostgreSQL would lock to check)
            conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS articles_seq_order ON articles (seq)")


def _pg_array(values: Sequence[Any]) -> Any:
    """A column of values as a PostgreSQL array parameter; integers as the array's text form, which
    costs one join instead of the driver's per-element escaping."""
    if values and all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


def _placeholder(conn: Connection) -> str:
    """The driver's parameter marker, for the statements written as plain SQL for speed."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _stored_key(key: int) -> int:
    """A 64-bit band key as the index stores it: its high 32 bits (signed). At 100,000 indexed articles
    of ~120 keys a lookup meets another article's key by chance 0.3 % of the time (a candidate verified
    and dropped); 32 bits instead of 64 save ~8 bytes a key on SQLite (the row and the document's list)."""
    return key >> 32


def now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str, create: bool = True) -> Store:
        """Open (and, unless `create` is False, create) the store at `url`. `postgresql://` and
        `postgres://` mean the psycopg 3 driver. Every failure is a StoreError with a one-line reason."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"not a database URL: {url!r} (try sqlite:///processed/newsdedup.db)") from exc
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        shown = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(f"unsupported store URL {shown!r}: use sqlite:///path/to/file.db or "
                             "postgresql://user@host/database")
        if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
            database = Path(parsed.database)
            if not create and not database.is_file():
                raise StoreError(f"no store at {database} (check the path, or create one with `newsdedup run`)")
            try:
                database.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder of the store {database}: {exc.strerror or exc}") from exc
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if backend == "sqlite":
            kwargs["connect_args"] = {"timeout": 60}  # concurrent runs wait for the write lock
        try:
            engine = create_engine(parsed, **kwargs)
        except (ArgumentError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
            raise StoreError(f"cannot use the store URL {shown!r}: {exc}") from exc
        try:
            if not create and not inspect(engine).has_table("articles"):
                raise StoreError(f"no newsdedup store at {shown} (check the URL, or create one with `newsdedup run`)")
            schema.metadata.create_all(engine)
            _add_missing_columns(engine)
            _migrate_arrival_order(engine)
            migrate(engine)
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:  # unreachable server, refused login, a file that is not a database
            engine.dispose()
            lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            reason = lines[0] if lines else type(exc).__name__
            raise StoreError(f"cannot open the store at {shown}: {reason}") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- upserts ---------------------------------------------------------------------------------

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _bulk_insert_ignore(
        self, conn: Connection, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """`_insert_ignore` for hundreds of thousands of plain rows (index entries), without SQLAlchemy's
        per-row processing: SQLite takes one prepared statement through the driver's executemany,
        PostgreSQL one statement per chunk of rows."""
        if not rows:
            return
        names = ", ".join(f'"{name}"' for name in columns)
        if self.dialect == "postgresql":
            # One statement per chunk, its rows sent as one array a column: a statement a row (even
            # pipelined) costs PostgreSQL a round of parsing and planning each.
            types = [table.c[name].type.compile(dialect=conn.dialect) for name in columns]
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            sql = f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING'
            for chunk in _chunks(rows, _ARRAY_CHUNK):
                conn.exec_driver_sql(sql, tuple(_pg_array(column) for column in zip(*chunk, strict=True)))
            return
        values = ", ".join(["?"] * len(columns))
        conn.exec_driver_sql(f'INSERT OR IGNORE INTO "{table.name}" ({names}) VALUES ({values})', rows)

    def _insert_ignore(self, conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(self._insert(table).on_conflict_do_nothing(), rows)

    # -- raw documents ---------------------------------------------------------------------------

    def known_sources(self, sources: Sequence[str]) -> set[tuple[str, str]]:
        """(source, sha256) pairs already kept, or already quarantined at ingest (a too-large file's hash,
        "" for an entry never read), for these sources: to skip unchanged inputs."""
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(sources)):
                q = select(raw_sources.c.source, raw_sources.c.sha256).where(raw_sources.c.source.in_(chunk))
                found.update(conn.execute(q).tuples())
                q = select(quarantine.c.source, quarantine.c.raw_sha256).where(
                    quarantine.c.stage == "ingest", quarantine.c.source.in_(chunk))
                found.update(conn.execute(q).tuples())
        return found

    def known_file_stamps(self, sources: Sequence[str]) -> set[tuple[str, str]]:
        """(source, "size:mtime_ns") of files refused unread: unchanged ones are not hashed again."""
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(sources)):
                q = select(quarantine.c.source, quarantine.c.file_stamp).where(
                    quarantine.c.stage == "ingest", quarantine.c.file_stamp.is_not(None),
                    quarantine.c.source.in_(chunk))
                found.update(conn.execute(q).tuples())
        return found

    def add_raw(self, docs: Iterable[RawDocument]) -> tuple[int, int]:
        """Keep raw documents (bytes once per content hash) and where they were seen.
        Returns (new contents, new versions of already known sources)."""
        docs = list(docs)
        if not docs:
            return 0, 0
        with self.engine.begin() as conn:
            hashes = [d.sha256 for d in docs]
            existing = self._existing(conn, raw_documents.c.sha256, hashes)
            self._insert_ignore(conn, raw_documents, [
                {"sha256": d.sha256, "content": d.content, "size": len(d.content), "media_type": d.media_type,
                 "headers": d.headers or None, "role": d.role, "first_seen": d.seen_at, "last_seen": d.seen_at}
                for d in docs if d.sha256 not in existing
            ])
            conn.execute(update(raw_documents).where(raw_documents.c.sha256.in_(hashes))
                         .values(last_seen=max(d.seen_at for d in docs)))
            sources = sorted({d.source for d in docs})
            versions: dict[str, int] = {}
            for chunk in _chunks(sources):
                q = select(raw_sources.c.source, func.count()).where(raw_sources.c.source.in_(chunk))
                versions.update({s: n for s, n in conn.execute(q.group_by(raw_sources.c.source))})
            new_versions = 0
            rows = []
            for d in docs:
                known = versions.get(d.source, 0)
                new_versions += known > 0
                versions[d.source] = known + 1
                rows.append({"source": d.source, "sha256": d.sha256, "version": known + 1,
                             "first_seen": d.seen_at, "last_seen": d.seen_at, "final_url": d.final_url})
            self._insert_ignore(conn, raw_sources, rows)
        return len([h for h in set(hashes) if h not in existing]), new_versions

    def touch_sources(self, keys: Iterable[tuple[str, str]], seen_at: datetime) -> None:
        rows = [{"b_source": source, "b_sha256": sha} for source, sha in keys]
        if not rows:
            return
        stmt = (update(raw_sources)
                .where(raw_sources.c.source == bindparam("b_source"), raw_sources.c.sha256 == bindparam("b_sha256"))
                .values(last_seen=seen_at))
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def _existing(self, conn: Connection, column: Any, values: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(values)):
            found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def quarantine(self, records: Iterable[Quarantined]) -> None:
        with self.engine.begin() as conn:
            self._quarantine(conn, records)

    def _quarantine(self, conn: Connection, records: Iterable[Quarantined]) -> None:
        rows = [{"source": q.source, "raw_sha256": q.raw_sha256 or "", "stage": q.stage, "reason": q.reason,
                 "detail": q.detail[:2000], "created_at": now(), "file_stamp": q.file_stamp} for q in records]
        self._insert_ignore(conn, quarantine, rows)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the database's write lock before its first read
        (BEGIN IMMEDIATE), so what it reads, such as the last seq, cannot change before it writes."""
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    # -- fetching --------------------------------------------------------------------------------

    def fetch_states(self, urls: Sequence[str]) -> dict[str, FetchState]:
        found: dict[str, FetchState] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(urls))):
                for r in conn.execute(select(fetch_state).where(fetch_state.c.url.in_(chunk))):
                    found[r.url] = FetchState(r.url, r.etag, r.last_modified, r.listed_updated, r.sha256, r.status)
        return found

    def save_fetch_states(self, states: Iterable[FetchState], fetched_at: datetime) -> None:
        """Upsert; a failed fetch keeps the validators and content hash of the last good one."""
        rows = [{"url": s.url, "etag": s.etag, "last_modified": s.last_modified, "listed_updated": s.listed_updated,
                 "sha256": s.sha256, "status": s.status, "fetched_at": fetched_at} for s in states]
        if not rows:
            return
        stmt = self._insert(fetch_state)
        keep_on_error = {c: func.coalesce(stmt.excluded[c], fetch_state.c[c])
                         for c in ("etag", "last_modified", "listed_updated", "sha256")}
        stmt = stmt.on_conflict_do_update(index_elements=["url"], set_={
            **keep_on_error, "status": stmt.excluded.status, "fetched_at": stmt.excluded.fetched_at})
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    # -- extraction ------------------------------------------------------------------------------

    def line_history(self, batch: LineCounts) -> LineCounts:
        """What earlier batches counted for the outlets and lines of this batch."""
        history = LineCounts()
        with self.engine.connect() as conn:
            outlets = sorted(batch.pages)
            for chunk in _chunks(outlets):
                q = select(outlet_pages.c.outlet, outlet_pages.c.pages).where(outlet_pages.c.outlet.in_(chunk))
                history.pages.update(dict(conn.execute(q).tuples().all()))
            for outlet in outlets:
                if not history.pages[outlet]:
                    continue
                seen = history.lines.setdefault(outlet, Counter())
                for chunk in _chunks(sorted(batch.lines.get(outlet, ()))):
                    q = select(outlet_lines.c.fingerprint, outlet_lines.c.pages).where(
                        outlet_lines.c.outlet == outlet, outlet_lines.c.fingerprint.in_(chunk))
                    seen.update(dict(conn.execute(q).tuples().all()))
        return history

    def add_line_counts(self, batch: LineCounts) -> None:
        with self.engine.begin() as conn:
            self._add_line_counts(conn, batch)

    def _add_line_counts(self, conn: Connection, batch: LineCounts) -> None:
        """Add a batch's line counts to the outlets' history (one upsert per table)."""
        page_rows = [{"outlet": o, "pages": n} for o, n in batch.pages.items() if n]
        line_rows = [{"outlet": o, "fingerprint": f, "pages": n}
                     for o, counts in batch.lines.items() for f, n in counts.items()]
        for table, rows, key in ((outlet_pages, page_rows, ["outlet"]),
                                 (outlet_lines, line_rows, ["outlet", "fingerprint"])):
            if rows:
                stmt = self._insert(table)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=key, set_={"pages": table.c.pages + stmt.excluded.pages}), rows)

    @contextlib.contextmanager
    def claim_extraction(self, hashes: Sequence[str], extractor_version: str) -> Iterator[list[str]]:
        """Claim raw documents for one extraction batch: yields those of `hashes` that are still pending
        and now this caller's alone, until the block ends (write the batch inside it). Two runs never
        extract one page, so outlets' line counts are never counted twice. PostgreSQL: one session
        advisory lock per page (workers share out a backlog; a dead run's locks go with its
        connection); SQLite: one extraction batch at a time per store, an OS file lock as for dedup."""
        if self.dialect == "postgresql":
            keys = {h: int(h[:15], 16) for h in hashes}  # 60 bits: never the dedup lock's key
            with self.engine.connect() as conn:
                held = set(conn.exec_driver_sql(
                    "SELECT k FROM unnest(%s::bigint[]) AS k WHERE pg_try_advisory_lock(k)",
                    (_pg_array(sorted(set(keys.values()))),)).scalars())
                conn.commit()  # session locks outlive the transaction; no snapshot stays open
                try:
                    mine = [h for h in hashes if keys[h] in held]
                    yield self._still_pending(mine, extractor_version)
                finally:
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(k) FROM unnest(%s::bigint[]) AS k",
                                         (_pg_array(sorted(held)),))
                    conn.commit()
            return
        with self._file_lock("extract-lock"):
            yield self._still_pending(hashes, extractor_version)

    def _still_pending(self, hashes: Sequence[str], extractor_version: str) -> list[str]:
        """Of these raw documents, those with neither an article of this version nor an extraction
        quarantine (another run may have written them since the plan was made)."""
        done: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(list(hashes)):
                done.update(conn.execute(select(articles.c.raw_sha256).where(
                    articles.c.raw_sha256.in_(chunk), articles.c.extractor_version == extractor_version)).scalars())
                done.update(conn.execute(select(quarantine.c.raw_sha256).where(
                    quarantine.c.raw_sha256.in_(chunk), quarantine.c.stage == "extract")).scalars())
        return [h for h in hashes if h not in done]

    def save_extraction(self, items: Sequence[Article], ingested_at: dict[str, datetime], extracted: Sequence[str],
                        counts: LineCounts, failed: Sequence[Quarantined]) -> tuple[int, int]:
        """One extraction batch's articles, line counts and quarantine records in one transaction: a
        crash leaves the whole batch pending, never its articles kept and its line counts lost.
        Returns (added, superseded) as add_articles does."""
        with self._write() as conn:
            result = self._add_articles(conn, items, ingested_at, extracted)
            self._add_line_counts(conn, counts)
            self._quarantine(conn, failed)
        return result

    def pending_extraction(self, extractor_version: str) -> list[str]:
        """Raw documents with neither an article of this extractor version nor an extraction quarantine."""
        done = select(articles.c.raw_sha256).where(articles.c.extractor_version == extractor_version)
        failed = select(quarantine.c.raw_sha256).where(quarantine.c.stage == "extract")
        # Arrival order: first sighting, then the name it was first seen under (files are listed sorted).
        first_source = (select(raw_sources.c.sha256, func.min(raw_sources.c.source).label("source"))
                        .group_by(raw_sources.c.sha256).subquery())
        q = (select(raw_documents.c.sha256)
             .join(first_source, first_source.c.sha256 == raw_documents.c.sha256)
             .where(raw_documents.c.role == "page",
                    raw_documents.c.sha256.not_in(done), raw_documents.c.sha256.not_in(failed))
             .order_by(raw_documents.c.first_seen, first_source.c.source))
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def raw_sizes(self, hashes: Sequence[str]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(hashes)):
                q = select(raw_documents.c.sha256, raw_documents.c.size).where(raw_documents.c.sha256.in_(chunk))
                sizes.update(conn.execute(q).tuples().all())
        return sizes

    def load_raw(self, hashes: Sequence[str]) -> list[RawDocument]:
        """Raw documents with their first source, in the order asked for."""
        by_hash: dict[str, RawDocument] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(hashes):
                first_source = (select(raw_sources.c.sha256, func.min(raw_sources.c.source).label("source"),
                                       func.max(raw_sources.c.final_url).label("final_url"))
                                .where(raw_sources.c.sha256.in_(chunk)).group_by(raw_sources.c.sha256).subquery())
                q = select(raw_documents, first_source.c.source, first_source.c.final_url).join(
                    first_source, first_source.c.sha256 == raw_documents.c.sha256)
                for r in conn.execute(q):
                    by_hash[r.sha256] = RawDocument(r.sha256, r.source, bytes(r.content), r.first_seen,
                                                    r.media_type, r.headers or {}, r.role, r.final_url)
        return [by_hash[h] for h in hashes if h in by_hash]

    def adopt_extractor_version(self, version: str) -> str | None:
        """Make `version` the store's extractor. When records of another version are stored, everything
        derived from them across pages is reset first, in one transaction: groups, overlap links, the
        dedup index, the outlets' line counts and extraction quarantine (a new extractor may read those
        pages). Their raw documents are then pending again; each old record is superseded when its page
        is re-extracted. Returns the version replaced, or None."""
        if self.meta(_EXTRACTOR_META) == version:
            return None
        with self.dedup_lock(), self.engine.begin() as conn:
            recorded = self._meta(conn, _EXTRACTOR_META)
            older = conn.execute(select(articles.c.extractor_version)
                                 .where(articles.c.extractor_version != version).limit(1)).scalar_one_or_none()
            if recorded != version and (recorded is not None or older is not None):
                for table in (lsh_buckets, index_documents, groups, overlaps, outlet_lines, outlet_pages):
                    conn.execute(table.delete())
                conn.execute(update(articles).values(text_hash=None, group_id=None, duplicate_kind=None,
                                                     matched_id=None, similarity=None))
                conn.execute(quarantine.delete().where(quarantine.c.stage == "extract"))
            else:
                recorded = older = None  # a new store: nothing to replace
            self._set_meta(conn, _EXTRACTOR_META, version)
        return recorded or older

    def add_articles(self, items: Sequence[Article], ingested_at: dict[str, datetime],
                     extracted: Sequence[str] = ()) -> tuple[int, int]:
        """Add new articles; records an earlier extractor made from the raw documents `extracted` (this
        batch's) are superseded by them in the same transaction. Returns (added, superseded)."""
        if not items and not extracted:
            return 0, 0
        with self._write() as conn:
            return self._add_articles(conn, items, ingested_at, extracted)

    def _next_seqs(self, conn: Connection, n: int) -> list[int]:
        """`n` arrival numbers no other writer gets: from a sequence on PostgreSQL; on SQLite, after the
        last one, read inside the write transaction that `_write` opened with the database locked."""
        if n == 0:
            return []
        if self.dialect == "postgresql":
            return sorted(conn.exec_driver_sql(
                f"SELECT nextval('{_SEQ_SEQUENCE}') FROM generate_series(1, %s)", (n,)).scalars())
        start = conn.execute(select(func.coalesce(func.max(articles.c.seq), 0))).scalar_one()
        return list(range(start + 1, start + n + 1))

    def _add_articles(self, conn: Connection, items: Sequence[Article], ingested_at: dict[str, datetime],
                      extracted: Sequence[str]) -> tuple[int, int]:
        existing = self._existing(conn, articles.c.id, [a.id for a in items])
        fresh = [a for a in items if a.id not in existing]
        seqs = self._next_seqs(conn, len(fresh))
        self._insert_ignore(conn, articles, [
            {"id": a.id, "raw_sha256": a.raw_sha256, "source": a.source, "outlet": a.outlet, "title": a.title,
             "published": a.published, "byline": a.byline, "language": a.language, "paragraphs": a.paragraphs,
             "n_words": sum(len(p.split()) for p in a.paragraphs), "confidence": a.confidence,
             "low_confidence": a.confidence < 0.5, "boilerplate_removed": a.boilerplate_removed,
             "extractor_version": a.extractor_version, "ingested_at": ingested_at[a.raw_sha256],
             "canonical_url": a.canonical_url, "declared_canonical_url": a.declared_canonical_url,
             "seq": seqs[k]}
            for k, a in enumerate(fresh)
        ])
        superseded = self._supersede(conn, extracted, {a.raw_sha256: a for a in items})
        return len(fresh), superseded

    def _supersede(self, conn: Connection, raw_hashes: Sequence[str], successors: dict[str, Article]) -> int:
        """Retire the records of earlier extractor versions made from these raw documents."""
        retired: list[dict[str, Any]] = []
        for chunk in _chunks(list(raw_hashes)):
            q = select(articles.c.id, articles.c.raw_sha256, articles.c.extractor_version).where(
                articles.c.raw_sha256.in_(chunk))
            for old_id, raw_sha256, version in conn.execute(q):
                successor = successors.get(raw_sha256)
                if successor is None or successor.extractor_version != version:
                    retired.append({"id": old_id, "successor_id": successor.id if successor else None,
                                    "raw_sha256": raw_sha256, "extractor_version": version, "superseded_at": now()})
        if retired:
            self._insert_ignore(conn, superseded_articles, retired)
            for chunk in _chunks([r["id"] for r in retired]):
                conn.execute(overlaps.delete().where(overlaps.c.article_a.in_(chunk) | overlaps.c.article_b.in_(chunk)))
                conn.execute(articles.delete().where(articles.c.id.in_(chunk)))
        return len(retired)

    # -- de-duplication --------------------------------------------------------------------------

    def pending_dedup(self, extractor_version: str) -> list[str]:
        """Articles of this extractor version not de-duplicated yet, in arrival order (records of an
        earlier version wait to be superseded, never joining groups)."""
        q = (select(articles.c.id).where(articles.c.group_id.is_(None),
                                         articles.c.extractor_version == extractor_version)
             .order_by(articles.c.seq))
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def load_articles(self, ids: Sequence[str]) -> list[StoredArticle]:
        found: dict[str, StoredArticle] = {}
        cols = [articles.c.id, articles.c.paragraphs, articles.c.published, articles.c.ingested_at,
                articles.c.seq, articles.c.group_id, articles.c.canonical_url, articles.c.outlet]
        with self.engine.connect() as conn:
            for chunk in _chunks(list(ids)):
                for r in conn.execute(select(*cols).where(articles.c.id.in_(chunk))):
                    found[r.id] = StoredArticle(r.id, list(r.paragraphs), r.published, r.ingested_at, r.seq,
                                                r.group_id, r.canonical_url, r.outlet or "")
        return [found[i] for i in ids if i in found]

    def article_facts(self, ids: Sequence[str]) -> dict[str, ArticleFacts]:
        """Group, size and dates of articles, without their text."""
        found: dict[str, ArticleFacts] = {}
        cols = [articles.c.id, articles.c.group_id, func.length(cast(articles.c.paragraphs, Text)),
                articles.c.published, articles.c.ingested_at, articles.c.seq]
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(ids))):
                for r in conn.execute(select(*cols).where(articles.c.id.in_(chunk))).tuples():
                    found[r[0]] = ArticleFacts(*r[1:])
        return found

    def text_hash_owners(self, hashes: Sequence[str]) -> dict[str, str]:
        """text hash -> the first de-duplicated article with that normalised text."""
        return self._first_owners(articles.c.text_hash, hashes)

    def canonical_url_owners(self, urls: Sequence[str]) -> dict[str, str]:
        """canonical URL -> the first de-duplicated article that declared it."""
        return self._first_owners(articles.c.canonical_url, urls)

    def _first_owners(self, column: Any, values: Sequence[str]) -> dict[str, str]:
        owners: dict[str, str] = {}
        q = select(column, articles.c.id).where(articles.c.group_id.is_not(None))
        with self.engine.connect() as conn:
            for chunk in _chunks(list(values)):
                for value, article in conn.execute(q.where(column.in_(chunk)).order_by(articles.c.seq)):
                    owners.setdefault(value, article)
        return owners

    def bucket_members(self, keys: Sequence[int]) -> dict[int, list[str]]:
        """The articles in each LSH bucket, in arrival order. Keys are compared on their stored 32 bits
        (an article met by chance is a candidate verification drops). Hundreds of thousands of keys per
        batch: plain driver SQL, the keys in chunks (SQLite: IN lists on lsh_buckets; PostgreSQL: one
        array a chunk against the GIN index, the matching keys picked from each row found)."""
        wide: dict[int, list[int]] = {}
        for key in set(keys):
            wide.setdefault(_stored_key(key), []).append(key)
        found: list[tuple[int, int]] = []  # (stored key, seq)
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                self._refresh_index_statistics()
                # The planner reads a literal array of 2,000 keys as matching most rows and scans the table
                # (measured: 18.6 s instead of 0.09 s for 2,000 keys at 20,000 articles).
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                for chunk in _chunks(sorted(wide), _GIN_CHUNK):
                    asked = set(chunk)
                    for seq, band_keys in conn.exec_driver_sql(
                            "SELECT seq, band_keys FROM index_documents WHERE band_keys && %s::integer[]",
                            (_pg_array(chunk),)):
                        found.extend((key, seq) for key in band_keys if key in asked)
            else:
                # The driver's own cursor: hundreds of thousands of rows a batch.
                with contextlib.closing(conn.connection.cursor()) as cursor:
                    for chunk in _chunks(sorted(wide)):
                        marks = ", ".join(["?"] * len(chunk))
                        cursor.execute(f'SELECT "key", member FROM lsh_buckets WHERE "key" IN ({marks})', chunk)
                        found.extend(cursor.fetchall())
            article_of = self._ids_of_seqs(conn, sorted({seq for _, seq in found}))
        members: dict[int, list[str]] = {}
        found.sort(key=itemgetter(1))
        for key, seq in found:
            if (article := article_of.get(seq)) is not None:
                for asked_key in wide[key]:
                    members.setdefault(asked_key, []).append(article)
        return members

    @staticmethod
    def _ids_of_seqs(conn: Connection, seqs: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in _chunks(seqs):
            q = select(articles.c.seq, articles.c.id).where(articles.c.seq.in_(chunk))
            found.update(conn.execute(q).tuples().all())
        return found

    @staticmethod
    def _seqs_of_ids(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(set(ids))):
            q = select(articles.c.id, articles.c.seq).where(articles.c.id.in_(chunk))
            found.update(conn.execute(q).tuples().all())
        return found

    @classmethod
    def _seqs_of_members(cls, conn: Connection, index: IndexRows) -> dict[int, int]:
        """member key -> seq of the stored articles the index rows name (rows of articles not stored
        are left out)."""
        seq_of = cls._seqs_of_ids(conn, [article_id for _, article_id in index.documents])
        return {member: seq_of[article_id] for member, article_id in index.documents if article_id in seq_of}

    def _refresh_index_statistics(self) -> None:
        """PostgreSQL plans the bucket lookups from its table statistics. After a burst of growth (a
        first run, a rebuild) autovacuum may not have refreshed them yet, and a plan made for a small
        table scans millions of rows per lookup (measured: 0.9 s instead of 0.1 s per 20,000 keys at
        12M bucket rows). ANALYZE the index tables when a fifth of their rows is newer than their
        statistics."""
        with self.engine.connect() as conn:
            stale = conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('lsh_buckets', 'index_documents') "
                "AND n_mod_since_analyze > GREATEST(10000, 0.2 * n_live_tup)").scalars().all()
            for table in stale:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
            conn.commit()

    def group_canonicals(self, group_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(group_ids)):
                for r in conn.execute(select(groups).where(groups.c.id.in_(chunk))):
                    out[r.id] = (r.canonical_id, r.size)
        return out

    def _save_index(self, conn: Connection, index: IndexRows) -> None:
        """PostgreSQL: each article's distinct stored keys under its seq. SQLite: one bucket row per key,
        written in key order (B-tree inserts in key order touch each page once), and the seq alone."""
        by_member = self._seqs_of_members(conn, index)
        band_keys: dict[int, set[int]] = {seq: set() for seq in by_member.values()}
        for key, member in index.buckets:
            if member in by_member:
                band_keys[by_member[member]].add(_stored_key(key))
        documents = sorted((seq, sorted(keys)) for seq, keys in band_keys.items())
        if not documents:
            return
        if self.dialect == "postgresql":
            for chunk in _chunks(documents, _ARRAY_CHUNK // 100):
                conn.exec_driver_sql(
                    "INSERT INTO index_documents (seq, band_keys) SELECT s, k::integer[] "
                    "FROM unnest(%s::bigint[], %s::text[]) AS t(s, k) ON CONFLICT DO NOTHING",
                    (_pg_array([seq for seq, _ in chunk]), ["{" + ",".join(map(str, keys)) + "}" for _, keys in chunk]))
            return
        # SQLite keeps no key list per article (the bucket rows are the keys; an article leaving the index
        # has its keys made again from its text): 4 bytes a key less.
        self._bulk_insert_ignore(conn, index_documents, ("seq", "band_keys"), [(seq, b"") for seq, _ in documents])
        self._bulk_insert_ignore(conn, lsh_buckets, ("key", "member"),
                                 sorted((key, seq) for seq, keys in documents for key in keys))

    def index_entries_before(self, day: date) -> list[str]:
        """Articles in the dedup index that ran before `day`: first seen before it, and published before
        it or undated. Reads only the index's own rows (bounded by the matching window), never the
        whole archive."""
        first_seen_cut = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        q = (select(articles.c.id).select_from(index_documents.join(articles, articles.c.seq == index_documents.c.seq))
             .where(articles.c.ingested_at < first_seen_cut,
                    or_(articles.c.published.is_(None), articles.c.published < day.isoformat()))
             .order_by(articles.c.seq))
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def newest_indexed_day(self) -> date | None:
        """The day the newest article in the dedup index was first seen."""
        q = select(func.max(articles.c.ingested_at)).select_from(
            index_documents.join(articles, articles.c.seq == index_documents.c.seq))
        with self.engine.connect() as conn:
            newest = conn.execute(q).scalar_one_or_none()
        return newest.date() if newest is not None else None

    @property
    def drops_buckets_by_key(self) -> bool:
        """Whether `drop_index_entries` needs the articles' bucket rows: SQLite deletes each by its key;
        on PostgreSQL an article's buckets are held in its document row and leave with it."""
        return self.dialect == "sqlite"

    def drop_index_entries(self, index: IndexRows) -> int:
        """Take the articles of these index rows (as the engine makes them again from their texts) out of
        the dedup index, bucket memberships and document rows, in one transaction; returns how many were
        in it. Their records keep groups and links. The work is that of the articles dropped, whatever
        the index's size: SQLite finds each bucket row by its key; on PostgreSQL the GIN entries go with
        the document row (vacuum reclaims them)."""
        with self._write() as conn:
            by_member = self._seqs_of_members(conn, index)
            seqs = sorted(set(by_member.values()))
            if self.dialect == "sqlite":
                rows = sorted({(_stored_key(key), by_member[member]) for key, member in index.buckets
                               if member in by_member})
                if rows:
                    conn.exec_driver_sql('DELETE FROM lsh_buckets WHERE "key" = ? AND member = ?', rows)
            dropped = 0
            for chunk in _chunks(seqs):
                dropped += conn.execute(index_documents.delete().where(index_documents.c.seq.in_(chunk))).rowcount
        return dropped

    def save_dedup(
        self,
        decisions: list[dict[str, Any]],
        index: IndexRows,
        overlap_rows: list[dict[str, Any]],
        group_rows: dict[str, tuple[str, int]],
        merges: dict[str, str] | None = None,
    ) -> None:
        """Write one batch's results in one transaction: a crash leaves the batch pending, never half-done.
        `merges` maps groups found to be one story with another to the group they join."""
        with self.engine.begin() as conn:
            self._save_index(conn, index)
            self._insert_ignore(conn, overlaps, overlap_rows)
            if group_rows:  # one executemany: the same upsert on SQLite and PostgreSQL
                marker = _placeholder(conn)
                conn.exec_driver_sql(
                    f"INSERT INTO groups (id, canonical_id, size) VALUES ({marker}, {marker}, {marker}) "
                    "ON CONFLICT (id) DO UPDATE SET canonical_id = excluded.canonical_id, size = excluded.size",
                    [(gid, canonical, size) for gid, (canonical, size) in group_rows.items()])
            if decisions:  # one executemany for the whole batch
                conn.execute(update(articles).where(articles.c.id == bindparam("b_id")).values(
                    text_hash=bindparam("b_text_hash"), group_id=bindparam("b_group_id"),
                    duplicate_kind=bindparam("b_kind"), matched_id=bindparam("b_matched"),
                    similarity=bindparam("b_similarity")),
                    [{f"b_{k}": v for k, v in d.items()} for d in decisions])
            if merges:
                self._merge_groups(conn, merges)

    @staticmethod
    def _merge_groups(conn: Connection, merges: dict[str, str]) -> None:
        """Move every member of each merged group to the group it joins (its founder becomes a near
        copy), drop the merged group, and drop links between members that are now one group's copies."""
        for loser, survivor in sorted(merges.items()):
            conn.execute(update(articles).where(articles.c.group_id == loser).values(group_id=survivor))
            conn.execute(update(articles).where(articles.c.id == loser, articles.c.duplicate_kind == "unique")
                         .values(duplicate_kind="near"))
            conn.execute(groups.delete().where(groups.c.id == loser))
        a, b = articles.alias("a"), articles.alias("b")
        inside = (select(a.c.id).select_from(a.join(b, a.c.group_id == b.c.group_id))
                  .where(a.c.id == overlaps.c.article_a, b.c.id == overlaps.c.article_b,
                         a.c.group_id.in_(sorted(set(merges.values())))))
        conn.execute(overlaps.delete().where(inside.exists()))

    # -- the dedup index as a whole ---------------------------------------------------------------

    def meta(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return self._meta(conn, name)

    def set_meta(self, name: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._set_meta(conn, name, value)

    @staticmethod
    def _meta(conn: Connection, name: str) -> str | None:
        return conn.execute(select(store_meta.c.value).where(store_meta.c.name == name)).scalar_one_or_none()

    def _set_meta(self, conn: Connection, name: str, value: str) -> None:
        stmt = self._insert(store_meta).values(name=name, value=value)
        conn.execute(stmt.on_conflict_do_update(index_elements=[store_meta.c.name], set_={"value": value}))

    def placed_articles(self) -> list[str]:
        """Articles already de-duplicated, in arrival order: what the dedup index covers."""
        q = select(articles.c.id).where(articles.c.group_id.is_not(None)).order_by(articles.c.seq)
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def clear_index(self) -> None:
        """Empty the dedup index (and drop index tables of earlier versions) before it is rebuilt."""
        with self.engine.begin() as conn:
            for legacy in _LEGACY_INDEX_TABLES:
                conn.execute(text(f'DROP TABLE IF EXISTS "{legacy}"'))
            conn.execute(lsh_buckets.delete())
            conn.execute(index_documents.delete())

    def reindex(self, index: IndexRows, text_hashes: list[tuple[str, str]]) -> None:
        """Add rebuilt index rows for some articles, with their (article id, text hash)."""
        with self.engine.begin() as conn:
            self._save_index(conn, index)
            if text_hashes:
                conn.execute(update(articles).where(articles.c.id == bindparam("b_id"))
                             .values(text_hash=bindparam("b_text_hash")),
                             [{"b_id": i, "b_text_hash": h} for i, h in text_hashes])

    @contextlib.contextmanager
    def dedup_lock(self) -> Iterator[None]:
        """One de-duplication batch at a time per store, across processes and machines: each batch
        reads the index, decides and writes, and two batches deciding at once could each found a
        group for one story. PostgreSQL: a session advisory lock; SQLite: an OS file lock beside the
        database file (SQLite's own write lock is taken per connection, not per batch)."""
        if self.dialect == "postgresql":
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _DEDUP_LOCK_KEY})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _DEDUP_LOCK_KEY})
                    conn.commit()
            return
        with self._file_lock("dedup-lock"):
            yield

    @contextlib.contextmanager
    def _file_lock(self, suffix: str) -> Iterator[None]:
        """An exclusive OS lock on a file beside a SQLite database, held for the block; the OS releases
        it when its process dies."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield  # a private in-memory store has no other writer
            return
        with open(f"{database}.{suffix}", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- runs ------------------------------------------------------------------------------------

    def start_run(self, flow: str, parameters: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(schema.runs.insert().values(
                flow=flow, started_at=now(), parameters=json.loads(json.dumps(parameters, default=str))))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id)
                         .values(finished_at=now(), summary=json.loads(json.dumps(summary, default=str))))
