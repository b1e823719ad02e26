"""The processed store's schema (SQLAlchemy Core): one definition for SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql

metadata = MetaData()

raw_documents = Table(
    "raw_documents",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),  # the exact bytes, as they came
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100)),
    Column("headers", JSON),  # HTTP response headers of the first fetch (lower-case names)
    # "page" is extracted; "feed" and "sitemap" are listings, kept as fetched but never extracted.
    Column("role", String(16), nullable=False, server_default="page"),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# Where each raw document was seen: a path or URL has one row per distinct content (its versions).
raw_sources = Table(
    "raw_sources",
    metadata,
    Column("source", Text, primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("final_url", Text),  # for a URL: where redirects ended
)

# Per fetched URL, what the last fetch said: validators for a conditional GET, and the date a feed or
# sitemap gave the item, so re-polling fetches only new or changed items.
fetch_state = Table(
    "fetch_state",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("listed_updated", String(40)),
    Column("sha256", String(64)),  # the content kept from the last 2xx
    Column("status", String(32), nullable=False),  # ok, not_modified, or the reason it failed
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

# Cross-page learning: how many of an outlet's pages carried each short line (by fingerprint), so
# navigation, footers and prompts are recognised from the outlet's history, not only the current batch.
outlet_lines = Table(
    "outlet_lines",
    metadata,
    Column("outlet", String(255), primary_key=True),
    Column("fingerprint", BigInteger, primary_key=True),
    Column("pages", Integer, nullable=False),
)
outlet_pages = Table(
    "outlet_pages",
    metadata,
    Column("outlet", String(255), primary_key=True),
    Column("pages", Integer, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("raw_sha256", String(64), nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("outlet", String(255), nullable=False),
    Column("title", Text),
    Column("published", String(10)),  # ISO date; sorts as text
    Column("byline", Text),
    Column("language", String(8)),
    Column("paragraphs", JSON, nullable=False),
    Column("n_words", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("low_confidence", Boolean, nullable=False),
    Column("boilerplate_removed", Integer, nullable=False),
    Column("extractor_version", String(16), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),  # the raw document's first sighting
    Column("seq", BigInteger, nullable=False),  # arrival order, ties in ingested_at broken by it
    # <link rel=canonical> or og:url: one story, one URL. Normalised (sources.urls): what dedup compares;
    # the URL as the page declared it is kept beside it.
    Column("canonical_url", Text, index=True),
    Column("declared_canonical_url", Text),
    # Filled by dedup; NULL means "not de-duplicated yet".
    Column("text_hash", String(64), index=True),
    Column("group_id", String(20), index=True),
    Column("duplicate_kind", String(8)),  # unique | exact | near
    Column("matched_id", String(20)),  # the group member this one was matched to
    Column("similarity", Float),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(20), primary_key=True),  # the first member's article id: stable across runs
    Column("canonical_id", String(20), nullable=False),
    Column("size", Integer, nullable=False),
)

# The persistent dedup index, kept lean (issue 15): band keys are stored 32 bits wide (a key met by
# chance is a candidate that verification drops; it never hides a match) and articles are named by their
# arrival number (`articles.seq`: 2-3 bytes on SQLite) instead of a hash or id. One row per indexed
# article: on PostgreSQL it holds the article's band keys as an int4[] under a GIN index, which is the
# bucket lookup itself, so no row (and no 24-byte tuple header) per bucket member; on SQLite only the seq
# (band_keys empty: the bucket rows below are the keys, and an article leaving the index has its keys
# made again from its text).
index_documents = Table(
    "index_documents",
    metadata,
    # INTEGER PRIMARY KEY on SQLite: the rowid itself, no second B-tree.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("band_keys", LargeBinary().with_variant(postgresql.ARRAY(Integer), "postgresql"), nullable=False),
)
Index("index_documents_band_keys", index_documents.c.band_keys, postgresql_using="gin",
      postgresql_with={"fastupdate": "off"}).ddl_if(dialect="postgresql")  # lookups never scan a pending list

# SQLite's bucket lookup: which indexed articles (by seq) hold each 32-bit band key, documents' and long
# paragraphs' alike (their keys are salted apart). PostgreSQL answers from index_documents' GIN index.
lsh_buckets = Table(
    "lsh_buckets",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=False),
    Column("member", BigInteger, primary_key=True, autoincrement=False),  # index_documents.seq
    sqlite_with_rowid=False,  # the primary key is the table: one B-tree to write and to search
)

# Records an earlier extractor version made, retired when their raw document was extracted again:
# each old id points at the record that replaced it (none when the page no longer yields an article).
superseded_articles = Table(
    "superseded_articles",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("successor_id", String(20), index=True),
    Column("raw_sha256", String(64), nullable=False),
    Column("extractor_version", String(16), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=False),
)

# Facts about the store itself, such as the parameters its dedup index was built with.
store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

overlaps = Table(
    "overlaps",
    metadata,
    Column("article_a", String(20), primary_key=True),  # the later arrival
    Column("article_b", String(20), primary_key=True),
    Column("pairs", JSON, nullable=False),  # [[paragraph of a, paragraph of b, similarity], ...]
    Column("share_a", Float, nullable=False),  # share of a's words in copied paragraphs
    Column("share_b", Float, nullable=False),
    # "lifted": passages shared verbatim (pairs' similarity: word 3-gram Jaccard of the paragraphs);
    # "retold": a's sentences retell b's in other words, in order (similarity: Dice of sentence stems).
    Column("kind", String(10), nullable=False, server_default="lifted"),
)
Index("overlaps_b", overlaps.c.article_b)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("raw_sha256", String(64), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A file refused unread (too large): "size:mtime_ns", so a re-run knows it unchanged without hashing it.
    Column("file_stamp", String(64)),
    UniqueConstraint("source", "raw_sha256", "stage", name="quarantine_once"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("parameters", JSON),
    Column("summary", JSON),
)
