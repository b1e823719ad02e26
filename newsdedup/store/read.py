"""The read side of the store: counts, one record with its links, and export rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, or_, select

from newsdedup.store.schema import articles, groups, overlaps, quarantine, raw_documents, runs, superseded_articles
from newsdedup.store.store import Store

_EXPORT_PAGE = 1000


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
        }


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
            out[r.article_a].append({"id": r.article_b, "paragraphs": r.pairs, "share": r.share_a,
                                     "other_share": r.share_b})
        if r.article_b in out:
            out[r.article_b].append({"id": r.article_a, "paragraphs": [[j, i, s] for i, j, s in r.pairs],
                                     "share": r.share_b, "other_share": r.share_a})
    for links in out.values():
        links.sort(key=lambda link: link["id"])
    return out


def _record(row: Any, links: list[dict[str, Any]]) -> dict[str, Any]:
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
        "extractor_version": row.extractor_version,
        "overlaps": links,
    }


def _joined() -> Any:
    return select(articles, groups.c.canonical_id).select_from(
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
        record = _record(row, _overlaps_of(conn, [row.id])[row.id])
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
        for row in rows:
            yield _record(row, links[row.id])
        last = rows[-1].seq
