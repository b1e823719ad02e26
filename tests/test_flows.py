"""The Prefect flows end to end, on one Prefect test server for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.pipeline import pipeline

pytestmark = pytest.mark.flow


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_pipeline_flow_runs_and_is_idempotent(raw_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    first = pipeline(raw_dir=str(raw_dir), store_url=url, batch_size=2)
    assert first["ingest"] == {"seen": 5, "new": 5, "new_versions": 0, "unchanged": 0, "quarantined": 0}
    assert first["extract"]["articles"] == 5 and first["extract"]["boilerplate_removed"] >= 30
    assert first["dedup"]["overlaps"] == 1 and first["dedup"]["exact"] == first["dedup"]["near"] == 0
    assert first["store"]["groups"] == 5
    (raw_dir / "copy.txt").write_bytes((raw_dir / "003_c73d2bbacf694d4f.txt").read_bytes() + b"\n\nShare this!\n")
    second = pipeline(raw_dir=str(raw_dir), store_url=url, batch_size=2)
    assert second["ingest"]["unchanged"] == 5 and second["ingest"]["new"] == 1
    assert second["extract"]["articles"] == 1
    assert second["dedup"]["exact"] == 1  # same article text in other page furniture
    assert second["store"]["articles"] == 6 and second["store"]["groups"] == 5
    assert second["store"]["runs"] == 2


def test_pipeline_parameters_are_validated(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="batch_size"):
        pipeline(raw_dir=str(tmp_path), store_url=f"sqlite:///{tmp_path / 'x.db'}", batch_size=0)
