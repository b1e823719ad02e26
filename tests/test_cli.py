"""The `newsdedup` command: stats, show and export over a processed store."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_steps

from newsdedup.cli import main
from newsdedup.store import Store


@pytest.fixture
def processed(raw_dir: Path, tmp_path: Path) -> str:
    (raw_dir / "copy.txt").write_bytes((raw_dir / "003_c73d2bbacf694d4f.txt").read_bytes() + b"\n\nShare this!\n")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url)
    run_steps(store, raw_dir)
    store.close()
    return url


def _jsonl(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(list(args)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_export_canonical_and_all(processed: str, capsys: pytest.CaptureFixture[str]) -> None:
    canonical = _jsonl(capsys, "--store", processed, "export", "--format", "jsonl")
    everything = _jsonl(capsys, "--store", processed, "export", "--format", "jsonl", "--all")
    assert len(canonical) == 5 and len(everything) == 6
    assert all(r["canonical"] and r["duplicate_of"] is None for r in canonical)
    copy = next(r for r in everything if r["source"] == "copy.txt")
    original = next(r for r in everything if r["source"] == "003_c73d2bbacf694d4f.txt")
    assert copy["canonical"] is False and copy["duplicate_of"] == original["id"] == original["group"] == copy["group"]
    for record in everything:
        assert {"id", "source", "title", "published", "body", "group", "canonical", "duplicate_of", "overlaps"} <= set(
            record
        )
    linked = [r for r in everything if r["overlaps"]]
    assert {r["source"] for r in linked} == {"001_233dc4c3cfabbe5b.txt", "002_8d077245f715231b.txt"}
    pairs = linked[0]["overlaps"][0]["paragraphs"]
    assert len(pairs) == 3 and all(len(p) == 3 for p in pairs)
    a, b = linked
    assert a["body"].split("\n\n")[pairs[0][0]] and b["overlaps"][0]["id"] == a["id"]


def test_show_stats_and_parquet(processed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _jsonl(capsys, "--store", processed, "export", "--all")
    copy = next(r for r in records if r["source"] == "copy.txt")
    assert main(["--store", processed, "show", copy["id"][:8]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == copy["id"] and len(shown["group_members"]) == 2
    assert main(["--store", processed, "stats"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["articles"] == 6 and counts["exact_duplicates"] == 1 and counts["overlap_links"] == 1
    out = tmp_path / "out.parquet"
    assert main(["--store", processed, "export", "--format", "parquet", "--all", "-o", str(out)]) == 0
    assert pq.read_table(out).num_rows == 6
    assert main(["--store", processed, "show", "nope"]) == 1
    assert main(["--store", "notaurl", "stats"]) == 2


def test_a_bad_setting_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSDEDUP_EXTRACT_WORKERS", "two")
    assert main(["stats"]) == 2
    assert "NEWSDEDUP_EXTRACT_WORKERS='two' is not a valid int" in capsys.readouterr().err
