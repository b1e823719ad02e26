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
POSTGRES_URL = os.environ.get("NEWSDEDUP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
