"""The read side of the store: counts, one record with its links, and export rows."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from newsdedup.store.schema import (
    articles,
    groups,
    index_documents,
    lsh_buckets,
    overlaps,
    quarantine,
    raw_documents,
    runs,
    superseded_articles,
)
from newsdedup.store.store import Store

_EXPORT_PAGE = 1000
_IN_CHUNK = 500  # ids per IN (...) clause
_RUN_TOP_STORIES = 10


def stats(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        def count(q: Any) -> int:
            return int(conn.execute(q).scalar_one())

        kinds = dict(conn.execute(select(articles.c.duplicate_kind, func.count()).group_by(articles.c.duplicate_kind))
                     .tuples().all())
        reasons = dict(conn.execute(select(quarantine.c.reason, func.count()).group_by(quarantine.c.reason))
                       .tuples().all())
        return {
            "raw_documents": count(select(func.count()).select_from(raw_documents)),
            "articles": count(select(func.count()).select_from(articles)),
            "groups": count(select(func.count()).select_from(groups)),
            "exact_duplicates": kinds.get("exact", 0),
            "near_duplicates": kinds.get("near", 0),
            "pending_dedup": kinds.get(None, 0),
            "overlap_links": count(select(func.count()).select_from(overlaps)),
            "low_confidence": count(select(func.count()).select_from(articles).where(articles.c.low_confidence)),
            "quarantined": sum(reasons.values()),
            "quarantine_reasons": reasons,
            "runs": count(select(func.count()).select_from(runs)),
            **index_size(store),
        }


def index_size(store: Store) -> dict[str, Any]:
    """The dedup index as the database stores it: indexed articles and the bytes of the index tables
    with their indexes per indexed article (PostgreSQL: pg_total_relation_size; SQLite: the pages the
    dbstat table counts, None where SQLite was built without it)."""
    tables = [index_documents.name, lsh_buckets.name]
    with store.engine.connect() as conn:
        indexed = int(conn.execute(select(func.count()).select_from(index_documents)).scalar_one())
        size: int | None
        if store.dialect == "postgresql":
            size = sum(conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one() for t in tables)
        else:
            try:
                size = conn.execute(text(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
                    f"(SELECT name FROM sqlite_master WHERE tbl_name IN ({', '.join(repr(t) for t in tables)}))"
                )).scalar_one()
            except SQLAlchemyError:  # SQLite built without dbstat
                size = None
    return {"indexed_articles": indexed,
            "index_bytes_per_article": round(size / indexed) if size is not None and indexed else None}


def titles(store: Store, ids: list[str]) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        q = select(articles.c.id, articles.c.title).where(articles.c.id.in_(sorted(set(ids))))
        return dict(conn.execute(q).tuples().all())


def recent_quarantine(store: Store, since_run: int, limit: int = 200) -> list[dict[str, Any]]:
    """Quarantine records created since run `since_run` started: what a person should look at."""
    with store.engine.connect() as conn:
        started = conn.execute(select(runs.c.started_at).where(runs.c.id == since_run)).scalar_one()
        q = (select(quarantine.c.source, quarantine.c.stage, quarantine.c.reason, quarantine.c.detail)
             .where(quarantine.c.created_at >= started).order_by(quarantine.c.id).limit(limit))
        return [dict(r._mapping) for r in conn.execute(q)]


def _overlaps_of(conn: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Overlap links of each article, seen from that article's side."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    q = select(overlaps).where(or_(overlaps.c.article_a.in_(ids), overlaps.c.article_b.in_(ids)))
    for r in conn.execute(q):
        if r.article_a in out:
            out[r.article_a].append({"id": r.article_b, "kind": r.kind, "paragraphs": r.pairs,
                                     "share": r.share_a, "other_share": r.share_b})
        if r.article_b in out:
            out[r.article_b].append({"id": r.article_a, "kind": r.kind,
                                     "paragraphs": [[j, i, s] for i, j, s in r.pairs],
                                     "share": r.share_b, "other_share": r.share_a})
    for links in out.values():
        links.sort(key=lambda link: link["id"])
    return out


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def _group_outlets(conn: Connection, group_ids: Iterable[str | None]) -> dict[str, list[str]]:
    """The distinct outlets of each group's records: the canonical record's first, the others in order
    of first arrival. Records with no outlet ("") name none."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    is_canonical = func.max(case((articles.c.id == groups.c.canonical_id, 1), else_=0))
    for chunk in _chunks(g for g in group_ids if g):
        q = (select(articles.c.group_id, articles.c.outlet, is_canonical, func.min(articles.c.seq))
             .join(groups, groups.c.id == articles.c.group_id)
             .where(articles.c.group_id.in_(chunk), articles.c.outlet != "")
             .group_by(articles.c.group_id, articles.c.outlet))
        for group_id, outlet, canonical, first in conn.execute(q):
            found.setdefault(group_id, []).append((-canonical, first, outlet))
    return {group_id: [outlet for *_, outlet in sorted(rows)] for group_id, rows in found.items()}


