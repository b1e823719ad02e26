"""The first step of scale-out, for real: a Prefect server on the local PostgreSQL, the deployments of
deploy/prefect.yaml in a process work pool, and two workers picking up runs that write to a
PostgreSQL store."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import POSTGRES_URL, _reset_postgres
from prefect_processes import BIN, ROOT, background, client_env, free_port, serve_module, trigger
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.scale, pytest.mark.postgres]

PREFECT_DB = "newsdedup_prefect_test"


def _recreate_database(name: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    _recreate_database(PREFECT_DB)
    home = tmp_path_factory.mktemp("prefect-pg")
    database = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PREFECT_DB}"
    server_env = {"PREFECT_HOME": str(home), "PREFECT_API_DATABASE_CONNECTION_URL": database}
    with serve_module().local_server(free_port(), server_env, home / "server.log") as api_url:
        yield api_url, client_env(api_url, home), home


def _prefect(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_server_on_postgresql_with_a_process_pool_and_two_workers(
        postgres_prefect: tuple[str, dict[str, str], Path], raw_dir: Path) -> None:
    _, env, home = postgres_prefect
    env = {**env, "NEWSDEDUP_HOME": str(ROOT), "PREFECT_WORKER_QUERY_SECONDS": "1"}
    _reset_postgres()
    _prefect(env, "work-pool", "create", "newsdedup", "--type", "process")
    deployed = _prefect(env, "deploy", "--prefect-file", "deploy/prefect.yaml", "--all")
    assert "pipeline/pipeline" in deployed and "fetch/fetch" in deployed

    logs = [home / "worker-1.log", home / "worker-2.log"]
    worker = [str(BIN / "prefect"), "worker", "start", "--pool", "newsdedup", "--limit", "1"]
    with background([*worker, "--name", "worker-1"], env, logs[0]), \
            background([*worker, "--name", "worker-2"], env, logs[1]):
        started = time.monotonic()
        pipeline_run, pipeline_state = trigger("pipeline", env, raw_dir=str(raw_dir), store_url=POSTGRES_URL)
        fetch_run, fetch_state = trigger("fetch", env, sources_file="", store_url=POSTGRES_URL)
        elapsed = time.monotonic() - started
    worker_output = "\n".join(log.read_text(encoding="utf-8", errors="replace")[-3000:] for log in logs)
    assert (pipeline_state, fetch_state) == ("Completed", "Completed"), f"after {elapsed:.0f} s:\n{worker_output}"

    # Both workers poll the pool and may both try to take a run; the server lets exactly one have it
    # (the other's submission is aborted), so no run executes twice.
    worker_logs = "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in logs)
    for run in (pipeline_run, fetch_run):
        tried = worker_logs.count(f"submitting flow run '{run}'")
        aborted = worker_logs.count(f"Aborted submission of flow run '{run}'")
        assert tried - aborted == 1, (run, tried, aborted)
    for name in ("worker-1", "worker-2"):
        assert re.search(rf"Worker '{name}' started", worker_logs), name

    # The flows wrote to the PostgreSQL store, through the workers' own processes.
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from articles")).scalar_one() == 5
            flows_run = set(conn.execute(text("select flow from runs")).scalars())
        assert flows_run == {"pipeline", "fetch"}
    finally:
        engine.dispose()
        _reset_postgres()
