"""Shared fixtures: the seed articles, stores on SQLite and on the machine's PostgreSQL, and one
Prefect test server for the whole session."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from newsdedup.config import Settings
from newsdedup.dedup import BatchOutcome
from newsdedup.pipeline import (
    ExtractStats,
    IngestStats,
    dedup_batch,
    extract_batch,
    ingest_files,
    pending_dedup,
    plan_extraction,
)
from newsdedup.sources.files import list_files
from newsdedup.store import Store
from newsdedup.store.schema import articles, metadata

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
_SERVER_URL = os.environ.get("NEWSDEDUP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _own_database(server_url: str) -> tuple[str, str | None]:
    """A database of this test process's own on the machine's PostgreSQL, so that test runs started
    side by side (two terminals, CI beside a developer) never drop each other's tables. Falls back to
    the server's database when it cannot be created; tests needing PostgreSQL then say why they fail."""
    name = f"newsdedup_test_{os.getpid()}"
    try:
        engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception:
        return server_url, None
    return server_url.rsplit("/", 1)[0] + "/" + name, name


# Made when pytest starts (pytest_configure), not when this module is imported: worker processes that
# import a test module (and so this one) would each make a database that no session ever drops.
POSTGRES_URL, _OWN_DATABASE = _SERVER_URL, None


def pytest_configure(config: pytest.Config) -> None:
    global POSTGRES_URL, _OWN_DATABASE
    POSTGRES_URL, _OWN_DATABASE = _own_database(_SERVER_URL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _OWN_DATABASE is None:
        return
    engine = create_engine(_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_OWN_DATABASE}" WITH (FORCE)'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def gold() -> dict[str, Any]:
    return json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))


def seed_names() -> list[str]:
    return sorted(p.name for p in SEEDS.glob("*.txt"))


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw/ directory holding the five seed articles."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in seed_names():
        shutil.copy(SEEDS / name, raw / name)
    return raw


def _reset_postgres() -> None:
    engine = create_engine(POSTGRES_URL)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests against SQLite and against the real PostgreSQL on 127.0.0.1:5432."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'newsdedup.db'}"
        return
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - CI starts PostgreSQL, so this is a set-up error
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} does not answer: {exc}")
    _reset_postgres()
    yield POSTGRES_URL
    _reset_postgres()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    st = Store.open(store_url)
    yield st
    st.close()


def run_steps(
    store: Store, raw: Path, settings: Settings | None = None
) -> tuple[IngestStats, ExtractStats, BatchOutcome]:
    """The pipeline's three steps without Prefect (what the flows call, batch by batch)."""
    settings = settings or Settings()
    ingested = ingest_files(store, raw, list_files(raw), settings, datetime.now(UTC))
    extracted = extract_batch(store, plan_extraction(store).pending, settings)
    deduped = dedup_batch(store, pending_dedup(store), settings)
    return ingested, extracted, deduped


def article_by_source(store: Store) -> dict[str, dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(articles)).mappings().all()
    return {r["source"]: dict(r) for r in rows}