def _record(row: Any, links: list[dict[str, Any]], outlets: dict[str, list[str]]) -> dict[str, Any]:
    canonical = row.canonical_id == row.id if row.group_id else None
    return {
        "id": row.id,
        "source": row.source,
        "outlet": row.outlet,
        "title": row.title,
        "published": row.published,
        "byline": row.byline,
        "language": row.language,
        "body": "\n\n".join(row.paragraphs),
        "paragraphs": len(row.paragraphs),
        "confidence": row.confidence,
        "low_confidence": row.low_confidence,
        "group": row.group_id,
        "canonical": canonical,
        "duplicate_of": None if canonical or not row.group_id else row.canonical_id,
        "duplicate_kind": row.duplicate_kind,
        "similarity": row.similarity,
        "group_size": row.group_size,
        "outlets": outlets.get(row.group_id, []) if row.group_id else [o for o in (row.outlet,) if o],
        "canonical_url": row.canonical_url,
        "declared_canonical_url": row.declared_canonical_url,
        "extractor_version": row.extractor_version,
        "overlaps": links,
    }


# Records per Parquet row group: an export holds one group in memory, however large the store.
PARQUET_ROWS = 10_000


def write_parquet(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """`records` (export_records) into a Parquet file, one row group at a time; `overlaps` as JSON text.
    Returns how many were written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    string, number, flag = pa.string(), pa.float64(), pa.bool_()
    schema = pa.schema([
        ("id", string), ("source", string), ("outlet", string), ("title", string), ("published", string),
        ("byline", string), ("language", string), ("body", string), ("paragraphs", pa.int64()),
        ("confidence", number), ("low_confidence", flag), ("group", string), ("canonical", flag),
        ("duplicate_of", string), ("duplicate_kind", string), ("similarity", number), ("group_size", pa.int64()),
        ("outlets", pa.list_(string)), ("canonical_url", string), ("declared_canonical_url", string),
        ("extractor_version", string), ("overlaps", string),
    ])
    written = 0
    remaining = iter(records)
    with pq.ParquetWriter(str(path), schema) as writer:
        while rows := [{**r, "overlaps": json.dumps(r["overlaps"])} for r in islice(remaining, PARQUET_ROWS)]:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            written += len(rows)
    return written


def _joined() -> Any:
    return select(articles, groups.c.canonical_id, groups.c.size.label("group_size")).select_from(
        articles.outerjoin(groups, groups.c.id == articles.c.group_id))


def show(store: Store, article_id: str) -> dict[str, Any] | None:
    """One record, found by id (or a unique id prefix), with its group's members and its overlaps.
    The id of a record an earlier extractor made leads to the record that superseded it."""
    with store.engine.connect() as conn:
        rows = conn.execute(_joined().where(articles.c.id.startswith(article_id, autoescape=True)).limit(2)).all()
        if not rows:
            old = conn.execute(select(superseded_articles).where(
                superseded_articles.c.id.startswith(article_id, autoescape=True)).limit(2)).all()
            if len(old) != 1:
                return None
            if old[0].successor_id is None:
                return {"id": old[0].id, "superseded": True, "successor": None,
                        "note": f"extractor version {old[0].extractor_version} made this record; the current "
                                "extractor finds no article on its page (see quarantine)"}
            record = show(store, old[0].successor_id)
            return record and {**record, "supersedes": old[0].id}
        if len(rows) != 1:
            return None
        row = rows[0]
        record = _record(row, _overlaps_of(conn, [row.id])[row.id], _group_outlets(conn, [row.group_id]))
        members = conn.execute(select(articles.c.id, articles.c.source, articles.c.duplicate_kind)
                               .where(articles.c.group_id == row.group_id).order_by(articles.c.seq)).all()
        record["group_members"] = [{"id": m.id, "source": m.source, "kind": m.duplicate_kind} for m in members]
        return record


def export_records(store: Store, include_duplicates: bool = False) -> Iterator[dict[str, Any]]:
    """Records page by page (streamed, never all in memory), canonical ones only unless asked."""
    query = _joined().order_by(articles.c.seq)
    if not include_duplicates:
        query = query.where(groups.c.canonical_id == articles.c.id)
    last = -1
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(query.where(articles.c.seq > last).limit(_EXPORT_PAGE)).all()
            if not rows:
                return
            links = _overlaps_of(conn, [r.id for r in rows])
            outlets = _group_outlets(conn, [r.group_id for r in rows])
        for row in rows:
            yield _record(row, links[row.id], outlets)
        last = rows[-1].seq


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _story_rows(conn: Connection, found: Sequence[tuple[str, str, int, datetime]]) -> list[dict[str, Any]]:
    """Stories (group id, canonical id, size, first seen) with their canonical title, outlets and the
    overlap links between their records and other stories'."""
    group_ids = [g for g, *_ in found]
    canonicals = {r.id: r for r in conn.execute(
        select(articles.c.id, articles.c.title, articles.c.published, articles.c.canonical_url)
        .where(articles.c.id.in_([c for _, c, *_ in found])))}
    outlets = _group_outlets(conn, group_ids)
    mine, theirs = articles.alias("mine"), articles.alias("theirs")
    linked: dict[str, Counter[str]] = {g: Counter() for g in group_ids}
    for chunk in _chunks(group_ids):
        for side, other in ((overlaps.c.article_a, overlaps.c.article_b), (overlaps.c.article_b, overlaps.c.article_a)):
            q = (select(mine.c.group_id, theirs.c.group_id).select_from(overlaps)
                 .join(mine, mine.c.id == side).join(theirs, theirs.c.id == other)
                 .where(mine.c.group_id.in_(chunk)))
            for group_id, other_group in conn.execute(q):
                linked[group_id][other_group] += 1
    stories = []
    for group_id, canonical_id, size, first_seen in found:
        canonical = canonicals.get(canonical_id)
        stories.append({
            "group": group_id,
            "canonical_id": canonical_id,
            "title": canonical.title if canonical else None,
            "published": canonical.published if canonical else None,
            "canonical_url": canonical.canonical_url if canonical else None,
            "first_seen": _utc(first_seen).isoformat(timespec="seconds"),
            "size": size,
            "outlets": outlets.get(group_id, []),
            "overlap_links": sum(linked[group_id].values()),
            "linked_stories": sorted(linked[group_id]),
        })
    return stories


def stories(store: Store, since: datetime | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The largest stories (groups), biggest first, newest first among equals: those first seen on or
    after `since` when it is given."""
    first_seen = func.min(articles.c.ingested_at).label("first_seen")
    q = (select(groups.c.id, groups.c.canonical_id, groups.c.size, first_seen)
         .join(articles, articles.c.group_id == groups.c.id)
         .group_by(groups.c.id, groups.c.canonical_id, groups.c.size)
         .order_by(groups.c.size.desc(), first_seen.desc(), groups.c.id).limit(limit))
    if since is not None:  # compared in UTC: SQLite keeps times without their zone
        q = q.having(first_seen >= (since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)))
    with store.engine.connect() as conn:
        return _story_rows(conn, conn.execute(q).tuples().all())


def run_stories(store: Store, article_ids: Sequence[str], top: int = _RUN_TOP_STORIES) -> dict[str, Any]:
    """What one run's de-duplication did, for its summary: the largest stories its articles joined or
    founded (with how many records each gained), and per outlet how many of its articles were new
    stories, exact or near duplicates, and how many got an overlap link."""
    per_outlet: dict[str, Counter[str]] = {}
    touched: dict[str, tuple[int, int]] = {}  # group -> (size, records this run added)
    kinds = {"unique": "new", "exact": "exact", "near": "near"}
    with store.engine.connect() as conn:
        for chunk in _chunks(article_ids):
            q = (select(articles.c.outlet, articles.c.duplicate_kind, func.count())
                 .where(articles.c.id.in_(chunk), articles.c.duplicate_kind.is_not(None))
                 .group_by(articles.c.outlet, articles.c.duplicate_kind))
            for outlet, kind, n in conn.execute(q):
                per_outlet.setdefault(outlet, Counter())[kinds.get(kind, kind)] += n
            q = (select(articles.c.outlet, func.count(func.distinct(overlaps.c.article_a)))
                 .join(articles, articles.c.id == overlaps.c.article_a)
                 .where(overlaps.c.article_a.in_(chunk)).group_by(articles.c.outlet))
            for outlet, n in conn.execute(q):
                per_outlet.setdefault(outlet, Counter())["overlapping"] += n
            q = (select(groups.c.id, groups.c.size, func.count())
                 .join(groups, groups.c.id == articles.c.group_id)
                 .where(articles.c.id.in_(chunk)).group_by(groups.c.id, groups.c.size))
            for group_id, size, added in conn.execute(q):
                touched[group_id] = (size, touched.get(group_id, (size, 0))[1] + added)
        biggest = sorted(touched.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:top]
        q = (select(groups.c.id, groups.c.canonical_id, groups.c.size, func.min(articles.c.ingested_at))
             .join(articles, articles.c.group_id == groups.c.id)
             .where(groups.c.id.in_([g for g, _ in biggest]))
             .group_by(groups.c.id, groups.c.canonical_id, groups.c.size))
        found = {r[0]: r for r in conn.execute(q).tuples()}
        rows = _story_rows(conn, [found[g] for g, _ in biggest])
    ids = set(article_ids)
    for row, (group_id, (_, added)) in zip(rows, biggest, strict=True):
        row["added"] = added
        row["new"] = group_id in ids  # a group is named after the record that founded it
    return {
        "top_stories": rows,
        "outlets": {outlet: {k: counts[k] for k in ("new", "exact", "near", "overlapping")}
                    for outlet, counts in sorted(per_outlet.items(), key=lambda item: (-item[1].total(), item[0]))},
    }
