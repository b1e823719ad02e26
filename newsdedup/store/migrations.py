"""Rewrites of stored values whose meaning changed (new columns themselves are added by `Store.open`).
Each rewrite is versioned in store_meta, runs once per store, and is idempotent if two processes
opening the store race through it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsdedup.sources.urls import normalise_url
from newsdedup.store.schema import articles, fetch_state, index_documents, lsh_buckets, store_meta

# Bump when `normalise_url` changes what it returns: stored URLs are normalised again, articles' from
# the URL their page declared (kept beside the normalised one).
URL_FORMAT = "1"
_URL_META = "url_format"
# Bump when the dedup index tables change layout: they are dropped and made anew, and the engine rebuilds
# the index from the stored articles on its next run (its parameter record is removed with them).
# 2: 32-bit keys, members by seq, no stored signatures; a GIN-indexed key array on PostgreSQL.
INDEX_LAYOUT = "2"
_INDEX_LAYOUT_META = "index_layout"
_DEDUP_INDEX_META = "dedup_index"  # the engine's record of the parameters the index was built with
_MIGRATION_LOCK_KEY = 0x6E65777364656476  # as the store's: one migration at a time
_PAGE = 10_000


def migrate(engine: Engine) -> None:
    _migrate_index_layout(engine)
    with engine.begin() as conn:
        if conn.execute(select(store_meta.c.value).where(store_meta.c.name == _URL_META)).scalar() == URL_FORMAT:
            return
        _normalise_article_urls(conn)
        _normalise_fetch_state(conn)
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(store_meta)
        conn.execute(insert.values(name=_URL_META, value=URL_FORMAT).on_conflict_do_update(
            index_elements=[store_meta.c.name], set_={"value": URL_FORMAT}))


def _normalise_article_urls(conn: Connection) -> None:
    """canonical_url becomes the normalised form of the declared URL; a record written before the
    declared URL was kept keeps its canonical URL as the declared one."""
    stmt = (update(articles).where(articles.c.id == bindparam("b_id"))
            .values(canonical_url=bindparam("b_url"), declared_canonical_url=bindparam("b_declared")))
    query = (select(articles.c.id, articles.c.canonical_url, articles.c.declared_canonical_url)
             .where(articles.c.canonical_url.is_not(None)).order_by(articles.c.id).limit(_PAGE))
    last = ""
    while rows := conn.execute(query.where(articles.c.id > last)).all():
        changes = [{"b_id": article_id, "b_url": normalise_url(declared or url), "b_declared": declared or url}
                   for article_id, url, declared in rows
                   if declared is None or normalise_url(declared) != url]
        if changes:
            conn.execute(stmt, changes)
        last = rows[-1].id


def _normalise_fetch_state(conn: Connection) -> None:
    """One fetch state per normalised URL: where variants of one URL were fetched, the latest fetch's."""
    rows = conn.execute(select(fetch_state)).mappings().all()
    latest: dict[str, dict[str, Any]] = {}
    renamed: list[str] = []
    for row in rows:
        key = normalise_url(row["url"])
        if key != row["url"]:
            renamed.append(row["url"])
        known = latest.get(key)
        if known is None or row["fetched_at"] > known["fetched_at"]:
            latest[key] = {**row, "url": key}
    if not renamed:
        return
    for start in range(0, len(renamed), 500):
        conn.execute(delete(fetch_state).where(fetch_state.c.url.in_(renamed[start : start + 500])))
    keys = {normalise_url(url) for url in renamed}
    winners = [latest[key] for key in sorted(keys)]
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(fetch_state)
    conn.execute(insert.on_conflict_do_update(index_elements=["url"], set_={
        c.name: insert.excluded[c.name] for c in fetch_state.columns if c.name != "url"}), winners)


def _migrate_index_layout(engine: Engine) -> None:
    """Index tables of an earlier layout are dropped and created anew (empty); the engine sees its
    parameter record gone and rebuilds the index from the stored articles, which keep their groups."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK_KEY,))
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # (the check and the rebuild under one write lock)
        if conn.execute(select(store_meta.c.value).where(store_meta.c.name == _INDEX_LAYOUT_META)).scalar() \
                == INDEX_LAYOUT:
            return
        for table in (lsh_buckets, index_documents):
            table.drop(conn, checkfirst=True)
            table.create(conn)
        conn.execute(delete(store_meta).where(store_meta.c.name == _DEDUP_INDEX_META))
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(store_meta)
        conn.execute(insert.values(name=_INDEX_LAYOUT_META, value=INDEX_LAYOUT).on_conflict_do_update(
            index_elements=[store_meta.c.name], set_={"value": INDEX_LAYOUT}))
